#include "config/loader.hpp"

#include <algorithm>
#include <charconv>

#include "config/path_pattern.hpp"

namespace signet::config::detail {

namespace {

std::string_view local_name(const xmlNode* n) {
  return to_sv(n->name);
}
std::string tag(std::string_view name) {
  return "<" + std::string(name) + ">";
}

bool is_xml_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string trim(std::string_view s) {
  while (!s.empty() && is_xml_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_xml_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::optional<uint64_t> parse_count(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool valid_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string label_of(std::string_view kind, const std::optional<std::string>& path) {
  return path ? "<" + std::string(kind) + " path=\"" + *path + "\">" : tag(kind);
}

}  // namespace

std::string suggest(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(name, c);
    // A known name that extends the typo ("authenticode-signing" for "authenticode-sign") counts too.
    if (name.starts_with(c) && c.size() >= 4) d = std::min(d, size_t{2});
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

void Diagnostics::at_element(const xmlNode* n, std::string message) {
  errors_.emplace_back(std::move(message), map_.element(n));
  flagged_.insert(n);
}

void Diagnostics::at_attribute(const xmlNode* element, const xmlAttr* a, std::string message) {
  errors_.emplace_back(std::move(message), map_.attribute(element, attribute_qname(a)));
  flagged_.insert(element);
}

// Element children of n; text other than whitespace is reported (the language has none).
std::vector<const xmlNode*> Loader::children(const xmlNode* n) {
  std::vector<const xmlNode*> out;
  for (const xmlNode* c = n->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      out.push_back(c);
    } else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      std::string text = trim(to_sv(c->content));
      if (!text.empty()) {
        if (text.size() > 40) text = text.substr(0, 37) + "...";
        diag_.at_element(n, "unexpected text '" + text + "' inside " + tag(local_name(n)) +
                                " (only elements and attributes are allowed)");
      }
    }
  }
  return out;
}

// A child must be in the parent's namespace; the root's namespace is checked by run().
bool Loader::check_namespace(const xmlNode* n) {
  auto ns = n->ns ? to_sv(n->ns->href) : std::string_view();
  auto parent_ns = n->parent && n->parent->type == XML_ELEMENT_NODE && n->parent->ns
                       ? to_sv(n->parent->ns->href)
                       : std::string_view();
  if (ns == parent_ns) return true;
  diag_.at_element(n, "element " + tag(local_name(n)) + " is in " +
                          (ns.empty() ? std::string("no namespace") : "namespace '" + std::string(ns) + "'") +
                          "; every element must be in " + std::string(lang::kNamespace));
  return false;
}

std::optional<Loader::Value> Loader::read(const xmlNode* element, const xmlAttr* a) {
  Value v;
  v.raw = trim(attribute_value(a));
  ParameterValues::Result r;
  if (auto err = params_.substitute(v.raw, r)) {
    diag_.at_attribute(element, a, "attribute '" + attribute_qname(a) + "': " + *err);
    return std::nullopt;
  }
  v.text = r.value;
  v.unresolved = r.unresolved;
  v.from_parameter = r.used_parameter;
  return v;
}

Attribute Loader::attribute(const xmlNode* element, const xmlAttr* a, const Value& v) const {
  return Attribute{std::string(to_sv(a->name)), v.text, map_.attribute(element, attribute_qname(a))};
}

void Loader::unknown_attribute(const xmlNode* element, const xmlAttr* a,
                               const std::vector<std::string_view>& allowed) {
  std::string name = attribute_qname(a);
  std::string msg = "unknown attribute '" + name + "' on " + tag(local_name(element));
  std::vector<std::string> candidates(allowed.begin(), allowed.end());
  if (auto s = suggest(name, candidates); !s.empty()) {
    msg += "; did you mean '" + s + "'?";
  } else if (allowed.empty()) {
    msg += " (it takes no attributes)";
  } else {
    msg += " (allowed: " + lang::join_alternatives(allowed) + ")";
  }
  diag_.at_attribute(element, a, msg);
}

void Loader::unknown_element(const xmlNode* n, std::string_view parent) {
  std::string msg = "unknown element " + tag(local_name(n)) + " in " + std::string(parent);
  if (auto s = suggest(local_name(n), lang::element_names()); !s.empty())
    msg += "; did you mean " + tag(s) + "?";
  diag_.at_element(n, msg);
}

ArtifactConfiguration Loader::run(const xmlNode* root) {
  ArtifactConfiguration cfg;
  if (local_name(root) != "artifact-configuration") {
    diag_.at_element(root, "the root element must be <artifact-configuration xmlns=\"" +
                               std::string(lang::kNamespace) + "\">, not " + tag(local_name(root)));
    return cfg;
  }
  auto ns = root->ns ? to_sv(root->ns->href) : std::string_view();
  if (ns.empty()) {
    diag_.at_element(root, "<artifact-configuration> has no namespace: add xmlns=\"" +
                               std::string(lang::kNamespace) + "\"");
  } else if (ns != lang::kNamespace) {
    diag_.at_element(root, "<artifact-configuration> is in namespace '" + std::string(ns) +
                               "'; expected exactly '" + std::string(lang::kNamespace) + "'");
  }
  root_attributes(root);

  auto kids = children(root);
  const xmlNode* parameters_node = nullptr;
  for (size_t i = 0; i < kids.size(); ++i) {
    if (local_name(kids[i]) != "parameters" || !check_namespace(kids[i])) continue;
    if (parameters_node) {
      diag_.at_element(kids[i], "<parameters> may appear only once");
    } else if (i != 0) {
      diag_.at_element(kids[i], "<parameters> must be the first child of <artifact-configuration>");
    }
    if (!parameters_node) parameters_node = kids[i];
    parameters(kids[i]);
  }
  for (auto& [message, where] :
       params_.resolve(options_, map_.element(parameters_node ? parameters_node : root))) {
    diag_.add(io::Error(message, where));
  }
  cfg.parameters = params_.declared();
  cfg.parameter_values = params_.values();

  const xmlNode* file_node = nullptr;
  bool misplaced = false;
  for (const xmlNode* c : kids) {
    auto name = local_name(c);
    if (name == "parameters" || !check_namespace(c)) continue;
    bool file_like = lang::find_kind(name) || lang::find_set_kind(name);
    if (!file_like) {
      misplaced = true;
      if (lang::find_directive(name) || name == "include" || name == "for-each" || name == "parameter" ||
          name == "artifact-configuration") {
        diag_.at_element(c, tag(name) +
                                " is not allowed directly in <artifact-configuration>: it holds an optional "
                                "<parameters> and one root file element");
      } else {
        unknown_element(c, "<artifact-configuration>");
      }
      continue;
    }
    if (file_node) {
      diag_.at_element(
          c, "a second root file element " + tag(name) + " (the first is " + tag(local_name(file_node)) +
                 " on line " + std::to_string(map_.element(file_node).line) +
                 "): a configuration describes exactly one artifact; use a <zip-file> root to sign "
                 "several files");
      continue;
    }
    file_node = c;
    root_element(c, cfg.root);
  }
  if (!file_node && !misplaced) {
    diag_.at_element(root,
                     "<artifact-configuration> needs exactly one root file element (such as <pe-file> or "
                     "<zip-file>) describing the artifact");
  }
  return cfg;
}

void Loader::root_attributes(const xmlNode* root) {
  for (const xmlAttr* a = root->properties; a; a = a->next) {
    if (a->ns && to_sv(a->ns->href) == lang::kXsiNamespace) continue;  // xsi:schemaLocation
    unknown_attribute(root, a, {});
  }
}

void Loader::parameters(const xmlNode* n) {
  for (const xmlAttr* a = n->properties; a; a = a->next) unknown_attribute(n, a, {});
  for (const xmlNode* c : children(n)) {
    if (!check_namespace(c)) continue;
    if (local_name(c) != "parameter") {
      diag_.at_element(c, tag(local_name(c)) +
                              " is not allowed in <parameters>; declare each parameter as "
                              "<parameter name=\"...\" default-value=\"...\" required=\"true\"/>");
      continue;
    }
    Parameter p;
    p.where = map_.element(c);
    bool named = false, ok = true;
    for (const xmlAttr* a = c->properties; a; a = a->next) {
      std::string name = a->ns ? attribute_qname(a) : std::string(to_sv(a->name));
      std::string value = trim(attribute_value(a));
      if (name == "name") {
        named = true;
        if (value == kFileNameParameter) {
          diag_.at_attribute(c, a, "parameter name 'file.name' is reserved for the built-in ${file.name}");
          ok = false;
        } else if (!valid_parameter_name(value)) {
          diag_.at_attribute(c, a,
                             "invalid parameter name '" + value +
                                 "': use letters, digits, '.', '-' and '_' (and at least one character)");
          ok = false;
        }
        p.name = value;
      } else if (name == "default-value") {
        p.default_value = value;
      } else if (name == "required") {
        if (value != "true" && value != "false") {
          diag_.at_attribute(c, a,
                             "invalid value '" + value +
                                 "' for attribute 'required' of <parameter>: expected "
                                 "true or false");
        }
        p.required = value == "true";
      } else {
        unknown_attribute(c, a, {"name", "default-value", "required"});
      }
    }
    if (!children(c).empty()) diag_.at_element(c, "<parameter> cannot contain elements");
    if (!named) {
      diag_.at_element(c, "<parameter> requires attribute 'name'");
    } else if (ok && !params_.declare(p)) {
      diag_.at_element(c, "parameter '" + p.name + "' is declared twice");
    }
  }
}

void Loader::root_element(const xmlNode* n, Element& out) {
  auto name = local_name(n);
  const auto* k = lang::find_kind(name);
  if (lang::find_set_kind(name)) {
    diag_.at_element(n, "a set (" + tag(name) +
                            ") cannot be the root element: the root is exactly one file "
                            "element; put the set inside a container such as <zip-file>");
    return;
  }
  if (name == "directory") {
    diag_.at_element(
        n,
        "<directory> cannot be the root element: the root is the artifact's file element (such as "
        "<zip-file>)");
    return;
  }
  std::vector<Element> built;
  Ctx ctx{"", "<artifact-configuration>", true};
  element(n, *k, ctx, built);
  if (!built.empty()) out = std::move(built.front());
}

bool Loader::match_attribute(const xmlNode* n, const xmlAttr* a, uint64_t& min, std::optional<uint64_t>& max,
                             const xmlAttr*& min_attr) {
  std::string_view name = to_sv(a->name);
  if (name == "max-occurences" || name == "max-occurs" || name == "min-occurs" || name == "min-occurences") {
    std::string right = name.starts_with("max") ? "max-matches" : "min-matches";
    diag_.at_attribute(n, a,
                       "'" + std::string(name) + "' is not supported: use '" + right + "'" +
                           (right == "max-matches" ? " (for example max-matches=\"unbounded\")" : ""));
    return true;
  }
  if (name != "min-matches" && name != "max-matches") return false;
  auto v = read(n, a);
  if (!v || v->unresolved) return true;
  std::string shown = "'" + v->text + "'" + (v->from_parameter ? " (from '" + v->raw + "')" : "");
  if (name == "min-matches") {
    min_attr = a;
    if (auto c = parse_count(v->text)) {
      min = *c;
    } else {
      diag_.at_attribute(n, a,
                         "invalid value " + shown + " for attribute 'min-matches' of " + tag(local_name(n)) +
                             ": expected a non-negative integer");
    }
  } else if (v->text == "unbounded") {
    max = std::nullopt;
  } else if (auto c = parse_count(v->text)) {
    max = *c;
  } else {
    diag_.at_attribute(n, a,
                       "invalid value " + shown + " for attribute 'max-matches' of " + tag(local_name(n)) +
                           ": expected a non-negative integer or 'unbounded'");
  }
  return true;
}

void Loader::check_min_max(const xmlNode* n, const xmlAttr* min_attr, uint64_t min,
                           const std::optional<uint64_t>& max) {
  if (!max || min <= *max) return;
  std::string msg = "min-matches (" + std::to_string(min) + ") is greater than max-matches (" +
                    std::to_string(*max) + (*max == 1 ? ", the default" : "") + ")";
  if (min_attr) {
    diag_.at_attribute(n, min_attr, msg);
  } else {
    diag_.at_element(n, msg);
  }
}

bool Loader::restriction_attribute(const xmlNode* n, const xmlAttr* a, const lang::KindSpec& k,
                                   std::vector<Attribute>& restrictions) {
  std::string_view name = to_sv(a->name);
  auto group = lang::restriction_group(name);
  if (group.empty()) return false;
  if (group != k.restrictions) {
    diag_.at_attribute(n, a,
                       "restriction '" + std::string(name) + "' is not allowed on " + tag(local_name(n)) +
                           ": it is allowed only on " + std::string(lang::restriction_hosts(group)));
    return true;
  }
  auto v = read(n, a);
  if (!v) return true;
  Attribute attr = attribute(n, a, *v);
  attr.name = std::string(lang::canonical_restriction(name));
  for (const auto& r : restrictions) {
    if (r.name == attr.name) {
      diag_.at_attribute(
          n, a,
          "restriction '" + attr.name + "' is given twice on " + tag(local_name(n)) +
              (name != attr.name ? " ('" + std::string(name) + "' is its legacy spelling)" : ""));
      return true;
    }
  }
  restrictions.push_back(std::move(attr));
  return true;
}

void Loader::path_attribute(const xmlNode* n, const xmlAttr* a, bool root, std::optional<std::string>& path) {
  auto v = read(n, a);
  if (!v) return;
  path = v->text;
  auto where = map_.attribute(n, "path");
  try {
    PathPattern::parse(v->text, where);
  } catch (const io::Error& e) {
    diag_.at_attribute(n, a, e.message());
    return;
  }
  if (root && v->text.find_first_of("/\\") != std::string::npos) {
    diag_.at_attribute(n, a,
                       "the root element's path '" + v->text +
                           "' cannot contain directories: it names the "
                           "artifact file itself");
  }
}

// A <file> (or <file-set>) only inside a <zip-file>, directly or via directories: its
// signatures are added to that ZIP.
void Loader::placement(const xmlNode* n, const lang::KindSpec& k, const Ctx& ctx) {
  if (k.name != "file" || ctx.container == "zip-file") return;
  std::string what = tag(local_name(n));
  if (ctx.root) {
    diag_.at_element(n, what + " cannot be the root element: it is only allowed inside a <zip-file>");
  } else {
    diag_.at_element(n, what + " is only allowed inside a <zip-file> (directly or via <directory>), not in " +
                            tag(ctx.container));
  }
}

void Loader::element(const xmlNode* n, const lang::KindSpec& k, const Ctx& ctx, std::vector<Element>& out) {
  placement(n, k, ctx);
  Element e;
  e.kind = std::string(k.name);
  e.where = map_.element(n);
  const xmlAttr* min_attr = nullptr;
  for (const xmlAttr* a = n->properties; a; a = a->next) {
    std::string_view name = to_sv(a->name);
    if (a->ns) {
      unknown_attribute(n, a, {});
    } else if (name == "path") {
      path_attribute(n, a, ctx.root, e.path);
    } else if (match_attribute(n, a, e.min_matches, e.max_matches, min_attr) ||
               restriction_attribute(n, a, k, e.restrictions)) {
    } else if (name == "ui-multifile-upload") {
      if (k.name != "zip-file" || !ctx.root) {
        diag_.at_attribute(n, a, "ui-multifile-upload is only allowed on the root <zip-file>");
      } else if (auto v = read(n, a)) {
        if (v->text != "on" && !v->unresolved) {
          diag_.at_attribute(n, a,
                             "invalid value '" + v->text +
                                 "' for attribute 'ui-multifile-upload': the only "
                                 "value is 'on'");
        }
        e.options.emplace(std::string(name), attribute(n, a, *v));
      }
    } else {
      std::vector<std::string_view> allowed = {"path", "min-matches", "max-matches"};
      if (k.name == "zip-file" && ctx.root) allowed.push_back("ui-multifile-upload");
      unknown_attribute(n, a, allowed);
    }
  }
  if (!e.path && !ctx.root) {
    diag_.at_element(n, tag(k.name) + " requires attribute 'path' (only the root element may omit it)");
  }
  check_min_max(n, min_attr, e.min_matches, e.max_matches);
  e.label = label_of(k.name, e.path);
  content(n, k, ctx, e);
  out.push_back(std::move(e));
}

void Loader::set(const xmlNode* n, const lang::KindSpec& k, const Ctx& ctx, std::vector<Element>& out) {
  std::string set_name(local_name(n));
  placement(n, k, ctx);
  std::vector<Attribute> inherited;
  for (const xmlAttr* a = n->properties; a; a = a->next) {
    std::string_view name = to_sv(a->name);
    if (!a->ns && (name == "path" || name == "min-matches" || name == "max-matches")) {
      diag_.at_attribute(
          n, a,
          "'" + std::string(name) + "' is not allowed on " + tag(set_name) + ": put it on each <include>");
    } else if (a->ns || !restriction_attribute(n, a, k, inherited)) {
      unknown_attribute(n, a, {});
    }
  }
  std::vector<const xmlNode*> includes;
  const xmlNode* for_each = nullptr;
  for (const xmlNode* c : children(n)) {
    if (!check_namespace(c)) continue;
    auto name = local_name(c);
    if (name == "include") {
      if (for_each) diag_.at_element(c, "<include> must come before the <for-each> of " + tag(set_name));
      includes.push_back(c);
    } else if (name == "for-each") {
      if (for_each) {
        diag_.at_element(c, tag(set_name) + " has more than one <for-each>");
      } else {
        for_each = c;
      }
    } else if (lang::find_directive(name) || lang::find_kind(name) || lang::find_set_kind(name)) {
      diag_.at_element(
          c, tag(name) + " is not allowed directly in " + tag(set_name) + ": put it in its <for-each>");
    } else {
      unknown_element(c, tag(set_name));
    }
  }
  if (includes.empty()) {
    diag_.at_element(n, tag(set_name) + " requires at least one <include path=\"...\"/>");
  }
  if (!for_each) {
    diag_.at_element(n, tag(set_name) + " requires a <for-each> (after its <include> elements)");
    return;
  }
  // The for-each content is built once and copied into each expanded element.
  Element templ;
  templ.kind = std::string(k.name);
  for (const xmlAttr* a = for_each->properties; a; a = a->next) unknown_attribute(for_each, a, {});
  Ctx inner = ctx;
  inner.root = false;
  content(for_each, k, inner, templ);

  for (const xmlNode* inc : includes) {
    Element e = templ;
    e.where = map_.element(inc);
    e.restrictions = inherited;
    std::vector<Attribute> own;
    const xmlAttr* min_attr = nullptr;
    for (const xmlAttr* a = inc->properties; a; a = a->next) {
      std::string_view name = to_sv(a->name);
      if (a->ns) {
        unknown_attribute(inc, a, {});
      } else if (name == "path") {
        path_attribute(inc, a, false, e.path);
      } else if (!match_attribute(inc, a, e.min_matches, e.max_matches, min_attr) &&
                 !restriction_attribute(inc, a, k, own)) {
        unknown_attribute(inc, a, {"path", "min-matches", "max-matches"});
      }
    }
    if (!children(inc).empty()) diag_.at_element(inc, "<include> cannot contain elements");
    // Attributes on <include> override those inherited from the set.
    for (auto& r : own) {
      auto it = std::find_if(e.restrictions.begin(), e.restrictions.end(),
                             [&](const Attribute& x) { return x.name == r.name; });
      if (it != e.restrictions.end()) {
        *it = std::move(r);
      } else {
        e.restrictions.push_back(std::move(r));
      }
    }
    if (!e.path) diag_.at_element(inc, "<include> requires attribute 'path'");
    check_min_max(inc, min_attr, e.min_matches, e.max_matches);
    e.label = tag(set_name) + " include \"" + e.path.value_or("") + "\"";
    out.push_back(std::move(e));
  }
}

// The children of a file element, a <directory> or a set's <for-each> (owner kind k).
void Loader::content(const xmlNode* parent, const lang::KindSpec& k, const Ctx& ctx, Element& into) {
  bool in_for_each = local_name(parent) == "for-each";
  Ctx inner;
  inner.container = k.container && k.name != "directory" ? k.name : ctx.container;
  inner.where = in_for_each ? "<for-each> of " + tag(std::string(k.name) + "-set") : tag(k.name);
  const xmlNode* first_sign = nullptr;
  for (const xmlNode* c : children(parent)) {
    if (!check_namespace(c)) continue;
    auto name = local_name(c);
    if (const auto* d = lang::find_directive(name)) {
      bool allowed = std::find(k.directives.begin(), k.directives.end(), name) != k.directives.end();
      if (!allowed) {
        std::string msg = tag(name) + " is not allowed in " + inner.where;
        if (d->category == lang::Category::enveloped || d->category == lang::Category::detached) {
          msg +=
              ": it adds a file, so it is only allowed on <file> or in the <for-each> of <file-set>, inside "
              "a "
              "<zip-file>";
        } else if (name == "clickonce-sign") {
          msg += ": it is only allowed on <directory>";
        } else if (name == "create-verification-summary-file" || name == "create-attestation-signature") {
          msg += ": it is only allowed inside <create-provenance-file>";
        } else if (name == "create-provenance-file") {
          msg += ": it is only allowed directly in the root <zip-file>";
        } else {
          msg += " (allowed: " + lang::join_alternatives(k.directives, "<", ">") + ")";
        }
        diag_.at_element(c, msg);
        continue;
      }
      if (name == "create-provenance-file" && (!ctx.root || in_for_each)) {
        diag_.at_element(c, "<create-provenance-file> is only allowed directly in the root <zip-file>");
        continue;
      }
      if (d->category == lang::Category::verify && first_sign) {
        diag_.at_element(c, tag(name) + " must come before " + tag(local_name(first_sign)) + " (line " +
                                std::to_string(map_.element(first_sign).line) +
                                "): verify directives must precede sign directives");
      }
      if (d->is_sign() && !first_sign) first_sign = c;
      if (auto built = directive(c, *d, k, inner)) into.directives.push_back(std::move(*built));
    } else if (const auto* ck = lang::find_kind(name)) {
      if (!k.container) {
        diag_.at_element(c, tag(k.name) + " is not a container: it cannot contain " + tag(name));
        continue;
      }
      element(c, *ck, inner, into.children);
    } else if (const auto* sk = lang::find_set_kind(name)) {
      if (!k.container) {
        diag_.at_element(c, tag(k.name) + " is not a container: it cannot contain " + tag(name));
        continue;
      }
      set(c, *sk, inner, into.children);
    } else if (name == "include" || name == "for-each") {
      diag_.at_element(c, tag(name) + " is only allowed directly in a set element such as <pe-file-set>");
    } else if (name == "parameters" || name == "parameter") {
      diag_.at_element(c, tag(name) + " is only allowed as the first child of <artifact-configuration>");
    } else {
      unknown_element(c, inner.where);
    }
  }
}

std::optional<Directive> Loader::directive(const xmlNode* n, const lang::DirectiveSpec& d,
                                           const lang::KindSpec& owner, const Ctx& ctx) {
  Directive out;
  out.name = std::string(d.name);
  out.where = map_.element(n);
  std::vector<std::string_view> names;
  for (const auto& s : d.attributes) names.push_back(s.name);
  for (const xmlAttr* a = n->properties; a; a = a->next) {
    std::string_view name = to_sv(a->name);
    const auto* spec = a->ns ? nullptr : d.find(name);
    if (!spec) {
      if (!a->ns && name == "file-name" && d.find("output-file-name")) {
        diag_.at_attribute(n, a,
                           "attribute 'file-name' of " + tag(d.name) +
                               " is no longer supported: use "
                               "'output-file-name'");
      } else {
        unknown_attribute(n, a, names);
      }
      continue;
    }
    auto v = read(n, a);
    if (!v) continue;
    out.attributes.push_back(attribute(n, a, *v));
    if (v->unresolved) continue;  // checked once the parameter has a value
    std::string shown = "'" + v->text + "'" + (v->from_parameter ? " (from '" + v->raw + "')" : "");
    std::string what = "attribute '" + std::string(name) + "' of " + tag(d.name);
    if (!spec->values.empty() &&
        std::find(spec->values.begin(), spec->values.end(), v->text) == spec->values.end()) {
      diag_.at_attribute(
          n, a,
          "invalid value " + shown + " for " + what + ": expected " + lang::join_alternatives(spec->values));
    } else if (spec->check == lang::Check::non_empty && v->text.empty()) {
      diag_.at_attribute(n, a, what + " must not be empty");
    } else if (spec->check == lang::Check::count && !parse_count(v->text)) {
      diag_.at_attribute(n, a,
                         "invalid value " + shown + " for " + what + ": expected a non-negative integer");
    } else if (spec->check == lang::Check::token && !valid_token(v->text)) {
      diag_.at_attribute(n, a,
                         "invalid value " + shown + " for " + what +
                             ": expected a name of letters, digits, '-' or '_' (such as origin)");
    } else if (name == "hash-algorithm" && v->text == "sha1" &&
               (owner.name == "appx-file" || owner.name == "msix-file")) {
      diag_.at_attribute(n, a,
                         tag(owner.name) +
                             " does not accept hash-algorithm 'sha1': use sha256, sha384 or "
                             "sha512 (the package's block map hash)");
    } else if (name == "append" && v->text == "true" && owner.name != "pe-file" && owner.name != "cab-file" &&
               owner.name != "catalog-file") {
      diag_.at_attribute(
          n, a,
          "append=\"true\" is only supported on <pe-file>, <cab-file> and <catalog-file>, not " +
              tag(owner.name));
    } else if (name == "output-file-name" && !ctx.container.empty() && ctx.container != "zip-file" &&
               (d.category == lang::Category::enveloped || d.category == lang::Category::detached)) {
      diag_.at_attribute(n, a,
                         "output-file-name adds a file, which is only possible inside a <zip-file>, not in " +
                             tag(ctx.container));
    }
  }
  for (const auto& s : d.attributes) {
    if (s.required && !out.find(s.name) &&
        !xmlHasProp(n, reinterpret_cast<const xmlChar*>(std::string(s.name).c_str()))) {
      std::string msg = tag(d.name) + " requires attribute '" + std::string(s.name) + "'";
      if (!s.values.empty()) msg += " (" + lang::join_alternatives(s.values) + ")";
      diag_.at_element(n, msg);
    }
  }
  for (const xmlNode* c : children(n)) {
    if (!check_namespace(c)) continue;
    auto name = local_name(c);
    const auto* cd = lang::find_directive(name);
    if (cd && std::find(d.children.begin(), d.children.end(), name) != d.children.end()) {
      if (auto built = directive(c, *cd, owner, ctx)) out.children.push_back(std::move(*built));
    } else if (cd || lang::find_kind(name) || lang::find_set_kind(name)) {
      diag_.at_element(
          c, tag(name) + " is not allowed in " + tag(d.name) +
                 (d.children.empty() ? " (it cannot contain elements)"
                                     : " (allowed: " + lang::join_alternatives(d.children, "<", ">") + ")"));
    } else {
      unknown_element(c, tag(d.name));
    }
  }
  return out;
}

}  // namespace signet::config::detail
