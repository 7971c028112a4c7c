#include "crypto/raw_signature.hpp"

#include <gtest/gtest.h>

#include "crypto/key_file_signer.hpp"
#include "crypto/x509_test_pki.hpp"
#include "io/error.hpp"
#include "io/source.hpp"

using namespace signet;
using namespace signet::crypto;
using x509test::Pki;
using x509test::q;

namespace {

struct KeyCase {
  std::string name, key, password, cert, pub;
};

const KeyCase kKeys[] = {{"rsa", "cs.p12", "test", "", "cs.pub"},
                         {"P-256", "ec-P-256.key", "", "ec-P-256.crt", "ec-P-256.pub"},
                         {"P-521", "ec-P-521.key", "", "ec-P-521.crt", "ec-P-521.pub"}};

}  // namespace

TEST(RawSignature, OpensslVerifiesEveryCombinationAndRejectsTampering) {
  X509TEST_REQUIRE_PKI();
  auto dir = x509test::scratch();
  for (const auto& k : kKeys) {
    auto signer = load_key_file_signer(Pki::get() / k.key, k.password,
                                       k.cert.empty() ? std::nullopt : std::optional(Pki::get() / k.cert),
                                       std::nullopt);
    for (auto alg : {io::HashAlg::sha256, io::HashAlg::sha384, io::HashAlg::sha512}) {
      for (auto padding : {RsaPadding::pkcs1, RsaPadding::pss}) {
        if (k.name != "rsa" && padding == RsaPadding::pss) continue;
        std::string name(io::hash_alg_name(alg));
        std::string tag = k.name + "-" + name + (padding == RsaPadding::pss ? "-pss" : "-pkcs1");
        SCOPED_TRACE(tag);
        std::vector<uint8_t> content(3000, static_cast<uint8_t>(tag.size()));
        auto digest = io::digest(alg, content);
        auto sig = raw_sign(*signer, alg, digest, padding);
        auto content_file = dir / ("raw-content-" + tag), digest_file = dir / ("raw-digest-" + tag),
             sig_file = dir / ("raw-sig-" + tag);
        x509test::write_file(content_file, content);
        x509test::write_file(digest_file, digest);
        x509test::write_file(sig_file, sig);
        std::string pss = padding == RsaPadding::pss
                              ? " -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:digest"
                              : "";
        std::string pkeyutl = "openssl pkeyutl -verify -pubin -inkey " + q(Pki::get() / k.pub) + " -in " +
                              q(digest_file) + " -sigfile " + q(sig_file) + " -pkeyopt digest:" + name + pss +
                              " >/dev/null 2>&1";
        std::string sigopt =
            padding == RsaPadding::pss ? " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest" : "";
        std::string dgst = "openssl dgst -" + name + " -verify " + q(Pki::get() / k.pub) + sigopt +
                           " -signature " + q(sig_file) + " " + q(content_file) + " >/dev/null 2>&1";
        EXPECT_EQ(x509test::run(pkeyutl), 0);
        EXPECT_EQ(x509test::run(dgst), 0);
        VerifyResult ours = raw_verify(sig, *io::memory_source(content, "c"), signer->certificates()[0]);
        EXPECT_TRUE(ours.valid) << ours.detail;
        EXPECT_EQ(ours.digest, name);
        EXPECT_EQ(ours.signer, subject_name(signer->certificates()[0]));
        if (k.name == "rsa") {
          EXPECT_EQ(ours.detail, padding == RsaPadding::pss ? "RSA-PSS" : "RSA PKCS#1 v1.5");
        }

        // Tampered: one bit of content changed.
        content[100] ^= 0x40;
        x509test::write_file(content_file, content);
        x509test::write_file(digest_file, io::digest(alg, content));
        EXPECT_EQ(x509test::run(pkeyutl), 1);
        EXPECT_EQ(x509test::run(dgst), 1);
        VerifyResult bad = raw_verify(sig, *io::memory_source(content, "c"), signer->certificates()[0]);
        EXPECT_FALSE(bad.valid);
        EXPECT_NE(bad.detail.find("does not match"), std::string::npos);
      }
    }
  }
}

TEST(RawSignature, WrongCertificateAndWrongDigestLength) {
  X509TEST_REQUIRE_PKI();
  auto signer = load_key_file_signer(Pki::get() / "cs.p12", "test", std::nullopt, std::nullopt);
  std::vector<uint8_t> content{1, 2, 3};
  auto sig =
      raw_sign(*signer, io::HashAlg::sha256, io::digest(io::HashAlg::sha256, content), RsaPadding::pkcs1);
  auto other = load_certificates(Pki::get() / "other.crt")[0];
  EXPECT_FALSE(raw_verify(sig, *io::memory_source(content, "c"), other).valid);
  EXPECT_TRUE(raw_verify(sig, *io::memory_source(content, "c"), signer->certificates()[0]).valid);
  std::vector<uint8_t> wrong(48);
  EXPECT_THROW(raw_sign(*signer, io::HashAlg::sha256, wrong, RsaPadding::pkcs1), io::Error);
  VerifyResult junk = raw_verify(sig, *io::memory_source(content, "c"), CertDer{1, 2, 3});
  EXPECT_FALSE(junk.valid);
}
