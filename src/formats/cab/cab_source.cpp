// Reading files out of a cabinet. A folder is one compressed stream holding its files back to
// back, so a file in the middle can only be reached by decoding everything before it. Decoded
// bytes go to a temporary file per folder that grows as readers ask for more: every folder is
// decoded at most once whatever the number and order of its readers, memory stays at one block
// plus the 32 KiB MSZIP window, and decoded files are plain file ranges.
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "formats/cab/cab_internal.hpp"

namespace signet::formats::cab {

namespace {

constexpr size_t kWindow = 32768;
constexpr uint64_t kReadAhead = 1 << 20;

std::string type_name(uint16_t type) {
  switch (type) {
    case kCompressQuantum:
      return "Quantum";
    case kCompressLzx:
      return "LZX";
    default:
      return "type " + num(type);
  }
}

}  // namespace

// ---- FolderDecoder -----------------------------------------------------------------------------

struct FolderDecoder::Impl {
  Impl(const Cabinet& c, size_t index) : cab(c), folder(c.folders.at(index)), index(index) {
    type = folder.type_compress & kCompressMask;
    if (type != kCompressNone && type != kCompressMszip) {
      fail(cab.name, "folder " + num(index) + " uses " + type_name(type) +
                         " compression, which Signet cannot read (only stored and MSZIP)");
    }
    if (type == kCompressMszip) {
      if (inflateInit2(&z, -MAX_WBITS) != Z_OK) fail(cab.name, "cannot initialise zlib");
      z_live = true;
    }
  }
  ~Impl() {
    if (z_live) inflateEnd(&z);
  }

  [[noreturn]] void bad(size_t block, const std::string& why) const {
    fail(cab.name, "folder " + num(index) + " block " + num(block) + ": " + why);
  }

  std::span<const uint8_t> next() {
    if (next_block >= folder.blocks.size()) return {};
    size_t b = next_block++;
    const Block& blk = folder.blocks[b];
    size_t hdr = kDataFixed + cab.data_reserve;
    in.resize(hdr + blk.csize);
    cab.range.file->read_exact(cab.range.offset + blk.offset, in);
    std::span<const uint8_t> data(in.data() + hdr, blk.csize);
    if (blk.csum != 0) {
      uint32_t sum = checksum(data, 0);
      sum = checksum(std::span<const uint8_t>(in.data() + 4, hdr - 4), sum);
      if (sum != blk.csum) bad(b, "checksum mismatch");
    }
    if (type == kCompressNone) {
      out.assign(data.begin(), data.end());
    } else {
      inflate_block(b, data, blk.usize);
    }
    // The MSZIP dictionary of the next block: the last 32 KiB of output.
    if (type == kCompressMszip) {
      if (out.size() >= kWindow) {
        window.assign(out.end() - kWindow, out.end());
      } else {
        size_t keep = std::min(window.size(), kWindow - out.size());
        window.erase(window.begin(), window.end() - static_cast<long>(keep));
        window.insert(window.end(), out.begin(), out.end());
      }
    }
    return out;
  }

  void inflate_block(size_t b, std::span<const uint8_t> data, size_t usize) {
    if (data.size() < 2 || data[0] != 'C' || data[1] != 'K') bad(b, "MSZIP block without its 'CK' signature");
    if (inflateReset(&z) != Z_OK) bad(b, "cannot reset zlib");
    if (!window.empty() &&
        inflateSetDictionary(&z, window.data(), static_cast<uInt>(window.size())) != Z_OK) {
      bad(b, "cannot set the MSZIP dictionary");
    }
    out.resize(usize + 1);  // one spare byte tells "more than declared" from "exactly"
    z.next_in = const_cast<Bytef*>(data.data() + 2);
    z.avail_in = static_cast<uInt>(data.size() - 2);
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&z, Z_FINISH);
    size_t produced = out.size() - z.avail_out;
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR) {
      bad(b, std::string("invalid MSZIP data (zlib: ") + (z.msg ? z.msg : zError(rc)) + ")");
    }
    if (produced > usize)
      bad(b, "MSZIP data decompresses to more than the declared " + num(usize) + " bytes");
    // A block may end without the final-block bit as long as it used its input exactly.
    if (produced < usize || (rc != Z_STREAM_END && z.avail_in != 0)) {
      bad(b, "MSZIP data decompresses to " + num(produced) + " bytes, not the declared " + num(usize));
    }
    out.resize(usize);
  }

  const Cabinet& cab;
  const Folder& folder;
  size_t index;
  uint16_t type = 0;
  size_t next_block = 0;
  z_stream z{};
  bool z_live = false;
  std::vector<uint8_t> in, out, window;
};

FolderDecoder::FolderDecoder(const Cabinet& cab, size_t folder)
    : impl_(std::make_unique<Impl>(cab, folder)) {}
FolderDecoder::~FolderDecoder() = default;
std::span<const uint8_t> FolderDecoder::next() {
  return impl_->next();
}

// ---- the decoded-folder cache ------------------------------------------------------------------

struct Decoded::FolderCache {
  std::mutex mu;
  std::unique_ptr<FolderDecoder> decoder;
  std::shared_ptr<io::File> file;
  uint64_t decoded = 0;
  std::optional<io::Error> error;  // a failed folder fails every later reader the same way
};

Decoded::Decoded(Cabinet cab) : cab_(std::move(cab)) {
  for (size_t i = 0; i < cab_.folders.size(); ++i) caches_.push_back(std::make_unique<FolderCache>());
}

Decoded::~Decoded() = default;

std::shared_ptr<const io::File> Decoded::ensure(size_t folder, uint64_t end) const {
  FolderCache& c = *caches_.at(folder);
  std::lock_guard lock(c.mu);
  if (c.error) throw *c.error;
  if (c.file && c.decoded >= end) return c.file;
  try {
    if (!c.file) {
      std::filesystem::path path;
      {
        std::lock_guard dl(dir_mu_);
        if (!dir_) dir_ = std::make_unique<io::TempDir>();
        path = dir_->new_file("cab-folder");
      }
      c.file = std::make_shared<io::File>(io::File::create(path));
      c.decoder = std::make_unique<FolderDecoder>(cab_, folder);
    }
    while (c.decoded < end) {
      auto bytes = c.decoder ? c.decoder->next() : std::span<const uint8_t>();
      if (bytes.empty()) fail(cab_.name, "folder " + num(folder) + " ends before " + num(end) + " bytes");
      c.file->write_all(bytes);
      c.decoded += bytes.size();
    }
    if (c.decoded >= cab_.folders[folder].usize) c.decoder.reset();  // free the zlib state early
  } catch (const io::Error& e) {
    c.error = e;
    throw;
  }
  return c.file;
}

// ---- entry sources -----------------------------------------------------------------------------

namespace {

class EntryReader : public io::Reader {
 public:
  EntryReader(std::shared_ptr<const Decoded> data, size_t index) : data_(std::move(data)), index_(index) {}

  size_t read(std::span<uint8_t> buf) override {
    const FileRec& f = data_->cabinet().files[index_];
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), f.size - pos_));
    if (want == 0) return 0;
    try {
      uint64_t start = uint64_t{f.folder_offset} + pos_;
      if (!file_ || start + want > ready_) {
        ready_ = std::min<uint64_t>(uint64_t{f.folder_offset} + f.size,
                                    start + std::max<uint64_t>(want, kReadAhead));
        file_ = data_->ensure(f.folder, ready_);
      }
      file_->read_exact(start, buf.first(want));
    } catch (const io::Error& e) {
      fail_entry(data_->cabinet().name, f.raw_name, e.message());
    }
    pos_ += want;
    return want;
  }

 private:
  std::shared_ptr<const Decoded> data_;
  size_t index_;
  uint64_t pos_ = 0;
  uint64_t ready_ = 0;  // folder offset decoded so far (as far as this reader knows)
  std::shared_ptr<const io::File> file_;
};

class EntrySource : public io::Source {
 public:
  EntrySource(std::shared_ptr<const Decoded> data, size_t index) : data_(std::move(data)), index_(index) {}
  uint64_t size() const override { return data_->cabinet().files[index_].size; }
  std::unique_ptr<io::Reader> open() const override { return std::make_unique<EntryReader>(data_, index_); }
  std::optional<io::FileRange> file_range() const override {
    const FileRec& f = data_->cabinet().files[index_];
    try {
      auto file = data_->ensure(f.folder, uint64_t{f.folder_offset} + f.size);
      return io::FileRange{file, f.folder_offset, f.size};
    } catch (const io::Error& e) {
      fail_entry(data_->cabinet().name, f.raw_name, e.message());
    }
  }
  std::string name() const override { return data_->cabinet().entries[index_].path; }

 private:
  std::shared_ptr<const Decoded> data_;
  size_t index_;
};

}  // namespace

io::SourcePtr make_entry_source(const std::shared_ptr<const Decoded>& data, size_t index) {
  const Cabinet& cab = data->cabinet();
  if (index >= cab.files.size()) {
    fail(cab.name, "no entry " + num(index) + " (the cabinet has " + num(cab.files.size()) + " files)");
  }
  const FileRec& f = cab.files[index];
  if (f.size == 0) return io::memory_source({}, cab.entries[index].path);
  uint16_t type = cab.folders[f.folder].type_compress & kCompressMask;
  if (type != kCompressNone && type != kCompressMszip) {
    fail_entry(cab.name, f.raw_name,
               "lies in a folder with " + type_name(type) +
                   " compression, which Signet cannot read (only stored and MSZIP)");
  }
  return std::make_shared<EntrySource>(data, index);
}

}  // namespace signet::formats::cab
