// OpenPGP (RFC 4880, RFC 6637, and the EdDSA draft as GnuPG 2.2 uses it for Ed25519): load a
// secret key exported by `gpg --export-secret-keys`, make detached v4 signatures, and verify them
// against certificates exported by `gpg --export`. Packet code is our own, over OpenSSL.
#pragma once
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crypto/verify_result.hpp"
#include "io/hash.hpp"
#include "io/source.hpp"

namespace signet::crypto::openpgp {

enum class Encoding { ascii_armored, binary };

// One v4 key (a primary key or a subkey) of a certificate, public material only.
struct PublicKey {
  std::string fingerprint;          // 40 upper-case hex digits
  std::string key_id;               // 16 upper-case hex digits (low 64 bits of the fingerprint)
  std::string primary_fingerprint;  // the certificate's primary key (== fingerprint for a primary)
  std::string user_id;              // the certificate's primary user ID ("" if none)
  std::string algorithm;            // "RSA 3072", "EdDSA Ed25519", "ECDSA P-256", "unsupported (17)"
  bool subkey = false;
  bool revoked = false;  // a revocation signature is present (not checked cryptographically)
  std::time_t created = 0;
  std::vector<uint8_t> packet;  // the public key packet body (version 4)
};

// A decrypted signing key: the primary key, or the newest signing-capable subkey when the primary
// may not sign (or is a GnuPG stub). Secret material stays inside; buffers are zeroised.
class SecretKey {
 public:
  struct Impl;  // defined in secret_key.hpp, for the crypto layer only
  explicit SecretKey(std::unique_ptr<Impl> impl);
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();

  std::string fingerprint() const;  // of the signing key, 40 upper-case hex digits
  std::string key_id() const;       // 16 upper-case hex digits
  const std::string& user_id() const;
  std::string algorithm() const;  // "RSA 3072", "EdDSA Ed25519", "ECDSA P-256"
  bool is_subkey() const;
  const PublicKey& public_key() const;
  // The certificate (transferable public key: keys, user IDs, their signatures) derived from the
  // secret key file; what SignPath calls the policy's "GPG public key".
  std::vector<uint8_t> certificate(Encoding enc) const;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Loads a transferable secret key (`gpg --export-secret-keys [--armor]`). Throws io::Error naming
// the file: wrong passphrase, missing passphrase, stub key, unsupported algorithm or protection.
std::shared_ptr<const SecretKey> load_secret_key(const std::filesystem::path& file,
                                                 const std::string& passphrase);

// Detached v4 binary-document signature (type 0x00) over the bytes of `data` (streamed once).
// `alg` is sha256, sha384 or sha512; `created` is the signature creation time.
std::vector<uint8_t> sign_detached(const SecretKey& key, const io::Source& data, io::HashAlg alg,
                                   Encoding enc, std::time_t created);

// Every v4 key in `gpg --export [--armor]` output (several certificates allowed), or in a secret
// key file (public parts only; nothing is decrypted).
std::vector<PublicKey> load_public_keys(const std::filesystem::path& file);

// Checks a detached signature (armored or binary) over `data`. Never throws for bad input: a
// malformed signature is valid=false with the reason in `detail`.
crypto::VerifyResult verify_detached(std::span<const uint8_t> signature, const io::Source& data,
                                     const std::vector<PublicKey>& keys);

// ASCII armor (RFC 4880 §6): `type` is "SIGNATURE", "PUBLIC KEY BLOCK", "PRIVATE KEY BLOCK".
std::string armor(std::span<const uint8_t> data, const std::string& type);

}  // namespace signet::crypto::openpgp
