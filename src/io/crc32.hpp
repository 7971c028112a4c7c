// CRC-32 (the zip/gzip polynomial), zlib-compatible: crc32(crc32(0, a), b) == crc32(0, a + b).
// Uses carry-less multiplication folding where the CPU has it, so that checking a stored zip
// entry's CRC costs far less than hashing it.
#pragma once
#include <cstdint>
#include <span>

namespace signet::io {

uint32_t crc32(uint32_t crc, std::span<const uint8_t> data);

}  // namespace signet::io
