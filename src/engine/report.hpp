// The JSON report of a signing run: every entry, the element that matched it, the directives
// applied and the digests before and after.
#pragma once
#include <nlohmann/json.hpp>

#include "config/model.hpp"
#include "engine/plan.hpp"

namespace signet::engine {

nlohmann::json make_report(const Node& root, const config::ArtifactConfiguration& config,
                           const std::string& input, const std::string& output);

// The tree as text for `signet inspect`.
std::string render_tree(const Node& root);

}  // namespace signet::engine
