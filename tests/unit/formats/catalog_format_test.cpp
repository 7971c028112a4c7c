// <catalog-file>: the unsigned catalog of TOOLBOX.md §3.5 (plus one with a member), signed around
// its own CTL with crypto::authenticode::sign_content and verified with osslsigncode 2.9; tampered
// and wrongly anchored copies fail; hostile inputs give io::Error.
#include <gtest/gtest.h>

#include <regex>

#include "crypto/authenticode.hpp"
#include "crypto/key_file_signer.hpp"
#include "crypto/x509_test_pki.hpp"
#include "formats/catalog/catalog.hpp"
#include "formats/factories.hpp"
#include "io/error.hpp"

namespace {

namespace fs = std::filesystem;
namespace der = signet::crypto::der;
namespace ac = signet::crypto::authenticode;
using Bytes = std::vector<uint8_t>;
using signet::formats::CatalogSignable;
using x509test::q;
using x509test::run;

// TOOLBOX.md §3.5, optionally with one catalog member (a file hash entry in trustedSubjects).
std::string catalog_cnf(bool member) {
  std::string cnf = R"(asn1 = SEQUENCE:contentinfo
[contentinfo]
type = OID:pkcs7-signedData
content = EXPLICIT:0,SEQUENCE:signeddata
[signeddata]
version = INTEGER:1
digestAlgs = SET:empty
encap = SEQUENCE:encap
signers = SET:empty
[empty]
[encap]
ctype = OID:1.3.6.1.4.1.311.10.1
content = EXPLICIT:0,SEQUENCE:ctl
[ctl]
usage = SEQUENCE:usage
listid = FORMAT:HEX,OCTETSTRING:00112233445566778899AABBCCDDEEFF
thisupdate = UTCTIME:260101000000Z
subjalg = SEQUENCE:subjalg
)";
  if (member) cnf += "subjects = SEQUENCE:subjects\n";
  cnf += R"([usage]
u1 = OID:1.3.6.1.4.1.311.12.1.1
[subjalg]
alg = OID:1.3.6.1.4.1.311.12.1.2
par = NULL
[subjects]
s1 = SEQUENCE:subject1
[subject1]
id = FORMAT:HEX,OCTETSTRING:0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20
attrs = SET:empty
)";
  return cnf;
}

class Catalog : public ::testing::Test {
 protected:
  void SetUp() override {
    X509TEST_REQUIRE_PKI();
    ASSERT_EQ(run("command -v osslsigncode >/dev/null"), 0) << "osslsigncode is not installed (TOOLBOX.md)";
    dir_ = x509test::scratch() /
           ("cat-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir_);
    for (bool member : {false, true}) {
      auto cnf = dir_ / "cat.cnf";
      x509test::write_file(cnf, catalog_cnf(member));
      auto out = dir_ / (member ? "member.cat" : "empty.cat");
      ASSERT_EQ(run("openssl asn1parse -genconf " + q(cnf) + " -out " + q(out) + " -noout >/dev/null"), 0);
    }
    const auto& pki = x509test::Pki::get();
    signer_ = signet::crypto::load_key_file_signer(pki / "cs.key", "", pki / "cs.crt", pki / "ca.crt");
  }

  std::unique_ptr<signet::formats::OpenedFile> open(const Bytes& data, const std::string& name = "t.cat") {
    return signet::formats::catalog_format().open(signet::io::memory_source(data, name), {});
  }
  static const CatalogSignable& cat(const std::unique_ptr<signet::formats::OpenedFile>& f) {
    auto* c = dynamic_cast<const CatalogSignable*>(f.get());
    if (!c) throw std::runtime_error("not CatalogSignable");
    return *c;
  }

  Bytes sign(const CatalogSignable& c, signet::io::HashAlg alg = signet::io::HashAlg::sha256) {
    ac::SignOptions o;
    o.hash = alg;
    return ac::sign_content(*signer_, c.content_type(), c.content(), o);
  }

  Bytes embed(const CatalogSignable& c, const Bytes& sig) {
    signet::io::TempDir temp;
    return signet::io::read_all(*c.embed(sig, temp), 1 << 30);
  }

  // osslsigncode verify rc with the given CA (default the test root).
  int verify(const Bytes& data, const std::string& name, const std::string& ca = "ca.crt",
             std::string* out = nullptr) {
    auto f = dir_ / name;
    x509test::write_file(f, data);
    auto log = dir_ / (name + ".log");
    int rc = run("osslsigncode verify -CAfile " + q(x509test::Pki::get() / ca) + " -in " + q(f) + " >" +
                 q(log) + " 2>&1");
    if (out) {
      auto b = x509test::read_file(log);
      out->assign(b.begin(), b.end());
    }
    return rc;
  }

  fs::path dir_;
  signet::crypto::SignerPtr signer_;
};

TEST_F(Catalog, OpensTheUnsignedCatalogAndDigestsItsCtl) {
  Bytes file = x509test::read_file(dir_ / "empty.cat");
  auto f = open(file);
  const auto& c = cat(f);
  EXPECT_TRUE(c.signature().empty());
  EXPECT_TRUE(c.supports_append());
  EXPECT_EQ(c.content_type(), "1.3.6.1.4.1.311.10.1");
  // The CTL as generated: offset 37 of the file, a 63-byte SEQUENCE with a 2-byte header.
  ASSERT_EQ(c.content().size(), 65u);
  EXPECT_EQ(c.content(), Bytes(file.begin() + 37, file.begin() + 102));
  EXPECT_EQ(c.content_digest(signet::io::HashAlg::sha256),
            signet::io::digest(signet::io::HashAlg::sha256, std::span<const uint8_t>(file).subspan(39, 63)));

  // osslsigncode's messageDigest for the same catalog is the same value.
  auto signed_by_ossl = dir_ / "ossl.cat";
  const auto& pki = x509test::Pki::get();
  ASSERT_EQ(
      run("osslsigncode sign -certs " + q(pki / "cs-chain.crt") + " -key " + q(pki / "cs.key") +
          " -h sha256 -in " + q(dir_ / "empty.cat") + " -out " + q(signed_by_ossl) + " >/dev/null 2>&1"),
      0);
  std::string log;
  ASSERT_EQ(verify(x509test::read_file(signed_by_ossl), "ossl-copy.cat", "ca.crt", &log), 0) << log;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(log, m, std::regex("Message digest: ([0-9A-F]+)"))) << log;
  std::string hex = m[1];
  for (auto& ch : hex) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_EQ(signet::io::to_hex(c.content_digest(signet::io::HashAlg::sha256)), hex);

  // A catalog osslsigncode signed reads as signed, with the same CTL.
  auto g = open(x509test::read_file(signed_by_ossl));
  EXPECT_EQ(cat(g).signature(), x509test::read_file(signed_by_ossl));
  EXPECT_EQ(cat(g).content(), c.content());
}

TEST_F(Catalog, SignedCatalogVerifiesWithOsslsigncodeAndTamperingFails) {
  for (std::string name : {"empty.cat", "member.cat"}) {
    SCOPED_TRACE(name);
    auto f = open(x509test::read_file(dir_ / name));
    Bytes sig = sign(cat(f));
    Bytes signed_cat = embed(cat(f), sig);
    EXPECT_EQ(signed_cat, sig);  // the signature is the whole file
    std::string log;
    EXPECT_EQ(verify(signed_cat, "s-" + name, "ca.crt", &log), 0) << log;
    EXPECT_EQ(verify(signed_cat, "w-" + name, "other.crt"), 1) << "verified against the wrong root";

    // Tamper with the CTL (the list identifier's last byte, or the member's hash).
    Bytes tampered = signed_cat;
    const Bytes needle = name == "empty.cat" ? Bytes{0xcc, 0xdd, 0xee, 0xff} : Bytes{0x1d, 0x1e, 0x1f, 0x20};
    auto it = std::search(tampered.begin(), tampered.end(), needle.begin(), needle.end());
    ASSERT_NE(it, tampered.end());
    it[3] ^= 1;
    EXPECT_EQ(verify(tampered, "t-" + name), 1) << "a tampered catalog verified";

    // It reads back as signed with the same content; re-signing replaces the signature.
    auto g = open(signed_cat);
    EXPECT_EQ(cat(g).signature(), signed_cat);
    EXPECT_EQ(cat(g).content(), cat(f).content());
    Bytes resigned = embed(cat(g), sign(cat(g), signet::io::HashAlg::sha384));
    EXPECT_EQ(ac::parse(resigned).size(), 1u);
    EXPECT_EQ(verify(resigned, "r-" + name), 0);
  }
}

TEST_F(Catalog, AppendNestsASecondSignatureThatVerifiesOnItsOwn) {
  auto f = open(x509test::read_file(dir_ / "member.cat"));
  Bytes first = embed(cat(f), sign(cat(f), signet::io::HashAlg::sha1));
  auto g = open(first);
  Bytes nested = ac::add_nested_signature(cat(g).signature(), sign(cat(g), signet::io::HashAlg::sha256));
  Bytes both = embed(cat(g), nested);
  auto sigs = ac::parse(both);
  ASSERT_EQ(sigs.size(), 2u);
  EXPECT_EQ(verify(both, "both.cat"), 0);
  // osslsigncode does not check nested catalog signatures; each one alone is a complete catalog.
  for (size_t i = 0; i < sigs.size(); ++i) {
    EXPECT_EQ(verify(sigs[i].content_info, "alone" + std::to_string(i) + ".cat"), 0) << i;
    EXPECT_EQ(sigs[i].econtent, cat(f).content());
  }
}

void expect_error(const std::function<void()>& fn, const std::string& what) {
  try {
    fn();
    ADD_FAILURE() << "no error, expected one about " << what;
  } catch (const signet::io::Error& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST_F(Catalog, HostileInputsAreErrors) {
  Bytes file = x509test::read_file(dir_ / "member.cat");
  for (size_t n : {size_t{0}, size_t{1}, size_t{10}, file.size() / 2, file.size() - 1}) {
    expect_error([&] { open(Bytes(file.begin(), file.begin() + static_cast<long>(n))); }, "t.cat");
  }
  Bytes trailing = file;
  trailing.push_back(0);
  expect_error([&] { open(trailing); }, "t.cat");
  Bytes lying = file;
  ASSERT_EQ(lying[1], 0x81);
  lying[2] = static_cast<uint8_t>(lying[2] + 1);  // outer length one too long
  expect_error([&] { open(lying); }, "t.cat");
  // BER indefinite length: not DER.
  Bytes indefinite = file;
  indefinite[1] = 0x80;
  expect_error([&] { open(indefinite); }, "t.cat");
  // A SignedData over something other than a CTL (an Authenticode file signature).
  Bytes spc = der::sequence(
      {der::oid("1.2.840.113549.1.7.2"),
       der::explicit_tag(0, der::sequence({der::integer(1), der::set({}),
                                           der::sequence({der::oid("1.3.6.1.4.1.311.2.1.4"),
                                                          der::explicit_tag(0, der::sequence({}))}),
                                           der::set({})}))});
  expect_error([&] { open(spc); }, "not a certificate trust list");
  expect_error([&] { open(der::sequence({der::oid("1.2.840.113549.1.7.1")})); }, "not a PKCS#7 SignedData");

  // embed() refuses a signature without signers or over another CTL.
  auto f = open(file);
  auto e = open(x509test::read_file(dir_ / "empty.cat"));
  expect_error([&] { embed(cat(f), file); }, "no signer");
  expect_error([&] { embed(cat(f), sign(cat(e))); }, "does not carry");
  expect_error([&] { embed(cat(f), Bytes{0x30, 0x00}); }, "new signature");
}

}  // namespace
