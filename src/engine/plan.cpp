#include "engine/plan.hpp"

#include <functional>
#include <set>

#include "config/path_pattern.hpp"
#include "formats/format.hpp"
#include "io/ascii.hpp"
#include "io/error.hpp"

namespace signet::engine {

namespace {

using Segments = std::vector<std::string>;

std::string join(const Segments& segs, size_t from) {
  std::string s;
  for (size_t i = from; i < segs.size(); ++i) {
    if (!s.empty()) s += '/';
    s += segs[i];
  }
  return s;
}

// Case-insensitive segment comparison, as every path in the language compares.
bool same_segment(const std::string& a, const std::string& b) {
  return io::ascii_iequals(a, b);
}

bool has_prefix(const Segments& segs, const Segments& prefix) {
  if (segs.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (!same_segment(segs[i], prefix[i])) return false;
  return true;
}

std::string plural(uint64_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

std::string dir_of(const std::string& entry_path) {
  auto slash = entry_path.find_last_of('/');
  return slash == std::string::npos ? std::string() : entry_path.substr(0, slash + 1);
}

class Planner {
 public:
  Planner(const Keys& keys, const PlanOptions& opt) : keys_(keys), opt_(opt) {}

  void plan_node(Node& node, const config::Element& el, uint64_t depth);
  std::vector<io::Error>& errors() { return errors_; }
  // Every element and directive of the configuration, matched or not: unsupported ones and
  // missing keys are reported once each, whatever the artifact holds.
  void check_configuration(const config::Element& el);

 private:
  void add_methods(Node& node, const config::Element& el, const std::string& entry_path);
  void check_restrictions(Node& node, const config::Element& el);
  void match_container(Node& node, const config::Element& el, uint64_t depth);
  void check_count(const config::Element& el, uint64_t n, const std::string& where);

  const Keys& keys_;
  const PlanOptions& opt_;
  std::vector<io::Error> errors_;
  std::string entry_path_;  // the entry path of the node being planned inside its container
};

void Planner::check_count(const config::Element& el, uint64_t n, const std::string& container) {
  std::string pattern = el.path ? *el.path : "";
  std::string what = el.kind == "directory" ? "directory" : "file";
  if (n < el.min_matches) {
    errors_.emplace_back(el.label + ": path \"" + pattern + "\" matched " + plural(n, what.c_str()) +
                             " in '" + container + "', expected at least " + std::to_string(el.min_matches) +
                             " (min-matches)",
                         el.where);
  } else if (el.max_matches && n > *el.max_matches) {
    errors_.emplace_back(el.label + ": path \"" + pattern + "\" matched " + plural(n, what.c_str()) +
                             " in '" + container + "', expected at most " + std::to_string(*el.max_matches) +
                             " (max-matches; use max-matches=\"unbounded\" to allow more)",
                         el.where);
  }
}

void Planner::check_configuration(const config::Element& el) {
  if (el.kind != "directory" && !formats::find_format(el.kind) && opt_.require_supported) {
    errors_.emplace_back("<" + el.kind + "> is not supported yet by Signet", el.where);
  }
  for (const auto& d : el.directives) {
    std::unique_ptr<methods::Method> m;
    try {
      m = methods::create_method(d);
    } catch (const io::Error& e) {
      if (opt_.require_supported) errors_.push_back(e);
      continue;
    }
    if (!opt_.check_keys) continue;
    if (m->key_need() == methods::KeyNeed::x509 && !keys_.x509) {
      errors_.emplace_back("<" + d.name + "> needs an X.509 signing key: pass --key (and --cert)", d.where);
    } else if (m->key_need() == methods::KeyNeed::openpgp && !keys_.pgp) {
      errors_.emplace_back("<" + d.name + "> needs an OpenPGP key: pass --pgp-key", d.where);
    }
  }
  for (const auto& c : el.children) check_configuration(c);
}

void Planner::plan_node(Node& node, const config::Element& el, uint64_t depth) {
  node.element = &el;
  node.format = formats::find_format(el.kind);
  std::string entry_path = entry_path_;
  add_methods(node, el, entry_path);
  if (!node.format) return;  // reported by check_configuration
  try {
    node.opened = node.format->open(node.bytes, opt_.limits);
  } catch (const io::Error& e) {
    std::string loc = e.where().to_string();
    errors_.emplace_back(node.path + ": " + (loc.empty() || loc == node.path ? "" : loc + ": ") +
                         e.message());
    return;
  }
  check_restrictions(node, el);
  if (node.opened->is_container()) {
    if (depth >= opt_.limits.max_depth) {
      errors_.emplace_back(node.path + ": containers nested deeper than " +
                           std::to_string(opt_.limits.max_depth) + " levels");
      return;
    }
    match_container(node, el, depth);
  }
  for (const auto& m : node.methods) {
    if (m->category() == methods::Category::embedded) node.changes = true;
  }
  for (const auto& c : node.children) {
    if (c.changes || !c.added.empty()) node.changes = true;
  }
}

void Planner::add_methods(Node& node, const config::Element& el, const std::string& entry_path) {
  for (size_t i = 0; i < el.directives.size(); ++i) {
    const auto& d = el.directives[i];
    std::unique_ptr<methods::Method> m;
    try {
      m = methods::create_method(d);
    } catch (const io::Error&) {
      continue;  // reported by check_configuration
    }
    if (m->category() == methods::Category::detached || m->category() == methods::Category::enveloped) {
      std::string name = m->output_file_name(node.name);
      node.added.push_back(AddedFile{dir_of(entry_path) + name, node.methods.size()});
    }
    node.methods.push_back(std::move(m));
  }
}

void Planner::check_restrictions(Node& node, const config::Element& el) {
  for (const auto& r : el.restrictions) {
    std::string expected = config::substitute_file_name(r.value, node.name);
    auto actual = node.opened->metadata(r.name);
    if (!actual) {
      errors_.emplace_back("'" + node.path + "': " + r.name + " is required to be \"" + expected +
                               "\" but the file has no such value",
                           r.where);
    } else if (*actual != expected) {
      errors_.emplace_back(
          "'" + node.path + "': " + r.name + " is \"" + *actual + "\", expected \"" + expected + "\"",
          r.where);
    }
  }
}

void Planner::match_container(Node& node, const config::Element& el, uint64_t depth) {
  const auto& entries = node.opened->entries();
  std::vector<Segments> segs(entries.size());
  std::vector<Segments> dirs;
  std::set<std::string> dir_keys;
  auto add_dir = [&](const Segments& d) {
    std::string key;
    for (const auto& s : d) {
      key += io::ascii_lower(s);
      key += '/';
    }
    if (dir_keys.insert(key).second) dirs.push_back(d);
  };
  for (size_t i = 0; i < entries.size(); ++i) {
    segs[i] = config::split_path(entries[i].path);
    size_t n = entries[i].directory ? segs[i].size() : (segs[i].empty() ? 0 : segs[i].size() - 1);
    for (size_t k = 1; k <= n; ++k)
      add_dir(Segments(segs[i].begin(), segs[i].begin() + static_cast<long>(k)));
  }

  std::vector<const config::Element*> claim(entries.size(), nullptr);
  std::function<void(const std::vector<config::Element>&, const Segments&)> match_in;
  match_in = [&](const std::vector<config::Element>& elements, const Segments& prefix) {
    std::string where = prefix.empty() ? node.path : node.path + "/" + join(prefix, 0);
    for (const auto& c : elements) {
      if (!c.path) continue;  // config guarantees a path on nested elements
      config::PathPattern pattern;
      try {
        pattern = config::PathPattern::parse(*c.path, c.where);
      } catch (const io::Error& e) {
        errors_.push_back(e);
        continue;
      }
      if (c.kind == "directory") {
        std::vector<Segments> hits;
        if (*c.path == ".") {
          hits.push_back(prefix);
        } else {
          for (const auto& d : dirs) {
            if (d.size() > prefix.size() && has_prefix(d, prefix) &&
                pattern.matches(join(d, prefix.size()))) {
              hits.push_back(d);
            }
          }
        }
        check_count(c, hits.size(), where);
        for (const auto& d : hits) match_in(c.children, d);
        continue;
      }
      uint64_t n = 0;
      for (size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].directory || segs[i].size() <= prefix.size() || !has_prefix(segs[i], prefix)) continue;
        if (!pattern.matches(join(segs[i], prefix.size()))) continue;
        ++n;
        if (claim[i] && claim[i] != &c) {
          errors_.emplace_back("'" + node.path + "/" + entries[i].path + "' is matched by both " +
                                   claim[i]->label + " (line " + std::to_string(claim[i]->where.line) +
                                   ") and " + c.label,
                               c.where);
        }
        claim[i] = &c;
      }
      check_count(c, n, where);
    }
  };
  match_in(el.children, {});

  std::set<std::string> taken;
  for (const auto& e : entries) taken.insert(io::ascii_lower(e.path));
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!claim[i]) {
      node.unmatched.push_back(i);
      continue;
    }
    Node child;
    child.path = node.path + "/" + entries[i].path;
    child.name = segs[i].empty() ? entries[i].path : segs[i].back();
    child.entry_index = i;
    try {
      child.bytes = node.opened->entry_source(i);
    } catch (const io::Error& e) {
      errors_.emplace_back(child.path + ": " + e.message());
      continue;
    }
    entry_path_ = entries[i].path;
    plan_node(child, *claim[i], depth + 1);
    for (const auto& a : child.added) {
      if (!taken.insert(io::ascii_lower(a.path)).second) {
        errors_.emplace_back("'" + node.path + "/" + a.path + "' (output of <" +
                                 std::string(child.methods[a.method_index]->directive()) + "> for '" +
                                 child.path + "') collides with an existing file or another output",
                             claim[i]->where);
      }
    }
    node.children.push_back(std::move(child));
  }
}

}  // namespace

Node build_plan(const config::ArtifactConfiguration& config, io::SourcePtr input,
                const std::string& input_name, const Keys& keys, const PlanOptions& options,
                std::vector<io::Error>* problems) {
  Planner planner(keys, options);
  Node root;
  root.path = input_name;
  root.name = input_name;
  root.bytes = std::move(input);
  const auto& el = config.root;
  if (el.path) {
    try {
      auto pattern = config::PathPattern::parse(*el.path, el.where);
      if (!pattern.matches(input_name)) {
        planner.errors().emplace_back(
            el.label + ": path \"" + *el.path + "\" does not match the input file name '" + input_name + "'",
            el.where);
      }
    } catch (const io::Error& e) {
      planner.errors().push_back(e);
    }
  }
  planner.check_configuration(el);
  planner.plan_node(root, el, 0);
  if (problems) {
    *problems = std::move(planner.errors());
  } else if (!planner.errors().empty()) {
    throw io::ErrorList(std::move(planner.errors()));
  }
  return root;
}

}  // namespace signet::engine
