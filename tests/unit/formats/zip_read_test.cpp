// Reading zip archives made by Info-ZIP zip, python's zipfile and by hand.
#include <set>
#include <thread>

#include "io/hash.hpp"
#include "zip_test_support.hpp"

using namespace ziptest;
namespace io = signet::io;

namespace {

class ZipRead : public ::testing::Test {
 protected:
  io::TempDir tmp;
  fs::path dir() const { return tmp.path(); }

  // A small tree: compressible text, incompressible bytes, an empty file, nested and empty dirs.
  void make_tree() {
    std::string text;
    for (int i = 0; i < 5000; ++i) text += "line " + std::to_string(i) + " of some compressible text\n";
    write_file(dir() / "src/a.txt", text);
    std::string bin;
    uint32_t x = 12345;
    for (int i = 0; i < 300000; ++i) bin += static_cast<char>((x = x * 1103515245 + 12345) >> 24);
    write_file(dir() / "src/bin.dat", bin);
    write_file(dir() / "src/sub/deep/c.txt", "deep file\n");
    write_file(dir() / "src/empty.txt", "");
    fs::create_directories(dir() / "src/emptydir");
  }
};

TEST_F(ZipRead, InfoZipDeflatedAndStored) {
  make_tree();
  for (std::string opt : {"", "-0"}) {
    auto zip = dir() / ("t" + opt + ".zip");
    ASSERT_EQ(run("cd " + q(dir() / "src") + " && zip -q -r -X " + opt + " " + q(zip) + " .").status, 0);
    auto z = open_zip(zip);
    ASSERT_TRUE(z->is_container());
    std::set<std::string> names;
    for (const auto& e : z->entries()) names.insert(e.path);
    EXPECT_EQ(names, (std::set<std::string>{"a.txt", "bin.dat", "sub/", "sub/deep/", "sub/deep/c.txt",
                                            "empty.txt", "emptydir/"}));
    for (size_t i = 0; i < z->entries().size(); ++i) {
      const auto& e = z->entries()[i];
      EXPECT_EQ(e.directory, e.path.back() == '/') << e.path;
      if (e.directory) continue;
      std::string want = read_file(dir() / "src" / e.path);
      EXPECT_EQ(e.size, want.size()) << e.path;
      EXPECT_EQ(read_entry(*z, i), want) << e.path;
      EXPECT_EQ(stream_entry(*z, i, 1000), want) << e.path;
    }
    // Stored entries are plain ranges of the archive; deflated ones are not.
    auto src = z->entry_source(index_of(*z, "bin.dat"));
    EXPECT_EQ(src->file_range().has_value(), opt == "-0");
    EXPECT_EQ(src->name(), "bin.dat");
  }
}

TEST_F(ZipRead, InfoZipStreamingWritesDataDescriptors) {
  make_tree();
  auto zip = dir() / "dd.zip";
  ASSERT_EQ(run("cat " + q(dir() / "src/a.txt") + " | zip -q - - | cat > " + q(zip)).status, 0);
  std::string bytes = read_file(zip);
  ASSERT_TRUE(bytes[6] & 8) << "zip did not use a data descriptor";
  auto z = open_zip(zip);
  ASSERT_EQ(z->entries().size(), 1u);
  EXPECT_EQ(z->entries()[0].path, "-");
  EXPECT_EQ(read_entry(*z, 0), read_file(dir() / "src/a.txt"));
}

TEST_F(ZipRead, PythonStreamingAndZip64) {
  make_tree();
  // Written to a pipe: data descriptors (64-bit ones with force_zip64); written to a file: ZIP64 extras.
  std::string script = R"(
import sys, zipfile
text = open(sys.argv[1], 'rb').read()
def fill(z):
    for i, big in enumerate([False, True]):
        with z.open('f%d.txt' % i, 'w', force_zip64=big) as f: f.write(text)
    z.writestr(zipfile.ZipInfo('stored.bin'), b'stored bytes', compress_type=zipfile.ZIP_STORED)
    z.writestr('dir/', b'')
if sys.argv[2] == '-':
    fill(zipfile.ZipFile(sys.stdout.buffer, 'w', zipfile.ZIP_DEFLATED))
else:
    with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z: fill(z)
)";
  auto text = dir() / "src/a.txt";
  ASSERT_EQ(python(dir(), script, q(text) + " - | cat > " + q(dir() / "pipe.zip")).status, 0);
  ASSERT_EQ(python(dir(), script, q(text) + " " + q(dir() / "file.zip")).status, 0);
  for (auto name : {"pipe.zip", "file.zip"}) {
    auto z = open_zip(dir() / name);
    ASSERT_EQ(z->entries().size(), 4u) << name;
    EXPECT_EQ(read_entry(*z, 0), read_file(text));
    EXPECT_EQ(read_entry(*z, 1), read_file(text));
    EXPECT_EQ(read_entry(*z, 2), "stored bytes");
    EXPECT_TRUE(z->entries()[3].directory);
  }
}

TEST_F(ZipRead, InfoZipForcedZip64AndCommentWithSignature) {
  make_tree();
  auto zip = dir() / "z64.zip";
  ASSERT_EQ(run("cd " + q(dir() / "src") + " && zip -q -fz -r " + q(zip) + " a.txt bin.dat").status, 0);
  // An archive comment holding the end-record signature must not confuse the search.
  ASSERT_EQ(run("printf 'PK\\005\\006 tricky comment' | zip -q -z " + q(zip)).status, 0);
  auto z = open_zip(zip);
  ASSERT_EQ(z->entries().size(), 2u);
  EXPECT_EQ(read_entry(*z, index_of(*z, "a.txt")), read_file(dir() / "src/a.txt"));
  EXPECT_EQ(read_entry(*z, index_of(*z, "bin.dat")), read_file(dir() / "src/bin.dat"));
}

TEST_F(ZipRead, HandBuiltVariants) {
  std::string text(100000, 'x');
  for (size_t i = 0; i < text.size(); i += 13) text[i] = static_cast<char>('a' + i % 26);
  std::vector<RawEntry> v;
  v.push_back(deflated("nosig.txt", text));
  v.back().descriptor = Descriptor::without_sig;
  v.push_back(deflated("sig64.txt", text));
  v.back().descriptor = Descriptor::with_sig64;
  v.push_back(stored("stored-dd.txt", "stored with descriptor"));
  v.back().descriptor = Descriptor::with_sig;
  v.push_back(stored("win\\style\\name.txt", "backslashes"));
  v.push_back(deflated("empty.txt", ""));
  RawEntry bare = stored("bare.txt", "");  // "deflated" with no bytes at all, as some writers do
  bare.method = 8;
  v.push_back(bare);
  // A fake end record inside the comment, reaching exactly the end of the file: checked and ignored.
  std::string fake;
  le(fake, 0x06054b50, 4);
  le(fake, 0, 16);
  le(fake, 0, 2);
  auto z = open_bytes(build_zip(v, "comment " + fake));
  ASSERT_EQ(z->entries().size(), 6u);
  EXPECT_EQ(read_entry(*z, 0), text);
  EXPECT_EQ(stream_entry(*z, 1, 4096), text);
  EXPECT_EQ(read_entry(*z, 2), "stored with descriptor");
  EXPECT_EQ(z->entries()[3].path, "win/style/name.txt");
  EXPECT_EQ(read_entry(*z, 3), "backslashes");
  EXPECT_EQ(read_entry(*z, 4), "");
  EXPECT_EQ(stream_entry(*z, 4), "");
  EXPECT_EQ(read_entry(*z, 5), "");
}

TEST_F(ZipRead, UnsupportedEntriesAreListedButNotRead) {
  RawEntry bz = stored("packed.bz2data", "not really bzip2");
  bz.method = 12;
  RawEntry lz = stored("other.bin", "x");
  lz.method = 14;
  auto z = open_bytes(build_zip({stored("ok.txt", "fine"), bz, lz}), "odd.zip");
  ASSERT_EQ(z->entries().size(), 3u);
  EXPECT_EQ(read_entry(*z, 0), "fine");
  std::string msg = error_of([&] { z->entry_source(1); });
  EXPECT_NE(msg.find("odd.zip"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'packed.bz2data'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("compression method 12 (bzip2) is not supported"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { z->entry_source(2); }).find("method 14"), std::string::npos);

  make_tree();
  auto enc = dir() / "enc.zip";
  ASSERT_EQ(run("cd " + q(dir() / "src") + " && zip -q -P secret " + q(enc) +
                " a.txt && zip -q -0 -P secret " + q(enc) + " sub/deep/c.txt")
                .status,
            0);
  auto e = open_zip(enc);
  ASSERT_EQ(e->entries().size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    std::string m = error_of([&] { e->entry_source(i); });
    EXPECT_NE(m.find("'" + e->entries()[i].path + "': encrypted entries are not supported"),
              std::string::npos)
        << m;
  }
}

TEST_F(ZipRead, ContainerInsideALargerFile) {
  // A zip stored inside another file (e.g. a stored entry of an outer zip): offsets are relative.
  std::string zip = build_zip({stored("a.txt", "alpha"), deflated("b.txt", std::string(5000, 'b'))});
  write_file(dir() / "outer.bin", "HEADER" + zip + "TRAILER");
  auto whole = io::file_source(dir() / "outer.bin");
  auto inner = io::range_source(io::FileRange{whole->file_range()->file, 6, zip.size()}, "inner.zip");
  auto z = signet::formats::zip_format().open(inner, {});
  EXPECT_EQ(read_entry(*z, 0), "alpha");
  EXPECT_EQ(read_entry(*z, 1), std::string(5000, 'b'));
}

TEST_F(ZipRead, ConcurrentReadersGetTheRightBytes) {
  std::string a, b;
  uint32_t x = 1;
  for (int i = 0; i < 3'000'000; ++i) {
    x = x * 1664525 + 1013904223;
    a += static_cast<char>('a' + (x >> 28));
    b += static_cast<char>('0' + (x >> 29));
  }
  auto zip = dir() / "two.zip";
  write_file(zip, build_zip({deflated("a.txt", a), deflated("b.txt", b), stored("c.txt", a)}));
  auto z = open_zip(zip);
  auto want = [](const std::string& s) {
    return io::to_hex(io::digest(
        io::HashAlg::sha256, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size())));
  };
  std::vector<std::string> got(6);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back(
        [&, t] { got[t] = io::to_hex(io::digest(io::HashAlg::sha256, *z->entry_source(t % 3))); });
  }
  for (auto& t : threads) t.join();
  for (size_t t = 0; t < got.size(); ++t) EXPECT_EQ(got[t], want(t % 3 == 1 ? b : a)) << t;
}

TEST_F(ZipRead, EmptyArchive) {
  auto z = open_bytes(build_zip({}, "just a comment"));
  EXPECT_TRUE(z->entries().empty());
  EXPECT_THROW(z->entry_source(0), io::Error);
}

}  // namespace
