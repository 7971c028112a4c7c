// Parsing a cabinet ([MS-CAB] 2.1-2.4): CFHEADER, CFFOLDERs, CFFILEs and the chain of CFDATA
// headers of every folder. Every count, offset and size is checked against the real input before
// it is used, so later stages (sources, writer, digest) can trust the parsed structure.
#include <algorithm>
#include <unordered_map>

#include "formats/cab/cab_internal.hpp"

namespace signet::formats::cab {

namespace {

constexpr uint64_t kRatioFloor = 1 << 20;
constexpr size_t kMaxString = 256;  // CB_MAX_CABINET_NAME / CB_MAX_DISK_NAME / CB_MAX_FILENAME

class Parser {
 public:
  Parser(io::FileRange range, std::string name, const Limits& limits) : limits_(limits) {
    cab_.range = std::move(range);
    cab_.name = std::move(name);
  }

  Cabinet run() {
    parse_header();
    parse_folders();
    parse_files();
    for (size_t i = 0; i < cab_.folders.size(); ++i) walk_blocks(i);
    check_folder_overlap();
    check_files();
    check_signature();
    return std::move(cab_);
  }

 private:
  [[noreturn]] void bad(const std::string& why) const { fail(cab_.name, why); }

  void read(uint64_t offset, std::span<uint8_t> buf) const {
    if (offset > cab_.range.size || buf.size() > cab_.range.size - offset) {
      bad("the cabinet is truncated (needs " + num(offset + buf.size()) + " bytes, has " +
          num(cab_.range.size) + ")");
    }
    cab_.range.file->read_exact(cab_.range.offset + offset, buf);
  }

  // A NUL-terminated string of at most kMaxString bytes starting at `offset` (inside the
  // cabinet's declared size); returns its length without the NUL.
  size_t string_at(uint64_t offset, const char* what) const {
    uint8_t buf[kMaxString];
    uint64_t avail = offset < cab_.cb_cabinet ? cab_.cb_cabinet - offset : 0;
    size_t n = static_cast<size_t>(std::min<uint64_t>(kMaxString, avail));
    read(offset, std::span<uint8_t>(buf, n));
    for (size_t i = 0; i < n; ++i) {
      if (buf[i] == 0) return i;
    }
    bad(std::string(what) + " at offset " + num(offset) + " is not terminated within " + num(kMaxString) +
        " bytes");
  }

  void parse_header() {
    uint8_t h[kHeaderFixed];
    if (cab_.range.size < kHeaderFixed) bad("not a cabinet: only " + num(cab_.range.size) + " bytes");
    read(0, h);
    if (h[0] != 'M' || h[1] != 'S' || h[2] != 'C' || h[3] != 'F') bad("not a cabinet (no MSCF signature)");
    cab_.cb_cabinet = get32(h + 8);
    cab_.coff_files = get32(h + 16);
    if (h[25] != 1) bad("unsupported cabinet format version " + num(h[25]) + "." + num(h[24]));
    folder_count_ = get16(h + 26);
    file_count_ = get16(h + 28);
    cab_.flags = get16(h + 30);
    if (cab_.cb_cabinet > cab_.range.size) {
      bad("the header declares " + num(cab_.cb_cabinet) + " bytes but the file has " + num(cab_.range.size));
    }
    if (cab_.cb_cabinet < kHeaderFixed)
      bad("the header declares an impossible size of " + num(cab_.cb_cabinet));
    if (file_count_ > limits_.max_entries) {
      bad("the cabinet declares " + num(file_count_) + " files, more than the limit of " +
          num(limits_.max_entries));
    }
    uint64_t pos = kHeaderFixed;
    if (cab_.flags & kFlagReservePresent) {
      uint8_t r[4];
      if (cab_.cb_cabinet < pos + 4) bad("the header reserve sizes lie beyond the cabinet");
      read(pos, r);
      cab_.header_reserve = get16(r);
      cab_.folder_reserve = r[2];
      cab_.data_reserve = r[3];
      pos += 4;
      cab_.reserve_offset = pos;
      if (cab_.header_reserve > 60000)
        bad("header reserve of " + num(cab_.header_reserve) + " bytes (at most 60000)");
      pos += cab_.header_reserve;
      if (pos > cab_.cb_cabinet) bad("the header reserve lies beyond the cabinet");
    }
    int strings = ((cab_.flags & kFlagPrevCabinet) ? 2 : 0) + ((cab_.flags & kFlagNextCabinet) ? 2 : 0);
    for (int i = 0; i < strings; ++i) pos += string_at(pos, "a cabinet set name") + 1;
    cab_.header.resize(static_cast<size_t>(pos));
    read(0, cab_.header);
  }

  void parse_folders() {
    uint64_t rec = kFolderFixed + cab_.folder_reserve;
    uint64_t pos = cab_.header.size();
    if (pos + rec * folder_count_ > cab_.cb_cabinet) {
      bad("the cabinet declares " + num(folder_count_) + " folders but their records do not fit in it");
    }
    std::vector<uint8_t> buf(static_cast<size_t>(rec * folder_count_));
    read(pos, buf);
    for (size_t i = 0; i < folder_count_; ++i) {
      const uint8_t* p = buf.data() + i * rec;
      Folder f;
      f.record_offset = pos + i * rec;
      f.data_offset = get32(p);
      f.type_compress = get16(p + 6);
      f.blocks.resize(get16(p + 4));
      f.reserve.assign(p + kFolderFixed, p + rec);
      cab_.folders.push_back(std::move(f));
    }
    tables_end_ = pos + buf.size();
    if (cab_.coff_files < tables_end_ || cab_.coff_files > cab_.cb_cabinet) {
      bad("the file table offset " + num(cab_.coff_files) + " lies outside the cabinet or inside its header");
    }
  }

  void parse_files() {
    uint64_t pos = cab_.coff_files;
    uint8_t fixed[kFileFixed];
    for (size_t i = 0; i < file_count_; ++i) {
      if (pos + kFileFixed > cab_.cb_cabinet) {
        bad("the cabinet declares " + num(file_count_) + " files but only " + num(i) + " fit in it");
      }
      read(pos, fixed);
      FileRec f;
      f.size = get32(fixed);
      f.folder_offset = get32(fixed + 4);
      f.folder = get16(fixed + 8);
      f.date = get16(fixed + 10);
      f.time = get16(fixed + 12);
      f.attribs = get16(fixed + 14);
      size_t len = string_at(pos + kFileFixed, "a file name");
      f.raw_name.resize(len);
      read(pos + kFileFixed, std::span<uint8_t>(reinterpret_cast<uint8_t*>(f.raw_name.data()), len));
      pos += kFileFixed + len + 1;
      cab_.files.push_back(std::move(f));
    }
    tables_end_ = std::max<uint64_t>(tables_end_, pos);
  }

  void walk_blocks(size_t index) {
    Folder& f = cab_.folders[index];
    std::string what = "folder " + num(index);
    uint16_t type = f.type_compress & kCompressMask;
    if (type > kCompressLzx) bad(what + " has unknown compression type " + num(type));
    uint64_t pos = f.data_offset;
    if (!f.blocks.empty() && pos < tables_end_) {
      bad(what + " data offset " + num(pos) + " lies inside the cabinet's header tables");
    }
    size_t hdr = kDataFixed + cab_.data_reserve;
    uint8_t buf[kDataFixed];
    for (size_t b = 0; b < f.blocks.size(); ++b) {
      Block& blk = f.blocks[b];
      if (pos + hdr > cab_.cb_cabinet) {
        bad(what + " declares " + num(f.blocks.size()) + " data blocks but block " + num(b) +
            " lies beyond the end of the cabinet");
      }
      read(pos, buf);
      blk.offset = pos;
      blk.csum = get32(buf);
      blk.csize = get16(buf + 4);
      blk.usize = get16(buf + 6);
      if (blk.usize == 0 || blk.usize > kMaxBlock) {
        bad(what + " block " + num(b) + " declares " + num(blk.usize) +
            " uncompressed bytes (must be 1 to 32768; split blocks of cabinet sets are not supported)");
      }
      if (type == kCompressNone && blk.csize != blk.usize) {
        bad(what + " block " + num(b) + " is stored but its sizes differ (" + num(blk.csize) + " vs " +
            num(blk.usize) + ")");
      }
      pos += hdr + blk.csize;
      if (pos > cab_.cb_cabinet) bad(what + " block " + num(b) + " extends beyond the end of the cabinet");
      f.usize += blk.usize;
    }
    f.csize = pos - f.data_offset;
  }

  void check_folder_overlap() {
    std::vector<std::pair<uint64_t, uint64_t>> spans;
    for (const auto& f : cab_.folders) {
      if (!f.blocks.empty()) spans.emplace_back(f.data_offset, f.data_offset + f.csize);
    }
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; i < spans.size(); ++i) {
      if (spans[i].first < spans[i - 1].second) bad("the data of two folders overlap");
    }
  }

  void check_files() {
    std::unordered_map<std::string, size_t> seen;
    std::vector<std::vector<size_t>> by_folder(cab_.folders.size());
    uint64_t total = 0;
    for (size_t i = 0; i < cab_.files.size(); ++i) {
      const FileRec& f = cab_.files[i];
      std::string path = to_utf8(f.raw_name);
      std::replace(path.begin(), path.end(), '\\', '/');
      if (auto why = path_problem(path); !why.empty()) fail_entry(cab_.name, f.raw_name, why);
      if (f.folder >= 0xFFFD) {
        fail_entry(cab_.name, f.raw_name,
                   "continues from or into another cabinet (cabinet sets are not supported)");
      }
      if (f.folder >= cab_.folders.size()) {
        fail_entry(cab_.name, f.raw_name,
                   "refers to folder " + num(f.folder) + " but the cabinet has " + num(cab_.folders.size()));
      }
      const Folder& folder = cab_.folders[f.folder];
      if (uint64_t{f.folder_offset} + f.size > folder.usize) {
        fail_entry(cab_.name, f.raw_name,
                   "lies at " + num(f.folder_offset) + "+" + num(f.size) + " but folder " + num(f.folder) +
                       " holds only " + num(folder.usize) + " uncompressed bytes");
      }
      if (f.size > limits_.max_entry_size) {
        fail_entry(cab_.name, f.raw_name,
                   "size " + num(f.size) + " exceeds the limit of " + num(limits_.max_entry_size) + " bytes");
      }
      total += f.size;
      if (total > limits_.max_total_size) {
        bad("total uncompressed size exceeds the limit of " + num(limits_.max_total_size) + " bytes");
      }
      auto [it, fresh] = seen.emplace(path_key(path), i);
      if (!fresh) {
        fail_entry(cab_.name, f.raw_name, "duplicate name (same path as file " + num(it->second) + ")");
      }
      if (f.size > 0) by_folder[f.folder].push_back(i);
      cab_.entries.push_back(Entry{path, f.size, false});
    }
    for (size_t k = 0; k < by_folder.size(); ++k) {
      auto& v = by_folder[k];
      std::sort(v.begin(), v.end(), [&](size_t a, size_t b) {
        return cab_.files[a].folder_offset < cab_.files[b].folder_offset;
      });
      for (size_t j = 1; j < v.size(); ++j) {
        const FileRec& prev = cab_.files[v[j - 1]];
        if (uint64_t{prev.folder_offset} + prev.size > cab_.files[v[j]].folder_offset) {
          fail_entry(cab_.name, cab_.files[v[j]].raw_name,
                     "overlaps file '" + display_name(prev.raw_name) + "'");
        }
      }
      const Folder& f = cab_.folders[k];
      if (f.usize > kRatioFloor && static_cast<unsigned __int128>(f.csize) * limits_.max_ratio < f.usize) {
        bad("folder " + num(k) + " compression ratio exceeds the limit of " + num(limits_.max_ratio) + ":1");
      }
    }
  }

  void check_signature() {
    if (!(cab_.flags & kFlagReservePresent) || cab_.header_reserve != kSigReserveSize) return;
    const uint8_t* r = cab_.header.data() + cab_.reserve_offset;
    if (get32(r) != kSigReserveTag) return;
    cab_.has_sig_reserve = true;
    cab_.sig_offset = get32(r + 4);
    cab_.sig_size = get32(r + 8);
    if (cab_.sig_size == 0) return;
    if (cab_.sig_offset < cab_.cb_cabinet || uint64_t{cab_.sig_offset} + cab_.sig_size > cab_.range.size) {
      bad("the Authenticode signature at " + num(cab_.sig_offset) + "+" + num(cab_.sig_size) +
          " lies outside the bytes after the cabinet");
    }
  }

  const Limits& limits_;
  Cabinet cab_;
  size_t folder_count_ = 0, file_count_ = 0;
  uint64_t tables_end_ = 0;  // end of the header, folder and file records
};

}  // namespace

Cabinet parse_cabinet(io::FileRange range, std::string name, const Limits& limits) {
  return Parser(std::move(range), std::move(name), limits).run();
}

}  // namespace signet::formats::cab
