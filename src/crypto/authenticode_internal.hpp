// Internals shared by the Authenticode and timestamp sources (not for other layers).
#pragma once
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/der.hpp"
#include "crypto/signer.hpp"
#include "io/hash.hpp"

namespace signet::crypto::authenticode::detail {

// The nested TLVs down to the first SignerInfo of a ContentInfo { signedData }; every span is a
// complete encoding ("whole") inside the caller's buffer. unsigned_attrs is empty when absent.
struct SignedDataView {
  std::span<const uint8_t> content_info;
  std::span<const uint8_t> explicit0;  // [0] EXPLICIT around SignedData
  std::span<const uint8_t> signed_data;
  std::span<const uint8_t> signer_infos;
  std::span<const uint8_t> signer_info;
  std::span<const uint8_t> unsigned_attrs;
};
SignedDataView locate_first_signer(std::span<const uint8_t> content_info, const std::string& what);

// `outer` (one complete TLV) with the sub-encoding `inner` (a span inside outer's value, possibly
// empty) replaced by `replacement`; the outer length is recomputed, all other bytes kept.
der::Bytes replace_within(std::span<const uint8_t> outer, std::span<const uint8_t> inner,
                          std::span<const uint8_t> replacement);

// A SignerInfo's parts needed for verification.
struct SignerInfoView {
  std::span<const uint8_t> sid;                          // complete encoding
  std::span<const uint8_t> digest_algorithm;             // AlgorithmIdentifier
  std::optional<std::span<const uint8_t>> signed_attrs;  // the [0] complete encoding
  std::span<const uint8_t> signature_algorithm;
  std::span<const uint8_t> signature;                      // value octets
  std::optional<std::span<const uint8_t>> unsigned_attrs;  // the [1] complete encoding
};
SignerInfoView parse_signer_info(std::span<const uint8_t> whole, const std::string& what);

// Attribute type OID -> its values (complete encodings), in order.
struct Attribute {
  std::string type;
  std::vector<std::span<const uint8_t>> values;
};
std::vector<Attribute> parse_attributes(std::span<const uint8_t> tagged_set, const std::string& what);
const Attribute* find_attribute(const std::vector<Attribute>& attrs, std::string_view oid);

// Hash algorithm named by an AlgorithmIdentifier: name ("sha256", "md5", or the OID) and value.
std::optional<io::HashAlg> hash_of_algorithm(std::span<const uint8_t> algorithm_id, std::string* name);

// The certificate among `certs` that `sid` (IssuerAndSerialNumber or [0] SubjectKeyIdentifier)
// names.
std::optional<CertDer> find_signer_cert(std::span<const uint8_t> sid, const std::vector<CertDer>& certs);

// Checks `signature` over `data` with the certificate's key. `signature_algorithm` is the
// SignerInfo's (rsaEncryption, sha*WithRSAEncryption, RSASSA-PSS, ecdsa-with-*); `hash` the
// SignerInfo's digest algorithm. Returns "" when valid, else the reason.
std::string verify_signature(const CertDer& cert, std::span<const uint8_t> signature_algorithm,
                             io::HashAlg hash, std::span<const uint8_t> data,
                             std::span<const uint8_t> signature);

// Does `leaf` chain to `anchors` through `intermediates`, evaluated at `at` (nullopt: now)?
// `purpose` is an X509_PURPOSE_* id. Returns "" when trusted, else OpenSSL's reason.
std::string chain_error(const CertDer& leaf, const std::vector<CertDer>& intermediates,
                        const std::vector<CertDer>& anchors, std::optional<std::time_t> at, int purpose);

// ASN.1 UTCTime / GeneralizedTime contents to time_t (UTC); nullopt when malformed.
std::optional<std::time_t> parse_time(uint8_t tag, std::span<const uint8_t> content);

}  // namespace signet::crypto::authenticode::detail
