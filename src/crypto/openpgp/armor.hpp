// ASCII armor (RFC 4880 §6.2): radix-64 with a CRC24 checksum between BEGIN/END lines.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "crypto/openpgp/packets.hpp"

namespace signet::crypto::openpgp {

struct ArmoredBlock {
  std::string type;  // "PGP SIGNATURE" -> "SIGNATURE"
  SecureBytes data;
};

uint32_t crc24(std::span<const uint8_t> data);

// True when the input starts (after white space) with an armor line rather than a binary packet.
bool looks_armored(std::span<const uint8_t> input);

// Every armored block of the input, in order. Throws io::Error at `where` for a malformed block,
// a bad character, or a CRC24 mismatch.
std::vector<ArmoredBlock> dearmor(std::span<const uint8_t> input, const io::Location& where);

}  // namespace signet::crypto::openpgp
