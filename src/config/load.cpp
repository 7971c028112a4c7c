// Loading an artifact configuration: safe parse, semantic checks (the primary, precise
// diagnostics), XSD validation (a safety net; only problems the semantic checks did not already
// report on the same element), set expansion and parameter substitution.
#include <algorithm>
#include <fstream>
#include <set>

#include "config/language.hpp"
#include "config/loader.hpp"
#include "config/model.hpp"
#include "config/schema.hpp"
#include "config/xml.hpp"

namespace signet::config {

namespace {

using detail::XmlDocPtr;

std::string read_config_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io::Error("cannot open the configuration file", io::Location{path.string()});
  std::string data;
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    data.append(buf, static_cast<size_t>(in.gcount()));
    if (data.size() > detail::kMaxConfigurationSize) {
      throw io::Error("the configuration is larger than " +
                          std::to_string(detail::kMaxConfigurationSize / 1024 / 1024) + " MiB",
                      io::Location{path.string()});
    }
  }
  if (in.bad()) throw io::Error("cannot read the configuration file", io::Location{path.string()});
  return data;
}

bool is_ancestor_or_self(const xmlNode* maybe_ancestor, const xmlNode* n) {
  for (; n; n = n->parent) {
    if (n == maybe_ancestor) return true;
  }
  return false;
}

}  // namespace

ArtifactConfiguration load_string(std::string_view xml, const std::string& name, const LoadOptions& options) {
  XmlDocPtr doc;
  try {
    doc = detail::parse_xml(xml, name);
  } catch (const io::Error& e) {
    throw io::ErrorList({e});
  }
  detail::SourceMap map(xml, doc.get(), name);
  detail::Diagnostics diag(map);
  detail::Loader loader(map, options, diag);
  ArtifactConfiguration cfg = loader.run(xmlDocGetRootElement(doc.get()));
  cfg.file = name;

  // Schema problems on elements the semantic checks already reported (or inside them, or on
  // their parent or siblings because of them) would only repeat the same mistake less precisely.
  for (const auto& issue : detail::validate_against_schema(doc.get())) {
    const xmlNode* n = issue.node;
    const xmlNode* element = n && n->type == XML_ATTRIBUTE_NODE ? n->parent : n;
    bool covered = false;
    for (const xmlNode* f : diag.flagged()) {
      // Content-model errors may land on a neighbour of the element at fault.
      if (is_ancestor_or_self(f, element) ||
          (element && (f->parent == element || f->parent == element->parent))) {
        covered = true;
      }
    }
    if (covered) continue;
    io::Location where = n ? map.element(n) : io::Location{name, issue.line, 0};
    if (where.line == 0) where.line = issue.line;
    diag.add(io::Error("schema: " + issue.message, where));
  }
  if (!diag.errors().empty()) {
    auto errors = diag.errors();
    std::stable_sort(errors.begin(), errors.end(), [](const io::Error& a, const io::Error& b) {
      return std::pair(a.where().line, a.where().column) < std::pair(b.where().line, b.where().column);
    });
    throw io::ErrorList(std::move(errors));
  }
  return cfg;
}

ArtifactConfiguration load_file(const std::filesystem::path& path, const LoadOptions& options) {
  std::string data;
  try {
    data = read_config_file(path);
  } catch (const io::Error& e) {
    throw io::ErrorList({e});
  }
  return load_string(data, path.string(), options);
}

std::string substitute_file_name(std::string_view value, std::string_view file_name) {
  static constexpr std::string_view ref = "${file.name}";
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = value.find(ref, pos)) != std::string_view::npos; pos = hit + ref.size()) {
    out.append(value.substr(pos, hit - pos));
    out.append(file_name);
  }
  out.append(value.substr(pos));
  return out;
}

const Attribute* Directive::find(std::string_view attribute) const {
  for (const auto& a : attributes) {
    if (a.name == attribute) return &a;
  }
  return nullptr;
}

}  // namespace signet::config
