// The inside of a loaded OpenPGP signing key, shared by secret_key.cpp and signature.cpp.
#pragma once
#include <vector>

#include "crypto/openpgp/keys.hpp"
#include "crypto/openpgp/openpgp.hpp"

namespace signet::crypto::openpgp {

struct SecretKey::Impl {
  PublicKey pub;         // the signing key (primary or subkey)
  KeyMaterial material;  // its public material
  Fingerprint fpr{};
  ossl::Pkey pkey;                   // the decrypted key pair (OpenSSL owns and clears it)
  std::vector<uint8_t> certificate;  // transferable public key, binary
};

// Signs an OpenPGP signature hash with the key; returns the algorithm-specific MPIs, encoded.
std::vector<uint8_t> sign_hash(const SecretKey::Impl& key, io::HashAlg alg, std::span<const uint8_t> digest);

}  // namespace signet::crypto::openpgp
