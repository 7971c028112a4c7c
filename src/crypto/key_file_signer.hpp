// The key-file Signer backend: PEM (traditional or PKCS#8, optionally encrypted), DER PKCS#8 and
// PKCS#12 files holding an RSA, EC (P-256/P-384/P-521) or Ed25519 key.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crypto/signer.hpp"
#include "crypto/x509.hpp"

namespace signet::crypto {

// Load a private key and its certificates. `cert` and `chain` are PEM or DER files (a chain file
// may hold several PEM certificates); for PKCS#12 (and PEM files that also hold certificates)
// they are optional, the file's own certificates are used. Among all certificates given, the
// one whose public key matches the private key becomes the signing certificate, the others form
// the chain (ordered issuer after subject where possible, duplicates dropped).
// Throws io::Error naming the file: "wrong password", "no private key found", "the certificate
// does not match the private key", "unsupported key type ...", "cannot open: ...".
SignerPtr load_key_file_signer(const std::filesystem::path& key, const std::string& password,
                               const std::optional<std::filesystem::path>& cert,
                               const std::optional<std::filesystem::path>& chain);

// A Signer over an already loaded private key (used by other backends that yield an EVP_PKEY).
// `certificates`: signing certificate first, then the chain. Throws io::Error for unsupported
// key types. sign_digest is safe to call concurrently (one EVP_PKEY_CTX per call).
SignerPtr make_evp_signer(EvpPkeyPtr key, std::vector<CertDer> certificates, std::string description);

}  // namespace signet::crypto
