// A small blocking HTTP/1.1 client (Boost.Beast; http and https with certificate and host name
// checks) for `signet submit` and outgoing webhooks. Request bodies may stream from files;
// successful response bodies may stream to a file. Every call has an overall timeout.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace signet::service::http {

struct BodyPart {
  std::string data;            // used when file is empty
  std::filesystem::path file;  // streamed from disk
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<BodyPart> body;
  int timeout_seconds = 300;
  std::function<void(uint64_t done, uint64_t total)> upload_progress;
  std::function<void(uint64_t done, uint64_t total)> download_progress;  // total 0 if unknown
  std::filesystem::path save_to;  // 2xx bodies are written here atomically instead of `body`
  uint64_t max_body = 16u << 20;  // for bodies kept in memory
};

struct ClientResponse {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Throws io::Error for connection problems, timeouts and malformed responses.
ClientResponse fetch(const ClientRequest& request);

struct Url {
  std::string scheme, host, port, target;  // target: path + query, at least "/"
};
Url parse_url(const std::string& url);  // throws io::Error

}  // namespace signet::service::http
