// STUB: replaced by the real implementation.
#include "config/model.hpp"

namespace signet::config {
ArtifactConfiguration load_file(const std::filesystem::path& path, const LoadOptions&) {
  throw io::Error("configuration loading not implemented", io::Location{path.string()});
}
ArtifactConfiguration load_string(std::string_view, const std::string& name, const LoadOptions&) {
  throw io::Error("configuration loading not implemented", io::Location{name});
}
std::string substitute_file_name(std::string_view value, std::string_view) { return std::string(value); }
const Attribute* Directive::find(std::string_view attribute) const {
  for (const auto& a : attributes) if (a.name == attribute) return &a;
  return nullptr;
}
}  // namespace signet::config
