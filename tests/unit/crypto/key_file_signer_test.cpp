#include "crypto/key_file_signer.hpp"

#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <thread>

#include "crypto/der.hpp"
#include "crypto/raw_signature.hpp"
#include "crypto/x509.hpp"
#include "crypto/x509_test_pki.hpp"
#include "io/error.hpp"
#include "io/source.hpp"

using namespace signet;
using namespace signet::crypto;
using x509test::error_of;
using x509test::Pki;

namespace {

const Pki& pki() {
  return Pki::get();
}

// The signer's signature over some bytes verifies with its own certificate (or public key).
void expect_signs(const Signer& s, RsaPadding padding = RsaPadding::pss) {
  std::vector<uint8_t> data{'h', 'e', 'l', 'l', 'o'};
  auto sig = raw_sign(s, io::HashAlg::sha256, io::digest(io::HashAlg::sha256, data), padding);
  ASSERT_FALSE(s.certificates().empty());
  VerifyResult r = raw_verify(sig, *io::memory_source(data, "hello"), s.certificates()[0]);
  EXPECT_TRUE(r.valid) << r.detail;
  data[0] = 'j';
  EXPECT_FALSE(raw_verify(sig, *io::memory_source(data, "jello"), s.certificates()[0]).valid);
}

}  // namespace

TEST(KeyFileSigner, LoadsRsaPemPkcs8WithCertificate) {
  X509TEST_REQUIRE_PKI();
  auto s = load_key_file_signer(pki() / "cs.key", "", pki() / "cs.crt", std::nullopt);
  EXPECT_EQ(s->key_type(), KeyType::rsa);
  EXPECT_EQ(s->key_bits(), 2048);
  ASSERT_EQ(s->certificates().size(), 1u);
  EXPECT_EQ(subject_name(s->certificates()[0]), "CN=Test Code Signer");
  EXPECT_EQ(s->public_key_der(), certificate_public_key(s->certificates()[0]));
  EXPECT_NE(s->describe().find("RSA 2048"), std::string::npos);
  EXPECT_EQ(s->describe().find("PRIVATE"), std::string::npos);
  expect_signs(*s);
  expect_signs(*s, RsaPadding::pkcs1);
}

TEST(KeyFileSigner, LoadsEveryKeyFormat) {
  X509TEST_REQUIRE_PKI();
  struct Case {
    const char* key;
    const char* password;
  } cases[] = {{"cs-trad.key", ""}, {"cs-enc.key", "secret"}, {"cs-p8.der", ""}, {"cs-enc-p8.der", "secret"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    auto s = load_key_file_signer(pki() / c.key, c.password, pki() / "cs.crt.der", std::nullopt);
    EXPECT_EQ(s->key_type(), KeyType::rsa);
    expect_signs(*s);
  }
}

TEST(KeyFileSigner, Pkcs12BringsCertificateAndChain) {
  X509TEST_REQUIRE_PKI();
  auto s = load_key_file_signer(pki() / "cs.p12", "test", std::nullopt, std::nullopt);
  ASSERT_EQ(s->certificates().size(), 2u);
  EXPECT_EQ(subject_name(s->certificates()[0]), "CN=Test Code Signer");
  EXPECT_EQ(subject_name(s->certificates()[1]), "CN=Test Root CA");
  expect_signs(*s);
}

TEST(KeyFileSigner, Pkcs12WithoutPasswordAndLegacyEncryption) {
  X509TEST_REQUIRE_PKI();
  auto s = load_key_file_signer(pki() / "cs-nopass.p12", "", std::nullopt, std::nullopt);
  ASSERT_EQ(s->certificates().size(), 1u);
  expect_signs(*s);
  // RC2-40 (openssl -legacy, old Windows exports) is decrypted with OpenSSL's legacy provider.
  auto legacy = load_key_file_signer(pki() / "cs-legacy.p12", "test", std::nullopt, std::nullopt);
  expect_signs(*legacy);
  std::string e =
      error_of([&] { load_key_file_signer(pki() / "cs-legacy.p12", "bad", std::nullopt, std::nullopt); });
  EXPECT_NE(e.find("wrong password"), std::string::npos) << e;
}

TEST(KeyFileSigner, EcCurves) {
  X509TEST_REQUIRE_PKI();
  for (auto [curve, bits] : {std::pair{"P-256", 256}, {"P-384", 384}, {"P-521", 521}}) {
    SCOPED_TRACE(curve);
    auto s = load_key_file_signer(pki() / ("ec-" + std::string(curve) + ".key"), "",
                                  pki() / ("ec-" + std::string(curve) + ".crt"), std::nullopt);
    EXPECT_EQ(s->key_type(), KeyType::ec);
    EXPECT_EQ(s->key_bits(), bits);
    expect_signs(*s);
  }
  auto trad = load_key_file_signer(pki() / "ec-P-256-trad.key", "", pki() / "ec-P-256.crt", std::nullopt);
  EXPECT_EQ(trad->key_type(), KeyType::ec);
}

TEST(KeyFileSigner, ChainFilesAndCombinedPem) {
  X509TEST_REQUIRE_PKI();
  // --cert with the whole chain: the matching certificate comes first whatever the file order.
  x509test::write_file(
      x509test::scratch() / "ca-then-cs.crt",
      x509test::run_output("cat " + x509test::q(pki() / "ca.crt") + " " + x509test::q(pki() / "cs.crt")));
  auto a = load_key_file_signer(pki() / "cs.key", "", x509test::scratch() / "ca-then-cs.crt", std::nullopt);
  ASSERT_EQ(a->certificates().size(), 2u);
  EXPECT_EQ(common_name(a->certificates()[0]), "Test Code Signer");
  auto b = load_key_file_signer(pki() / "cs.key", "", pki() / "cs.crt", pki() / "cs-chain.crt");
  ASSERT_EQ(b->certificates().size(), 2u);  // the duplicate leaf in the chain file is dropped
  EXPECT_EQ(common_name(b->certificates()[1]), "Test Root CA");
  auto c = load_key_file_signer(pki() / "cs-combined.pem", "", std::nullopt, pki() / "ca.crt");
  ASSERT_EQ(c->certificates().size(), 2u);
  EXPECT_EQ(common_name(c->certificates()[0]), "Test Code Signer");
  auto bare = load_key_file_signer(pki() / "cs.key", "", std::nullopt, std::nullopt);
  EXPECT_TRUE(bare->certificates().empty());
}

TEST(KeyFileSigner, ErrorsNameTheFileAndTheReason) {
  X509TEST_REQUIRE_PKI();
  auto p12 = (pki() / "cs.p12").string();
  std::string e = error_of([&] { load_key_file_signer(p12, "nope", std::nullopt, std::nullopt); });
  EXPECT_NE(e.find(p12), std::string::npos) << e;
  EXPECT_NE(e.find("wrong password"), std::string::npos) << e;
  e = error_of([&] { load_key_file_signer(p12, "", std::nullopt, std::nullopt); });
  EXPECT_NE(e.find("wrong password"), std::string::npos) << e;

  e = error_of([&] { load_key_file_signer(pki() / "cs-enc.key", "nope", std::nullopt, std::nullopt); });
  EXPECT_NE(e.find("cs-enc.key: wrong password"), std::string::npos) << e;
  e = error_of([&] { load_key_file_signer(pki() / "cs-enc-p8.der", "nope", std::nullopt, std::nullopt); });
  EXPECT_NE(e.find("cs-enc-p8.der: wrong password"), std::string::npos) << e;
  e = error_of([&] { load_key_file_signer(pki() / "cs-enc.key", "", std::nullopt, std::nullopt); });
  EXPECT_NE(e.find("a password is required"), std::string::npos) << e;

  e = error_of([&] { load_key_file_signer(pki() / "cs.key", "", pki() / "ec-P-256.crt", std::nullopt); });
  EXPECT_NE(e.find("ec-P-256.crt: the certificate does not match the private key"), std::string::npos) << e;
  e = error_of([&] { load_key_file_signer(pki() / "cs.p12", "test", pki() / "other.crt", std::nullopt); });
  EXPECT_NE(e.find("does not match the private key"), std::string::npos) << e;

  e = error_of([&] { load_key_file_signer(pki() / "missing.key", "", std::nullopt, std::nullopt); });
  EXPECT_NE(e.find("missing.key: cannot open"), std::string::npos) << e;
  e = error_of([&] { load_key_file_signer(pki() / "cs.key", "", pki() / "missing.crt", std::nullopt); });
  EXPECT_NE(e.find("missing.crt: cannot open"), std::string::npos) << e;

  e = error_of([&] { load_key_file_signer(pki() / "cs.crt", "", std::nullopt, std::nullopt); });
  EXPECT_NE(e.find("cs.crt: no private key found"), std::string::npos) << e;
  e = error_of([&] { load_key_file_signer(pki() / "cs.crt.der", "", std::nullopt, std::nullopt); });
  EXPECT_NE(e.find("no private key found"), std::string::npos) << e;
  e = error_of([&] { load_key_file_signer(pki() / "cs.key", "", pki() / "cs.key", std::nullopt); });
  EXPECT_NE(e.find("cs.key: no certificate found"), std::string::npos) << e;

  e = error_of([&] { load_key_file_signer(pki() / "ed448.key", "", std::nullopt, std::nullopt); });
  EXPECT_NE(e.find("ed448.key: unsupported key type"), std::string::npos) << e;
  e = error_of([&] { load_key_file_signer(pki() / "k1.key", "", std::nullopt, std::nullopt); });
  EXPECT_NE(e.find("unsupported key type (EC curve secp256k1"), std::string::npos) << e;

  x509test::write_file(x509test::scratch() / "garbage.p12", std::string("not a pkcs12 file at all"));
  e = error_of(
      [&] { load_key_file_signer(x509test::scratch() / "garbage.p12", "", std::nullopt, std::nullopt); });
  EXPECT_NE(e.find("not a valid PKCS#12 file"), std::string::npos) << e;
}

TEST(KeyFileSigner, Ed25519SignsTheDigestAsMessage) {
  X509TEST_REQUIRE_PKI();
  auto s = load_key_file_signer(pki() / "ed25519.key", "", std::nullopt, std::nullopt);
  EXPECT_EQ(s->key_type(), KeyType::ed25519);
  std::vector<uint8_t> data{'x', 'y', 'z'};
  auto digest = io::digest(io::HashAlg::sha256, data);
  auto sig = s->sign_digest(io::HashAlg::sha256, digest, RsaPadding::pkcs1);
  auto dir = x509test::scratch();
  x509test::write_file(dir / "ed.digest", digest);
  x509test::write_file(dir / "ed.sig", sig);
  auto verify = "openssl pkeyutl -verify -pubin -inkey " + x509test::q(pki() / "ed25519.pub") +
                " -rawin -in " + x509test::q(dir / "ed.digest") + " -sigfile " + x509test::q(dir / "ed.sig") +
                " >/dev/null 2>&1";
  EXPECT_EQ(x509test::run(verify), 0);
  digest[0] ^= 1;
  x509test::write_file(dir / "ed.digest", digest);
  EXPECT_NE(x509test::run(verify), 0);
}

TEST(KeyFileSigner, RejectsDigestOfWrongLength) {
  X509TEST_REQUIRE_PKI();
  auto s = load_key_file_signer(pki() / "cs.key", "", std::nullopt, std::nullopt);
  std::vector<uint8_t> short_digest(20);
  EXPECT_THROW(s->sign_digest(io::HashAlg::sha256, short_digest, RsaPadding::pkcs1), io::Error);
}

TEST(KeyFileSigner, SignsConcurrently) {
  X509TEST_REQUIRE_PKI();
  auto rsa = load_key_file_signer(pki() / "cs.p12", "test", std::nullopt, std::nullopt);
  auto ec = load_key_file_signer(pki() / "ec-P-256.key", "", pki() / "ec-P-256.crt", std::nullopt);
  std::vector<uint8_t> data(1000, 'a');
  auto source = io::memory_source(data, "a");
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const Signer& s = t % 2 ? *rsa : *ec;
      for (int i = 0; i < 10; ++i) {
        auto alg = i % 2 ? io::HashAlg::sha384 : io::HashAlg::sha256;
        auto sig = raw_sign(s, alg, io::digest(alg, data), i % 3 ? RsaPadding::pss : RsaPadding::pkcs1);
        if (raw_verify(sig, *source, s.certificates()[0]).valid) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 80);
}

TEST(X509, NamesKeysAndIssuerSerial) {
  X509TEST_REQUIRE_PKI();
  auto cs = load_certificates(pki() / "cs.crt");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(subject_name(cs[0]), "CN=Test Code Signer");
  EXPECT_EQ(issuer_name(cs[0]), "CN=Test Root CA");
  EXPECT_EQ(common_name(cs[0]), "Test Code Signer");
  EXPECT_EQ(load_certificates(pki() / "cs.crt.der"), cs);
  EXPECT_EQ(load_certificates(pki() / "cs-chain.crt").size(), 2u);
  std::string fp = x509test::run_output("openssl x509 -in " + x509test::q(pki() / "cs.crt") +
                                        " -noout -fingerprint -sha1");
  std::string hex = fingerprint(cs[0], io::HashAlg::sha1);
  std::string colon;
  for (size_t i = 0; i < hex.size(); i += 2) colon += (i ? ":" : "") + hex.substr(i, 2);
  for (auto& ch : colon) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_NE(fp.find(colon), std::string::npos) << fp;

  // IssuerAndSerialNumber equals OpenSSL's own encoding of the issuer name and serial.
  X509Ptr x = parse_certificate(cs[0]);
  unsigned char* name = nullptr;
  int nlen = i2d_X509_NAME(X509_get_issuer_name(x.get()), &name);
  unsigned char* serial = nullptr;
  int slen = i2d_ASN1_INTEGER(X509_get_serialNumber(x.get()), &serial);
  ASSERT_GT(nlen, 0);
  ASSERT_GT(slen, 0);
  der::Bytes expected = der::sequence({std::span<const uint8_t>(name, static_cast<size_t>(nlen)),
                                       std::span<const uint8_t>(serial, static_cast<size_t>(slen))});
  OPENSSL_free(name);
  OPENSSL_free(serial);
  EXPECT_EQ(issuer_and_serial(cs[0]), expected);

  x509test::write_file(x509test::scratch() / "garbage.crt", std::string("garbage"));
  EXPECT_THROW(load_certificates(x509test::scratch() / "garbage.crt"), io::Error);
  EXPECT_THROW(parse_certificate(der::Bytes{0x30, 0x00}), io::Error);
}

TEST(X509, VerifyChain) {
  X509TEST_REQUIRE_PKI();
  auto cs = load_certificates(pki() / "cs.crt")[0];
  auto ca = load_certificates(pki() / "ca.crt");
  auto other = load_certificates(pki() / "other.crt");
  std::string why;
  EXPECT_TRUE(verify_chain(cs, {}, ca, &why)) << why;
  EXPECT_FALSE(verify_chain(cs, {}, other, &why));
  EXPECT_NE(why.find("unable to get local issuer certificate"), std::string::npos) << why;
  EXPECT_FALSE(verify_chain(cs, ca, {}, &why));  // an intermediate is not an anchor
  auto ec = load_certificates(pki() / "ec-P-384.crt")[0];
  EXPECT_TRUE(verify_chain(ec, {}, ca, nullptr));
}
