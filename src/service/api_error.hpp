// An error with an HTTP status that becomes an RFC 9457 problem details response. Domain
// operations throw it for rule violations (403 naming the rule, 404, 409, 400 with every problem).
#pragma once
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace signet::service {

class ApiError : public std::runtime_error {
 public:
  ApiError(unsigned status, std::string detail, std::map<std::string, std::vector<std::string>> errors = {})
      : std::runtime_error(detail), status(status), errors(std::move(errors)) {}
  unsigned status;
  // Validation problems by field (ASP.NET style "errors" member); "" collects general ones.
  std::map<std::string, std::vector<std::string>> errors;
};

// A 400 listing every problem: detail joins them, errors holds them by field.
class ValidationErrors {
 public:
  void add(const std::string& field, const std::string& message) {
    errors_[field].push_back(message);
    all_.push_back(message);
  }
  bool empty() const { return all_.empty(); }
  void throw_if_any(const std::string& what) const {
    if (all_.empty()) return;
    std::string detail = what + ": ";
    for (size_t i = 0; i < all_.size(); ++i) detail += (i ? "; " : "") + all_[i];
    throw ApiError(400, detail, errors_);
  }

 private:
  std::map<std::string, std::vector<std::string>> errors_;
  std::vector<std::string> all_;
};

}  // namespace signet::service
