// <catalog-file>: see catalog.hpp. The file is read into memory (catalogs are small; a limit
// guards against anything else) and parsed strictly as DER:
//   ContentInfo { signedData, [0] SignedData { version, digestAlgorithms,
//     encapContentInfo { szOID_CTL, [0] CTL }, [0] certificates OPT, [1] crls OPT, signerInfos } }
#include "crypto/der.hpp"
#include "formats/catalog/catalog.hpp"
#include "formats/factories.hpp"
#include "io/error.hpp"

namespace signet::formats {

namespace {

namespace der = crypto::der;

constexpr uint64_t kMaxCatalog = 256ull << 20;
constexpr std::string_view kSignedDataOid = "1.2.840.113549.1.7.2";

struct Parsed {
  std::vector<uint8_t> ctl;  // whole TLV of the CTL
  size_t signers = 0;
};

// Parses a catalog's bytes; errors name `name`.
Parsed parse_catalog(std::span<const uint8_t> data, const std::string& name) {
  Parsed p;
  try {
    der::Reader top(data, "catalog");
    der::Reader ci = top.enter(der::tag::sequence);
    top.expect_end();
    if (der::decode_oid(ci.expect(der::tag::oid).content) != kSignedDataOid) {
      throw io::Error("not a security catalog: the file is not a PKCS#7 SignedData");
    }
    der::Reader outer = ci.enter(der::tag::ctx_cons(0));
    ci.expect_end();
    der::Reader sd = outer.enter(der::tag::sequence);
    outer.expect_end();
    sd.expect(der::tag::integer);
    sd.expect(der::tag::set);
    der::Reader encap = sd.enter(der::tag::sequence);
    std::string type = der::decode_oid(encap.expect(der::tag::oid).content);
    if (type != kCtlOid) {
      throw io::Error("not a security catalog: the signed content is " + type +
                      ", not a certificate trust list (" + std::string(kCtlOid) + ")");
    }
    der::Reader econtent = encap.enter(der::tag::ctx_cons(0));
    der::Tlv ctl = econtent.expect(der::tag::sequence);
    econtent.expect_end();
    encap.expect_end();
    p.ctl.assign(ctl.whole.begin(), ctl.whole.end());
    sd.optional(der::tag::ctx_cons(0));  // certificates
    sd.optional(der::tag::ctx_cons(1));  // crls
    der::Reader signer_infos = sd.enter(der::tag::set);
    sd.expect_end();
    while (!signer_infos.at_end()) {
      signer_infos.expect(der::tag::sequence);
      ++p.signers;
    }
  } catch (const io::Error& e) {
    throw io::Error(e.message(), io::Location{name});
  }
  return p;
}

class OpenedCatalog : public OpenedFile, public CatalogSignable {
 public:
  OpenedCatalog(io::SourcePtr src, std::vector<uint8_t> data, Parsed parsed)
      : src_(std::move(src)), data_(std::move(data)), parsed_(std::move(parsed)) {}

  const std::vector<uint8_t>& content() const override { return parsed_.ctl; }

  std::vector<uint8_t> content_digest(io::HashAlg alg) const override {
    der::Reader r(parsed_.ctl, "CTL");
    return io::digest(alg, r.next().content);
  }

  std::vector<uint8_t> signature() const override {
    return parsed_.signers > 0 ? data_ : std::vector<uint8_t>{};
  }

  io::SourcePtr embed(std::span<const uint8_t> signature, io::TempDir& /*temp*/) const override {
    Parsed p = parse_catalog(signature, src_->name() + " (new signature)");
    if (p.signers == 0)
      throw io::Error("the new catalog signature has no signer", io::Location{src_->name()});
    if (p.ctl != parsed_.ctl) {
      throw io::Error("the new catalog signature does not carry the catalog's certificate trust list",
                      io::Location{src_->name()});
    }
    return io::memory_source(std::vector<uint8_t>(signature.begin(), signature.end()), src_->name());
  }

 private:
  io::SourcePtr src_;
  std::vector<uint8_t> data_;
  Parsed parsed_;
};

class CatalogFormat : public Format {
 public:
  std::string_view element() const override { return "catalog-file"; }
  std::unique_ptr<OpenedFile> open(io::SourcePtr bytes, const Limits&) const override {
    auto data = io::read_all(*bytes, kMaxCatalog);
    Parsed parsed = parse_catalog(data, bytes->name());
    return std::make_unique<OpenedCatalog>(std::move(bytes), std::move(data), std::move(parsed));
  }
};

}  // namespace

const Format& catalog_format() {
  static const CatalogFormat format;
  return format;
}

}  // namespace signet::formats
