// <msi-file>: the installed layout against msiextract, entry bytes, summary metadata, rewriting
// with replaced files (msiextract, msiinfo, MsiFileHash), and Authenticode against osslsigncode.
#include <openssl/evp.h>

#include "cab_test_support.hpp"
#include "crypto/authenticode.hpp"
#include "crypto/key_file_signer.hpp"
#include "formats/msi/cfb.hpp"

namespace {

using namespace cabtest;
using signet::io::HashAlg;

std::unique_ptr<OpenedFile> open_msi(const fs::path& p) {
  return signet::formats::msi_format().open(signet::io::file_source(p), {});
}

std::vector<std::string> sorted_paths(const OpenedFile& f) {
  std::vector<std::string> v;
  for (const auto& e : f.entries()) v.push_back(e.path);
  std::sort(v.begin(), v.end());
  return v;
}

// msiextract -l lists "Program Files/MyProduct/..."; our paths are relative to the product folder.
std::vector<std::string> msiextract_list(const fs::path& msi, const std::string& prefix) {
  auto r = run("msiextract -l " + q(msi));
  EXPECT_TRUE(r.ok()) << r.output;
  std::vector<std::string> v;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    EXPECT_EQ(line.rfind(prefix, 0), 0u) << line;
    v.push_back(line.substr(prefix.size()));
  }
  std::sort(v.begin(), v.end());
  return v;
}

// A row of `msiinfo export PKG TABLE` whose first column is `key`, split on tabs.
std::vector<std::string> exported_row(const fs::path& msi, const std::string& table, const std::string& key) {
  auto r = run("msiinfo export " + q(msi) + " " + table);
  EXPECT_TRUE(r.ok()) << r.output;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, '\t');) cells.push_back(c);
    if (!cells.empty() && cells[0] == key) return cells;
  }
  ADD_FAILURE() << "no row " << key << " in " << table;
  return {};
}

std::vector<int32_t> md5_parts(const std::string& data) {
  unsigned char md[16];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_md5(), nullptr);
  std::vector<int32_t> v;
  for (int k = 0; k < 4; ++k) {
    v.push_back(static_cast<int32_t>(md[4 * k] | (md[4 * k + 1] << 8) | (md[4 * k + 2] << 16) |
                                     (static_cast<uint32_t>(md[4 * k + 3]) << 24)));
  }
  return v;
}

TEST(Msi, LayoutMatchesMsiextract) {
  REQUIRE_FIXTURES();
  auto f = open_msi(fixtures().msi());
  EXPECT_TRUE(f->is_container());
  EXPECT_EQ(sorted_paths(*f), msiextract_list(fixtures().msi(), "Program Files/MyProduct/"));
  EXPECT_EQ(sorted_paths(*f), (std::vector<std::string>{"libs/common.dll", "main.exe", "readme.txt"}));
}

TEST(Msi, EntryBytesEqualTheInstalledFiles) {
  REQUIRE_FIXTURES();
  Scratch s;
  ASSERT_TRUE(run("cd " + q(s.dir) + " && msiextract " + q(fixtures().msi())).ok());
  auto f = open_msi(fixtures().msi());
  for (size_t i = 0; i < f->entries().size(); ++i) {
    const auto& e = f->entries()[i];
    std::string want = read_file(fixtures().src() / e.path);
    EXPECT_EQ(e.size, want.size()) << e.path;
    EXPECT_EQ(read_entry(*f, i), want) << e.path;
    EXPECT_EQ(stream_entry(*f, i, 333), read_file(s.dir / "Program Files/MyProduct" / e.path)) << e.path;
  }
}

TEST(Msi, SummaryMetadata) {
  REQUIRE_FIXTURES();
  auto f = open_msi(fixtures().msi());
  EXPECT_EQ(f->metadata("subject"), "MyProduct");
  EXPECT_EQ(f->metadata("author"), "ACME Inc.");
  EXPECT_EQ(f->metadata("product-name"), std::nullopt);
}

TEST(Msi, UnchangedRewriteIsIdentical) {
  REQUIRE_FIXTURES();
  Scratch s;
  auto f = open_msi(fixtures().msi());
  rewrite(*f, s.dir / "out.msi", {{0, ready(nullptr)}});
  EXPECT_EQ(read_file(s.dir / "out.msi"), read_file(fixtures().msi()));
}

TEST(Msi, ReplacedFilesUpdateCabinetFileTableAndHashes) {
  REQUIRE_FIXTURES();
  Scratch s;
  auto f = open_msi(fixtures().msi());
  std::string exe = read_file(fixtures().src() / "main.exe") + std::string(1000, 'X');  // like a signature
  std::string dll = "not really a dll";
  rewrite(*f, s.dir / "out.msi",
          {{index_of(*f, "main.exe"), ready(memory(exe))},
           {index_of(*f, "libs/common.dll"), ready(memory(dll))}});
  auto info = run("msiinfo streams " + q(s.dir / "out.msi"));
  ASSERT_TRUE(info.ok()) << info.output;
  ASSERT_TRUE(run("cd " + q(s.dir) + " && msiextract " + q(s.dir / "out.msi")).ok());
  EXPECT_EQ(read_file(s.dir / "Program Files/MyProduct/main.exe"), exe);
  EXPECT_EQ(read_file(s.dir / "Program Files/MyProduct/libs/common.dll"), dll);
  EXPECT_EQ(read_file(s.dir / "Program Files/MyProduct/readme.txt"),
            read_file(fixtures().src() / "readme.txt"));
  EXPECT_EQ(exported_row(s.dir / "out.msi", "File", "MainExe").at(3), std::to_string(exe.size()));
  EXPECT_EQ(exported_row(s.dir / "out.msi", "File", "CommonDll").at(3), std::to_string(dll.size()));
  EXPECT_EQ(exported_row(s.dir / "out.msi", "File", "ReadmeTxt").at(3),
            std::to_string(read_file(fixtures().src() / "readme.txt").size()));
  auto hash = exported_row(s.dir / "out.msi", "MsiFileHash", "MainExe");
  auto want = md5_parts(exe);
  ASSERT_EQ(hash.size(), 6u);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(hash[2 + k], std::to_string(want[k]));
  // Everything else is as it was.
  for (std::string t : {"Directory", "Component", "Media", "Property"}) {
    EXPECT_EQ(run("msiinfo export " + q(s.dir / "out.msi") + " " + t).output,
              run("msiinfo export " + q(fixtures().msi()) + " " + t).output)
        << t;
  }
  auto g = open_msi(s.dir / "out.msi");
  EXPECT_EQ(read_entry(*g, index_of(*g, "main.exe")), exe);
  EXPECT_EQ(g->metadata("subject"), "MyProduct");
}

TEST(Msi, RewrittenCompoundFileReadsBack) {
  REQUIRE_FIXTURES();
  Scratch s;
  auto in = signet::io::file_source(fixtures().msi());
  auto cf = signet::formats::cfb::CompoundFile::open(*in->file_range(), "test.msi", 100000);
  auto tree = signet::formats::cfb::copy_tree(cf);
  for (uint16_t major : {3, 4}) {
    fs::path out = s.dir / ("v" + std::to_string(major) + ".msi");
    {
      auto f = signet::io::File::create(out);
      signet::formats::cfb::write_compound_file(tree, major, f);
    }
    auto r = run("msiinfo streams " + q(out));
    EXPECT_TRUE(r.ok()) << r.output;
    EXPECT_EQ(r.output, run("msiinfo streams " + q(fixtures().msi())).output);
    EXPECT_EQ(run("msiinfo export " + q(out) + " File").output,
              run("msiinfo export " + q(fixtures().msi()) + " File").output);
    auto py =
        run("/usr/bin/python3 -c \"import olefile,sys; o=olefile.OleFileIO(sys.argv[1]); "
            "print(sorted('/'.join(e) for e in o.listdir()))\" " +
            q(out));
    EXPECT_TRUE(py.ok()) << py.output;
    // Same digest: the content is the same whatever the layout.
    auto g = open_msi(out);
    auto h = open_msi(fixtures().msi());
    EXPECT_EQ(signable(*g).authenticode_digest(HashAlg::sha256),
              signable(*h).authenticode_digest(HashAlg::sha256));
  }
}

// ---- Authenticode ------------------------------------------------------------------------------

TEST(MsiAuthenticode, DigestMatchesOsslsigncode) {
  REQUIRE_FIXTURES();
  Scratch s;
  ASSERT_TRUE(fixtures().ossl_sign(fixtures().msi(), s.dir / "signed.msi"));
  std::string calculated = ossl_calculated(s.dir / "signed.msi");
  ASSERT_FALSE(calculated.empty());
  auto f = open_msi(fixtures().msi());
  EXPECT_EQ(upper_hex(signable(*f).authenticode_digest(HashAlg::sha256)), calculated);
  auto g = open_msi(s.dir / "signed.msi");
  EXPECT_EQ(upper_hex(signable(*g).authenticode_digest(HashAlg::sha256)), calculated);
  EXPECT_FALSE(signable(*g).supports_append());
  // The signed package still lists the same files.
  EXPECT_EQ(sorted_paths(*g), sorted_paths(*f));
}

TEST(MsiAuthenticode, DigestWithMsiDigitalSignatureExMatchesOsslsigncode) {
  REQUIRE_FIXTURES();
  Scratch s;
  ASSERT_TRUE(fixtures().ossl_sign(fixtures().msi(), s.dir / "signed.msi", "-add-msi-dse"));
  auto g = open_msi(s.dir / "signed.msi");
  EXPECT_EQ(upper_hex(signable(*g).authenticode_digest(HashAlg::sha256)),
            ossl_calculated(s.dir / "signed.msi"));
}

TEST(MsiAuthenticode, SignatureAndAttribute) {
  REQUIRE_FIXTURES();
  Scratch s;
  ASSERT_TRUE(fixtures().ossl_sign(fixtures().msi(), s.dir / "signed.msi"));
  ASSERT_TRUE(
      run("osslsigncode extract-signature -in " + q(s.dir / "signed.msi") + " -out " + q(s.dir / "sig.der"))
          .ok());
  std::string want = read_file(s.dir / "sig.der");
  auto g = open_msi(s.dir / "signed.msi");
  auto got = signable(*g).signature();
  EXPECT_EQ(std::string(got.begin(), got.end()), want);
  auto f = open_msi(fixtures().msi());
  EXPECT_TRUE(signable(*f).signature().empty());
  auto attr = signable(*f).indirect_data_attribute();
  EXPECT_NE(want.find(std::string(attr.begin(), attr.end())), std::string::npos);
}

TEST(MsiAuthenticode, EmbeddedOsslsigncodeSignatureVerifies) {
  REQUIRE_FIXTURES();
  for (std::string extra : {"", "-add-msi-dse"}) {
    Scratch s;
    ASSERT_TRUE(fixtures().ossl_sign(fixtures().msi(), s.dir / "signed.msi", extra));
    ASSERT_TRUE(
        run("osslsigncode extract-signature -in " + q(s.dir / "signed.msi") + " -out " + q(s.dir / "sig.der"))
            .ok());
    auto sig = bytes_of(read_file(s.dir / "sig.der"));
    signet::io::TempDir temp;
    // Into the signed package (keeps its MsiDigitalSignatureEx choice) and, for the plain
    // signature, into the unsigned one.
    auto g = open_msi(s.dir / "signed.msi");
    save(*signable(*g).embed(sig, temp), s.dir / "ours.msi");
    auto v = fixtures().ossl_verify(s.dir / "ours.msi");
    EXPECT_TRUE(v.ok()) << extra << "\n" << v.output;
    if (extra.empty()) {
      auto f = open_msi(fixtures().msi());
      save(*signable(*f).embed(sig, temp), s.dir / "ours2.msi");
      auto v2 = fixtures().ossl_verify(s.dir / "ours2.msi");
      EXPECT_TRUE(v2.ok()) << v2.output;
    } else {
      EXPECT_NE(v.output.find("Calculated MsiDigitalSignatureEx"), std::string::npos) << v.output;
    }
    auto list = run("msiextract -l " + q(s.dir / "ours.msi"));
    EXPECT_TRUE(list.ok()) << list.output;

    // Negative control: a byte of the embedded cabinet changed.
    auto h = open_msi(s.dir / "ours.msi");
    std::string exe = read_entry(*h, index_of(*h, "main.exe"));
    exe[100] ^= 1;
    rewrite(*h, s.dir / "changed.msi", {{index_of(*h, "main.exe"), ready(memory(exe))}});
    auto k = open_msi(s.dir / "changed.msi");
    EXPECT_TRUE(signable(*k).signature().empty());  // a rewrite drops the void signature
    save(*signable(*k).embed(sig, temp), s.dir / "tampered.msi");
    auto t = fixtures().ossl_verify(s.dir / "tampered.msi");
    EXPECT_FALSE(t.ok()) << t.output;
  }
}

// Deep signing as the engine does it, with Signet's Authenticode core: rewrite with a changed file,
// reopen, sign the digest, embed. A package that carried MsiDigitalSignatureEx keeps it (recomputed).
TEST(MsiAuthenticode, RewriteThenSignWithSignet) {
  REQUIRE_FIXTURES();
  auto signer = signet::crypto::load_key_file_signer(
      fixtures().pki() / "cs.key", "", fixtures().pki() / "cs.crt", fixtures().pki() / "ca.crt");
  for (std::string extra : {"", "-add-msi-dse"}) {
    for (HashAlg alg : {HashAlg::sha256, HashAlg::sha384, HashAlg::sha1}) {
      Scratch s;
      ASSERT_TRUE(fixtures().ossl_sign(fixtures().msi(), s.dir / "start.msi", extra));
      auto f = open_msi(s.dir / "start.msi");
      std::string dll = read_entry(*f, index_of(*f, "libs/common.dll")) + "overlay";
      rewrite(*f, s.dir / "changed.msi", {{index_of(*f, "libs/common.dll"), ready(memory(dll))}});
      auto g = open_msi(s.dir / "changed.msi");
      EXPECT_TRUE(signable(*g).signature().empty());
      signet::crypto::authenticode::SignOptions o;
      o.hash = alg;
      auto sig = signet::crypto::authenticode::sign(*signer, signable(*g).indirect_data_attribute(),
                                                    signable(*g).authenticode_digest(alg), o);
      signet::io::TempDir temp;
      save(*signable(*g).embed(sig, temp), s.dir / "signed.msi");
      auto v = fixtures().ossl_verify(s.dir / "signed.msi");
      EXPECT_TRUE(v.ok()) << extra << " " << signet::io::hash_alg_name(alg) << "\n" << v.output;
      EXPECT_EQ(v.output.find("Calculated MsiDigitalSignatureEx") != std::string::npos, !extra.empty())
          << v.output;
      auto h = open_msi(s.dir / "signed.msi");
      EXPECT_EQ(read_entry(*h, index_of(*h, "libs/common.dll")), dll);
      EXPECT_EQ(signable(*h).signature(), sig);
    }
  }
}

}  // namespace
