// The HTTP server and client over real loopback sockets: keep-alive, chunked bodies,
// Expect: 100-continue, body limits, malformed requests, percent-decoding, streaming to files.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "io/error.hpp"
#include "io/file.hpp"
#include "service/http_client.hpp"
#include "service/http_server.hpp"

namespace signet::service::http {
namespace {

ClientResponse get(const std::string& u, int timeout) {
  ClientRequest rq;
  rq.url = u;
  rq.timeout_seconds = timeout;
  return fetch(rq);
}

class ServiceHttpFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.port = 0;
    o.io_timeout_seconds = 5;
    o.idle_timeout_seconds = 5;
    server_ = std::make_unique<Server>(o, [](Request& r) {
      Response resp;
      if (r.path == "/limited") r.body->set_limit(10);
      std::string body = r.body->read_all(r.path == "/limited" ? 10 : 1 << 30);
      resp.body = r.method + " " + r.path + " q=" + (r.query.count("x") ? r.query.at("x") : "-") +
                  " len=" + std::to_string(body.size()) + " body=" + body.substr(0, 20);
      resp.content_type = "text/plain";
      return resp;
    });
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
    for (int i = 0; i < 100 && server_->active() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    server_.reset();
  }

  int connect_raw() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server_->port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }
  static void send_all(int fd, const std::string& s) {
    ASSERT_EQ(::send(fd, s.data(), s.size(), 0), ssize_t(s.size()));
  }
  // Reads until `needle` has arrived (or the peer closes / times out).
  static std::string read_until(int fd, const std::string& needle) {
    std::string got;
    char buf[4096];
    while (got.find(needle) == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  std::string url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_F(ServiceHttpFixture, KeepAliveAndPercentDecoding) {
  int fd = connect_raw();
  send_all(fd, "GET /a%20b?x=1%2B2+3 HTTP/1.1\r\nHost: h\r\n\r\n");
  std::string r1 = read_until(fd, "body=");
  EXPECT_NE(r1.find("200 OK"), std::string::npos);
  EXPECT_NE(r1.find("GET /a b q=1+2 3 len=0"), std::string::npos) << r1;
  send_all(fd, "GET /second HTTP/1.1\r\nHost: h\r\n\r\n");  // same connection
  std::string r2 = read_until(fd, "body=");
  EXPECT_NE(r2.find("GET /second"), std::string::npos) << r2;
  ::close(fd);
}

TEST_F(ServiceHttpFixture, ChunkedBody) {
  int fd = connect_raw();
  send_all(fd,
           "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n "
           "world\r\n0\r\n\r\n");
  std::string r = read_until(fd, "body=hello world");
  EXPECT_NE(r.find("len=11 body=hello world"), std::string::npos) << r;
  ::close(fd);
}

TEST_F(ServiceHttpFixture, ExpectContinueIsAnsweredWhenTheBodyIsRead) {
  int fd = connect_raw();
  send_all(fd, "POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  std::string interim = read_until(fd, "\r\n\r\n");
  EXPECT_NE(interim.find("100 Continue"), std::string::npos) << interim;
  send_all(fd, "abc");
  std::string r = read_until(fd, "body=abc");
  EXPECT_NE(r.find("len=3"), std::string::npos) << r;
  ::close(fd);
}

TEST_F(ServiceHttpFixture, BodyLimitGives413) {
  int fd = connect_raw();
  // Small enough to be read whole: 413, and the connection stays usable.
  send_all(fd, "POST /limited HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  std::string r = read_until(fd, "}");
  EXPECT_NE(r.find("413"), std::string::npos) << r;
  EXPECT_NE(r.find("application/problem+json"), std::string::npos) << r;
  send_all(fd, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_NE(read_until(fd, "body=").find("GET /after"), std::string::npos);
  ::close(fd);
  // Larger than what arrived: 413 at once, then the connection is closed.
  fd = connect_raw();
  send_all(fd,
           "POST /limited HTTP/1.1\r\nHost: h\r\nContent-Length: 10000000\r\n\r\n" + std::string(70000, 'x'));
  r = read_until(fd, "}");
  EXPECT_NE(r.find("413"), std::string::npos) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  ::close(fd);
}

TEST_F(ServiceHttpFixture, MalformedRequestsGet400) {
  for (std::string bad : {"BLAH\r\n\r\n", "GET / HTTP/1.1\r\nHost h\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                          "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                          "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n"}) {
    int fd = connect_raw();
    send_all(fd, bad);
    std::string r = read_until(fd, "}");
    ::close(fd);
    // Either a 400 problem or, for a body error after the headers, a closed connection.
    if (!r.empty()) {
      EXPECT_NE(r.find("400"), std::string::npos) << bad << " -> " << r;
    }
  }
  // The server is still healthy afterwards.
  auto resp = get(url("/ok"), 5);
  EXPECT_EQ(resp.status, 200u);
}

TEST_F(ServiceHttpFixture, ClientStreamsFilesBothWays) {
  io::TempDir dir;
  std::string payload(300000, 'p');
  { std::ofstream(dir.path() / "in.bin", std::ios::binary) << payload; }
  ClientRequest rq;
  rq.method = "POST";
  rq.url = url("/upload?x=y");
  rq.body = {{"head-", {}}, {"", dir.path() / "in.bin"}, {"-tail", {}}};
  uint64_t last = 0;
  rq.upload_progress = [&](uint64_t done, uint64_t total) {
    EXPECT_LE(done, total);
    last = done;
  };
  rq.save_to = dir.path() / "out.txt";
  auto resp = fetch(rq);
  EXPECT_EQ(resp.status, 200u);
  EXPECT_EQ(last, payload.size() + 10);
  std::ifstream in(dir.path() / "out.txt");
  std::string got((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(got, "POST /upload q=y len=300010 body=head-ppppppppppppppp");
}

TEST(ServiceHttpClient, UrlsAndErrors) {
  auto u = parse_url("https://example.com/api/v1?x=1");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.target, "/api/v1?x=1");
  auto v = parse_url("http://[::1]:8080");
  EXPECT_EQ(v.host, "::1");
  EXPECT_EQ(v.port, "8080");
  EXPECT_EQ(v.target, "/");
  EXPECT_THROW(parse_url("ftp://x/"), io::Error);
  EXPECT_THROW(parse_url("no-scheme"), io::Error);
  EXPECT_THROW(parse_url("http://user:pw@host/"), io::Error);
  // Nothing listens on port 1.
  EXPECT_THROW(get("http://127.0.0.1:1/", 2), io::Error);
}

TEST(ServiceHttpServer, ProblemDetails) {
  auto p = problem(403, "user 'x' is not a submitter", "/v1/o/SigningRequests");
  EXPECT_EQ(p.status, 403u);
  EXPECT_EQ(p.content_type, "application/problem+json");
  EXPECT_NE(p.body.find("\"title\":\"Forbidden\""), std::string::npos);
  EXPECT_NE(p.body.find("\"detail\":\"user 'x' is not a submitter\""), std::string::npos);
  EXPECT_EQ(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
}

}  // namespace
}  // namespace signet::service::http
