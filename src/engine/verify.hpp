// `signet verify`: finds every signature in a file and in the files nested inside it, and checks
// each one (CMS and raw detached signatures, OpenPGP detached signatures, XML-DSig).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "crypto/signer.hpp"
#include "crypto/verify_result.hpp"
#include "formats/format.hpp"

namespace signet::engine {

struct VerifyOptions {
  std::vector<crypto::CertDer> anchors;         // --ca
  std::vector<crypto::CertDer> tsa_anchors;     // --tsa-ca
  std::vector<crypto::CertDer> signer_certs;    // --cert: keys for raw signatures (which carry none)
  std::vector<std::filesystem::path> pgp_keys;  // --pgp-key (public keys)
  formats::Limits limits;
};

struct Finding {
  std::string signature;  // path of the signature (file or entry), or of the signed file
  std::string subject;    // what it signs
  crypto::VerifyResult result;
};

std::vector<Finding> verify_file(const std::filesystem::path& file, const VerifyOptions& options);

}  // namespace signet::engine
