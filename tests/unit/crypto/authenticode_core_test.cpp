// The format-independent Authenticode core: structures, signing, nesting, parsing and verifying.
// The PE tests (tests/unit/formats/pe_*) check the same signatures with osslsigncode and sbverify.
#include <gtest/gtest.h>

#include "crypto/authenticode.hpp"
#include "crypto/authenticode_test_support.hpp"
#include "crypto/key_file_signer.hpp"
#include "crypto/x509.hpp"
#include "io/error.hpp"

using namespace signet;
using namespace signet::crypto;
using actest::Fixtures;

namespace {

SignerPtr signer(const std::string& name = "cs") {
  const auto& f = Fixtures::get();
  return load_key_file_signer(f / (name + ".key"), "", f / (name + ".crt"), f / "ca.crt");
}

std::vector<CertDer> ca(const std::string& name = "ca.crt") {
  return load_certificates(Fixtures::get() / name);
}

std::vector<uint8_t> fake_digest(io::HashAlg alg, uint8_t seed) {
  return io::digest(alg, std::vector<uint8_t>(100, seed));
}

authenticode::DigestFn digest_fn(uint8_t seed) {
  return [seed](io::HashAlg alg) { return fake_digest(alg, seed); };
}

std::string hex(std::span<const uint8_t> d) {
  return io::to_hex(d);
}

}  // namespace

TEST(AuthenticodeCore, PeImageDataAttributeIsWhatWindowsToolsWrite) {
  // { SPC_PE_IMAGE_DATA, SpcPeImageData { flags '', file [0] { [2] { [0] "<<<Obsolete>>>" } } } }
  const std::string want =
      "3033060a2b06010401823702010f3025030100a020a21e801c003c003c003c004f00620073006f006c006500740065003e003e"
      "003e";
  auto attr = authenticode::pe_image_data_attribute();
  EXPECT_EQ(hex(attr), want);
  // Length and the obsolete string, checked structurally.
  der::Reader r(attr);
  der::Reader seq = r.enter(der::tag::sequence);
  EXPECT_EQ(der::decode_oid(seq.expect(der::tag::oid).content), authenticode::oids::spc_pe_image_data);
  der::Reader img = seq.enter(der::tag::sequence);
  EXPECT_EQ(hex(img.expect(der::tag::bit_string).whole), "030100");
  der::Reader file = img.enter(der::tag::ctx_cons(0));
  der::Reader link = file.enter(der::tag::ctx_cons(2));
  auto text = link.expect(der::tag::ctx_prim(0)).content;
  ASSERT_EQ(text.size(), 28u);
  EXPECT_EQ(text[1], '<');
  EXPECT_EQ(text[7], 'O');
}

TEST(AuthenticodeCore, SignParseAndVerifyRoundTrip) {
  ACTEST_REQUIRE_FIXTURES();
  for (auto alg : {io::HashAlg::sha1, io::HashAlg::sha256, io::HashAlg::sha384, io::HashAlg::sha512}) {
    SCOPED_TRACE(std::string(io::hash_alg_name(alg)));
    authenticode::SignOptions o;
    o.hash = alg;
    o.description = "Test App \xc3\xa4";
    o.description_url = "https://example.com/app";
    auto sig = authenticode::sign(*signer(), authenticode::pe_image_data_attribute(), fake_digest(alg, 1), o);
    auto infos = authenticode::parse(sig);
    ASSERT_EQ(infos.size(), 1u);
    const auto& s = infos[0];
    EXPECT_EQ(s.content_type, authenticode::oids::spc_indirect_data);
    EXPECT_EQ(s.hash, alg);
    EXPECT_EQ(s.indirect_hash, alg);
    EXPECT_EQ(s.indirect_digest, fake_digest(alg, 1));
    EXPECT_EQ(s.data_attribute, authenticode::pe_image_data_attribute());
    EXPECT_EQ(s.program_name, "Test App \xc3\xa4");
    EXPECT_EQ(s.more_info, "https://example.com/app");
    EXPECT_EQ(s.signer, "CN=Test Code Signer");
    EXPECT_EQ(s.certificates.size(), 2u);  // signer + chain
    EXPECT_FALSE(s.timestamp);

    authenticode::VerifyOptions vo;
    vo.anchors = ca();
    auto ok = authenticode::verify(sig, digest_fn(1), vo);
    ASSERT_EQ(ok.size(), 1u);
    EXPECT_TRUE(ok[0].result.valid) << ok[0].result.detail;
    EXPECT_EQ(ok[0].result.digest, io::hash_alg_name(alg));

    auto modified = authenticode::verify(sig, digest_fn(2), vo);
    EXPECT_FALSE(modified[0].result.valid);
    EXPECT_NE(modified[0].result.detail.find("modified"), std::string::npos) << modified[0].result.detail;

    vo.anchors = ca("other-ca.crt");
    auto untrusted = authenticode::verify(sig, digest_fn(1), vo);
    EXPECT_FALSE(untrusted[0].result.valid);
    EXPECT_NE(untrusted[0].result.detail.find("not trusted"), std::string::npos)
        << untrusted[0].result.detail;
  }
}

TEST(AuthenticodeCore, SignedAttributesAreAuthenticodes) {
  ACTEST_REQUIRE_FIXTURES();
  auto sig = authenticode::sign(*signer(), authenticode::pe_image_data_attribute(),
                                fake_digest(io::HashAlg::sha256, 1), {});
  // openssl asn1parse is an independent DER reader: the structure must parse completely and name
  // the Authenticode OIDs.
  auto f = x509test::scratch() / "attrs.der";
  x509test::write_file(f, sig);
  auto out = actest::tool("openssl asn1parse -inform DER -in " + actest::q(f));
  ASSERT_EQ(out.rc, 0) << out.out;
  EXPECT_NE(out.out.find("1.3.6.1.4.1.311.2.1.4"), std::string::npos);              // SPC_INDIRECT_DATA
  EXPECT_NE(out.out.find("1.3.6.1.4.1.311.2.1.12"), std::string::npos);             // SpcSpOpusInfo
  EXPECT_NE(out.out.find("Microsoft Individual Code Signing"), std::string::npos);  // 1.3.6.1.4.1.311.2.1.21
  EXPECT_EQ(out.out.find("1.2.840.113549.1.9.52"), std::string::npos);  // no CMSAlgorithmProtection
}

TEST(AuthenticodeCore, TamperedSignedAttributesFail) {
  ACTEST_REQUIRE_FIXTURES();
  auto sig = authenticode::sign(*signer(), authenticode::pe_image_data_attribute(),
                                fake_digest(io::HashAlg::sha256, 1), {});
  // Flip a byte of the signature value (the last bytes of the SignerInfo).
  auto bad = sig;
  bad[bad.size() - 10] ^= 1;
  authenticode::VerifyOptions vo;
  vo.anchors = ca();
  auto v = authenticode::verify(bad, digest_fn(1), vo);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].result.valid);
  EXPECT_NE(v[0].result.detail.find("signature value"), std::string::npos) << v[0].result.detail;
}

TEST(AuthenticodeCore, NestedSignaturesKeepThePrimaryAndOrder) {
  ACTEST_REQUIRE_FIXTURES();
  authenticode::SignOptions o1, o2, o3;
  o1.hash = io::HashAlg::sha1;
  o2.hash = io::HashAlg::sha256;
  o3.hash = io::HashAlg::sha512;
  auto a = authenticode::pe_image_data_attribute();
  auto primary = authenticode::sign(*signer(), a, fake_digest(o1.hash, 1), o1);
  auto second = authenticode::sign(*signer("ec"), a, fake_digest(o2.hash, 1), o2);
  auto third = authenticode::sign(*signer(), a, fake_digest(o3.hash, 1), o3);
  auto two = authenticode::add_nested_signature(primary, second);
  auto three = authenticode::add_nested_signature(two, third);
  auto infos = authenticode::parse(three);
  ASSERT_EQ(infos.size(), 3u);
  EXPECT_EQ(infos[0].hash, io::HashAlg::sha1);
  EXPECT_EQ(infos[1].hash, io::HashAlg::sha256);
  EXPECT_EQ(infos[1].signer, "CN=Test EC Signer");
  EXPECT_EQ(infos[2].hash, io::HashAlg::sha512);
  EXPECT_EQ(infos[1].content_info, second);
  EXPECT_EQ(infos[2].content_info, third);
  // Everything of the primary except the unsigned attributes (and enclosing lengths) is kept:
  // its signature value is unchanged and still verifies.
  EXPECT_EQ(infos[0].signature_value, authenticode::parse(primary)[0].signature_value);
  authenticode::VerifyOptions vo;
  vo.anchors = ca();
  for (const auto& v : authenticode::verify(three, digest_fn(1), vo)) {
    EXPECT_TRUE(v.result.valid) << v.index << ": " << v.result.detail;
  }
  EXPECT_EQ(authenticode::verify(three, digest_fn(1), vo)[1].result.kind, "Authenticode nested #1");
  EXPECT_THROW(authenticode::add_nested_signature(std::vector<uint8_t>{0x30, 0x00}, second), io::Error);
  EXPECT_THROW(authenticode::add_nested_signature(primary, std::vector<uint8_t>{1, 2, 3}), io::Error);
}

TEST(AuthenticodeCore, WeakKeyAndExpiredCertificateAreRejected) {
  ACTEST_REQUIRE_FIXTURES();
  authenticode::VerifyOptions vo;
  vo.anchors = ca();
  auto weak = authenticode::sign(*signer("weak"), authenticode::pe_image_data_attribute(),
                                 fake_digest(io::HashAlg::sha256, 1), {});
  auto v = authenticode::verify(weak, digest_fn(1), vo);
  EXPECT_FALSE(v[0].result.valid);
  EXPECT_NE(v[0].result.detail.find("1024 bits is too weak"), std::string::npos) << v[0].result.detail;

  auto expired = authenticode::sign(*signer("expired"), authenticode::pe_image_data_attribute(),
                                    fake_digest(io::HashAlg::sha256, 1), {});
  v = authenticode::verify(expired, digest_fn(1), vo);
  EXPECT_FALSE(v[0].result.valid);
  EXPECT_NE(v[0].result.detail.find("expired and the signature has no valid timestamp"), std::string::npos)
      << v[0].result.detail;
}

TEST(AuthenticodeCore, MalformedSignatureIsOneInvalidVerdict) {
  std::vector<uint8_t> junk{0x30, 0x03, 0x02, 0x01, 0x01};
  auto v = authenticode::verify(junk, nullptr, {});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].result.valid);
  EXPECT_THROW(authenticode::parse(junk), io::Error);
}

TEST(AuthenticodeCore, SipInfoAndCabAttributes) {
  const uint8_t guid[16] = {0xf1, 0x10, 0x0c, 0x00, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46};
  auto sip = authenticode::sip_info_attribute(1, std::span<const uint8_t, 16>(guid));
  der::Reader r(sip);
  der::Reader seq = r.enter(der::tag::sequence);
  EXPECT_EQ(der::decode_oid(seq.expect(der::tag::oid).content), authenticode::oids::spc_sip_info);
  der::Reader info = seq.enter(der::tag::sequence);
  EXPECT_EQ(der::decode_small_integer(info.expect(der::tag::integer).content), 1);
  EXPECT_EQ(info.expect(der::tag::octet_string).content.size(), 16u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(der::decode_small_integer(info.expect(der::tag::integer).content), 0);
  info.expect_end();
  auto cab = authenticode::cab_data_attribute();
  der::Reader c(cab);
  der::Reader cs = c.enter(der::tag::sequence);
  EXPECT_EQ(der::decode_oid(cs.expect(der::tag::oid).content), authenticode::oids::spc_cab_data);
  EXPECT_EQ(cs.expect(der::tag::ctx_cons(2)).content.size(), 30u);
}
