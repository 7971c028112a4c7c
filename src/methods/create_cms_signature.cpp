// <create-cms-signature>: a detached CMS (PKCS#7) SignedData over the file, PEM or DER, added
// beside the file. Signet hashes the file once and builds the SignedData itself.
#include <ctime>
#include <optional>

#include "config/model.hpp"
#include "crypto/cms.hpp"
#include "io/error.hpp"
#include "io/hash.hpp"
#include "methods/factories.hpp"

namespace signet::methods {

namespace {

constexpr std::string_view kName = "create-cms-signature";

// Values holding an unresolved ${parameter} (`config validate` without values) are checked when
// the method is applied instead.
bool unresolved(const std::string& v) {
  return v.find("${") != std::string::npos;
}

io::HashAlg parse_hash(const config::Attribute* a) {
  if (!a) return io::HashAlg::sha256;  // the default since SignPath 1.179
  if (a->value == "sha256") return io::HashAlg::sha256;
  if (a->value == "sha384") return io::HashAlg::sha384;
  if (a->value == "sha512") return io::HashAlg::sha512;
  throw io::Error("hash-algorithm must be sha256, sha384 or sha512, not '" + a->value + "'", a->where);
}

std::optional<crypto::RsaPadding> parse_padding(const config::Attribute* a) {
  if (!a) return std::nullopt;
  if (a->value == "pkcs1") return crypto::RsaPadding::pkcs1;
  if (a->value == "pss") return crypto::RsaPadding::pss;
  throw io::Error("rsa-padding must be pkcs1 or pss, not '" + a->value + "'", a->where);
}

bool parse_pem(const config::Attribute& a) {
  if (a.value == "pem") return true;
  if (a.value == "der") return false;
  throw io::Error("output-encoding must be pem or der, not '" + a.value + "'", a.where);
}

const config::Attribute* opt(const std::optional<config::Attribute>& a) {
  return a ? &*a : nullptr;
}

class CreateCmsSignature final : public Method {
 public:
  explicit CreateCmsSignature(const config::Directive& d) : where_(d.where) {
    for (const auto& a : d.attributes) {
      if (a.name != "output-file-name" && a.name != "output-encoding" && a.name != "hash-algorithm" &&
          a.name != "rsa-padding") {
        throw io::Error("unknown attribute '" + a.name + "' on <create-cms-signature>", a.where);
      }
    }
    const config::Attribute* out = d.find("output-file-name");
    if (!out) throw io::Error("<create-cms-signature>: output-file-name is required", d.where);
    if (out->value.empty()) throw io::Error("output-file-name must not be empty", out->where);
    output_ = *out;
    const config::Attribute* enc = d.find("output-encoding");
    if (!enc) throw io::Error("<create-cms-signature>: output-encoding is required (pem or der)", d.where);
    encoding_ = *enc;
    if (!unresolved(enc->value)) parse_pem(*enc);
    if (const auto* h = d.find("hash-algorithm")) {
      hash_ = *h;
      if (!unresolved(h->value)) parse_hash(h);
    }
    if (const auto* p = d.find("rsa-padding")) {
      padding_ = *p;
      if (!unresolved(p->value)) parse_padding(p);
    }
  }

  std::string_view directive() const override { return kName; }
  Category category() const override { return Category::detached; }
  KeyNeed key_need() const override { return KeyNeed::x509; }

  std::string output_file_name(std::string_view file_name) const override {
    std::string name = config::substitute_file_name(output_.value, file_name);
    if (name.empty()) throw io::Error("output-file-name resolves to an empty name", output_.where);
    return name;
  }

  Output apply(const Input& in, const Context& ctx) const override {
    if (!ctx.x509) throw io::Error("<create-cms-signature> needs an X.509 signing key: pass --key", where_);
    const crypto::Signer& signer = *ctx.x509;
    const bool pem = parse_pem(encoding_);
    const io::HashAlg hash = parse_hash(opt(hash_));
    std::optional<crypto::RsaPadding> padding = parse_padding(opt(padding_));
    if (signer.key_type() == crypto::KeyType::rsa && !padding) {
      throw io::Error("rsa-padding is required for RSA keys", where_);
    }
    const crypto::RsaPadding pad = padding.value_or(crypto::RsaPadding::pkcs1);

    std::vector<uint8_t> digest = io::digest(hash, *in.bytes);
    std::vector<uint8_t> sig = crypto::cms_sign_detached(signer, hash, digest, pad, std::time(nullptr));
    if (pem) {
      std::string text = crypto::cms_pem(sig);
      sig.assign(text.begin(), text.end());
    }
    std::string name = output_file_name(in.file_name);
    std::string scheme = signer.key_type() == crypto::KeyType::rsa
                             ? (pad == crypto::RsaPadding::pss ? "pss" : "pkcs1")
                             : "ecdsa";
    std::string description =
        "CMS signature " + std::string(io::hash_alg_name(hash)) + "/" + scheme + (pem ? ", PEM" : ", DER");
    return Output{io::memory_source(std::move(sig), name), name, std::move(description)};
  }

 private:
  io::Location where_;
  config::Attribute output_;
  config::Attribute encoding_;
  std::optional<config::Attribute> hash_;
  std::optional<config::Attribute> padding_;
};

}  // namespace

std::unique_ptr<Method> make_create_cms_signature(const config::Directive& d) {
  return std::make_unique<CreateCmsSignature>(d);
}

}  // namespace signet::methods
