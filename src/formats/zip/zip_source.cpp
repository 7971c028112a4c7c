// Entry sources: stored entries are a plain range of the container (zero copy) whose reader checks
// the CRC-32; deflated entries inflate while read, in bounded memory, and check the declared size
// and CRC-32 as the last byte comes out. Every open() has its own state and reads with pread, so
// sources can be opened from several threads at once.
#include <zlib.h>

#include <algorithm>
#include <cstdio>

#include "formats/zip/zip_internal.hpp"
#include "io/crc32.hpp"

namespace signet::formats::zip {

namespace {

constexpr size_t kInBuf = 256 << 10;

std::string num(uint64_t v) {
  return std::to_string(v);
}
std::string hex32(uint32_t v) {
  char buf[11];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

// What a reader needs to know about its entry (copied into the source, shared by its readers).
struct EntryInfo {
  io::FileRange data;  // compressed bytes, absolute offsets in data.file
  uint64_t usize = 0;
  uint32_t crc = 0;
  std::string container;
  std::string raw_name;
  std::string path;

  [[noreturn]] void fail(const std::string& why) const { fail_entry(container, raw_name, why); }
  void check_crc(uint32_t got) const {
    if (got != crc) fail("CRC-32 mismatch (computed " + hex32(got) + ", declared " + hex32(crc) + ")");
  }
};

uint32_t update_crc(uint32_t crc, std::span<const uint8_t> d) {
  return io::crc32(crc, d);
}

class StoredReader : public io::Reader {
 public:
  explicit StoredReader(std::shared_ptr<const EntryInfo> info) : info_(std::move(info)) {}
  size_t read(std::span<uint8_t> buf) override {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), info_->usize - pos_));
    if (want == 0) return 0;
    size_t n = info_->data.file->read_at(info_->data.offset + pos_, buf.first(want));
    if (n == 0) info_->fail("the archive is shorter than expected");
    crc_ = update_crc(crc_, buf.first(n));
    pos_ += n;
    if (pos_ == info_->usize) info_->check_crc(crc_);  // before the last bytes are handed out
    return n;
  }

 private:
  std::shared_ptr<const EntryInfo> info_;
  uint64_t pos_ = 0;
  uint32_t crc_ = 0;
};

class StoredSource : public io::Source {
 public:
  explicit StoredSource(std::shared_ptr<const EntryInfo> info) : info_(std::move(info)) {}
  uint64_t size() const override { return info_->usize; }
  std::unique_ptr<io::Reader> open() const override {
    if (info_->usize == 0) info_->check_crc(0);
    return std::make_unique<StoredReader>(info_);
  }
  std::optional<io::FileRange> file_range() const override { return info_->data; }
  std::string name() const override { return info_->path; }

 private:
  std::shared_ptr<const EntryInfo> info_;
};

class InflateReader : public io::Reader {
 public:
  explicit InflateReader(std::shared_ptr<const EntryInfo> info)
      : info_(std::move(info)),
        in_(static_cast<size_t>(std::min<uint64_t>(kInBuf, std::max<uint64_t>(info_->data.size, 1)))),
        in_left_(info_->data.size) {
    if (inflateInit2(&z_, -MAX_WBITS) != Z_OK) info_->fail("cannot initialise zlib");
  }
  InflateReader(const InflateReader&) = delete;
  InflateReader& operator=(const InflateReader&) = delete;
  ~InflateReader() override { inflateEnd(&z_); }

  size_t read(std::span<uint8_t> buf) override {
    if (done_ || buf.empty()) return 0;
    uint64_t room = info_->usize - total_;
    if (room == 0) {
      finish();
      return 0;
    }
    // Never ask for more than the declared size: the excess is detected by finish().
    auto want = static_cast<uInt>(std::min<uint64_t>({buf.size(), room, 1u << 30}));
    z_.next_out = buf.data();
    z_.avail_out = want;
    while (!stream_end_ && z_.avail_out == want) step();
    size_t n = want - z_.avail_out;
    crc_ = update_crc(crc_, buf.first(n));
    total_ += n;
    if (total_ == info_->usize) {
      finish();
    } else if (stream_end_) {
      info_->fail("deflate data inflates to " + num(total_) + " bytes, fewer than the declared " +
                  num(info_->usize));
    }
    return n;
  }

 private:
  // One inflate() call, refilling the input first; throws on corrupt or truncated data.
  void step() {
    if (z_.avail_in == 0 && in_left_ > 0) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(in_.size(), in_left_));
      uint64_t at = info_->data.offset + (info_->data.size - in_left_);
      if (info_->data.file->read_at(at, std::span<uint8_t>(in_.data(), want)) != want) {
        info_->fail("the archive is shorter than expected");
      }
      in_left_ -= want;
      z_.next_in = in_.data();
      z_.avail_in = static_cast<uInt>(want);
    }
    int rc = inflate(&z_, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      stream_end_ = true;
    } else if (rc == Z_BUF_ERROR && z_.avail_in == 0 && in_left_ == 0) {
      info_->fail("deflate data is truncated (the stream does not end within its " + num(info_->data.size) +
                  " compressed bytes)");
    } else if (rc != Z_OK) {
      info_->fail(std::string("invalid deflate data (zlib: ") + (z_.msg ? z_.msg : zError(rc)) + ")");
    }
  }

  // The declared size has come out: the stream must end here, use all its bytes, and match the CRC.
  void finish() {
    uint8_t probe[1];
    while (!stream_end_) {
      z_.next_out = probe;
      z_.avail_out = 1;
      step();
      if (z_.avail_out == 0) {
        info_->fail("deflate data inflates to more than the declared " + num(info_->usize) + " bytes");
      }
    }
    uint64_t unused = z_.avail_in + in_left_;
    if (unused != 0) {
      info_->fail("deflate stream ends " + num(unused) +
                  " bytes before the end of its declared compressed size");
    }
    info_->check_crc(crc_);
    done_ = true;
  }

  std::shared_ptr<const EntryInfo> info_;
  std::vector<uint8_t> in_;
  uint64_t in_left_;  // compressed bytes not yet read
  z_stream z_{};
  uint64_t total_ = 0;
  uint32_t crc_ = 0;
  bool stream_end_ = false;
  bool done_ = false;
};

class InflateSource : public io::Source {
 public:
  explicit InflateSource(std::shared_ptr<const EntryInfo> info) : info_(std::move(info)) {}
  uint64_t size() const override { return info_->usize; }
  std::unique_ptr<io::Reader> open() const override {
    auto reader = std::make_unique<InflateReader>(info_);
    if (info_->usize == 0) {  // nobody may call read() for an empty entry: check its stream now
      uint8_t probe[1];
      reader->read(probe);
    }
    return reader;
  }
  std::string name() const override { return info_->path; }

 private:
  std::shared_ptr<const EntryInfo> info_;
};

std::string method_name(uint16_t m) {
  switch (m) {
    case 1:
      return " (shrink)";
    case 6:
      return " (implode)";
    case 9:
      return " (deflate64)";
    case 12:
      return " (bzip2)";
    case 14:
      return " (lzma)";
    case 93:
      return " (zstandard)";
    case 95:
      return " (xz)";
    case 98:
      return " (ppmd)";
    case 99:
      return " (AES encryption)";
    default:
      return "";
  }
}

}  // namespace

io::SourcePtr make_entry_source(const Archive& a, size_t index) {
  if (index >= a.records.size()) {
    fail(a.name, "no entry " + num(index) + " (the archive has " + num(a.records.size()) + " entries)");
  }
  const Record& r = a.records[index];
  auto info = std::make_shared<EntryInfo>();
  info->data = io::FileRange{a.range.file, a.range.offset + r.data_offset, r.csize};
  info->usize = r.usize;
  info->crc = r.crc;
  info->container = a.name;
  info->path = a.entries[index].path;
  info->raw_name = r.raw_name.empty() ? info->path : r.raw_name;
  if (r.flags & (kFlagEncrypted | kFlagStrongEncryption)) info->fail("encrypted entries are not supported");
  // Some writers store an empty file as "deflated" with no bytes at all: that is just empty.
  bool empty = r.csize == 0 && r.usize == 0;
  if (r.method == kMethodStored || (r.method == kMethodDeflate && empty)) {
    return std::make_shared<StoredSource>(std::move(info));
  }
  if (r.method == kMethodDeflate) return std::make_shared<InflateSource>(std::move(info));
  info->fail("compression method " + num(r.method) + method_name(r.method) +
             " is not supported (only stored and deflate)");
}

}  // namespace signet::formats::zip
