// Rebuilding a cabinet with some files replaced. Header, folder and file records keep every field
// (dates, attributes, names, set id, reserve areas) except the offsets and sizes that move.
// Folders without a changed file are copied block by block without decoding; a folder with a
// changed file is re-encoded from its files in order (stored stays stored; MSZIP, and any other
// method whose files were all replaced, is written as MSZIP). Records are written first with
// placeholders and patched once the data has been streamed.
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>

#include "formats/cab/cab_internal.hpp"

namespace signet::formats::cab {

namespace {

constexpr size_t kOutBuf = 256 << 10;
constexpr uint64_t kChunk = 1 << 20;

// Buffered output that remembers where the cabinet starts so records can be patched.
class Out {
 public:
  explicit Out(io::File& f) : f_(f) {
    off_t p = ::lseek(f.fd(), 0, SEEK_CUR);
    if (p < 0)
      throw io::Error(std::string("cannot get the output position: ") + std::strerror(errno),
                      io::Location{f.path().string()});
    base_ = static_cast<uint64_t>(p);
  }
  uint64_t pos() const { return pos_; }
  void write(std::span<const uint8_t> d) {
    if (buf_.size() + d.size() > kOutBuf) flush();
    if (d.size() >= kOutBuf) {
      f_.write_all(d);
    } else {
      buf_.insert(buf_.end(), d.begin(), d.end());
    }
    pos_ += d.size();
  }
  void copy(const io::FileRange& r) {
    if (r.size == 0) return;
    flush();
    io::copy_to(*io::range_source(r, "cabinet data"), f_);
    pos_ += r.size;
  }
  void flush() {
    if (buf_.empty()) return;
    f_.write_all(buf_);
    buf_.clear();
  }
  void patch(uint64_t at, std::span<const uint8_t> d) {
    flush();
    size_t done = 0;
    while (done < d.size()) {
      ssize_t n = ::pwrite(f_.fd(), d.data() + done, d.size() - done, static_cast<off_t>(base_ + at + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw io::Error(std::string("write failed: ") + std::strerror(errno),
                        io::Location{f_.path().string()});
      done += static_cast<size_t>(n);
    }
  }

 private:
  io::File& f_;
  uint64_t base_ = 0, pos_ = 0;
  std::vector<uint8_t> buf_;
};

// Cuts a folder's uncompressed bytes into CFDATA blocks of 32 KiB, stored or MSZIP (each block a
// complete raw deflate stream whose dictionary is the previous 32 KiB, [MS-MCI] 2.2).
class BlockWriter {
 public:
  BlockWriter(Out& out, bool mszip, uint8_t data_reserve, const std::string& cab)
      : out_(out), mszip_(mszip), reserve_(data_reserve), cab_(cab) {
    if (mszip_ &&
        deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      fail(cab_, "cannot initialise zlib");
    }
    buf_.reserve(kMaxBlock);
  }
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;
  ~BlockWriter() {
    if (mszip_) deflateEnd(&z_);
  }

  void feed(std::span<const uint8_t> d) {
    while (!d.empty()) {
      size_t n = std::min(d.size(), kMaxBlock - buf_.size());
      buf_.insert(buf_.end(), d.begin(), d.begin() + static_cast<long>(n));
      d = d.subspan(n);
      if (buf_.size() == kMaxBlock) emit();
    }
  }
  void finish() {
    if (!buf_.empty()) emit();
  }
  size_t blocks() const { return blocks_; }

 private:
  void emit() {
    std::span<const uint8_t> data = buf_;
    if (mszip_) {
      if (deflateReset(&z_) != Z_OK) fail(cab_, "cannot reset zlib");
      if (!window_.empty() &&
          deflateSetDictionary(&z_, window_.data(), static_cast<uInt>(window_.size())) != Z_OK) {
        fail(cab_, "cannot set the MSZIP dictionary");
      }
      comp_.resize(2 + deflateBound(&z_, buf_.size()) + 16);
      comp_[0] = 'C';
      comp_[1] = 'K';
      z_.next_in = buf_.data();
      z_.avail_in = static_cast<uInt>(buf_.size());
      z_.next_out = comp_.data() + 2;
      z_.avail_out = static_cast<uInt>(comp_.size() - 2);
      if (deflate(&z_, Z_FINISH) != Z_STREAM_END) fail(cab_, "MSZIP compression failed");
      comp_.resize(comp_.size() - z_.avail_out);
      data = comp_;
      window_ = buf_;  // blocks are 32 KiB, so the previous block is the whole dictionary
    }
    std::vector<uint8_t> hdr(kDataFixed + reserve_, 0);
    set16(hdr.data() + 4, static_cast<uint16_t>(data.size()));
    set16(hdr.data() + 6, static_cast<uint16_t>(buf_.size()));
    uint32_t sum = checksum(data, 0);
    set32(hdr.data(), checksum(std::span<const uint8_t>(hdr).subspan(4), sum));
    out_.write(hdr);
    out_.write(data);
    if (++blocks_ > 0xFFFF) fail(cab_, "a rewritten folder needs more than 65535 data blocks");
    buf_.clear();
  }

  Out& out_;
  bool mszip_;
  uint8_t reserve_;
  const std::string& cab_;
  z_stream z_{};
  std::vector<uint8_t> buf_, comp_, window_;
  size_t blocks_ = 0;
};

// Streams an unchanged file of a re-encoded folder out of the decoded-folder cache.
void feed_original(const Decoded& data, const FileRec& f, BlockWriter& w) {
  std::vector<uint8_t> buf(static_cast<size_t>(std::min<uint64_t>(kChunk, std::max<uint32_t>(f.size, 1))));
  uint64_t done = 0;
  try {
    while (done < f.size) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), f.size - done));
      auto file = data.ensure(f.folder, uint64_t{f.folder_offset} + done + n);
      file->read_exact(f.folder_offset + done, std::span<uint8_t>(buf.data(), n));
      w.feed(std::span<const uint8_t>(buf.data(), n));
      done += n;
    }
  } catch (const io::Error& e) {
    fail_entry(data.cabinet().name, f.raw_name, e.message());
  }
}

void feed_new(const io::Source& src, const std::string& cab, const FileRec& f, BlockWriter& w) {
  auto r = src.open();
  std::vector<uint8_t> buf(
      static_cast<size_t>(std::min<uint64_t>(kChunk, std::max<uint64_t>(src.size(), 1))));
  uint64_t total = 0;
  for (size_t n; (n = r->read(buf)) > 0;) {
    total += n;
    if (total > src.size()) break;
    w.feed(std::span<const uint8_t>(buf.data(), n));
  }
  if (total != src.size()) {
    fail_entry(cab, f.raw_name,
               "the replacement delivered " + num(total) + " bytes, not its declared " + num(src.size()));
  }
}

}  // namespace

void write_cabinet(const Decoded& data, io::File& out_file, const std::vector<Replacement>& replaced) {
  const Cabinet& cab = data.cabinet();
  std::vector<io::SourcePtr> fresh(cab.files.size());
  std::vector<bool> seen(cab.files.size(), false);
  for (const auto& r : replaced) {
    if (r.index >= cab.files.size())
      fail(cab.name, "replacement for entry " + num(r.index) + ", which does not exist");
    if (seen[r.index]) fail_entry(cab.name, cab.files[r.index].raw_name, "replaced twice");
    seen[r.index] = true;
    fresh[r.index] = r.bytes.get();  // nullptr: unchanged after all
  }

  // New sizes and in-folder offsets: files of a changed folder are laid out again in their order.
  std::vector<FileRec> files = cab.files;
  std::vector<bool> changed(cab.folders.size(), false);
  for (size_t i = 0; i < files.size(); ++i) {
    if (!fresh[i]) continue;
    if (fresh[i]->size() > 0xFFFFFFFFull)
      fail_entry(cab.name, files[i].raw_name, "a replacement over 4 GiB does not fit a cabinet");
    changed[files[i].folder] = true;
    files[i].size = static_cast<uint32_t>(fresh[i]->size());
  }
  std::vector<std::vector<size_t>> order(cab.folders.size());
  for (size_t i = 0; i < files.size(); ++i) order[files[i].folder].push_back(i);
  for (size_t k = 0; k < order.size(); ++k) {
    if (!changed[k]) continue;
    std::stable_sort(order[k].begin(), order[k].end(), [&](size_t a, size_t b) {
      return cab.files[a].folder_offset < cab.files[b].folder_offset;
    });
    uint64_t at = 0;
    for (size_t i : order[k]) {
      files[i].folder_offset = static_cast<uint32_t>(at);
      at += files[i].size;
      if (at > 0xFFFF * uint64_t{kMaxBlock})
        fail(cab.name, "folder " + num(k) + " would exceed the 2 GiB a folder can hold");
    }
  }

  Out out(out_file);
  // A changed cabinet loses its signature together with the signature's reserve (the unsigned
  // layout; osslsigncode refuses an empty signature reserve).
  std::vector<uint8_t> header = cab.header;
  if (cab.has_sig_reserve) {
    auto at = header.begin() + static_cast<long>(cab.reserve_offset);
    header.erase(at, at + kSigReserveSize);
    if (cab.folder_reserve == 0 && cab.data_reserve == 0) {
      header.erase(header.begin() + kHeaderFixed, header.begin() + kHeaderFixed + 4);
      set16(header.data() + 30, static_cast<uint16_t>(cab.flags & ~kFlagReservePresent));
    } else {
      set16(header.data() + kHeaderFixed, 0);
    }
  }
  out.write(header);
  std::vector<uint64_t> folder_at;
  for (const auto& f : cab.folders) {
    folder_at.push_back(out.pos());
    std::vector<uint8_t> rec(kFolderFixed, 0);
    rec.insert(rec.end(), f.reserve.begin(), f.reserve.end());
    out.write(rec);  // offset, block count and type patched below
  }
  uint64_t coff_files = out.pos();
  for (const auto& f : files) {
    std::vector<uint8_t> rec;
    put32(rec, f.size);
    put32(rec, f.folder_offset);
    put16(rec, f.folder);
    put16(rec, f.date);
    put16(rec, f.time);
    put16(rec, f.attribs);
    rec.insert(rec.end(), f.raw_name.begin(), f.raw_name.end());
    rec.push_back(0);
    out.write(rec);
  }

  size_t hdr = kDataFixed + cab.data_reserve;
  for (size_t k = 0; k < cab.folders.size(); ++k) {
    const Folder& f = cab.folders[k];
    uint64_t start = out.pos();
    uint16_t type = f.type_compress;
    size_t blocks = f.blocks.size();
    if (!changed[k]) {
      size_t b = 0;
      while (b < f.blocks.size()) {  // contiguous runs of blocks in one copy
        uint64_t run_start = f.blocks[b].offset;
        uint64_t run_end = run_start + hdr + f.blocks[b].csize;
        for (++b; b < f.blocks.size() && f.blocks[b].offset == run_end; ++b)
          run_end += hdr + f.blocks[b].csize;
        out.copy(io::FileRange{cab.range.file, cab.range.offset + run_start, run_end - run_start});
      }
    } else {
      bool stored = (f.type_compress & kCompressMask) == kCompressNone;
      type = stored ? kCompressNone : kCompressMszip;
      BlockWriter w(out, !stored, cab.data_reserve, cab.name);
      for (size_t i : order[k]) {
        if (fresh[i]) {
          feed_new(*fresh[i], cab.name, cab.files[i], w);
        } else if (cab.files[i].size > 0) {
          feed_original(data, cab.files[i], w);
        }
      }
      w.finish();
      blocks = w.blocks();
    }
    if (out.pos() > 0xFFFFFFFFull) fail(cab.name, "the rewritten cabinet exceeds 4 GiB");
    uint8_t rec[kFolderFixed];
    set32(rec, blocks ? static_cast<uint32_t>(start) : 0);
    set16(rec + 4, static_cast<uint16_t>(blocks));
    set16(rec + 6, type);
    out.patch(folder_at[k], rec);
  }
  uint8_t v[4];
  set32(v, static_cast<uint32_t>(out.pos()));
  out.patch(8, v);
  set32(v, static_cast<uint32_t>(coff_files));
  out.patch(16, v);
  out.flush();
}

}  // namespace signet::formats::cab
