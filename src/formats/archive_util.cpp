#include "formats/archive_util.hpp"

#include <cstdio>

#include "io/error.hpp"

namespace signet::formats {

std::string display_name(std::string_view raw) {
  std::string out;
  for (char c : raw) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

void fail(const std::string& container, const std::string& reason) {
  throw io::Error(reason, io::Location{container});
}

void fail_entry(const std::string& container, std::string_view entry, const std::string& reason) {
  throw io::Error("entry '" + display_name(entry) + "': " + reason, io::Location{container});
}

io::FileRange file_range_of(const io::Source& bytes, std::unique_ptr<io::TempDir>& temp) {
  if (auto range = bytes.file_range()) return *range;
  temp = std::make_unique<io::TempDir>();
  return io::materialize(bytes, *temp);
}

}  // namespace signet::formats
