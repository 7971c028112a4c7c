// Internals of the zip format shared by its parser, entry sources and writer (PKWARE APPNOTE 6.3).
// Offsets in Archive and Record are relative to the start of the container's bytes.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "formats/archive_util.hpp"
#include "formats/format.hpp"
#include "io/error.hpp"
#include "io/le.hpp"
#include "io/source.hpp"

namespace signet::formats::zip {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kDescriptorSig = 0x08074b50;
constexpr uint16_t kZip64ExtraId = 0x0001;

constexpr size_t kLocalFixed = 30;
constexpr size_t kCentralFixed = 46;
constexpr size_t kEocdFixed = 22;
constexpr size_t kZip64EocdFixed = 56;
constexpr size_t kZip64LocatorSize = 20;

constexpr uint16_t kFlagEncrypted = 0x0001;
constexpr uint16_t kFlagDescriptor = 0x0008;
constexpr uint16_t kFlagStrongEncryption = 0x0040;
constexpr uint16_t kFlagUtf8 = 0x0800;

constexpr uint16_t kMethodStored = 0;
constexpr uint16_t kMethodDeflate = 8;

using io::le::get16;
using io::le::get32;
using io::le::get64;
using io::le::put16;
using io::le::put32;
using io::le::put64;
using io::le::put_bytes;
using io::le::set16;
using io::le::set32;
using io::le::set64;

inline std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Values at or above this go into ZIP64 fields (0xFFFFFFFF itself is the "see ZIP64" marker).
// Tests lower it to exercise the ZIP64 writer without 4 GiB files.
uint64_t zip64_threshold();
void set_zip64_threshold_for_testing(uint64_t threshold);  // 0 restores the default

// ---- names -------------------------------------------------------------------------------------

// Why a stored name is unsafe to extract ("" when it is fine): empty, NUL, absolute, drive letter, "..".
std::string name_problem(std::string_view raw);
// Key for duplicate detection: ASCII case folded, '\' as '/', empty and "." segments dropped.
std::string name_key(std::string_view raw);

// ---- extra fields ------------------------------------------------------------------------------

// Calls fn(id, data) for each well-formed (id, size, data) field; returns the bytes consumed.
// Anything after that is a malformed tail (e.g. alignment padding) that callers keep raw.
size_t walk_extra(std::span<const uint8_t> extra,
                  const std::function<void(uint16_t, std::span<const uint8_t>)>& fn);
std::optional<std::span<const uint8_t>> find_extra(std::span<const uint8_t> extra, uint16_t id);
// The extra block without fields of the given id (other fields and a malformed tail kept in order).
std::vector<uint8_t> strip_extra(std::span<const uint8_t> extra, uint16_t id);

// ---- central directory records -----------------------------------------------------------------

// One central directory record decoded, sizes and offset resolved through the ZIP64 extra field.
struct CentralFields {
  uint16_t made_by = 0, needed = 0, flags = 0, method = 0, time = 0, date = 0;
  uint32_t crc = 0;
  uint64_t csize = 0, usize = 0, local_offset = 0;
  uint32_t disk = 0;
  uint16_t name_len = 0, extra_len = 0, comment_len = 0;
  // Which values came from the ZIP64 extra field (their 32-bit fields hold the marker).
  bool z_usize = false, z_csize = false, z_offset = false, z_disk = false;
  std::span<const uint8_t> name() const { return rec.subspan(kCentralFixed, name_len); }
  std::span<const uint8_t> extra() const { return rec.subspan(kCentralFixed + name_len, extra_len); }
  std::span<const uint8_t> rec;  // the whole record
};
// Decodes a record of exactly kCentralFixed + name + extra + comment bytes; on a missing or short
// ZIP64 field returns the reason instead.
std::optional<std::string> decode_central(std::span<const uint8_t> rec, CentralFields& out);

// Buffered sequential reads of a range of the container (the central directory), memory bounded.
class SeqReader {
 public:
  SeqReader(io::FileRange range, uint64_t offset, uint64_t length);
  uint64_t remaining() const { return left_ + (end_ - pos_); }
  // The next n bytes without consuming them; nullopt when fewer remain. Valid until the next call.
  std::optional<std::span<const uint8_t>> peek(size_t n);
  void skip(size_t n) { pos_ += n; }  // n <= what the last peek returned

 private:
  io::FileRange range_;
  uint64_t next_ = 0;  // offset (within range_) of the first byte not yet buffered
  uint64_t left_ = 0;  // bytes not yet buffered
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, end_ = 0;
};

// Reads exactly buf.size() bytes at an offset of the container (the caller has checked the bounds).
void read_at(const io::FileRange& range, uint64_t offset, std::span<uint8_t> buf);

// ---- the parsed archive ------------------------------------------------------------------------

struct Record {
  uint64_t central_offset = 0;  // this entry's central directory record
  uint32_t central_length = 0;
  uint16_t flags = 0, method = 0, time = 0, date = 0;
  uint32_t crc = 0;
  uint64_t csize = 0, usize = 0;
  uint64_t local_offset = 0;  // local header
  uint64_t data_offset = 0;   // compressed data
  uint64_t end_offset = 0;    // after the data and the data descriptor, if any
  std::string raw_name;       // the stored name when it differs from Entry.path ('\' separators)
};

struct Archive {
  io::FileRange range;  // the container's bytes
  std::string name;     // the container, for messages
  std::vector<Entry> entries;
  std::vector<Record> records;  // parallel to entries, in central directory order
  uint64_t prefix_size = 0;     // bytes before the first local header (a stub), copied raw
  uint64_t cd_offset = 0, cd_size = 0;
  bool zip64_eocd = false;
  // Which fields of the classic end record held the "see ZIP64" marker (kept when rewriting).
  bool marks_count = false, marks_size = false, marks_offset = false;
  uint16_t zip64_made_by = 45, zip64_needed = 45;
  std::vector<uint8_t> comment;
};

// Error helpers shared with the other archive formats (formats/archive_util.hpp).
using formats::display_name;
using formats::fail;
using formats::fail_entry;

// zip_parse.cpp: find, check and decode everything (throws io::Error on hostile or broken input).
Archive parse_archive(io::FileRange range, std::string name, const Limits& limits);
// zip_source.cpp: the uncompressed bytes of entry i (stored: a file range; deflate: streaming).
io::SourcePtr make_entry_source(const Archive& archive, size_t index);
// zip_write.cpp
void write_archive(const Archive& archive, io::File& out, const std::vector<Replacement>& replaced,
                   const std::vector<Addition>& added);

}  // namespace signet::formats::zip
