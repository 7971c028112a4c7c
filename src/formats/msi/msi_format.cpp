// <msi-file>: a Windows Installer package (.msi .msm .msp) as a container of its installed files
// and as an Authenticode-signable file. Files are read through the embedded cabinets; writing
// rebuilds the cabinets that hold replaced files, updates File.FileSize and MsiFileHash (MD5 as
// four int32) of each replaced file, and lays out a fresh compound file with every other stream
// and all directory metadata kept. Signatures: \005DigitalSignature, plus \005MsiDigitalSignatureEx
// when the package already carried one (it is then recomputed for the new signature); a package
// without one is signed as osslsigncode does by default, with DigitalSignature alone.
#include <openssl/evp.h>

#include <map>
#include <mutex>

#include "formats/authenticode.hpp"
#include "formats/factories.hpp"
#include "formats/msi/msi_internal.hpp"
#include "io/error.hpp"

namespace signet::formats {

namespace {

constexpr uint64_t kMaxSignature = 64u << 20;

struct State {
  std::unique_ptr<io::TempDir> temp;  // the package's bytes when they came from memory, and cabinets
  io::FileRange range;                // the package's bytes
  cfb::CompoundFile cf;
  std::optional<msi::Database> db;
  msi::Package pkg;
  msi::Summary summary;
  bool has_ex = false;  // MsiDigitalSignatureEx present
};

std::array<uint8_t, 16> md5_of(const io::Source& src) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1) throw io::Error("cannot initialise MD5");
  io::for_each_chunk(src,
                     [&](std::span<const uint8_t> d) { EVP_DigestUpdate(ctx.get(), d.data(), d.size()); });
  std::array<uint8_t, 16> out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), out.data(), &n);
  return out;
}

cfb::WriteNode* child(cfb::WriteNode& root, std::u16string_view name) {
  for (auto& c : root.children) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Removes \005DigitalSignature and, unless `keep_ex`, \005MsiDigitalSignatureEx. A rewritten package
// keeps its (stale) MsiDigitalSignatureEx as the mark that its signer chose it: it means nothing
// without a DigitalSignature and is recomputed when the package is signed again.
void drop_signatures(cfb::WriteNode& root, bool keep_ex) {
  std::erase_if(root.children, [&](const cfb::WriteNode& c) {
    return c.name == msi::kDigitalSignature || (!keep_ex && c.name == msi::kDigitalSignatureEx);
  });
}

class OpenedMsi : public OpenedFile, public AuthenticodeSignable {
 public:
  explicit OpenedMsi(std::unique_ptr<State> s) : s_(std::move(s)) {}

  std::optional<std::string> metadata(std::string_view key) const override {
    if (key == "subject") return s_->summary.subject;
    if (key == "author") return s_->summary.author;
    return std::nullopt;
  }
  bool is_container() const override { return true; }
  const std::vector<Entry>& entries() const override { return s_->pkg.entries; }
  io::SourcePtr entry_source(size_t index) const override {
    if (index >= s_->pkg.files.size()) msi::fail(s_->cf.name(), "no entry " + msi::num(index));
    const auto& f = s_->pkg.files[index];
    return s_->pkg.cabinets[f.cabinet].opened->entry_source(f.cab_entry);
  }
  void write(io::File& out, const std::vector<Replacement>& replaced,
             const std::vector<Addition>& added) const override;

  std::vector<uint8_t> authenticode_digest(io::HashAlg alg) const override {
    return msi::content_digest(s_->cf, alg, s_->has_ex);
  }
  std::vector<uint8_t> indirect_data_attribute() const override { return msi::sip_info_attribute(); }
  std::vector<uint8_t> signature() const override {
    size_t i = s_->cf.find(0, msi::kDigitalSignature);
    if (i == cfb::CompoundFile::npos) return {};
    auto src = s_->cf.stream(i);
    if (src->size() > kMaxSignature)
      msi::fail(s_->cf.name(), "the DigitalSignature stream is larger than 64 MiB");
    return io::read_all(*src, kMaxSignature);
  }
  io::SourcePtr embed(std::span<const uint8_t> signature, io::TempDir& temp) const override {
    cfb::WriteNode root = cfb::copy_tree(s_->cf);
    drop_signatures(root, false);
    cfb::WriteNode sig;
    sig.name = std::u16string(msi::kDigitalSignature);
    sig.data =
        io::memory_source(std::vector<uint8_t>(signature.begin(), signature.end()), "DigitalSignature");
    root.children.push_back(std::move(sig));
    if (s_->has_ex) {
      cfb::WriteNode ex;
      ex.name = std::u16string(msi::kDigitalSignatureEx);
      ex.data =
          io::memory_source(msi::metadata_prehash(s_->cf, msi::signature_hash_alg(signature, s_->cf.name())),
                            "MsiDigitalSignatureEx");
      root.children.push_back(std::move(ex));
    }
    auto path = temp.new_file("signed.msi");
    {
      io::File f = io::File::create(path);
      cfb::write_compound_file(root, s_->cf.major_version(), f);
    }
    return io::file_source(path);
  }
  bool supports_append() const override { return false; }

 private:
  std::unique_ptr<State> s_;
};

void OpenedMsi::write(io::File& out, const std::vector<Replacement>& replaced,
                      const std::vector<Addition>& added) const {
  const std::string& pkg = s_->cf.name();
  if (!added.empty()) {
    msi::fail(pkg, "cannot add '" + added.front().path +
                       "': detached signatures can only be added to zip-like containers");
  }
  // Which files change, per cabinet.
  std::map<size_t, std::vector<Replacement>> per_cab;
  std::vector<std::pair<size_t, io::SourcePtr>> changed;  // entry index, new bytes
  for (const auto& r : replaced) {
    if (r.index >= s_->pkg.files.size())
      msi::fail(pkg, "replacement for entry " + msi::num(r.index) + ", which does not exist");
    io::SourcePtr bytes = r.bytes.get();
    if (!bytes) continue;
    const auto& f = s_->pkg.files[r.index];
    if (bytes->size() > 0x7FFFFFFF)
      msi::fail(pkg, "'" + f.path + "': a replacement over 2 GiB does not fit the File table");
    std::promise<io::SourcePtr> p;
    p.set_value(bytes);
    per_cab[f.cabinet].push_back(Replacement{f.cab_entry, p.get_future().share()});
    changed.emplace_back(r.index, bytes);
  }
  if (changed.empty()) {  // nothing changed after all: the package as it was, signature included
    io::copy_to(*io::range_source(s_->range, pkg), out);
    return;
  }

  io::TempDir temp;
  cfb::WriteNode root = cfb::copy_tree(s_->cf);
  drop_signatures(root, true);  // the content changes: the signature is void
  for (auto& [cab, reps] : per_cab) {
    const auto& c = s_->pkg.cabinets[cab];
    auto path = temp.new_file("cabinet");
    {
      io::File f = io::File::create(path);
      c.opened->write(f, reps, {});
    }
    child(root, s_->cf.entries()[c.stream].name)->data = io::file_source(path);
  }

  // File.FileSize and MsiFileHash of every replaced file.
  auto file_t = s_->db->table("File");
  if (!file_t) msi::fail(pkg, "the package has no File table");
  size_t size_col = file_t->column("FileSize");
  auto hash_t = s_->db->table("MsiFileHash");
  std::map<std::string, size_t> hash_rows;
  if (hash_t && hash_t->column("File_") != msi::Table::npos &&
      hash_t->column("HashPart4") != msi::Table::npos) {
    for (size_t r = 0; r < hash_t->rows; ++r)
      hash_rows[s_->db->text(*hash_t, r, hash_t->column("File_"))] = r;
  }
  bool hashes_changed = false;
  for (const auto& [index, bytes] : changed) {
    const auto& f = s_->pkg.files[index];
    if (size_col != msi::Table::npos) {
      if (file_t->columns[size_col].width == 2 && bytes->size() > 0x7FFF) {
        msi::fail(
            pkg, "'" + f.path + "': the File table's 16-bit FileSize cannot hold " + msi::num(bytes->size()));
      }
      file_t->set_integer(f.file_row, size_col, static_cast<int32_t>(bytes->size()));
    }
    auto row = hash_rows.find(f.key);
    if (row != hash_rows.end()) {  // Windows Installer keeps hashes for unversioned files only
      auto md5 = md5_of(*bytes);
      for (int k = 0; k < 4; ++k) {
        int32_t part = static_cast<int32_t>(md5[4 * k] | (md5[4 * k + 1] << 8) | (md5[4 * k + 2] << 16) |
                                            (static_cast<uint32_t>(md5[4 * k + 3]) << 24));
        hash_t->set_integer(row->second, hash_t->column("HashPart" + std::to_string(k + 1)), part);
      }
      hashes_changed = true;
    }
  }
  if (size_col != msi::Table::npos && file_t->stream != cfb::CompoundFile::npos) {
    child(root, s_->cf.entries()[file_t->stream].name)->data = io::memory_source(file_t->data, "File table");
  }
  if (hashes_changed) {
    child(root, s_->cf.entries()[hash_t->stream].name)->data =
        io::memory_source(hash_t->data, "MsiFileHash table");
  }
  cfb::write_compound_file(root, s_->cf.major_version(), out);
}

class MsiFormat : public Format {
 public:
  std::string_view element() const override { return "msi-file"; }
  bool is_container() const override { return true; }
  std::unique_ptr<OpenedFile> open(io::SourcePtr bytes, const Limits& limits) const override {
    auto s = std::make_unique<State>();
    s->temp = std::make_unique<io::TempDir>();
    auto range = bytes->file_range();
    s->range = range ? *range : io::materialize(*bytes, *s->temp);
    s->cf = cfb::CompoundFile::open(s->range, bytes->name(), limits.max_entries);
    s->db = msi::Database::open(s->cf);
    s->summary = msi::read_summary(s->cf);
    s->has_ex = s->cf.find(0, msi::kDigitalSignatureEx) != cfb::CompoundFile::npos;
    s->pkg = msi::read_layout(s->cf, *s->db, limits, *s->temp);
    return std::make_unique<OpenedMsi>(std::move(s));
  }
};

}  // namespace

const Format& msi_format() {
  static const MsiFormat format;
  return format;
}

}  // namespace signet::formats
