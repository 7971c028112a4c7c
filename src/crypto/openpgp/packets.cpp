#include "crypto/openpgp/packets.hpp"

#include <algorithm>
#include <bit>

namespace signet::crypto::openpgp {

uint8_t ByteReader::u8() {
  return take(1)[0];
}

uint16_t ByteReader::u16() {
  auto b = take(2);
  return static_cast<uint16_t>(b[0] << 8 | b[1]);
}

uint32_t ByteReader::u32() {
  auto b = take(4);
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

std::span<const uint8_t> ByteReader::take(size_t n) {
  if (n > left()) fail("truncated");
  auto s = d_.subspan(pos_, n);
  pos_ += n;
  return s;
}

std::span<const uint8_t> ByteReader::mpi() {
  uint16_t bits = u16();
  // Lenient like other implementations: the octet count follows from the bit count, which is not
  // required to be exact.
  return take((size_t{bits} + 7) / 8);
}

std::span<const uint8_t> ByteReader::rest() {
  return take(left());
}

void ByteReader::fail(const std::string& why) const {
  throw io::Error("malformed OpenPGP " + what_ + ": " + why + " (offset " + std::to_string(pos_) + ")",
                  where_);
}

namespace {

bool may_use_partial_lengths(uint8_t t) {
  // RFC 4880 §4.2.2.4: only data packets (compressed, symmetrically encrypted, literal, SEIPD).
  return t == 8 || t == 9 || t == 11 || t == 18 || t == 20;
}

}  // namespace

std::vector<Packet> split_packets(std::span<const uint8_t> data, const io::Location& where) {
  std::vector<Packet> out;
  ByteReader r(data, where, "packet stream");
  while (!r.empty()) {
    uint8_t h = r.u8();
    if (!(h & 0x80)) r.fail("bad packet header octet");
    Packet p;
    if (h & 0x40) {  // new format: length octets, possibly a chain of partial lengths
      p.tag = h & 0x3F;
      for (;;) {
        uint8_t o1 = r.u8();
        size_t len = 0;
        bool partial = false;
        if (o1 < 192) {
          len = o1;
        } else if (o1 < 224) {
          len = (size_t{o1} - 192) * 256 + r.u8() + 192;
        } else if (o1 == 255) {
          len = r.u32();
        } else {
          if (!may_use_partial_lengths(p.tag))
            r.fail("partial body length in packet type " + std::to_string(p.tag));
          len = size_t{1} << (o1 & 0x1F);
          partial = true;
        }
        auto chunk = r.take(len);
        p.body.insert(p.body.end(), chunk.begin(), chunk.end());
        if (!partial) break;
      }
    } else {  // old format: length type in the low two bits
      p.tag = (h >> 2) & 0x0F;
      size_t len = 0;
      switch (h & 3) {
        case 0:
          len = r.u8();
          break;
        case 1:
          len = r.u16();
          break;
        case 2:
          len = r.u32();
          break;
        default:
          len = r.left();
          break;  // indeterminate: to the end of the input
      }
      auto body = r.take(len);
      p.body.assign(body.begin(), body.end());
    }
    if (p.tag == 0) r.fail("reserved packet type 0");
    out.push_back(std::move(p));
  }
  return out;
}

void put_u16(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  put_u16(out, v >> 16);
  put_u16(out, v & 0xFFFF);
}

void append_packet(std::vector<uint8_t>& out, uint8_t tag, std::span<const uint8_t> body) {
  out.push_back(static_cast<uint8_t>(0xC0 | tag));
  size_t n = body.size();
  if (n < 192) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n < 8384) {
    out.push_back(static_cast<uint8_t>(((n - 192) >> 8) + 192));
    out.push_back(static_cast<uint8_t>((n - 192) & 0xFF));
  } else {
    out.push_back(255);
    put_u32(out, static_cast<uint32_t>(n));
  }
  out.insert(out.end(), body.begin(), body.end());
}

void append_mpi(std::vector<uint8_t>& out, std::span<const uint8_t> magnitude) {
  size_t skip = 0;
  while (skip < magnitude.size() && magnitude[skip] == 0) ++skip;
  auto m = magnitude.subspan(skip);
  size_t bits = m.empty() ? 0 : 8 * (m.size() - 1) + std::bit_width(unsigned{m[0]});
  put_u16(out, static_cast<uint32_t>(bits));
  out.insert(out.end(), m.begin(), m.end());
}

std::optional<std::vector<uint8_t>> left_pad(std::span<const uint8_t> magnitude, size_t size) {
  size_t skip = 0;
  while (skip < magnitude.size() && magnitude[skip] == 0) ++skip;
  auto m = magnitude.subspan(skip);
  if (m.size() > size) return std::nullopt;
  std::vector<uint8_t> out(size - m.size(), 0);
  out.insert(out.end(), m.begin(), m.end());
  return out;
}

std::vector<Subpacket> parse_subpackets(std::span<const uint8_t> area, const io::Location& where) {
  std::vector<Subpacket> out;
  ByteReader r(area, where, "signature subpacket");
  while (!r.empty()) {
    uint8_t o1 = r.u8();
    size_t len = 0;
    if (o1 < 192) {
      len = o1;
    } else if (o1 < 255) {
      len = (size_t{o1} - 192) * 256 + r.u8() + 192;
    } else {
      len = r.u32();
    }
    if (len == 0) r.fail("empty subpacket");
    auto body = r.take(len);
    Subpacket s;
    s.type = body[0] & 0x7F;
    s.critical = (body[0] & 0x80) != 0;
    s.data.assign(body.begin() + 1, body.end());
    out.push_back(std::move(s));
  }
  return out;
}

void append_subpacket(std::vector<uint8_t>& out, uint8_t type, std::span<const uint8_t> data) {
  size_t n = data.size() + 1;
  if (n < 192) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n < 8384) {
    out.push_back(static_cast<uint8_t>(((n - 192) >> 8) + 192));
    out.push_back(static_cast<uint8_t>((n - 192) & 0xFF));
  } else {
    out.push_back(255);
    put_u32(out, static_cast<uint32_t>(n));
  }
  out.push_back(type);
  out.insert(out.end(), data.begin(), data.end());
}

namespace {

const Subpacket* find_sub(const std::vector<Subpacket>& area, uint8_t type) {
  for (const auto& s : area) {
    if (s.type == type) return &s;
  }
  return nullptr;
}

std::optional<uint32_t> sub_u32(const std::vector<Subpacket>& area, uint8_t type) {
  const Subpacket* s = find_sub(area, type);
  if (!s || s->data.size() != 4) return std::nullopt;
  return uint32_t{s->data[0]} << 24 | uint32_t{s->data[1]} << 16 | uint32_t{s->data[2]} << 8 | s->data[3];
}

}  // namespace

// Only the hashed area is trusted for creation time, expiration and flags (RFC 4880 §5.2.3.2).
std::optional<uint32_t> SignaturePacket::created() const {
  return sub_u32(hashed, sub::creation_time);
}
std::optional<uint32_t> SignaturePacket::key_expiration() const {
  return sub_u32(hashed, sub::key_expiration);
}

std::optional<uint8_t> SignaturePacket::key_flags() const {
  const Subpacket* s = find_sub(hashed, sub::key_flags);
  if (!s) return std::nullopt;
  return s->data.empty() ? uint8_t{0} : s->data[0];
}

bool SignaturePacket::primary_user_id() const {
  const Subpacket* s = find_sub(hashed, sub::primary_user_id);
  return s && !s->data.empty() && s->data[0] != 0;
}

std::vector<uint8_t> SignaturePacket::issuer_fingerprint() const {
  for (const auto* area : {&hashed, &unhashed}) {
    const Subpacket* s = find_sub(*area, sub::issuer_fingerprint);
    if (s && s->data.size() == 21 && s->data[0] == 4) return {s->data.begin() + 1, s->data.end()};
  }
  return {};
}

std::optional<uint64_t> SignaturePacket::issuer_key_id() const {
  for (const auto* area : {&hashed, &unhashed}) {
    const Subpacket* s = find_sub(*area, sub::issuer);
    if (s && s->data.size() == 8) {
      uint64_t id = 0;
      for (uint8_t b : s->data) id = id << 8 | b;
      return id;
    }
  }
  auto fpr = issuer_fingerprint();
  if (fpr.size() != 20) return std::nullopt;
  uint64_t id = 0;
  for (size_t i = 12; i < 20; ++i) id = id << 8 | fpr[i];
  return id;
}

SignaturePacket parse_signature(std::span<const uint8_t> body, const io::Location& where) {
  ByteReader r(body, where, "signature packet");
  uint8_t version = r.u8();
  if (version != 4) r.fail("version " + std::to_string(version) + " signatures are not supported");
  SignaturePacket s;
  s.type = r.u8();
  s.pk_algo = r.u8();
  s.hash_algo = r.u8();
  auto hashed = r.take(r.u16());
  s.hashed_prefix.assign(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(r.pos()));
  auto unhashed = r.take(r.u16());
  s.hashed = parse_subpackets(hashed, where);
  s.unhashed = parse_subpackets(unhashed, where);
  auto l16 = r.take(2);
  s.left16[0] = l16[0];
  s.left16[1] = l16[1];
  while (!r.empty()) {
    auto m = r.mpi();
    s.mpis.emplace_back(m.begin(), m.end());
  }
  return s;
}

std::vector<uint8_t> signature_trailer(std::span<const uint8_t> hashed_prefix) {
  std::vector<uint8_t> t{0x04, 0xFF};
  put_u32(t, static_cast<uint32_t>(hashed_prefix.size()));
  return t;
}

uint8_t hash_id(io::HashAlg alg) {
  switch (alg) {
    case io::HashAlg::sha1:
      return 2;
    case io::HashAlg::sha256:
      return 8;
    case io::HashAlg::sha384:
      return 9;
    case io::HashAlg::sha512:
      return 10;
  }
  return 0;
}

std::optional<io::HashAlg> hash_alg(uint8_t id) {
  switch (id) {
    case 2:
      return io::HashAlg::sha1;
    case 8:
      return io::HashAlg::sha256;
    case 9:
      return io::HashAlg::sha384;
    case 10:
      return io::HashAlg::sha512;
    default:
      return std::nullopt;
  }
}

std::string hash_display(uint8_t id) {
  if (auto a = hash_alg(id)) return std::string(io::hash_alg_name(*a));
  static const char* names[] = {nullptr, "md5",   nullptr, "ripemd160", nullptr, nullptr,
                                nullptr, nullptr, nullptr, nullptr,     nullptr, "sha224"};
  if (id < std::size(names) && names[id]) return names[id];
  return "hash algorithm " + std::to_string(id);
}

std::string upper_hex(std::span<const uint8_t> data) {
  static const char* k = "0123456789ABCDEF";
  std::string s;
  s.reserve(data.size() * 2);
  for (uint8_t b : data) {
    s += k[b >> 4];
    s += k[b & 15];
  }
  return s;
}

}  // namespace signet::crypto::openpgp
