// Hostile and broken archives: each is refused with an io::Error naming the entry and the reason.
#include "zip_test_support.hpp"

using namespace ziptest;
namespace io = signet::io;

namespace {

// The error from opening `bytes` (named evil.zip).
std::string open_error(const std::string& bytes, const Limits& limits = {}) {
  return error_of([&] { open_bytes(bytes, "evil.zip", limits); });
}

// The error from reading entry i completely.
std::string read_error(const std::string& bytes, size_t i = 0) {
  auto z = open_bytes(bytes, "evil.zip");
  return error_of([&] { read_entry(*z, i); });
}

#define EXPECT_HAS(haystack, needle)                                    \
  do {                                                                  \
    std::string h_ = (haystack);                                        \
    EXPECT_NE(h_.find(needle), std::string::npos) << "message: " << h_; \
  } while (0)

TEST(ZipHostile, UnsafeNames) {
  struct Case {
    std::string name, reason;
  };
  for (const auto& c : std::vector<Case>{{"../evil.txt", "contains a '..' segment"},
                                         {"a/../../evil.txt", "contains a '..' segment"},
                                         {"a\\..\\evil.txt", "contains a '..' segment"},
                                         {"a/..", "contains a '..' segment"},
                                         {"/etc/passwd", "is an absolute path"},
                                         {"\\windows\\x.dll", "is an absolute path"},
                                         {"C:evil.txt", "starts with a drive letter"},
                                         {"c:/evil.txt", "starts with a drive letter"},
                                         {std::string("a\0b", 3), "contains a NUL byte"},
                                         {"", "entry name is empty"}}) {
    std::string msg = open_error(build_zip({stored("fine.txt", "ok"), stored(c.name, "bad")}));
    EXPECT_HAS(msg, "evil.zip: ");
    EXPECT_HAS(msg, c.reason);
    if (!c.name.empty() && c.name.find('\0') == std::string::npos) EXPECT_HAS(msg, "'" + c.name + "'");
  }
  // Dots inside names are fine.
  auto z = open_bytes(build_zip({stored("a..b/..c/d..", "ok"), stored("./x", "ok")}));
  EXPECT_EQ(z->entries().size(), 2u);
}

TEST(ZipHostile, DuplicateNamesIgnoringCaseAndSeparators) {
  std::string msg = open_error(build_zip({stored("Dir/Readme.TXT", "1"), stored("dir\\readme.txt", "2")}));
  EXPECT_HAS(msg, "entry 'dir\\readme.txt': duplicate name: same path as entry 'Dir/Readme.TXT'");
  EXPECT_HAS(open_error(build_zip({stored("a/b", "1"), stored("a/./b", "2")})), "duplicate name");
  EXPECT_HAS(open_error(build_zip({stored("a", "1"), stored("A/", "")})), "duplicate name");
}

TEST(ZipHostile, StoredSizesDisagree) {
  RawEntry e = stored("s.bin", "12345");
  e.usize = 6;
  EXPECT_HAS(open_error(build_zip({e})),
             "entry 's.bin': stored entry's compressed size 5 differs from its size 6");
}

TEST(ZipHostile, DeflateLyingAboutItsSize) {
  std::string data(20000, 'z');
  RawEntry more = deflated("more.txt", data);
  more.usize = 1000;  // inflates to 20000
  more.crc = crc_of(data.substr(0, 1000));
  EXPECT_HAS(read_error(build_zip({more})),
             "entry 'more.txt': deflate data inflates to more than the declared 1000 bytes");
  RawEntry fewer = deflated("fewer.txt", data);
  fewer.usize = 30000;
  EXPECT_HAS(read_error(build_zip({fewer})),
             "entry 'fewer.txt': deflate data inflates to 20000 bytes, fewer than the declared 30000");
  // The streaming reader says the same with small reads.
  auto z = open_bytes(build_zip({more}));
  EXPECT_HAS(error_of([&] { stream_entry(*z, 0, 100); }), "more than the declared");
}

TEST(ZipHostile, CrcMismatch) {
  RawEntry d = deflated("d.txt", "hello hello hello");
  d.crc ^= 1;
  EXPECT_HAS(read_error(build_zip({d})), "entry 'd.txt': CRC-32 mismatch");
  RawEntry s = stored("s.txt", "hello");
  s.crc ^= 1;
  EXPECT_HAS(read_error(build_zip({s})), "entry 's.txt': CRC-32 mismatch");
  RawEntry empty = stored("e.txt", "");
  empty.crc = 5;
  EXPECT_HAS(read_error(build_zip({empty})), "entry 'e.txt': CRC-32 mismatch");
}

TEST(ZipHostile, CorruptDeflateData) {
  RawEntry d = deflated("d.txt", std::string(5000, 'q'));
  d.stored = std::string(d.stored.size(), '\xff');
  EXPECT_HAS(read_error(build_zip({d})), "entry 'd.txt': invalid deflate data");
  RawEntry cut = deflated("cut.txt", std::string(5000, 'q'));
  cut.stored.resize(cut.stored.size() / 2);
  cut.csize = cut.stored.size();
  EXPECT_HAS(read_error(build_zip({cut})), "entry 'cut.txt': deflate data is truncated");
  RawEntry trailing = deflated("tail.txt", "abc");
  trailing.stored += "junk";
  trailing.csize = trailing.stored.size();
  EXPECT_HAS(read_error(build_zip({trailing})), "entry 'tail.txt': deflate stream ends 4 bytes before");
}

TEST(ZipHostile, Limits) {
  std::string zeros(3 << 20, '\0');
  auto bomb = build_zip({deflated("bomb.bin", zeros)});
  Limits strict;
  strict.max_ratio = 100;
  EXPECT_HAS(open_error(bomb, strict), "entry 'bomb.bin': compression ratio exceeds the limit of 100:1");
  Limits lax;
  lax.max_ratio = 2000;
  EXPECT_NO_THROW(open_bytes(bomb, "bomb.zip", lax));  // deflate tops out near 1032:1

  Limits small;
  small.max_entry_size = 1000;
  EXPECT_HAS(open_error(build_zip({stored("big.bin", std::string(1001, 'x'))}), small),
             "entry 'big.bin': uncompressed size 1001 exceeds the limit of 1000 bytes");
  Limits total;
  total.max_total_size = 1500;
  EXPECT_HAS(open_error(build_zip({stored("a", std::string(1000, 'x')), stored("b", std::string(1000, 'x'))}),
                        total),
             "entry 'b': total uncompressed size of the archive exceeds the limit of 1500 bytes");
  Limits few;
  few.max_entries = 2;
  EXPECT_HAS(open_error(build_zip({stored("a", ""), stored("b", ""), stored("c", "")}), few),
             "archive declares 3 entries, more than the limit of 2");
  // A lying size beyond the limit is refused before anything is allocated or read.
  RawEntry huge = stored("huge.bin", "x");
  huge.usize = huge.csize = 0xFFFFFFF0;
  EXPECT_HAS(open_error(build_zip({huge}), small), "entry 'huge.bin': uncompressed size 4294967280 exceeds");
  EXPECT_HAS(open_error(build_zip({huge})), "entry 'huge.bin': compressed data (4294967280 bytes");
}

TEST(ZipHostile, TruncatedArchives) {
  std::string good = build_zip({deflated("a.txt", std::string(10000, 'a')), stored("b.txt", "bbb")}, "cmt");
  EXPECT_NO_THROW(open_bytes(good));
  for (size_t cut : {good.size() - 1, good.size() - 10, good.size() / 2, size_t{10}, size_t{0}}) {
    std::string msg = open_error(good.substr(0, cut));
    EXPECT_HAS(msg, "evil.zip: ");
    EXPECT_TRUE(msg.find("truncated") != std::string::npos ||
                msg.find("not a zip archive") != std::string::npos)
        << msg;
  }
  // Data appended after the end record.
  EXPECT_HAS(open_error(good + "appended"), "comment length does not reach the end of the file");
}

TEST(ZipHostile, EndRecordPointingOutside) {
  std::string z = build_zip({stored("a.txt", "aaa")});
  size_t eocd = z.size() - 22;
  std::string far = z;
  far[eocd + 16] = '\x7f';  // central directory offset way past the end
  EXPECT_HAS(open_error(far), "end of central directory points outside the file");
  std::string shifted = z;
  shifted[eocd + 16] = static_cast<char>(shifted[eocd + 16] - 1);  // offset off by one
  EXPECT_HAS(open_error(shifted), "does not end where the end of central directory record begins");
  std::string count = z;
  count[eocd + 8] = count[eocd + 10] = 9;  // more entries than the directory can hold
  EXPECT_HAS(open_error(count), "cannot hold the 9 entries it declares");
}

TEST(ZipHostile, LocalHeaderDisagreesWithCentralDirectory) {
  RawEntry e = stored("real.txt", "data");
  e.local_name = "fake.txt";
  EXPECT_HAS(open_error(build_zip({e})), "entry 'real.txt': local header name 'fake.txt' differs");
  RawEntry off = stored("off.txt", "data");
  off.offset = 1;
  EXPECT_HAS(open_error(build_zip({off})), "entry 'off.txt': no local header at offset 1");
  // A local header claiming different sizes than the central directory.
  std::string z = build_zip({stored("s.txt", "data")});
  z[18] = 9;  // local compressed size
  EXPECT_HAS(open_error(z), "entry 's.txt': local header CRC-32/sizes");
  RawEntry dd = stored("dd.txt", "data");
  dd.descriptor = Descriptor::with_sig;
  std::string bad_dd = build_zip({dd});
  bad_dd[30 + 6 + 4 + 4] ^= 1;  // the descriptor's CRC, after header, name, data and signature
  EXPECT_HAS(open_error(bad_dd),
             "entry 'dd.txt': data descriptor after the compressed data is missing or disagrees");
}

TEST(ZipHostile, OverlappingEntries) {
  // Entry a's stored data is itself a complete local header + data of "b.txt"; b's central record
  // points inside it, so the same bytes would be read as two files.
  std::string inner;
  le(inner, 0x04034b50, 4);
  le(inner, 20, 2);
  le(inner, 0, 2);
  le(inner, 0, 2);
  le(inner, 0x6000, 2);
  le(inner, 0x5821, 2);
  le(inner, crc_of("hidden"), 4);
  le(inner, 6, 4);
  le(inner, 6, 4);
  le(inner, 5, 2);
  le(inner, 0, 2);
  inner += "b.txthidden";
  RawEntry a = stored("a.txt", inner);
  RawEntry b = stored("b.txt", "hidden");
  b.stored = "";  // its bytes live inside a
  b.offset = 30 + 5;
  std::string msg = open_error(build_zip({a, b}));
  EXPECT_HAS(msg, "entry 'b.txt': overlaps entry 'a.txt'");
  // Two central records for one local header.
  RawEntry c = stored("c.txt", "c");
  RawEntry c2 = stored("c.txt", "c");
  c2.name = "C.txt";
  c2.offset = 0;
  c2.stored = "";
  EXPECT_HAS(open_error(build_zip({c, c2})), "duplicate name");
}

TEST(ZipHostile, AmbiguousEndRecords) {
  // The archive comment hides a second end record that is valid too (an empty archive whose empty
  // central directory "ends" where it starts): two readers could disagree, so refuse.
  std::string outer = build_zip({stored("a.txt", "a")});
  outer.resize(outer.size() - 2);
  le(outer, 22, 2);  // the comment: the 22-byte fake below
  std::string fake;
  le(fake, 0x06054b50, 4);
  le(fake, 0, 12);            // disks, counts, central directory size
  le(fake, outer.size(), 4);  // central directory offset: the fake's own position
  le(fake, 0, 2);
  EXPECT_HAS(open_error(outer + fake), "ambiguous archive");
}

}  // namespace
