// <catalog-file>: a security catalog (.cat) is itself a PKCS#7 SignedData whose content is a
// certificate trust list (CTL, szOID_CTL 1.3.6.1.4.1.311.10.1) listing the hashes of the files it
// covers. Signing it hashes no file bytes: a new SignedData is built around the same CTL
// (eContentType szOID_CTL, eContent the CTL itself (not wrapped in an OCTET STRING, PKCS#7 v1.5
// style), messageDigest over the CTL's content octets, exactly as for SpcIndirectDataContent),
// and that SignedData, DER encoded, is the signed file.
//
// The catalog's OpenedFile implements CatalogSignable (not AuthenticodeSignable: there is no
// SpcIndirectDataContent); <authenticode-sign> finds it with dynamic_cast.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "io/file.hpp"
#include "io/hash.hpp"
#include "io/source.hpp"

namespace signet::formats {

constexpr std::string_view kCtlOid = "1.3.6.1.4.1.311.10.1";  // szOID_CTL

class CatalogSignable {
 public:
  virtual ~CatalogSignable() = default;
  // eContentType of the signature to build: szOID_CTL.
  virtual std::string_view content_type() const { return kCtlOid; }
  // DER of the eContent, the CTL SEQUENCE, exactly as it is in the file.
  virtual const std::vector<uint8_t>& content() const = 0;
  // The messageDigest: the hash of content()'s content octets (its value without tag and length).
  virtual std::vector<uint8_t> content_digest(io::HashAlg alg) const = 0;
  // The file (DER ContentInfo) when it carries at least one SignerInfo; empty when unsigned.
  // Nested signatures live in the primary's unsigned attribute 1.3.6.1.4.1.311.2.4.1.
  virtual std::vector<uint8_t> signature() const = 0;
  // The signed file: `signature` must be a DER ContentInfo of a SignedData with at least one
  // signer whose content is content(); it becomes the whole file. Throws io::Error otherwise.
  virtual io::SourcePtr embed(std::span<const uint8_t> signature, io::TempDir& temp) const = 0;
  // append="true" (SIGNPATH.md: pe, cab and catalog) nests the new signature in the existing one.
  virtual bool supports_append() const { return true; }
};

}  // namespace signet::formats
