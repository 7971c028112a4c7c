// The HTTP(S) POST the RFC 3161 client needs (Boost.Beast; TLS with OpenSSL, peer and host name
// verified against the system's trust store). Internal to the crypto layer.
#pragma once
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace signet::crypto::timestamp::http {

struct Response {
  unsigned status = 0;
  std::string content_type;
  std::vector<uint8_t> body;
};

// POSTs `body` to `url`. Throws io::Error whose message is only the cause, for the caller to
// prefix with the URL: "connection refused", "timed out after 10 s while connecting",
// "cannot resolve host ...", "TLS handshake failed: ...", "unsupported URL scheme ...".
Response post(const std::string& url, std::string_view content_type, std::span<const uint8_t> body,
              std::chrono::milliseconds connect_timeout, std::chrono::milliseconds exchange_timeout,
              size_t max_response_bytes);

}  // namespace signet::crypto::timestamp::http
