// Safe libxml2 parsing shared by <xml-file>, <xml-sign> and XML-DSig verification: no network,
// no DTD loading, no entity substitution, libxml2's default (non-huge) limits, and parse errors
// reported as io::Error with the file's line:col.
#pragma once
#include <libxml/tree.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/source.hpp"

namespace signet::formats::xml {

// SignPath's documented size limit for <xml-file>.
inline constexpr uint64_t kMaxXmlSize = 2ull << 20;

struct DocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocDeleter>;

// libxml2 strings (xmlChar* returned by xmlGetProp, xmlNodeGetContent, ...).
struct XmlCharDeleter {
  void operator()(xmlChar* p) const { xmlFree(p); }
};
using XmlCharPtr = std::unique_ptr<xmlChar, XmlCharDeleter>;

// Parse a document; `name` is used for messages and as the base URL (never fetched).
// Throws io::Error{"malformed XML: <libxml2 message>", {name, line, col}}.
DocPtr parse(std::span<const uint8_t> bytes, const std::string& name);

// All bytes of an <xml-file>, refusing more than kMaxXmlSize (error names the file and the limit).
std::vector<uint8_t> read_limited(const io::Source& src, const std::string& name);

// The node's local name / namespace URI as std::string ("" when absent).
std::string local_name(const xmlNode* node);
std::string namespace_uri(const xmlNode* node);

// True when the document still contains entity references (&name; of a DTD-declared entity),
// which are neither expanded (security) nor canonicalizable.
bool has_entity_references(const xmlNode* node);

}  // namespace signet::formats::xml
