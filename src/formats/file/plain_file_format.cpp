// <file>: any bytes. Only detached and enveloped directives apply to it, so it exposes nothing.
#include "formats/factories.hpp"

namespace signet::formats {

namespace {

class PlainFile : public OpenedFile {};

class PlainFileFormat : public Format {
 public:
  std::string_view element() const override { return "file"; }
  std::unique_ptr<OpenedFile> open(io::SourcePtr, const Limits&) const override {
    return std::make_unique<PlainFile>();
  }
};

}  // namespace

const Format& plain_file_format() {
  static const PlainFileFormat format;
  return format;
}

}  // namespace signet::formats
