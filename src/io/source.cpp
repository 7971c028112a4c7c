#include "io/source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/error.hpp"

namespace signet::io {

namespace {

constexpr size_t kChunk = 1 << 20;

class RangeReader : public Reader {
 public:
  explicit RangeReader(FileRange r) : r_(std::move(r)) {}
  size_t read(std::span<uint8_t> buf) override {
    uint64_t left = r_.size - pos_;
    size_t want = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    if (want == 0) return 0;
    size_t n = r_.file->read_at(r_.offset + pos_, buf.first(want));
    if (n == 0) throw Error("file is shorter than expected", Location{r_.file->path().string()});
    pos_ += n;
    return n;
  }

 private:
  FileRange r_;
  uint64_t pos_ = 0;
};

class RangeSource : public Source {
 public:
  RangeSource(FileRange r, std::string name) : r_(std::move(r)), name_(std::move(name)) {}
  uint64_t size() const override { return r_.size; }
  std::unique_ptr<Reader> open() const override { return std::make_unique<RangeReader>(r_); }
  std::optional<FileRange> file_range() const override { return r_; }
  std::string name() const override { return name_; }

 private:
  FileRange r_;
  std::string name_;
};

class MemoryReader : public Reader {
 public:
  explicit MemoryReader(std::span<const uint8_t> d) : d_(d) {}
  size_t read(std::span<uint8_t> buf) override {
    size_t n = std::min(buf.size(), d_.size() - pos_);
    if (n) std::memcpy(buf.data(), d_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::span<const uint8_t> d_;
  size_t pos_ = 0;
};

class MemorySource : public Source {
 public:
  MemorySource(std::vector<uint8_t> b, std::string name) : b_(std::move(b)), name_(std::move(name)) {}
  uint64_t size() const override { return b_.size(); }
  std::unique_ptr<Reader> open() const override { return std::make_unique<MemoryReader>(b_); }
  std::string name() const override { return name_; }

 private:
  std::vector<uint8_t> b_;
  std::string name_;
};

class PiecesReader : public Reader {
 public:
  explicit PiecesReader(std::shared_ptr<const std::vector<Piece>> p) : p_(std::move(p)) {}
  size_t read(std::span<uint8_t> buf) override {
    while (i_ < p_->size()) {
      const Piece& piece = (*p_)[i_];
      uint64_t size = piece.range ? piece.range->size : piece.bytes.size();
      if (pos_ == size) {
        ++i_;
        pos_ = 0;
        continue;
      }
      size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - pos_));
      size_t n;
      if (piece.range) {
        n = piece.range->file->read_at(piece.range->offset + pos_, buf.first(want));
        if (n == 0)
          throw Error("file is shorter than expected", Location{piece.range->file->path().string()});
      } else {
        std::memcpy(buf.data(), piece.bytes.data() + pos_, want);
        n = want;
      }
      pos_ += n;
      return n;
    }
    return 0;
  }

 private:
  std::shared_ptr<const std::vector<Piece>> p_;
  size_t i_ = 0;
  uint64_t pos_ = 0;
};

class PiecesSource : public Source {
 public:
  PiecesSource(std::vector<Piece> p, std::string name)
      : p_(std::make_shared<const std::vector<Piece>>(std::move(p))), name_(std::move(name)) {
    for (const auto& piece : *p_) size_ += piece.range ? piece.range->size : piece.bytes.size();
  }
  uint64_t size() const override { return size_; }
  std::unique_ptr<Reader> open() const override { return std::make_unique<PiecesReader>(p_); }
  std::vector<Piece> pieces() const override { return *p_; }
  std::string name() const override { return name_; }

 private:
  std::shared_ptr<const std::vector<Piece>> p_;
  std::string name_;
  uint64_t size_ = 0;
};

}  // namespace

SourcePtr pieces_source(std::vector<Piece> pieces, std::string name) {
  return std::make_shared<PiecesSource>(std::move(pieces), std::move(name));
}

SourcePtr file_source(const std::filesystem::path& path) {
  auto f = std::make_shared<const File>(File::open_read(path));
  uint64_t size = f->size();
  return std::make_shared<RangeSource>(FileRange{f, 0, size}, path.filename().string());
}

SourcePtr range_source(FileRange range, std::string name) {
  return std::make_shared<RangeSource>(std::move(range), std::move(name));
}

SourcePtr memory_source(std::vector<uint8_t> bytes, std::string name) {
  return std::make_shared<MemorySource>(std::move(bytes), std::move(name));
}

std::vector<uint8_t> read_all(const Source& src, uint64_t max_bytes) {
  if (src.size() > max_bytes) {
    throw Error("file is too large (" + std::to_string(src.size()) + " bytes, limit " +
                    std::to_string(max_bytes) + ")",
                Location{src.name()});
  }
  std::vector<uint8_t> out(static_cast<size_t>(src.size()));
  auto r = src.open();
  size_t done = 0;
  while (done < out.size()) {
    size_t n = r->read(std::span<uint8_t>(out).subspan(done));
    if (n == 0) throw Error("file is shorter than its declared size", Location{src.name()});
    done += n;
  }
  return out;
}

void for_each_chunk(const Source& src, const std::function<void(std::span<const uint8_t>)>& fn) {
  std::vector<uint8_t> buf(
      static_cast<size_t>(std::min<uint64_t>(kChunk, std::max<uint64_t>(src.size(), 1))));
  auto r = src.open();
  uint64_t total = 0;
  for (;;) {
    size_t n = r->read(buf);
    if (n == 0) break;
    total += n;
    fn(std::span<const uint8_t>(buf.data(), n));
  }
  if (total != src.size()) {
    throw Error("read " + std::to_string(total) + " bytes but expected " + std::to_string(src.size()),
                Location{src.name()});
  }
}

FileRange materialize(const Source& src, TempDir& dir) {
  if (auto r = src.file_range()) return *r;
  auto path = dir.new_file(src.name());
  File out = File::create(path);
  for_each_chunk(src, [&](std::span<const uint8_t> c) { out.write_all(c); });
  auto f = std::make_shared<const File>(std::move(out));
  return FileRange{f, 0, src.size()};
}

void copy_to(const Source& src, File& out) {
  if (auto pieces = src.pieces(); !pieces.empty()) {
    for (const auto& piece : pieces) {
      if (piece.range) {
        copy_to(RangeSource(*piece.range, src.name()), out);
      } else {
        out.write_all(piece.bytes);
      }
    }
    return;
  }
  if (auto r = src.file_range()) {
    loff_t in_off = static_cast<loff_t>(r->offset);
    uint64_t left = r->size;
    while (left > 0) {
      ssize_t n = ::copy_file_range(r->file->fd(), &in_off, out.fd(), nullptr,
                                    static_cast<size_t>(std::min<uint64_t>(left, 1ull << 30)), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP) break;  // fall back
        throw Error(std::string("copy failed: ") + std::strerror(errno), Location{out.path().string()});
      }
      if (n == 0) throw Error("file is shorter than expected", Location{r->file->path().string()});
      left -= static_cast<uint64_t>(n);
    }
    if (left == 0) return;
    // Fallback for the rest: plain reads.
    std::vector<uint8_t> buf(kChunk);
    uint64_t pos = static_cast<uint64_t>(in_off);
    while (left > 0) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
      r->file->read_exact(pos, std::span<uint8_t>(buf.data(), want));
      out.write_all(std::span<const uint8_t>(buf.data(), want));
      pos += want;
      left -= want;
    }
    return;
  }
  for_each_chunk(src, [&](std::span<const uint8_t> c) { out.write_all(c); });
}

namespace {

// copy_file_range of [in_off, in_off + len) to `out_off`; plain reads and writes where the kernel
// cannot.
void copy_range_at(const FileRange& r, uint64_t in_off, uint64_t len, File& out, uint64_t out_off) {
  loff_t src = static_cast<loff_t>(r.offset + in_off), dst = static_cast<loff_t>(out_off);
  while (len > 0) {
    ssize_t n = ::copy_file_range(r.file->fd(), &src, out.fd(), &dst,
                                  static_cast<size_t>(std::min<uint64_t>(len, 1ull << 30)), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP) break;
      throw Error(std::string("copy failed: ") + std::strerror(errno), Location{out.path().string()});
    }
    if (n == 0) throw Error("file is shorter than expected", Location{r.file->path().string()});
    len -= static_cast<uint64_t>(n);
  }
  std::vector<uint8_t> buf(static_cast<size_t>(std::min<uint64_t>(len, kChunk)));
  while (len > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(len, buf.size()));
    r.file->read_exact(static_cast<uint64_t>(src) - r.offset, std::span<uint8_t>(buf.data(), want));
    for (size_t done = 0; done < want;) {
      ssize_t n = ::pwrite(out.fd(), buf.data() + done, want - done, dst + static_cast<loff_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        throw Error(std::string("write failed: ") + std::strerror(errno), Location{out.path().string()});
      done += static_cast<size_t>(n);
    }
    src += static_cast<loff_t>(want);
    dst += static_cast<loff_t>(want);
    len -= want;
  }
}

}  // namespace

uint64_t copy_ahead(const FileRange& src, File& out, const std::function<bool()>& stop) {
  constexpr uint64_t kSlice = 32 << 20;
  uint64_t done = 0;
  while (done < src.size && !stop()) {
    const uint64_t n = std::min(kSlice, src.size - done);
    copy_range_at(src, done, n, out, done);
    // Advisory: errors only mean the fsync at commit does all the waiting.
    (void)::sync_file_range(out.fd(), static_cast<off_t>(done), static_cast<off_t>(n), SYNC_FILE_RANGE_WRITE);
    done += n;
  }
  return done;
}

void copy_over(const Source& src, File& out, const FileRange& base, uint64_t have) {
  std::vector<Piece> pieces = src.pieces();
  if (pieces.empty()) {
    if (auto r = src.file_range()) {
      pieces.push_back(Piece{*r, {}});
    } else {  // nothing to keep: write it all again
      if (::lseek(out.fd(), 0, SEEK_SET) < 0) throw Error("seek failed", Location{out.path().string()});
      copy_to(src, out);
      if (::ftruncate(out.fd(), static_cast<off_t>(src.size())) != 0)
        throw Error(std::string("truncate failed: ") + std::strerror(errno), Location{out.path().string()});
      return;
    }
  }
  uint64_t pos = 0;
  for (const auto& p : pieces) {
    const uint64_t len = p.range ? p.range->size : p.bytes.size();
    if (p.range) {
      const bool in_place =
          p.range->file == base.file && p.range->offset == base.offset + pos && pos + len <= have;
      if (!in_place) copy_range_at(*p.range, 0, len, out, pos);
    } else {
      for (size_t done = 0; done < p.bytes.size();) {
        ssize_t n =
            ::pwrite(out.fd(), p.bytes.data() + done, p.bytes.size() - done, static_cast<off_t>(pos + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
          throw Error(std::string("write failed: ") + std::strerror(errno), Location{out.path().string()});
        done += static_cast<size_t>(n);
      }
    }
    pos += len;
  }
  if (pos != src.size()) throw Error("pieces do not add up to the size", Location{src.name()});
  if (::ftruncate(out.fd(), static_cast<off_t>(pos)) != 0 ||
      ::lseek(out.fd(), static_cast<off_t>(pos), SEEK_SET) < 0)
    throw Error(std::string("truncate failed: ") + std::strerror(errno), Location{out.path().string()});
}

}  // namespace signet::io
