// <cab-file>: a Microsoft cabinet ([MS-CAB]) as a container and an Authenticode-signable file.
// See cab_internal.hpp for the pieces; this file plugs them into the Format and
// AuthenticodeSignable contracts.
#include "formats/authenticode.hpp"
#include "formats/cab/cab_internal.hpp"
#include "formats/factories.hpp"

namespace signet::formats {

namespace {

class OpenedCab : public OpenedFile, public AuthenticodeSignable {
 public:
  OpenedCab(std::shared_ptr<const cab::Decoded> data, std::unique_ptr<io::TempDir> temp)
      : temp_(std::move(temp)), data_(std::move(data)) {}

  bool is_container() const override { return true; }
  const std::vector<Entry>& entries() const override { return data_->cabinet().entries; }
  io::SourcePtr entry_source(size_t index) const override { return cab::make_entry_source(data_, index); }
  void write(io::File& out, const std::vector<Replacement>& replaced,
             const std::vector<Addition>& added) const override {
    if (!added.empty()) {
      cab::fail(data_->cabinet().name, "cannot add '" + added.front().path +
                                           "': detached signatures can only be added to zip-like containers");
    }
    cab::write_cabinet(*data_, out, replaced);
  }

  std::vector<uint8_t> authenticode_digest(io::HashAlg alg) const override {
    return cab::authenticode_digest(data_->cabinet(), alg);
  }
  std::vector<uint8_t> indirect_data_attribute() const override { return cab::cab_data_attribute(); }
  std::vector<uint8_t> signature() const override { return cab::embedded_signature(data_->cabinet()); }
  io::SourcePtr embed(std::span<const uint8_t> signature, io::TempDir& temp) const override {
    auto path = temp.new_file("signed.cab");
    {
      io::File f = io::File::create(path);
      cab::write_signed(data_->cabinet(), signature, f);
    }
    return io::file_source(path);
  }
  bool supports_append() const override { return true; }

 private:
  std::unique_ptr<io::TempDir> temp_;  // holds the cabinet's bytes when they came from memory
  std::shared_ptr<const cab::Decoded> data_;
};

class CabFormat : public Format {
 public:
  std::string_view element() const override { return "cab-file"; }
  bool is_container() const override { return true; }
  std::unique_ptr<OpenedFile> open(io::SourcePtr bytes, const Limits& limits) const override {
    std::unique_ptr<io::TempDir> temp;
    io::FileRange range = file_range_of(*bytes, temp);
    auto data = std::make_shared<const cab::Decoded>(cab::parse_cabinet(range, bytes->name(), limits));
    return std::make_unique<OpenedCab>(std::move(data), std::move(temp));
  }
};

}  // namespace

const Format& cab_format() {
  static const CabFormat format;
  return format;
}

}  // namespace signet::formats
