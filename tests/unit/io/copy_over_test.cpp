// copy_ahead + copy_over: the output copied before signing finishes, then patched, must equal a
// plain copy of the final bytes in every shape the final bytes can take.
#include <gtest/gtest.h>

#include <fstream>

#include "io/file.hpp"
#include "io/source.hpp"

using namespace signet;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 131 + seed + (i >> 12));
  return v;
}

std::vector<uint8_t> contents(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

class CopyOver : public ::testing::Test {
 protected:
  void SetUp() override {
    input_ = dir_.path() / "in.bin";
    auto bytes = pattern(3 << 20, 7);
    std::ofstream(input_, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    src_ = io::file_source(input_);
    base_ = *src_->file_range();
  }

  // Copies ahead (stopping after `slices` calls of stop(), or never), applies copy_over for
  // `final_bytes`, and returns the output file's bytes, checking the position is at the end.
  std::vector<uint8_t> run(const io::Source& final_bytes, int slices = -1) {
    auto path = dir_.path() / ("out" + std::to_string(++n_));
    io::File out = io::File::create(path);
    int calls = 0;
    uint64_t have = io::copy_ahead(base_, out, [&] { return slices >= 0 && calls++ >= slices; });
    io::copy_over(final_bytes, out, base_, have);
    EXPECT_EQ(::lseek(out.fd(), 0, SEEK_CUR), static_cast<off_t>(final_bytes.size()));
    return contents(path);
  }

  io::TempDir dir_;
  fs::path input_;
  io::SourcePtr src_;
  io::FileRange base_;
  int n_ = 0;
};

}  // namespace

TEST_F(CopyOver, PatchedAndExtendedLikeASignedPe) {
  auto orig = contents(input_);
  std::vector<io::Piece> pieces{io::Piece{io::FileRange{base_.file, 0, 100}, {}},
                                io::Piece{std::nullopt, {1, 2, 3, 4}},
                                io::Piece{io::FileRange{base_.file, 104, orig.size() - 104}, {}},
                                io::Piece{std::nullopt, std::vector<uint8_t>(4000, 0xab)}};
  auto final_bytes = io::pieces_source(pieces, "signed");
  auto want = io::read_all(*final_bytes, 1 << 30);
  EXPECT_EQ(run(*final_bytes), want);
  EXPECT_EQ(run(*final_bytes, 0), want);  // nothing copied ahead (the run failed early, say)
  EXPECT_EQ(run(*final_bytes, 1), want);  // copied partly
}

TEST_F(CopyOver, ShorterResultIsCut) {
  // A re-signed file whose new certificate table is smaller than the old one.
  auto orig = contents(input_);
  std::vector<io::Piece> pieces{io::Piece{io::FileRange{base_.file, 0, 1 << 20}, {}},
                                io::Piece{std::nullopt, {9, 9, 9}}};
  auto final_bytes = io::pieces_source(pieces, "shorter");
  EXPECT_EQ(run(*final_bytes), io::read_all(*final_bytes, 1 << 30));
}

TEST_F(CopyOver, MovedRangesAndUnchangedAndMemoryResults) {
  auto orig = contents(input_);
  // The same file's bytes at another offset are not "already there".
  std::vector<io::Piece> moved{io::Piece{std::nullopt, {5}},
                               io::Piece{io::FileRange{base_.file, 0, 4096}, {}}};
  auto m = io::pieces_source(moved, "moved");
  EXPECT_EQ(run(*m), io::read_all(*m, 1 << 30));
  // Unchanged (a verify-only run): the input itself.
  EXPECT_EQ(run(*src_), orig);
  // A result held in memory only.
  auto mem = io::memory_source(pattern(5000, 3), "mem");
  EXPECT_EQ(run(*mem), pattern(5000, 3));
}
