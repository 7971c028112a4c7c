#include "crypto/timestamp_http.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <functional>
#include <optional>

#include "io/error.hpp"

namespace signet::crypto::timestamp::http {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Url {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string host_header;
  std::string target;
};

Url parse_url(const std::string& url) {
  Url u;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = url.substr(8);
  } else {
    throw io::Error("unsupported URL scheme (use http:// or https://)");
  }
  size_t slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (u.target[0] == '?') u.target = "/" + u.target;
  if (authority.find('@') != std::string::npos) throw io::Error("credentials in the URL are not supported");
  u.host_header = authority;
  if (!authority.empty() && authority[0] == '[') {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close == std::string::npos) throw io::Error("malformed URL host");
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw io::Error("malformed URL host");
      u.port = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) u.port = authority.substr(colon + 1);
  }
  if (u.host.empty()) throw io::Error("URL without host");
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  for (char c : u.port) {
    if (c < '0' || c > '9') throw io::Error("malformed URL port");
  }
  return u;
}

std::string seconds(std::chrono::milliseconds t) {
  auto ms = t.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

// Runs the io_context until `done` or the deadline; on timeout cancels the operation, drains its
// handler and throws.
void wait(net::io_context& ioc, const bool& done, Clock::time_point deadline,
          const std::function<void()>& cancel, const std::string& timeout_message) {
  ioc.restart();
  ioc.run_until(deadline);
  if (done) return;
  cancel();
  ioc.restart();
  ioc.run();
  throw io::Error(timeout_message);
}

std::string connect_cause(const beast::error_code& ec) {
  if (ec == net::error::connection_refused) return "connection refused";
  if (ec == net::error::host_unreachable || ec == net::error::network_unreachable) return "host unreachable";
  return "cannot connect: " + ec.message();
}

template <class Stream>
Response exchange(net::io_context& ioc, Stream& stream, const Url& u, std::string_view content_type,
                  std::span<const uint8_t> body, std::chrono::milliseconds timeout, size_t max_bytes,
                  const std::function<void()>& cancel) {
  bhttp::request<bhttp::vector_body<uint8_t>> req{bhttp::verb::post, u.target, 11};
  req.set(bhttp::field::host, u.host_header);
  req.set(bhttp::field::user_agent, "Signet");
  req.set(bhttp::field::content_type, std::string(content_type));
  req.set(bhttp::field::accept, "application/timestamp-reply");
  req.set(bhttp::field::connection, "close");
  req.body().assign(body.begin(), body.end());
  req.prepare_payload();

  const auto deadline = Clock::now() + timeout;
  const std::string timeout_msg = "timed out after " + seconds(timeout) + " waiting for the reply";
  beast::error_code ec;
  bool done = false;
  bhttp::async_write(stream, req, [&](beast::error_code e, size_t) {
    ec = e;
    done = true;
  });
  wait(ioc, done, deadline, cancel, timeout_msg);
  if (ec) throw io::Error("sending the request failed: " + ec.message());

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::vector_body<uint8_t>> parser;
  parser.body_limit(max_bytes);
  done = false;
  bhttp::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) {
    ec = e;
    done = true;
  });
  wait(ioc, done, deadline, cancel, timeout_msg);
  if (ec == bhttp::error::body_limit) {
    throw io::Error("reply larger than " + std::to_string(max_bytes) + " bytes");
  }
  if (ec) throw io::Error("reading the reply failed: " + ec.message());
  auto& res = parser.get();
  Response out;
  out.status = res.result_int();
  out.content_type = std::string(res[bhttp::field::content_type]);
  out.body = std::move(res.body());
  return out;
}

}  // namespace

Response post(const std::string& url, std::string_view content_type, std::span<const uint8_t> body,
              std::chrono::milliseconds connect_timeout, std::chrono::milliseconds exchange_timeout,
              size_t max_response_bytes) {
  const Url u = parse_url(url);
  net::io_context ioc;
  const auto deadline = Clock::now() + connect_timeout;
  const std::string timeout_msg = "timed out after " + seconds(connect_timeout) + " while connecting";

  tcp::resolver resolver(ioc);
  tcp::resolver::results_type endpoints;
  beast::error_code ec;
  bool done = false;
  resolver.async_resolve(u.host, u.port, [&](beast::error_code e, tcp::resolver::results_type r) {
    ec = e;
    endpoints = std::move(r);
    done = true;
  });
  wait(
      ioc, done, deadline, [&] { resolver.cancel(); }, timeout_msg);
  if (ec) throw io::Error("cannot resolve host '" + u.host + "': " + ec.message());

  beast::tcp_stream tcp_stream(ioc);
  done = false;
  tcp_stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    ec = e;
    done = true;
  });
  wait(
      ioc, done, deadline, [&] { tcp_stream.cancel(); }, timeout_msg);
  if (ec) throw io::Error(connect_cause(ec));

  if (!u.tls) {
    return exchange(ioc, tcp_stream, u, content_type, body, exchange_timeout, max_response_bytes,
                    [&] { tcp_stream.cancel(); });
  }

  net::ssl::context ctx(net::ssl::context::tls_client);
  ctx.set_default_verify_paths();
  ctx.set_verify_mode(net::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp_stream), ctx);
  tls.set_verify_callback(net::ssl::host_name_verification(u.host));
  if (!SSL_set_tlsext_host_name(tls.native_handle(), u.host.c_str())) {
    throw io::Error("cannot set the TLS server name");
  }
  done = false;
  tls.async_handshake(net::ssl::stream_base::client, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  auto cancel_tls = [&] { beast::get_lowest_layer(tls).cancel(); };
  wait(ioc, done, deadline, cancel_tls, timeout_msg);
  if (ec) throw io::Error("TLS handshake failed: " + ec.message());
  return exchange(ioc, tls, u, content_type, body, exchange_timeout, max_response_bytes, cancel_tls);
}

}  // namespace signet::crypto::timestamp::http
