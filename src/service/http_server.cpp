#include "service/http_server.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "io/error.hpp"
#include "service/log.hpp"
#include "service/util.hpp"

namespace signet::service::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using boost::system::error_code;

PayloadTooLarge::PayloadTooLarge(uint64_t l)
    : std::runtime_error("request body is larger than " + std::to_string(l) + " bytes"), limit(l) {}

std::string BodyReader::read_all(uint64_t limit) {
  set_limit(limit);
  std::string out;
  uint8_t buf[16384];
  for (size_t n; (n = read(buf)) > 0;) out.append(reinterpret_cast<const char*>(buf), n);
  return out;
}

Response problem(unsigned status, const std::string& detail, const std::string& instance) {
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  nlohmann::json j = {{"type", "about:blank"},
                      {"title", std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(status)))},
                      {"status", status},
                      {"detail", detail}};
  if (!instance.empty()) j["instance"] = instance;
  r.body = j.dump();
  return r;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

namespace {

// The client went away or stopped sending: the connection is abandoned without a response.
class ConnectionLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A socket as a Beast SyncReadStream / SyncWriteStream whose operations time out.
class FdStream {
 public:
  explicit FdStream(int fd) : fd_(fd) {}
  void set_timeout(int seconds) { timeout_ms_ = seconds * 1000; }

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    return first_buffer<net::mutable_buffer>(buffers, false, ec);
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    return or_throw([&](error_code& ec) { return read_some(buffers, ec); });
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
    return first_buffer<net::const_buffer>(buffers, true, ec);
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers) {
    return or_throw([&](error_code& ec) { return write_some(buffers, ec); });
  }
  void write_raw(std::string_view s) {
    error_code ec;
    net::write(*this, net::buffer(s.data(), s.size()), ec);
  }

 private:
  // One read or write on the first non-empty buffer of the sequence, as Beast's streams do.
  template <class Buffer, class BufferSequence>
  size_t first_buffer(const BufferSequence& buffers, bool write, error_code& ec) {
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it) {
      Buffer b = *it;
      if (b.size() == 0) continue;
      return io(const_cast<void*>(static_cast<const void*>(b.data())), b.size(), write, ec);
    }
    ec = {};
    return 0;
  }
  template <class Op>
  static size_t or_throw(Op op) {
    error_code ec;
    size_t n = op(ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  size_t io(void* p, size_t n, bool write, error_code& ec) {
    ec = {};
    for (;;) {
      ssize_t r = write ? ::send(fd_, p, n, MSG_NOSIGNAL) : ::recv(fd_, p, n, 0);
      if (r > 0) return static_cast<size_t>(r);
      if (r == 0 && !write) {
        ec = net::error::eof;
        return 0;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd pfd{fd_, static_cast<short>(write ? POLLOUT : POLLIN), 0};
        int pr = ::poll(&pfd, 1, timeout_ms_);
        if (pr == 0) {
          ec = net::error::timed_out;
          return 0;
        }
        if (pr < 0 && errno != EINTR) {
          ec = error_code(errno, boost::system::system_category());
          return 0;
        }
        continue;
      }
      ec = error_code(r < 0 ? errno : EPIPE, boost::system::system_category());
      return 0;
    }
  }
  int fd_;
  int timeout_ms_ = 300000;
};

class ParserBody : public BodyReader {
 public:
  ParserBody(FdStream& s, beast::flat_buffer& buf, bhttp::request_parser<bhttp::buffer_body>& p,
             bool expect_continue)
      : s_(s), buf_(buf), p_(p), expect_continue_(expect_continue) {}

  size_t read(std::span<uint8_t> out) override {
    if (p_.is_done() || out.empty()) return 0;
    if (expect_continue_ && !continue_sent_) {
      s_.write_raw("HTTP/1.1 100 Continue\r\n\r\n");
      continue_sent_ = true;
    }
    for (;;) {
      p_.get().body().data = out.data();
      p_.get().body().size = out.size();
      p_.get().body().more = true;
      error_code ec;
      bhttp::read_some(s_, buf_, p_, ec);
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) throw ConnectionLost("request body: " + ec.message());
      size_t n = out.size() - p_.get().body().size;
      total_ += n;
      if (limit_ && total_ > limit_) throw PayloadTooLarge(limit_);
      if (n > 0 || p_.is_done()) return n;
    }
  }
  bool done() const override { return p_.is_done(); }
  void set_limit(uint64_t limit) override { limit_ = limit; }
  bool awaiting_continue() const { return expect_continue_ && !continue_sent_; }

 private:
  FdStream& s_;
  beast::flat_buffer& buf_;
  bhttp::request_parser<bhttp::buffer_body>& p_;
  bool expect_continue_;
  bool continue_sent_ = false;
  uint64_t total_ = 0;
  uint64_t limit_ = 0;
};

void parse_target(Request& r) {
  std::string_view t = r.target;
  size_t q = t.find('?');
  r.path = percent_decode(t.substr(0, q));
  if (q == std::string_view::npos) return;
  for (const auto& item : split(t.substr(q + 1), '&')) {
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string raw = item;
    for (auto& c : raw)
      if (c == '+') c = ' ';  // form encoding; before percent-decoding so "%2B" stays '+'
    std::string name = to_lower(percent_decode(std::string_view(raw).substr(0, eq)));
    std::string value = eq == std::string::npos ? "" : percent_decode(std::string_view(raw).substr(eq + 1));
    r.query[name] = value;
  }
}

}  // namespace

struct Server::Impl {
  int listen_fd = -1;
};

Server::Server(ServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)), impl_(std::make_unique<Impl>()) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(options_.port);
  if (int rc = ::getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    throw io::Error("cannot resolve listen address '" + options_.host + "': " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, ::freeaddrinfo);
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw io::Error(std::string("cannot create socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
    int e = errno;
    ::close(fd);
    throw io::Error("cannot listen on " + options_.host + ":" + port + ": " + std::strerror(e));
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  impl_->listen_fd = fd;
}

Server::~Server() {
  if (impl_->listen_fd >= 0) ::close(impl_->listen_fd);
}

void Server::run() {
  while (!stop_) {
    pollfd pfd{impl_->listen_fd, POLLIN, 0};
    if (::poll(&pfd, 1, 200) <= 0) continue;
    int fd = ::accept4(impl_->listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (active_.load() >= options_.max_connections) {
      FdStream s(fd);
      s.set_timeout(2);
      auto r = problem(503, "too many connections; retry later");
      s.write_raw(
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 1\r\n"
          "Connection: close\r\nContent-Length: " +
          std::to_string(r.body.size()) + "\r\n\r\n" + r.body);
      ::close(fd);
      continue;
    }
    ++active_;
    std::thread([this, fd] {
      try {
        session(fd);
      } catch (const std::exception& e) {
        log_warn(std::string("connection ended: ") + e.what());
      }
      ::close(fd);
      --active_;
    }).detach();
  }
}

void Server::session(int fd) {
  FdStream s(fd);
  beast::flat_buffer buf;
  for (bool first = true; !stop_; first = false) {
    bhttp::request_parser<bhttp::buffer_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // boost::none misbehaves in 1.74
    s.set_timeout(first ? options_.io_timeout_seconds : options_.idle_timeout_seconds);
    error_code ec;
    bhttp::read_header(s, buf, parser, ec);
    if (ec) {
      if (ec != bhttp::error::end_of_stream && ec != net::error::eof && ec != net::error::timed_out &&
          ec != net::error::connection_reset) {
        auto r = problem(400, "malformed HTTP request: " + ec.message());
        s.write_raw(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\nConnection: close\r\n"
            "Content-Length: " +
            std::to_string(r.body.size()) + "\r\n\r\n" + r.body);
      }
      return;
    }
    s.set_timeout(options_.io_timeout_seconds);
    auto started = std::chrono::steady_clock::now();
    auto& hdr = parser.get();
    Request req;
    req.method = std::string(hdr.method_string());
    req.target = std::string(hdr.target());
    parse_target(req);
    for (const auto& f : hdr) req.headers[to_lower(std::string(f.name_string()))] = std::string(f.value());
    if (auto cl = parser.content_length()) req.content_length = *cl;
    std::string host = req.header("host");
    req.base_url = !options_.public_url.empty()
                       ? options_.public_url
                       : "http://" + (host.empty() ? options_.host + ":" + std::to_string(port_) : host);
    while (!req.base_url.empty() && req.base_url.back() == '/') req.base_url.pop_back();
    bool expect = iequals(req.header("expect"), "100-continue");
    ParserBody body(s, buf, parser, expect);
    req.body = &body;

    Response resp;
    try {
      resp = handler_(req);
    } catch (const PayloadTooLarge& e) {
      resp = problem(413, std::string(e.what()), req.path);
    } catch (const ConnectionLost&) {
      return;
    } catch (const std::exception& e) {
      log_error("internal error on " + req.method + " " + req.path + ": " + e.what());
      resp = problem(500, "internal server error", req.path);
    }

    bool keep = hdr.keep_alive() && !stop_ && parser.is_done();
    bool awaiting = body.awaiting_continue();
    if (resp.file.empty()) {
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(resp.status), 11};
      res.set(bhttp::field::server, "signet");
      if (!resp.body.empty() || resp.status >= 200) res.set(bhttp::field::content_type, resp.content_type);
      for (auto& [k, v] : resp.headers) res.set(k, v);
      res.body() = std::move(resp.body);
      res.keep_alive(keep);
      res.prepare_payload();
      bhttp::write(s, res, ec);
    } else {
      bhttp::response<bhttp::file_body> res{static_cast<bhttp::status>(resp.status), 11};
      error_code fec;
      res.body().open(resp.file.c_str(), beast::file_mode::scan, fec);
      if (fec) {
        auto p = problem(500, "artifact file is not readable", req.path);
        s.write_raw(
            "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Type: "
            "application/problem+json\r\nContent-Length: " +
            std::to_string(p.body.size()) + "\r\n\r\n" + p.body);
        return;
      }
      res.set(bhttp::field::server, "signet");
      res.set(bhttp::field::content_type, resp.content_type);
      for (auto& [k, v] : resp.headers) res.set(k, v);
      res.keep_alive(keep);
      res.prepare_payload();
      bhttp::write(s, res, ec);
    }
    if (access_log_enabled()) {
      auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
              .count();
      log_info(req.method + " " + req.path + " " + std::to_string(resp.status) + " " + std::to_string(ms) +
               "ms");
    }
    if (ec) return;
    if (!parser.is_done() && !awaiting) {
      // The client is still sending a body we did not want: read and drop a bounded amount so it
      // sees the response instead of a reset, then close.
      s.set_timeout(5);
      body.set_limit(0);
      uint8_t sink[65536];
      uint64_t dropped = 0;
      try {
        for (size_t n; dropped < (64u << 20) && (n = body.read(sink)) > 0;) dropped += n;
      } catch (const std::exception&) {
      }
      ::shutdown(fd, SHUT_WR);
      return;
    }
    if (!keep) {
      ::shutdown(fd, SHUT_WR);
      return;
    }
  }
}

}  // namespace signet::service::http
