// RFC 3161 client against the local TSA (tests/integration/tsa_server.py): tokens verified with
// `openssl ts -verify`, responses checked for status, nonce and imprint, and every way a TSA can
// fail reported with its URL and cause.
#include <gtest/gtest.h>

#include <chrono>

#include "crypto/authenticode.hpp"
#include "crypto/authenticode_test_support.hpp"
#include "crypto/key_file_signer.hpp"
#include "crypto/timestamp.hpp"
#include "crypto/x509.hpp"
#include "io/error.hpp"

using namespace signet;
using namespace signet::crypto;
using actest::Fixtures;
using actest::q;

namespace {

std::vector<uint8_t> data_digest(io::HashAlg alg = io::HashAlg::sha256) {
  return io::digest(alg, std::vector<uint8_t>{'d', 'a', 't', 'a'});
}

timestamp::ClientOptions client(std::vector<std::string> urls) {
  timestamp::ClientOptions o;
  o.urls = std::move(urls);
  o.backoff = std::chrono::milliseconds(10);
  o.connect_timeout = std::chrono::milliseconds(3000);
  o.exchange_timeout = std::chrono::milliseconds(10000);
  return o;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const io::Error& e) {
    return e.message();
  }
  return "(no error)";
}

#define REQUIRE_TSA(server)  \
  ACTEST_REQUIRE_FIXTURES(); \
  actest::TsaServer server;  \
  if (!server.ok()) FAIL() << "cannot start tests/integration/tsa_server.py"

}  // namespace

TEST(Timestamp, TokenVerifiesWithOpensslTs) {
  REQUIRE_TSA(tsa);
  for (auto alg : {io::HashAlg::sha1, io::HashAlg::sha256, io::HashAlg::sha512}) {
    SCOPED_TRACE(std::string(io::hash_alg_name(alg)));
    auto digest = data_digest(alg);
    auto token = timestamp::request_token(alg, digest, client({tsa.url()}));
    auto f = x509test::scratch() / "token.der";
    x509test::write_file(f, token);
    const std::string verify = "openssl ts -verify -token_in -in " + q(f) + " -digest " + io::to_hex(digest) +
                               " -untrusted " + q(Fixtures::get() / "tsa.crt") + " -CAfile ";
    auto ok = actest::tool(verify + q(Fixtures::get() / "ca.crt"));
    EXPECT_EQ(ok.rc, 0) << ok.out;
    EXPECT_NE(actest::tool(verify + q(Fixtures::get() / "other-ca.crt")).rc, 0);

    timestamp::TokenInfo info;
    auto r = timestamp::verify_token(token, std::vector<uint8_t>{'d', 'a', 't', 'a'},
                                     load_certificates(Fixtures::get() / "ca.crt"), &info);
    EXPECT_TRUE(r.valid) << r.detail;
    EXPECT_EQ(info.tsa_signer, "CN=Test TSA");
    EXPECT_EQ(info.imprint, digest);
    EXPECT_LT(std::abs(std::difftime(info.gen_time, std::time(nullptr))), 300.0);
    EXPECT_FALSE(timestamp::verify_token(token, std::vector<uint8_t>{'x'}, {}).valid);
    EXPECT_FALSE(timestamp::verify_token(token, std::vector<uint8_t>{'d', 'a', 't', 'a'},
                                         load_certificates(Fixtures::get() / "other-ca.crt"))
                     .valid);
  }
}

TEST(Timestamp, CheckResponseRejectsWrongNonceAndImprint) {
  ACTEST_REQUIRE_FIXTURES();
  const std::vector<uint8_t> nonce{0x12, 0x34, 0x56, 0x78};
  auto digest = data_digest();
  auto req = timestamp::make_request(io::HashAlg::sha256, digest, nonce);
  auto dir = x509test::scratch();
  x509test::write_file(dir / "q.tsq", req);
  // `openssl ts -reply` is the independent TSA implementation answering our request.
  auto r = actest::tool("openssl ts -reply -config " + q(Fixtures::get() / "tsa.cnf") + " -queryfile " +
                        q(dir / "q.tsq") + " -out " + q(dir / "r.tsr"));
  ASSERT_EQ(r.rc, 0) << r.out;
  auto resp = x509test::read_file(dir / "r.tsr");
  auto token = timestamp::check_response(resp, io::HashAlg::sha256, digest, nonce, "http://tsa");
  EXPECT_FALSE(token.empty());
  const std::vector<uint8_t> other_nonce{0x12, 0x34, 0x56, 0x79};
  EXPECT_NE(error_of([&] {
              timestamp::check_response(resp, io::HashAlg::sha256, digest, other_nonce, "http://tsa");
            }).find("TSA http://tsa: the token's nonce does not match"),
            std::string::npos);
  auto other = data_digest(io::HashAlg::sha1);
  other.resize(32);
  EXPECT_NE(error_of([&] {
              timestamp::check_response(resp, io::HashAlg::sha256, other, nonce, "http://tsa");
            }).find("message imprint does not match"),
            std::string::npos);
  auto bad = resp;
  bad[bad.size() - 5] ^= 1;  // inside the token's signature value
  EXPECT_NE(error_of([&] {
              timestamp::check_response(bad, io::HashAlg::sha256, digest, nonce, "http://tsa");
            }).find("TSA http://tsa: "),
            std::string::npos);
}

TEST(Timestamp, UrlsAreTriedInOrder) {
  REQUIRE_TSA(tsa);
  auto token = timestamp::request_token(io::HashAlg::sha256, data_digest(),
                                        client({actest::dead_url(), tsa.url("/http500"), tsa.url()}));
  EXPECT_FALSE(token.empty());
}

TEST(Timestamp, FailuresNameEveryTsaAndTheCause) {
  REQUIRE_TSA(tsa);
  auto msg = error_of([&] {
    timestamp::request_token(io::HashAlg::sha256, data_digest(),
                             client({actest::dead_url(), tsa.url("/http500"), tsa.url("/garbage"),
                                     tsa.url("/reject"), "ftp://example.com/"}));
  });
  EXPECT_NE(msg.find("RFC 3161 timestamp failed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("TSA " + actest::dead_url() + ": connection refused (2 attempts)"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("TSA " + tsa.url("/http500") + ": answered HTTP 500 (2 attempts)"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("TSA " + tsa.url("/garbage") + ": the reply is not an RFC 3161"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("TSA " + tsa.url("/reject") + ": status rejection: rejected by test"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("TSA ftp://example.com/: unsupported URL scheme"), std::string::npos) << msg;
}

TEST(Timestamp, SlowTsaTimesOut) {
  REQUIRE_TSA(tsa);
  auto o = client({tsa.url("/slow")});
  o.exchange_timeout = std::chrono::milliseconds(500);
  o.attempts_per_url = 1;
  auto start = std::chrono::steady_clock::now();
  auto msg = error_of([&] { timestamp::request_token(io::HashAlg::sha256, data_digest(), o); });
  EXPECT_NE(msg.find("timed out after 500 ms"), std::string::npos) << msg;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Timestamp, HttpsWithUntrustedCertificateFailsClearly) {
  // A TLS server whose certificate no system root trusts: the handshake must fail, not pass.
  ACTEST_REQUIRE_FIXTURES();
  auto dir = x509test::scratch();
  int port = 20000 + (getpid() % 20000);
  std::string cmd = "cd " + q(dir) + " && (timeout 20 openssl s_server -quiet -accept " +
                    std::to_string(port) + " -cert " + q(Fixtures::get() / "cs.crt") + " -key " +
                    q(Fixtures::get() / "cs.key") + " >/dev/null 2>&1 &) && sleep 1";
  ASSERT_EQ(x509test::run(cmd), 0);
  auto o = client({"https://127.0.0.1:" + std::to_string(port) + "/"});
  o.attempts_per_url = 1;
  auto msg = error_of([&] { timestamp::request_token(io::HashAlg::sha256, data_digest(), o); });
  EXPECT_NE(msg.find("TLS handshake failed"), std::string::npos) << msg;
}

TEST(Timestamp, AuthenticodeSignatureCarriesAValidTimestamp) {
  REQUIRE_TSA(tsa);
  const auto& f = Fixtures::get();
  auto signer = load_key_file_signer(f / "cs.key", "", f / "cs.crt", f / "ca.crt");
  authenticode::SignOptions o;
  o.timestamp = client({tsa.url()});
  auto digest = io::digest(io::HashAlg::sha256, std::vector<uint8_t>(10, 7));
  auto sig = authenticode::sign(*signer, authenticode::pe_image_data_attribute(), digest, o);
  auto infos = authenticode::parse(sig);
  ASSERT_EQ(infos.size(), 1u);
  ASSERT_TRUE(infos[0].timestamp);
  EXPECT_EQ(infos[0].timestamp->kind, "RFC 3161");
  EXPECT_EQ(infos[0].timestamp->signer, "CN=Test TSA");

  authenticode::VerifyOptions vo;
  vo.anchors = load_certificates(f / "ca.crt");
  auto digest_fn = [&](io::HashAlg) { return digest; };
  auto v = authenticode::verify_one(infos[0], digest_fn, vo);
  EXPECT_TRUE(v.result.valid) << v.result.detail;
  EXPECT_TRUE(v.timestamp_valid) << v.timestamp_detail;
  EXPECT_NE(authenticode::describe(v).find("timestamp 20"), std::string::npos) << authenticode::describe(v);

  // Sixty days later the 30-day signer certificate has expired: the timestamp keeps the
  // signature valid; the same signature without a timestamp would not be.
  vo.now = std::time(nullptr) + 60 * 86400;
  v = authenticode::verify_one(infos[0], digest_fn, vo);
  EXPECT_TRUE(v.result.valid) << v.result.detail;
  auto untimestamped = authenticode::sign(*signer, authenticode::pe_image_data_attribute(), digest, {});
  auto u = authenticode::verify(untimestamped, digest_fn, vo);
  EXPECT_FALSE(u[0].result.valid);
  EXPECT_NE(u[0].result.detail.find("expired"), std::string::npos) << u[0].result.detail;

  // A TSA not trusted: the timestamp is reported invalid, and the expired signature fails.
  vo.tsa_anchors = load_certificates(f / "other-ca.crt");
  v = authenticode::verify_one(infos[0], digest_fn, vo);
  EXPECT_FALSE(v.timestamp_valid);
  EXPECT_FALSE(v.result.valid);
}
