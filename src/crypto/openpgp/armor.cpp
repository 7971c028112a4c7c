#include "crypto/openpgp/armor.hpp"

#include <string_view>

#include "crypto/openpgp/openpgp.hpp"

namespace signet::crypto::openpgp {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr size_t kLine = 76;  // RFC 4880 §6.3: lines of no more than 76 characters

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string base64(std::span<const uint8_t> d) {
  std::string s;
  s.reserve((d.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= d.size(); i += 3) {
    uint32_t v = uint32_t{d[i]} << 16 | uint32_t{d[i + 1]} << 8 | d[i + 2];
    for (int k = 18; k >= 0; k -= 6) s += kAlphabet[(v >> k) & 63];
  }
  if (size_t r = d.size() - i; r > 0) {
    uint32_t v = uint32_t{d[i]} << 16 | (r == 2 ? uint32_t{d[i + 1]} << 8 : 0);
    s += kAlphabet[(v >> 18) & 63];
    s += kAlphabet[(v >> 12) & 63];
    s += r == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    s += '=';
  }
  return s;
}

// Decodes radix-64 text (white space already removed); false on a bad character or length.
bool unbase64(std::string_view s, SecureBytes& out) {
  if (s.size() % 4 != 0) return false;
  for (size_t i = 0; i < s.size(); i += 4) {
    uint32_t v = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      char c = s[i + k];
      if (c == '=') {
        if (i + 4 != s.size() || k < 2) return false;
        ++pad;
        v <<= 6;
        continue;
      }
      int x = b64_value(c);
      if (x < 0 || pad > 0) return false;
      v = v << 6 | static_cast<uint32_t>(x);
    }
    out.push_back(static_cast<uint8_t>(v >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(v >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(v));
  }
  return true;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool armor_line(std::string_view line, std::string_view kind, std::string& type) {
  std::string prefix = "-----" + std::string(kind) + " PGP ";
  if (line.size() < prefix.size() + 5 || line.substr(0, prefix.size()) != prefix) return false;
  if (line.substr(line.size() - 5) != "-----") return false;
  type = std::string(line.substr(prefix.size(), line.size() - prefix.size() - 5));
  return true;
}

}  // namespace

uint32_t crc24(std::span<const uint8_t> data) {
  uint32_t crc = 0xB704CE;
  for (uint8_t b : data) {
    crc ^= uint32_t{b} << 16;
    for (int i = 0; i < 8; ++i) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864CFB;
    }
  }
  return crc & 0xFFFFFF;
}

bool looks_armored(std::span<const uint8_t> input) {
  for (uint8_t b : input) {
    if (b == ' ' || b == '\t' || b == '\r' || b == '\n') continue;
    return b == '-';
  }
  return false;
}

std::vector<ArmoredBlock> dearmor(std::span<const uint8_t> input, const io::Location& where) {
  std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  std::vector<ArmoredBlock> blocks;
  enum { outside, headers, body } state = outside;
  ArmoredBlock cur;
  SecureString b64;           // holds key material for private key blocks
  b64.reserve(input.size());  // on the (cleansed) heap from the start, not in the small-string buffer
  bool has_crc = false;
  uint32_t crc = 0;
  int line_no = 0;
  auto fail = [&](const std::string& why) {
    io::Location at = where;
    at.line = line_no;
    throw io::Error("malformed ASCII armor: " + why, at);
  };
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = trim_right(text.substr(pos, nl == std::string_view::npos ? nl : nl - pos));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    std::string type;
    if (state == outside) {
      if (armor_line(line, "BEGIN", type)) {
        cur = ArmoredBlock{type, {}};
        b64.clear();
        has_crc = false;
        state = headers;
      }
      continue;
    }
    if (state == headers) {
      // "Key: Value" lines end at a blank line; tolerate a missing blank line (radix-64 has no ':').
      if (line.empty()) {
        state = body;
        continue;
      }
      if (line.find(':') != std::string_view::npos) continue;
      state = body;
    }
    if (armor_line(line, "END", type)) {
      if (type != cur.type) fail("BEGIN PGP " + cur.type + " ended by END PGP " + type);
      if (!unbase64(b64, cur.data)) fail("invalid radix-64 data");
      b64.clear();
      if (has_crc && crc != crc24(cur.data)) fail("CRC24 checksum mismatch");
      blocks.push_back(std::move(cur));
      cur = ArmoredBlock{};
      state = outside;
      continue;
    }
    if (line.size() == 5 && line[0] == '=') {
      SecureBytes c;
      if (!unbase64(line.substr(1), c) || c.size() != 3) fail("invalid checksum line");
      crc = uint32_t{c[0]} << 16 | uint32_t{c[1]} << 8 | c[2];
      has_crc = true;
      continue;
    }
    if (has_crc) fail("data after the checksum line");
    for (char ch : line) {
      if (ch != ' ' && ch != '\t') b64 += ch;
    }
  }
  if (state != outside) fail("missing END PGP " + cur.type + " line");
  if (blocks.empty()) fail("no BEGIN PGP line");
  return blocks;
}

std::string armor(std::span<const uint8_t> data, const std::string& type) {
  std::string out = "-----BEGIN PGP " + type + "-----\n\n";
  std::string b = base64(data);
  for (size_t i = 0; i < b.size(); i += kLine) out += b.substr(i, kLine) + "\n";
  uint32_t c = crc24(data);
  uint8_t cb[3] = {static_cast<uint8_t>(c >> 16), static_cast<uint8_t>(c >> 8), static_cast<uint8_t>(c)};
  out += "=" + base64(cb) + "\n";
  out += "-----END PGP " + type + "-----\n";
  return out;
}

}  // namespace signet::crypto::openpgp
