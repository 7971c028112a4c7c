// Internals of the cabinet format ([MS-CAB]) shared by its parser, entry sources, writer and
// Authenticode code. Offsets are relative to the start of the cabinet's bytes.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "formats/archive_util.hpp"
#include "formats/format.hpp"
#include "io/error.hpp"
#include "io/file.hpp"
#include "io/hash.hpp"
#include "io/le.hpp"
#include "io/source.hpp"

namespace signet::formats::cab {

constexpr uint16_t kFlagPrevCabinet = 0x0001;
constexpr uint16_t kFlagNextCabinet = 0x0002;
constexpr uint16_t kFlagReservePresent = 0x0004;
constexpr uint16_t kAttribNameIsUtf = 0x0080;

constexpr uint16_t kCompressNone = 0;
constexpr uint16_t kCompressMszip = 1;
constexpr uint16_t kCompressQuantum = 2;
constexpr uint16_t kCompressLzx = 3;
constexpr uint16_t kCompressMask = 0x000F;

constexpr size_t kHeaderFixed = 36;    // CFHEADER without the optional fields
constexpr size_t kFolderFixed = 8;     // CFFOLDER without its reserve
constexpr size_t kFileFixed = 16;      // CFFILE without its name
constexpr size_t kDataFixed = 8;       // CFDATA without its reserve
constexpr uint32_t kMaxBlock = 32768;  // uncompressed bytes of one CFDATA block

// The Authenticode header reserve: 20 bytes, {0x00100000, signature offset, signature size, 0, 0}.
constexpr uint16_t kSigReserveSize = 20;
constexpr uint32_t kSigReserveTag = 0x00100000;

using io::le::get16;
using io::le::get32;
using io::le::put16;
using io::le::put32;
using io::le::set16;
using io::le::set32;

// The CFDATA checksum of [MS-CAB] 2.5: 32-bit little-endian words XORed together, the tail bytes
// packed most significant first.
uint32_t checksum(std::span<const uint8_t> data, uint32_t seed);

struct Block {
  uint64_t offset = 0;  // the CFDATA record
  uint32_t csum = 0;
  uint16_t csize = 0, usize = 0;
};

struct Folder {
  uint64_t record_offset = 0;  // the CFFOLDER record
  uint32_t data_offset = 0;    // coffCabStart
  uint16_t type_compress = 0;
  std::vector<uint8_t> reserve;  // abReserve of the CFFOLDER
  std::vector<Block> blocks;
  uint64_t usize = 0;  // sum of the blocks' uncompressed sizes
  uint64_t csize = 0;  // bytes the blocks take in the cabinet, headers included
};

struct FileRec {
  uint32_t size = 0;
  uint32_t folder_offset = 0;  // uoffFolderStart
  uint16_t folder = 0, date = 0, time = 0, attribs = 0;
  std::string raw_name;  // as stored ('\' separators, UTF-8 or the OEM code page)
};

struct Cabinet {
  io::FileRange range;          // the cabinet's bytes (a file range, materialised if needed)
  std::string name;             // for messages
  std::vector<uint8_t> header;  // CFHEADER from byte 0 through the prev/next strings
  uint16_t flags = 0;
  uint16_t header_reserve = 0;  // cbCFHeader
  uint8_t folder_reserve = 0, data_reserve = 0;
  uint64_t reserve_offset = 0;  // abReserve of the CFHEADER (40 when present)
  uint32_t cb_cabinet = 0;
  uint32_t coff_files = 0;
  std::vector<Folder> folders;
  std::vector<FileRec> files;
  std::vector<Entry> entries;  // parallel to files
  // Authenticode: set when the header reserve is the signature structure and points at one.
  uint32_t sig_offset = 0, sig_size = 0;
  bool has_sig_reserve = false;  // cbCFHeader == 20 and the reserve holds the signature structure
};

// Error helpers shared with the other archive formats (formats/archive_util.hpp).
using formats::display_name;
using formats::fail;
using formats::fail_entry;
// Why a '/'-separated path is unsafe as an entry path ("" when fine): empty, absolute, drive
// letter, empty, "." or ".." segments, control bytes.
std::string path_problem(std::string_view path);
// Key for duplicate detection: ASCII case folded.
std::string path_key(std::string_view path);
// Bytes in an unknown single-byte code page as UTF-8 (kept when already valid UTF-8).
std::string to_utf8(std::string_view bytes);
bool valid_utf8(std::string_view s);
std::string num(uint64_t v);

// cab_parse.cpp: checks everything against the real size (throws io::Error on hostile input).
Cabinet parse_cabinet(io::FileRange range, std::string name, const Limits& limits);

// cab_source.cpp: decoded folders are cached in temporary files, extended lazily as readers ask for
// more, so reading every file of a folder costs one decompression pass in bounded memory.
class Decoded {
 public:
  explicit Decoded(Cabinet cab);
  ~Decoded();
  Decoded(const Decoded&) = delete;
  Decoded& operator=(const Decoded&) = delete;
  const Cabinet& cabinet() const { return cab_; }
  // Decodes folder `folder` at least through `end` uncompressed bytes; returns the cache file.
  std::shared_ptr<const io::File> ensure(size_t folder, uint64_t end) const;

 private:
  struct FolderCache;
  Cabinet cab_;
  mutable std::mutex dir_mu_;
  mutable std::unique_ptr<io::TempDir> dir_;
  std::vector<std::unique_ptr<FolderCache>> caches_;
};

// The uncompressed bytes of file `index`.
io::SourcePtr make_entry_source(const std::shared_ptr<const Decoded>& data, size_t index);

// Decodes the blocks of one folder in order (stored or MSZIP); used by the cache and by tests.
class FolderDecoder {
 public:
  FolderDecoder(const Cabinet& cab, size_t folder);
  ~FolderDecoder();
  FolderDecoder(const FolderDecoder&) = delete;
  FolderDecoder& operator=(const FolderDecoder&) = delete;
  // The next block's uncompressed bytes (valid until the next call); empty at the end.
  std::span<const uint8_t> next();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// cab_write.cpp: rebuild the cabinet with some files replaced (changed folders recompressed with
// their own method, unchanged folders copied raw). The Authenticode signature is dropped (its
// reserve kept, zeroed).
void write_cabinet(const Decoded& data, io::File& out, const std::vector<Replacement>& replaced);

// cab_authenticode.cpp
std::vector<uint8_t> authenticode_digest(const Cabinet& cab, io::HashAlg alg);
std::vector<uint8_t> embedded_signature(const Cabinet& cab);
void write_signed(const Cabinet& cab, std::span<const uint8_t> signature, io::File& out);
std::vector<uint8_t> cab_data_attribute();

}  // namespace signet::formats::cab
