// Small helpers shared by the cabinet code (and the MSI format, whose files live in cabinets).
#include <cctype>

#include "formats/cab/cab_internal.hpp"
#include "io/ascii.hpp"

namespace signet::formats::cab {

uint32_t checksum(std::span<const uint8_t> data, uint32_t seed) {
  uint32_t csum = seed;
  size_t words = data.size() / 4;
  const uint8_t* p = data.data();
  for (size_t i = 0; i < words; ++i, p += 4) csum ^= get32(p);
  uint32_t tail = 0;
  switch (data.size() % 4) {  // [MS-CAB] packs the leftover bytes first-byte-highest
    case 3:
      tail |= static_cast<uint32_t>(*p++) << 16;
      [[fallthrough]];
    case 2:
      tail |= static_cast<uint32_t>(*p++) << 8;
      [[fallthrough]];
    case 1:
      tail |= *p;
      break;
    default:
      break;
  }
  return csum ^ tail;
}

std::string num(uint64_t v) {
  return std::to_string(v);
}

std::string path_problem(std::string_view path) {
  if (path.empty()) return "the name is empty";
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20) return "the name contains control characters";
  }
  if (path[0] == '/') return "the name is an absolute path";
  if (path.size() >= 2 && std::isalpha(static_cast<unsigned char>(path[0])) && path[1] == ':') {
    return "the name starts with a drive letter";
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg.empty()) return "the name has an empty path segment";
    if (seg == "." || seg == "..") return "the name contains a '" + std::string(seg) + "' segment";
    start = end + 1;
  }
  return {};
}

std::string path_key(std::string_view path) {
  return io::ascii_lower(path);
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n;
    if (c < 0x80) {
      n = 0;
    } else if (c >= 0xC2 && c < 0xE0) {
      n = 1;
    } else if (c >= 0xE0 && c < 0xF0) {
      n = 2;
    } else if (c >= 0xF0 && c < 0xF5) {
      n = 3;
    } else {
      return false;
    }
    if (s.size() - i - 1 < n) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

namespace {
// Windows-1252 0x80..0x9F (0 where undefined: those map to the C1 control of the same value).
constexpr uint16_t kCp1252High[32] = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                      0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                      0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}
}  // namespace

std::string to_utf8(std::string_view bytes) {
  if (valid_utf8(bytes)) return std::string(bytes);
  std::string out;
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    uint32_t cp = c;
    if (c >= 0x80 && c < 0xA0 && kCp1252High[c - 0x80] != 0) cp = kCp1252High[c - 0x80];
    append_utf8(out, cp);
  }
  return out;
}

}  // namespace signet::formats::cab
