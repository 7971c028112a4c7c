// The typed model of a SignPath artifact configuration (namespace
// http://signpath.io/artifact-configuration/v1) after parsing, validation, set expansion and
// parameter substitution. ${file.name} is the only placeholder left in attribute values; the
// engine resolves it per matched file (see substitute_file_name).
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/error.hpp"

namespace signet::config {

using io::Location;

struct Attribute {
  std::string name;   // as written, e.g. "hash-algorithm"
  std::string value;  // parameters substituted (except ${file.name})
  Location where;     // of the attribute itself (file:line:col)
};

// A directive element such as <create-cms-signature .../> or <authenticode-verify/>.
struct Directive {
  std::string name;
  std::vector<Attribute> attributes;
  std::vector<Directive> children;  // nested directives (SLSA provenance only)
  Location where;
  const Attribute* find(std::string_view attribute) const;
};

// A file element (<zip-file>, <pe-file>, <file>, ...) or <directory>. Sets are expanded: a
// <pe-file-set> with two includes becomes two <pe-file> elements whose `where` is the <include>.
struct Element {
  std::string kind;                  // "zip-file", "pe-file", "directory", "file", ...
  std::optional<std::string> path;   // pattern; absent only on the root element
  uint64_t min_matches = 1;
  std::optional<uint64_t> max_matches = 1;  // nullopt = unbounded
  // Metadata restrictions, canonical kebab-case names ("product-name", "subject",
  // "root-element-name", ...), values substituted. Legacy camelCase spellings are mapped.
  std::vector<Attribute> restrictions;
  // Other attributes of the element (e.g. "ui-multifile-upload"), by name.
  std::map<std::string, Attribute> options;
  std::vector<Directive> directives;  // document order
  std::vector<Element> children;      // nested file elements and directories (containers only)
  Location where;                     // the element, or the <include> that produced it
  std::string label;                  // for messages: "<pe-file path=\"a.exe\">" or "<pe-file-set> include \"a.exe\""
};

struct Parameter {
  std::string name;
  std::optional<std::string> default_value;
  bool required = false;
  Location where;
};

struct ArtifactConfiguration {
  std::string file;  // the configuration's file name, for messages
  std::vector<Parameter> parameters;
  std::map<std::string, std::string> parameter_values;  // effective values after --param/defaults
  Element root;
};

struct LoadOptions {
  std::map<std::string, std::string> parameters;  // --param NAME=VALUE
  // When false (config validate), a required parameter without value is not an error and its
  // ${name} references are left unresolved for value checks.
  bool require_parameters = true;
};

// Parse, validate (XSD + semantic rules), expand sets, substitute parameters.
// Throws io::ErrorList with every problem found (each "file:line:col: message").
ArtifactConfiguration load_file(const std::filesystem::path& path, const LoadOptions& options = {});
ArtifactConfiguration load_string(std::string_view xml, const std::string& name, const LoadOptions& options = {});

// Replace ${file.name} in a value with the matched file's name (extension included).
std::string substitute_file_name(std::string_view value, std::string_view file_name);

}  // namespace signet::config
