#include "io/deflate.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>

#include "io/file.hpp"
#include "io/patch_output.hpp"
#include "io/source.hpp"

namespace signet::io {
namespace {

// Inflates a raw deflate stream with zlib, primed with `dictionary` when given.
std::vector<uint8_t> inflate_raw(std::span<const uint8_t> in, std::span<const uint8_t> dictionary = {}) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, -MAX_WBITS), Z_OK);
  if (!dictionary.empty()) {
    EXPECT_EQ(inflateSetDictionary(&z, dictionary.data(), static_cast<uInt>(dictionary.size())), Z_OK);
  }
  std::vector<uint8_t> out(1 << 16);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  size_t have = 0;
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (have == out.size()) out.resize(out.size() * 2);
    z.next_out = out.data() + have;
    z.avail_out = static_cast<uInt>(out.size() - have);
    rc = inflate(&z, Z_NO_FLUSH);
    have = out.size() - z.avail_out;
  }
  EXPECT_EQ(rc, Z_STREAM_END);
  inflateEnd(&z);
  out.resize(have);
  return out;
}

std::vector<uint8_t> sample(size_t n) {
  std::mt19937 rng(7);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>("abcdefgh"[rng() % 8]);  // compressible
  return v;
}

TEST(RawDeflate, StreamsInBoundedPiecesAndInflatesBack) {
  auto data = sample(3 << 20);
  std::vector<uint8_t> packed;
  size_t largest = 0;
  RawDeflate d("test");
  auto sink = [&](std::span<const uint8_t> piece) {
    largest = std::max(largest, piece.size());
    packed.insert(packed.end(), piece.begin(), piece.end());
  };
  for (size_t at = 0; at < data.size(); at += 100000)
    d.update(std::span<const uint8_t>(data).subspan(at, std::min<size_t>(100000, data.size() - at)), sink);
  d.finish(sink);
  EXPECT_LE(largest, size_t{256} << 10);
  EXPECT_LT(packed.size(), data.size());
  EXPECT_EQ(inflate_raw(packed), data);
  packed[packed.size() / 2] ^= 0xff;  // negative control: a damaged stream does not give the data
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, -MAX_WBITS), Z_OK);
  std::vector<uint8_t> out(data.size() + 1024);
  z.next_in = packed.data();
  z.avail_in = static_cast<uInt>(packed.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&z, Z_FINISH);
  bool same =
      rc == Z_STREAM_END && z.total_out == data.size() && std::equal(data.begin(), data.end(), out.begin());
  inflateEnd(&z);
  EXPECT_FALSE(same);
}

TEST(RawDeflate, BlocksAreCompleteStreamsPrimedWithTheDictionary) {
  auto window = sample(32768);
  std::vector<uint8_t> block(window.end() - 20000, window.end());  // repeats the dictionary's end
  RawDeflate d("test");
  std::vector<uint8_t> out{'C', 'K'};
  d.compress_block(block, window, out);
  ASSERT_GT(out.size(), 2u);
  EXPECT_EQ(out[0], 'C');
  EXPECT_LT(out.size(), 200u);  // found in the dictionary, so almost nothing to store
  auto body = std::span<const uint8_t>(out).subspan(2);
  EXPECT_EQ(inflate_raw(body, window), block);
  // A second block starts afresh (no state carried over from the first), and without the
  // dictionary it has to store the bytes.
  std::vector<uint8_t> again;
  d.compress_block(block, {}, again);
  EXPECT_GT(again.size(), 2000u);
  EXPECT_EQ(inflate_raw(again), block);
}

TEST(PatchOutput, WritesCopiesAndPatchesRelativeToItsStart) {
  TempDir dir;
  auto in_path = dir.path() / "in";
  {
    auto f = File::create(in_path);
    std::vector<uint8_t> src{'0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};
    f.write_all(src);
  }
  auto in = std::make_shared<const File>(File::open_read(in_path));
  auto out_path = dir.path() / "out";
  {
    auto f = File::create(out_path);
    std::vector<uint8_t> prefix{'P', 'P'};
    f.write_all(prefix);  // the output starts after these
    PatchOutput out(f, "test data");
    std::vector<uint8_t> head{'h', 'd', 'r', '-'};
    out.write(head);
    out.copy(FileRange{in, 3, 4});
    EXPECT_EQ(out.pos(), 8u);
    std::vector<uint8_t> fix{'H'};
    out.patch(0, fix);
    std::vector<uint8_t> big(300 << 10, 'z');  // larger than the buffer: written straight through
    out.write(big);
    out.flush();
    EXPECT_EQ(out.pos(), 8u + big.size());
  }
  auto got = read_all(*file_source(out_path), 1 << 20);
  std::string s(got.begin(), got.begin() + 10);
  EXPECT_EQ(s, "PPHdr-3456");
  EXPECT_EQ(got.size(), 10u + (300 << 10));
}

}  // namespace
}  // namespace signet::io
