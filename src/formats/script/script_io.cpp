#include "formats/script/script_io.hpp"

#include <algorithm>
#include <cstring>

#include "io/error.hpp"

namespace signet::formats::script {

namespace {

constexpr size_t kChunk = 256 * 1024;

[[noreturn]] void short_source(const io::Source& src) {
  throw io::Error("file is shorter than its declared size", io::Location{src.name()});
}

// A reader over [offset, offset + size) of a source: positional reads when the source is a file
// range, otherwise the source's own reader with the first `offset` bytes skipped.
class RangeReader {
 public:
  RangeReader(const io::Source& src, uint64_t offset, uint64_t size)
      : src_(src), range_(src.file_range()), pos_(offset), left_(size) {
    if (offset > src.size() || size > src.size() - offset) short_source(src);
    if (!range_) {
      reader_ = src.open();
      std::vector<uint8_t> skip(static_cast<size_t>(std::min<uint64_t>(offset, kChunk)));
      for (uint64_t todo = offset; todo > 0;) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(todo, skip.size()));
        size_t n = reader_->read(std::span<uint8_t>(skip.data(), want));
        if (n == 0) short_source(src);
        todo -= n;
      }
    }
  }

  size_t read(std::span<uint8_t> buf) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(left_, buf.size()));
    if (want == 0) return 0;
    size_t n = range_ ? range_->file->read_at(range_->offset + pos_, buf.first(want))
                      : reader_->read(buf.first(want));
    if (n == 0) short_source(src_);
    pos_ += n;
    left_ -= n;
    return n;
  }

 private:
  const io::Source& src_;
  std::optional<io::FileRange> range_;
  std::unique_ptr<io::Reader> reader_;
  uint64_t pos_;
  uint64_t left_;
};

class SplicedSource : public io::Source {
 public:
  SplicedSource(io::SourcePtr base, std::vector<Piece> pieces, std::string name)
      : base_(std::move(base)), pieces_(std::move(pieces)), name_(std::move(name)) {
    for (const auto& p : pieces_) size_ += p.bytes ? p.bytes->size() : p.size;
  }
  uint64_t size() const override { return size_; }
  std::string name() const override { return name_; }
  std::unique_ptr<io::Reader> open() const override { return std::make_unique<Reader>(*this); }

 private:
  class Reader : public io::Reader {
   public:
    explicit Reader(const SplicedSource& s) : s_(s) {}
    size_t read(std::span<uint8_t> buf) override {
      while (index_ < s_.pieces_.size()) {
        const Piece& p = s_.pieces_[index_];
        if (p.bytes) {
          size_t n = std::min(buf.size(), p.bytes->size() - static_cast<size_t>(done_));
          if (n > 0) {
            std::memcpy(buf.data(), p.bytes->data() + done_, n);
            done_ += n;
            return n;
          }
        } else {
          if (!range_) range_ = std::make_unique<RangeReader>(*s_.base_, p.offset, p.size);
          size_t n = range_->read(buf);
          if (n > 0) return n;
        }
        ++index_;
        done_ = 0;
        range_.reset();
      }
      return 0;
    }

   private:
    const SplicedSource& s_;
    size_t index_ = 0;
    uint64_t done_ = 0;
    std::unique_ptr<RangeReader> range_;
  };

  io::SourcePtr base_;
  std::vector<Piece> pieces_;
  std::string name_;
  uint64_t size_ = 0;
};

}  // namespace

void read_range(const io::Source& src, uint64_t offset, uint64_t size, const ChunkFn& fn) {
  RangeReader r(src, offset, size);
  std::vector<uint8_t> buf(static_cast<size_t>(std::min<uint64_t>(std::max<uint64_t>(size, 1), kChunk)));
  for (size_t n; (n = r.read(buf)) > 0;) fn(std::span<const uint8_t>(buf.data(), n));
}

std::vector<uint8_t> read_bytes(const io::Source& src, uint64_t offset, uint64_t size) {
  std::vector<uint8_t> out;
  out.reserve(static_cast<size_t>(size));
  read_range(src, offset, size,
             [&](std::span<const uint8_t> c) { out.insert(out.end(), c.begin(), c.end()); });
  return out;
}

std::optional<uint64_t> find_last(const io::Source& src, uint64_t from, uint64_t to,
                                  std::span<const uint8_t> pattern, unsigned align) {
  if (pattern.empty() || to < from || to - from < pattern.size()) return std::nullopt;
  std::optional<uint64_t> last;
  // Each chunk is searched together with the tail of the previous one, so matches across a chunk
  // boundary are found; `window_start` is the file offset of window[0].
  std::vector<uint8_t> window;
  uint64_t window_start = from;
  read_range(src, from, to - from, [&](std::span<const uint8_t> chunk) {
    window.insert(window.end(), chunk.begin(), chunk.end());
    auto it = window.begin();
    while ((it = std::search(it, window.end(), pattern.begin(), pattern.end())) != window.end()) {
      uint64_t at = window_start + static_cast<uint64_t>(it - window.begin());
      if (at % align == 0) last = at;
      ++it;
    }
    size_t keep = std::min(window.size(), pattern.size() - 1);
    window_start += window.size() - keep;
    window.erase(window.begin(), window.end() - static_cast<std::ptrdiff_t>(keep));
  });
  return last;
}

int line_at(const io::Source& src, uint64_t offset, unsigned unit) {
  uint64_t lines = 1;
  uint64_t pos = 0;
  bool pending_lf = false;  // UTF-16: a 0x0a low byte waiting for its high byte
  read_range(src, 0, std::min(offset, src.size()), [&](std::span<const uint8_t> c) {
    for (uint8_t b : c) {
      if (unit == 1) {
        if (b == '\n') ++lines;
      } else if (pos % 2 == 0) {
        pending_lf = b == '\n';
      } else if (pending_lf && b == 0) {
        ++lines;
      }
      ++pos;
    }
  });
  return lines > static_cast<uint64_t>(INT32_MAX) ? INT32_MAX : static_cast<int>(lines);
}

io::SourcePtr spliced_source(io::SourcePtr base, std::vector<Piece> pieces, std::string name) {
  return std::make_shared<SplicedSource>(std::move(base), std::move(pieces), std::move(name));
}

}  // namespace signet::formats::script
