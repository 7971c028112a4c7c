// The semantic pass over a parsed configuration: checks every rule of the language with a
// precise message and location, expands sets and substitutes parameters. Internal.
#pragma once
#include <libxml/tree.h>

#include <set>
#include <string>
#include <vector>

#include "config/language.hpp"
#include "config/model.hpp"
#include "config/params.hpp"
#include "config/xml.hpp"

namespace signet::config::detail {

// Every problem found, and the elements they were reported on (so a schema error on the same
// element is known to be covered).
class Diagnostics {
 public:
  explicit Diagnostics(const SourceMap& map) : map_(map) {}
  void at_element(const xmlNode* n, std::string message);
  void at_attribute(const xmlNode* element, const xmlAttr* a, std::string message);
  void add(io::Error e) { errors_.push_back(std::move(e)); }
  const std::vector<io::Error>& errors() const { return errors_; }
  const std::set<const xmlNode*>& flagged() const { return flagged_; }

 private:
  const SourceMap& map_;
  std::vector<io::Error> errors_;
  std::set<const xmlNode*> flagged_;
};

class Loader {
 public:
  Loader(const SourceMap& map, const LoadOptions& options, Diagnostics& diag)
      : map_(map), options_(options), diag_(diag) {}
  ArtifactConfiguration run(const xmlNode* root);

 private:
  struct Ctx {
    std::string_view container;  // nearest enclosing container other than <directory>; "" at the root
    std::string where;           // "<msi-file>" or "<for-each> of <pe-file-set>", for messages
    bool root = false;           // the element is the root file element
  };
  struct Value {
    std::string text;
    bool unresolved = false;
    bool from_parameter = false;
    std::string raw;
  };

  std::vector<const xmlNode*> children(const xmlNode* n);
  bool check_namespace(const xmlNode* n);
  std::optional<Value> read(const xmlNode* element, const xmlAttr* a);
  Attribute attribute(const xmlNode* element, const xmlAttr* a, const Value& v) const;
  void unknown_attribute(const xmlNode* element, const xmlAttr* a,
                         const std::vector<std::string_view>& allowed);
  void unknown_element(const xmlNode* n, std::string_view parent);

  void parameters(const xmlNode* n);
  void root_attributes(const xmlNode* root);
  void root_element(const xmlNode* n, Element& out);

  bool match_attribute(const xmlNode* n, const xmlAttr* a, uint64_t& min, std::optional<uint64_t>& max,
                       const xmlAttr*& min_attr);
  bool restriction_attribute(const xmlNode* n, const xmlAttr* a, const lang::KindSpec& k,
                             std::vector<Attribute>& restrictions);
  void check_min_max(const xmlNode* n, const xmlAttr* min_attr, uint64_t min,
                     const std::optional<uint64_t>& max);
  void path_attribute(const xmlNode* n, const xmlAttr* a, bool root, std::optional<std::string>& path);

  void element(const xmlNode* n, const lang::KindSpec& k, const Ctx& ctx, std::vector<Element>& out);
  void set(const xmlNode* n, const lang::KindSpec& k, const Ctx& ctx, std::vector<Element>& out);
  void content(const xmlNode* parent, const lang::KindSpec& k, const Ctx& ctx, Element& into);
  std::optional<Directive> directive(const xmlNode* n, const lang::DirectiveSpec& d,
                                     const lang::KindSpec& owner, const Ctx& ctx);
  void placement(const xmlNode* n, const lang::KindSpec& k, const Ctx& ctx);

  const SourceMap& map_;
  const LoadOptions& options_;
  Diagnostics& diag_;
  ParameterValues params_;
};

// Edit-distance suggestion among candidates ("" if none is close).
std::string suggest(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace signet::config::detail
