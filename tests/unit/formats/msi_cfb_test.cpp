// The compound file reader and writer: round trips (mini streams, DIFAT, storages), the MSI SIP
// name order and MsiDigitalSignatureEx metadata against osslsigncode on a package with a
// sub-storage, prefix names and non-zero times, and hostile compound files (loops, chains beyond
// the file, lying sizes) that must give io::Error.
#include "cab_test_support.hpp"
#include "formats/msi/cfb.hpp"
#include "formats/msi/msi_internal.hpp"

namespace {

using namespace cabtest;
namespace cfb = signet::formats::cfb;
namespace msi = signet::formats::msi;
using signet::io::HashAlg;

cfb::WriteNode stream_node(std::u16string name, const std::string& content, uint8_t times = 0) {
  cfb::WriteNode n;
  n.name = std::move(name);
  n.data = memory(content);
  for (int i = 0; i < 16 && times; ++i) n.times[i] = static_cast<uint8_t>(times + i);
  return n;
}

std::string write_cfb(const cfb::WriteNode& root, uint16_t major = 3) {
  signet::io::TempDir t;
  auto p = t.path() / "x.cfb";
  {
    auto f = signet::io::File::create(p);
    cfb::write_compound_file(root, major, f);
  }
  return read_file(p);
}

struct Opened {
  std::shared_ptr<signet::io::TempDir> dir = std::make_shared<signet::io::TempDir>();
  cfb::CompoundFile cf;
};

Opened open_cfb(const std::string& bytes) {
  Opened o;
  auto p = o.dir->path() / "in.cfb";
  write_file(p, bytes);
  auto src = signet::io::file_source(p);
  o.cf = cfb::CompoundFile::open(*src->file_range(), "in.cfb", 100000);
  return o;
}

std::string stream_text(const cfb::CompoundFile& cf, std::u16string_view name, size_t parent = 0) {
  size_t i = cf.find(parent, name);
  EXPECT_NE(i, cfb::CompoundFile::npos);
  if (i == cfb::CompoundFile::npos) return "";
  auto v = signet::io::read_all(*cf.stream(i), 1ull << 32);
  return std::string(v.begin(), v.end());
}

void set32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>(v >> (8 * i));
}
uint32_t get32(const std::string& b, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(b[at + i])) << (8 * i);
  return v;
}

TEST(Cfb, RoundTripWithMiniStreamsStoragesAndDifat) {
  std::string big(9u << 20, '\0');  // over 109 FAT sectors of 512 bytes: needs a DIFAT sector
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 2654435761u >> 13);
  cfb::WriteNode root;
  root.type = cfb::Type::root;
  root.clsid[0] = 0x84;
  root.children.push_back(stream_node(u"small", "tiny content", 0x11));
  root.children.push_back(stream_node(u"big", big));
  root.children.push_back(stream_node(u"empty", ""));
  root.children.push_back(stream_node(u"edge", std::string(4096, 'e')));
  cfb::WriteNode sub;
  sub.name = u"Storage";
  sub.type = cfb::Type::storage;
  sub.clsid[3] = 7;
  for (int i = 0; i < 20; ++i)
    sub.children.push_back(
        stream_node(u"s" + std::u16string(1, char16_t(u'a' + i)), std::string(70 * i, 'x')));
  root.children.push_back(std::move(sub));
  for (uint16_t major : {3, 4}) {
    auto o = open_cfb(write_cfb(root, major));
    EXPECT_EQ(o.cf.major_version(), major);
    EXPECT_EQ(o.cf.entries()[0].clsid[0], 0x84);
    EXPECT_EQ(stream_text(o.cf, u"small"), "tiny content");
    EXPECT_EQ(stream_text(o.cf, u"big"), big);
    EXPECT_EQ(stream_text(o.cf, u"empty"), "");
    EXPECT_EQ(stream_text(o.cf, u"edge"), std::string(4096, 'e'));
    EXPECT_EQ(o.cf.entries()[o.cf.find(0, u"small")].times[0], 0x11);
    size_t s = o.cf.find(0, u"Storage");
    ASSERT_NE(s, cfb::CompoundFile::npos);
    EXPECT_EQ(o.cf.entries()[s].clsid[3], 7);
    for (int i = 0; i < 20; ++i) {
      EXPECT_EQ(stream_text(o.cf, u"s" + std::u16string(1, char16_t(u'a' + i)), s), std::string(70 * i, 'x'));
    }
  }
  // An independent reader agrees (python's olefile checks the red-black tree's structure).
  Scratch sc;
  write_file(sc.dir / "x.cfb", write_cfb(root));
  auto r =
      run("/usr/bin/python3 -c \"import olefile,sys; o=olefile.OleFileIO(sys.argv[1]); "
          "assert o.openstream('Storage/sj').read()==b'x'*630; print(len(o.openstream('big').read()))\" " +
          q(sc.dir / "x.cfb"));
  EXPECT_TRUE(r.ok()) << r.output;
  EXPECT_NE(r.output.find(std::to_string(big.size())), std::string::npos) << r.output;
}

TEST(Cfb, NameOrder) {
  EXPECT_TRUE(cfb::name_less(u"B", u"AA"));  // shorter first
  EXPECT_TRUE(cfb::name_less(u"abc", u"ABD"));
  EXPECT_FALSE(cfb::name_less(u"abc", u"ABC"));
}

// A package with a sub-storage, names that are prefixes of others and non-zero times: the SIP order
// and the MsiDigitalSignatureEx metadata rules must match osslsigncode exactly.
TEST(MsiSip, StoragesPrefixNamesAndTimesMatchOsslsigncode) {
  REQUIRE_FIXTURES();
  Scratch s;
  auto in = signet::io::file_source(fixtures().msi());
  auto cf = cfb::CompoundFile::open(*in->file_range(), "test.msi", 100000);
  auto root = cfb::copy_tree(cf);
  root.children.push_back(stream_node(u"AB", "ab content", 0x10));
  root.children.push_back(stream_node(u"ABC", "abc content", 0x20));
  root.children.push_back(stream_node(u"ABD", std::string(5000, 'z'), 0x30));
  cfb::WriteNode sub;
  sub.name = u"Sub";
  sub.type = cfb::Type::storage;
  sub.state_bits = 0x12345678;
  for (int i = 0; i < 16; ++i) {
    sub.clsid[i] = static_cast<uint8_t>(0xA0 + i);
    sub.times[i] = static_cast<uint8_t>(0x40 + i);
  }
  sub.children.push_back(stream_node(u"x", "inner x", 0x50));
  sub.children.push_back(stream_node(u"xy", "inner xy", 0x60));
  root.children.push_back(std::move(sub));
  root.state_bits = 0x01020304;
  for (int i = 8; i < 16; ++i) root.times[i] = static_cast<uint8_t>(0x70 + i);  // creation time must stay 0
  write_file(s.dir / "x.msi", write_cfb(root));

  for (std::string extra : {"", "-add-msi-dse"}) {
    fs::path out = s.dir / ("signed" + extra + ".msi");
    ASSERT_TRUE(fixtures().ossl_sign(s.dir / "x.msi", out, extra));
    auto o = open_cfb(read_file(out));
    bool ex = !extra.empty();
    EXPECT_EQ(upper_hex(msi::content_digest(o.cf, HashAlg::sha256, ex)), ossl_calculated(out)) << extra;
    if (ex) {
      auto v = run("osslsigncode verify -CAfile /dev/null -in " + q(out));
      EXPECT_NE(v.output.find("Calculated MsiDigitalSignatureEx : " +
                              upper_hex(msi::metadata_prehash(o.cf, HashAlg::sha256))),
                std::string::npos)
          << v.output;
    }
  }
}

// ---- hostile compound files --------------------------------------------------------------------

// Layout of write_cfb for this tree (512-byte sectors): sector 0 FAT, 1 directory, 2 MiniFAT,
// 3 mini stream, 4..13 "big" (5000 bytes). Sector n is at file offset (n + 1) * 512.
std::string sample() {
  cfb::WriteNode root;
  root.type = cfb::Type::root;
  root.children.push_back(stream_node(u"big", std::string(5000, 'b')));
  root.children.push_back(stream_node(u"small", std::string(100, 's')));
  return write_cfb(root);
}
constexpr size_t kFat = 512, kDir = 1024, kMiniFat = 1536;

// The directory id of a stream in sample() (children are sorted: "big" then "small").
size_t dir_entry(const std::string& b, const std::u16string& name) {
  for (size_t i = 0; i < 4; ++i) {
    bool same = true;
    for (size_t k = 0; k < name.size(); ++k) same &= b[kDir + 128 * i + 2 * k] == static_cast<char>(name[k]);
    if (same) return kDir + 128 * i;
  }
  return 0;
}

std::string hostile_error(const std::string& bytes) {
  return error_of([&] { open_cfb(bytes); });
}

TEST(CfbHostile, SampleIsValid) {
  auto o = open_cfb(sample());
  EXPECT_EQ(stream_text(o.cf, u"big"), std::string(5000, 'b'));
  EXPECT_EQ(stream_text(o.cf, u"small"), std::string(100, 's'));
  EXPECT_EQ(get32(sample(), dir_entry(sample(), u"big") + 116), 4u);
}

TEST(CfbHostile, FatLoop) {
  auto b = sample();
  set32(b, kFat + 4 * 6, 5);  // sector 6 -> 5: a loop inside "big"
  EXPECT_NE(hostile_error(b).find("already in use"), std::string::npos);
}

TEST(CfbHostile, ChainBeyondTheFile) {
  auto b = sample();
  set32(b, kFat + 4 * 8, 5000);
  EXPECT_NE(hostile_error(b).find("stream 'big'"), std::string::npos);
}

TEST(CfbHostile, ChainEndsEarly) {
  auto b = sample();
  set32(b, kFat + 4 * 8, 0xFFFFFFFE);
  EXPECT_NE(hostile_error(b).find("fewer than its size"), std::string::npos);
}

TEST(CfbHostile, LyingStreamSize) {
  auto b = sample();
  set32(b, dir_entry(b, u"big") + 120, 0x7FFFFFFF);
  EXPECT_NE(hostile_error(b).find("stream 'big'"), std::string::npos);
  auto c = sample();
  set32(c, dir_entry(c, u"small") + 120, 1000);  // mini chain of 2 sectors for 16
  EXPECT_NE(hostile_error(c).find("stream 'small'"), std::string::npos);
}

TEST(CfbHostile, MiniFatLoop) {
  auto b = sample();
  set32(b, kMiniFat, 0);  // mini sector 0 -> 0
  EXPECT_NE(hostile_error(b).find("already in use"), std::string::npos);
}

TEST(CfbHostile, DirectoryLoop) {
  auto b = sample();
  size_t e = dir_entry(b, u"big");
  set32(b, e + 68, static_cast<uint32_t>((e - kDir) / 128));  // its own left sibling
  EXPECT_NE(hostile_error(b).find("reached twice"), std::string::npos);
  auto c = sample();
  set32(c, dir_entry(c, u"small") + 72, 99);
  EXPECT_NE(hostile_error(c).find("directory entry 99"), std::string::npos);
}

TEST(CfbHostile, BadHeaders) {
  auto b = sample();
  b[30] = 10;  // sector shift
  EXPECT_NE(hostile_error(b).find("unsupported compound file version"), std::string::npos);
  auto c = sample();
  set32(c, 44, 100000);  // FAT sector count
  EXPECT_NE(hostile_error(c).find("FAT sectors"), std::string::npos);
  auto d = sample();
  set32(d, 44, 2);  // two FAT sectors listed, the second FREESECT
  EXPECT_FALSE(hostile_error(d).empty());
  EXPECT_NE(hostile_error(sample().substr(0, 3000)).find("stream 'big'"), std::string::npos);
  EXPECT_NE(hostile_error("not a compound file at all, but long enough" + std::string(600, '.'))
                .find("not a compound file"),
            std::string::npos);
}

TEST(CfbHostile, DifatLoop) {
  cfb::WriteNode root;
  root.type = cfb::Type::root;
  root.children.push_back(stream_node(u"big", std::string(17u << 20, 'b')));  // over 236 FAT sectors
  auto b = write_cfb(root);
  uint32_t difat = get32(b, 68);
  ASSERT_EQ(get32(b, 72), 2u);
  EXPECT_EQ(stream_text(open_cfb(b).cf, u"big").size(), 17u << 20);
  set32(b, (size_t{difat} + 1) * 512 + 508, difat);  // the first DIFAT sector points to itself
  EXPECT_NE(hostile_error(b).find("already in use"), std::string::npos);
  auto c = write_cfb(root);
  set32(c, 44, get32(c, 44) * 3);  // many more FAT sectors than the file can need
  EXPECT_NE(hostile_error(c).find("FAT sectors"), std::string::npos);
}

TEST(MsiHostile, NotADatabase) {
  Scratch s;
  write_file(s.dir / "x.msi", sample());
  auto msg =
      error_of([&] { signet::formats::msi_format().open(signet::io::file_source(s.dir / "x.msi"), {}); });
  EXPECT_NE(msg.find("not an MSI database"), std::string::npos) << msg;
  write_file(s.dir / "y.msi", "garbage");
  EXPECT_NE(error_of([&] {
              signet::formats::msi_format().open(signet::io::file_source(s.dir / "y.msi"), {});
            }).find("y.msi"),
            std::string::npos);
}

TEST(MsiHostile, CorruptedTablesAndCabinet) {
  REQUIRE_FIXTURES();
  auto in = signet::io::file_source(fixtures().msi());
  auto cf = cfb::CompoundFile::open(*in->file_range(), "test.msi", 100000);
  auto open_tree = [&](const cfb::WriteNode& root) {
    Scratch s;
    write_file(s.dir / "x.msi", write_cfb(root));
    return error_of(
        [&] { signet::formats::msi_format().open(signet::io::file_source(s.dir / "x.msi"), {}); });
  };
  auto find = [](cfb::WriteNode& root, std::u16string_view name) -> cfb::WriteNode& {
    for (auto& c : root.children) {
      if (c.name == name) return c;
    }
    throw std::runtime_error("no such stream");
  };
  {  // File table one byte short: not a whole number of rows
    auto root = cfb::copy_tree(cf);
    auto& t = find(root, msi::encode_name("File", true));
    auto v = signet::io::read_all(*t.data, 1 << 20);
    v.pop_back();
    t.data = signet::io::memory_source(v, "File");
    EXPECT_NE(open_tree(root).find("table File"), std::string::npos);
  }
  {  // the embedded cabinet is garbage
    auto root = cfb::copy_tree(cf);
    find(root, msi::encode_name("product.cab", false)).data = memory(std::string(5000, 'G'));
    EXPECT_NE(open_tree(root).find("product.cab"), std::string::npos);
  }
  {  // the embedded cabinet is missing
    auto root = cfb::copy_tree(cf);
    std::erase_if(root.children,
                  [](const cfb::WriteNode& c) { return c.name == msi::encode_name("product.cab", false); });
    EXPECT_NE(open_tree(root).find("embedded cabinet 'product.cab'"), std::string::npos);
  }
  {  // string pool pointing beyond the string data
    auto root = cfb::copy_tree(cf);
    find(root, msi::encode_name("_StringData", true)).data = memory("x");
    EXPECT_NE(open_tree(root).find("string pool"), std::string::npos);
  }
}

}  // namespace
