// Writing zip archives: raw copies, replaced and added entries, ZIP64, checked by unzip and python.
#include <map>

#include "formats/zip/zip_internal.hpp"
#include "io/hash.hpp"
#include "zip_test_support.hpp"

using namespace ziptest;
namespace io = signet::io;

namespace {

// What python's zipfile sees in an archive: testzip(), the archive comment, and per entry its
// name, method, CRC, date, extra, comment, raw local header (hex) and content digest.
constexpr const char* kInspect = R"(
import sys, zipfile, struct, hashlib
raw = open(sys.argv[1], 'rb').read()
with zipfile.ZipFile(sys.argv[1]) as z:
    print('bad', z.testzip())
    print('comment', z.comment.hex())
    for i in z.infolist():
        o = i.header_offset
        n, m = struct.unpack('<HH', raw[o+26:o+30])
        print('|'.join([i.filename, str(i.compress_type), '%08x' % i.CRC, repr(i.date_time), i.extra.hex(),
                        i.comment.hex(), raw[o:o+30+n+m].hex(), hashlib.sha256(z.read(i)).hexdigest()]))
)";

struct Inspected {
  std::string bad, comment;
  std::vector<std::string> names;
  std::map<std::string, std::vector<std::string>> fields;  // name -> the other fields
};

Inspected inspect(const fs::path& dir, const fs::path& zip) {
  auto r = python(dir, kInspect, q(zip));
  EXPECT_EQ(r.status, 0) << r.output;
  Inspected out;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("bad ", 0) == 0) {
      out.bad = line.substr(4);
    } else if (line.rfind("comment ", 0) == 0) {
      out.comment = line.substr(8);
    } else {
      std::vector<std::string> f;
      std::istringstream ls(line);
      for (std::string x; std::getline(ls, x, '|');) f.push_back(x);
      out.names.push_back(f.at(0));
      out.fields[f[0]] = std::vector<std::string>(f.begin() + 1, f.end());
    }
  }
  return out;
}

std::string sha256_hex(const std::string& s) {
  return io::to_hex(io::digest(
      io::HashAlg::sha256, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size())));
}

bool unzip_ok(const fs::path& zip) {
  return run("unzip -tqq " + q(zip)).status == 0;
}

// Lowers the ZIP64 threshold for one test so ZIP64 fields are written for small archives.
struct Zip64Threshold {
  explicit Zip64Threshold(uint64_t t) { signet::formats::zip::set_zip64_threshold_for_testing(t); }
  ~Zip64Threshold() { signet::formats::zip::set_zip64_threshold_for_testing(0); }
};

class ZipWrite : public ::testing::Test {
 protected:
  io::TempDir tmp;
  fs::path dir() const { return tmp.path(); }

  // Python-made source: per-entry comments and extra fields, stored and deflated entries, a comment.
  fs::path make_source(const std::string& name, bool force_zip64 = false) {
    std::string script = R"(
import sys, zipfile
def info(name, method, extra=b'', comment=b''):
    i = zipfile.ZipInfo(name, date_time=(2021, 3, 4, 5, 6, 8))
    i.compress_type = method; i.extra = extra; i.comment = comment; i.external_attr = 0o644 << 16
    return i
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.comment = b'archive comment'
    big = sys.argv[2] == '1'
    for i, data in [(info('keep1.txt', zipfile.ZIP_DEFLATED, b'\xfe\xca\x04\x00abcd', b'first comment'), b'keep one ' * 500),
                    (info('stored.txt', zipfile.ZIP_STORED, b'\xfe\xca\x02\x00xy'), b'old stored content'),
                    (info('dir/deflated.txt', zipfile.ZIP_DEFLATED, comment=b'deflated comment'), b'old deflated ' * 300),
                    (info('keep2.bin', zipfile.ZIP_STORED, b'\xfe\xca\x01\x00z', b'last'), bytes(range(256)) * 20)]:
        with z.open(i, 'w', force_zip64=big) as f: f.write(data)
)";
    auto zip = dir() / name;
    auto r = python(dir(), script, q(zip) + (force_zip64 ? " 1" : " 0"));
    EXPECT_EQ(r.status, 0) << r.output;
    return zip;
  }

  // Replaces stored.txt and dir/deflated.txt, adds three entries; checks the result with unzip and python.
  void replace_and_add(const fs::path& src, bool zip64 = false) {
    auto z = open_zip(src);
    std::string new_stored = "new stored content, longer than before";
    std::string new_deflated;
    for (int i = 0; i < 200000; ++i) new_deflated += "replacement line " + std::to_string(i % 977) + "\n";
    std::vector<Replacement> rep{{index_of(*z, "stored.txt"), ready(memory(new_stored))},
                                 {index_of(*z, "dir/deflated.txt"), ready(memory(new_deflated))}};
    std::vector<Addition> add{{1, "stored.txt.sig", ready(memory("signature bytes"))},
                              {1, "stored.txt.asc", ready(memory(std::string(10000, 'A')))},
                              {2, "dir/empty.sig", ready(memory(""))}};
    auto out = dir() / ("rewritten-" + src.filename().string());
    rewrite(*z, out, rep, add);

    EXPECT_TRUE(unzip_ok(out)) << run("unzip -t " + q(out)).output;
    Inspected before = inspect(dir(), src), after = inspect(dir(), out);
    EXPECT_EQ(after.bad, "None");
    EXPECT_EQ(after.comment, before.comment);
    EXPECT_EQ(after.names,
              (std::vector<std::string>{"keep1.txt", "stored.txt", "stored.txt.sig", "stored.txt.asc",
                                        "dir/deflated.txt", "dir/empty.sig", "keep2.bin"}));
    for (auto keep : {"keep1.txt", "keep2.bin"}) {
      auto a = after.fields[keep], b = before.fields[keep];
      // Past the ZIP64 threshold the central extra gains a ZIP64 field in front; all else is kept.
      EXPECT_EQ(a[3].substr(a[3].size() - b[3].size()), b[3]) << keep;
      EXPECT_EQ(a[3].size() > b[3].size(), zip64) << keep;
      a[3] = b[3] = "";
      EXPECT_EQ(a, b) << keep;
    }
    // Replaced: same method, date, central extra and comment; new CRC, local header and content.
    for (auto name : {"stored.txt", "dir/deflated.txt"}) {
      auto& b = before.fields[name];
      auto& a = after.fields[name];
      EXPECT_EQ(a[0], b[0]) << name;
      EXPECT_EQ(a[2], b[2]) << name;
      EXPECT_EQ(a[4], b[4]) << name;
      EXPECT_NE(a[1], b[1]) << name;
    }
    EXPECT_EQ(after.fields["stored.txt"][3].find("feca0200"), 0u) << "custom extra kept";
    EXPECT_EQ(after.fields["stored.txt"][6], sha256_hex(new_stored));
    EXPECT_EQ(after.fields["dir/deflated.txt"][6], sha256_hex(new_deflated));
    EXPECT_EQ(after.fields["stored.txt.sig"][6], sha256_hex("signature bytes"));
    EXPECT_EQ(after.fields["stored.txt.sig"][0], "8");
    EXPECT_EQ(after.fields["dir/empty.sig"][0], "0");
    EXPECT_EQ(after.fields["stored.txt.sig"][2], before.fields["stored.txt"][2])
        << "date of the entry beside";

    // Our own reader agrees, and a tampered copy is refused by unzip (the check can fail).
    auto again = open_zip(out);
    EXPECT_EQ(read_entry(*again, index_of(*again, "dir/deflated.txt")), new_deflated);
    EXPECT_EQ(read_entry(*again, index_of(*again, "stored.txt.asc")), std::string(10000, 'A'));
    std::string bytes = read_file(out);
    size_t at = bytes.find("new stored content");
    ASSERT_NE(at, std::string::npos);
    bytes[at] = 'N';
    write_file(dir() / "tampered.zip", bytes);
    EXPECT_FALSE(unzip_ok(dir() / "tampered.zip"));
  }
};

TEST_F(ZipWrite, UnchangedRoundTripIsByteIdentical) {
  write_file(dir() / "src/a.txt", std::string(100000, 'a') + "end");
  write_file(dir() / "src/b/c.txt", "c");
  std::vector<fs::path> zips;
  auto add = [&](const std::string& name, const std::string& cmd) {
    ASSERT_EQ(run("cd " + q(dir() / "src") + " && " + cmd).status, 0) << cmd;
    zips.push_back(dir() / name);
  };
  add("deflate.zip", "zip -q -r ../deflate.zip . && printf 'the comment' | zip -q -z ../deflate.zip");
  add("stored.zip", "zip -q -0 -r ../stored.zip .");
  add("z64.zip", "zip -q -fz -r ../z64.zip .");
  add("stream.zip", "cat a.txt | zip -q - - | cat > ../stream.zip");
  add("sfx.zip",
      "printf '#!/bin/sh\\nexit 0\\n' > ../stub && cat ../stub ../deflate.zip > ../sfx.zip && zip -q -A "
      "../sfx.zip");
  zips.push_back(make_source("python.zip"));
  zips.push_back(make_source("python64.zip", true));
  for (const auto& zip : zips) {
    auto z = open_zip(zip);
    auto out = dir() / ("same-" + zip.filename().string());
    // Replacements whose future yields nullptr count as unchanged.
    rewrite(*z, out, {{0, ready(nullptr)}});
    EXPECT_EQ(read_file(out), read_file(zip)) << zip;
    EXPECT_TRUE(unzip_ok(out)) << zip;
  }
  // Negative control: a flipped data byte is caught by unzip -t.
  std::string bytes = read_file(dir() / "same-stored.zip");
  bytes[bytes.find("aaaa")] = 'b';
  write_file(dir() / "bad.zip", bytes);
  EXPECT_FALSE(unzip_ok(dir() / "bad.zip"));
}

TEST_F(ZipWrite, ReplaceAndAdd) {
  replace_and_add(make_source("plain.zip"));
}

TEST_F(ZipWrite, ReplaceAndAddInPythonZip64Archive) {
  replace_and_add(make_source("z64.zip", true));
}

TEST_F(ZipWrite, EmitsZip64FieldsPastTheThreshold) {
  auto src = make_source("plain.zip");
  Zip64Threshold small(1000);  // offsets and sizes past 1000 bytes now need ZIP64 fields
  replace_and_add(src, true);
  std::string out = read_file(dir() / "rewritten-plain.zip");
  EXPECT_NE(out.find(std::string("PK\x06\x06", 4)), std::string::npos) << "ZIP64 end record";
  EXPECT_NE(out.find(std::string("PK\x06\x07", 4)), std::string::npos) << "ZIP64 locator";
  // Rewriting the ZIP64 output again (unchanged) reproduces it byte for byte.
  auto z = open_zip(dir() / "rewritten-plain.zip");
  rewrite(*z, dir() / "again.zip");
  EXPECT_EQ(read_file(dir() / "again.zip"), out);
}

TEST_F(ZipWrite, MoreThan65535EntriesGetAZip64EndRecord) {
  auto src = dir() / "many.zip";
  auto r = python(dir(), R"(
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for i in range(65535): z.writestr('e%05d' % i, b'')
)",
                  q(src));
  ASSERT_EQ(r.status, 0) << r.output;
  auto z = open_zip(src);
  ASSERT_EQ(z->entries().size(), 65535u);
  auto out = dir() / "more.zip";
  rewrite(*z, out, {}, {{65534, "extra.sig", ready(memory("sig"))}});
  auto check = python(dir(), R"(
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); print(len(z.infolist()), z.infolist()[-1].filename, z.read('extra.sig'))
)",
                      q(out));
  EXPECT_EQ(check.output, "65536 extra.sig b'sig'\n");
  EXPECT_TRUE(unzip_ok(out));
  EXPECT_EQ(open_zip(out)->entries().size(), 65536u);
}

TEST_F(ZipWrite, RejectsBadAdditionsAndPropagatesFailures) {
  auto z = open_zip(make_source("plain.zip"));
  auto out = dir() / "out.zip";
  auto bad_add = [&](const std::string& path) {
    return error_of([&] { rewrite(*z, out, {}, {{0, path, ready(memory("x"))}}); });
  };
  EXPECT_NE(bad_add("../evil.sig").find("'../evil.sig': entry name contains a '..' segment"),
            std::string::npos);
  EXPECT_NE(bad_add("/abs.sig").find("absolute"), std::string::npos);
  EXPECT_NE(bad_add("KEEP1.TXT").find("already has an entry with this path"), std::string::npos);
  EXPECT_NE(bad_add("dir\\x.sig").find("'/' separators"), std::string::npos);

  // A signing failure surfaces through the future.
  std::promise<SourcePtr> p;
  p.set_exception(std::make_exception_ptr(io::Error("signing failed")));
  std::vector<Replacement> rep{{1, p.get_future().share()}};
  EXPECT_NE(error_of([&] { rewrite(*z, out, rep); }).find("signing failed"), std::string::npos);

  // New content must be as long as it says.
  class Liar : public io::Source {
   public:
    uint64_t size() const override { return 10; }
    std::unique_ptr<io::Reader> open() const override { return real_->open(); }
    std::string name() const override { return "liar"; }

   private:
    SourcePtr real_ = memory("only five");  // readers point into it: keep it alive
  };
  std::vector<Replacement> lie{{1, ready(std::make_shared<Liar>())}};
  EXPECT_NE(error_of([&] { rewrite(*z, out, lie); }).find("'stored.txt': new content yielded 9 bytes"),
            std::string::npos);
}

TEST_F(ZipWrite, AdditionsAtTheEndAndIntoAnEmptyArchive) {
  auto z = open_bytes(build_zip({stored("a.txt", "a"), stored("b.txt", "b")}));
  auto out = dir() / "end.zip";
  rewrite(*z, out, {}, {{99, "z.sig", ready(memory("z"))}, {0, "a.sig", ready(memory("a"))}});
  auto r = open_zip(out);
  ASSERT_EQ(r->entries().size(), 4u);
  EXPECT_EQ(r->entries()[1].path, "a.sig");
  EXPECT_EQ(r->entries()[3].path, "z.sig");
  EXPECT_TRUE(unzip_ok(out));

  auto empty = open_bytes(build_zip({}, "empty"));
  auto out2 = dir() / "grown.zip";
  rewrite(*empty, out2, {}, {{0, "only.txt", ready(memory("only"))}});
  EXPECT_TRUE(unzip_ok(out2)) << run("unzip -t " + q(out2)).output;
  EXPECT_EQ(read_entry(*open_zip(out2), 0), "only");
}

TEST_F(ZipWrite, WritesAtTheCurrentPositionWithRelativeOffsets) {
  auto z = open_bytes(build_zip({stored("a.txt", "alpha"), deflated("b.txt", std::string(3000, 'b'))}));
  auto path = dir() / "embedded.bin";
  {
    auto f = io::File::create(path);
    std::string head = "HEAD";
    f.write_all(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(head.data()), head.size()));
    z->write(f, {{1, ready(memory("new b"))}}, {});
  }
  auto whole = io::file_source(path);
  auto inner = io::range_source(io::FileRange{whole->file_range()->file, 4, whole->size() - 4}, "inner.zip");
  auto r = signet::formats::zip_format().open(inner, {});
  EXPECT_EQ(read_entry(*r, 0), "alpha");
  EXPECT_EQ(read_entry(*r, 1), "new b");
}

}  // namespace
