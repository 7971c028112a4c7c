// Safe libxml2 parsing of a configuration and exact source positions of its elements and
// attributes. Internal to the config layer.
#pragma once
#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/error.hpp"

namespace signet::config::detail {

inline constexpr size_t kMaxConfigurationSize = 4 * 1024 * 1024;

struct XmlDocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

// Parses without network, DTDs or entity expansion (a DOCTYPE is rejected outright), at most
// kMaxConfigurationSize bytes, UTF-8 only. Throws io::Error at the first problem, located at
// `name`:line:col.
XmlDocPtr parse_xml(std::string_view text, const std::string& name);

// Positions of every start tag and attribute name in the raw text, matched to the parsed nodes
// by document order (libxml2 only records a node's line, and for a multi-line start tag the
// line of its end). Columns count characters from 1.
class SourceMap {
 public:
  SourceMap(std::string_view text, const xmlDoc* doc, std::string file);
  io::Location element(const xmlNode* node) const;  // the '<' of its start tag
  // The attribute's name inside the start tag (qualified name as written); the element if absent.
  io::Location attribute(const xmlNode* element, std::string_view qname) const;
  const std::string& file() const { return file_; }

 private:
  struct Tag {
    size_t offset = 0;
    std::vector<std::pair<std::string, size_t>> attributes;  // qname, offset
  };
  io::Location at(size_t offset) const;
  std::vector<Tag> scan(std::string_view text) const;

  std::string file_;
  std::string_view text_;
  std::vector<size_t> line_starts_;
  std::vector<Tag> tags_;
  std::unordered_map<const xmlNode*, size_t> index_;
};

// The qualified name of an attribute as written ("path", "xsi:schemaLocation").
std::string attribute_qname(const xmlAttr* a);
// An attribute's value (entity references are impossible without a DTD).
std::string attribute_value(const xmlAttr* a);
inline std::string_view to_sv(const xmlChar* s) {
  return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view();
}

}  // namespace signet::config::detail
