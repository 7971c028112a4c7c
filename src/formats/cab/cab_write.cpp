// Rebuilding a cabinet with some files replaced. Header, folder and file records keep every field
// (dates, attributes, names, set id, reserve areas) except the offsets and sizes that move.
// Folders without a changed file are copied block by block without decoding; a folder with a
// changed file is re-encoded from its files in order (stored stays stored; MSZIP, and any other
// method whose files were all replaced, is written as MSZIP). Records are written first with
// placeholders and patched once the data has been streamed.

#include <algorithm>
#include <numeric>
#include <optional>

#include "formats/cab/cab_internal.hpp"
#include "io/deflate.hpp"
#include "io/patch_output.hpp"

namespace signet::formats::cab {

namespace {

constexpr uint64_t kChunk = 1 << 20;

// Remembers where the cabinet starts so records can be patched.
using Out = io::PatchOutput;

// Cuts a folder's uncompressed bytes into CFDATA blocks of 32 KiB, stored or MSZIP (each block a
// complete raw deflate stream whose dictionary is the previous 32 KiB, [MS-MCI] 2.2).
class BlockWriter {
 public:
  BlockWriter(Out& out, bool mszip, uint8_t data_reserve, const std::string& cab)
      : out_(out), reserve_(data_reserve), cab_(cab) {
    if (mszip) deflater_.emplace(cab_);
    buf_.reserve(kMaxBlock);
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
    if (deflater_) {
      comp_.assign({'C', 'K'});
      deflater_->compress_block(buf_, window_, comp_);
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
  uint8_t reserve_;
  const std::string& cab_;
  std::optional<io::RawDeflate> deflater_;
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

  Out out(out_file, "cabinet data");
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
