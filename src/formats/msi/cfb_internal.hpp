// [MS-CFB] constants shared by the compound file reader (cfb.cpp) and writer (cfb_write.cpp).
#pragma once
#include <cstdint>

#include "io/le.hpp"

namespace signet::formats::cfb {

constexpr uint32_t kMaxRegSect = 0xFFFFFFFA;  // the highest regular sector number
constexpr uint32_t kDifSect = 0xFFFFFFFC;
constexpr uint32_t kFatSect = 0xFFFFFFFD;
constexpr uint32_t kEndOfChain = 0xFFFFFFFE;
constexpr uint32_t kFreeSect = 0xFFFFFFFF;
constexpr uint32_t kNoStream = 0xFFFFFFFF;
constexpr uint64_t kMiniCutoff = 4096;  // streams below this live in the mini stream
constexpr uint64_t kMiniSector = 64;
constexpr uint8_t kMagic[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};

using io::le::get16;
using io::le::get32;
using io::le::set16;
using io::le::set32;

}  // namespace signet::formats::cfb
