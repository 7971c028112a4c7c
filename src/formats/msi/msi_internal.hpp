// Internals of the MSI format: the database tables stored in a compound file (string pool,
// _Columns schema, column-major table streams), the summary information property set, the
// installed layout of the files and the Authenticode rules of the MSI SIP.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/format.hpp"
#include "formats/msi/cfb.hpp"
#include "io/hash.hpp"

namespace signet::formats::msi {

constexpr std::u16string_view kDigitalSignature =
    u"\x0005"
    u"DigitalSignature";
constexpr std::u16string_view kDigitalSignatureEx =
    u"\x0005"
    u"MsiDigitalSignatureEx";
constexpr std::u16string_view kSummaryInformation =
    u"\x0005"
    u"SummaryInformation";

// ---- stream names ------------------------------------------------------------------------------

// MSI packs names made of [0-9A-Za-z._] two characters per UTF-16 unit (0x3800 + a + b*64, a lone
// last one as 0x4800 + a); table streams start with 0x4840.
std::u16string encode_name(std::string_view name, bool table);
// The readable name ("!" marks a table stream) for messages.
std::string decode_name(std::u16string_view name);

// ---- tables ------------------------------------------------------------------------------------

constexpr uint16_t kTypeString = 0x0800;
constexpr uint16_t kTypeNullable = 0x1000;
constexpr uint16_t kTypeTemporary = 0x4000;

struct Column {
  std::string name;
  uint16_t type = 0;
  size_t width = 0;  // bytes per cell
  bool string = false;
};

class StringPool;

// One table loaded into memory (tables are small; cabinets and binary streams are not tables).
struct Table {
  std::string name;
  std::vector<Column> columns;
  size_t rows = 0;
  std::vector<uint8_t> data;                // column-major cells, as stored
  size_t stream = cfb::CompoundFile::npos;  // its stream in the compound file (npos: no rows)

  size_t column(std::string_view name) const;  // npos when absent
  size_t cell_offset(size_t row, size_t col) const;
  uint32_t raw(size_t row, size_t col) const;
  // Integer cells: nullopt for NULL. Strings: "" for NULL.
  std::optional<int32_t> integer(size_t row, size_t col) const;
  void set_integer(size_t row, size_t col, int32_t value);
  static constexpr size_t npos = static_cast<size_t>(-1);
};

class StringPool {
 public:
  uint32_t codepage = 0;
  bool long_refs = false;                            // string references take 3 bytes
  std::vector<std::pair<uint32_t, uint32_t>> spans;  // per id (0 = NULL): offset, length in data
  std::string data;
  std::string get(uint32_t id) const;  // UTF-8
};

class Database {
 public:
  // Reads the string pool and the schema; throws io::Error naming the package on malformed input.
  static Database open(const cfb::CompoundFile& cf);
  // Loads a table, nullopt when the schema does not define it.
  std::optional<Table> table(std::string_view name) const;
  std::string text(const Table& t, size_t row, size_t col) const;  // string cell as UTF-8

 private:
  const cfb::CompoundFile* cf_ = nullptr;
  StringPool pool_;
  std::vector<std::pair<std::string, std::vector<Column>>> schema_;
};

// ---- summary information -----------------------------------------------------------------------

struct Summary {
  std::optional<std::string> title, subject, author;
};
Summary read_summary(const cfb::CompoundFile& cf);

// ---- installed layout --------------------------------------------------------------------------

// A File table row whose bytes live in an embedded cabinet.
struct Installed {
  std::string path;  // entry path, see msi_layout.cpp for the rule
  size_t file_row = 0;
  std::string key;       // File.File, the name of its bytes in the cabinet
  size_t cabinet = 0;    // index into Package::cabinets
  size_t cab_entry = 0;  // index into that cabinet's entries
  uint64_t size = 0;
};

struct Cabinet {
  std::string name;   // Media.Cabinet without '#'
  size_t stream = 0;  // index in the compound file
  std::unique_ptr<OpenedFile> opened;
};

struct Package {
  std::vector<Cabinet> cabinets;
  std::vector<Installed> files;  // in entry order
  std::vector<Entry> entries;
};

// Resolves the Directory/Component/File/Media tables and opens the embedded cabinets.
Package read_layout(const cfb::CompoundFile& cf, const Database& db, const Limits& limits, io::TempDir& temp);

// ---- Authenticode ------------------------------------------------------------------------------

// The MSI SIP digest: every stream's content in the SIP's name order (storages recursively, each
// followed by its CLSID), the signature streams excluded; with `ex`, the metadata pre-hash first.
std::vector<uint8_t> content_digest(const cfb::CompoundFile& cf, io::HashAlg alg, bool ex);
// The MsiDigitalSignatureEx value: a digest of the directory metadata.
std::vector<uint8_t> metadata_prehash(const cfb::CompoundFile& cf, io::HashAlg alg);
std::vector<uint8_t> sip_info_attribute();
// The hash algorithm of SpcIndirectDataContent in an Authenticode ContentInfo.
io::HashAlg signature_hash_alg(std::span<const uint8_t> content_info, const std::string& name);

[[noreturn]] void fail(const std::string& package, const std::string& why);
std::string num(uint64_t v);

}  // namespace signet::formats::msi
