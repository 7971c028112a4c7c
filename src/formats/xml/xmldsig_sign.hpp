// Enveloped XML-DSig over a whole document, as SignPath's <xml-sign> produces it: Reference URI="",
// transforms enveloped-signature then exclusive C14N, SHA-256 digest, exclusive C14N of SignedInfo,
// rsa-sha256 or ecdsa-sha256, Signature appended as the root's last child. Only digests reach the
// Signer.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/signer.hpp"

namespace signet::formats::xml {

inline constexpr std::string_view kDsigNs = "http://www.w3.org/2000/09/xmldsig#";
inline constexpr std::string_view kExcC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";
inline constexpr std::string_view kEnvelopedSignature =
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
inline constexpr std::string_view kSha256 = "http://www.w3.org/2001/04/xmlenc#sha256";
inline constexpr std::string_view kRsaSha256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
inline constexpr std::string_view kEcdsaSha256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

// Which certificates go into KeyInfo/X509Data (<xml-sign key-info-x509-data="...">).
enum class KeyInfoX509 { none, leaf, whole_chain, exclude_root };

// "none" / "leaf" / "whole-chain" / "exclude-root"; false for anything else.
bool parse_key_info_x509(std::string_view value, KeyInfoX509& out);
std::string_view key_info_x509_name(KeyInfoX509 mode);

struct SignedXml {
  std::vector<uint8_t> bytes;    // the signed document
  std::string signature_method;  // "rsa-sha256" / "ecdsa-sha256"
};

// Sign `xml` (already size-checked by the caller). `name` is used in error messages.
// Throws io::Error for malformed XML, unsupported content (DTD entity references), a signer
// without certificate (unless mode is none) or an unsupported key type.
SignedXml sign_enveloped(std::span<const uint8_t> xml, const std::string& name, const crypto::Signer& signer,
                         KeyInfoX509 mode);

// DER ECDSA-Sig-Value -> r||s, each left-padded to `field_bytes` (XML-DSig's ECDSA encoding).
std::vector<uint8_t> ecdsa_der_to_raw(std::span<const uint8_t> der, size_t field_bytes);

}  // namespace signet::formats::xml
