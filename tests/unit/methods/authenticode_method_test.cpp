// <authenticode-sign> and <authenticode-verify> on PE files: outputs checked with osslsigncode
// (each signature separately with -index N) and sbverify, with tampered negative controls;
// timestamps from the local TSA; E12 (sha1 then sha256 append); append on Debian's fwupd.
#include <gtest/gtest.h>

#include "config/model.hpp"
#include "crypto/authenticode.hpp"
#include "crypto/authenticode_test_support.hpp"
#include "crypto/key_file_signer.hpp"
#include "crypto/x509.hpp"
#include "formats/authenticode.hpp"
#include "formats/factories.hpp"
#include "io/error.hpp"
#include "methods/factories.hpp"
#include "methods/method_test_support.hpp"

using namespace signet;
using actest::Fixtures;
using actest::q;
using methodtest::directive;
using x509test::error_of;
namespace fs = std::filesystem;

namespace {

struct Env {
  io::TempDir temp;
  methods::Context ctx;
  Env() {
    const auto& f = Fixtures::get();
    ctx.x509 = crypto::load_key_file_signer(f / "cs.key", "", f / "cs.crt", f / "ca.crt");
    ctx.temp = &temp;
    ctx.trust_anchors = crypto::load_certificates(f / "ca.crt");
  }
};

// Applies the directive to the file at `in` and writes the result to scratch/`out_name`.
fs::path apply(const config::Directive& d, const fs::path& in, const std::string& out_name, const Env& env) {
  auto m = methods::create_method(d);
  auto src = io::file_source(in);
  auto opened = formats::pe_format().open(src, {});
  methods::Input input{src, opened.get(), in.filename().string(), "app.zip/" + in.filename().string()};
  auto out = m->apply(input, env.ctx);
  fs::path dst = x509test::scratch() / out_name;
  auto bytes = io::read_all(*out.bytes, 1 << 30);
  x509test::write_file(dst, bytes);
  return dst;
}

fs::path tampered(const fs::path& p) {
  auto b = x509test::read_file(p);
  b.at(0x400 + 3) ^= 0x40;
  fs::path dst = p.string() + ".tampered";
  x509test::write_file(dst, b);
  return dst;
}

size_t count_signatures(const fs::path& p) {
  auto pe = formats::pe_format().open(io::file_source(p), {});
  auto sig = dynamic_cast<const formats::AuthenticodeSignable&>(*pe).signature();
  return sig.empty() ? 0 : crypto::authenticode::parse(sig).size();
}

// A format that can be Authenticode-signed but not appended to (like MSI).
class NoAppend : public formats::OpenedFile, public formats::AuthenticodeSignable {
 public:
  std::vector<uint8_t> authenticode_digest(io::HashAlg alg) const override { return io::digest(alg, {}); }
  std::vector<uint8_t> indirect_data_attribute() const override {
    return crypto::authenticode::pe_image_data_attribute();
  }
  std::vector<uint8_t> signature() const override { return {}; }
  io::SourcePtr embed(std::span<const uint8_t> s, io::TempDir&) const override {
    return io::memory_source({s.begin(), s.end()}, "x");
  }
};

}  // namespace

TEST(AuthenticodeSignMethod, AttributesAreValidatedWhenTheConfigurationLoads) {
  EXPECT_NE(error_of([] {
              methods::create_method(directive("authenticode-sign", {{"hash-algorithm", "md5"}}));
            }).find("config.xml:10:35: hash-algorithm must be sha1, sha256, sha384 or sha512, not 'md5'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              methods::create_method(directive("authenticode-sign", {{"append", "yes"}}));
            }).find("append must be true or false"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              methods::create_method(directive("authenticode-sign", {{"colour", "red"}}));
            }).find("unknown attribute 'colour'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              methods::create_method(directive("authenticode-verify", {{"append", "true"}}));
            }).find("takes none"),
            std::string::npos);
  auto m = methods::create_method(directive("authenticode-sign", {{"hash-algorithm", "${alg}"}}));
  EXPECT_EQ(m->category(), methods::Category::embedded);
  EXPECT_EQ(m->key_need(), methods::KeyNeed::x509);
  EXPECT_EQ(methods::create_method(directive("authenticode-verify"))->category(), methods::Category::verify);
}

TEST(AuthenticodeSignMethod, SignedPeVerifiesAndTamperedFails) {
  ACTEST_REQUIRE_FIXTURES();
  Env env;
  auto out = apply(directive("authenticode-sign",
                             {{"description", "My App"}, {"description-url", "https://acme.example"}}),
                   Fixtures::get() / "hello.exe", "m-hello.exe", env);
  auto v = actest::osslsigncode_verify(out, 0);
  EXPECT_EQ(v.rc, 0) << v.out;
  EXPECT_NE(v.out.find("Text description: My App"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("URL description: https://acme.example"), std::string::npos) << v.out;
  EXPECT_EQ(actest::sbverify(out).rc, 0);
  EXPECT_NE(actest::osslsigncode_verify(tampered(out), 0).rc, 0);
  EXPECT_NE(actest::sbverify(tampered(out)).rc, 0);
  EXPECT_NE(actest::osslsigncode_verify(out, 0, "other-ca.crt").rc, 0);  // wrong CA
}

TEST(AuthenticodeSignMethod, TimestampFromTheFirstLiveTsa) {
  ACTEST_REQUIRE_FIXTURES();
  actest::TsaServer tsa;
  ASSERT_TRUE(tsa.ok());
  Env env;
  env.ctx.timestamp_urls = {actest::dead_url(), tsa.url()};
  auto out = apply(directive("authenticode-sign"), Fixtures::get() / "lib.dll", "m-ts.dll", env);
  auto v = actest::osslsigncode_verify(out, 0);
  EXPECT_EQ(v.rc, 0) << v.out;
  EXPECT_NE(v.out.find("Timestamp Server Signature verification: ok"), std::string::npos) << v.out;
  // Negative control: a TSA CA that is not trusted makes osslsigncode report the timestamp failed.
  auto bad = actest::tool("osslsigncode verify -CAfile " + q(Fixtures::get() / "ca.crt") + " -TSA-CAfile " +
                          q(Fixtures::get() / "other-ca.crt") + " -in " + q(out));
  EXPECT_EQ(bad.out.find("Timestamp Server Signature verification: ok"), std::string::npos) << bad.out;
  EXPECT_NE(actest::osslsigncode_verify(tampered(out), 0).rc, 0);
}

TEST(AuthenticodeSignMethod, OnlyDeadTsasFailNamingThemAndTheFile) {
  ACTEST_REQUIRE_FIXTURES();
  Env env;
  env.ctx.timestamp_urls = {actest::dead_url(), "http://127.0.0.1:1/tsa"};
  auto msg = error_of(
      [&] { apply(directive("authenticode-sign"), Fixtures::get() / "lib.dll", "m-dead.dll", env); });
  EXPECT_NE(msg.find("app.zip/lib.dll"), std::string::npos) << msg;
  EXPECT_NE(msg.find("TSA http://127.0.0.1:9/: connection refused"), std::string::npos) << msg;
  EXPECT_NE(msg.find("TSA http://127.0.0.1:1/tsa: connection refused"), std::string::npos) << msg;
}

TEST(AuthenticodeSignMethod, Sha1ThenSha256Appended) {  // E12
  ACTEST_REQUIRE_FIXTURES();
  actest::TsaServer tsa;
  ASSERT_TRUE(tsa.ok());
  Env env;
  env.ctx.timestamp_urls = {tsa.url()};
  auto first = apply(directive("authenticode-sign", {{"hash-algorithm", "sha1"}}),
                     Fixtures::get() / "hello.exe", "e12-1.exe", env);
  auto both = apply(directive("authenticode-sign", {{"hash-algorithm", "sha256"}, {"append", "true"}}), first,
                    "e12-2.exe", env);
  ASSERT_EQ(count_signatures(both), 2u);
  for (int i : {0, 1}) {
    auto v = actest::osslsigncode_verify(both, i);
    EXPECT_EQ(v.rc, 0) << "index " << i << ": " << v.out;
    EXPECT_NE(v.out.find(i == 0 ? "Message digest algorithm  : SHA1" : "Message digest algorithm  : SHA256"),
              std::string::npos)
        << v.out;
    EXPECT_NE(v.out.find("Timestamp Server Signature verification: ok"), std::string::npos) << v.out;
    EXPECT_NE(actest::osslsigncode_verify(tampered(both), i).rc, 0) << "tampered, index " << i;
  }
  // append="false" replaces both with one signature.
  auto replaced = apply(directive("authenticode-sign"), both, "e12-3.exe", env);
  EXPECT_EQ(count_signatures(replaced), 1u);
  EXPECT_EQ(actest::osslsigncode_verify(replaced, 0).rc, 0);
  EXPECT_NE(actest::osslsigncode_verify(replaced, 1).rc, 0);
}

TEST(AuthenticodeSignMethod, AppendKeepsTheDebianSignature) {
  ACTEST_REQUIRE_FIXTURES();
  std::string why;
  auto fwupd = actest::debian_file("fwupd", &why);
  auto shim = actest::debian_file("shim", &why);
  if (!fwupd || !shim) GTEST_SKIP() << why;
  // The Debian Secure Boot CA from shim's .vendor_cert section (TOOLBOX.md §5).
  auto dir = x509test::scratch();
  auto ca = actest::tool("cd " + q(dir) +
                         " && x86_64-w64-mingw32-objcopy -O binary --only-section=.vendor_cert " + q(*shim) +
                         " vc.bin && /usr/bin/python3 -c \"import struct;d=open('vc.bin','rb').read();"
                         "a,_,o,_=struct.unpack('<IIII',d[:16]);open('debian.der','wb').write(d[o:o+a])\" && "
                         "openssl x509 -inform DER -in debian.der -out debian-sb-ca.pem");
  ASSERT_EQ(ca.rc, 0) << ca.out;
  const std::string debian_ca = q(dir / "debian-sb-ca.pem");
  ASSERT_EQ(actest::tool("osslsigncode verify -CAfile " + debian_ca + " -in " + q(*fwupd)).rc, 0);

  Env env;
  auto out = apply(directive("authenticode-sign", {{"append", "true"}}), *fwupd, "fwupd-appended.efi", env);
  ASSERT_EQ(count_signatures(out), 2u);
  auto debian = actest::tool("osslsigncode verify -index 0 -CAfile " + debian_ca + " -in " + q(out));
  EXPECT_EQ(debian.rc, 0) << debian.out;
  EXPECT_NE(debian.out.find("Debian Secure Boot Signer"), std::string::npos) << debian.out;
  auto ours = actest::osslsigncode_verify(out, 1);
  EXPECT_EQ(ours.rc, 0) << ours.out;
  EXPECT_NE(ours.out.find("Test Code Signer"), std::string::npos) << ours.out;
  // The Debian signature is still the primary one for sbverify.
  auto sb = actest::tool("sbverify --cert " + debian_ca + " " + q(out));
  EXPECT_EQ(sb.rc, 0) << sb.out;
  EXPECT_NE(actest::tool("osslsigncode verify -index 0 -CAfile " + debian_ca + " -in " + q(tampered(out))).rc,
            0);
  EXPECT_NE(actest::osslsigncode_verify(tampered(out), 1).rc, 0);
}

TEST(AuthenticodeVerifyMethod, PassesFailsAndSaysWhy) {
  ACTEST_REQUIRE_FIXTURES();
  Env env;
  auto signed_file = apply(directive("authenticode-sign"), Fixtures::get() / "lib.dll", "v-signed.dll", env);
  auto verify = directive("authenticode-verify");
  EXPECT_NO_THROW(apply(verify, signed_file, "v-out.dll", env));
  EXPECT_EQ(x509test::read_file(x509test::scratch() / "v-out.dll"), x509test::read_file(signed_file));

  Env other;
  other.ctx.trust_anchors = crypto::load_certificates(Fixtures::get() / "other-ca.crt");
  auto msg = error_of([&] { apply(verify, signed_file, "v1.dll", other); });
  EXPECT_NE(msg.find("app.zip/v-signed.dll: Authenticode verification failed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not trusted"), std::string::npos) << msg;

  msg = error_of([&] { apply(verify, Fixtures::get() / "lib.dll", "v2.dll", env); });
  EXPECT_NE(msg.find("the file is not signed"), std::string::npos) << msg;

  msg = error_of([&] { apply(verify, tampered(signed_file), "v3.dll", env); });
  EXPECT_NE(msg.find("modified after signing"), std::string::npos) << msg;

  Env no_anchors;
  no_anchors.ctx.trust_anchors.clear();
  msg = error_of([&] { apply(verify, signed_file, "v4.dll", no_anchors); });
  EXPECT_NE(msg.find("pass --trust"), std::string::npos) << msg;

  // A nested signature that fails fails the whole check.
  Env weak;
  const auto& f = Fixtures::get();
  weak.ctx.x509 = crypto::load_key_file_signer(f / "weak.key", "", f / "weak.crt", f / "ca.crt");
  auto nested =
      apply(directive("authenticode-sign", {{"append", "true"}}), signed_file, "v-nested.dll", weak);
  msg = error_of([&] { apply(verify, nested, "v5.dll", env); });
  EXPECT_NE(msg.find("Authenticode nested #1 by CN=Weak Signer: RSA key of 1024 bits is too weak"),
            std::string::npos)
      << msg;
}

TEST(AuthenticodeSignMethod, FormatsWithoutAuthenticodeOrAppendAreErrors) {
  ACTEST_REQUIRE_FIXTURES();
  Env env;
  auto src = io::file_source(Fixtures::get() / "lib.dll");
  auto plain = formats::plain_file_format().open(src, {});
  methods::Input in{src, plain.get(), "lib.dll", "lib.dll"};
  EXPECT_NE(error_of([&] {
              methods::create_method(directive("authenticode-sign"))->apply(in, env.ctx);
            }).find("lib.dll: <authenticode-sign> cannot sign this file"),
            std::string::npos);
  NoAppend fake;
  in.opened = &fake;
  EXPECT_NE(
      error_of([&] {
        methods::create_method(directive("authenticode-sign", {{"append", "true"}}))->apply(in, env.ctx);
      }).find("config.xml:10:35: append=\"true\" is not supported for this file type"),
      std::string::npos);
  EXPECT_NO_THROW(
      methods::create_method(directive("authenticode-sign", {{"append", "false"}}))->apply(in, env.ctx));
}
