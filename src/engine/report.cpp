#include "engine/report.hpp"

#include <sstream>

namespace signet::engine {

namespace {

nlohmann::json element_json(const config::Element* el) {
  if (!el) return nullptr;
  return {{"element", el->kind}, {"label", el->label}, {"line", el->where.line}};
}

void add_entries(const Node& n, nlohmann::json& out) {
  nlohmann::json e = {{"path", n.path}, {"matched", element_json(n.element)}};
  if (!n.sha256_before.empty()) e["sha256_before"] = n.sha256_before;
  if (!n.sha256_after.empty()) e["sha256_after"] = n.sha256_after;
  e["changed"] = n.changes;
  nlohmann::json applied = nlohmann::json::array();
  for (const auto& a : n.applied) {
    nlohmann::json j = {{"directive", a.directive}, {"description", a.description}};
    if (!a.output.empty()) j["output"] = a.output;
    applied.push_back(j);
  }
  e["directives"] = applied;
  out.push_back(e);
  if (n.opened && n.opened->is_container()) {
    const auto& entries = n.opened->entries();
    for (size_t i : n.unmatched) {
      if (entries[i].directory) continue;
      out.push_back({{"path", n.path + "/" + entries[i].path},
                     {"matched", nullptr},
                     {"changed", false},
                     {"directives", nlohmann::json::array()}});
    }
  }
  for (const auto& c : n.children) add_entries(c, out);
}

void render(const Node& n, int depth, std::ostringstream& os) {
  std::string indent(static_cast<size_t>(depth) * 2, ' ');
  os << indent << n.path;
  if (n.element) {
    os << "  <- " << n.element->label;
    if (n.element->where.line) os << " (line " << n.element->where.line << ")";
    if (!n.format) os << "  [not supported yet]";
    for (const auto& d : n.element->directives) os << "  <" << d.name << ">";
    for (const auto& a : n.added) os << "  + " << a.path;
  }
  os << "\n";
  if (!n.opened || !n.opened->is_container()) return;
  const auto& entries = n.opened->entries();
  size_t ci = 0;
  size_t ui = 0;
  // Entries in container order, matched ones with their subtree.
  for (size_t i = 0; i < entries.size(); ++i) {
    if (ci < n.children.size() && n.children[ci].entry_index == i) {
      render(n.children[ci++], depth + 1, os);
    } else {
      if (ui < n.unmatched.size() && n.unmatched[ui] == i) ++ui;
      if (entries[i].directory) continue;
      os << std::string(static_cast<size_t>(depth + 1) * 2, ' ') << n.path << "/" << entries[i].path
         << "  (not matched: unchanged)\n";
    }
  }
}

}  // namespace

nlohmann::json make_report(const Node& root, const config::ArtifactConfiguration& config,
                           const std::string& input, const std::string& output) {
  nlohmann::json entries = nlohmann::json::array();
  add_entries(root, entries);
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [k, v] : config.parameter_values) params[k] = v;
  return {{"input", input},
          {"output", output},
          {"configuration", config.file},
          {"parameters", params},
          {"entries", entries}};
}

std::string render_tree(const Node& root) {
  std::ostringstream os;
  render(root, 0, os);
  return os.str();
}

}  // namespace signet::engine
