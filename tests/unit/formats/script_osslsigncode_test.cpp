// PowerShell files against osslsigncode 2.9, the independent verifier (TOOLBOX.md §3.6): for every
// extension and encoding, (a) our digest equals the "Calculated message digest" osslsigncode
// prints for its own signed copy, (b) its PKCS#7 embedded by us into the unsigned file verifies,
// is byte-identical to its output, and a one-character edit fails.
#include <gtest/gtest.h>

#include <regex>

#include "crypto/authenticode.hpp"
#include "crypto/x509_test_pki.hpp"
#include "formats/script_test_util.hpp"

namespace {

using namespace scripttest;
namespace fs = std::filesystem;
using x509test::q;
using x509test::run;
using x509test::run_output;

struct Encoding {
  std::string name;
  bool bom8 = false, utf16 = false, crlf = false;
};
const Encoding kEncodings[] = {
    {"utf8-lf", false, false, false},
    {"utf8bom-crlf", true, false, true},
    {"utf16-crlf", false, true, true},
};

// Script text with non-ASCII characters (in the BMP and beyond), as UTF-16.
std::u16string script_text(const std::string& ext, bool crlf) {
  std::u16string nl = crlf ? u"\r\n" : u"\n";
  bool xml = ext == "ps1xml" || ext == "psc1" || ext == "cdxml";
  if (xml) {
    return u"<?xml version=\"1.0\" encoding=\"utf-8\"?>" + nl +
           u"<Types><!-- gr\u00fc\u00dfe \u20ac \U0001F600 -->" + nl + u"</Types>" + nl;
  }
  return u"Write-Output \"gr\u00fc\u00dfe \u20ac \U0001F600\"" + nl + u"# done" + nl;
}

Bytes to_utf8(const std::u16string& s) {
  Bytes out;
  for (size_t i = 0; i < s.size(); ++i) {
    uint32_t c = s[i];
    if (c >= 0xd800 && c < 0xdc00) c = 0x10000 + ((c - 0xd800) << 10) + (s[++i] - 0xdc00);
    if (c < 0x80) {
      out.push_back(static_cast<uint8_t>(c));
    } else if (c < 0x800) {
      out.insert(out.end(), {static_cast<uint8_t>(0xc0 | (c >> 6)), static_cast<uint8_t>(0x80 | (c & 0x3f))});
    } else if (c < 0x10000) {
      out.insert(out.end(),
                 {static_cast<uint8_t>(0xe0 | (c >> 12)), static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3f)),
                  static_cast<uint8_t>(0x80 | (c & 0x3f))});
    } else {
      out.insert(out.end(),
                 {static_cast<uint8_t>(0xf0 | (c >> 18)), static_cast<uint8_t>(0x80 | ((c >> 12) & 0x3f)),
                  static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3f)), static_cast<uint8_t>(0x80 | (c & 0x3f))});
    }
  }
  return out;
}

Bytes encode(const std::u16string& text, const Encoding& e) {
  if (e.utf16) return concat(Bytes{0xff, 0xfe}, utf16(text));
  return e.bom8 ? concat(bytes("\xef\xbb\xbf"), to_utf8(text)) : to_utf8(text);
}

class OsslsigncodeScripts : public ::testing::Test {
 protected:
  void SetUp() override {
    X509TEST_REQUIRE_PKI();
    ASSERT_EQ(run("command -v osslsigncode >/dev/null"), 0) << "osslsigncode is not installed (TOOLBOX.md)";
    dir_ = x509test::scratch() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(dir_);
  }

  // osslsigncode signs `in` into `out`; rc must be 0.
  void ossl_sign(const fs::path& in, const fs::path& out, const std::string& hash = "sha256") {
    const auto& pki = x509test::Pki::get();
    fs::remove(out);
    ASSERT_EQ(run("osslsigncode sign -certs " + q(pki / "cs-chain.crt") + " -key " + q(pki / "cs.key") +
                  " -h " + hash + " -in " + q(in) + " -out " + q(out) + " >/dev/null 2>&1"),
              0)
        << in;
  }

  // osslsigncode verify: rc, and the "Calculated message digest" it printed (lowercase hex).
  std::pair<int, std::string> ossl_verify(const fs::path& file) {
    auto out = dir_ / "verify.out";
    int rc = run("osslsigncode verify -CAfile " + q(x509test::Pki::get() / "ca.crt") + " -in " + q(file) +
                 " > " + q(out) + " 2>&1");
    auto text = x509test::read_file(out);
    std::smatch m;
    std::string s(text.begin(), text.end());
    std::string hex;
    if (std::regex_search(s, m, std::regex("Calculated message digest : ([0-9A-F]+)"))) {
      hex = m[1];
      for (auto& c : hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return {rc, hex};
  }

  // The full check of one unsigned file (see the file comment).
  void check(const std::string& name, const Bytes& unsigned_bytes, const std::string& hash = "sha256") {
    SCOPED_TRACE(name + " " + hash);
    auto alg = signet::io::parse_hash_alg(hash);
    auto u = dir_ / ("u-" + name), s = dir_ / ("s-" + name), e = dir_ / ("e-" + name);
    x509test::write_file(u, unsigned_bytes);
    ossl_sign(u, s, hash);
    auto [rc, calculated] = ossl_verify(s);
    ASSERT_EQ(rc, 0) << "osslsigncode rejects its own output";
    ASSERT_FALSE(calculated.empty());

    // (a) digests: of the unsigned file and of the signed one (block excluded)
    auto ours = open_script(name, unsigned_bytes);
    EXPECT_EQ(signet::io::to_hex(ours.auth->authenticode_digest(alg)), calculated);
    auto ossl_signed = open_script(name, x509test::read_file(s));
    EXPECT_EQ(signet::io::to_hex(ossl_signed.auth->authenticode_digest(alg)), calculated);

    // The block we read is the PKCS#7 osslsigncode extracts, and it names our SIP and digest.
    Bytes sig = ossl_signed.auth->signature();
    auto p7 = dir_ / ("p7-" + name + ".der");
    fs::remove(p7);
    ASSERT_EQ(run("osslsigncode extract-signature -in " + q(s) + " -out " + q(p7) + " >/dev/null 2>&1"), 0);
    EXPECT_EQ(sig, x509test::read_file(p7));
    auto infos = signet::crypto::authenticode::parse(sig);
    ASSERT_EQ(infos.size(), 1u);
    EXPECT_EQ(infos[0].data_attribute, ours.auth->indirect_data_attribute());
    EXPECT_EQ(signet::io::to_hex(infos[0].indirect_digest), calculated);

    // (b) our embedding of that PKCS#7: the same bytes osslsigncode wrote, and it verifies
    Bytes embedded = embed(ours, sig);
    EXPECT_EQ(embedded, x509test::read_file(s));
    x509test::write_file(e, embedded);
    EXPECT_EQ(ossl_verify(e).first, 0);

    // Negative control: one character of the text changed ('e' of "Write"/"encoding" -> 'E').
    Bytes tampered = embedded;
    size_t at = (unsigned_bytes[0] == 0xff   ? 2
                 : unsigned_bytes[0] == 0xef ? 3
                                             : 0) +
                4 * (unsigned_bytes[0] == 0xff ? 2 : 1);
    ASSERT_LT(at, tampered.size());
    tampered[at] ^= 0x20;
    auto t = dir_ / ("t-" + name);
    x509test::write_file(t, tampered);
    auto [trc, tdigest] = ossl_verify(t);
    EXPECT_EQ(trc, 1) << "a tampered script verified";
    auto reopened = open_script(name, tampered);
    EXPECT_EQ(signet::io::to_hex(reopened.auth->authenticode_digest(alg)), tdigest);
    EXPECT_NE(tdigest, calculated);
  }

  fs::path dir_;
};

TEST_F(OsslsigncodeScripts, EveryExtensionAndEncoding) {
  for (std::string ext : {"ps1", "psm1", "psd1", "ps1xml", "psc1", "cdxml"}) {
    for (const auto& enc : kEncodings) {
      check(enc.name + "." + ext, encode(script_text(ext, enc.crlf), enc));
    }
  }
}

TEST_F(OsslsigncodeScripts, OtherHashAlgorithms) {
  for (std::string hash : {"sha1", "sha384", "sha512"}) {
    check("h.ps1", encode(script_text("ps1", true), kEncodings[2]), hash);
  }
}

TEST_F(OsslsigncodeScripts, InvalidUtf8AndEdgeCases) {
  // Ill-formed UTF-8 without a BOM: every stray byte is one U+FFFD for both of us.
  check(
      "bad.ps1",
      bytes("Write-Output 'a\xc0\x80 \xed\xa0\x80 \xf0\x9f\x98 \xf4\x90\x80\x80 \x80 \xfe \xe2\x82 \xc3'\n"));
  // No final line break, and a single line.
  check("nonl.ps1", bytes("Write-Output \"hello\""));
  // Mixed line ends.
  check("mixed.ps1", bytes("Write-Output 1\r\nWrite-Output 2\nWrite-Output 3\r\n"));
}

}  // namespace
