// <zip-file>: a ZIP archive (PKWARE APPNOTE 6.3.x) as a container. See zip_internal.hpp for the
// pieces; this file plugs them into the Format contract.
#include "formats/factories.hpp"
#include "formats/zip/zip_internal.hpp"

namespace signet::formats {

namespace {

class OpenedZip : public OpenedFile {
 public:
  OpenedZip(zip::Archive archive, std::unique_ptr<io::TempDir> temp)
      : temp_(std::move(temp)), archive_(std::move(archive)) {}
  bool is_container() const override { return true; }
  const std::vector<Entry>& entries() const override { return archive_.entries; }
  io::SourcePtr entry_source(size_t index) const override { return zip::make_entry_source(archive_, index); }
  void write(io::File& out, const std::vector<Replacement>& replaced,
             const std::vector<Addition>& added) const override {
    zip::write_archive(archive_, out, replaced, added);
  }

 private:
  std::unique_ptr<io::TempDir> temp_;  // holds the container's bytes when they came from memory
  zip::Archive archive_;
};

class ZipFormat : public Format {
 public:
  std::string_view element() const override { return "zip-file"; }
  bool is_container() const override { return true; }
  std::unique_ptr<OpenedFile> open(io::SourcePtr bytes, const Limits& limits) const override {
    std::unique_ptr<io::TempDir> temp;
    io::FileRange range = file_range_of(*bytes, temp);
    auto archive = zip::parse_archive(range, bytes->name(), limits);
    return std::make_unique<OpenedZip>(std::move(archive), std::move(temp));
  }
};

}  // namespace

const Format& zip_format() {
  static const ZipFormat format;
  return format;
}

}  // namespace signet::formats
