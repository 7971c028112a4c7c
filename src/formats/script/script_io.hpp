// Byte-level helpers for the script formats: ranged reads of a source, a backwards-looking pattern
// search, and a source made of ranges of another source plus bytes in memory (the signed script:
// the original text with a new signature block spliced in, never copied into memory whole).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/source.hpp"

namespace signet::formats::script {

using ChunkFn = std::function<void(std::span<const uint8_t>)>;

// Calls fn for consecutive chunks of bytes [offset, offset + size) of src. Throws io::Error when
// the source is shorter than that.
void read_range(const io::Source& src, uint64_t offset, uint64_t size, const ChunkFn& fn);
std::vector<uint8_t> read_bytes(const io::Source& src, uint64_t offset, uint64_t size);

// Offset of the last occurrence of `pattern` that lies entirely inside [from, to) and starts at
// an offset that is a multiple of `align` (2 for UTF-16 text); nullopt when there is none.
std::optional<uint64_t> find_last(const io::Source& src, uint64_t from, uint64_t to,
                                  std::span<const uint8_t> pattern, unsigned align);

// 1-based line number of the byte at `offset`: one plus the line feeds before it (a line feed is
// one byte, or two bytes at an even offset when `unit` is 2).
int line_at(const io::Source& src, uint64_t offset, unsigned unit);

// One piece of a spliced source: a range of the base source, or bytes held in memory.
struct Piece {
  uint64_t offset = 0;
  uint64_t size = 0;
  std::shared_ptr<const std::vector<uint8_t>> bytes;  // set: the piece is these bytes
};

io::SourcePtr spliced_source(io::SourcePtr base, std::vector<Piece> pieces, std::string name);

}  // namespace signet::formats::script
