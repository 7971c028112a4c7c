#include "io/error.hpp"

namespace signet::io {

std::string Location::to_string() const {
  std::string s = file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  return s;
}

static std::string join_location(const std::string& message, const Location& where) {
  std::string loc = where.to_string();
  return loc.empty() ? message : loc + ": " + message;
}

Error::Error(std::string message, Location where)
    : std::runtime_error(join_location(message, where)),
      message_(std::move(message)),
      where_(std::move(where)) {}

static std::string join_errors(const std::vector<Error>& errors) {
  std::string s;
  for (const auto& e : errors) {
    if (!s.empty()) s += "\n";
    s += e.what();
  }
  return s;
}

ErrorList::ErrorList(std::vector<Error> errors)
    : std::runtime_error(join_errors(errors)), errors_(std::move(errors)) {}

}  // namespace signet::io
