// A small HTTP/1.1 server on Boost.Beast: one thread per connection with blocking reads and
// writes that time out (poll), so handlers are plain sequential code and request bodies can be
// streamed (uploads of several GiB go to disk chunk by chunk). Keep-alive and chunked bodies are
// handled by Beast's parser; `Expect: 100-continue` is answered when the handler starts reading.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace signet::service::http {

// Thrown by BodyReader when the body is larger than the limit the handler set.
class PayloadTooLarge : public std::runtime_error {
 public:
  explicit PayloadTooLarge(uint64_t limit);
  uint64_t limit;
};

class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Up to buf.size() bytes; 0 at the end of the body.
  virtual size_t read(std::span<uint8_t> buf) = 0;
  virtual bool done() const = 0;
  // Bytes allowed in total (checked while reading; Content-Length is checked up front).
  virtual void set_limit(uint64_t limit) = 0;
  // Reads the whole (small) body into memory, at most `limit` bytes.
  std::string read_all(uint64_t limit);
};

struct Request {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // as received
  std::string path;                            // percent-decoded, without the query
  std::map<std::string, std::string> query;    // lowercase names
  std::map<std::string, std::string> headers;  // lowercase names (last one wins)
  std::optional<uint64_t> content_length;
  std::string base_url;  // "http://host:port" for absolute links
  BodyReader* body = nullptr;
  std::string header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::filesystem::path file;  // when set, streamed as the body (body ignored)
  std::vector<std::pair<std::string, std::string>> headers;
};

Response problem(unsigned status, const std::string& detail, const std::string& instance = "");

using Handler = std::function<Response(Request&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;  // 0: any free port
  size_t max_connections = 512;
  int io_timeout_seconds = 300;   // one blocked read or write
  int idle_timeout_seconds = 75;  // keep-alive wait for the next request
  std::string public_url;         // base for links; default http://<Host header>
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  unsigned short port() const { return port_; }
  // Accepts connections until stop() (from any thread or a signal watcher).
  void run();
  void stop() { stop_ = true; }
  size_t active() const { return active_.load(); }

 private:
  struct Impl;
  void session(int fd);
  ServerOptions options_;
  Handler handler_;
  std::unique_ptr<Impl> impl_;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> active_{0};
};

// %XX escapes (invalid ones are kept as they are); '+' is a space in form bodies only.
std::string percent_decode(std::string_view s, bool plus_is_space = false);

}  // namespace signet::service::http
