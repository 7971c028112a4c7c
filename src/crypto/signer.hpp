// The Signer contract: a key and its certificates. Its one operation signs a digest; the
// artifact never reaches the key store.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/hash.hpp"

namespace signet::crypto {

enum class KeyType { rsa, ec, ed25519 };
enum class RsaPadding { pkcs1, pss };

// DER-encoded X.509 certificate.
using CertDer = std::vector<uint8_t>;

class Signer {
 public:
  virtual ~Signer() = default;
  virtual KeyType key_type() const = 0;
  // RSA modulus / EC field size in bits (for messages and algorithm choice).
  virtual int key_bits() const = 0;
  // Signs a precomputed digest of `alg`. RSA: PKCS#1 v1.5 (DigestInfo) or PSS (salt = digest
  // length, MGF1 with the same hash). EC: DER-encoded ECDSA-Sig-Value. Ed25519: the digest bytes
  // are signed as the message (OpenPGP's EdDSA convention).
  virtual std::vector<uint8_t> sign_digest(io::HashAlg alg, std::span<const uint8_t> digest,
                                           RsaPadding padding) const = 0;
  // SubjectPublicKeyInfo, DER.
  virtual std::vector<uint8_t> public_key_der() const = 0;
  // Signing certificate first, then the chain (may be empty for a bare key).
  virtual const std::vector<CertDer>& certificates() const = 0;
  // A description for messages and reports (never the key material).
  virtual std::string describe() const = 0;
};

using SignerPtr = std::shared_ptr<const Signer>;

}  // namespace signet::crypto
