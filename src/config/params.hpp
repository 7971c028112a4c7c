// User-defined parameters (SIGNPATH.md §1.7): effective values and ${name} substitution.
// Internal to the config layer.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"

namespace signet::config::detail {

inline constexpr std::string_view kFileNameParameter = "file.name";

bool valid_parameter_name(std::string_view name);  // [a-zA-Z0-9.\-_]+

class ParameterValues {
 public:
  // Declares a parameter; false if the name is already declared.
  bool declare(const Parameter& p);
  const std::vector<Parameter>& declared() const { return declared_; }
  bool is_declared(std::string_view name) const;

  // Computes the effective values from the supplied ones and the defaults. Returns one message
  // per problem: a required parameter without value (when require_parameters) and each supplied
  // name that is not declared (with the Location to report it at).
  std::vector<std::pair<std::string, Location>> resolve(const LoadOptions& options,
                                                        const Location& undeclared_at);
  const std::map<std::string, std::string>& values() const { return values_; }

  struct Result {
    std::string value;
    bool unresolved = false;      // a ${name} was left in place (no value and not required now)
    bool used_parameter = false;  // at least one ${name} was substituted
  };
  // Substitutes every ${name} except ${file.name}. Returns an error message (naming the
  // reference) for an unknown or malformed reference.
  std::optional<std::string> substitute(std::string_view raw, Result& out) const;

 private:
  std::vector<Parameter> declared_;
  std::map<std::string, std::string> values_;
};

}  // namespace signet::config::detail
