// The XML schema of the artifact configuration language, embedded in the library at build time
// from schema/artifact-configuration-v1.xsd (so an installed binary needs no source tree).
#pragma once
#include <libxml/tree.h>

#include <string>
#include <string_view>
#include <vector>

namespace signet::config {

// The XSD text (targetNamespace http://signpath.io/artifact-configuration/v1), e.g. for a
// command that hands it to editors.
std::string_view artifact_configuration_xsd();

namespace detail {

struct SchemaIssue {
  const xmlNode* node = nullptr;  // the element (or attribute) libxml2 blames; may be null
  int line = 0;
  std::string message;  // libxml2's text with "{namespace}" prefixes removed
};

// Validates a parsed document against the embedded schema (compiled once per process).
std::vector<SchemaIssue> validate_against_schema(xmlDoc* doc);

}  // namespace detail
}  // namespace signet::config
