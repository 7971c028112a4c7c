// Authenticode, format-independent: the SignedData that PE, CAB, MSI, catalog and script files
// embed. A format supplies its SpcAttributeTypeAndOptionalValue (what kind of file) and its own
// digest; this file builds SpcIndirectDataContent, signs (only the digest reaches the Signer),
// time-stamps (RFC 3161, Microsoft's unsigned attribute), nests signatures, and parses and
// verifies existing ones. Structures follow Microsoft's "Windows Authenticode Portable Executable
// Signature Format" and RFC 5652 / RFC 3161.
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
#include "crypto/timestamp.hpp"
#include "crypto/verify_result.hpp"
#include "io/hash.hpp"

namespace signet::crypto::authenticode {

namespace oids {
constexpr std::string_view spc_indirect_data = "1.3.6.1.4.1.311.2.1.4";
constexpr std::string_view spc_statement_type = "1.3.6.1.4.1.311.2.1.11";
constexpr std::string_view spc_sp_opus_info = "1.3.6.1.4.1.311.2.1.12";
constexpr std::string_view spc_pe_image_data = "1.3.6.1.4.1.311.2.1.15";
constexpr std::string_view spc_individual_code_signing = "1.3.6.1.4.1.311.2.1.21";
constexpr std::string_view spc_cab_data = "1.3.6.1.4.1.311.2.1.25";
constexpr std::string_view spc_sip_info = "1.3.6.1.4.1.311.2.1.30";
constexpr std::string_view spc_nested_signature = "1.3.6.1.4.1.311.2.4.1";
constexpr std::string_view ms_rfc3161_timestamp = "1.3.6.1.4.1.311.3.3.1";
constexpr std::string_view ms_ctl = "1.3.6.1.4.1.311.10.1";             // catalog content
constexpr std::string_view counter_signature = "1.2.840.113549.1.9.6";  // legacy timestamps
}  // namespace oids

// ---- the data attribute (SpcAttributeTypeAndOptionalValue) ------------------------------------

// SpcAttributeTypeAndOptionalValue { type, value } with `value` a complete encoding.
der::Bytes data_attribute(std::string_view type_oid, std::span<const uint8_t> value);
// PE files: { SPC_PE_IMAGE_DATA, SpcPeImageData { flags '', file [0] SpcLink file "<<<Obsolete>>>" } }.
der::Bytes pe_image_data_attribute();
// CAB files: { SPC_CAB_DATA, SpcLink file "<<<Obsolete>>>" }.
der::Bytes cab_data_attribute();
// MSI and scripts: { SPC_SIPINFO, SpcSipInfo { version, guid, 0, 0, 0, 0, 0 } }; `guid` is the
// 16 bytes as they appear in the encoding.
der::Bytes sip_info_attribute(int64_t version, std::span<const uint8_t, 16> guid);

// SpcIndirectDataContent { data, messageDigest DigestInfo { alg (NULL params), digest } }.
der::Bytes indirect_data_content(std::span<const uint8_t> data_attribute, io::HashAlg alg,
                                 std::span<const uint8_t> file_digest);

// ---- signing -----------------------------------------------------------------------------------

struct SignOptions {
  io::HashAlg hash = io::HashAlg::sha256;   // digest of the file and of the signed attributes
  RsaPadding padding = RsaPadding::pkcs1;   // PKCS#1 v1.5 is what Windows expects
  std::string description;                  // SpcSpOpusInfo.programName (signtool /d)
  std::string description_url;              // SpcSpOpusInfo.moreInfo (signtool /du)
  std::optional<std::time_t> signing_time;  // signingTime attribute; signtool omits it
  timestamp::ClientOptions timestamp;       // RFC 3161 TSAs; no URLs: no timestamp
};

// An Authenticode signature (DER ContentInfo { signedData }) over a file whose format-specific
// digest (with options.hash) is `file_digest`: SignedData version 1, eContent
// SpcIndirectDataContent, signed attributes contentType, messageDigest (hash of the eContent's
// content octets), SpcSpOpusInfo and SpcStatementType (individual code signing), certificates
// = signer.certificates(); an RFC 3161 token over the signature value as unsigned attribute
// 1.3.6.1.4.1.311.3.3.1 when options.timestamp.urls is non-empty. Throws io::Error.
der::Bytes sign(const Signer& signer, std::span<const uint8_t> data_attribute,
                std::span<const uint8_t> file_digest, const SignOptions& options);

// The same SignedData shape over any eContent (the catalog's CTL, eContentType
// 1.3.6.1.4.1.311.10.1). `econtent` is the complete encoding placed in [0] EXPLICIT.
der::Bytes sign_content(const Signer& signer, std::string_view content_type,
                        std::span<const uint8_t> econtent, const SignOptions& options);

// The primary signature with `nested` (a DER ContentInfo from sign()) added as a value of the
// SPC_NESTED_SIGNATURE unsigned attribute of its first SignerInfo (after any nested signatures it
// already holds). Every other byte of `primary` is kept. Throws io::Error if `primary` is not a
// SignedData.
der::Bytes add_nested_signature(std::span<const uint8_t> primary, std::span<const uint8_t> nested);

// ---- inspection --------------------------------------------------------------------------------

struct TimestampInfo {
  std::string kind;  // "RFC 3161" or "legacy countersignature"
  std::time_t time = 0;
  std::string time_text;  // "2026-11-02T10:11:12Z"
  std::string signer;     // TSA subject
  der::Bytes token;       // RFC 3161: the token (ContentInfo); legacy: the countersignature SignerInfo
  std::vector<CertDer> certificates;  // RFC 3161: the token's; legacy: the outer SignedData's
};

struct SignatureInfo {
  size_t index = 0;                 // 0 = primary, then nested signatures in document order (depth first)
  der::Bytes content_info;          // this signature alone (DER ContentInfo)
  std::string content_type;         // eContentType
  der::Bytes econtent;              // complete eContent encoding (SpcIndirectDataContent for files)
  std::string digest_name;          // SignerInfo digest algorithm: "sha256", "md5", or the OID
  std::optional<io::HashAlg> hash;  // nullopt when unsupported
  der::Bytes data_attribute;        // SpcIndirectDataContent.data (empty for other content types)
  std::optional<io::HashAlg> indirect_hash;   // SpcIndirectDataContent digest algorithm
  std::vector<uint8_t> indirect_digest;       // the file digest the signature claims
  std::vector<CertDer> certificates;          // SignedData.certificates
  std::optional<CertDer> signer_certificate;  // matched by issuerAndSerialNumber / subjectKeyId
  std::string signer;                         // its subject ("" when absent)
  std::string program_name;                   // SpcSpOpusInfo, when present
  std::string more_info;
  std::vector<uint8_t> signature_value;    // SignerInfo.signature
  std::optional<TimestampInfo> timestamp;  // parsed, not yet verified
};

// Every signature of a DER ContentInfo: the primary one, then its nested ones. Throws io::Error
// naming `name` when the bytes are not a well-formed SignedData.
std::vector<SignatureInfo> parse(std::span<const uint8_t> content_info,
                                 const std::string& name = "signature");

// ---- verification ------------------------------------------------------------------------------

struct VerifyOptions {
  std::vector<CertDer> anchors;      // signer chains; empty: chain not checked (said in detail)
  std::vector<CertDer> tsa_anchors;  // TSA chains; empty: `anchors` are used
  std::optional<std::time_t> now;    // for tests; default the current time
  int min_rsa_bits = 2048;           // weaker RSA keys are rejected
};

struct Verdict {
  size_t index = 0;  // as SignatureInfo::index
  // kind "Authenticode" (or "Authenticode nested #N"), signer, digest ("sha256"); valid only when
  // everything checked out; detail: the first failure, or trust notes.
  VerifyResult result;
  std::optional<TimestampInfo> timestamp;
  bool timestamp_valid = false;
  std::string timestamp_detail;  // why the timestamp is invalid, "" when valid or absent
};

// The file's Authenticode digest with a given algorithm (formats: authenticode_digest(alg)).
using DigestFn = std::function<std::vector<uint8_t>(io::HashAlg)>;

// Checks one signature: supported digest algorithm and key size, the messageDigest attribute,
// the signature over the signed attributes, the SpcIndirectDataContent digest against
// `file_digest` (skipped with a note when null or for non-SPC content), the timestamp (token
// signature, imprint over the signature value, TSA chain), and the signer chain to the anchors:
// at the timestamp's time when the timestamp is valid, else now (an expired certificate without a
// valid timestamp fails). Never throws for a bad signature; io errors from `file_digest` do throw.
Verdict verify_one(const SignatureInfo& sig, const DigestFn& file_digest, const VerifyOptions& options);

// parse() then verify_one() for each. A malformed signature yields one invalid verdict.
std::vector<Verdict> verify(std::span<const uint8_t> content_info, const DigestFn& file_digest,
                            const VerifyOptions& options);

// One line for reports: "CN=..., sha256, timestamp 2026-11-02T10:11:12Z by CN=Test TSA, trusted"
// or "..., not timestamped, FAILED: digest mismatch".
std::string describe(const Verdict& v);

}  // namespace signet::crypto::authenticode
