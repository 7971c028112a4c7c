#include "config/params.hpp"

#include <algorithm>

namespace signet::config::detail {

bool valid_parameter_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

bool ParameterValues::declare(const Parameter& p) {
  if (is_declared(p.name)) return false;
  declared_.push_back(p);
  return true;
}

bool ParameterValues::is_declared(std::string_view name) const {
  return std::any_of(declared_.begin(), declared_.end(), [&](const Parameter& p) { return p.name == name; });
}

std::vector<std::pair<std::string, Location>> ParameterValues::resolve(const LoadOptions& options,
                                                                       const Location& undeclared_at) {
  std::vector<std::pair<std::string, Location>> problems;
  for (const auto& p : declared_) {
    auto supplied = options.parameters.find(p.name);
    if (supplied != options.parameters.end()) {
      values_[p.name] = supplied->second;
    } else if (p.default_value) {
      values_[p.name] = *p.default_value;
    } else if (p.required) {
      // Left unresolved when values are not required (config validate): ${name} stays in place.
      if (options.require_parameters) {
        problems.emplace_back("required parameter '" + p.name + "' has no value and no default-value",
                              p.where);
      }
    } else {
      values_[p.name] = "";  // optional, no default, not supplied
    }
  }
  for (const auto& [name, value] : options.parameters) {
    if (!is_declared(name)) {
      std::string declared;
      for (const auto& p : declared_) declared += (declared.empty() ? "" : ", ") + p.name;
      problems.emplace_back("parameter '" + name + "' was given a value but is not declared in <parameters>" +
                                (declared.empty() ? " (the configuration declares no parameters)"
                                                  : " (declared: " + declared + ")"),
                            undeclared_at);
    }
  }
  return problems;
}

std::optional<std::string> ParameterValues::substitute(std::string_view raw, Result& out) const {
  out = Result{};
  size_t pos = 0;
  while (pos < raw.size()) {
    auto open = raw.find("${", pos);
    if (open == std::string_view::npos) {
      out.value.append(raw.substr(pos));
      break;
    }
    out.value.append(raw.substr(pos, open - pos));
    auto close = raw.find('}', open + 2);
    if (close == std::string_view::npos) {
      return "unterminated parameter reference '" + std::string(raw.substr(open)) + "' (expected ${name})";
    }
    std::string_view name = raw.substr(open + 2, close - open - 2);
    std::string ref(raw.substr(open, close - open + 1));
    if (!valid_parameter_name(name)) {
      return "invalid parameter reference '" + ref + "': names use letters, digits, '.', '-' and '_'";
    }
    if (name == kFileNameParameter) {
      out.value += ref;  // resolved by the engine per matched file
    } else if (!is_declared(name)) {
      std::string declared;
      for (const auto& p : declared_) declared += (declared.empty() ? "" : ", ") + p.name;
      return "unknown parameter '" + ref + "'" +
             (declared.empty() ? ": the configuration declares no <parameters>"
                               : " (declared: " + declared + ")");
    } else if (auto v = values_.find(std::string(name)); v != values_.end()) {
      out.value += v->second;
      out.used_parameter = true;
    } else {
      out.value += ref;
      out.unresolved = true;
    }
    pos = close + 1;
  }
  return std::nullopt;
}

}  // namespace signet::config::detail
