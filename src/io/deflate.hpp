// Raw deflate (RFC 1951: no zlib or gzip wrapper) at zlib's default level, as zip entries and
// MSZIP cabinet blocks store it. Streams in bounded memory: output leaves in pieces of at most
// 256 KiB, however large the input.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace signet::io {

class RawDeflate {
 public:
  using Sink = std::function<void(std::span<const uint8_t>)>;
  // `what` names the output in error messages (the container being written).
  explicit RawDeflate(std::string what);
  ~RawDeflate();
  RawDeflate(const RawDeflate&) = delete;
  RawDeflate& operator=(const RawDeflate&) = delete;

  // Streaming: compresses `in`, handing what comes out to `sink`; finish() ends the stream.
  void update(std::span<const uint8_t> in, const Sink& sink);
  void finish(const Sink& sink);
  // One complete stream of `in` appended to `out`, starting afresh and primed with `dictionary`
  // (empty for none).
  void compress_block(std::span<const uint8_t> in, std::span<const uint8_t> dictionary,
                      std::vector<uint8_t>& out);

 private:
  void pump(std::span<const uint8_t> in, int flush, const Sink& sink);
  [[noreturn]] void fail(const std::string& why) const;
  struct Stream;
  std::unique_ptr<Stream> z_;
  std::string what_;
  std::vector<uint8_t> buf_;
};

// The most a raw deflate stream of n bytes can take (zlib's bound for default settings, plus slack).
inline uint64_t deflate_bound(uint64_t n) {
  return n + (n >> 12) + (n >> 14) + (n >> 25) + 64;
}

}  // namespace signet::io
