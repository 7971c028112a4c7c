// <xml-file>: an XML document up to 2 MB. Not a container; exposes the root element's local name
// and namespace URI for the root-element-name / root-element-namespace restrictions.
#include "formats/factories.hpp"
#include "formats/xml/xml_doc.hpp"

namespace signet::formats {

namespace {

class OpenedXml : public OpenedFile {
 public:
  OpenedXml(std::string root_name, std::string root_namespace)
      : root_name_(std::move(root_name)), root_namespace_(std::move(root_namespace)) {}

  std::optional<std::string> metadata(std::string_view key) const override {
    if (key == "root-element-name") return root_name_;
    if (key == "root-element-namespace") return root_namespace_;
    return std::nullopt;
  }

 private:
  std::string root_name_;
  std::string root_namespace_;
};

class XmlFormat : public Format {
 public:
  std::string_view element() const override { return "xml-file"; }
  std::unique_ptr<OpenedFile> open(io::SourcePtr bytes, const Limits&) const override {
    const std::string name = bytes->name();
    auto data = xml::read_limited(*bytes, name);
    auto doc = xml::parse(data, name);
    const xmlNode* root = xmlDocGetRootElement(doc.get());
    return std::make_unique<OpenedXml>(xml::local_name(root), xml::namespace_uri(root));
  }
};

}  // namespace

const Format& xml_format() {
  static const XmlFormat format;
  return format;
}

}  // namespace signet::formats
