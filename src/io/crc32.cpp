#include "io/crc32.hpp"

#include <zlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace signet::io {

namespace {

uint32_t crc32_zlib(uint32_t crc, const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(::crc32_z(crc, p, n));
}

#if defined(__x86_64__)
// Folding per Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ": 512-bit
// strides with x^(512±32) mod P, then 128-bit strides with x^(128±32) mod P (bit-reflected).
// The folded 128-bit remainder is congruent to the message, so a plain CRC of its 16 bytes
// (continued over the tail) finishes the job without a Barrett reduction.
__attribute__((target("pclmul,sse4.1"))) inline __m128i fold(__m128i x, __m128i k, __m128i next) {
  __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

__attribute__((target("pclmul,sse4.1"))) uint32_t crc32_clmul(uint32_t crc, const uint8_t* p, size_t n) {
  const __m128i k512 = _mm_set_epi64x(0x1c6e41596LL, 0x154442bd4LL);
  const __m128i k128 = _mm_set_epi64x(0x0ccaa009eLL, 0x1751997d0LL);
  auto load = [](const uint8_t* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); };
  __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(~crc)));
  __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
  p += 64;
  n -= 64;
  while (n >= 64) {
    x0 = fold(x0, k512, load(p));
    x1 = fold(x1, k512, load(p + 16));
    x2 = fold(x2, k512, load(p + 32));
    x3 = fold(x3, k512, load(p + 48));
    p += 64;
    n -= 64;
  }
  x0 = fold(x0, k128, x1);
  x0 = fold(x0, k128, x2);
  x0 = fold(x0, k128, x3);
  while (n >= 16) {
    x0 = fold(x0, k128, load(p));
    p += 16;
    n -= 16;
  }
  alignas(16) uint8_t rest[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(rest), x0);
  return crc32_zlib(crc32_zlib(0xffffffffu, rest, 16), p, n);
}

bool have_clmul() {
  static const bool yes = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return yes;
}
#endif

}  // namespace

uint32_t crc32(uint32_t crc, std::span<const uint8_t> data) {
#if defined(__x86_64__)
  if (data.size() >= 256 && have_clmul()) return crc32_clmul(crc, data.data(), data.size());
#endif
  return crc32_zlib(crc, data.data(), data.size());
}

}  // namespace signet::io
