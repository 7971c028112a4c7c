#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/error.hpp"
#include "io/file.hpp"
#include "io/hash.hpp"
#include "io/source.hpp"

using namespace signet::io;

TEST(Hash, Sha256OfAbc) {
  std::string abc = "abc";
  auto d = digest(HashAlg::sha256, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(abc.data()), 3));
  EXPECT_EQ(to_hex(d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hash, RejectsUnknownAlgorithm) {
  EXPECT_THROW(parse_hash_alg("md5"), Error);
}

TEST(AtomicOutput, LeavesNothingWithoutCommit) {
  TempDir dir;
  auto target = dir.path() / "out.bin";
  {
    AtomicOutput out(target);
    uint8_t b[3] = {1, 2, 3};
    out.file().write_all(b);
  }
  EXPECT_FALSE(std::filesystem::exists(target));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(AtomicOutput, CommitPublishes) {
  TempDir dir;
  auto target = dir.path() / "out.bin";
  AtomicOutput out(target);
  uint8_t b[3] = {1, 2, 3};
  out.file().write_all(b);
  out.commit();
  EXPECT_EQ(std::filesystem::file_size(target), 3u);
}

TEST(Source, RangeAndDigestAgree) {
  TempDir dir;
  auto p = dir.path() / "f";
  { std::ofstream(p) << "0123456789"; }
  auto whole = file_source(p);
  auto range = range_source(FileRange{whole->file_range()->file, 2, 3}, "r");
  auto bytes = read_all(*range, 100);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "234");
  EXPECT_EQ(digest(HashAlg::sha1, *range), digest(HashAlg::sha1, std::span<const uint8_t>(bytes)));
  EXPECT_THROW(read_all(*whole, 5), Error);
}
