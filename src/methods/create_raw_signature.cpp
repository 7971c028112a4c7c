// <create-raw-signature>: the bare RSA/ECDSA signature value over the file's digest, added beside
// the file (e.g. a Cosign payload signature).
#include <optional>

#include "config/model.hpp"
#include "crypto/raw_signature.hpp"
#include "io/error.hpp"
#include "io/hash.hpp"
#include "methods/factories.hpp"

namespace signet::methods {

namespace {

constexpr std::string_view kName = "create-raw-signature";

// Values holding an unresolved ${parameter} (`config validate` without values) are checked when
// the method is applied instead.
bool unresolved(const std::string& v) {
  return v.find("${") != std::string::npos;
}

io::HashAlg parse_hash(const config::Attribute& a) {
  if (a.value == "sha256") return io::HashAlg::sha256;
  if (a.value == "sha384") return io::HashAlg::sha384;
  if (a.value == "sha512") return io::HashAlg::sha512;
  throw io::Error("hash-algorithm must be sha256, sha384 or sha512, not '" + a.value + "'", a.where);
}

std::optional<crypto::RsaPadding> parse_padding(const config::Attribute* a) {
  if (!a) return std::nullopt;
  if (a->value == "pkcs1") return crypto::RsaPadding::pkcs1;
  if (a->value == "pss") return crypto::RsaPadding::pss;
  throw io::Error("rsa-padding must be pkcs1 or pss, not '" + a->value + "'", a->where);
}

class CreateRawSignature final : public Method {
 public:
  explicit CreateRawSignature(const config::Directive& d) : where_(d.where) {
    for (const auto& a : d.attributes) {
      if (a.name != "output-file-name" && a.name != "hash-algorithm" && a.name != "rsa-padding") {
        std::string hint = a.name == "file-name"
                               ? " (the legacy file-name is no longer accepted: use output-file-name)"
                               : "";
        throw io::Error("unknown attribute '" + a.name + "' on <create-raw-signature>" + hint, a.where);
      }
    }
    const config::Attribute* out = d.find("output-file-name");
    if (!out) throw io::Error("<create-raw-signature>: output-file-name is required", d.where);
    if (out->value.empty()) throw io::Error("output-file-name must not be empty", out->where);
    output_ = *out;
    const config::Attribute* hash = d.find("hash-algorithm");
    if (!hash) throw io::Error("<create-raw-signature>: hash-algorithm is required", d.where);
    hash_ = *hash;
    if (!unresolved(hash_.value)) parse_hash(hash_);
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
    if (!ctx.x509) throw io::Error("<create-raw-signature> needs an X.509 signing key: pass --key", where_);
    const crypto::Signer& signer = *ctx.x509;
    const io::HashAlg hash = parse_hash(hash_);
    std::optional<crypto::RsaPadding> padding = parse_padding(padding_ ? &*padding_ : nullptr);
    if (signer.key_type() == crypto::KeyType::rsa && !padding) {
      throw io::Error("rsa-padding is required for RSA keys", where_);
    }
    const crypto::RsaPadding pad = padding.value_or(crypto::RsaPadding::pkcs1);

    std::vector<uint8_t> digest = io::digest(hash, *in.bytes);
    std::vector<uint8_t> sig = crypto::raw_sign(signer, hash, digest, pad);
    std::string name = output_file_name(in.file_name);
    std::string scheme;
    switch (signer.key_type()) {
      case crypto::KeyType::rsa:
        scheme = pad == crypto::RsaPadding::pss ? "pss" : "pkcs1";
        break;
      case crypto::KeyType::ec:
        scheme = "ecdsa";
        break;
      case crypto::KeyType::ed25519:
        scheme = "ed25519";
        break;
    }
    std::string description = "raw signature " + std::string(io::hash_alg_name(hash)) + "/" + scheme;
    return Output{io::memory_source(std::move(sig), name), name, std::move(description)};
  }

 private:
  io::Location where_;
  config::Attribute output_;
  config::Attribute hash_;
  std::optional<config::Attribute> padding_;
};

}  // namespace

std::unique_ptr<Method> make_create_raw_signature(const config::Directive& d) {
  return std::make_unique<CreateRawSignature>(d);
}

}  // namespace signet::methods
