// Names, extra fields and central record decoding shared by the zip reader and writer.
#include <algorithm>
#include <atomic>
#include <cctype>

#include "formats/zip/zip_internal.hpp"
#include "io/ascii.hpp"

namespace signet::formats::zip {

namespace {
constexpr uint64_t kDefaultZip64Threshold = 0xFFFFFFFFull;
std::atomic<uint64_t> g_zip64_threshold{kDefaultZip64Threshold};

bool is_sep(char c) {
  return c == '/' || c == '\\';
}
}  // namespace

uint64_t zip64_threshold() {
  return g_zip64_threshold.load(std::memory_order_relaxed);
}
void set_zip64_threshold_for_testing(uint64_t threshold) {
  g_zip64_threshold.store(threshold == 0 ? kDefaultZip64Threshold : threshold, std::memory_order_relaxed);
}

std::string name_problem(std::string_view raw) {
  if (raw.empty()) return "entry name is empty";
  if (raw.find('\0') != std::string_view::npos) return "entry name contains a NUL byte";
  if (is_sep(raw[0])) return "entry name is an absolute path";
  if (raw.size() >= 2 && std::isalpha(static_cast<unsigned char>(raw[0])) && raw[1] == ':') {
    return "entry name starts with a drive letter";
  }
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = start;
    while (end < raw.size() && !is_sep(raw[end])) ++end;
    if (raw.substr(start, end - start) == "..") return "entry name contains a '..' segment";
    start = end + 1;
  }
  return {};
}

std::string name_key(std::string_view raw) {
  std::string key;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = start;
    while (end < raw.size() && !is_sep(raw[end])) ++end;
    std::string_view seg = raw.substr(start, end - start);
    if (!seg.empty() && seg != ".") {
      if (!key.empty()) key += '/';
      key += io::ascii_lower(seg);
    }
    start = end + 1;
  }
  return key;
}

size_t walk_extra(std::span<const uint8_t> extra,
                  const std::function<void(uint16_t, std::span<const uint8_t>)>& fn) {
  size_t pos = 0;
  while (extra.size() - pos >= 4) {
    uint16_t id = get16(extra.data() + pos);
    uint16_t len = get16(extra.data() + pos + 2);
    if (len > extra.size() - pos - 4) break;
    fn(id, extra.subspan(pos + 4, len));
    pos += 4 + len;
  }
  return pos;
}

std::optional<std::span<const uint8_t>> find_extra(std::span<const uint8_t> extra, uint16_t id) {
  std::optional<std::span<const uint8_t>> found;
  walk_extra(extra, [&](uint16_t fid, std::span<const uint8_t> data) {
    if (fid == id && !found) found = data;
  });
  return found;
}

std::vector<uint8_t> strip_extra(std::span<const uint8_t> extra, uint16_t id) {
  std::vector<uint8_t> out;
  size_t used = walk_extra(extra, [&](uint16_t fid, std::span<const uint8_t> data) {
    if (fid == id) return;
    put16(out, fid);
    put16(out, static_cast<uint16_t>(data.size()));
    put_bytes(out, data);
  });
  put_bytes(out, extra.subspan(used));
  return out;
}

std::optional<std::string> decode_central(std::span<const uint8_t> rec, CentralFields& f) {
  const uint8_t* p = rec.data();
  f.rec = rec;
  f.made_by = get16(p + 4);
  f.needed = get16(p + 6);
  f.flags = get16(p + 8);
  f.method = get16(p + 10);
  f.time = get16(p + 12);
  f.date = get16(p + 14);
  f.crc = get32(p + 16);
  uint32_t csize = get32(p + 20), usize = get32(p + 24);
  f.name_len = get16(p + 28);
  f.extra_len = get16(p + 30);
  f.comment_len = get16(p + 32);
  uint16_t disk = get16(p + 34);
  uint32_t offset = get32(p + 42);
  f.z_usize = usize == 0xFFFFFFFF;
  f.z_csize = csize == 0xFFFFFFFF;
  f.z_offset = offset == 0xFFFFFFFF;
  f.z_disk = disk == 0xFFFF;
  f.usize = usize;
  f.csize = csize;
  f.local_offset = offset;
  f.disk = disk;
  if (!(f.z_usize || f.z_csize || f.z_offset || f.z_disk)) return std::nullopt;
  // The ZIP64 field holds, in this order, exactly the values whose 32-bit fields are the marker.
  auto z = find_extra(f.extra(), kZip64ExtraId);
  size_t need = (f.z_usize + f.z_csize + f.z_offset) * 8u + (f.z_disk ? 4u : 0u);
  if (!z || z->size() < need) return std::string("ZIP64 extended information field is missing or too short");
  const uint8_t* q = z->data();
  if (f.z_usize) f.usize = get64(q), q += 8;
  if (f.z_csize) f.csize = get64(q), q += 8;
  if (f.z_offset) f.local_offset = get64(q), q += 8;
  if (f.z_disk) f.disk = get32(q);
  return std::nullopt;
}

void read_at(const io::FileRange& range, uint64_t offset, std::span<uint8_t> buf) {
  range.file->read_exact(range.offset + offset, buf);
}

SeqReader::SeqReader(io::FileRange range, uint64_t offset, uint64_t length)
    : range_(std::move(range)), next_(offset), left_(length) {}

std::optional<std::span<const uint8_t>> SeqReader::peek(size_t n) {
  constexpr size_t kBuf = 256 << 10;
  if (end_ - pos_ >= n) return std::span<const uint8_t>(buf_.data() + pos_, n);
  if (n - (end_ - pos_) > left_) return std::nullopt;
  std::copy(buf_.begin() + static_cast<std::ptrdiff_t>(pos_),
            buf_.begin() + static_cast<std::ptrdiff_t>(end_), buf_.begin());
  end_ -= pos_;
  pos_ = 0;
  size_t want_size = std::max<size_t>(n, static_cast<size_t>(std::min<uint64_t>(kBuf, end_ + left_)));
  if (buf_.size() < want_size) buf_.resize(want_size);
  size_t want = static_cast<size_t>(std::min<uint64_t>(left_, buf_.size() - end_));
  read_at(range_, next_, std::span<uint8_t>(buf_.data() + end_, want));
  next_ += want;
  left_ -= want;
  end_ += want;
  return std::span<const uint8_t>(buf_.data(), n);
}

}  // namespace signet::formats::zip
