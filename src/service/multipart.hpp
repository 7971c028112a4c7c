// A streaming multipart/form-data parser (RFC 7578 over RFC 2046): bytes are pushed in chunks of
// any size and parts come out as callbacks, so file parts can go straight to disk. Memory is
// bounded by the largest header block allowed plus one delimiter, whatever the body size.
// Malformed input throws MultipartError (a 400 for the HTTP layer), never crashes.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace signet::service {

class MultipartError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PartHeaders {
  std::string name;                     // Content-Disposition name (as sent)
  std::optional<std::string> filename;  // present for file parts
  std::string content_type;
};

class MultipartHandler {
 public:
  virtual ~MultipartHandler() = default;
  virtual void on_part_begin(const PartHeaders& headers) = 0;
  virtual void on_part_data(std::span<const uint8_t> data) = 0;
  virtual void on_part_end() = 0;
};

struct MultipartLimits {
  size_t max_header_bytes = 16 * 1024;  // one part's header block
  size_t max_parts = 1000;
};

// The boundary parameter of a multipart/form-data Content-Type; throws MultipartError when the
// type is not multipart/form-data or the boundary is missing or invalid (RFC 2046: 1..70 chars).
std::string multipart_boundary(std::string_view content_type);

class MultipartParser {
 public:
  MultipartParser(std::string boundary, MultipartHandler& handler, MultipartLimits limits = {});
  void feed(std::span<const uint8_t> data);
  void feed(std::string_view data) {
    feed(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  }
  // The body has ended: throws unless the closing delimiter was seen.
  void finish();
  bool done() const { return state_ == State::done; }
  size_t parts() const { return parts_; }

 private:
  enum class State { preamble, after_delimiter, headers, body, done };
  void process();
  void parse_headers(std::string_view block);

  std::string delimiter_;  // "\r\n--" + boundary
  MultipartHandler& handler_;
  MultipartLimits limits_;
  State state_ = State::preamble;
  std::string buf_;
  size_t parts_ = 0;
};

// Splits a header parameter list ("form-data; name=\"a\"; filename=\"b\"") into lowercase
// parameter names and unquoted values. Exposed for tests.
std::optional<std::string> header_param(std::string_view header_value, std::string_view param);

}  // namespace signet::service
