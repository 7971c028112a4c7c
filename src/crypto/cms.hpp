// CMS SignedData (RFC 5652) built by Signet from a digest, and checked with OpenSSL's CMS API.
// Only digests reach the Signer. The general builder serves Authenticode as well (its
// SpcIndirectDataContent is an encapsulated content with extra signed attributes).
#pragma once
#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/der.hpp"
#include "crypto/signer.hpp"
#include "crypto/verify_result.hpp"
#include "io/hash.hpp"
#include "io/source.hpp"

namespace signet::crypto {

namespace oids {
constexpr std::string_view data = "1.2.840.113549.1.7.1";
constexpr std::string_view signed_data = "1.2.840.113549.1.7.2";
constexpr std::string_view content_type = "1.2.840.113549.1.9.3";
constexpr std::string_view message_digest = "1.2.840.113549.1.9.4";
constexpr std::string_view signing_time = "1.2.840.113549.1.9.5";
constexpr std::string_view algorithm_protection = "1.2.840.113549.1.9.52";  // RFC 6211
constexpr std::string_view rsa_encryption = "1.2.840.113549.1.1.1";
constexpr std::string_view mgf1 = "1.2.840.113549.1.1.8";
constexpr std::string_view rsassa_pss = "1.2.840.113549.1.1.10";
}  // namespace oids

// AlgorithmIdentifier of a hash. RFC 5754 wants absent parameters; `null_params` writes NULL
// (what Windows' Authenticode tools emit).
der::Bytes digest_algorithm_id(io::HashAlg alg, bool null_params = false);
// AlgorithmIdentifier of the SignerInfo's signature: rsaEncryption (PKCS#1 v1.5), id-RSASSA-PSS
// with explicit parameters (hash, MGF1 with the same hash, salt = digest length) or
// ecdsa-with-SHAxxx. Throws io::Error for Ed25519 keys (no digest-only CMS form).
der::Bytes signature_algorithm_id(KeyType key, io::HashAlg alg, RsaPadding padding);
// Attribute ::= SEQUENCE { attrType OID, attrValues SET OF value }.
der::Bytes cms_attribute(std::string_view oid_dotted, std::vector<der::Bytes> values);

struct SignedDataParams {
  io::HashAlg hash = io::HashAlg::sha256;
  RsaPadding padding = RsaPadding::pkcs1;  // ignored for EC keys
  int version = 1;                         // SignedData and SignerInfo version
  std::string content_type{oids::data};    // eContentType, also the contentType attribute
  // The encoding placed in encapContentInfo's [0] EXPLICIT eContent (an OCTET STRING for plain
  // CMS, SpcIndirectDataContent for Authenticode); nullopt for a detached signature.
  std::optional<der::Bytes> econtent;
  std::vector<uint8_t> message_digest;         // digest of the content (messageDigest attribute)
  std::optional<std::time_t> signing_time;     // signingTime attribute when set
  bool algorithm_protection = true;            // CMSAlgorithmProtection attribute (RFC 6211)
  bool digest_params_null = false;             // see digest_algorithm_id
  std::vector<der::Bytes> extra_signed_attrs;  // complete Attribute encodings
  // Called with the signature value; returns complete Attribute encodings to add as unsigned
  // attributes (e.g. an RFC 3161 timestamp token over the signature).
  std::function<std::vector<der::Bytes>(std::span<const uint8_t> signature)> unsigned_attrs;
};

// ContentInfo { id-signedData, SignedData } with certificates = signer.certificates() and one
// SignerInfo identified by issuerAndSerialNumber. Throws io::Error when the signer has no
// certificate or the digest length does not match.
der::Bytes build_signed_data(const Signer& signer, const SignedDataParams& params);

// Detached CMS signature over content whose digest (with `alg`) is `content_digest`: id-data
// without content, signed attributes contentType, signingTime, messageDigest and
// CMSAlgorithmProtection. DER.
std::vector<uint8_t> cms_sign_detached(const Signer& signer, io::HashAlg alg,
                                       std::span<const uint8_t> content_digest, RsaPadding padding,
                                       std::time_t signing_time);

// "-----BEGIN CMS-----" armor, base64 in 64-character lines (what `openssl cms -inform PEM` reads).
std::string cms_pem(std::span<const uint8_t> der);

// Verify a detached CMS signature (DER, or PEM labelled CMS or PKCS7) over `content`, streaming
// the content. With anchors the signer's chain must reach one of them (purpose any); without,
// only the signature is checked and detail says "chain not checked (no --ca)". Never throws for
// a bad signature (valid = false, detail = reason); io errors reading the content do throw.
VerifyResult cms_verify_detached(std::span<const uint8_t> signature, const io::Source& content,
                                 const std::vector<CertDer>& anchors);

}  // namespace signet::crypto
