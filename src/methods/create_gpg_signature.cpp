// <create-gpg-signature>: a detached OpenPGP v4 signature of the file, added beside it
// (SIGNPATH.md §1.11).
#include <ctime>

#include "crypto/openpgp/openpgp.hpp"
#include "methods/factories.hpp"

namespace signet::methods {

namespace {

namespace pgp = crypto::openpgp;

constexpr std::string_view kName = "create-gpg-signature";

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

class CreateGpgSignature : public Method {
 public:
  CreateGpgSignature(std::string name, pgp::Encoding enc, io::HashAlg alg, io::Location where)
      : name_(std::move(name)), enc_(enc), alg_(alg), where_(std::move(where)) {}

  std::string_view directive() const override { return kName; }
  Category category() const override { return Category::detached; }
  KeyNeed key_need() const override { return KeyNeed::openpgp; }

  // Leading and trailing blanks are dropped (SignPath's own example has " ${file.name}.dsse").
  std::string output_file_name(std::string_view file_name) const override {
    return trim(config::substitute_file_name(name_, file_name));
  }

  Output apply(const Input& in, const Context& ctx) const override {
    if (!ctx.pgp) throw io::Error("<create-gpg-signature> needs an OpenPGP key: pass --pgp-key", where_);
    if (!in.bytes) throw io::Error("<create-gpg-signature>: no input bytes for " + in.path, where_);
    auto sig = pgp::sign_detached(*ctx.pgp, *in.bytes, alg_, enc_, std::time(nullptr));
    Output out;
    out.file_name = output_file_name(in.file_name);
    out.bytes = io::memory_source(std::move(sig), out.file_name);
    out.description = "OpenPGP signature " + std::string(io::hash_alg_name(alg_)) + ", " +
                      (enc_ == pgp::Encoding::ascii_armored ? "ASCII-armored" : "binary") + ", key " +
                      ctx.pgp->fingerprint();
    return out;
  }

 private:
  std::string name_;
  pgp::Encoding enc_;
  io::HashAlg alg_;
  io::Location where_;
};

[[noreturn]] void bad(const config::Attribute& a, const std::string& why) {
  throw io::Error("<create-gpg-signature>: " + a.name + " " + why, a.where);
}

}  // namespace

std::unique_ptr<Method> make_create_gpg_signature(const config::Directive& d) {
  const config::Attribute* name = d.find("output-file-name");
  if (!name) throw io::Error("<create-gpg-signature>: the attribute output-file-name is required", d.where);
  std::string tmpl = trim(name->value);
  if (tmpl.empty()) bad(*name, "must not be empty");
  if (tmpl.find_first_of("/\\") != std::string::npos)
    bad(*name, "must be a file name, not a path: '" + tmpl + "'");

  pgp::Encoding enc = pgp::Encoding::ascii_armored;
  if (const auto* a = d.find("output-encoding")) {
    if (a->value == "binary") {
      enc = pgp::Encoding::binary;
    } else if (a->value != "ascii-armored") {
      bad(*a, "must be 'ascii-armored' or 'binary', not '" + a->value + "'");
    }
  }

  io::HashAlg alg = io::HashAlg::sha256;
  if (const auto* a = d.find("hash-algorithm")) {
    if (a->value == "sha256") {
      alg = io::HashAlg::sha256;
    } else if (a->value == "sha384") {
      alg = io::HashAlg::sha384;
    } else if (a->value == "sha512") {
      alg = io::HashAlg::sha512;
    } else {
      bad(*a, "must be sha256, sha384 or sha512, not '" + a->value + "'");
    }
  }

  if (const auto* a = d.find("version")) {
    if (a->value != "4")
      bad(*a, "must be 4 (only OpenPGP v4 signatures are supported), not '" + a->value + "'");
  }
  return std::make_unique<CreateGpgSignature>(tmpl, enc, alg, d.where);
}

}  // namespace signet::methods
