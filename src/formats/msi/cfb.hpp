// The Compound File Binary format ([MS-CFB]): a FAT file system inside a file, holding a tree of
// storages (directories) and streams. The reader checks every sector chain against the real file
// (no loops, no shared sectors, nothing beyond the end) before anything is read; streams are then
// plain lists of file extents. The writer lays out a fresh file (same sector size) from a tree.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/file.hpp"
#include "io/source.hpp"

namespace signet::formats::cfb {

enum class Type : uint8_t { empty = 0, storage = 1, stream = 2, root = 5 };

struct DirEntry {
  std::u16string name;
  Type type = Type::empty;
  std::array<uint8_t, 16> clsid{};
  uint32_t state_bits = 0;
  std::array<uint8_t, 16> times{};  // creation and modification FILETIMEs, as stored
  uint64_t size = 0;                // streams (and the root: its mini stream)
  std::vector<size_t> children;     // storages and the root: indices into entries(), unordered
};

// A stream's bytes: pieces of the container file, in order.
struct Extent {
  uint64_t offset = 0;  // within the compound file
  uint64_t length = 0;
};

class CompoundFile {
 public:
  // Parses and checks the whole structure; throws io::Error naming `name` on anything malformed.
  static CompoundFile open(io::FileRange range, std::string name, uint64_t max_entries);

  const std::string& name() const { return name_; }
  uint16_t major_version() const { return major_; }
  const std::vector<DirEntry>& entries() const { return entries_; }  // [0] is the root
  // The bytes of stream `index` (a file range when they are contiguous).
  io::SourcePtr stream(size_t index) const;
  // The child of storage `parent` with this name, or npos.
  size_t find(size_t parent, std::u16string_view name) const;
  static constexpr size_t npos = static_cast<size_t>(-1);

 private:
  io::FileRange range_;
  std::string name_;
  uint16_t major_ = 3;
  std::vector<DirEntry> entries_;
  std::vector<std::vector<Extent>> extents_;  // per entry (streams only)
  friend class Parser;
};

// ---- writing -----------------------------------------------------------------------------------

struct WriteNode {
  std::u16string name;
  Type type = Type::stream;
  std::array<uint8_t, 16> clsid{};
  uint32_t state_bits = 0;
  std::array<uint8_t, 16> times{};
  io::SourcePtr data;               // streams
  std::vector<WriteNode> children;  // storages and the root
};

// Writes `root` (type root) as a compound file of the given major version (3: 512-byte sectors,
// 4: 4096-byte sectors) at the output's current position. Stream sizes are taken from their
// sources, which must deliver exactly that many bytes.
void write_compound_file(const WriteNode& root, uint16_t major_version, io::File& out);

// The directory order of [MS-CFB] 2.6.4: shorter names first, then by upper-cased UTF-16 code unit.
bool name_less(std::u16string_view a, std::u16string_view b);

// A tree of WriteNodes mirroring a compound file, every stream read from it.
WriteNode copy_tree(const CompoundFile& cf, size_t index = 0);

// For messages: the name with control characters shown as \xNN and non-ASCII as UTF-8.
std::string display(std::u16string_view name);

}  // namespace signet::formats::cfb
