#include "io/deflate.hpp"

#include <zlib.h>

#include "io/error.hpp"

namespace signet::io {

namespace {
constexpr size_t kOutPiece = 256 << 10;
}  // namespace

struct RawDeflate::Stream {
  z_stream z{};
  ~Stream() { deflateEnd(&z); }
};

RawDeflate::RawDeflate(std::string what) : what_(std::move(what)) {
  auto s = std::make_unique<Stream>();
  if (deflateInit2(&s->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    // deflateEnd on a stream whose init failed is harmless (it reports Z_STREAM_ERROR).
    fail("cannot initialise zlib");
  }
  z_ = std::move(s);
}

RawDeflate::~RawDeflate() = default;

void RawDeflate::fail(const std::string& why) const {
  throw Error(why, Location{what_});
}

void RawDeflate::pump(std::span<const uint8_t> in, int flush, const Sink& sink) {
  if (buf_.empty()) buf_.resize(kOutPiece);
  z_stream& z = z_->z;
  z.next_in = const_cast<Bytef*>(in.data());  // zlib does not write through next_in
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  do {
    z.next_out = buf_.data();
    z.avail_out = static_cast<uInt>(buf_.size());
    rc = deflate(&z, flush);
    if (rc == Z_STREAM_ERROR) fail("deflate failed");
    size_t have = buf_.size() - z.avail_out;
    if (have) sink(std::span<const uint8_t>(buf_.data(), have));
  } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
}

void RawDeflate::update(std::span<const uint8_t> in, const Sink& sink) {
  pump(in, Z_NO_FLUSH, sink);
}

void RawDeflate::finish(const Sink& sink) {
  pump({}, Z_FINISH, sink);
}

void RawDeflate::compress_block(std::span<const uint8_t> in, std::span<const uint8_t> dictionary,
                                std::vector<uint8_t>& out) {
  z_stream& z = z_->z;
  if (deflateReset(&z) != Z_OK) fail("cannot reset zlib");
  if (!dictionary.empty() &&
      deflateSetDictionary(&z, dictionary.data(), static_cast<uInt>(dictionary.size())) != Z_OK) {
    fail("cannot set the deflate dictionary");
  }
  size_t start = out.size();
  out.resize(start + deflateBound(&z, in.size()) + 16);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data() + start;
  z.avail_out = static_cast<uInt>(out.size() - start);
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) fail("deflate failed");
  out.resize(out.size() - z.avail_out);
}

}  // namespace signet::io
