// Little-endian integers in byte buffers, as the Microsoft and PKWARE formats store them:
// get (load from a pointer), set (overwrite at a pointer), put (append to a vector). Callers check
// bounds first; these only move bytes.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace signet::io::le {

inline uint16_t get16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t get32(const uint8_t* p) {
  return get16(p) | (static_cast<uint32_t>(get16(p + 2)) << 16);
}
inline uint64_t get64(const uint8_t* p) {
  return get32(p) | (static_cast<uint64_t>(get32(p + 4)) << 32);
}
inline void set16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void set32(uint8_t* p, uint32_t v) {
  set16(p, static_cast<uint16_t>(v));
  set16(p + 2, static_cast<uint16_t>(v >> 16));
}
inline void set64(uint8_t* p, uint64_t v) {
  set32(p, static_cast<uint32_t>(v));
  set32(p + 4, static_cast<uint32_t>(v >> 32));
}
inline void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
inline void put32(std::vector<uint8_t>& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v));
  put16(b, static_cast<uint16_t>(v >> 16));
}
inline void put64(std::vector<uint8_t>& b, uint64_t v) {
  put32(b, static_cast<uint32_t>(v));
  put32(b, static_cast<uint32_t>(v >> 32));
}
inline void put_bytes(std::vector<uint8_t>& b, std::span<const uint8_t> s) {
  b.insert(b.end(), s.begin(), s.end());
}

}  // namespace signet::io::le
