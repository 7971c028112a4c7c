// <xml-sign>: SignPath's fixed enveloped XML-DSig over the whole document (SIGNPATH.md §1.10).
// The XML work lives in formats/xml/xmldsig_sign; this directive validates its one attribute and
// feeds the file and the signer through.
#include "formats/xml/xml_doc.hpp"
#include "formats/xml/xmldsig_sign.hpp"
#include "methods/factories.hpp"

namespace signet::methods {

namespace {

class XmlSign : public Method {
 public:
  explicit XmlSign(formats::xml::KeyInfoX509 mode) : mode_(mode) {}
  std::string_view directive() const override { return "xml-sign"; }
  Category category() const override { return Category::embedded; }
  KeyNeed key_need() const override { return KeyNeed::x509; }

  Output apply(const Input& in, const Context& ctx) const override {
    const std::string& name = in.path.empty() ? in.file_name : in.path;
    if (!ctx.x509) {
      throw io::Error("<xml-sign> needs an X.509 signing key, but none is configured", io::Location{name});
    }
    auto bytes = formats::xml::read_limited(*in.bytes, name);
    auto signed_xml = formats::xml::sign_enveloped(bytes, name, *ctx.x509, mode_);
    Output out;
    out.bytes = io::memory_source(std::move(signed_xml.bytes), in.file_name);
    out.description = "XML-DSig enveloped " + signed_xml.signature_method + ", key info " +
                      std::string(formats::xml::key_info_x509_name(mode_));
    return out;
  }

 private:
  formats::xml::KeyInfoX509 mode_;
};

}  // namespace

std::unique_ptr<Method> make_xml_sign(const config::Directive& d) {
  auto mode = formats::xml::KeyInfoX509::leaf;
  for (const auto& a : d.attributes) {
    if (a.name != "key-info-x509-data") {
      throw io::Error("<xml-sign> has no attribute '" + a.name + "' (allowed: key-info-x509-data)", a.where);
    }
    if (!formats::xml::parse_key_info_x509(a.value, mode)) {
      throw io::Error(
          "key-info-x509-data must be none, leaf, whole-chain or exclude-root, not '" + a.value + "'",
          a.where);
    }
  }
  return std::make_unique<XmlSign>(mode);
}

}  // namespace signet::methods
