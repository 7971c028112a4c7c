// Script text as Windows hashes it: the characters as UTF-16LE code units, whatever the file's
// own encoding. Incremental, so a script of any size is hashed in one bounded-memory pass.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace signet::formats::script {

// How the bytes of a file decode into characters.
enum class Charset {
  utf8,     // UTF-8; each byte that is not part of a well-formed sequence becomes U+FFFD
  cp1252,   // Windows-1252 as MultiByteToWideChar decodes it (0x81 0x8D 0x8F 0x90 0x9D pass through)
  utf16le,  // already UTF-16LE: the code units are taken as they are
};

// Transcodes bytes of `charset` to UTF-16LE and hands the result to `sink` in chunks.
class Utf16Writer {
 public:
  using Sink = std::function<void(std::span<const uint8_t>)>;
  Utf16Writer(Charset charset, Sink sink);
  void update(std::span<const uint8_t> bytes);
  // Ends the text: an incomplete UTF-8 sequence at the end becomes one U+FFFD per byte. Throws
  // io::Error for a dangling odd byte of UTF-16 text.
  void finish();
  uint64_t units() const { return units_; }  // UTF-16 code units produced so far

 private:
  void put(uint32_t unit);
  void decode_utf8(std::span<const uint8_t> b, bool final);
  void flush();

  Charset charset_;
  Sink sink_;
  std::vector<uint8_t> out_;
  std::vector<uint8_t> carry_;  // an incomplete sequence from the previous chunk (<= 3 bytes)
  uint64_t units_ = 0;
};

// `text` (ASCII) in the file's encoding: as is, or as UTF-16LE.
std::vector<uint8_t> encode_ascii(std::string_view text, bool utf16);

}  // namespace signet::formats::script
