// <authenticode-sign>: an embedded Authenticode signature on any opened file that implements
// formats::AuthenticodeSignable (PE, CAB, MSI, catalog, scripts). append="true" nests the new
// signature into the existing primary one; otherwise existing signatures are replaced.
#include "crypto/authenticode.hpp"
#include "formats/authenticode.hpp"
#include "formats/catalog/catalog.hpp"
#include "io/error.hpp"
#include "methods/factories.hpp"

namespace signet::methods {

namespace {

constexpr std::string_view kName = "authenticode-sign";

bool unresolved(const std::string& v) {
  return v.find("${") != std::string::npos;
}

io::HashAlg parse_hash(const config::Attribute& a) {
  if (a.value == "sha1") return io::HashAlg::sha1;
  if (a.value == "sha256") return io::HashAlg::sha256;
  if (a.value == "sha384") return io::HashAlg::sha384;
  if (a.value == "sha512") return io::HashAlg::sha512;
  throw io::Error("hash-algorithm must be sha1, sha256, sha384 or sha512, not '" + a.value + "'", a.where);
}

bool parse_bool(const config::Attribute& a) {
  if (a.value == "true") return true;
  if (a.value == "false") return false;
  throw io::Error(a.name + " must be true or false, not '" + a.value + "'", a.where);
}

void check_url(const config::Attribute& a) {
  for (unsigned char c : a.value) {
    if (c >= 0x80 || c < 0x20) throw io::Error("description-url must be a plain ASCII URL", a.where);
  }
}

// Nests `sig` into the existing primary signature when appending (a file without one just gets
// `sig`), embeds the result and describes what was done. Works for AuthenticodeSignable and
// CatalogSignable alike: both expose signature() and embed().
template <class Signable>
Output embed_signature(const Signable& target, std::vector<uint8_t> sig, const std::string& what,
                       const crypto::authenticode::SignOptions& o, bool append, io::TempDir& temp) {
  bool nested = false;
  if (append) {
    std::vector<uint8_t> existing = target.signature();
    if (!existing.empty()) {
      sig = crypto::authenticode::add_nested_signature(existing, sig);
      nested = true;
    }
  }
  io::SourcePtr out = target.embed(sig, temp);
  std::string description = what + " " + std::string(io::hash_alg_name(o.hash));
  if (nested) description += ", appended as nested signature";
  description += o.timestamp.urls.empty() ? ", not timestamped" : ", RFC 3161 timestamp";
  return Output{std::move(out), "", std::move(description)};
}

// Runs `sign`; an io::Error from the formats or crypto layers that names no file gets `at`.
template <class F>
Output located(const io::Location& at, F&& sign) {
  try {
    return sign();
  } catch (const io::Error& e) {
    if (!e.where().file.empty()) throw;
    throw io::Error(e.message(), at);
  }
}

// ---- security catalogs (formats/catalog/catalog.hpp) -------------------------------------------
// A catalog is itself the SignedData: the new signature wraps the catalog's own CTL (no file
// digest, no SpcIndirectDataContent) and becomes the whole file.
Output sign_catalog(const formats::CatalogSignable& catalog, const crypto::Signer& signer,
                    const crypto::authenticode::SignOptions& o, bool append, io::TempDir& temp,
                    const io::Location& at) {
  return located(at, [&] {
    std::vector<uint8_t> sig =
        crypto::authenticode::sign_content(signer, catalog.content_type(), catalog.content(), o);
    return embed_signature(catalog, std::move(sig), "Authenticode catalog", o, append, temp);
  });
}

class AuthenticodeSign final : public Method {
 public:
  explicit AuthenticodeSign(const config::Directive& d) : where_(d.where) {
    for (const auto& a : d.attributes) {
      if (a.name == "hash-algorithm") {
        hash_ = a;
        if (!unresolved(a.value)) parse_hash(a);
      } else if (a.name == "description") {
        description_ = a;
      } else if (a.name == "description-url") {
        url_ = a;
        if (!unresolved(a.value)) check_url(a);
      } else if (a.name == "append") {
        append_ = a;
        if (!unresolved(a.value)) parse_bool(a);
      } else {
        throw io::Error("unknown attribute '" + a.name + "' on <authenticode-sign>", a.where);
      }
    }
  }

  std::string_view directive() const override { return kName; }
  Category category() const override { return Category::embedded; }
  KeyNeed key_need() const override { return KeyNeed::x509; }

  Output apply(const Input& in, const Context& ctx) const override {
    const io::Location at{in.path};
    if (!ctx.x509) throw io::Error("<authenticode-sign> needs an X.509 signing key: pass --key", where_);
    const auto* file = dynamic_cast<const formats::AuthenticodeSignable*>(in.opened);
    const auto* catalog = dynamic_cast<const formats::CatalogSignable*>(in.opened);  // see sign_catalog
    if (!file && !catalog) {
      throw io::Error("<authenticode-sign> cannot sign this file: its format has no Authenticode signature",
                      at);
    }
    const bool append = append_ && parse_bool(*append_);
    if (append && !(file ? file->supports_append() : catalog->supports_append())) {
      throw io::Error("append=\"true\" is not supported for this file type (only PE, CAB and catalog files)",
                      append_->where);
    }
    if (!ctx.temp) throw io::Error("internal: no temporary directory for the signed file", at);

    crypto::authenticode::SignOptions o;
    o.hash = hash_ ? parse_hash(*hash_) : io::HashAlg::sha256;
    if (description_) o.description = description_->value;
    if (url_) {
      check_url(*url_);
      o.description_url = url_->value;
    }
    o.timestamp.urls = ctx.timestamp_urls;
    if (catalog) return sign_catalog(*catalog, *ctx.x509, o, append, *ctx.temp, at);

    return located(at, [&] {
      std::vector<uint8_t> digest = file->authenticode_digest(o.hash);
      std::vector<uint8_t> sig =
          crypto::authenticode::sign(*ctx.x509, file->indirect_data_attribute(), digest, o);
      return embed_signature(*file, std::move(sig), "Authenticode", o, append, *ctx.temp);
    });
  }

 private:
  io::Location where_;
  std::optional<config::Attribute> hash_;
  std::optional<config::Attribute> description_;
  std::optional<config::Attribute> url_;
  std::optional<config::Attribute> append_;
};

}  // namespace

std::unique_ptr<Method> make_authenticode_sign(const config::Directive& d) {
  return std::make_unique<AuthenticodeSign>(d);
}

}  // namespace signet::methods
