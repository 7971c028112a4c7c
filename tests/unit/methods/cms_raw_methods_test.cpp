#include <gtest/gtest.h>

#include "config/model.hpp"
#include "crypto/key_file_signer.hpp"
#include "crypto/x509_test_pki.hpp"
#include "io/error.hpp"
#include "io/source.hpp"
#include "methods/factories.hpp"
#include "methods/method_test_support.hpp"

using namespace signet;
using methodtest::directive;
using x509test::error_of;
using x509test::Pki;
using x509test::q;

namespace {

std::unique_ptr<methods::Method> make(const config::Directive& d) {
  return d.name == "create-cms-signature" ? methods::make_create_cms_signature(d)
                                          : methods::make_create_raw_signature(d);
}

methods::Context rsa_ctx() {
  methods::Context ctx;
  ctx.x509 = crypto::load_key_file_signer(Pki::get() / "cs.p12", "test", std::nullopt, std::nullopt);
  return ctx;
}
methods::Context ec_ctx() {
  methods::Context ctx;
  ctx.x509 = crypto::load_key_file_signer(Pki::get() / "ec-P-256.key", "", Pki::get() / "ec-P-256.crt",
                                          std::nullopt);
  return ctx;
}

// A temp file with some content, as the engine passes it.
struct TestFile {
  std::filesystem::path path;
  methods::Input input;
  explicit TestFile(const std::string& name, const std::string& text = "release payload\n") {
    path = x509test::scratch() / name;
    x509test::write_file(path, text);
    input.bytes = io::file_source(path);
    input.file_name = name;
    input.path = "dist/" + name;
  }
};

std::filesystem::path write_output(const methods::Output& out) {
  auto p = x509test::scratch() / ("out-" + out.file_name);
  x509test::write_file(p, io::read_all(*out.bytes, 1 << 20));
  return p;
}

}  // namespace

TEST(CmsRawMethods, ContractShape) {
  auto cms =
      make(directive("create-cms-signature", {{"output-file-name", "a.p7s"}, {"output-encoding", "der"}}));
  EXPECT_EQ(cms->directive(), "create-cms-signature");
  EXPECT_EQ(cms->category(), methods::Category::detached);
  EXPECT_EQ(cms->key_need(), methods::KeyNeed::x509);
  EXPECT_EQ(cms->output_file_name("x.bin"), "a.p7s");
  auto raw =
      make(directive("create-raw-signature", {{"output-file-name", "a.sig"}, {"hash-algorithm", "sha384"}}));
  EXPECT_EQ(raw->directive(), "create-raw-signature");
  EXPECT_EQ(raw->category(), methods::Category::detached);
  EXPECT_EQ(raw->key_need(), methods::KeyNeed::x509);
}

TEST(CmsRawMethods, OutputFileNameSubstitutesFileName) {
  auto m = make(directive("create-cms-signature",
                          {{"output-file-name", "${file.name}.cms.pem"}, {"output-encoding", "pem"}}));
  EXPECT_EQ(m->output_file_name("myfile.bin"), "myfile.bin.cms.pem");
}

TEST(CmsRawMethods, FactoryValidatesAttributesWithLocations) {
  auto check = [](const config::Directive& d, const std::string& expected) {
    std::string e = error_of([&] { make(d); });
    EXPECT_NE(e.find(expected), std::string::npos) << "got: " << e << "\nexpected: " << expected;
  };
  check(directive("create-cms-signature", {{"output-encoding", "pem"}}),
        "config.xml:10:5: <create-cms-signature>: output-file-name is required");
  check(directive("create-cms-signature", {{"output-file-name", "a"}}),
        "config.xml:10:5: <create-cms-signature>: output-encoding is required");
  check(directive("create-cms-signature", {{"output-file-name", "a"}, {"output-encoding", "base64"}}),
        "config.xml:10:50: output-encoding must be pem or der, not 'base64'");
  check(directive("create-cms-signature",
                  {{"output-file-name", "a"}, {"output-encoding", "pem"}, {"hash-algorithm", "sha1"}}),
        "config.xml:10:65: hash-algorithm must be sha256, sha384 or sha512, not 'sha1'");
  check(directive("create-cms-signature",
                  {{"output-file-name", "a"}, {"output-encoding", "pem"}, {"rsa-padding", "oaep"}}),
        "config.xml:10:65: rsa-padding must be pkcs1 or pss, not 'oaep'");
  check(directive("create-cms-signature",
                  {{"output-file-name", "a"}, {"output-encoding", "pem"}, {"colour", "red"}}),
        "config.xml:10:65: unknown attribute 'colour' on <create-cms-signature>");
  check(directive("create-cms-signature", {{"output-file-name", ""}, {"output-encoding", "pem"}}),
        "config.xml:10:35: output-file-name must not be empty");
  check(directive("create-raw-signature", {{"hash-algorithm", "sha256"}}),
        "config.xml:10:5: <create-raw-signature>: output-file-name is required");
  check(directive("create-raw-signature", {{"output-file-name", "a.sig"}}),
        "config.xml:10:5: <create-raw-signature>: hash-algorithm is required");
  check(directive("create-raw-signature", {{"file-name", "a.sig"}, {"hash-algorithm", "sha256"}}),
        "config.xml:10:35: unknown attribute 'file-name' on <create-raw-signature> (the legacy");
  check(directive("create-raw-signature", {{"output-file-name", "a"}, {"hash-algorithm", "md5"}}),
        "config.xml:10:50: hash-algorithm must be sha256");
  // An unresolved parameter is accepted until apply() (config validate without values).
  EXPECT_NO_THROW(
      make(directive("create-raw-signature", {{"output-file-name", "a"}, {"hash-algorithm", "${alg}"}})));
}

TEST(CmsRawMethods, ApplyNeedsAKeyAndRsaPadding) {
  X509TEST_REQUIRE_PKI();
  TestFile f("needs.bin");
  auto cms =
      make(directive("create-cms-signature", {{"output-file-name", "a.p7s"}, {"output-encoding", "der"}}));
  std::string e = error_of([&] { cms->apply(f.input, methods::Context{}); });
  EXPECT_NE(e.find("config.xml:10:5: <create-cms-signature> needs an X.509 signing key: pass --key"),
            std::string::npos)
      << e;
  e = error_of([&] { cms->apply(f.input, rsa_ctx()); });
  EXPECT_NE(e.find("config.xml:10:5: rsa-padding is required for RSA keys"), std::string::npos) << e;
  EXPECT_NO_THROW(cms->apply(f.input, ec_ctx()));  // ignored for EC keys

  auto raw =
      make(directive("create-raw-signature", {{"output-file-name", "a.sig"}, {"hash-algorithm", "sha256"}}));
  e = error_of([&] { raw->apply(f.input, methods::Context{}); });
  EXPECT_NE(e.find("<create-raw-signature> needs an X.509 signing key: pass --key"), std::string::npos) << e;
  e = error_of([&] { raw->apply(f.input, rsa_ctx()); });
  EXPECT_NE(e.find("config.xml:10:5: rsa-padding is required for RSA keys"), std::string::npos) << e;
  EXPECT_NO_THROW(raw->apply(f.input, ec_ctx()));

  auto deferred =
      make(directive("create-raw-signature", {{"output-file-name", "a"}, {"hash-algorithm", "${alg}"}}));
  e = error_of([&] { deferred->apply(f.input, ec_ctx()); });
  EXPECT_NE(e.find("config.xml:10:50: hash-algorithm must be"), std::string::npos) << e;
}

TEST(CmsRawMethods, CreateCmsSignatureEndToEnd) {
  X509TEST_REQUIRE_PKI();
  struct Case {
    bool rsa;
    std::string hash, padding, encoding;
  } cases[] = {
      {true, "sha256", "pkcs1", "pem"}, {true, "sha512", "pss", "der"}, {false, "sha384", "", "pem"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.hash + c.padding + c.encoding);
    TestFile f("cms-" + c.hash + c.padding + ".bin");
    std::vector<std::pair<std::string, std::string>> attrs{{"output-file-name", f.input.file_name + ".p7"},
                                                           {"output-encoding", c.encoding},
                                                           {"hash-algorithm", c.hash}};
    if (!c.padding.empty()) attrs.push_back({"rsa-padding", c.padding});
    auto m = make(directive("create-cms-signature", attrs));
    methods::Output out = m->apply(f.input, c.rsa ? rsa_ctx() : ec_ctx());
    EXPECT_EQ(out.file_name, f.input.file_name + ".p7");
    EXPECT_EQ(out.description, "CMS signature " + c.hash + "/" + (c.rsa ? c.padding : "ecdsa") +
                                   (c.encoding == "pem" ? ", PEM" : ", DER"));
    auto sig = write_output(out);
    auto head = io::read_all(*out.bytes, 1 << 20);
    EXPECT_EQ(std::string(head.begin(), head.begin() + 5) == "-----", c.encoding == "pem");
    std::string verify = "openssl cms -verify -binary -purpose any -inform " +
                         std::string(c.encoding == "pem" ? "PEM" : "DER") + " -in " + q(sig) + " -CAfile " +
                         q(Pki::get() / "ca.crt") + " -out /dev/null -content ";
    EXPECT_EQ(x509test::run(verify + q(f.path) + " 2>/dev/null"), 0);
    x509test::write_file(f.path, std::string("release payload!\n"));
    EXPECT_EQ(x509test::run(verify + q(f.path) + " 2>/dev/null"), 4);
  }
}

TEST(CmsRawMethods, CreateRawSignatureEndToEnd) {
  X509TEST_REQUIRE_PKI();
  struct Case {
    bool rsa;
    std::string hash, padding;
  } cases[] = {{true, "sha256", "pss"}, {true, "sha384", "pkcs1"}, {false, "sha512", "pss"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.hash + c.padding);
    TestFile f("raw-" + c.hash + c.padding + ".bin", "cosign payload.json {}");
    auto m = make(directive(
        "create-raw-signature",
        {{"output-file-name", "payload.sig"}, {"hash-algorithm", c.hash}, {"rsa-padding", c.padding}}));
    methods::Output out = m->apply(f.input, c.rsa ? rsa_ctx() : ec_ctx());
    EXPECT_EQ(out.file_name, "payload.sig");
    EXPECT_EQ(out.description, "raw signature " + c.hash + "/" + (c.rsa ? c.padding : "ecdsa"));
    auto sig = write_output(out);
    std::string sigopt =
        c.rsa && c.padding == "pss" ? " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest" : "";
    std::string verify = "openssl dgst -" + c.hash + " -verify " +
                         q(Pki::get() / (c.rsa ? "cs.pub" : "ec-P-256.pub")) + sigopt + " -signature " +
                         q(sig) + " " + q(f.path) + " >/dev/null 2>&1";
    EXPECT_EQ(x509test::run(verify), 0);
    x509test::write_file(f.path, std::string("cosign payload.json {} "));
    EXPECT_EQ(x509test::run(verify), 1);
  }
}
