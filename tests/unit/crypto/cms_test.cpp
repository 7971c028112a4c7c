#include "crypto/cms.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <tuple>

#include "crypto/key_file_signer.hpp"
#include "crypto/x509.hpp"
#include "crypto/x509_test_pki.hpp"
#include "io/error.hpp"
#include "io/source.hpp"

using namespace signet;
using namespace signet::crypto;
using x509test::Pki;
using x509test::q;

namespace {

SignerPtr rsa_signer() {
  static SignerPtr s = load_key_file_signer(Pki::get() / "cs.p12", "test", std::nullopt, std::nullopt);
  return s;
}
SignerPtr ec_signer(const std::string& curve = "P-256") {
  return load_key_file_signer(Pki::get() / ("ec-" + curve + ".key"), "",
                              Pki::get() / ("ec-" + curve + ".crt"), Pki::get() / "ca.crt");
}

std::vector<uint8_t> content_bytes() {
  std::vector<uint8_t> c(100000);
  for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<uint8_t>((i * 31) ^ (i >> 8));
  return c;
}

// openssl cms -verify exit code for a signature file over a content file.
int openssl_cms_verify(const std::filesystem::path& sig, const std::filesystem::path& content, bool pem,
                       const std::string& ca = "ca.crt") {
  return x509test::run("openssl cms -verify -binary -purpose any -inform " +
                       std::string(pem ? "PEM" : "DER") + " -in " + q(sig) + " -content " + q(content) +
                       " -CAfile " + q(Pki::get() / ca) + " -out /dev/null 2>" +
                       q(x509test::scratch() / "cms-verify.err"));
}

using Combo = std::tuple<std::string /*key*/, io::HashAlg, RsaPadding, bool /*pem*/>;

class CmsMatrix : public ::testing::TestWithParam<Combo> {};

}  // namespace

TEST_P(CmsMatrix, OpensslVerifiesAndRejectsTamperedContent) {
  X509TEST_REQUIRE_PKI();
  auto [key, alg, padding, pem] = GetParam();
  SignerPtr signer = key == "rsa" ? rsa_signer() : ec_signer(key);
  auto dir = x509test::scratch();
  std::string tag = key + "-" + std::string(io::hash_alg_name(alg)) +
                    (padding == RsaPadding::pss ? "-pss" : "-pkcs1") + (pem ? ".pem" : ".der");
  auto content = content_bytes();
  auto content_file = dir / ("content-" + tag);
  x509test::write_file(content_file, content);

  auto der = cms_sign_detached(*signer, alg, io::digest(alg, content), padding, std::time(nullptr));
  auto sig_file = dir / ("sig-" + tag);
  if (pem) {
    std::string text = cms_pem(der);
    EXPECT_EQ(text.rfind("-----BEGIN CMS-----\n", 0), 0u);
    x509test::write_file(sig_file, text);
  } else {
    x509test::write_file(sig_file, der);
  }
  EXPECT_EQ(openssl_cms_verify(sig_file, content_file, pem), 0)
      << x509test::run_output("cat " + q(dir / "cms-verify.err"));
  // Our own verifier agrees.
  auto sig_bytes = x509test::read_file(sig_file);
  VerifyResult ours = cms_verify_detached(sig_bytes, *io::memory_source(content, "c"),
                                          load_certificates(Pki::get() / "ca.crt"));
  EXPECT_TRUE(ours.valid) << ours.detail;
  EXPECT_EQ(ours.digest, io::hash_alg_name(alg));

  // Tampered content: openssl must report a verification failure (rc 4).
  content[content.size() / 2] ^= 0x01;
  auto tampered_file = dir / ("tampered-" + tag);
  x509test::write_file(tampered_file, content);
  EXPECT_EQ(openssl_cms_verify(sig_file, tampered_file, pem), 4);
  EXPECT_FALSE(cms_verify_detached(sig_bytes, *io::memory_source(content, "c"), {}).valid);
}

INSTANTIATE_TEST_SUITE_P(
    Rsa, CmsMatrix,
    ::testing::Combine(::testing::Values(std::string("rsa")),
                       ::testing::Values(io::HashAlg::sha256, io::HashAlg::sha384, io::HashAlg::sha512),
                       ::testing::Values(RsaPadding::pkcs1, RsaPadding::pss), ::testing::Bool()));
INSTANTIATE_TEST_SUITE_P(
    Ec, CmsMatrix,
    ::testing::Combine(::testing::Values(std::string("P-256"), std::string("P-384"), std::string("P-521")),
                       ::testing::Values(io::HashAlg::sha256, io::HashAlg::sha384, io::HashAlg::sha512),
                       ::testing::Values(RsaPadding::pkcs1), ::testing::Bool()));

TEST(Cms, StructureIsStrictDerWithTheExpectedAttributes) {
  X509TEST_REQUIRE_PKI();
  auto dir = x509test::scratch();
  std::vector<uint8_t> content{'a', 'b', 'c'};
  auto der = cms_sign_detached(*rsa_signer(), io::HashAlg::sha384, io::digest(io::HashAlg::sha384, content),
                               RsaPadding::pss, 1700000000);
  x509test::write_file(dir / "struct.p7s", der);
  // OpenSSL re-encodes what it parsed in canonical DER: identical bytes mean our encoding is DER.
  ASSERT_EQ(x509test::run("openssl cms -cmsout -inform DER -in " + q(dir / "struct.p7s") +
                          " -outform DER -out " + q(dir / "struct.re.p7s")),
            0);
  EXPECT_EQ(x509test::read_file(dir / "struct.re.p7s"), der);
  std::string print =
      x509test::run_output("openssl cms -cmsout -print -inform DER -in " + q(dir / "struct.p7s"));
  EXPECT_NE(print.find("contentType: pkcs7-signedData"), std::string::npos) << print;
  EXPECT_NE(print.find("version: 1"), std::string::npos);
  EXPECT_NE(print.find("eContent: <ABSENT>"), std::string::npos);
  EXPECT_NE(print.find("object: signingTime"), std::string::npos);
  EXPECT_NE(print.find("Nov 14 22:13:20 2023 GMT"), std::string::npos) << print;  // 1700000000
  EXPECT_NE(print.find("object: messageDigest"), std::string::npos);
  EXPECT_NE(print.find("(1.2.840.113549.1.9.52)"), std::string::npos);  // CMSAlgorithmProtection
  EXPECT_NE(print.find("algorithm: rsassaPss"), std::string::npos);
  EXPECT_NE(print.find("Test Root CA"), std::string::npos);  // chain included
  EXPECT_NE(print.find("serialNumber:"), std::string::npos);
  // The PSS parameters say sha384, MGF1-sha384, salt 48.
  std::string asn1 = x509test::run_output("openssl asn1parse -inform DER -in " + q(dir / "struct.p7s"));
  EXPECT_NE(asn1.find("mgf1"), std::string::npos);
  EXPECT_NE(asn1.find(":30"), std::string::npos);  // INTEGER 0x30 = 48
}

TEST(Cms, VerifyDetachedReportsTrustAndFailures) {
  X509TEST_REQUIRE_PKI();
  std::vector<uint8_t> content{'d', 'a', 't', 'a'};
  auto source = io::memory_source(content, "data");
  auto ca = load_certificates(Pki::get() / "ca.crt");
  auto sig = cms_sign_detached(*rsa_signer(), io::HashAlg::sha256, io::digest(io::HashAlg::sha256, content),
                               RsaPadding::pkcs1, std::time(nullptr));

  VerifyResult trusted = cms_verify_detached(sig, *source, ca);
  EXPECT_TRUE(trusted.valid) << trusted.detail;
  EXPECT_EQ(trusted.kind, "CMS");
  EXPECT_EQ(trusted.signer, "CN=Test Code Signer");
  EXPECT_EQ(trusted.digest, "sha256");

  VerifyResult unchecked = cms_verify_detached(sig, *source, {});
  EXPECT_TRUE(unchecked.valid) << unchecked.detail;
  EXPECT_EQ(unchecked.detail, "chain not checked (no --ca)");

  VerifyResult untrusted = cms_verify_detached(sig, *source, load_certificates(Pki::get() / "other.crt"));
  EXPECT_FALSE(untrusted.valid);
  EXPECT_NE(untrusted.detail.find("not trusted"), std::string::npos) << untrusted.detail;

  std::vector<uint8_t> other{'d', 'a', 't', 'A'};
  VerifyResult wrong = cms_verify_detached(sig, *io::memory_source(other, "x"), ca);
  EXPECT_FALSE(wrong.valid);
  EXPECT_EQ(wrong.signer, "CN=Test Code Signer");
  EXPECT_NE(wrong.detail.find("does not match the content"), std::string::npos) << wrong.detail;

  // PEM input (both labels openssl uses) is accepted.
  std::string pem = cms_pem(sig);
  EXPECT_TRUE(
      cms_verify_detached(std::span(reinterpret_cast<const uint8_t*>(pem.data()), pem.size()), *source, ca)
          .valid);
  std::string pkcs7 = der::pem_encode("PKCS7", sig);
  EXPECT_TRUE(cms_verify_detached(std::span(reinterpret_cast<const uint8_t*>(pkcs7.data()), pkcs7.size()),
                                  *source, ca)
                  .valid);

  // A corrupted signature value fails without throwing.
  auto bad = sig;
  bad[bad.size() - 10] ^= 0xff;
  VerifyResult broken = cms_verify_detached(bad, *source, {});
  EXPECT_FALSE(broken.valid);
  EXPECT_FALSE(broken.detail.empty());
  std::vector<uint8_t> garbage{1, 2, 3};
  VerifyResult junk = cms_verify_detached(garbage, *source, ca);
  EXPECT_FALSE(junk.valid);
  EXPECT_NE(junk.detail.find("not a CMS"), std::string::npos) << junk.detail;
}

TEST(Cms, VerifiesSignaturesMadeByOpenssl) {
  X509TEST_REQUIRE_PKI();
  auto dir = x509test::scratch();
  std::vector<uint8_t> content(5000, 'z');
  x509test::write_file(dir / "ossl-content", content);
  ASSERT_EQ(x509test::run("openssl cms -sign -binary -md sha512 -in " + q(dir / "ossl-content") +
                          " -signer " + q(Pki::get() / "ec-P-384.crt") + " -inkey " +
                          q(Pki::get() / "ec-P-384.key") + " -outform DER -out " + q(dir / "ossl.p7s")),
            0);
  auto sig = x509test::read_file(dir / "ossl.p7s");
  VerifyResult r =
      cms_verify_detached(sig, *io::memory_source(content, "c"), load_certificates(Pki::get() / "ca.crt"));
  EXPECT_TRUE(r.valid) << r.detail;
  EXPECT_EQ(r.digest, "sha512");
  EXPECT_EQ(r.signer, "CN=Test EC P-384 Signer");
  content[0] = 'y';
  EXPECT_FALSE(cms_verify_detached(sig, *io::memory_source(content, "c"), {}).valid);
}

TEST(Cms, StreamsLargeFileContent) {
  X509TEST_REQUIRE_PKI();
  auto path = x509test::scratch() / "large.bin";
  {
    std::vector<uint8_t> chunk(1 << 20);
    for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<uint8_t>(i * 13);
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 5; ++i)
      out.write(reinterpret_cast<const char*>(chunk.data()), static_cast<std::streamsize>(chunk.size()));
  }
  auto src = io::file_source(path);
  auto signer = ec_signer();
  auto sig = cms_sign_detached(*signer, io::HashAlg::sha256, io::digest(io::HashAlg::sha256, *src),
                               RsaPadding::pkcs1, std::time(nullptr));
  EXPECT_TRUE(cms_verify_detached(sig, *src, load_certificates(Pki::get() / "ca.crt")).valid);
  auto sig_file = x509test::scratch() / "large.p7s";
  x509test::write_file(sig_file, sig);
  EXPECT_EQ(openssl_cms_verify(sig_file, path, false), 0);
}

TEST(Cms, RefusesSignerWithoutCertificate) {
  X509TEST_REQUIRE_PKI();
  auto bare = load_key_file_signer(Pki::get() / "cs.key", "", std::nullopt, std::nullopt);
  std::vector<uint8_t> d(32);
  EXPECT_THROW(cms_sign_detached(*bare, io::HashAlg::sha256, d, RsaPadding::pkcs1, 0), io::Error);
  std::vector<uint8_t> short_digest(20);
  EXPECT_THROW(cms_sign_detached(*rsa_signer(), io::HashAlg::sha256, short_digest, RsaPadding::pkcs1, 0),
               io::Error);
}
