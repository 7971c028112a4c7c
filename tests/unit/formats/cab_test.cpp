// <cab-file>: listing and reading against gcab, rewriting (raw copy and recompression), and
// Authenticode (digest, attribute, signature slot) against osslsigncode.
#include "cab_test_support.hpp"

namespace {

using namespace cabtest;
using signet::io::HashAlg;

// gcab -t lists names with '\' separators, one per line.
std::vector<std::string> gcab_list(const fs::path& cab) {
  auto r = run("gcab -t " + q(cab));
  EXPECT_TRUE(r.ok()) << r.output;
  std::vector<std::string> names;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::replace(line.begin(), line.end(), '\\', '/');
    names.push_back(line);
  }
  return names;
}

std::vector<std::string> paths_of(const OpenedFile& f) {
  std::vector<std::string> v;
  for (const auto& e : f.entries()) v.push_back(e.path);
  return v;
}

class CabFiles : public ::testing::TestWithParam<bool> {
 protected:
  fs::path cab() const { return GetParam() ? fixtures().cab_mszip() : fixtures().cab_stored(); }
};

TEST_P(CabFiles, ListingMatchesGcab) {
  REQUIRE_FIXTURES();
  auto f = open_cab(cab());
  EXPECT_TRUE(f->is_container());
  EXPECT_EQ(paths_of(*f), gcab_list(cab()));
  EXPECT_EQ(paths_of(*f), (std::vector<std::string>{"main.exe", "readme.txt", "libs/common.dll"}));
}

TEST_P(CabFiles, EntryBytesEqualTheFiles) {
  REQUIRE_FIXTURES();
  auto f = open_cab(cab());
  for (const auto& e : f->entries()) {
    size_t i = index_of(*f, e.path);
    std::string want = read_file(fixtures().src() / e.path);
    EXPECT_EQ(e.size, want.size()) << e.path;
    EXPECT_EQ(read_entry(*f, i), want) << e.path;
    EXPECT_EQ(stream_entry(*f, i, 777), want) << e.path;
    auto range = f->entry_source(i)->file_range();  // decoded files are plain ranges
    ASSERT_TRUE(range.has_value());
    EXPECT_EQ(range->size, want.size());
  }
  // Reading in reverse order (decoder cache reuse) gives the same bytes.
  auto g = open_cab(cab());
  for (size_t i = g->entries().size(); i-- > 0;) {
    EXPECT_EQ(read_entry(*g, i), read_file(fixtures().src() / g->entries()[i].path));
  }
}

TEST_P(CabFiles, UnchangedRewriteIsIdentical) {
  REQUIRE_FIXTURES();
  Scratch s;
  auto f = open_cab(cab());
  rewrite(*f, s.dir / "out.cab");
  EXPECT_EQ(read_file(s.dir / "out.cab"), read_file(cab()));
  // A replacement that resolves to "unchanged" copies raw as well.
  rewrite(*f, s.dir / "out2.cab", {{0, ready(nullptr)}});
  EXPECT_EQ(read_file(s.dir / "out2.cab"), read_file(cab()));
}

TEST_P(CabFiles, ReplacedFileExtractsWithGcab) {
  REQUIRE_FIXTURES();
  Scratch s;
  auto f = open_cab(cab());
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "replacement " + std::to_string(i * 7919) + "\n";
  rewrite(
      *f, s.dir / "out.cab",
      {{index_of(*f, "readme.txt"), ready(memory(big))}, {index_of(*f, "main.exe"), ready(memory("tiny"))}});
  auto r = run("cd " + q(s.dir) + " && mkdir x && cd x && gcab -x ../out.cab");
  ASSERT_TRUE(r.ok()) << r.output;
  EXPECT_EQ(read_file(s.dir / "x" / "readme.txt"), big);
  EXPECT_EQ(read_file(s.dir / "x" / "main.exe"), "tiny");
  EXPECT_EQ(read_file(s.dir / "x" / "libs" / "common.dll"), read_file(fixtures().src() / "libs/common.dll"));
  auto g = open_cab(s.dir / "out.cab");
  EXPECT_EQ(read_entry(*g, index_of(*g, "readme.txt")), big);
  EXPECT_EQ(g->entries()[index_of(*g, "readme.txt")].size, big.size());
}

INSTANTIATE_TEST_SUITE_P(StoredAndMszip, CabFiles, ::testing::Bool());

// ---- Authenticode ------------------------------------------------------------------------------

class CabAuthenticode : public ::testing::TestWithParam<bool> {
 protected:
  fs::path cab() const { return GetParam() ? fixtures().cab_mszip() : fixtures().cab_stored(); }
};

TEST_P(CabAuthenticode, DigestMatchesOsslsigncode) {
  REQUIRE_FIXTURES();
  Scratch s;
  ASSERT_TRUE(fixtures().ossl_sign(cab(), s.dir / "signed.cab"));
  std::string calculated = ossl_calculated(s.dir / "signed.cab");
  ASSERT_FALSE(calculated.empty());
  // The unsigned cabinet (no reserve yet) digests as the signed layout will.
  auto f = open_cab(cab());
  EXPECT_EQ(upper_hex(signable(*f).authenticode_digest(HashAlg::sha256)), calculated);
  auto g = open_cab(s.dir / "signed.cab");
  EXPECT_EQ(upper_hex(signable(*g).authenticode_digest(HashAlg::sha256)), calculated);
  // The signed cabinet still lists the same files.
  EXPECT_EQ(paths_of(*g), paths_of(*f));
  EXPECT_EQ(read_entry(*g, 1), read_entry(*f, 1));
}

TEST_P(CabAuthenticode, SignatureSlotAndAttribute) {
  REQUIRE_FIXTURES();
  Scratch s;
  ASSERT_TRUE(fixtures().ossl_sign(cab(), s.dir / "signed.cab"));
  auto r =
      run("osslsigncode extract-signature -in " + q(s.dir / "signed.cab") + " -out " + q(s.dir / "sig.der"));
  ASSERT_TRUE(r.ok()) << r.output;
  std::string want = read_file(s.dir / "sig.der");
  auto g = open_cab(s.dir / "signed.cab");
  auto got = signable(*g).signature();
  EXPECT_EQ(std::string(got.begin(), got.end()), want);
  EXPECT_TRUE(signable(*g).supports_append());
  auto f = open_cab(cab());
  EXPECT_TRUE(signable(*f).signature().empty());
  auto attr = signable(*f).indirect_data_attribute();
  EXPECT_NE(want.find(std::string(attr.begin(), attr.end())), std::string::npos)
      << "the SpcLink attribute osslsigncode writes is not ours";
}

TEST_P(CabAuthenticode, EmbeddedOsslsigncodeSignatureVerifies) {
  REQUIRE_FIXTURES();
  Scratch s;
  ASSERT_TRUE(fixtures().ossl_sign(cab(), s.dir / "signed.cab"));
  ASSERT_TRUE(
      run("osslsigncode extract-signature -in " + q(s.dir / "signed.cab") + " -out " + q(s.dir / "sig.der"))
          .ok());
  auto sig = bytes_of(read_file(s.dir / "sig.der"));
  signet::io::TempDir temp;
  auto f = open_cab(cab());
  save(*signable(*f).embed(sig, temp), s.dir / "ours.cab");
  auto v = fixtures().ossl_verify(s.dir / "ours.cab");
  EXPECT_TRUE(v.ok()) << v.output;
  EXPECT_EQ(gcab_list(s.dir / "ours.cab"), gcab_list(cab()));
  // Re-embedding into the signed file (replacing its signature) verifies as well.
  auto g = open_cab(s.dir / "ours.cab");
  EXPECT_EQ(signable(*g).signature(), sig);
  save(*signable(*g).embed(sig, temp), s.dir / "again.cab");
  EXPECT_EQ(read_file(s.dir / "again.cab"), read_file(s.dir / "ours.cab"));

  // Negative control: one byte of file data changed.
  std::string bytes = read_file(s.dir / "ours.cab");
  bytes[bytes.size() / 2] ^= 0x01;
  write_file(s.dir / "tampered.cab", bytes);
  auto t = fixtures().ossl_verify(s.dir / "tampered.cab");
  EXPECT_FALSE(t.ok()) << t.output;
}

TEST_P(CabAuthenticode, RewriteDropsTheSignature) {
  REQUIRE_FIXTURES();
  Scratch s;
  ASSERT_TRUE(fixtures().ossl_sign(cab(), s.dir / "signed.cab"));
  auto g = open_cab(s.dir / "signed.cab");
  rewrite(*g, s.dir / "out.cab", {{0, ready(memory("changed"))}});
  auto h = open_cab(s.dir / "out.cab");
  EXPECT_TRUE(signable(*h).signature().empty());
  EXPECT_EQ(read_entry(*h, 0), "changed");
  EXPECT_EQ(gcab_list(s.dir / "out.cab"), gcab_list(cab()));
  // The unsigned layout signs again like the original.
  ASSERT_TRUE(fixtures().ossl_sign(s.dir / "out.cab", s.dir / "resigned.cab"));
  EXPECT_EQ(upper_hex(signable(*h).authenticode_digest(HashAlg::sha256)),
            ossl_calculated(s.dir / "resigned.cab"));
}

TEST(CabAuthenticodeAlgs, Sha1AndSha512MatchOsslsigncode) {
  REQUIRE_FIXTURES();
  Scratch s;
  for (std::string alg : {"sha1", "sha512"}) {
    fs::path out = s.dir / ("signed-" + alg + ".cab");
    auto r = run("osslsigncode sign -certs " + q(fixtures().pki() / "cs-chain.crt") + " -key " +
                 q(fixtures().pki() / "cs.key") + " -h " + alg + " -in " + q(fixtures().cab_mszip()) +
                 " -out " + q(out));
    ASSERT_TRUE(r.ok()) << r.output;
    auto f = open_cab(fixtures().cab_mszip());
    EXPECT_EQ(upper_hex(signable(*f).authenticode_digest(signet::io::parse_hash_alg(alg))),
              ossl_calculated(out))
        << alg;
  }
}

INSTANTIATE_TEST_SUITE_P(StoredAndMszip, CabAuthenticode, ::testing::Bool());

}  // namespace
