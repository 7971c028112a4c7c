// Errors that reach the user: every one carries a message and, where known, a location.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

namespace signet::io {

// Where a problem is: a file (configuration, artifact or entry path) and optionally line:col.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string to_string() const;  // "file:line:col", "file:line", "file" or ""
};

// A user-facing error. what() is the one line printed by the CLI: "location: message".
class Error : public std::runtime_error {
 public:
  explicit Error(std::string message, Location where = {});
  const std::string& message() const { return message_; }
  const Location& where() const { return where_; }

 private:
  std::string message_;
  Location where_;
};

// Several independent problems found in one pass (e.g. every match violation), reported together.
class ErrorList : public std::runtime_error {
 public:
  explicit ErrorList(std::vector<Error> errors);
  const std::vector<Error>& errors() const { return errors_; }

 private:
  std::vector<Error> errors_;
};

}  // namespace signet::io
