// Form fields of the submission routes, bound the ASP.NET way (SIGNPATH.md §2.3): names are
// case-insensitive, dictionaries are written `parameters.x`, `Parameters.x` or `Parameters[x]`,
// nested objects `Origin.RepositoryData.Url` (or `Origin[RepositoryData][Url]`). Every spelling
// maps to one canonical key: the lowercased path with dots, dictionary keys kept as sent
// ("parameters.Version", "origin.repositorydata.url").
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/artifacts.hpp"
#include "service/multipart.hpp"

namespace signet::service {

// nullopt for a malformed name (empty segment, unbalanced brackets, control characters).
std::optional<std::string> canonical_field(std::string_view name);

struct UploadedFile {
  std::unique_ptr<Incoming> data;
  std::string filename;
};

struct FormData {
  std::map<std::string, std::string> fields;  // canonical key -> value
  std::map<std::string, UploadedFile> files;  // canonical key -> file
  std::vector<std::string> problems;          // binding problems (duplicates, malformed names)

  const std::string* get(const std::string& key) const {
    auto it = fields.find(key);
    return it == fields.end() ? nullptr : &it->second;
  }
  std::string value(const std::string& key) const {
    auto* v = get(key);
    return v ? *v : std::string();
  }
  // Dictionary entries under a prefix ("parameters"): key -> value.
  std::map<std::string, std::string> dictionary(const std::string& prefix) const;
};

// Collects a multipart body: fields in memory (bounded), the named file fields into the artifact
// store's temp area. Other file parts are discarded.
class FormCollector : public MultipartHandler {
 public:
  FormCollector(ArtifactStore& store, std::vector<std::string> file_fields, FormData& out);
  void on_part_begin(const PartHeaders& headers) override;
  void on_part_data(std::span<const uint8_t> data) override;
  void on_part_end() override;

  static constexpr size_t kMaxFieldBytes = 64 * 1024;
  static constexpr size_t kMaxTotalFieldBytes = 1024 * 1024;

 private:
  ArtifactStore& store_;
  std::vector<std::string> file_fields_;
  FormData& out_;
  enum class Kind { field, file, discard } kind_ = Kind::discard;
  std::string key_, value_;
  UploadedFile file_;
  size_t total_field_bytes_ = 0;
};

// application/x-www-form-urlencoded body into the same canonical form.
void parse_urlencoded(std::string_view body, FormData& out);

}  // namespace signet::service
