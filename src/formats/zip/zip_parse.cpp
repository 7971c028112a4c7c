// Reading a zip archive: end of central directory (and ZIP64), central directory, local headers,
// data descriptors. Every offset and size is checked against the file before it is used, and
// anything two zip readers could interpret differently is rejected.
#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "formats/zip/zip_internal.hpp"

namespace signet::formats::zip {

namespace {

constexpr uint64_t kRatioFloor = 1 << 20;  // the ratio limit applies above 1 MiB

std::string num(uint64_t v) {
  return std::to_string(v);
}

struct Eocd {
  uint64_t count = 0, cd_size = 0, cd_offset = 0;
  bool zip64 = false;
  bool marks_count = false, marks_size = false, marks_offset = false;
  uint16_t zip64_made_by = 45, zip64_needed = 45;
  std::vector<uint8_t> comment;
};

// Decodes and checks the end of central directory record at `pos` (and its ZIP64 companions).
Eocd read_eocd(const Archive& a, uint64_t pos, const Limits& limits) {
  uint8_t e[kEocdFixed];
  read_at(a.range, pos, e);
  Eocd r;
  uint32_t disk = get16(e + 4), cd_disk = get16(e + 6);
  uint64_t count_disk = get16(e + 8);
  r.count = get16(e + 10);
  r.cd_size = get32(e + 12);
  r.cd_offset = get32(e + 16);
  r.marks_count = r.count == 0xFFFF;
  r.marks_size = r.cd_size == 0xFFFFFFFF;
  r.marks_offset = r.cd_offset == 0xFFFFFFFF;
  r.comment.resize(get16(e + 20));
  read_at(a.range, pos + kEocdFixed, r.comment);

  uint64_t cd_limit = pos;  // the central directory must end exactly here
  if (pos >= kZip64LocatorSize) {
    uint8_t loc[kZip64LocatorSize];
    read_at(a.range, pos - kZip64LocatorSize, loc);
    if (get32(loc) == kZip64LocatorSig) {
      uint64_t loc_pos = pos - kZip64LocatorSize;
      uint64_t z_off = get64(loc + 8);
      if (get32(loc + 4) != 0 || get32(loc + 16) > 1)
        fail(a.name, "multi-disk (spanned) archives are not supported");
      if (z_off > loc_pos || loc_pos - z_off < kZip64EocdFixed) {
        fail(a.name,
             "ZIP64 end of central directory locator points outside the file (offset " + num(z_off) + ")");
      }
      uint8_t z[kZip64EocdFixed];
      read_at(a.range, z_off, z);
      if (get32(z) != kZip64EocdSig) {
        fail(a.name, "no ZIP64 end of central directory record at offset " + num(z_off) +
                         " where its locator points");
      }
      if (get64(z + 4) != loc_pos - z_off - 12) {
        fail(a.name, "ZIP64 end of central directory record size " + num(get64(z + 4)) +
                         " disagrees with its position before the locator");
      }
      r.zip64 = true;
      r.zip64_made_by = get16(z + 12);
      r.zip64_needed = get16(z + 14);
      disk = get32(z + 16);
      cd_disk = get32(z + 20);
      count_disk = get64(z + 24);
      r.count = get64(z + 32);
      r.cd_size = get64(z + 40);
      r.cd_offset = get64(z + 48);
      cd_limit = z_off;
    }
  }
  if (disk != 0 || cd_disk != 0 || count_disk != r.count) {
    fail(a.name, "multi-disk (spanned) archives are not supported");
  }
  if (r.cd_offset > cd_limit || r.cd_size > cd_limit - r.cd_offset) {
    fail(a.name, "end of central directory points outside the file (central directory at offset " +
                     num(r.cd_offset) + ", " + num(r.cd_size) + " bytes, but it must end by offset " +
                     num(cd_limit) + ")");
  }
  if (r.cd_offset + r.cd_size != cd_limit) {
    fail(a.name, "central directory (offset " + num(r.cd_offset) + ", " + num(r.cd_size) +
                     " bytes) does not end where the end of central directory record begins (offset " +
                     num(cd_limit) + ")");
  }
  if (r.count > limits.max_entries) {
    fail(a.name,
         "archive declares " + num(r.count) + " entries, more than the limit of " + num(limits.max_entries));
  }
  if (r.count > r.cd_size / kCentralFixed) {
    fail(a.name, "central directory of " + num(r.cd_size) + " bytes cannot hold the " + num(r.count) +
                     " entries it declares");
  }
  return r;
}

// Finds the one end of central directory record. Its comment must reach exactly the end of the
// file; a signature inside a comment could fake another one, so all candidates are checked and
// more than one valid candidate is rejected as ambiguous.
Eocd find_eocd(const Archive& a, const Limits& limits) {
  uint64_t size = a.range.size;
  if (size < kEocdFixed) {
    fail(a.name, "not a zip archive (or truncated): " + num(size) +
                     " bytes is too short for an end of "
                     "central directory record");
  }
  size_t tail_len = static_cast<size_t>(std::min<uint64_t>(size, 0xFFFF + kEocdFixed));
  uint64_t tail_start = size - tail_len;
  std::vector<uint8_t> tail(tail_len);
  read_at(a.range, tail_start, tail);
  std::vector<uint64_t> exact;
  bool any_signature = false;
  for (size_t i = tail_len - kEocdFixed + 1; i-- > 0;) {
    if (get32(&tail[i]) != kEocdSig) continue;
    any_signature = true;
    if (i + kEocdFixed + get16(&tail[i + 20]) == tail_len) exact.push_back(tail_start + i);
  }
  if (exact.empty()) {
    fail(a.name, any_signature
                     ? "the end of central directory record's comment length does not reach the end "
                       "of the file (truncated, or data appended after the archive)"
                     : "not a zip archive (or truncated): no end of central directory record");
  }
  std::optional<Eocd> found;
  std::optional<io::Error> first_error;
  int valid = 0;
  for (uint64_t pos : exact) {
    try {
      Eocd e = read_eocd(a, pos, limits);
      if (!found) found = std::move(e);
      ++valid;
    } catch (const io::Error& err) {
      if (!first_error) first_error = err;
    }
  }
  if (valid == 0) throw *first_error;
  if (valid > 1) fail(a.name, "ambiguous archive: more than one valid end of central directory record");
  return std::move(*found);
}

std::string_view raw_name(const Archive& a, size_t i) {
  return a.records[i].raw_name.empty() ? std::string_view(a.entries[i].path) : a.records[i].raw_name;
}

void read_central_directory(Archive& a, const Eocd& eocd, const Limits& limits) {
  a.entries.reserve(static_cast<size_t>(eocd.count));
  a.records.reserve(static_cast<size_t>(eocd.count));
  std::unordered_map<std::string, size_t> seen;
  seen.reserve(static_cast<size_t>(eocd.count));
  uint64_t total = 0;
  SeqReader rd(a.range, eocd.cd_offset, eocd.cd_size);
  for (uint64_t k = 0; k < eocd.count; ++k) {
    uint64_t rec_off = eocd.cd_offset + eocd.cd_size - rd.remaining();
    std::string which = "central directory record " + num(k + 1) + " of " + num(eocd.count);
    auto fixed = rd.peek(kCentralFixed);
    if (!fixed) fail(a.name, "central directory is truncated at " + which);
    if (get32(fixed->data()) != kCentralSig) fail(a.name, which + " has a bad signature");
    size_t len =
        kCentralFixed + get16(fixed->data() + 28) + get16(fixed->data() + 30) + get16(fixed->data() + 32);
    auto rec = rd.peek(len);
    if (!rec) fail(a.name, "central directory is truncated at " + which);
    CentralFields f;
    auto why = decode_central(*rec, f);
    std::string raw(reinterpret_cast<const char*>(f.name().data()), f.name().size());
    rd.skip(len);
    if (why) fail_entry(a.name, raw, *why);
    if (auto problem = name_problem(raw); !problem.empty()) fail_entry(a.name, raw, problem);
    if (f.disk != 0)
      fail_entry(a.name, raw, "entry lies on another disk (spanned archives are not supported)");
    auto [it, fresh] = seen.emplace(name_key(raw), a.entries.size());
    if (!fresh) {
      fail_entry(a.name, raw,
                 "duplicate name: same path as entry '" + display_name(raw_name(a, it->second)) +
                     "' (names are compared case-insensitively, with '\\' and '/' alike)");
    }
    if (f.usize > limits.max_entry_size) {
      fail_entry(a.name, raw,
                 "uncompressed size " + num(f.usize) + " exceeds the limit of " + num(limits.max_entry_size) +
                     " bytes");
    }
    if (f.usize > limits.max_total_size - std::min(total, limits.max_total_size)) {
      fail_entry(a.name, raw,
                 "total uncompressed size of the archive exceeds the limit of " + num(limits.max_total_size) +
                     " bytes");
    }
    total += f.usize;
    if (f.usize > kRatioFloor && static_cast<unsigned __int128>(f.csize) * limits.max_ratio < f.usize) {
      fail_entry(a.name, raw,
                 "compression ratio exceeds the limit of " + num(limits.max_ratio) + ":1 (" + num(f.usize) +
                     " bytes from " + num(f.csize) + " compressed)");
    }
    if (f.method == kMethodStored && !(f.flags & kFlagEncrypted) && f.csize != f.usize) {
      fail_entry(a.name, raw,
                 "stored entry's compressed size " + num(f.csize) + " differs from its size " + num(f.usize));
    }

    Entry e;
    e.path = raw;
    std::replace(e.path.begin(), e.path.end(), '\\', '/');
    e.directory = e.path.back() == '/';
    e.size = f.usize;
    Record r;
    if (e.path != raw) r.raw_name = raw;
    r.central_offset = rec_off;
    r.central_length = static_cast<uint32_t>(len);
    r.flags = f.flags;
    r.method = f.method;
    r.time = f.time;
    r.date = f.date;
    r.crc = f.crc;
    r.csize = f.csize;
    r.usize = f.usize;
    r.local_offset = f.local_offset;
    a.entries.push_back(std::move(e));
    a.records.push_back(std::move(r));
  }
  if (rd.remaining() != 0) {
    fail(a.name, "central directory has " + num(rd.remaining()) + " bytes after its " + num(eocd.count) +
                     " declared entries");
  }
}

bool descriptor_matches(std::span<const uint8_t> d, bool sig, bool wide, const Record& r) {
  size_t len = (sig ? 4 : 0) + (wide ? 20 : 12);
  if (d.size() < len) return false;
  const uint8_t* p = d.data();
  if (sig) {
    if (get32(p) != kDescriptorSig) return false;
    p += 4;
  }
  uint64_t c = wide ? get64(p + 4) : get32(p + 4);
  uint64_t u = wide ? get64(p + 12) : get32(p + 8);
  return get32(p) == r.crc && c == r.csize && u == r.usize;
}

// Checks entry i's local header against its central record and finds where its bytes end.
void read_local(Archive& a, size_t i, uint64_t region_end) {
  Record& r = a.records[i];
  std::string raw(raw_name(a, i));
  auto bad = [&](const std::string& why) { fail_entry(a.name, raw, why); };
  if (r.local_offset > region_end || region_end - r.local_offset < kLocalFixed) {
    bad("local header offset " + num(r.local_offset) + " lies outside the entry data (which ends at offset " +
        num(region_end) + ")");
  }
  uint8_t h[kLocalFixed];
  read_at(a.range, r.local_offset, h);
  if (get32(h) != kLocalSig) bad("no local header at offset " + num(r.local_offset));
  uint16_t flags = get16(h + 6), method = get16(h + 8);
  uint32_t crc = get32(h + 14);
  uint64_t csize = get32(h + 18), usize = get32(h + 22);
  size_t name_len = get16(h + 26), extra_len = get16(h + 28);
  if (region_end - r.local_offset - kLocalFixed < name_len + extra_len)
    bad("local header runs into the central directory");
  std::vector<uint8_t> var(name_len + extra_len);
  read_at(a.range, r.local_offset + kLocalFixed, var);
  std::string_view local_name(reinterpret_cast<const char*>(var.data()), name_len);
  if (local_name != raw)
    bad("local header name '" + display_name(local_name) + "' differs from the central directory's");
  if (method != r.method) {
    bad("local header compression method " + num(method) + " differs from the central directory's (" +
        num(r.method) + ")");
  }
  if ((flags ^ r.flags) & (kFlagEncrypted | kFlagDescriptor)) {
    bad("local header flags disagree with the central directory's about encryption or a data descriptor");
  }
  r.data_offset = r.local_offset + kLocalFixed + name_len + extra_len;
  if (r.csize > region_end - r.data_offset) {
    bad("compressed data (" + num(r.csize) + " bytes at offset " + num(r.data_offset) +
        ") extends past the entry data (which ends at offset " + num(region_end) + ")");
  }
  auto extra = std::span<const uint8_t>(var).subspan(name_len);
  auto zip64 = find_extra(extra, kZip64ExtraId);
  if (!(flags & kFlagDescriptor)) {
    if (csize == 0xFFFFFFFF || usize == 0xFFFFFFFF) {
      // Local ZIP64 fields hold both sizes (APPNOTE 4.5.3); accept a lone one as well.
      if (zip64 && zip64->size() >= 16) {
        usize = get64(zip64->data());
        csize = get64(zip64->data() + 8);
      } else if (zip64 && zip64->size() >= 8 && (csize == 0xFFFFFFFF) != (usize == 0xFFFFFFFF)) {
        (usize == 0xFFFFFFFF ? usize : csize) = get64(zip64->data());
      } else {
        bad("local header's ZIP64 extended information field is missing or too short");
      }
    }
    if (crc != r.crc || csize != r.csize || usize != r.usize) {
      bad("local header CRC-32/sizes (" + num(crc) + ", " + num(csize) + ", " + num(usize) +
          ") differ from the central directory's (" + num(r.crc) + ", " + num(r.csize) + ", " + num(r.usize) +
          ")");
    }
    r.end_offset = r.data_offset + r.csize;
    return;
  }
  // Data descriptor: optional signature, CRC-32, then 32- or 64-bit sizes; the variant is the one
  // that agrees with the central directory.
  uint64_t pos = r.data_offset + r.csize;
  std::vector<uint8_t> d(static_cast<size_t>(std::min<uint64_t>(24, region_end - pos)));
  read_at(a.range, pos, d);
  bool wide_first = zip64.has_value();
  for (bool sig : {true, false}) {
    for (bool wide : {wide_first, !wide_first}) {
      if (descriptor_matches(d, sig, wide, r)) {
        r.end_offset = pos + (sig ? 4 : 0) + (wide ? 20 : 12);
        return;
      }
    }
  }
  bad("data descriptor after the compressed data is missing or disagrees with the central directory");
}

void check_overlaps(Archive& a, uint64_t cd_offset) {
  std::vector<size_t> order(a.records.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t x, size_t y) { return a.records[x].local_offset < a.records[y].local_offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const Record& prev = a.records[order[k - 1]];
    const Record& cur = a.records[order[k]];
    if (cur.local_offset < prev.end_offset) {
      fail_entry(a.name, raw_name(a, order[k]),
                 "overlaps entry '" + display_name(raw_name(a, order[k - 1])) + "' (offsets " +
                     num(cur.local_offset) + " and " + num(prev.local_offset) + "-" + num(prev.end_offset) +
                     ")");
    }
  }
  a.prefix_size = order.empty() ? cd_offset : a.records[order[0]].local_offset;
}

}  // namespace

Archive parse_archive(io::FileRange range, std::string name, const Limits& limits) {
  Archive a;
  a.range = std::move(range);
  a.name = std::move(name);
  Eocd eocd = find_eocd(a, limits);
  a.cd_offset = eocd.cd_offset;
  a.cd_size = eocd.cd_size;
  a.zip64_eocd = eocd.zip64;
  a.marks_count = eocd.zip64 && eocd.marks_count;
  a.marks_size = eocd.zip64 && eocd.marks_size;
  a.marks_offset = eocd.zip64 && eocd.marks_offset;
  a.zip64_made_by = eocd.zip64_made_by;
  a.zip64_needed = eocd.zip64_needed;
  a.comment = std::move(eocd.comment);
  read_central_directory(a, eocd, limits);
  for (size_t i = 0; i < a.records.size(); ++i) read_local(a, i, a.cd_offset);
  check_overlaps(a, a.cd_offset);
  return a;
}

}  // namespace signet::formats::zip
