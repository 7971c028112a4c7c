// PowerShell and Windows Script Host files without external tools: text decoding, digests
// computed independently here, block shape, round trips, and hostile inputs.
#include <gtest/gtest.h>

#include "formats/script/script_text.hpp"
#include "formats/script_test_util.hpp"

namespace {

using namespace scripttest;
using signet::formats::script::Charset;
using signet::formats::script::Utf16Writer;

std::u16string decode(Charset cs, const Bytes& in, size_t chunk = 0) {
  Bytes out;
  Utf16Writer w(cs, [&](std::span<const uint8_t> s) { out.insert(out.end(), s.begin(), s.end()); });
  if (chunk == 0) {
    w.update(in);
  } else {
    for (size_t i = 0; i < in.size(); i += chunk) {
      w.update(std::span<const uint8_t>(in).subspan(i, std::min(chunk, in.size() - i)));
    }
  }
  w.finish();
  std::u16string s;
  for (size_t i = 0; i + 1 < out.size(); i += 2)
    s.push_back(static_cast<char16_t>(out[i] | (out[i + 1] << 8)));
  EXPECT_EQ(w.units(), s.size());
  return s;
}

TEST(ScriptText, Utf8WellFormed) {
  Bytes in = bytes("h\xc3\xa4 \xe2\x82\xac \xf0\x9f\x98\x80!");
  std::u16string want = u"h\u00e4 \u20ac \U0001F600!";
  EXPECT_EQ(decode(Charset::utf8, in), want);
  EXPECT_EQ(decode(Charset::utf8, in, 1), want);  // every chunk boundary inside a sequence
  EXPECT_EQ(decode(Charset::utf8, in, 2), want);
}

TEST(ScriptText, Utf8EveryBadByteIsOneReplacement) {
  const char16_t r = 0xfffd;
  struct Case {
    std::string in;
    std::u16string want;
  } cases[] = {
      {"a\xc0\x80"
       "b",
       std::u16string(u"a") + r + r + u"b"},  // overlong
      {"a\xed\xa0\x80"
       "b",
       std::u16string(u"a") + r + r + r + u"b"},  // surrogate
      {"a\xf0\x9f\x98"
       "b",
       std::u16string(u"a") + r + r + r + u"b"},  // truncated 4-byte sequence
      {"a\xf4\x90\x80\x80"
       "b",
       std::u16string(u"a") + r + r + r + r + u"b"},  // above U+10FFFF
      {"a\x80"
       "b",
       std::u16string(u"a") + r + u"b"},
      {"a\xfe\xff", std::u16string(u"a") + r + r},
      {"a\xe2\x82", std::u16string(u"a") + r + r},  // truncated at the end
      {"\xc3", std::u16string(1, r)},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(decode(Charset::utf8, bytes(c.in)), c.want) << c.in;
    EXPECT_EQ(decode(Charset::utf8, bytes(c.in), 1), c.want) << c.in;
  }
}

TEST(ScriptText, Windows1252) {
  EXPECT_EQ(decode(Charset::cp1252, bytes("\x80\x81\x9f\xe4z")), u"\u20ac\u0081\u0178\u00e4z");
}

TEST(ScriptText, Utf16PassesThroughAcrossOddChunks) {
  Bytes in = utf16(u"h\u00e4\U0001F600");
  EXPECT_EQ(decode(Charset::utf16le, in, 3), u"h\u00e4\U0001F600");
  Bytes odd{0x41};
  EXPECT_THROW(decode(Charset::utf16le, odd), signet::io::Error);
}

// The digest osslsigncode 2.9 computed for this exact file (TOOLBOX.md §3.6 fixture), recorded so
// the check also runs where osslsigncode is absent; script_osslsigncode_test.cpp covers the rest.
TEST(PowerShellScript, DigestMatchesRecordedOsslsigncodeValue) {
  auto o = open_script("lf.ps1", bytes("Write-Output \"hello\"\n"));
  EXPECT_EQ(signet::io::to_hex(o.auth->authenticode_digest(signet::io::HashAlg::sha256)),
            "539324e9eeed8fe1fe1fac166177842075f93164ee9d496bbe41289113f719a6");
}

TEST(PowerShellScript, DigestIsTheUtf16TextIncludingTheBom) {
  std::u16string text = u"Write-Output \"h\u00e4llo \u20ac\"\r\n";
  Bytes u8 = bytes("Write-Output \"h\xc3\xa4llo \xe2\x82\xac\"\r\n");
  auto plain = open_script("a.ps1", u8);
  EXPECT_EQ(plain.auth->authenticode_digest(signet::io::HashAlg::sha256), sha256(utf16(text)));
  auto bom = open_script("a.ps1", concat(bytes("\xef\xbb\xbf"), u8));
  EXPECT_EQ(bom.auth->authenticode_digest(signet::io::HashAlg::sha256),
            sha256(concat(Bytes{0xff, 0xfe}, utf16(text))));
  Bytes raw16 = concat(Bytes{0xff, 0xfe}, utf16(text));
  auto u16 = open_script("a.ps1", raw16);
  EXPECT_EQ(u16.auth->authenticode_digest(signet::io::HashAlg::sha256), sha256(raw16));
  EXPECT_EQ(u16.auth->authenticode_digest(signet::io::HashAlg::sha1),
            signet::io::digest(signet::io::HashAlg::sha1, raw16));
}

struct PsCase {
  std::string name, begin, end, prefix, suffix;
};
const PsCase kPs{"x.ps1", "# SIG # Begin signature block", "# SIG # End signature block", "# ", ""};
const PsCase kPsXml{"x.ps1xml", "<!-- SIG # Begin signature block -->", "<!-- SIG # End signature block -->",
                    "<!-- ", " -->"};

TEST(PowerShellScript, EmbedWritesTheWindowsBlockAndReadsItBack) {
  for (const auto& k : {kPs, kPsXml}) {
    for (bool u16 : {false, true}) {
      SCOPED_TRACE(k.name + (u16 ? " utf16" : " utf8"));
      std::string text = k.suffix.empty() ? "Write-Output 1\nWrite-Output 2\n" : "<Types>\n</Types>\n";
      Bytes original = u16 ? concat(Bytes{0xff, 0xfe}, utf16(text)) : bytes(text);
      auto o = open_script(k.name, original);
      EXPECT_TRUE(o.auth->signature().empty());
      EXPECT_FALSE(o.auth->supports_append());
      auto digest = o.auth->authenticode_digest(signet::io::HashAlg::sha256);

      Bytes sig = fake_signature(300);
      Bytes signed_bytes = embed(o, sig);
      std::string block = block_text(k.begin, k.end, k.prefix, k.suffix, sig);
      EXPECT_EQ(signed_bytes, concat(original, u16 ? utf16(block) : bytes(block)));

      auto again = open_script(k.name, signed_bytes);
      EXPECT_EQ(again.auth->signature(), sig);
      EXPECT_EQ(again.auth->authenticode_digest(signet::io::HashAlg::sha256), digest);
      // Re-signing replaces the block: the same result as signing the unsigned file.
      Bytes sig2 = fake_signature(40, 0x11);
      EXPECT_EQ(embed(again, sig2), embed(o, sig2));
    }
  }
}

TEST(PowerShellScript, ReadsBlocksWithLfLineEndsAndNoFinalNewline) {
  Bytes sig = fake_signature(100);
  std::string block = block_text(kPs.begin, kPs.end, kPs.prefix, kPs.suffix, sig);
  std::string lf;
  for (char c : block)
    if (c != '\r') lf += c;
  auto o = open_script("a.ps1", bytes("x\n" + lf));
  EXPECT_EQ(o.auth->signature(), sig);
  auto unsigned_ = open_script("a.ps1", bytes("x\n"));
  EXPECT_EQ(o.auth->authenticode_digest(signet::io::HashAlg::sha256),
            unsigned_.auth->authenticode_digest(signet::io::HashAlg::sha256));
  auto no_final = open_script("a.ps1", bytes("x\n" + block.substr(0, block.size() - 2)));
  EXPECT_EQ(no_final.auth->signature(), sig);
}

TEST(PowerShellScript, IndirectDataIsSpcSipInfoWithThePowerShellGuid) {
  auto o = open_script("a.psm1", bytes("1\n"));
  // SEQUENCE { OID 1.3.6.1.4.1.311.2.1.30, SEQUENCE { INTEGER 65536, OCTET STRING GUID, INTEGER 0 x5 } }
  EXPECT_EQ(signet::io::to_hex(o.auth->indirect_data_attribute()),
            "3034060a2b06010401823702011e3026020301000004101fcc3b60594b084eb724d2c6297ef351"
            "020100020100020100020100020100");
}

TEST(PowerShellScript, UnknownExtensionSniffsXml) {
  Bytes sig = fake_signature(10);
  auto o = open_script("types.txt.ps", bytes("  <Types/>\n"));
  Bytes signed_bytes = embed(o, sig);
  std::string out(signed_bytes.begin(), signed_bytes.end());
  EXPECT_NE(out.find("<!-- SIG # Begin signature block -->"), std::string::npos);
}

// ---- Windows Script Host ---------------------------------------------------------------------

struct WshCase {
  std::string name, begin, end, prefix, guid_hex;
};
const WshCase kJs{"a.js", "// SIG // Begin signature block", "// SIG // End signature block", "// SIG // ",
                  "10e0c906ce38d411a2a300104bd35090"};
const WshCase kVbs{"a.vbs", "'' SIG '' Begin signature block", "'' SIG '' End signature block", "'' SIG '' ",
                   "4ef029169927b54d8fe5ace10f17ebab"};
const WshCase kWsf{"a.wsf", "<signature>", "</signature>", "** SIG ** ", "7005611ace38d411a2a300104bd35090"};

TEST(WindowsScript, JsAndVbsDigestIsTextThenPositionAndBlockGoesLast) {
  for (const auto& k : {kJs, kVbs}) {
    SCOPED_TRACE(k.name);
    // Without BOM the text is Windows-1252: 0xe4 is U+00E4, 0x80 is U+20AC.
    std::string text = "WScript.Echo \"h\xe4llo \x80\"\r\n";
    std::u16string chars = u"WScript.Echo \"h\u00e4llo \u20ac\"\r\n";
    auto o = open_script(k.name, bytes(text));
    Bytes want = sha256(concat(utf16(chars), le32(static_cast<uint32_t>(chars.size()))));
    EXPECT_EQ(o.auth->authenticode_digest(signet::io::HashAlg::sha256), want);

    Bytes sig = fake_signature(200);
    Bytes out = embed(o, sig);
    EXPECT_EQ(out, bytes(text + block_text(k.begin, k.end, k.prefix, "", sig)));
    auto again = open_script(k.name, out);
    EXPECT_EQ(again.auth->signature(), sig);
    EXPECT_EQ(again.auth->authenticode_digest(signet::io::HashAlg::sha256), want);

    // SpcSipInfo { 1, GUID, 0 x5 }
    EXPECT_EQ(signet::io::to_hex(o.auth->indirect_data_attribute()),
              "3032060a2b06010401823702011e302402010104"
              "10" +
                  k.guid_hex + "020100020100020100020100020100");
  }
}

TEST(WindowsScript, BomIsNotHashedAndUtf16StaysUtf16) {
  std::u16string chars = u"WScript.Echo \"\u00e4\"\r\n";
  Bytes want = sha256(concat(utf16(chars), le32(static_cast<uint32_t>(chars.size()))));
  Bytes u8bom = concat(bytes("\xef\xbb\xbf"), bytes("WScript.Echo \"\xc3\xa4\"\r\n"));
  EXPECT_EQ(open_script("a.vbs", u8bom).auth->authenticode_digest(signet::io::HashAlg::sha256), want);
  Bytes u16 = concat(Bytes{0xff, 0xfe}, utf16(chars));
  auto o = open_script("a.vbs", u16);
  EXPECT_EQ(o.auth->authenticode_digest(signet::io::HashAlg::sha256), want);
  Bytes sig = fake_signature(70);
  EXPECT_EQ(embed(o, sig), concat(u16, utf16(block_text(kVbs.begin, kVbs.end, kVbs.prefix, "", sig))));
}

TEST(WindowsScript, WsfBlockGoesBeforeTheLastJob) {
  std::string head =
      "<package>\r\n<job id=\"a\"><script language=\"JScript\">WScript.Echo(1);</script>\r\n</job>\r\n"
      "<job id=\"b\"><script language=\"VBScript\">WScript.Echo 2</script>\r\n";
  std::string tail = "</job>\r\n</package>\r\n";
  auto o = open_script("a.wsf", bytes(head + tail));
  // The position is that of the last "</job>" in the text without the block.
  Bytes want = sha256(concat(utf16(head + tail), le32(static_cast<uint32_t>(head.size()))));
  EXPECT_EQ(o.auth->authenticode_digest(signet::io::HashAlg::sha256), want);

  Bytes sig = fake_signature(150);
  Bytes out = embed(o, sig);
  EXPECT_EQ(out, bytes(head + block_text(kWsf.begin, kWsf.end, kWsf.prefix, "", sig) + tail));
  auto again = open_script("a.wsf", out);
  EXPECT_EQ(again.auth->signature(), sig);
  EXPECT_EQ(again.auth->authenticode_digest(signet::io::HashAlg::sha256), want);
  Bytes sig2 = fake_signature(20, 1);
  EXPECT_EQ(embed(again, sig2), embed(o, sig2));
}

TEST(WindowsScript, NeedsAKnownKind) {
  EXPECT_THROW(open_script("a.txt", bytes("WScript.Echo 1\n")), signet::io::Error);
  EXPECT_THROW(open_script("a.wsf", bytes("<job><script/>\n")), signet::io::Error);  // no </job>
}

// ---- hostile inputs --------------------------------------------------------------------------

// Opening must fail with io::Error whose location names the file and, where given, the line.
void expect_open_error(const std::string& name, const Bytes& data, const std::string& what, int line = 0) {
  try {
    auto o = open_script(name, data);
    ADD_FAILURE() << name << ": opened, expected an error about " << what;
  } catch (const signet::io::Error& e) {
    EXPECT_NE(e.message().find(what), std::string::npos) << e.what();
    EXPECT_EQ(e.where().file, name);
    if (line) {
      EXPECT_EQ(e.where().line, line) << e.what();
    }
  }
}

TEST(ScriptHostile, MalformedBlocksAreErrorsWithTheirLine) {
  Bytes sig = fake_signature(200);
  std::string good = "a\r\nb\r\n" + block_text(kPs.begin, kPs.end, kPs.prefix, "", sig);  // block: line 4
  auto cut = [&](size_t n) { return bytes(good.substr(0, n)); };
  size_t end_line = good.find("# SIG # End");
  expect_open_error("t.ps1", cut(end_line), "without its end line", 10);
  expect_open_error("t.ps1", bytes("a\r\n# SIG # Begin signature block\r\n"), "without its end line", 3);
  // The first base64 character (line 5).
  auto first_b64 = [&](const std::string& s) { return s.find(kPs.begin) + kPs.begin.size() + 4; };
  std::string bad_b64 = good;
  bad_b64[first_b64(good)] = '!';
  expect_open_error("t.ps1", bytes(bad_b64), "not base64", 5);
  std::string bad_line = good;
  bad_line.insert(good.find("# SIG # End"), "garbage\r\n");
  expect_open_error("t.ps1", bytes(bad_line), "unexpected line", 10);
  expect_open_error("t.ps1", bytes(good + "Write-Output 1\r\n"), "text after the end", 11);
  // Base64 of something that is not one SignedData: a lying length, trailing bytes, another type.
  Bytes lying = sig;
  lying[2] = static_cast<uint8_t>(lying[2] + 5);
  expect_open_error("t.ps1", bytes("a\n" + block_text(kPs.begin, kPs.end, "# ", "", lying)), "malformed", 3);
  expect_open_error("t.ps1", bytes("a\n" + block_text(kPs.begin, kPs.end, "# ", "", concat(sig, {0}))),
                    "malformed", 3);
  Bytes other =
      der::sequence({der::oid("1.2.840.113549.1.7.1"), der::explicit_tag(0, der::octet_string({}))});
  expect_open_error("t.ps1", bytes("a\n" + block_text(kPs.begin, kPs.end, "# ", "", other)), "SignedData", 3);
  expect_open_error("t.ps1", bytes("a\n# SIG # Begin signature block\r\n# SIG # End signature block\r\n"),
                    "empty", 2);
  // Non-ASCII inside the block, in UTF-16.
  std::string u16block = "a\r\n" + block_text(kPs.begin, kPs.end, "# ", "", sig);
  Bytes u16 = concat(Bytes{0xff, 0xfe}, utf16(u16block));
  u16[2 + 2 * (first_b64(u16block) + 1) + 1] = 0x01;
  expect_open_error("t.ps1", u16, "not base64", 4);
  // A .wsf block must sit right before </job>.
  std::string wsf = "<job>x\r\n" + block_text(kWsf.begin, kWsf.end, kWsf.prefix, "", sig) + "y</job>\r\n";
  expect_open_error("t.wsf", bytes(wsf), "not followed by </job>");
}

TEST(ScriptHostile, BadEncodings) {
  expect_open_error("t.ps1", Bytes{0xff, 0xfe, 0x41}, "odd number of bytes");
  expect_open_error("t.ps1", Bytes{0xfe, 0xff, 0x00, 0x41}, "big endian");
}

TEST(ScriptHostile, TextThatOnlyLooksLikeABlockIsText) {
  // A begin marker followed by more text on its line is not a block: the file is unsigned.
  auto o = open_script("t.ps1", bytes("a\n# SIG # Begin signature block, says this comment\n"));
  EXPECT_TRUE(o.auth->signature().empty());
  auto bare = open_script("t.ps1", bytes("a\n# SIG # Begin signature block"));
  EXPECT_TRUE(bare.auth->signature().empty());
  // A .wsf whose last "<signature>..." is not a block line still finds the real block.
  Bytes sig = fake_signature(30);
  auto w = open_script("t.wsf", bytes("<job>x</job>\n<signature>not a block\n"));
  auto signed_w = open_script("t.wsf", embed(w, sig));
  EXPECT_EQ(signed_w.auth->signature(), sig);
  EXPECT_EQ(signed_w.auth->authenticode_digest(signet::io::HashAlg::sha256),
            w.auth->authenticode_digest(signet::io::HashAlg::sha256));
  auto e = open_script("t.ps1", Bytes{});
  EXPECT_TRUE(e.auth->signature().empty());
  EXPECT_EQ(e.auth->authenticode_digest(signet::io::HashAlg::sha256), sha256({}));
}

}  // namespace
