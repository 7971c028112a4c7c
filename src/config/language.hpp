// The artifact configuration language as data (SIGNPATH.md §1.4–1.13): file elements, the
// directives each allows, directive attributes and their fixed values, metadata restrictions.
// schema/artifact-configuration-v1.xsd describes the same language for editors; the loader's
// semantic checks are driven by these tables. Internal to the config layer.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace signet::config::lang {

inline constexpr std::string_view kNamespace = "http://signpath.io/artifact-configuration/v1";
inline constexpr std::string_view kXsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";

enum class Category {
  embedded,   // file replaced by its signed version
  enveloped,  // new file = original + signature
  detached,   // new file = signature only
  verify,     // checks an existing signature
  other,      // clickonce-sign
  provenance  // include-in-provenance, create-provenance-file and its parts
};

enum class Check { text, non_empty, count, token };

struct AttrSpec {
  std::string_view name;
  bool required = false;
  std::vector<std::string_view> values;  // the fixed values; empty = free
  Check check = Check::text;
};

struct DirectiveSpec {
  std::string_view name;
  Category category;
  std::vector<AttrSpec> attributes;
  std::vector<std::string_view> children;  // nested directives (SLSA provenance only)
  const AttrSpec* find(std::string_view attribute) const;
  bool is_sign() const { return category != Category::verify && category != Category::provenance; }
};

struct KindSpec {
  std::string_view name;  // "pe-file", ..., "file", "directory"
  bool container = false;
  std::vector<std::string_view> directives;  // allowed directly on the element / in its for-each
  std::string_view restrictions;             // restriction group: "pe", "msi", "xml" or ""
};

const std::vector<KindSpec>& kinds();
const KindSpec* find_kind(std::string_view element);      // a file element or "directory"
const KindSpec* find_set_kind(std::string_view element);  // "pe-file-set" -> the pe-file spec
const DirectiveSpec* find_directive(std::string_view element);

// Metadata restrictions: the group an attribute belongs to ("" if none), its canonical name
// (legacy camelCase mapped), and the elements that accept a group (for messages).
std::string_view restriction_group(std::string_view attribute);
std::string_view canonical_restriction(std::string_view attribute);
std::string_view restriction_hosts(std::string_view group);

// Every element name of the language, for "did you mean" suggestions.
std::vector<std::string> element_names();

// "a, b or c"
std::string join_alternatives(const std::vector<std::string_view>& items, std::string_view decorate_open = "",
                              std::string_view decorate_close = "");

}  // namespace signet::config::lang
