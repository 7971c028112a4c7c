// The MSI database as stored in a compound file: packed stream names, the string pool
// (_StringPool: code page, then (length, refcount) per string id; _StringData: the bytes), the
// schema (_Columns: table, number, name, type) and the column-major table streams whose integer
// cells carry a 0x8000 / 0x80000000 bias (0 is NULL). Also the summary information property set.
#include <algorithm>

#include "formats/cab/cab_internal.hpp"
#include "formats/msi/msi_internal.hpp"
#include "io/error.hpp"

namespace signet::formats::msi {

namespace {

constexpr char kCharset[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._";
constexpr uint64_t kMaxTableBytes = 256u << 20;
constexpr uint64_t kMaxStringData = 256u << 20;

int charset_index(char c) {
  const char* p = std::char_traits<char>::find(kCharset, 64, c);
  return p ? static_cast<int>(p - kCharset) : -1;
}

uint32_t get_le(const uint8_t* p, size_t width) {
  uint32_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}

std::vector<uint8_t> read_stream(const cfb::CompoundFile& cf, size_t index, uint64_t max,
                                 const std::string& what) {
  auto src = cf.stream(index);
  if (src->size() > max) fail(cf.name(), what + " is larger than " + num(max) + " bytes");
  return io::read_all(*src, max);
}

}  // namespace

void fail(const std::string& package, const std::string& why) {
  throw io::Error(why, io::Location{package});
}

std::string num(uint64_t v) {
  return std::to_string(v);
}

// ---- names -------------------------------------------------------------------------------------

std::u16string encode_name(std::string_view name, bool table) {
  std::u16string out;
  if (table) out += char16_t{0x4840};
  for (size_t i = 0; i < name.size();) {
    int a = charset_index(name[i]);
    if (a < 0) {
      out += static_cast<char16_t>(static_cast<unsigned char>(name[i]));
      ++i;
      continue;
    }
    int b = i + 1 < name.size() ? charset_index(name[i + 1]) : -1;
    if (b >= 0) {
      out += static_cast<char16_t>(0x3800 + a + (b << 6));
      i += 2;
    } else {
      out += static_cast<char16_t>(0x4800 + a);
      ++i;
    }
  }
  return out;
}

std::string decode_name(std::u16string_view name) {
  std::string out;
  for (char16_t c : name) {
    if (c >= 0x3800 && c < 0x4800) {
      out += kCharset[(c - 0x3800) & 0x3F];
      out += kCharset[((c - 0x3800) >> 6) & 0x3F];
    } else if (c >= 0x4800 && c < 0x4840) {
      out += kCharset[c - 0x4800];
    } else if (c == 0x4840) {
      out += '!';
    } else {
      out += cfb::display(std::u16string_view(&c, 1));
    }
  }
  return out;
}

// ---- strings and tables ------------------------------------------------------------------------

std::string StringPool::get(uint32_t id) const {
  if (id == 0 || id >= spans.size()) return {};
  auto [off, len] = spans[id];
  std::string_view raw(data.data() + off, len);
  return cab::to_utf8(raw);  // UTF-8 (65001) kept; ANSI code pages read with Windows-1252 rules
}

size_t Table::column(std::string_view n) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == n) return i;
  }
  return npos;
}

size_t Table::cell_offset(size_t row, size_t col) const {
  size_t off = 0;
  for (size_t i = 0; i < col; ++i) off += columns[i].width * rows;
  return off + row * columns[col].width;
}

uint32_t Table::raw(size_t row, size_t col) const {
  return get_le(data.data() + cell_offset(row, col), columns[col].width);
}

std::optional<int32_t> Table::integer(size_t row, size_t col) const {
  uint32_t v = raw(row, col);
  if (v == 0) return std::nullopt;
  if (columns[col].width == 2) return static_cast<int32_t>(v) - 0x8000;
  return static_cast<int32_t>(v ^ 0x80000000u);
}

void Table::set_integer(size_t row, size_t col, int32_t value) {
  uint32_t v = columns[col].width == 2 ? static_cast<uint32_t>(value + 0x8000)
                                       : static_cast<uint32_t>(value) ^ 0x80000000u;
  uint8_t* p = data.data() + cell_offset(row, col);
  for (size_t i = 0; i < columns[col].width; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

Database Database::open(const cfb::CompoundFile& cf) {
  Database db;
  db.cf_ = &cf;
  size_t pool_i = cf.find(0, encode_name("_StringPool", true));
  size_t data_i = cf.find(0, encode_name("_StringData", true));
  if (pool_i == cfb::CompoundFile::npos || data_i == cfb::CompoundFile::npos) {
    fail(cf.name(), "not an MSI database (no string pool)");
  }
  auto pool = read_stream(cf, pool_i, kMaxStringData, "the string pool");
  db.pool_.data = [&] {
    auto d = read_stream(cf, data_i, kMaxStringData, "the string data");
    return std::string(d.begin(), d.end());
  }();
  if (pool.size() < 4 || pool.size() % 4)
    fail(cf.name(), "the string pool has a bad size of " + num(pool.size()));
  uint32_t header = get_le(pool.data(), 4);
  db.pool_.long_refs = header & 0x80000000u;
  db.pool_.codepage = header & 0x7FFFFFFF;
  db.pool_.spans.emplace_back(0, 0);
  uint64_t off = 0;
  size_t count = pool.size() / 4;
  for (size_t i = 1; i < count;) {
    uint32_t len = get_le(&pool[4 * i], 2), refs = get_le(&pool[4 * i + 2], 2);
    if (len == 0 && refs != 0) {  // a string over 64 KiB: the next entry holds its length
      if (i + 1 >= count) fail(cf.name(), "the string pool ends inside a long string entry");
      len = get_le(&pool[4 * (i + 1)], 2) | (get_le(&pool[4 * (i + 1) + 2], 2) << 16);
      i += 2;
    } else {
      i += 1;
    }
    if (off + len > db.pool_.data.size()) fail(cf.name(), "the string pool refers beyond the string data");
    db.pool_.spans.emplace_back(static_cast<uint32_t>(off), len);
    off += len;
  }

  // _Columns: Table (string), Number (int16), Name (string), Type (int16).
  size_t ref = db.pool_.long_refs ? 3 : 2;
  size_t col_i = cf.find(0, encode_name("_Columns", true));
  if (col_i == cfb::CompoundFile::npos) fail(cf.name(), "not an MSI database (no _Columns table)");
  auto cols = read_stream(cf, col_i, kMaxTableBytes, "the _Columns table");
  size_t row_size = 2 * ref + 4;
  if (cols.size() % row_size) fail(cf.name(), "the _Columns table has a bad size of " + num(cols.size()));
  size_t rows = cols.size() / row_size;
  struct Def {
    std::string table;
    int number;
    std::string name;
    uint16_t type;
  };
  std::vector<Def> defs;
  for (size_t r = 0; r < rows; ++r) {
    Def d;
    d.table = db.pool_.get(get_le(&cols[r * ref], ref));
    d.number = static_cast<int>(get_le(&cols[rows * ref + r * 2], 2)) - 0x8000;
    d.name = db.pool_.get(get_le(&cols[rows * (ref + 2) + r * ref], ref));
    d.type = static_cast<uint16_t>(get_le(&cols[rows * (2 * ref + 2) + r * 2], 2) ^ 0x8000);
    defs.push_back(std::move(d));
  }
  std::stable_sort(defs.begin(), defs.end(), [](const Def& a, const Def& b) {
    return a.table != b.table ? a.table < b.table : a.number < b.number;
  });
  for (const auto& d : defs) {
    if (db.schema_.empty() || db.schema_.back().first != d.table)
      db.schema_.emplace_back(d.table, std::vector<Column>{});
    Column c;
    c.name = d.name;
    c.type = d.type;
    c.string = d.type & kTypeString;
    if ((d.type & ~kTypeNullable) == (kTypeString | 0x0100)) {
      c.width = 2;  // binary (stream) columns
    } else if (c.string) {
      c.width = ref;
    } else if ((d.type & 0xFF) <= 2) {
      c.width = 2;
    } else if ((d.type & 0xFF) == 4) {
      c.width = 4;
    } else {
      fail(cf.name(), "column " + d.table + "." + d.name + " has an unknown type " + num(d.type));
    }
    if (d.type & kTypeTemporary) continue;  // never stored
    db.schema_.back().second.push_back(std::move(c));
  }
  return db;
}

std::optional<Table> Database::table(std::string_view name) const {
  auto it = std::find_if(schema_.begin(), schema_.end(), [&](const auto& s) { return s.first == name; });
  if (it == schema_.end()) return std::nullopt;
  Table t;
  t.name = std::string(name);
  t.columns = it->second;
  size_t row_size = 0;
  for (const auto& c : t.columns) row_size += c.width;
  t.stream = cf_->find(0, encode_name(name, true));
  if (t.stream == cfb::CompoundFile::npos || row_size == 0) return t;
  t.data = read_stream(*cf_, t.stream, kMaxTableBytes, "table " + t.name);
  if (t.data.size() % row_size)
    fail(cf_->name(), "table " + t.name + " has " + num(t.data.size()) + " bytes, not a whole number of " +
                          num(row_size) + "-byte rows");
  t.rows = t.data.size() / row_size;
  return t;
}

std::string Database::text(const Table& t, size_t row, size_t col) const {
  return t.columns[col].string ? pool_.get(t.raw(row, col)) : std::string();
}

// ---- summary information ([MS-OLEPS] property set) ---------------------------------------------

Summary read_summary(const cfb::CompoundFile& cf) {
  Summary s;
  size_t i = cf.find(0, kSummaryInformation);
  if (i == cfb::CompoundFile::npos) return s;
  auto d = read_stream(cf, i, 1 << 20, "the summary information");
  auto u32 = [&](uint64_t at) -> std::optional<uint32_t> {
    if (at + 4 > d.size()) return std::nullopt;
    return get_le(&d[static_cast<size_t>(at)], 4);
  };
  auto bad = [&] { fail(cf.name(), "the summary information stream is malformed"); };
  if (d.size() < 48 || get_le(d.data(), 2) != 0xFFFE) bad();
  uint64_t set = *u32(44);
  auto count = u32(set + 4);
  if (!count || *count > 10000) bad();
  std::vector<std::pair<uint32_t, uint64_t>> props;
  for (uint32_t k = 0; k < *count; ++k) {
    auto id = u32(set + 8 + 8 * uint64_t{k}), off = u32(set + 12 + 8 * uint64_t{k});
    if (!id || !off) bad();
    props.emplace_back(*id, set + *off);
  }
  auto text = [&](uint64_t at) -> std::optional<std::string> {
    auto type = u32(at), len = u32(at + 4);
    if (!type || !len || (*type & 0xFFFF) != 0x1E || at + 8 + *len > d.size())
      return std::nullopt;  // VT_LPSTR
    std::string v(d.begin() + static_cast<long>(at + 8), d.begin() + static_cast<long>(at + 8 + *len));
    while (!v.empty() && v.back() == '\0') v.pop_back();
    return cab::to_utf8(v);
  };
  for (const auto& [id, at] : props) {
    if (id == 2) s.title = text(at);
    if (id == 3) s.subject = text(at);
    if (id == 4) s.author = text(at);
  }
  return s;
}

}  // namespace signet::formats::msi
