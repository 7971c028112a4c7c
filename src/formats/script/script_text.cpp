#include "formats/script/script_text.hpp"

#include "io/error.hpp"

namespace signet::formats::script {

namespace {

constexpr size_t kOutChunk = 64 * 1024;

// Windows-1252 bytes 0x80..0x9F (Unicode's published mapping; the five unassigned bytes map to
// the same code point, as MultiByteToWideChar does). Every other byte is its own code point.
constexpr uint16_t kCp1252High[32] = {
    0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

constexpr uint32_t kReplacement = 0xfffd;

}  // namespace

Utf16Writer::Utf16Writer(Charset charset, Sink sink) : charset_(charset), sink_(std::move(sink)) {
  out_.reserve(kOutChunk + 4);
}

void Utf16Writer::put(uint32_t cp) {
  auto unit = [this](uint32_t u) {
    out_.push_back(static_cast<uint8_t>(u & 0xff));
    out_.push_back(static_cast<uint8_t>(u >> 8));
    ++units_;
  };
  if (cp >= 0x10000) {
    cp -= 0x10000;
    unit(0xd800 | (cp >> 10));
    unit(0xdc00 | (cp & 0x3ff));
  } else {
    unit(cp);
  }
  if (out_.size() >= kOutChunk) flush();
}

void Utf16Writer::flush() {
  if (!out_.empty()) sink_(out_);
  out_.clear();
}

// Well-formed UTF-8 per RFC 3629 / Unicode table 3-7 (no overlongs, no surrogates, at most
// U+10FFFF). A lead byte whose sequence is not well formed yields one U+FFFD and decoding resumes
// at the next byte, so every byte outside a well-formed sequence becomes one U+FFFD (this is what
// osslsigncode hashes for PowerShell files, checked by the tests).
void Utf16Writer::decode_utf8(std::span<const uint8_t> b, bool final) {
  size_t i = 0;
  const size_t n = b.size();
  while (i < n) {
    uint8_t c = b[i];
    if (c < 0x80) {
      put(c);
      ++i;
      continue;
    }
    size_t need = 0;
    uint32_t cp = 0;
    uint8_t lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      cp = c & 0x0f;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      cp = c & 0x07;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      put(kReplacement);
      ++i;
      continue;
    }
    size_t k = 1;
    bool bad = false;
    for (; k <= need && i + k < n; ++k) {
      uint8_t cc = b[i + k];
      uint8_t l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xbf;
      if (cc < l || cc > h) {
        bad = true;
        break;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (!bad && k <= need) {  // the input ends inside the sequence
      if (!final) {
        carry_.assign(b.begin() + static_cast<std::ptrdiff_t>(i), b.end());
        return;
      }
      bad = true;
    }
    if (bad) {
      put(kReplacement);
      ++i;
      continue;
    }
    put(cp);
    i += need + 1;
  }
}

void Utf16Writer::update(std::span<const uint8_t> bytes) {
  switch (charset_) {
    case Charset::utf16le: {
      // Pass the code units through; an odd byte waits for its partner in the next chunk.
      if (!carry_.empty() && !bytes.empty()) {
        out_.push_back(carry_[0]);
        out_.push_back(bytes[0]);
        ++units_;
        carry_.clear();
        bytes = bytes.subspan(1);
      }
      size_t even = bytes.size() & ~size_t{1};
      flush();
      if (even > 0) sink_(bytes.first(even));
      units_ += even / 2;
      if (even < bytes.size()) carry_.assign(1, bytes[even]);
      return;
    }
    case Charset::cp1252:
      for (uint8_t c : bytes) put(c >= 0x80 && c < 0xa0 ? kCp1252High[c - 0x80] : c);
      return;
    case Charset::utf8:
      if (carry_.empty()) {
        decode_utf8(bytes, false);
      } else {
        std::vector<uint8_t> joined(carry_);
        joined.insert(joined.end(), bytes.begin(), bytes.end());
        carry_.clear();
        decode_utf8(joined, false);
      }
      return;
  }
}

void Utf16Writer::finish() {
  if (!carry_.empty()) {
    if (charset_ == Charset::utf16le) throw io::Error("UTF-16 text ends in the middle of a character");
    std::vector<uint8_t> rest;
    rest.swap(carry_);
    decode_utf8(rest, true);
  }
  flush();
}

std::vector<uint8_t> encode_ascii(std::string_view text, bool utf16) {
  std::vector<uint8_t> out;
  out.reserve(text.size() * (utf16 ? 2 : 1));
  for (char c : text) {
    out.push_back(static_cast<uint8_t>(c));
    if (utf16) out.push_back(0);
  }
  return out;
}

}  // namespace signet::formats::script
