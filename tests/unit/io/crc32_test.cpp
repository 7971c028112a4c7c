#include "io/crc32.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <vector>

TEST(Crc32, MatchesZlibForEveryLengthAndSeed) {
  std::mt19937 rng(42);
  std::vector<uint8_t> data(70000);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t len : {0, 1, 15, 63, 64, 255, 256, 257, 300, 511, 512, 1000, 4096, 4097, 65536, 69999}) {
    for (uint32_t seed : {0u, 0xffffffffu, 0x12345678u}) {
      auto want = static_cast<uint32_t>(::crc32_z(seed, data.data(), len));
      EXPECT_EQ(signet::io::crc32(seed, std::span<const uint8_t>(data.data(), len)), want)
          << len << " " << seed;
    }
  }
  for (int i = 0; i < 200; ++i) {  // random offsets and lengths, chained
    size_t off = rng() % 1000, len = rng() % 60000;
    uint32_t a = signet::io::crc32(0, std::span<const uint8_t>(data.data() + off, len / 2));
    a = signet::io::crc32(a, std::span<const uint8_t>(data.data() + off + len / 2, len - len / 2));
    EXPECT_EQ(a, static_cast<uint32_t>(::crc32_z(0, data.data() + off, len)));
  }
}
