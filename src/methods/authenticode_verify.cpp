// <authenticode-verify>: the file must already carry valid Authenticode signatures chaining to
// the trust anchors (`signet sign --trust CA.pem`), with supported algorithms and either a valid
// timestamp or an unexpired signer certificate. Changes nothing; a failure rejects the run.
#include "crypto/authenticode.hpp"
#include "formats/authenticode.hpp"
#include "formats/pe/pe.hpp"
#include "io/error.hpp"
#include "methods/factories.hpp"

namespace signet::methods {

namespace {

class AuthenticodeVerify final : public Method {
 public:
  explicit AuthenticodeVerify(const config::Directive& d) : where_(d.where) {
    for (const auto& a : d.attributes) {
      throw io::Error("unknown attribute '" + a.name + "' on <authenticode-verify> (it takes none)", a.where);
    }
  }

  std::string_view directive() const override { return "authenticode-verify"; }
  Category category() const override { return Category::verify; }
  KeyNeed key_need() const override { return KeyNeed::none; }

  Output apply(const Input& in, const Context& ctx) const override {
    const io::Location at{in.path};
    const auto* file = dynamic_cast<const formats::AuthenticodeSignable*>(in.opened);
    if (!file) {
      throw io::Error("<authenticode-verify>: this file type carries no Authenticode signature", at);
    }
    if (ctx.trust_anchors.empty()) {
      throw io::Error("<authenticode-verify> needs trust anchors: pass --trust CA.pem", where_);
    }
    std::vector<std::vector<uint8_t>> signatures;
    if (const auto* table = dynamic_cast<const formats::pe::CertificateTable*>(in.opened)) {
      signatures = table->all_signatures();
    } else if (auto s = file->signature(); !s.empty()) {
      signatures.push_back(std::move(s));
    }
    if (signatures.empty()) throw io::Error("Authenticode verification failed: the file is not signed", at);

    crypto::authenticode::VerifyOptions o;
    o.anchors = ctx.trust_anchors;
    auto digest = [file](io::HashAlg alg) { return file->authenticode_digest(alg); };
    size_t count = 0;
    std::string summary;
    for (size_t t = 0; t < signatures.size(); ++t) {
      for (const auto& v : crypto::authenticode::verify(signatures[t], digest, o)) {
        std::string label =
            v.result.kind +
            (signatures.size() > 1 ? " (certificate entry " + std::to_string(t + 1) + ")" : "");
        if (!v.result.valid) {
          throw io::Error("Authenticode verification failed: " + label + " by " +
                              (v.result.signer.empty() ? std::string("an unknown signer") : v.result.signer) +
                              ": " + v.result.detail,
                          at);
        }
        ++count;
        if (summary.empty()) summary = crypto::authenticode::describe(v);
      }
    }
    std::string description = "Authenticode verified (" + std::to_string(count) + " signature" +
                              (count == 1 ? "" : "s") + "): " + summary;
    return Output{in.bytes, "", std::move(description)};
  }

 private:
  io::Location where_;
};

}  // namespace

std::unique_ptr<Method> make_authenticode_verify(const config::Directive& d) {
  return std::make_unique<AuthenticodeVerify>(d);
}

}  // namespace signet::methods
