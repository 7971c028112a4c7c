// Version-resource strings for restrictions: resource directory -> RT_VERSION -> first name ->
// first language -> VS_VERSIONINFO -> StringFileInfo -> first StringTable.
#include <algorithm>

#include "formats/pe/pe_layout.hpp"
#include "io/error.hpp"
#include "io/utf16.hpp"

namespace signet::formats::pe {

namespace {

constexpr uint32_t kRtVersion = 16;
constexpr uint32_t kMaxDirEntries = 4096;

struct Malformed {};

uint16_t le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(le16(p)) | (static_cast<uint32_t>(le16(p + 2)) << 16);
}

// The resource section's bytes around the resource directory, read on demand and bounded.
class ResourceReader {
 public:
  ResourceReader(const Image& r, const Layout& l) : r_(r), l_(l) {}
  std::vector<uint8_t> read_rva(uint32_t rva, uint32_t size) const {
    auto off = rva_to_offset(l_, rva, size);
    if (!off || *off + size > r_.size()) throw Malformed{};
    std::vector<uint8_t> buf(size);
    r_.read(*off, buf);
    return buf;
  }

 private:
  const Image& r_;
  const Layout& l_;
};

// One IMAGE_RESOURCE_DIRECTORY level: the entry with `id` (or the first entry when id is 0),
// returning its OffsetToData.
std::optional<uint32_t> find_entry(const ResourceReader& rr, uint32_t root_rva, uint32_t dir_off,
                                   std::optional<uint32_t> id) {
  auto hdr = rr.read_rva(root_rva + dir_off, 16);
  uint32_t named = le16(hdr.data() + 12), ids = le16(hdr.data() + 14);
  uint32_t n = named + ids;
  if (n == 0) return std::nullopt;
  if (n > kMaxDirEntries) throw Malformed{};
  auto entries = rr.read_rva(root_rva + dir_off + 16, n * 8);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t name = le32(entries.data() + i * 8);
    uint32_t data = le32(entries.data() + i * 8 + 4);
    if (!id || (!(name & 0x80000000u) && name == *id)) return data;
  }
  return std::nullopt;
}

struct Block {
  std::u16string key;
  size_t value_off = 0, value_end = 0;
  size_t children = 0, end = 0;
  uint16_t type = 0;
};

size_t align4(size_t v) {
  return (v + 3) & ~size_t{3};
}

Block parse_block(const std::vector<uint8_t>& d, size_t off, size_t limit) {
  if (off + 6 > limit) throw Malformed{};
  Block b;
  uint16_t len = le16(d.data() + off);
  uint16_t vlen = le16(d.data() + off + 2);
  b.type = le16(d.data() + off + 4);
  if (len < 6 || off + len > limit) throw Malformed{};
  b.end = off + len;
  size_t p = off + 6;
  while (p + 2 <= b.end && le16(d.data() + p) != 0) {
    b.key.push_back(static_cast<char16_t>(le16(d.data() + p)));
    p += 2;
  }
  p += 2;
  b.value_off = std::min(align4(p), b.end);
  size_t vbytes = b.type == 1 ? size_t{vlen} * 2 : vlen;
  b.value_end = std::min(b.value_off + vbytes, b.end);
  b.children = std::min(align4(vlen ? b.value_end : b.value_off), b.end);
  return b;
}

std::vector<Block> children_of(const std::vector<uint8_t>& d, const Block& parent) {
  std::vector<Block> out;
  size_t p = parent.children;
  while (p + 6 <= parent.end && out.size() < 256) {
    if (le16(d.data() + p) == 0) break;  // padding
    Block c = parse_block(d, p, parent.end);
    out.push_back(c);
    p = align4(c.end);
  }
  return out;
}

std::string canonical(const std::u16string& key) {
  static const std::pair<std::u16string_view, const char*> names[] = {
      {u"ProductName", "product-name"},         {u"ProductVersion", "product-version"},
      {u"FileVersion", "file-version"},         {u"CompanyName", "company-name"},
      {u"LegalCopyright", "copyright"},         {u"OriginalFilename", "original-filename"},
      {u"FileDescription", "file-description"}, {u"InternalName", "internal-name"},
  };
  for (const auto& [k, v] : names) {
    if (key == k) return v;
  }
  return {};
}

}  // namespace

std::map<std::string, std::string> read_version_strings(const Image& range, const Layout& layout) {
  std::map<std::string, std::string> out;
  if (!layout.resource_dir) return out;
  try {
    ResourceReader rr(range, layout);
    const uint32_t root = layout.resource_dir->first;
    // Three levels: type (RT_VERSION), name (first), language (first); subdirectory offsets have
    // the high bit set, the last level points to an IMAGE_RESOURCE_DATA_ENTRY.
    auto type = find_entry(rr, root, 0, kRtVersion);
    if (!type || !(*type & 0x80000000u)) return out;
    auto name = find_entry(rr, root, *type & 0x7fffffffu, std::nullopt);
    if (!name || !(*name & 0x80000000u)) return out;
    auto lang = find_entry(rr, root, *name & 0x7fffffffu, std::nullopt);
    if (!lang || (*lang & 0x80000000u)) return out;
    auto entry = rr.read_rva(root + *lang, 16);
    uint32_t data_rva = le32(entry.data()), data_size = le32(entry.data() + 4);
    data_size = std::min<uint32_t>(data_size, 0xffff);  // VS_VERSIONINFO.wLength is 16 bits
    if (data_size < 6) return out;
    auto d = rr.read_rva(data_rva, data_size);
    Block top = parse_block(d, 0, d.size());
    if (top.key != u"VS_VERSION_INFO") return out;
    for (const auto& sfi : children_of(d, top)) {
      if (sfi.key != u"StringFileInfo") continue;
      auto tables = children_of(d, sfi);
      if (tables.empty()) break;
      for (const auto& s : children_of(d, tables.front())) {
        std::string key = canonical(s.key);
        if (key.empty() || out.count(key)) continue;
        std::u16string value;
        for (size_t p = s.value_off; p + 2 <= s.value_end; p += 2) {
          char16_t c = static_cast<char16_t>(le16(d.data() + p));
          if (c == 0) break;
          value.push_back(c);
        }
        out[key] = io::utf16_to_utf8(value);
      }
      break;
    }
  } catch (const Malformed&) {
  } catch (const io::Error&) {
  }
  return out;
}

}  // namespace signet::formats::pe
