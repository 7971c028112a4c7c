#include "cli/commands.hpp"
#include "io/error.hpp"

namespace signet::cli {

std::map<std::string, std::string> parse_params(const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw io::Error("--param '" + item + "' is not of the form NAME=VALUE");
    }
    auto name = item.substr(0, eq);
    if (out.count(name)) throw io::Error("--param " + name + " is given twice");
    out[name] = item.substr(eq + 1);
  }
  return out;
}

}  // namespace signet::cli
