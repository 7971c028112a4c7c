#include "config/schema.hpp"

#include <libxml/xmlschemas.h>

#include <memory>
#include <mutex>

#include "io/error.hpp"

namespace signet::config::detail {

namespace {

struct SchemaFree {
  void operator()(xmlSchema* s) const { xmlSchemaFree(s); }
};
struct ParserCtxtFree {
  void operator()(xmlSchemaParserCtxt* c) const { xmlSchemaFreeParserCtxt(c); }
};
struct ValidCtxtFree {
  void operator()(xmlSchemaValidCtxt* c) const { xmlSchemaFreeValidCtxt(c); }
};

std::string clean(const char* message) {
  std::string s = message ? message : "";
  // "Element '{http://signpath.io/artifact-configuration/v1}pe-file'" -> "Element 'pe-file'"
  for (size_t open; (open = s.find('{')) != std::string::npos;) {
    auto close = s.find('}', open);
    if (close == std::string::npos) break;
    s.erase(open, close - open + 1);
  }
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

extern "C" void collect(void* user, xmlError* e) {
  if (!e || e->level < XML_ERR_ERROR) return;
  auto* out = static_cast<std::vector<SchemaIssue>*>(user);
  out->push_back(SchemaIssue{static_cast<const xmlNode*>(e->node), e->line, clean(e->message)});
}

// The compiled schema is immutable and shared by every validation (libxml2 allows concurrent
// validation contexts over one schema).
xmlSchema* compiled_schema() {
  static std::unique_ptr<xmlSchema, SchemaFree> schema;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    auto text = artifact_configuration_xsd();
    std::unique_ptr<xmlSchemaParserCtxt, ParserCtxtFree> pctxt(
        xmlSchemaNewMemParserCtxt(text.data(), static_cast<int>(text.size())));
    std::vector<SchemaIssue> issues;
    if (pctxt) {
      xmlSchemaSetParserStructuredErrors(pctxt.get(), collect, &issues);
      schema.reset(xmlSchemaParse(pctxt.get()));
    }
    if (!schema) {
      failure = issues.empty() ? "unknown error"
                               : "line " + std::to_string(issues[0].line) + ": " + issues[0].message;
    }
  });
  if (!schema)
    throw io::Error("internal error: the embedded artifact configuration schema does not compile: " +
                    failure);
  return schema.get();
}

}  // namespace

std::vector<SchemaIssue> validate_against_schema(xmlDoc* doc) {
  std::vector<SchemaIssue> issues;
  std::unique_ptr<xmlSchemaValidCtxt, ValidCtxtFree> vctxt(xmlSchemaNewValidCtxt(compiled_schema()));
  if (!vctxt) throw io::Error("out of memory creating the schema validator");
  xmlSchemaSetValidStructuredErrors(vctxt.get(), collect, &issues);
  int rc = xmlSchemaValidateDoc(vctxt.get(), doc);
  if (rc != 0 && issues.empty())
    issues.push_back(SchemaIssue{nullptr, 0, "the document does not match the schema"});
  return issues;
}

}  // namespace signet::config::detail
