#include "formats/pe/pe_layout.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "formats/pe/pe.hpp"
#include "io/error.hpp"

namespace signet::formats::pe {

namespace {

constexpr uint64_t kMaxHeaderRead = 64 << 10;  // headers beyond this are not plausible
constexpr uint16_t kPe32 = 0x10b;
constexpr uint16_t kPe32Plus = 0x20b;
constexpr size_t kSectionHeader = 40;
constexpr uint32_t kMaxCertEntries = 64;

uint16_t le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

class Bytes {
 public:
  Bytes(const Image& r, std::string name) : r_(r), name_(std::move(name)) {}
  [[noreturn]] void fail(const std::string& why) const {
    throw io::Error("not a valid PE file: " + why, io::Location{name_});
  }
  std::vector<uint8_t> read(uint64_t off, uint64_t len, const char* what) const {
    if (off > r_.size() || len > r_.size() - off)
      fail(std::string(what) + " lies beyond the end of the file");
    std::vector<uint8_t> buf(static_cast<size_t>(len));
    r_.read(off, buf);
    return buf;
  }

 private:
  const Image& r_;
  std::string name_;
};

// DER length of the first TLV in `d` (0 when it is not a definite-length DER header).
size_t der_length(std::span<const uint8_t> d) {
  if (d.size() < 2 || d[0] != 0x30) return 0;
  size_t len = d[1];
  size_t hdr = 2;
  if (len & 0x80) {
    size_t n = len & 0x7f;
    if (n == 0 || n > 4 || d.size() < 2 + n) return 0;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | d[2 + i];
    hdr += n;
  }
  if (len > d.size() - hdr) return 0;
  return hdr + len;
}

}  // namespace

bool looks_like_pe(std::span<const uint8_t> head) {
  if (head.size() < 64 || head[0] != 'M' || head[1] != 'Z') return false;
  uint32_t off = le32(head.data() + 0x3c);
  return off <= head.size() - 4 && std::memcmp(head.data() + off, "PE\0\0", 4) == 0;
}

Layout parse_layout(const Image& range, const std::string& name) {
  Bytes in(range, name);
  Layout l;
  l.file_size = range.size();
  if (range.size() < 64) in.fail("shorter than a DOS header");
  auto dos = in.read(0, 64, "the DOS header");
  if (dos[0] != 'M' || dos[1] != 'Z') in.fail("no MZ signature");
  const uint32_t pe_off = le32(dos.data() + 0x3c);
  if (pe_off > kMaxHeaderRead) in.fail("e_lfanew points too far (" + std::to_string(pe_off) + ")");
  auto nt = in.read(pe_off, 24, "the PE header");
  if (std::memcmp(nt.data(), "PE\0\0", 4) != 0) in.fail("no PE signature at e_lfanew");
  const uint16_t nsections = le16(nt.data() + 4 + 2);
  const uint16_t opt_size = le16(nt.data() + 4 + 16);
  const uint64_t opt_off = uint64_t{pe_off} + 24;
  if (opt_size < 2) in.fail("no optional header");
  auto opt = in.read(opt_off, opt_size, "the optional header");
  const uint16_t magic = le16(opt.data());
  if (magic != kPe32 && magic != kPe32Plus) in.fail("unknown optional header magic");
  l.pe32plus = magic == kPe32Plus;
  const size_t rva_count_at = l.pe32plus ? 108 : 92;
  const size_t dirs_at = rva_count_at + 4;
  if (opt.size() < dirs_at) in.fail("optional header too small (" + std::to_string(opt_size) + " bytes)");
  l.checksum_offset = opt_off + 64;
  l.checksum = le32(opt.data() + 64);
  const uint32_t rva_count = le32(opt.data() + rva_count_at);
  const uint64_t dir_count = std::min<uint64_t>(rva_count, (opt.size() - dirs_at) / 8);
  // Entries claimed beyond the optional header are ignored (only those inside it are read).
  if (dir_count > 2) {
    const uint8_t* d = opt.data() + dirs_at + 2 * 8;
    if (le32(d) && le32(d + 4)) l.resource_dir = std::make_pair(le32(d), le32(d + 4));
  }
  if (dir_count > 4) {
    l.cert_dir_offset = opt_off + dirs_at + 4 * 8;
    const uint8_t* d = opt.data() + dirs_at + 4 * 8;
    l.cert_table_offset = le32(d);
    l.cert_table_size = le32(d + 4);
    if (l.cert_table_offset == 0) l.cert_table_size = 0;
    if (l.cert_table_size == 0) l.cert_table_offset = 0;
  }

  const uint64_t sect_off = opt_off + opt_size;
  const uint64_t sect_end = sect_off + uint64_t{nsections} * kSectionHeader;
  auto sect = in.read(sect_off, uint64_t{nsections} * kSectionHeader, "the section table");
  for (size_t i = 0; i < nsections; ++i) {
    const uint8_t* s = sect.data() + i * kSectionHeader;
    Section x{le32(s + 12), le32(s + 8), le32(s + 20), le32(s + 16)};
    if (x.raw_size && (x.raw_offset > range.size() || x.raw_size > range.size() - x.raw_offset)) {
      in.fail("section " + std::to_string(i + 1) + " data lies beyond the end of the file");
    }
    l.sections.push_back(x);
  }

  if (l.cert_table_offset) {
    const uint64_t t_off = l.cert_table_offset, t_size = l.cert_table_size;
    if (t_off < sect_end) in.fail("the certificate table overlaps the headers");
    if (t_off > range.size() || t_size > range.size() - t_off)
      in.fail("the certificate table lies beyond the end of the file");
    if (t_off + t_size != range.size()) {
      in.fail("data follows the certificate table (" + std::to_string(range.size() - t_off - t_size) +
              " bytes)");
    }
    if (t_size < 8) in.fail("the certificate table is too small");
    for (size_t i = 0; i < l.sections.size(); ++i) {
      const auto& s = l.sections[i];
      if (s.raw_size && uint64_t{s.raw_offset} + s.raw_size > t_off) {
        in.fail("section " + std::to_string(i + 1) + " overlaps the certificate table");
      }
    }
    auto table = in.read(t_off, t_size, "the certificate table");
    uint64_t pos = 0;
    while (pos + 8 <= t_size) {
      CertEntry e;
      e.offset = t_off + pos;
      e.length = le32(table.data() + pos);
      e.revision = le16(table.data() + pos + 4);
      e.type = le16(table.data() + pos + 6);
      if (e.length == 0 && pos > 0) break;  // zero padding after the last entry
      if (e.length < 8 || e.length > t_size - pos) {
        in.fail("certificate table entry " + std::to_string(l.certificates.size() + 1) + " has a bad length");
      }
      if (e.type == 2) {
        std::span<const uint8_t> body(table.data() + pos + 8, e.length - 8);
        size_t n = der_length(body);
        if (n == 0)
          in.fail("certificate table entry " + std::to_string(l.certificates.size() + 1) + " is not DER");
        e.der.assign(body.begin(), body.begin() + static_cast<long>(n));
      }
      l.certificates.push_back(std::move(e));
      if (l.certificates.size() > kMaxCertEntries) in.fail("too many certificate table entries");
      pos += (uint64_t{l.certificates.back().length} + 7) & ~uint64_t{7};
    }
  }
  return l;
}

void Image::scan(uint64_t end, const std::function<void(uint64_t, std::span<const uint8_t>)>& fn) const {
  // The bulk is mapped a window at a time rather than read: reading copies every byte out of the
  // page cache, which on the benchmark machine cost a third as much as SHA-256 itself. The window
  // bounds what is resident (mapped pages count towards RSS). pread is the fallback.
  constexpr uint64_t kWindow = 16 << 20;
  constexpr size_t kPart = 256 << 10;
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  if (end > size())
    throw io::Error("the file is shorter than its headers say", io::Location{range_.file->path().string()});
  std::vector<uint8_t> buf;
  for (uint64_t pos = 0; pos < end;) {
    const uint64_t at = range_.offset + pos, base = at / page * page;
    const uint64_t len = std::min(kWindow, end - pos);
    const size_t map_len = static_cast<size_t>(at - base + len);
    // Small files are read: mapping and unmapping costs more than copying a few pages.
    void* m = end < kWindow / 16 ? MAP_FAILED
                                 : ::mmap(nullptr, map_len, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
                                          range_.file->fd(), static_cast<off_t>(base));
    const uint8_t* data = nullptr;
    if (m != MAP_FAILED) {
      data = static_cast<const uint8_t*>(m) + (at - base);
    } else {
      buf.resize(static_cast<size_t>(len));
      read(pos, buf);
      data = buf.data();
    }
    try {
      for (uint64_t o = 0; o < len; o += kPart) {
        fn(pos + o,
           std::span<const uint8_t>(data + o, static_cast<size_t>(std::min<uint64_t>(kPart, len - o))));
      }
    } catch (...) {
      if (m != MAP_FAILED) ::munmap(m, map_len);
      throw;
    }
    if (m != MAP_FAILED) ::munmap(m, map_len);
    pos += len;
  }
}

std::optional<uint64_t> rva_to_offset(const Layout& l, uint32_t rva, uint32_t size) {
  for (const auto& s : l.sections) {
    if (rva >= s.virtual_address && rva - s.virtual_address < s.raw_size) {
      uint64_t within = rva - s.virtual_address;
      if (size > s.raw_size - within) return std::nullopt;
      return uint64_t{s.raw_offset} + within;
    }
  }
  return std::nullopt;
}

}  // namespace signet::formats::pe
