#include "service/http_client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <fstream>
#include <limits>
#include <mutex>
#include <thread>

#include "io/error.hpp"
#include "io/file.hpp"
#include "service/util.hpp"

namespace signet::service::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

Url parse_url(const std::string& url) {
  Url u;
  size_t p = url.find("://");
  if (p == std::string::npos) throw io::Error("not an absolute URL: '" + url + "'");
  u.scheme = to_lower(url.substr(0, p));
  if (u.scheme != "http" && u.scheme != "https") throw io::Error("unsupported URL scheme in '" + url + "'");
  std::string rest = url.substr(p + 3);
  size_t slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (u.target[0] == '?') u.target = "/" + u.target;
  if (authority.find('@') != std::string::npos)
    throw io::Error("credentials in URLs are not supported: '" + url + "'");
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) throw io::Error("malformed IPv6 address in '" + url + "'");
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') u.port = authority.substr(close + 2);
  } else {
    size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) u.port = authority.substr(colon + 1);
  }
  if (u.host.empty()) throw io::Error("URL has no host: '" + url + "'");
  if (u.port.empty()) u.port = u.scheme == "https" ? "443" : "80";
  return u;
}

namespace {

// Shuts the socket down when the deadline passes, which ends any blocked read or write.
class Watchdog {
 public:
  Watchdog(int fd, int seconds) : fd_(fd) {
    thread_ = std::thread([this, seconds] {
      std::unique_lock lock(mu_);
      if (!cv_.wait_for(lock, std::chrono::seconds(seconds), [this] { return done_; })) {
        fired_ = true;
        ::shutdown(fd_, SHUT_RDWR);
      }
    });
  }
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool fired() const {
    std::lock_guard lock(mu_);
    return fired_;
  }

 private:
  int fd_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false, fired_ = false;
  std::thread thread_;
};

void connect_with_timeout(tcp::socket& sock, const tcp::resolver::results_type& endpoints, int seconds,
                          const std::string& what) {
  error_code last = net::error::host_not_found;
  for (const auto& ep : endpoints) {
    error_code ec;
    sock.close(ec);
    sock.open(ep.endpoint().protocol(), ec);
    if (ec) {
      last = ec;
      continue;
    }
    sock.non_blocking(true, ec);
    sock.connect(ep.endpoint(), ec);
    if (ec == net::error::in_progress || ec == net::error::would_block) {
      pollfd pfd{sock.native_handle(), POLLOUT, 0};
      int pr = ::poll(&pfd, 1, seconds * 1000);
      if (pr <= 0) {
        last = net::error::timed_out;
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(sock.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len);
      ec = err ? error_code(err, boost::system::system_category()) : error_code();
    }
    if (!ec) {
      sock.non_blocking(false, ec);
      return;
    }
    last = ec;
  }
  throw io::Error("cannot connect to " + what + ": " + last.message());
}

template <class Stream>
ClientResponse exchange(Stream& stream, const ClientRequest& rq, const Url& u) {
  uint64_t total = 0;
  for (const auto& part : rq.body)
    total += part.file.empty() ? part.data.size() : std::filesystem::file_size(part.file);
  bhttp::request<bhttp::empty_body> req{bhttp::string_to_verb(rq.method), u.target, 11};
  bool default_port = (u.scheme == "http" && u.port == "80") || (u.scheme == "https" && u.port == "443");
  std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  req.set(bhttp::field::host, default_port ? host : host + ":" + u.port);
  req.set(bhttp::field::user_agent, "signet/0.1");
  for (const auto& [k, v] : rq.headers) req.set(k, v);
  if (!rq.body.empty() || rq.method == "POST" || rq.method == "PUT") req.content_length(total);
  bhttp::request_serializer<bhttp::empty_body> sr{req};
  bhttp::write_header(stream, sr);
  uint64_t sent = 0;
  std::vector<char> buf(1 << 16);
  for (const auto& part : rq.body) {
    if (part.file.empty()) {
      net::write(stream, net::buffer(part.data));
      sent += part.data.size();
      if (rq.upload_progress) rq.upload_progress(sent, total);
      continue;
    }
    std::ifstream in(part.file, std::ios::binary);
    if (!in) throw io::Error("cannot open file", io::Location{part.file.string()});
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      auto n = static_cast<size_t>(in.gcount());
      if (n == 0) break;
      net::write(stream, net::buffer(buf.data(), n));
      sent += n;
      if (rq.upload_progress) rq.upload_progress(sent, total);
    }
  }

  beast::flat_buffer fb;
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // boost::none misbehaves in 1.74
  bhttp::read_header(stream, fb, parser);
  ClientResponse out;
  out.status = parser.get().result_int();
  for (const auto& f : parser.get())
    out.headers[to_lower(std::string(f.name_string()))] = std::string(f.value());
  uint64_t expected = parser.content_length() ? *parser.content_length() : 0;
  bool to_file = !rq.save_to.empty() && out.status >= 200 && out.status < 300;
  std::unique_ptr<io::AtomicOutput> file;
  if (to_file) file = std::make_unique<io::AtomicOutput>(rq.save_to);
  uint64_t got = 0;
  while (!parser.is_done()) {
    parser.get().body().data = buf.data();
    parser.get().body().size = buf.size();
    error_code ec;
    bhttp::read(stream, fb, parser, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) throw boost::system::system_error(ec);
    size_t n = buf.size() - parser.get().body().size;
    got += n;
    if (to_file) {
      file->file().write_all(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf.data()), n));
      if (rq.download_progress) rq.download_progress(got, expected);
    } else {
      if (out.body.size() + n > rq.max_body) throw io::Error("response from " + u.host + " is too large");
      out.body.append(buf.data(), n);
    }
  }
  if (file) file->commit();
  return out;
}

}  // namespace

ClientResponse fetch(const ClientRequest& rq) {
  Url u = parse_url(rq.url);
  std::string what = u.host + ":" + u.port;
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  error_code ec;
  auto endpoints = resolver.resolve(u.host, u.port, ec);
  if (ec) throw io::Error("cannot resolve " + u.host + ": " + ec.message());
  try {
    if (u.scheme == "http") {
      tcp::socket sock(ioc);
      connect_with_timeout(sock, endpoints, rq.timeout_seconds, what);
      Watchdog dog(sock.native_handle(), rq.timeout_seconds);
      try {
        return exchange(sock, rq, u);
      } catch (const boost::system::system_error& e) {
        if (dog.fired())
          throw io::Error("request to " + what + " timed out after " + std::to_string(rq.timeout_seconds) +
                          " s");
        throw;
      }
    }
    net::ssl::context ctx(net::ssl::context::tls_client);
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(net::ssl::verify_peer);
    net::ssl::stream<tcp::socket> stream(ioc, ctx);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str())) {
      throw io::Error("cannot set TLS server name for " + u.host);
    }
    stream.set_verify_callback(net::ssl::host_name_verification(u.host));
    connect_with_timeout(stream.next_layer(), endpoints, rq.timeout_seconds, what);
    Watchdog dog(stream.next_layer().native_handle(), rq.timeout_seconds);
    try {
      stream.handshake(net::ssl::stream_base::client);
      auto out = exchange(stream, rq, u);
      stream.shutdown(ec);
      return out;
    } catch (const boost::system::system_error& e) {
      if (dog.fired())
        throw io::Error("request to " + what + " timed out after " + std::to_string(rq.timeout_seconds) +
                        " s");
      throw;
    }
  } catch (const boost::system::system_error& e) {
    throw io::Error("HTTP request to " + what + " failed: " + e.code().message());
  }
}

}  // namespace signet::service::http
