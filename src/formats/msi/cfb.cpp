// Reading a compound file ([MS-CFB] 2.2-2.6). Every chain (DIFAT, FAT sectors, directory, MiniFAT,
// mini stream, each stream) is walked once at open against one bitmap of used sectors, so a loop,
// a sector shared by two chains, a chain beyond the end of the file or shorter than its stream's
// size is an io::Error before any byte of content is read.
#include "formats/msi/cfb.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "formats/msi/cfb_internal.hpp"
#include "io/error.hpp"

namespace signet::formats::cfb {

namespace {

std::string num(uint64_t v) {
  return std::to_string(v);
}

class ExtentReader : public io::Reader {
 public:
  ExtentReader(std::shared_ptr<const io::File> file, const std::vector<Extent>* extents, uint64_t base)
      : file_(std::move(file)), extents_(extents), base_(base) {}
  size_t read(std::span<uint8_t> buf) override {
    while (i_ < extents_->size() && at_ == (*extents_)[i_].length) {
      ++i_;
      at_ = 0;
    }
    if (i_ >= extents_->size() || buf.empty()) return 0;
    const Extent& e = (*extents_)[i_];
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), e.length - at_));
    file_->read_exact(base_ + e.offset + at_, buf.first(n));
    at_ += n;
    return n;
  }

 private:
  std::shared_ptr<const io::File> file_;
  const std::vector<Extent>* extents_;
  uint64_t base_;
  size_t i_ = 0;
  uint64_t at_ = 0;
};

class StreamSource : public io::Source {
 public:
  StreamSource(io::FileRange range, std::vector<Extent> extents, uint64_t size, std::string name)
      : range_(std::move(range)), extents_(std::move(extents)), size_(size), name_(std::move(name)) {}
  uint64_t size() const override { return size_; }
  std::unique_ptr<io::Reader> open() const override {
    return std::make_unique<ExtentReader>(range_.file, &extents_, range_.offset);
  }
  std::optional<io::FileRange> file_range() const override {
    if (extents_.size() != 1) return std::nullopt;
    return io::FileRange{range_.file, range_.offset + extents_[0].offset, size_};
  }
  std::string name() const override { return name_; }

 private:
  io::FileRange range_;
  std::vector<Extent> extents_;
  uint64_t size_;
  std::string name_;
};

}  // namespace

std::string display(std::u16string_view name) {
  std::string out;
  for (char16_t c : name) {
    if (c < 0x20 || c == 0x7F) {
      char buf[7];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

class Parser {
 public:
  Parser(CompoundFile& cf, uint64_t max_entries) : cf_(cf), max_entries_(max_entries) {}

  void run() {
    header();
    fat();
    directory();
    tree();
    mini();
    streams();
  }

 private:
  [[noreturn]] void bad(const std::string& why) const { throw io::Error(why, io::Location{cf_.name_}); }

  void read(uint64_t offset, std::span<uint8_t> buf) const {
    if (offset > cf_.range_.size || buf.size() > cf_.range_.size - offset) {
      bad("the compound file is truncated (needs " + num(offset + buf.size()) + " bytes, has " +
          num(cf_.range_.size) + ")");
    }
    cf_.range_.file->read_exact(cf_.range_.offset + offset, buf);
  }
  uint64_t sector_offset(uint32_t s) const { return (uint64_t{s} + 1) * ss_; }

  void claim(uint32_t s, const std::string& what) {
    if (s >= nsectors_)
      bad(what + " uses sector " + num(s) + " beyond the end of the file (" + num(nsectors_) + " sectors)");
    if (used_[s])
      bad(what + " uses sector " + num(s) + ", which is already in use (a loop or a cross-linked chain)");
    used_[s] = true;
  }

  void header() {
    if (cf_.range_.size < 512) bad("not a compound file: only " + num(cf_.range_.size) + " bytes");
    read(0, h_);
    if (!std::equal(std::begin(kMagic), std::end(kMagic), h_.begin()))
      bad("not a compound file (bad signature)");
    cf_.major_ = get16(&h_[26]);
    uint16_t shift = get16(&h_[30]);
    if (get16(&h_[28]) != 0xFFFE) bad("the compound file header has a bad byte order mark");
    if (!((cf_.major_ == 3 && shift == 9) || (cf_.major_ == 4 && shift == 12))) {
      bad("unsupported compound file version " + num(cf_.major_) + " with sector shift " + num(shift));
    }
    if (get16(&h_[32]) != 6) bad("unsupported mini sector shift " + num(get16(&h_[32])));
    if (get32(&h_[56]) != kMiniCutoff) bad("unsupported mini stream cutoff " + num(get32(&h_[56])));
    ss_ = uint64_t{1} << shift;
    if (cf_.range_.size < ss_) bad("the compound file is shorter than its header sector");
    nsectors_ = (cf_.range_.size - ss_ + ss_ - 1) / ss_;
    if (nsectors_ > kMaxRegSect) nsectors_ = kMaxRegSect;
    used_.assign(static_cast<size_t>(nsectors_), false);
  }

  void fat() {
    uint32_t nfat = get32(&h_[44]);
    uint32_t ndifat = get32(&h_[72]);
    // The FAT needs one entry per sector of the file: more FAT sectors than that (plus slack) lie.
    if (nfat > nsectors_ / (ss_ / 4) + 2) {
      bad("the header declares " + num(nfat) + " FAT sectors but the file has only " + num(nsectors_) +
          " sectors");
    }
    std::vector<uint32_t> fat_sectors;
    for (size_t i = 0; i < 109 && fat_sectors.size() < nfat; ++i)
      fat_sectors.push_back(get32(&h_[76 + 4 * i]));
    uint32_t next = get32(&h_[68]);
    std::vector<uint8_t> sec(static_cast<size_t>(ss_));
    size_t per = static_cast<size_t>(ss_ / 4 - 1);
    for (uint32_t k = 0; fat_sectors.size() < nfat; ++k) {
      if (k >= ndifat || next > kMaxRegSect)
        bad("the DIFAT chain ends before listing all " + num(nfat) + " FAT sectors");
      claim(next, "the DIFAT");
      read(sector_offset(next), sec);
      for (size_t i = 0; i < per && fat_sectors.size() < nfat; ++i) fat_sectors.push_back(get32(&sec[4 * i]));
      next = get32(&sec[4 * per]);
    }
    fat_.resize(static_cast<size_t>(nfat * (ss_ / 4)));
    for (size_t i = 0; i < fat_sectors.size(); ++i) {
      claim(fat_sectors[i], "the FAT");
      read(sector_offset(fat_sectors[i]), sec);
      for (size_t j = 0; j < ss_ / 4; ++j) fat_[i * (ss_ / 4) + j] = get32(&sec[4 * j]);
    }
  }

  // The sectors of a FAT chain, at least `min_bytes` long (checked), each claimed.
  std::vector<uint32_t> chain(uint32_t start, uint64_t min_bytes, const std::string& what) {
    std::vector<uint32_t> out;
    for (uint32_t s = start; s != kEndOfChain;) {
      if (s > kMaxRegSect) bad(what + ": bad sector number " + num(s) + " in its chain");
      claim(s, what);
      out.push_back(s);
      if (s >= fat_.size()) bad(what + ": sector " + num(s) + " has no FAT entry");
      s = fat_[s];
    }
    if (uint64_t{out.size()} * ss_ < min_bytes) {
      bad(what + ": its sector chain holds " + num(out.size() * ss_) + " bytes, fewer than its size of " +
          num(min_bytes));
    }
    return out;
  }

  std::vector<Extent> extents_of(const std::vector<uint32_t>& sectors, uint64_t size,
                                 const std::string& what) {
    std::vector<Extent> v;
    uint64_t left = size;
    for (uint32_t s : sectors) {
      if (left == 0) break;
      uint64_t n = std::min(left, ss_);
      uint64_t off = sector_offset(s);
      if (off + n > cf_.range_.size) bad(what + " extends beyond the end of the file");
      if (!v.empty() && v.back().offset + v.back().length == off) {
        v.back().length += n;
      } else {
        v.push_back(Extent{off, n});
      }
      left -= n;
    }
    return v;
  }

  void directory() {
    auto sectors = chain(get32(&h_[48]), 1, "the directory");
    uint64_t count = sectors.size() * (ss_ / 128);
    if (count > max_entries_ + 1024) bad("the directory has " + num(count) + " entries, more than the limit");
    std::vector<uint8_t> sec(static_cast<size_t>(ss_));
    for (uint32_t s : sectors) {
      read(sector_offset(s), sec);
      for (size_t k = 0; k < ss_ / 128; ++k)
        raw_.emplace_back(sec.begin() + static_cast<long>(k * 128),
                          sec.begin() + static_cast<long>(k * 128 + 128));
    }
    cf_.entries_.resize(raw_.size());
    for (size_t i = 0; i < raw_.size(); ++i) {
      const uint8_t* p = raw_[i].data();
      DirEntry& e = cf_.entries_[i];
      e.type = static_cast<Type>(p[66]);
      if (e.type == Type::empty) continue;
      if (e.type != Type::storage && e.type != Type::stream && e.type != Type::root) {
        bad("directory entry " + num(i) + " has unknown type " + num(p[66]));
      }
      uint16_t len = get16(p + 64);
      if (len < 2 || len > 64 || len % 2)
        bad("directory entry " + num(i) + " has a bad name length " + num(len));
      for (size_t k = 0; k + 1 < len / 2u; ++k) e.name += static_cast<char16_t>(get16(p + 2 * k));
      std::copy(p + 80, p + 96, e.clsid.begin());
      e.state_bits = get32(p + 96);
      std::copy(p + 100, p + 116, e.times.begin());
      e.size = cf_.major_ == 3 ? get32(p + 120) : (get32(p + 120) | (uint64_t{get32(p + 124)} << 32));
    }
    if (cf_.entries_.empty() || cf_.entries_[0].type != Type::root)
      bad("the first directory entry is not the root");
  }

  // Links every storage to its children through the red-black trees (sibling/child pointers),
  // rejecting cycles, shared nodes and duplicate names.
  void tree() {
    std::vector<bool> seen(cf_.entries_.size(), false);
    seen[0] = true;
    std::vector<size_t> storages{0};
    while (!storages.empty()) {
      size_t parent = storages.back();
      storages.pop_back();
      std::vector<uint32_t> todo{get32(raw_[parent].data() + 76)};
      std::unordered_set<std::u16string> names;
      while (!todo.empty()) {
        uint32_t id = todo.back();
        todo.pop_back();
        if (id == kNoStream) continue;
        if (id >= cf_.entries_.size())
          bad("directory entry " + num(id) + " referenced but the directory has " + num(cf_.entries_.size()));
        if (seen[id]) bad("directory entry " + num(id) + " is reached twice (a loop in the directory tree)");
        seen[id] = true;
        DirEntry& e = cf_.entries_[id];
        if (e.type == Type::empty || e.type == Type::root)
          bad("directory entry " + num(id) + " in the tree is not a stream or storage");
        if (!names.insert(e.name).second) bad("two entries named '" + display(e.name) + "' in one storage");
        cf_.entries_[parent].children.push_back(id);
        todo.push_back(get32(raw_[id].data() + 68));
        todo.push_back(get32(raw_[id].data() + 72));
        if (e.type == Type::storage) storages.push_back(id);
      }
    }
  }

  void mini() {
    const DirEntry& root = cf_.entries_[0];
    uint32_t root_start = get32(raw_[0].data() + 116);
    if (root.size > 0) {
      auto sectors = chain(root_start, root.size, "the mini stream");
      mini_extents_ = extents_of(sectors, root.size, "the mini stream");
      uint64_t at = 0;
      for (const auto& e : mini_extents_) {
        mini_starts_.push_back(at);
        at += e.length;
      }
    }
    uint32_t nmini = get32(&h_[64]);
    uint32_t start = get32(&h_[60]);
    if (nmini > 0 && start != kEndOfChain) {
      auto sectors = chain(start, 0, "the MiniFAT");
      std::vector<uint8_t> sec(static_cast<size_t>(ss_));
      uint64_t needed = root.size / kMiniSector;  // entries beyond the mini stream are never used
      for (uint32_t s : sectors) {
        if (minifat_.size() >= needed) break;
        read(sector_offset(s), sec);
        for (size_t j = 0; j < ss_ / 4; ++j) minifat_.push_back(get32(&sec[4 * j]));
      }
    }
    mini_used_.assign(static_cast<size_t>(root.size / kMiniSector), false);
  }

  // The file extents of a stream in the mini stream.
  std::vector<Extent> mini_chain(uint32_t start, uint64_t size, const std::string& what) {
    std::vector<Extent> v;
    uint64_t left = size;
    for (uint32_t s = start; left > 0;) {
      if (s == kEndOfChain) bad(what + ": its mini sector chain is shorter than its size of " + num(size));
      if (s >= mini_used_.size() || s >= minifat_.size())
        bad(what + " uses mini sector " + num(s) + " beyond the mini stream");
      if (mini_used_[s])
        bad(what + " uses mini sector " + num(s) +
            ", which is already in use (a loop or a cross-linked chain)");
      mini_used_[s] = true;
      // Mini sectors never straddle a sector, so each maps into one piece of the file.
      uint64_t at = uint64_t{s} * kMiniSector;
      uint64_t n = std::min(left, kMiniSector);
      size_t k = static_cast<size_t>(std::upper_bound(mini_starts_.begin(), mini_starts_.end(), at) -
                                     mini_starts_.begin()) -
                 1;
      uint64_t off = mini_extents_[k].offset + (at - mini_starts_[k]);
      if (!v.empty() && v.back().offset + v.back().length == off) {
        v.back().length += n;
      } else {
        v.push_back(Extent{off, n});
      }
      left -= n;
      s = minifat_[s];
    }
    return v;
  }

  void streams() {
    cf_.extents_.resize(cf_.entries_.size());
    for (size_t i = 1; i < cf_.entries_.size(); ++i) {
      const DirEntry& e = cf_.entries_[i];
      if (e.type != Type::stream || e.size == 0) continue;
      std::string what = "stream '" + display(e.name) + "'";
      uint32_t start = get32(raw_[i].data() + 116);
      if (e.size < kMiniCutoff) {
        cf_.extents_[i] = mini_chain(start, e.size, what);
      } else {
        if (e.size > nsectors_ * ss_)
          bad(what + " declares " + num(e.size) + " bytes, more than the file holds");
        cf_.extents_[i] = extents_of(chain(start, e.size, what), e.size, what);
      }
    }
  }

  CompoundFile& cf_;
  uint64_t max_entries_;
  std::array<uint8_t, 512> h_{};
  uint64_t ss_ = 512, nsectors_ = 0;
  std::vector<bool> used_, mini_used_;
  std::vector<uint32_t> fat_, minifat_;
  std::vector<std::vector<uint8_t>> raw_;
  std::vector<Extent> mini_extents_;
  std::vector<uint64_t> mini_starts_;  // offset of each mini stream extent within the mini stream
};

CompoundFile CompoundFile::open(io::FileRange range, std::string name, uint64_t max_entries) {
  CompoundFile cf;
  cf.range_ = std::move(range);
  cf.name_ = std::move(name);
  Parser(cf, max_entries).run();
  return cf;
}

io::SourcePtr CompoundFile::stream(size_t index) const {
  const DirEntry& e = entries_.at(index);
  if (e.type != Type::stream)
    throw io::Error("'" + display(e.name) + "' is not a stream", io::Location{name_});
  return std::make_shared<StreamSource>(range_, extents_[index], e.size, display(e.name));
}

size_t CompoundFile::find(size_t parent, std::u16string_view name) const {
  for (size_t c : entries_.at(parent).children) {
    if (entries_[c].name == name) return c;
  }
  return npos;
}

WriteNode copy_tree(const CompoundFile& cf, size_t index) {
  const DirEntry& e = cf.entries()[index];
  WriteNode n;
  n.name = e.name;
  n.type = e.type;
  n.clsid = e.clsid;
  n.state_bits = e.state_bits;
  n.times = e.times;
  if (e.type == Type::stream) n.data = cf.stream(index);
  for (size_t c : e.children) n.children.push_back(copy_tree(cf, c));
  return n;
}

}  // namespace signet::formats::cfb
