// Writing a zip archive: unchanged entries are copied raw (local header, data, descriptor) with
// copy_file_range; replaced and added entries are streamed once (CRC-32 and deflate on the fly)
// and their local header patched in place afterwards; the central directory is the original one
// with offsets (and, for replaced entries, CRC, sizes and method) updated.

#include <algorithm>
#include <ctime>
#include <unordered_set>

#include "formats/zip/zip_internal.hpp"
#include "io/crc32.hpp"
#include "io/deflate.hpp"
#include "io/patch_output.hpp"

namespace signet::formats::zip {

namespace {

constexpr size_t kChunk = 1 << 20;
constexpr uint32_t kMarker32 = 0xFFFFFFFF;
constexpr uint16_t kZip64Version = 45;
constexpr uint32_t kUnixRegular0644 = 0100644u << 16;
constexpr uint16_t kMadeByUnix = 3 << 8;

std::string num(uint64_t v) {
  return std::to_string(v);
}

using Out = io::PatchOutput;

// Where a freshly written entry is and what it holds.
struct NewEntry {
  uint64_t offset = 0;
  uint16_t method = 0, flags = 0, time = 0, date = 0, needed = 0;
  uint32_t crc = 0;
  uint64_t csize = 0, usize = 0;
  bool fresh = false;  // written from new bytes (else copied raw)
};

struct Header {
  std::span<const uint8_t> name;
  std::vector<uint8_t> extra;  // without any ZIP64 field
  uint16_t method = 0, flags = 0, time = 0, date = 0;
};

// Streams `src` as one entry: local header with placeholder CRC/sizes, data, then the header patched.
NewEntry write_entry(Out& out, const Header& h, const io::Source& src, const std::string& container,
                     std::string_view name_for_errors) {
  NewEntry e;
  e.offset = out.pos();
  e.method = h.method;
  e.flags = h.flags;
  e.time = h.time;
  e.date = h.date;
  uint64_t declared = src.size();
  uint64_t limit = zip64_threshold();
  bool zip64 =
      declared >= limit || (h.method == kMethodDeflate ? io::deflate_bound(declared) : declared) >= limit;
  e.needed = zip64 ? kZip64Version : (h.method == kMethodDeflate ? 20 : 10);

  std::vector<uint8_t> extra;
  if (zip64) {
    put16(extra, kZip64ExtraId);
    put16(extra, 16);
    put64(extra, 0);
    put64(extra, 0);
  }
  put_bytes(extra, h.extra);
  if (extra.size() > 0xFFFF)
    fail_entry(container, name_for_errors, "extra fields are too long for a local header");
  std::vector<uint8_t> hdr;
  put32(hdr, kLocalSig);
  put16(hdr, e.needed);
  put16(hdr, e.flags);
  put16(hdr, e.method);
  put16(hdr, e.time);
  put16(hdr, e.date);
  put32(hdr, 0);
  put32(hdr, zip64 ? kMarker32 : 0);
  put32(hdr, zip64 ? kMarker32 : 0);
  put16(hdr, static_cast<uint16_t>(h.name.size()));
  put16(hdr, static_cast<uint16_t>(extra.size()));
  put_bytes(hdr, h.name);
  put_bytes(hdr, extra);
  out.write(hdr);

  auto reader = src.open();
  std::vector<uint8_t> in(static_cast<size_t>(std::min<uint64_t>(kChunk, std::max<uint64_t>(declared, 1))));
  std::optional<io::RawDeflate> deflater;
  if (h.method == kMethodDeflate) deflater.emplace(container);
  auto emit = [&](std::span<const uint8_t> packed) {
    out.write(packed);
    e.csize += packed.size();
  };
  uint32_t crc = 0;
  for (;;) {
    size_t n = reader->read(in);
    if (n == 0) break;
    auto chunk = std::span<uint8_t>(in.data(), n);
    crc = io::crc32(crc, chunk);
    e.usize += n;
    if (e.usize > declared) break;
    if (deflater) {
      deflater->update(chunk, emit);
    } else {
      out.write(chunk);
      e.csize += n;
    }
  }
  if (e.usize != declared) {
    fail_entry(container, name_for_errors,
               "new content yielded " + (e.usize > declared ? "more than " + num(declared) : num(e.usize)) +
                   " bytes, but its declared size is " + num(declared));
  }
  if (deflater) deflater->finish(emit);
  e.crc = crc;
  if (!zip64 && (e.csize >= limit || e.usize >= limit)) {
    fail_entry(container, name_for_errors, "compressed data outgrew its local header (internal error)");
  }
  uint8_t crc_bytes[4];
  set32(crc_bytes, e.crc);
  if (zip64) {
    uint8_t sizes[16];
    set64(sizes, e.usize);
    set64(sizes + 8, e.csize);
    out.patch(e.offset + 14, crc_bytes);
    out.patch(e.offset + kLocalFixed + h.name.size() + 4, sizes);
  } else {
    uint8_t fields[12];
    set32(fields, e.crc);
    set32(fields + 4, static_cast<uint32_t>(e.csize));
    set32(fields + 8, static_cast<uint32_t>(e.usize));
    out.patch(e.offset + 14, fields);
  }
  e.fresh = true;
  return e;
}

// The original central record of an entry with its offset (and new content's fields) updated.
// Values that move into or out of range get ZIP64 fields; a value already in a ZIP64 field stays there.
void write_central(Out& out, std::span<const uint8_t> rec, const NewEntry& e, const std::string& container) {
  CentralFields f;
  if (auto why = decode_central(rec, f)) fail(container, "central directory changed while writing: " + *why);
  uint32_t crc = e.fresh ? e.crc : f.crc;
  uint64_t csize = e.fresh ? e.csize : f.csize;
  uint64_t usize = e.fresh ? e.usize : f.usize;
  uint64_t limit = zip64_threshold();
  bool zu = f.z_usize || usize >= limit;
  bool zc = f.z_csize || csize >= limit;
  bool zo = f.z_offset || e.offset >= limit;
  std::vector<uint8_t> r;
  bool same_layout = zu == f.z_usize && zc == f.z_csize && zo == f.z_offset;
  if (same_layout) {
    r.assign(rec.begin(), rec.end());
    if (zu || zc || zo) {  // same layout: overwrite the values where they are
      auto z = find_extra(f.extra(), kZip64ExtraId);
      uint8_t* q = r.data() + (z->data() - rec.data());
      if (zu) set64(q, usize), q += 8;
      if (zc) set64(q, csize), q += 8;
      if (zo) set64(q, e.offset);
    }
  } else {
    std::vector<uint8_t> extra;
    put16(extra, kZip64ExtraId);
    put16(extra, static_cast<uint16_t>((zu + zc + zo) * 8 + (f.z_disk ? 4 : 0)));
    if (zu) put64(extra, usize);
    if (zc) put64(extra, csize);
    if (zo) put64(extra, e.offset);
    if (f.z_disk) put32(extra, 0);
    put_bytes(extra, strip_extra(f.extra(), kZip64ExtraId));
    if (extra.size() > 0xFFFF) fail(container, "extra fields of a central directory record grew too long");
    r.assign(rec.begin(), rec.begin() + kCentralFixed + f.name_len);
    put_bytes(r, extra);
    put_bytes(r, rec.subspan(kCentralFixed + f.name_len + f.extra_len));
    set16(r.data() + 30, static_cast<uint16_t>(extra.size()));
  }
  uint16_t needed = e.fresh ? e.needed : f.needed;
  if ((e.fresh || !same_layout) && (zu || zc || zo)) needed = std::max(needed, kZip64Version);
  set16(r.data() + 6, needed);
  if (e.fresh) {
    set16(r.data() + 8, e.flags);
    set16(r.data() + 10, e.method);
  }
  set32(r.data() + 16, crc);
  set32(r.data() + 20, zc ? kMarker32 : static_cast<uint32_t>(csize));
  set32(r.data() + 24, zu ? kMarker32 : static_cast<uint32_t>(usize));
  set32(r.data() + 42, zo ? kMarker32 : static_cast<uint32_t>(e.offset));
  out.write(r);
}

// A central record for an added entry: Unix, regular file, mode 0644.
void write_new_central(Out& out, std::string_view name, const NewEntry& e) {
  uint64_t limit = zip64_threshold();
  bool zu = e.usize >= limit, zc = e.csize >= limit, zo = e.offset >= limit;
  std::vector<uint8_t> extra;
  if (zu || zc || zo) {
    put16(extra, kZip64ExtraId);
    put16(extra, static_cast<uint16_t>((zu + zc + zo) * 8));
    if (zu) put64(extra, e.usize);
    if (zc) put64(extra, e.csize);
    if (zo) put64(extra, e.offset);
  }
  uint16_t needed = (zu || zc || zo) ? kZip64Version : e.needed;
  std::vector<uint8_t> r;
  put32(r, kCentralSig);
  put16(r, static_cast<uint16_t>(kMadeByUnix | std::max<uint16_t>(needed, 20)));
  put16(r, needed);
  put16(r, e.flags);
  put16(r, e.method);
  put16(r, e.time);
  put16(r, e.date);
  put32(r, e.crc);
  put32(r, zc ? kMarker32 : static_cast<uint32_t>(e.csize));
  put32(r, zu ? kMarker32 : static_cast<uint32_t>(e.usize));
  put16(r, static_cast<uint16_t>(name.size()));
  put16(r, static_cast<uint16_t>(extra.size()));
  put16(r, 0);  // comment
  put16(r, 0);  // disk
  put16(r, 0);  // internal attributes
  put32(r, kUnixRegular0644);
  put32(r, zo ? kMarker32 : static_cast<uint32_t>(e.offset));
  put_bytes(r, as_bytes(name));
  put_bytes(r, extra);
  out.write(r);
}

void write_end(Out& out, const Archive& a, uint64_t count, uint64_t cd_start, uint64_t cd_size) {
  uint64_t limit = zip64_threshold();
  bool zn = a.marks_count || count >= std::min<uint64_t>(limit, 0xFFFF);
  bool zs = a.marks_size || cd_size >= limit;
  bool zo = a.marks_offset || cd_start >= limit;
  std::vector<uint8_t> b;
  if (a.zip64_eocd || zn || zs || zo) {
    uint64_t at = out.pos();
    put32(b, kZip64EocdSig);
    put64(b, kZip64EocdFixed - 12);
    put16(b, a.zip64_eocd ? a.zip64_made_by : kZip64Version);
    put16(b, a.zip64_eocd ? a.zip64_needed : kZip64Version);
    put32(b, 0);
    put32(b, 0);
    put64(b, count);
    put64(b, count);
    put64(b, cd_size);
    put64(b, cd_start);
    put32(b, kZip64LocatorSig);
    put32(b, 0);
    put64(b, at);
    put32(b, 1);
  }
  put32(b, kEocdSig);
  put16(b, 0);
  put16(b, 0);
  put16(b, zn ? 0xFFFF : static_cast<uint16_t>(count));
  put16(b, zn ? 0xFFFF : static_cast<uint16_t>(count));
  put32(b, zs ? kMarker32 : static_cast<uint32_t>(cd_size));
  put32(b, zo ? kMarker32 : static_cast<uint32_t>(cd_start));
  put16(b, static_cast<uint16_t>(a.comment.size()));
  put_bytes(b, a.comment);
  out.write(b);
}

void dos_now(uint16_t& time, uint16_t& date) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  time = static_cast<uint16_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
  date = static_cast<uint16_t>(((std::max(tm.tm_year, 80) - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
}

// Added paths follow the rules of stored names and must not collide with anything in the archive.
void check_additions(const Archive& a, const std::vector<Addition>& added) {
  if (added.empty()) return;
  std::unordered_set<std::string> keys;
  keys.reserve(a.entries.size() + added.size());
  for (const auto& e : a.entries) keys.insert(name_key(e.path));
  for (const auto& add : added) {
    std::string problem = name_problem(add.path);
    if (problem.empty() && add.path.find('\\') != std::string::npos)
      problem = "added paths must use '/' separators";
    if (problem.empty() && add.path.back() == '/') problem = "an added entry must be a file, not a directory";
    if (problem.empty() && add.path.size() > 0xFFFF) problem = "entry name is too long";
    if (problem.empty() && !keys.insert(name_key(add.path)).second) {
      problem = "cannot add: the archive already has an entry with this path (compared case-insensitively)";
    }
    if (!problem.empty()) fail_entry(a.name, add.path, problem);
  }
}

}  // namespace

void write_archive(const Archive& a, io::File& file, const std::vector<Replacement>& replaced,
                   const std::vector<Addition>& added) {
  size_t n = a.entries.size();
  std::vector<const std::shared_future<io::SourcePtr>*> replacement(n, nullptr);
  for (const auto& r : replaced) {
    if (r.index >= n)
      fail(a.name, "replacement for entry " + num(r.index) + ", but there are " + num(n) + " entries");
    if (replacement[r.index]) fail_entry(a.name, a.entries[r.index].path, "replaced twice");
    replacement[r.index] = &r.bytes;
  }
  check_additions(a, added);
  std::vector<std::vector<size_t>> beside(n + 1);  // beside[n]: after the last entry
  for (size_t k = 0; k < added.size(); ++k) beside[std::min(added[k].beside, n)].push_back(k);

  Out out(file, "zip entry");
  out.copy(io::FileRange{a.range.file, a.range.offset, a.prefix_size});
  std::vector<NewEntry> done(n);
  std::vector<NewEntry> done_added(added.size());
  auto write_added = [&](size_t slot) {
    for (size_t k : beside[slot]) {
      const Addition& add = added[k];
      io::SourcePtr src = add.bytes.get();
      if (!src) fail_entry(a.name, add.path, "no content for the added entry");
      Header h;
      h.name = as_bytes(add.path);
      h.method = src->size() == 0 ? kMethodStored : kMethodDeflate;
      bool ascii = std::all_of(add.path.begin(), add.path.end(), [](char c) { return (c & 0x80) == 0; });
      h.flags = ascii ? 0 : kFlagUtf8;
      size_t near = slot < n ? slot : n - 1;
      if (n > 0) {
        h.time = a.records[near].time;
        h.date = a.records[near].date;
      } else {
        dos_now(h.time, h.date);
      }
      done_added[k] = write_entry(out, h, *src, a.name, add.path);
    }
  };

  for (size_t i = 0; i < n; ++i) {
    const Record& r = a.records[i];
    io::SourcePtr src = replacement[i] ? replacement[i]->get() : nullptr;
    if (src) {
      // Keep the original local header's name, time and extra fields (minus ZIP64, redone as needed).
      uint8_t fixed[kLocalFixed];
      read_at(a.range, r.local_offset, fixed);
      std::vector<uint8_t> var(r.data_offset - r.local_offset - kLocalFixed);
      read_at(a.range, r.local_offset + kLocalFixed, var);
      uint16_t name_len = get16(fixed + 26);
      Header h;
      h.name = std::span<const uint8_t>(var).first(name_len);
      h.extra = strip_extra(std::span<const uint8_t>(var).subspan(name_len), kZip64ExtraId);
      h.method = r.method == kMethodStored ? kMethodStored : kMethodDeflate;
      h.flags = r.flags & kFlagUtf8;
      h.time = get16(fixed + 10);
      h.date = get16(fixed + 12);
      done[i] = write_entry(out, h, *src, a.name, a.entries[i].path);
    } else {
      done[i].offset = out.pos();
      out.copy(io::FileRange{a.range.file, a.range.offset + r.local_offset, r.end_offset - r.local_offset});
    }
    write_added(i);
  }
  write_added(n);

  uint64_t cd_start = out.pos();
  SeqReader rd(a.range, a.cd_offset, a.cd_size);
  for (size_t i = 0; i < n; ++i) {
    auto rec = rd.peek(a.records[i].central_length);
    if (!rec) fail(a.name, "central directory changed while writing");
    write_central(out, *rec, done[i], a.name);
    rd.skip(rec->size());
    for (size_t k : beside[i]) write_new_central(out, added[k].path, done_added[k]);
  }
  for (size_t k : beside[n]) write_new_central(out, added[k].path, done_added[k]);
  write_end(out, a, n + added.size(), cd_start, out.pos() - cd_start);
  out.flush();
}

}  // namespace signet::formats::zip
