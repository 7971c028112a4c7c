// Hostile and unusual cabinets, built byte by byte: lying counts, offsets and sizes, overlapping
// files, decompression beyond the declared sizes, bad checksums, unsupported methods and unsafe
// names must all give an io::Error naming the cabinet (and the entry when one is at fault).
#include "cab_test_support.hpp"

namespace {

using namespace cabtest;

void put_le(std::string& b, size_t at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

struct Built {
  std::string bytes;
  size_t folder = 0, files = 0, data = 0;  // offsets of the CFFOLDER, first CFFILE, first CFDATA
};

// One folder holding the files back to back, one block per file (each under 32 KiB), no checksums.
Built build(const std::vector<std::pair<std::string, std::string>>& files, uint16_t type = 0,
            uint16_t header_reserve = 0) {
  Built b;
  std::string names;
  for (const auto& f : files) names += f.first + '\0';
  b.folder = 36 + (header_reserve ? 4 + header_reserve : 0);
  b.files = b.folder + 8;
  b.data = b.files + 16 * files.size() + names.size();
  std::string h = "MSCF";
  le(h, 0, 4);
  le(h, 0, 4);  // cbCabinet, patched below
  le(h, 0, 4);
  le(h, b.files, 4);
  le(h, 0, 4);
  h += '\x03';
  h += '\x01';
  le(h, 1, 2);
  le(h, files.size(), 2);
  le(h, header_reserve ? 4 : 0, 2);  // flags
  le(h, 0, 2);
  le(h, 0, 2);
  if (header_reserve) {
    le(h, header_reserve, 2);
    le(h, 0, 2);
    h += std::string(header_reserve, 'R');
  }
  le(h, b.data, 4);  // CFFOLDER
  le(h, files.size(), 2);
  le(h, type, 2);
  uint64_t off = 0;
  for (const auto& f : files) {
    le(h, f.second.size(), 4);
    le(h, off, 4);
    le(h, 0, 2);
    le(h, 0x5a7a, 2);
    le(h, 0x8226, 2);
    le(h, 0x20, 2);
    h += f.first + '\0';
    off += f.second.size();
  }
  for (const auto& f : files) {
    std::string data = type == 1 ? "CK" + raw_deflate(f.second) : f.second;
    le(h, 0, 4);
    le(h, data.size(), 2);
    le(h, f.second.size(), 2);
    h += data;
  }
  put_le(h, 8, h.size(), 4);
  b.bytes = h;
  return b;
}

std::string open_error(const std::string& bytes, const signet::formats::Limits& l = {}) {
  return error_of([&] { open_cab_bytes(bytes, l); });
}
std::string read_error(const std::string& bytes, size_t entry = 0) {
  auto f = open_cab_bytes(bytes);
  return error_of([&] { read_entry(*f, entry); });
}

TEST(CabHostile, HandBuiltIsValid) {
  for (uint16_t type : {0, 1}) {
    auto b = build({{"a.txt", "alpha"}, {"dir\\b.txt", std::string(20000, 'b')}}, type);
    auto f = open_cab_bytes(b.bytes);
    ASSERT_EQ(f->entries().size(), 2u);
    EXPECT_EQ(f->entries()[1].path, "dir/b.txt");
    EXPECT_EQ(read_entry(*f, 0), "alpha");
    EXPECT_EQ(read_entry(*f, 1), std::string(20000, 'b'));
  }
  auto b = build({{"a.txt", "alpha"}});
  Scratch s;
  write_file(s.dir / "x.cab", b.bytes);
  auto r = run("gcab -t " + q(s.dir / "x.cab"));
  EXPECT_TRUE(r.ok()) << r.output;
}

TEST(CabHostile, NotACabinet) {
  EXPECT_NE(open_error("MSCF").find("not a cabinet"), std::string::npos);
  EXPECT_NE(open_error(std::string(100, 'x')).find("no MSCF signature"), std::string::npos);
  auto b = build({{"a.txt", "alpha"}});
  b.bytes[25] = 2;
  EXPECT_NE(open_error(b.bytes).find("version"), std::string::npos);
}

TEST(CabHostile, LyingSizesAndCounts) {
  auto base = build({{"a.txt", "alpha"}, {"b.txt", "beta"}});
  auto b = base.bytes;
  put_le(b, 8, 1 << 20, 4);  // cbCabinet beyond the file
  EXPECT_NE(open_error(b).find("but the file has"), std::string::npos);
  b = base.bytes;
  put_le(b, 26, 60000, 2);  // cFolders
  EXPECT_NE(open_error(b).find("folders"), std::string::npos);
  b = base.bytes;
  put_le(b, 28, 500, 2);  // cFiles
  EXPECT_NE(open_error(b).find("files"), std::string::npos);
  b = base.bytes;
  put_le(b, 16, 1 << 30, 4);  // coffFiles
  EXPECT_NE(open_error(b).find("file table"), std::string::npos);
  b = base.bytes;
  put_le(b, base.folder + 4, 50, 2);  // cCFData
  EXPECT_NE(open_error(b).find("data blocks"), std::string::npos);
  b = base.bytes;
  put_le(b, base.folder, 3, 4);  // coffCabStart inside the header
  EXPECT_NE(open_error(b).find("inside the cabinet's header"), std::string::npos);
  b = base.bytes;
  put_le(b, base.data + 6, 40000, 2);  // cbUncomp over 32 KiB
  EXPECT_NE(open_error(b).find("32768"), std::string::npos);
  b = base.bytes;
  put_le(b, base.data + 4, 9, 2);  // stored block whose sizes differ
  EXPECT_NE(open_error(b).find("sizes differ"), std::string::npos);
  EXPECT_NE(open_error(base.bytes.substr(0, base.bytes.size() - 3)).find("file has"), std::string::npos);
}

TEST(CabHostile, FilesBeyondTheFolderOrOverlapping) {
  auto base = build({{"a.txt", "alpha"}, {"b.txt", "beta"}});
  auto b = base.bytes;
  put_le(b, base.files, 1000, 4);  // a.txt claims 1000 bytes
  auto msg = open_error(b);
  EXPECT_NE(msg.find("entry 'a.txt'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("holds only"), std::string::npos) << msg;
  b = base.bytes;
  put_le(b, base.files + 22 + 4, 2, 4);  // b.txt starts inside a.txt
  msg = open_error(b);
  EXPECT_NE(msg.find("entry 'b.txt': overlaps file 'a.txt'"), std::string::npos) << msg;
  b = base.bytes;
  put_le(b, base.files + 8, 7, 2);  // iFolder
  EXPECT_NE(open_error(b).find("refers to folder 7"), std::string::npos);
  b = base.bytes;
  put_le(b, base.files + 8, 0xFFFD, 2);  // continued from the previous cabinet
  EXPECT_NE(open_error(b).find("cabinet sets are not supported"), std::string::npos);
}

TEST(CabHostile, UnsafeAndDuplicateNames) {
  EXPECT_NE(open_error(build({{"..\\evil.exe", "x"}}).bytes).find("'..' segment"), std::string::npos);
  EXPECT_NE(open_error(build({{"\\abs.exe", "x"}}).bytes).find("absolute"), std::string::npos);
  EXPECT_NE(open_error(build({{"C:x.exe", "x"}}).bytes).find("drive letter"), std::string::npos);
  EXPECT_NE(open_error(build({{"a.txt", "x"}, {"A.TXT", "y"}}).bytes).find("duplicate"), std::string::npos);
  auto b = build({{"a.txt", "x"}}).bytes;
  b[b.find("a.txt")] = '\x01';
  EXPECT_NE(open_error(b).find("control"), std::string::npos);
  // Latin-1 names (no UTF-8 flag) become UTF-8 paths.
  auto f = open_cab_bytes(build({{"caf\xe9.txt", "x"}}).bytes);
  EXPECT_EQ(f->entries()[0].path, "caf\xc3\xa9.txt");
}

TEST(CabHostile, DecompressionBeyondDeclaredSizes) {
  auto base = build({{"a.txt", std::string(3000, 'a')}}, 1);
  auto b = base.bytes;
  put_le(b, base.data + 6, 2000, 2);  // block says 2000, inflates to 3000
  put_le(b, base.files, 2000, 4);
  auto msg = read_error(b);
  EXPECT_NE(msg.find("entry 'a.txt'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("more than the declared"), std::string::npos) << msg;
  b = base.bytes;
  put_le(b, base.data + 6, 4000, 2);  // block says 4000, inflates to 3000
  msg = read_error(b);
  EXPECT_NE(msg.find("not the declared 4000"), std::string::npos) << msg;
  b = base.bytes;
  b[base.data + 8] = 'X';  // no "CK"
  EXPECT_NE(read_error(b).find("'CK'"), std::string::npos);
  b = base.bytes;
  for (size_t i = base.data + 10; i < b.size(); ++i) b[i] = '\xff';
  EXPECT_NE(read_error(b).find("entry 'a.txt'"), std::string::npos);
}

TEST(CabHostile, ChecksumAndUnsupportedMethods) {
  auto base = build({{"a.txt", "alpha"}});
  auto b = base.bytes;
  put_le(b, base.data, 0x12345678, 4);
  EXPECT_NE(read_error(b).find("checksum mismatch"), std::string::npos);
  b = base.bytes;
  put_le(b, base.folder + 6, 0x1503, 2);  // LZX, window 2^21
  auto msg = read_error(b);
  EXPECT_NE(msg.find("LZX"), std::string::npos) << msg;
  EXPECT_NE(msg.find("a.txt"), std::string::npos) << msg;
  b = base.bytes;
  put_le(b, base.folder + 6, 7, 2);
  EXPECT_NE(open_error(b).find("unknown compression type 7"), std::string::npos);
  // A folder Signet cannot read cannot be rewritten either, unless... it is left alone.
  b = base.bytes;
  put_le(b, base.folder + 6, 0x1503, 2);
  auto f = open_cab_bytes(b);
  Scratch s;
  rewrite(*f, s.dir / "same.cab");
  EXPECT_EQ(read_file(s.dir / "same.cab"), b);
}

TEST(CabHostile, Limits) {
  auto b = build({{"a.txt", std::string(30000, 'a')}, {"b.txt", "b"}}, 1).bytes;
  signet::formats::Limits l;
  l.max_entries = 1;
  EXPECT_NE(open_error(b, l).find("limit"), std::string::npos);
  l = {};
  l.max_entry_size = 1000;
  EXPECT_NE(open_error(b, l).find("entry 'a.txt'"), std::string::npos);
  l = {};
  l.max_total_size = 1000;
  EXPECT_NE(open_error(b, l).find("total uncompressed size"), std::string::npos);
  // A folder over 1 MiB compressed far beyond the ratio.
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 40; ++i) many.push_back({"f" + std::to_string(i), std::string(32000, 'z')});
  l = {};
  l.max_ratio = 10;
  EXPECT_NE(open_error(build(many, 1).bytes, l).find("compression ratio"), std::string::npos);
}

TEST(CabHostile, SignatureSlotOutsideTheFile) {
  REQUIRE_FIXTURES();
  Scratch s;
  ASSERT_TRUE(fixtures().ossl_sign(fixtures().cab_stored(), s.dir / "signed.cab"));
  auto b = read_file(s.dir / "signed.cab");
  put_le(b, 48, 1 << 30, 4);  // signature size
  EXPECT_NE(open_error(b).find("Authenticode signature"), std::string::npos);
  // A header reserve that is not the signature structure cannot hold a signature.
  auto f = open_cab_bytes(build({{"a.txt", "alpha"}}, 0, 6).bytes);
  EXPECT_EQ(read_entry(*f, 0), "alpha");
  EXPECT_NE(
      error_of([&] { signable(*f).authenticode_digest(signet::io::HashAlg::sha256); }).find("header reserve"),
      std::string::npos);
}

}  // namespace
