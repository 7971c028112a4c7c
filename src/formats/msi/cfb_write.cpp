// Writing a compound file ([MS-CFB]) from a tree, in one sequential pass. Layout after the header:
// FAT sectors, DIFAT sectors, the directory, the MiniFAT, the mini stream (streams under 4096
// bytes, 64-byte mini sectors), then every other stream in its own contiguous run of sectors.
// Each storage's children form a balanced binary search tree in [MS-CFB] order, coloured so that
// it is a valid red-black tree (nodes on the deepest level red, all others black).
#include <algorithm>
#include <functional>

#include "formats/msi/cfb.hpp"
#include "formats/msi/cfb_internal.hpp"
#include "io/error.hpp"

namespace signet::formats::cfb {

namespace {

constexpr size_t kChunk = 1 << 20;

char16_t upper(char16_t c) {
  if ((c >= u'a' && c <= u'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7))
    return static_cast<char16_t>(c - 0x20);
  return c;
}

struct Flat {
  const WriteNode* node = nullptr;
  uint32_t left = kNoStream, right = kNoStream, child = kNoStream;
  bool red = false;
  uint32_t start = kEndOfChain;
  uint64_t size = 0;
};

uint64_t ceil_div(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

}  // namespace

bool name_less(std::u16string_view a, std::u16string_view b) {
  if (a.size() != b.size()) return a.size() < b.size();
  for (size_t i = 0; i < a.size(); ++i) {
    char16_t x = upper(a[i]), y = upper(b[i]);
    if (x != y) return x < y;
  }
  return false;
}

void write_compound_file(const WriteNode& root, uint16_t major, io::File& out) {
  const uint64_t ss = major == 4 ? 4096 : 512;
  const uint64_t per_fat = ss / 4;

  // Directory ids: the root first, then each storage's children (sorted) in breadth order.
  std::vector<Flat> flat{Flat{&root}};
  std::function<uint32_t(std::vector<uint32_t>&, size_t, size_t, int, int)> build;
  build = [&](std::vector<uint32_t>& ids, size_t lo, size_t hi, int depth, int deepest) -> uint32_t {
    if (lo >= hi) return kNoStream;
    size_t mid = lo + (hi - lo) / 2;
    Flat& f = flat[ids[mid]];
    f.red = depth == deepest && depth > 0;
    uint32_t l = build(ids, lo, mid, depth + 1, deepest);
    uint32_t r = build(ids, mid + 1, hi, depth + 1, deepest);
    flat[ids[mid]].left = l;
    flat[ids[mid]].right = r;
    return ids[mid];
  };
  for (size_t i = 0; i < flat.size(); ++i) {
    const WriteNode* n = flat[i].node;
    if (n->children.empty()) continue;
    std::vector<const WriteNode*> kids;
    for (const auto& c : n->children) kids.push_back(&c);
    std::sort(kids.begin(), kids.end(),
              [](const WriteNode* a, const WriteNode* b) { return name_less(a->name, b->name); });
    for (size_t k = 1; k < kids.size(); ++k) {
      if (!name_less(kids[k - 1]->name, kids[k]->name)) {
        throw io::Error("two compound file entries named '" + display(kids[k]->name) + "' in one storage");
      }
    }
    std::vector<uint32_t> ids;
    for (const WriteNode* c : kids) {
      if (c->name.empty() || c->name.size() > 31)
        throw io::Error("bad compound file entry name '" + display(c->name) + "'");
      ids.push_back(static_cast<uint32_t>(flat.size()));
      flat.push_back(Flat{c});
    }
    int deepest = 0;
    while ((size_t{2} << deepest) - 1 < ids.size()) ++deepest;  // depth of the last level
    flat[i].child = build(ids, 0, ids.size(), 0, deepest);
  }

  // Sizes and mini-stream placement.
  uint64_t mini_sectors = 0;
  std::vector<size_t> big;
  for (size_t i = 1; i < flat.size(); ++i) {
    Flat& f = flat[i];
    if (f.node->type != Type::stream) continue;
    f.size = f.node->data ? f.node->data->size() : 0;
    if (major == 3 && f.size > 0xFFFFFFFFull)
      throw io::Error("stream '" + display(f.node->name) + "' is too large");
    if (f.size == 0) continue;
    if (f.size < kMiniCutoff) {
      f.start = static_cast<uint32_t>(mini_sectors);
      mini_sectors += ceil_div(f.size, kMiniSector);
    } else {
      big.push_back(i);
    }
  }
  uint64_t mini_size = mini_sectors * kMiniSector;
  uint64_t n_dir = ceil_div(flat.size() * 128, ss);
  uint64_t n_minifat = ceil_div(mini_sectors * 4, ss);
  uint64_t n_mini = ceil_div(mini_size, ss);
  uint64_t n_data = n_dir + n_minifat + n_mini;
  for (size_t i : big) n_data += ceil_div(flat[i].size, ss);
  uint64_t n_fat = 0, n_difat = 0;
  for (;;) {  // the FAT also covers its own sectors and the DIFAT's
    uint64_t fat = ceil_div(n_data + n_fat + n_difat, per_fat);
    uint64_t difat = fat > 109 ? ceil_div(fat - 109, per_fat - 1) : 0;
    if (fat == n_fat && difat == n_difat) break;
    n_fat = fat;
    n_difat = difat;
  }
  uint64_t total = n_fat + n_difat + n_data;
  if (total >= 0xFFFFFFFAull) throw io::Error("the compound file would be too large");

  std::vector<uint32_t> fat(static_cast<size_t>(n_fat * per_fat), kFreeSect);
  uint32_t next = 0;
  auto run = [&](uint64_t count) -> uint32_t {  // a contiguous chain of `count` sectors
    if (count == 0) return kEndOfChain;
    uint32_t start = next;
    for (uint64_t k = 0; k < count; ++k, ++next) fat[next] = k + 1 == count ? kEndOfChain : next + 1;
    return start;
  };
  for (uint64_t k = 0; k < n_fat; ++k) fat[next++] = kFatSect;
  uint32_t difat_start = n_difat ? next : kEndOfChain;
  for (uint64_t k = 0; k < n_difat; ++k) fat[next++] = kDifSect;
  uint32_t dir_start = run(n_dir);
  uint32_t minifat_start = run(n_minifat);
  flat[0].start = run(n_mini);
  flat[0].size = mini_size;
  for (size_t i : big) flat[i].start = run(ceil_div(flat[i].size, ss));

  // Header.
  std::vector<uint8_t> sector(static_cast<size_t>(ss), 0);
  std::copy(std::begin(kMagic), std::end(kMagic), sector.begin());
  set16(&sector[24], 0x003E);
  set16(&sector[26], major);
  set16(&sector[28], 0xFFFE);
  set16(&sector[30], major == 4 ? 12 : 9);
  set16(&sector[32], 6);
  set32(&sector[40], major == 4 ? static_cast<uint32_t>(n_dir) : 0);
  set32(&sector[44], static_cast<uint32_t>(n_fat));
  set32(&sector[48], dir_start);
  set32(&sector[56], static_cast<uint32_t>(kMiniCutoff));
  set32(&sector[60], minifat_start);
  set32(&sector[64], static_cast<uint32_t>(n_minifat));
  set32(&sector[68], difat_start);
  set32(&sector[72], static_cast<uint32_t>(n_difat));
  for (size_t k = 0; k < 109; ++k)
    set32(&sector[76 + 4 * k], k < n_fat ? static_cast<uint32_t>(k) : kFreeSect);
  out.write_all(sector);

  auto write_words = [&](const std::vector<uint32_t>& words) {  // whole sectors
    std::vector<uint8_t> buf(words.size() * 4);
    for (size_t k = 0; k < words.size(); ++k) set32(&buf[4 * k], words[k]);
    buf.resize(static_cast<size_t>(ceil_div(buf.size(), ss) * ss), 0);
    out.write_all(buf);
  };
  write_words(fat);
  if (n_difat) {
    std::vector<uint32_t> difat;
    uint64_t fat_index = 109;
    for (uint64_t d = 0; d < n_difat; ++d) {
      for (uint64_t k = 0; k + 1 < per_fat; ++k, ++fat_index) {
        difat.push_back(fat_index < n_fat ? static_cast<uint32_t>(fat_index) : kFreeSect);
      }
      difat.push_back(d + 1 < n_difat ? static_cast<uint32_t>(difat_start + d + 1) : kEndOfChain);
    }
    write_words(difat);
  }

  // Directory.
  std::vector<uint8_t> dir(static_cast<size_t>(n_dir * ss), 0);
  for (size_t i = 0; i < dir.size() / 128; ++i) {
    uint8_t* p = &dir[i * 128];
    set32(p + 68, kNoStream);
    set32(p + 72, kNoStream);
    set32(p + 76, kNoStream);
    if (i >= flat.size()) continue;
    const Flat& f = flat[i];
    const WriteNode& n = *f.node;
    std::u16string name = i == 0 ? u"Root Entry" : n.name;
    for (size_t k = 0; k < name.size(); ++k) set16(p + 2 * k, name[k]);
    set16(p + 64, static_cast<uint16_t>((name.size() + 1) * 2));
    p[66] = static_cast<uint8_t>(i == 0 ? Type::root : n.type);
    p[67] = f.red ? 0 : 1;
    set32(p + 68, f.left);
    set32(p + 72, f.right);
    set32(p + 76, f.child);
    std::copy(n.clsid.begin(), n.clsid.end(), p + 80);
    set32(p + 96, n.state_bits);
    std::copy(n.times.begin(), n.times.end(), p + 100);
    set32(p + 116, n.type == Type::storage ? 0 : f.start);
    set32(p + 120, static_cast<uint32_t>(f.size));
    set32(p + 124, static_cast<uint32_t>(f.size >> 32));
  }
  out.write_all(dir);

  // MiniFAT and mini stream, then the big streams.
  std::vector<uint32_t> minifat;
  std::vector<size_t> small;
  for (size_t i = 1; i < flat.size(); ++i) {
    if (flat[i].node->type == Type::stream && flat[i].size > 0 && flat[i].size < kMiniCutoff)
      small.push_back(i);
  }
  std::sort(small.begin(), small.end(), [&](size_t a, size_t b) { return flat[a].start < flat[b].start; });
  for (size_t i : small) {
    uint64_t n = ceil_div(flat[i].size, kMiniSector);
    for (uint64_t k = 0; k < n; ++k)
      minifat.push_back(k + 1 == n ? kEndOfChain : flat[i].start + static_cast<uint32_t>(k) + 1);
  }
  if (!minifat.empty()) {
    minifat.resize(static_cast<size_t>(n_minifat * per_fat), kFreeSect);
    write_words(minifat);
  }

  std::vector<uint8_t> buf(kChunk);
  auto copy_stream = [&](const Flat& f, uint64_t pad_to) {
    auto r = f.node->data->open();
    uint64_t done = 0;
    for (size_t n; (n = r->read(buf)) > 0;) {
      done += n;
      if (done > f.size) break;
      out.write_all(std::span<const uint8_t>(buf.data(), n));
    }
    if (done != f.size) {
      throw io::Error("stream '" + display(f.node->name) + "' delivered " + std::to_string(done) +
                      " bytes, not its " + std::to_string(f.size));
    }
    std::vector<uint8_t> zeros(static_cast<size_t>(ceil_div(f.size, pad_to) * pad_to - f.size), 0);
    out.write_all(zeros);
  };
  for (size_t i : small) copy_stream(flat[i], kMiniSector);
  if (mini_size % ss) out.write_all(std::vector<uint8_t>(static_cast<size_t>(ss - mini_size % ss), 0));
  for (size_t i : big) copy_stream(flat[i], ss);
}

}  // namespace signet::formats::cfb
