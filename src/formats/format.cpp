#include "formats/format.hpp"

#include "io/error.hpp"

namespace signet::formats {

const std::vector<Entry>& OpenedFile::entries() const {
  static const std::vector<Entry> none;
  return none;
}

io::SourcePtr OpenedFile::entry_source(size_t) const {
  throw io::Error("not a container");
}

void OpenedFile::write(io::File&, const std::vector<Replacement>&, const std::vector<Addition>&) const {
  throw io::Error("not a container");
}

}  // namespace signet::formats
