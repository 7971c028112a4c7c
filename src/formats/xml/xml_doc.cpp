#include "formats/xml/xml_doc.hpp"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include <limits>
#include <mutex>

#include "io/error.hpp"

namespace signet::formats::xml {

namespace {

struct ParserCtxtDeleter {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};

// The first error libxml2 reports is the one worth showing; later ones are consequences.
struct FirstError {
  bool set = false;
  std::string message;
  int line = 0;
  int column = 0;
};

void collect_error(void* user_data, xmlErrorPtr error) {
  auto* ctxt = static_cast<xmlParserCtxt*>(user_data);
  auto* first = static_cast<FirstError*>(ctxt->_private);
  if (first == nullptr || first->set || error == nullptr || error->level < XML_ERR_ERROR) return;
  first->set = true;
  first->message = error->message != nullptr ? error->message : "parse error";
  while (!first->message.empty() && (first->message.back() == '\n' || first->message.back() == ' ')) {
    first->message.pop_back();
  }
  first->line = error->line;
  first->column = error->int2;
}

// Without XML_PARSE_NOENT entities stay references (no expansion, no XXE); without
// XML_PARSE_DTDLOAD / DTDATTR nothing external is read; without XML_PARSE_HUGE libxml2 keeps its
// depth and amplification limits.
constexpr int kParseOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

}  // namespace

DocPtr parse(std::span<const uint8_t> bytes, const std::string& name) {
  static std::once_flag init;
  std::call_once(init, xmlInitParser);  // its first call is not safe to race
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    throw io::Error("XML document too large", io::Location{name});
  }
  std::unique_ptr<xmlParserCtxt, ParserCtxtDeleter> ctxt(xmlNewParserCtxt());
  if (!ctxt) throw io::Error("out of memory creating the XML parser", io::Location{name});
  FirstError first;
  ctxt->_private = &first;
  ctxt->sax->serror = collect_error;  // per-context, so parallel parses do not share state
  DocPtr doc(xmlCtxtReadMemory(ctxt.get(), reinterpret_cast<const char*>(bytes.data()),
                               static_cast<int>(bytes.size()), name.c_str(), nullptr, kParseOptions));
  if (!doc || !ctxt->wellFormed || first.set) {
    if (!first.set) {
      const xmlError* last = xmlCtxtGetLastError(ctxt.get());
      if (last != nullptr && last->message != nullptr) {
        first.message = last->message;
        while (!first.message.empty() && first.message.back() == '\n') first.message.pop_back();
        first.line = last->line;
        first.column = last->int2;
      } else {
        first.message = "not well-formed";
      }
    }
    throw io::Error("malformed XML: " + first.message, io::Location{name, first.line, first.column});
  }
  if (xmlDocGetRootElement(doc.get()) == nullptr) {
    throw io::Error("malformed XML: no root element", io::Location{name});
  }
  return doc;
}

std::vector<uint8_t> read_limited(const io::Source& src, const std::string& name) {
  if (src.size() > kMaxXmlSize) {
    throw io::Error("XML file is " + std::to_string(src.size()) +
                        " bytes; the limit for <xml-file> is 2 MB (" + std::to_string(kMaxXmlSize) +
                        " bytes)",
                    io::Location{name});
  }
  return io::read_all(src, kMaxXmlSize);
}

std::string local_name(const xmlNode* node) {
  return node != nullptr && node->name != nullptr ? reinterpret_cast<const char*>(node->name) : "";
}

std::string namespace_uri(const xmlNode* node) {
  if (node == nullptr || node->ns == nullptr || node->ns->href == nullptr) return "";
  return reinterpret_cast<const char*>(node->ns->href);
}

bool has_entity_references(const xmlNode* node) {
  for (const xmlNode* n = node; n != nullptr; n = n->next) {
    if (n->type == XML_ENTITY_REF_NODE) return true;
    if (n->type == XML_ELEMENT_NODE) {
      for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
        if (has_entity_references(a->children)) return true;
      }
    }
    if (n->type != XML_ENTITY_DECL && n->type != XML_DTD_NODE && has_entity_references(n->children))
      return true;
  }
  return false;
}

}  // namespace signet::formats::xml
