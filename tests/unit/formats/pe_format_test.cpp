// <pe-file>: digest, metadata, embedding, the Debian-signed files and hostile input. Every signed
// output is checked by osslsigncode and sbverify, each with a tampered negative control; digests
// and checksums are compared with osslsigncode's and python3-pefile's.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "crypto/authenticode.hpp"
#include "crypto/authenticode_test_support.hpp"
#include "crypto/key_file_signer.hpp"
#include "crypto/x509.hpp"
#include "formats/authenticode.hpp"
#include "formats/factories.hpp"
#include "formats/pe/pe.hpp"
#include "io/error.hpp"

using namespace signet;
using actest::Fixtures;
using actest::q;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<formats::OpenedFile> open_pe(const fs::path& p) {
  return formats::pe_format().open(io::file_source(p), {});
}

const formats::AuthenticodeSignable& signable(const formats::OpenedFile& f) {
  return dynamic_cast<const formats::AuthenticodeSignable&>(f);
}

crypto::SignerPtr signer() {
  const auto& f = Fixtures::get();
  return crypto::load_key_file_signer(f / "cs.key", "", f / "cs.crt", f / "ca.crt");
}

// Signs `in` with Signet into scratch/`out_name`; returns the path.
fs::path sign_file(const fs::path& in, const std::string& out_name, io::HashAlg alg = io::HashAlg::sha256) {
  auto pe = open_pe(in);
  const auto& s = signable(*pe);
  crypto::authenticode::SignOptions o;
  o.hash = alg;
  o.description = "Signet test";
  o.description_url = "https://example.com";
  auto sig =
      crypto::authenticode::sign(*signer(), s.indirect_data_attribute(), s.authenticode_digest(alg), o);
  io::TempDir temp;
  auto out = s.embed(sig, temp);
  fs::path dst = x509test::scratch() / out_name;
  auto bytes = io::read_all(*out, 1 << 30);
  x509test::write_file(dst, bytes);
  return dst;
}

fs::path tampered_copy(const fs::path& p, uint64_t offset) {
  auto bytes = x509test::read_file(p);
  bytes.at(offset) ^= 0x01;
  fs::path dst = p.string() + ".tampered";
  x509test::write_file(dst, bytes);
  return dst;
}

uint32_t get32(const std::vector<uint8_t>& d, size_t off) {
  return d[off] | (d[off + 1] << 8) | (d[off + 2] << 16) | (static_cast<uint32_t>(d[off + 3]) << 24);
}
void set32(std::vector<uint8_t>& d, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) d[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

std::string calculated_digest(const std::string& osslsigncode_output) {
  std::smatch m;
  std::regex re("Calculated message digest : ([0-9A-F]+)");
  if (!std::regex_search(osslsigncode_output, m, re)) return "";
  std::string h = m[1];
  for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

// python3-pefile's checksum of the file equals the one written in it.
bool pefile_checksum_ok(const fs::path& p) {
  return actest::tool(
             "/usr/bin/python3 -c \"import pefile,sys; p=pefile.PE(sys.argv[1]); "
             "sys.exit(0 if p.OPTIONAL_HEADER.CheckSum == p.generate_checksum() else 1)\" " +
             q(p))
             .rc == 0;
}

class PeFixture : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(PeFixture, SignedOutputVerifiesWithOsslsigncodeAndSbverify) {
  ACTEST_REQUIRE_FIXTURES();
  const std::string name = GetParam();
  ASSERT_TRUE(fs::exists(Fixtures::get() / name)) << name << " not generated (binutils-mingw-w64-i686 missing?)";
  for (auto alg : {io::HashAlg::sha1, io::HashAlg::sha256, io::HashAlg::sha384, io::HashAlg::sha512}) {
    const std::string tag = std::string(io::hash_alg_name(alg)) + "-" + name;
    SCOPED_TRACE(tag);
    fs::path signed_file = sign_file(Fixtures::get() / name, tag, alg);
    auto v = actest::osslsigncode_verify(signed_file, 0);
    EXPECT_EQ(v.rc, 0) << v.out;
    // The digest of the unsigned input equals what osslsigncode calculates on the signed output.
    auto in = open_pe(Fixtures::get() / name);
    EXPECT_EQ(io::to_hex(signable(*in).authenticode_digest(alg)), calculated_digest(v.out)) << v.out;
    // sbverify (sbsigntool 0.9.4) only understands SHA-256 ("Invalid algorithm type" otherwise).
    const bool sb_applies = alg == io::HashAlg::sha256;
    if (sb_applies) {
      auto sb = actest::sbverify(signed_file);
      EXPECT_EQ(sb.rc, 0) << sb.out;
    }
    EXPECT_TRUE(pefile_checksum_ok(signed_file));
    // Our own reading of the output: one signature, and its digest equals the recomputed one.
    auto out = open_pe(signed_file);
    crypto::authenticode::VerifyOptions vo;
    vo.anchors = crypto::load_certificates(Fixtures::get() / "ca.crt");
    auto verdicts = crypto::authenticode::verify(
        signable(*out).signature(), [&](io::HashAlg a) { return signable(*out).authenticode_digest(a); }, vo);
    ASSERT_EQ(verdicts.size(), 1u);
    EXPECT_TRUE(verdicts[0].result.valid) << verdicts[0].result.detail;

    // Negative control: one byte of the code changed.
    fs::path bad = tampered_copy(signed_file, 0x400 + 17);
    EXPECT_NE(actest::osslsigncode_verify(bad, 0).rc, 0);
    if (sb_applies) {
      EXPECT_NE(actest::sbverify(bad).rc, 0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PeFixture,
                         ::testing::Values("hello.exe", "lib.dll", "test.efi", "pe32.exe", "odd.exe"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

TEST(PeFormat, DataAttributeAndDigestMatchOsslsigncodeSignature) {
  ACTEST_REQUIRE_FIXTURES();
  const auto& f = Fixtures::get();
  fs::path out = x509test::scratch() / "ossl-signed.exe";
  auto r = actest::tool("osslsigncode sign -certs " + q(f / "cs-chain.crt") + " -key " + q(f / "cs.key") +
                        " -h sha256 -in " + q(f / "hello.exe") + " -out " + q(out));
  ASSERT_EQ(r.rc, 0) << r.out;
  auto pe = open_pe(out);
  auto sigs = crypto::authenticode::parse(signable(*pe).signature());
  ASSERT_EQ(sigs.size(), 1u);
  // Same attribute type (SPC_PE_IMAGE_DATA); osslsigncode sets the includeResources flag bit,
  // Signet writes an empty flag set as Microsoft's own signatures do (see the shim test).
  auto type_of = [](std::span<const uint8_t> attr) {
    crypto::der::Reader r(attr);
    return crypto::der::decode_oid(r.enter(crypto::der::tag::sequence).expect(crypto::der::tag::oid).content);
  };
  EXPECT_EQ(type_of(sigs[0].data_attribute), type_of(signable(*pe).indirect_data_attribute()));
  EXPECT_EQ(sigs[0].indirect_digest, signable(*pe).authenticode_digest(io::HashAlg::sha256));
  // Re-signing replaces osslsigncode's signature: one certificate entry, and it is ours.
  fs::path resigned = sign_file(out, "resigned.exe");
  auto again = open_pe(resigned);
  auto all = dynamic_cast<const formats::pe::CertificateTable&>(*again).all_signatures();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(crypto::authenticode::parse(all[0])[0].program_name, "Signet test");
  EXPECT_EQ(actest::osslsigncode_verify(resigned, 0).rc, 0);
  EXPECT_EQ(fs::file_size(resigned) % 8, 0u);
}

TEST(PeFormat, SignedOutputReadsTheSameAsItCopies) {
  // embed() returns a pieced source: copy_to (copy_file_range for the bulk) and a plain read must
  // give the same bytes, and the file it came from may be released first.
  ACTEST_REQUIRE_FIXTURES();
  io::SourcePtr out;
  {
    auto pe = formats::pe_format().open(
        io::memory_source(x509test::read_file(Fixtures::get() / "odd.exe"), "odd.exe"), {});
    const auto& s = signable(*pe);
    auto sig = crypto::authenticode::sign(*signer(), s.indirect_data_attribute(),
                                          s.authenticode_digest(io::HashAlg::sha256), {});
    io::TempDir temp;
    out = s.embed(sig, temp);
  }
  EXPECT_FALSE(out->pieces().empty());
  auto read = io::read_all(*out, 1 << 30);
  fs::path copied = x509test::scratch() / "copied.exe";
  {
    auto f = io::File::create(copied);
    io::copy_to(*out, f);
  }
  EXPECT_EQ(x509test::read_file(copied), read);
  EXPECT_EQ(read.size(), out->size());
  EXPECT_EQ(actest::osslsigncode_verify(copied, 0).rc, 0);
}

TEST(PeFormat, VersionResourceMetadata) {
  ACTEST_REQUIRE_FIXTURES();
  auto pe = open_pe(Fixtures::get() / "hello.exe");
  EXPECT_EQ(pe->metadata("product-name"), "MyProduct");
  EXPECT_EQ(pe->metadata("product-version"), "1.2.3.4");
  EXPECT_EQ(pe->metadata("file-version"), "1.2.3.4");
  EXPECT_EQ(pe->metadata("company-name"), "ACME Inc.");
  EXPECT_EQ(pe->metadata("copyright"), "(c) ACME");
  EXPECT_EQ(pe->metadata("original-filename"), "hello.exe");
  EXPECT_EQ(pe->metadata("subject"), std::nullopt);
  auto plain = open_pe(Fixtures::get() / "plain.exe");
  EXPECT_EQ(plain->metadata("product-name"), std::nullopt);
  // Signing keeps the resource: the signed file reads the same.
  auto signed_pe = open_pe(sign_file(Fixtures::get() / "hello.exe", "meta.exe"));
  EXPECT_EQ(signed_pe->metadata("product-name"), "MyProduct");
}

TEST(PeFormat, OpensFromMemoryAndCompressedSources) {
  ACTEST_REQUIRE_FIXTURES();
  auto bytes = x509test::read_file(Fixtures::get() / "hello.exe");
  auto pe = formats::pe_format().open(io::memory_source(bytes, "in-memory.exe"), {});
  auto from_file = open_pe(Fixtures::get() / "hello.exe");
  EXPECT_EQ(signable(*pe).authenticode_digest(io::HashAlg::sha256),
            signable(*from_file).authenticode_digest(io::HashAlg::sha256));
  EXPECT_EQ(pe->metadata("company-name"), "ACME Inc.");
}

TEST(PeFormat, DebianSignedFilesParse) {
  ACTEST_REQUIRE_FIXTURES();
  std::string why;
  auto fwupd = actest::debian_file("fwupd", &why);
  auto shim = actest::debian_file("shim", &why);
  if (!fwupd || !shim) GTEST_SKIP() << why;

  auto f = open_pe(*fwupd);
  auto sigs = crypto::authenticode::parse(signable(*f).signature());
  ASSERT_EQ(sigs.size(), 1u);
  EXPECT_NE(sigs[0].signer.find("Debian Secure Boot Signer"), std::string::npos) << sigs[0].signer;
  auto r = actest::tool("osslsigncode verify -in " + q(*fwupd));
  EXPECT_EQ(io::to_hex(signable(*f).authenticode_digest(io::HashAlg::sha256)), calculated_digest(r.out))
      << r.out;
  auto verdicts = crypto::authenticode::verify(
      signable(*f).signature(), [&](io::HashAlg a) { return signable(*f).authenticode_digest(a); }, {});
  EXPECT_TRUE(verdicts[0].result.valid) << verdicts[0].result.detail;

  // shim: two WIN_CERTIFICATE entries (Microsoft UEFI CA 2011 and 2023), both over the same digest.
  auto s = open_pe(*shim);
  auto all = dynamic_cast<const formats::pe::CertificateTable&>(*s).all_signatures();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(signable(*s).signature(), all[0]);
  for (const auto& sig : all) {
    auto v = crypto::authenticode::verify(
        sig, [&](io::HashAlg a) { return signable(*s).authenticode_digest(a); }, {});
    ASSERT_EQ(v.size(), 1u);
    EXPECT_TRUE(v[0].result.valid) << v[0].result.detail;
    EXPECT_NE(v[0].result.signer.find("Microsoft"), std::string::npos) << v[0].result.signer;
    // Microsoft's SpcPeImageData flags are an empty BIT STRING, as Signet writes them.
    auto info = crypto::authenticode::parse(sig)[0];
    EXPECT_NE(io::to_hex(info.data_attribute).find("3009030100a0"), std::string::npos);
  }
  // sbverify lists the same two signatures.
  auto list = actest::tool("sbverify --list " + q(*shim));
  EXPECT_NE(list.out.find("signature 2"), std::string::npos) << list.out;
}

// ---- append on files with several certificate-table entries -------------------------------------

namespace {

// Appends a Signet SHA-256 signature to `in` as signtool does (nested into the first entry's
// primary signature); returns the written file.
fs::path append_sign(const fs::path& in, const std::string& out_name) {
  auto pe = open_pe(in);
  const auto& s = signable(*pe);
  crypto::authenticode::SignOptions o;
  o.description = "Signet appended";
  auto sig =
      crypto::authenticode::sign(*signer(), s.indirect_data_attribute(), s.authenticode_digest(o.hash), o);
  auto nested = crypto::authenticode::add_nested_signature(s.signature(), sig);
  io::TempDir temp;
  auto out = s.embed(nested, temp);
  fs::path dst = x509test::scratch() / out_name;
  x509test::write_file(dst, io::read_all(*out, 1 << 30));
  return dst;
}

std::vector<std::vector<uint8_t>> entries_of(const fs::path& p) {
  auto pe = open_pe(p);
  return dynamic_cast<const formats::pe::CertificateTable&>(*pe).all_signatures();
}

// "signature N" lines of `sbverify --list` (it walks the certificate table itself).
int sbverify_count(const fs::path& p) {
  auto r = actest::tool("sbverify --list " + q(p));
  std::regex re("^signature [0-9]+$");
  int n = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) n += std::regex_match(line, re);
  return n;
}

// The PE32+ certificate directory entry (offset, size) of `bytes`.
std::pair<uint32_t, uint32_t> cert_dir(const std::vector<uint8_t>& b) {
  const size_t dir = get32(b, 0x3c) + 24 + 112 + 4 * 8;
  return {get32(b, dir), get32(b, dir + 4)};
}

// A copy of `p` whose certificate table holds only its first entry (the checksum is refreshed).
fs::path first_entry_only(const fs::path& p) {
  auto b = x509test::read_file(p);
  auto [off, size] = cert_dir(b);
  const uint32_t len = (get32(b, off) + 7) & ~uint32_t{7};
  b.resize(off + len);
  set32(b, get32(b, 0x3c) + 24 + 112 + 4 * 8 + 4, len);
  fs::path dst = p.string() + ".first";
  x509test::write_file(dst, b);
  auto r = actest::tool(
      "/usr/bin/python3 -c \"import pefile,sys; p=pefile.PE(sys.argv[1]); "
      "p.OPTIONAL_HEADER.CheckSum=p.generate_checksum(); p.write(sys.argv[1])\" " +
      q(dst));
  EXPECT_EQ(r.rc, 0) << r.out;
  return dst;
}

// Checks the appended output: every original entry after the first kept byte for byte, the first
// now holding its old signature plus ours, the table running to the end of the file, the
// checksum right, and the independent tools reading it.
void expect_appended(const fs::path& in, const fs::path& out) {
  auto before = entries_of(in);
  auto after = entries_of(out);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 1; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]) << "entry " << i + 1;
  auto had = crypto::authenticode::parse(before[0]);
  auto now = crypto::authenticode::parse(after[0]);
  ASSERT_EQ(now.size(), had.size() + 1);
  EXPECT_EQ(now[0].signature_value, had[0].signature_value);
  EXPECT_EQ(now.back().program_name, "Signet appended");
  EXPECT_EQ(sbverify_count(out), static_cast<int>(before.size()));
  auto bytes = x509test::read_file(out);
  auto [off, size] = cert_dir(bytes);
  EXPECT_EQ(uint64_t{off} + size, bytes.size());
  EXPECT_EQ(off % 8, 0u);
  EXPECT_EQ(size % 8, 0u);
  EXPECT_TRUE(pefile_checksum_ok(out));
  // osslsigncode refuses tables of several entries ("Corrupted attribute certificate table", on
  // Debian's shim as well), so it checks the first entry alone: our nested signature verifies.
  fs::path first = first_entry_only(out);
  auto v = actest::osslsigncode_verify(first, static_cast<int>(had.size()));
  EXPECT_EQ(v.rc, 0) << v.out;
  // Negative control: one byte of the code changed.
  EXPECT_NE(actest::osslsigncode_verify(tampered_copy(first, 0x400 + 17), static_cast<int>(had.size())).rc,
            0);
}

}  // namespace

TEST(PeAppend, KeepsEveryCertificateTableEntry) {
  // A fixture with two WIN_CERTIFICATE entries: a Signet-signed hello.exe plus a second entry
  // holding another signature over the same digest (as Debian's shim carries two).
  ACTEST_REQUIRE_FIXTURES();
  fs::path one = sign_file(Fixtures::get() / "hello.exe", "one-entry.exe");
  fs::path other = sign_file(Fixtures::get() / "hello.exe", "other-entry.exe");
  auto bytes = x509test::read_file(one);
  auto second = entries_of(other).at(0);
  auto [off, size] = cert_dir(bytes);
  ASSERT_EQ(uint64_t{off} + size, bytes.size());
  std::vector<uint8_t> entry(8 + second.size() + 3, 0);  // dwLength not a multiple of 8: padded
  set32(entry, 0, static_cast<uint32_t>(entry.size()));
  entry[5] = 0x02;  // revision 0x0200
  entry[6] = 0x02;  // WIN_CERT_TYPE_PKCS_SIGNED_DATA
  std::copy(second.begin(), second.end(), entry.begin() + 8);
  bytes.insert(bytes.end(), entry.begin(), entry.end());
  bytes.resize((bytes.size() + 7) & ~size_t{7}, 0);
  const size_t dir = get32(bytes, 0x3c) + 24 + 112 + 4 * 8;
  set32(bytes, dir + 4, static_cast<uint32_t>(bytes.size() - off));
  fs::path two = x509test::scratch() / "two-entries.exe";
  x509test::write_file(two, bytes);
  ASSERT_EQ(entries_of(two).size(), 2u);
  ASSERT_EQ(sbverify_count(two), 2);

  fs::path appended = append_sign(two, "two-entries-appended.exe");
  expect_appended(two, appended);
  // Both entries' primary signatures are ours: sbverify checks the whole table.
  auto sb = actest::sbverify(appended);
  EXPECT_EQ(sb.rc, 0) << sb.out;
  EXPECT_NE(actest::sbverify(tampered_copy(appended, 0x400 + 17)).rc, 0);
  // The original signature (index 0) still verifies too.
  EXPECT_EQ(actest::osslsigncode_verify(first_entry_only(appended), 0).rc, 0);
  // Appending again nests a third signature and still keeps the second entry.
  fs::path twice = append_sign(appended, "two-entries-appended-twice.exe");
  expect_appended(appended, twice);

  // Without append, the signature replaces every entry.
  fs::path replaced = sign_file(two, "two-entries-replaced.exe");
  EXPECT_EQ(entries_of(replaced).size(), 1u);
  EXPECT_EQ(sbverify_count(replaced), 1);
  EXPECT_EQ(actest::osslsigncode_verify(replaced, 0).rc, 0);
}

TEST(PeAppend, DebianShimKeepsBothMicrosoftSignatures) {
  ACTEST_REQUIRE_FIXTURES();
  std::string why;
  auto shim = actest::debian_file("shim", &why);
  if (!shim) GTEST_SKIP() << why;
  ASSERT_EQ(entries_of(*shim).size(), 2u);
  fs::path out = append_sign(*shim, "shim-appended.efi");
  expect_appended(*shim, out);
  auto list = actest::tool("sbverify --list " + q(out));
  EXPECT_NE(list.out.find("Microsoft UEFI CA 2023"), std::string::npos) << list.out;
}

// ---- hostile input -------------------------------------------------------------------------------

namespace {

std::vector<uint8_t> fixture_bytes(const std::string& name) {
  return x509test::read_file(Fixtures::get() / name);
}

// Opening the bytes must throw an io::Error naming the file and containing `want`.
void expect_rejected(std::vector<uint8_t> bytes, const std::string& want) {
  fs::path p = x509test::scratch() / "hostile.exe";
  x509test::write_file(p, bytes);
  try {
    auto pe = open_pe(p);
    signable(*pe).authenticode_digest(io::HashAlg::sha256);
    FAIL() << "accepted; expected: " << want;
  } catch (const io::Error& e) {
    EXPECT_NE(std::string(e.what()).find("hostile.exe"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find(want), std::string::npos) << e.message();
  }
}

}  // namespace

TEST(PeHostile, TruncatedAndLyingHeadersAreRejected) {
  ACTEST_REQUIRE_FIXTURES();
  auto good = fixture_bytes("plain.exe");
  const uint32_t pe = get32(good, 0x3c);
  const size_t opt = pe + 24;

  expect_rejected(std::vector<uint8_t>(good.begin(), good.begin() + 40), "shorter than a DOS header");
  expect_rejected(std::vector<uint8_t>(good.begin(), good.begin() + pe + 30),
                  "the optional header lies beyond");
  auto b = good;
  b[0] = 'X';
  expect_rejected(b, "no MZ signature");
  b = good;
  set32(b, 0x3c, 0x7fffffff);
  expect_rejected(b, "e_lfanew");
  b = good;
  set32(b, 0x3c, static_cast<uint32_t>(good.size() - 8));
  expect_rejected(b, "beyond the end of the file");
  b = good;
  b[pe + 4 + 2] = 0xff;  // NumberOfSections = 0xff..: the section table runs past the end
  b[pe + 4 + 3] = 0xff;
  expect_rejected(b, "the section table lies beyond");
  b = good;
  const size_t sect = opt + (b[pe + 4 + 16] | (b[pe + 4 + 17] << 8));
  set32(b, sect + 16, 0x7fffffff);  // SizeOfRawData of section 1
  expect_rejected(b, "section 1 data lies beyond");
  b = good;
  b[opt] = 0x07;  // magic
  expect_rejected(b, "unknown optional header magic");
}

TEST(PeHostile, LyingCertificateTableIsRejected) {
  ACTEST_REQUIRE_FIXTURES();
  auto signed_bytes = x509test::read_file(sign_file(Fixtures::get() / "plain.exe", "hostile-src.exe"));
  const uint32_t pe = get32(signed_bytes, 0x3c);
  const size_t dir = pe + 24 + 112 + 4 * 8;  // PE32+ data directory 4
  const uint32_t table = get32(signed_bytes, dir);

  auto b = signed_bytes;
  set32(b, dir + 4, get32(b, dir + 4) + 4096);  // size beyond the file
  expect_rejected(b, "the certificate table lies beyond");
  b = signed_bytes;
  set32(b, dir, 16);  // table inside the headers
  expect_rejected(b, "overlaps the headers");
  b = signed_bytes;
  set32(b, table, 0xfffffff0);  // dwLength lies
  expect_rejected(b, "bad length");
  b = signed_bytes;
  b[table + 8] = 0x04;  // not a DER SEQUENCE
  expect_rejected(b, "is not DER");
  b = signed_bytes;
  b.insert(b.end(), 100, 0xaa);  // data after the certificate table
  expect_rejected(b, "data follows the certificate table");
}

TEST(PeHostile, RandomMutationsNeverCrash) {
  ACTEST_REQUIRE_FIXTURES();
  auto good = fixture_bytes("hello.exe");
  uint32_t state = 12345;
  auto rnd = [&] { return state = state * 1103515245u + 12345u; };
  fs::path p = x509test::scratch() / "mutant.exe";
  for (int i = 0; i < 300; ++i) {
    auto b = good;
    for (int k = 0; k < 8; ++k) b[rnd() % 1024] = static_cast<uint8_t>(rnd());  // headers and tables
    if (i % 7 == 0) b.resize(rnd() % b.size());
    x509test::write_file(p, b);
    try {
      auto pe = open_pe(p);
      for (auto key : {"product-name", "file-version"}) (void)pe->metadata(key);
      (void)signable(*pe).authenticode_digest(io::HashAlg::sha256);
    } catch (const io::Error&) {
    }
  }
}

TEST(PeFormat, LooksLikePe) {
  ACTEST_REQUIRE_FIXTURES();
  auto b = fixture_bytes("hello.exe");
  b.resize(4096);
  EXPECT_TRUE(formats::pe::looks_like_pe(b));
  b[0] = 'Z';
  EXPECT_FALSE(formats::pe::looks_like_pe(b));
  EXPECT_FALSE(formats::pe::looks_like_pe(std::vector<uint8_t>{'M', 'Z'}));
}
