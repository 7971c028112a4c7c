// Byte sources: the bytes of an artifact or of an entry inside a container, read in one pass.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/file.hpp"

namespace signet::io {

// Sequential reader. read() returns 0 only at the end.
class Reader {
 public:
  virtual ~Reader() = default;
  virtual size_t read(std::span<uint8_t> buf) = 0;
};

// A contiguous byte range of a file on disk (a whole file, or a stored zip entry).
struct FileRange {
  std::shared_ptr<const File> file;
  uint64_t offset = 0;
  uint64_t size = 0;
};

// One part of a pieced source: a byte range of a file, or (when `range` is unset) bytes in memory.
struct Piece {
  std::optional<FileRange> range;
  std::vector<uint8_t> bytes;
};

// Immutable bytes that can be read any number of times. Sources are shared between threads:
// open() must be safe to call concurrently (positional reads, no shared cursor).
class Source {
 public:
  virtual ~Source() = default;
  virtual uint64_t size() const = 0;
  virtual std::unique_ptr<Reader> open() const = 0;
  // Set when the bytes are a plain range of a file, so they can be copied or read at random.
  virtual std::optional<FileRange> file_range() const { return std::nullopt; }
  // Set (non-empty) when the bytes are file ranges and small in-memory parts in sequence, e.g. a
  // signed PE (the original file with patched header fields), so copy_to can copy the bulk with
  // copy_file_range instead of reading and writing it.
  virtual std::vector<Piece> pieces() const { return {}; }
  // A short name for messages (entry path or file name).
  virtual std::string name() const = 0;
};

using SourcePtr = std::shared_ptr<const Source>;

SourcePtr file_source(const std::filesystem::path& path);  // the whole file
SourcePtr range_source(FileRange range, std::string name);
SourcePtr memory_source(std::vector<uint8_t> bytes, std::string name);
// The concatenation of the pieces (file ranges stay open; nothing is read until used).
SourcePtr pieces_source(std::vector<Piece> pieces, std::string name);

// Read all bytes into memory, refusing more than max_bytes (error names the source).
std::vector<uint8_t> read_all(const Source& src, uint64_t max_bytes);

// Call fn for consecutive chunks of the source (chunk size up to 1 MiB).
void for_each_chunk(const Source& src, const std::function<void(std::span<const uint8_t>)>& fn);

// The source as a file range: itself if it already is one, else copied into a file in `dir`.
FileRange materialize(const Source& src, TempDir& dir);

// Copy a source to a file descriptor at its current position (copy_file_range when possible).
void copy_to(const Source& src, File& out);

// Copies `src` to `out` from offset 0 ahead of time, while the file is still being signed: in
// slices, starting each slice's write-back at once (so the fsync at commit has little left to
// wait for), stopping early when stop() turns true. Returns how many bytes were copied.
uint64_t copy_ahead(const FileRange& src, File& out, const std::function<bool()>& stop);

// Makes `out`, which holds the first `have` bytes of `base` from offset 0 (see copy_ahead), equal
// to `src`: only the parts of `src` that are not `base`'s own bytes at the same offset are written
// (a signed PE is its original with a few header bytes patched and a table appended); then `out`
// is cut to src.size() and its position left at the end.
void copy_over(const Source& src, File& out, const FileRange& base, uint64_t have);

}  // namespace signet::io
