// The parts of a PE image's headers that Authenticode and restrictions need, validated against
// the real file size (Microsoft PE/COFF specification; "Windows Authenticode Portable Executable
// Signature Format").
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/source.hpp"

namespace signet::formats::pe {

// The bytes of a PE file: a range of a file (container entries are copied to one first).
class Image {
 public:
  explicit Image(io::FileRange range) : range_(std::move(range)) {}
  uint64_t size() const { return range_.size; }
  // Exactly buf.size() bytes at `offset` (the caller checks bounds against size()).
  void read(uint64_t offset, std::span<uint8_t> buf) const {
    range_.file->read_exact(range_.offset + offset, buf);
  }
  // Calls fn(offset, bytes) for consecutive parts of [0, end), in order, each at most a few hundred
  // KiB (so a hash and a sum over the same part find it in cache). Throws io::Error when the file
  // is shorter than `end`.
  void scan(uint64_t end, const std::function<void(uint64_t, std::span<const uint8_t>)>& fn) const;
  // Bytes [from, to) as a piece of a pieced source.
  io::Piece piece(uint64_t from, uint64_t to) const {
    return io::Piece{io::FileRange{range_.file, range_.offset + from, to - from}, {}};
  }

 private:
  io::FileRange range_;
};

struct Section {
  uint32_t virtual_address = 0;
  uint32_t virtual_size = 0;
  uint32_t raw_offset = 0;
  uint32_t raw_size = 0;
};

struct CertEntry {
  uint64_t offset = 0;  // of the WIN_CERTIFICATE header
  uint32_t length = 0;  // dwLength
  uint16_t revision = 0;
  uint16_t type = 0;         // 2 = WIN_CERT_TYPE_PKCS_SIGNED_DATA
  std::vector<uint8_t> der;  // bCertificate trimmed to its DER length (PKCS#7 entries)
};

struct Layout {
  uint64_t file_size = 0;
  bool pe32plus = false;
  uint64_t checksum_offset = 0;             // OptionalHeader.CheckSum
  uint32_t checksum = 0;                    // its current value
  std::optional<uint64_t> cert_dir_offset;  // data directory entry 4 (absent if < 5 entries)
  uint32_t cert_table_offset = 0;           // 0 when unsigned
  uint32_t cert_table_size = 0;
  std::optional<std::pair<uint32_t, uint32_t>> resource_dir;  // RVA, size
  std::vector<Section> sections;
  std::vector<CertEntry> certificates;
  // Where the image bytes end: the certificate table's offset when signed, else the file size.
  uint64_t content_end() const { return cert_table_offset ? cert_table_offset : file_size; }
};

// Parses and checks the headers, section table and certificate table of the file.
// Hostile input (truncated headers, tables beyond the file, sizes that lie) throws io::Error
// naming `name`.
Layout parse_layout(const Image& image, const std::string& name);

// File offset of an RVA inside a section's raw data, with at least `size` bytes there.
std::optional<uint64_t> rva_to_offset(const Layout& layout, uint32_t rva, uint32_t size);

// Version-resource strings of the first StringFileInfo table, by canonical restriction name
// ("product-name", "product-version", "file-version", "company-name", "copyright",
// "original-filename"). Malformed resources yield an empty map (they do not stop signing).
std::map<std::string, std::string> read_version_strings(const Image& image, const Layout& layout);

}  // namespace signet::formats::pe
