// <pe-file>: the Format and Authenticode-signable contracts for PE images. The Authenticode digest
// covers the file in order except the CheckSum field, the certificate-table directory entry and
// the certificate table itself, plus the zero padding to 8 bytes that embedding adds (as
// osslsigncode and Windows hash it). One streaming pass computes the digest and the PE
// checksum's partial sum, so embedding needs no further read of the bulk; the
// signed file is a pieced view of the original that its consumer writes once.
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include "crypto/authenticode.hpp"
#include "formats/authenticode.hpp"
#include "formats/factories.hpp"
#include "formats/pe/pe.hpp"
#include "formats/pe/pe_layout.hpp"
#include "io/error.hpp"
#include "io/hash.hpp"

namespace signet::formats {

namespace {

constexpr uint16_t kWinCertRevision = 0x0200;
constexpr uint16_t kWinCertTypePkcs = 0x0002;

// One's-complement sum of the little-endian 16-bit words of a file, fed in pieces at absolute
// offsets (missing bytes count as zero), as the PE checksum defines it.
class WordSum {
 public:
  void add(uint64_t offset, std::span<const uint8_t> d) {
    size_t i = 0;
    if (d.empty()) return;
    if (offset & 1) acc_ += uint64_t{d[i++]} << 8;
    // 32-bit halves of 64-bit loads: 2^32 == 1 and 2^16 == 1 modulo 0xffff.
    uint64_t a0 = 0, a1 = 0;
    for (; i + 16 <= d.size(); i += 16) {
      uint64_t x, y;
      std::memcpy(&x, d.data() + i, 8);
      std::memcpy(&y, d.data() + i + 8, 8);
      a0 += (x & 0xffffffffu) + (x >> 32);
      a1 += (y & 0xffffffffu) + (y >> 32);
    }
    acc_ += fold64(a0) + fold64(a1);
    for (; i + 2 <= d.size(); i += 2) acc_ += uint64_t{d[i]} | (uint64_t{d[i + 1]} << 8);
    if (i < d.size()) acc_ += d[i];
    acc_ = fold64(acc_);
  }
  void add(const WordSum& o) { acc_ = fold64(acc_ + o.acc_); }
  uint16_t value() const { return static_cast<uint16_t>(fold64(acc_)); }

 private:
  static uint64_t fold64(uint64_t v) {
    while (v >> 16) v = (v & 0xffff) + (v >> 16);
    return v;
  }
  uint64_t acc_ = 0;
};

void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

class PeFile final : public OpenedFile, public AuthenticodeSignable, public pe::CertificateTable {
 public:
  PeFile(pe::Image image, std::string name) : image_(std::move(image)), name_(std::move(name)) {
    layout_ = pe::parse_layout(image_, name_);
    versions_ = pe::read_version_strings(image_, layout_);
  }

  std::optional<std::string> metadata(std::string_view key) const override {
    auto it = versions_.find(std::string(key));
    if (it == versions_.end()) return std::nullopt;
    return it->second;
  }

  std::vector<uint8_t> authenticode_digest(io::HashAlg alg) const override {
    std::lock_guard lock(mu_);
    if (auto it = digests_.find(alg); it != digests_.end()) return it->second;
    require_cert_dir();
    io::Hasher h(alg);
    WordSum sum = scan(&h);
    const uint64_t pad = padding();
    static const uint8_t zeros[8] = {};
    h.update(std::span<const uint8_t>(zeros, pad));
    sum_ = sum;
    return digests_[alg] = h.finish();
  }

  std::vector<uint8_t> indirect_data_attribute() const override {
    return crypto::authenticode::pe_image_data_attribute();
  }

  std::vector<uint8_t> signature() const override {
    for (const auto& c : layout_.certificates) {
      if (c.type == kWinCertTypePkcs) return c.der;
    }
    return {};
  }

  std::vector<std::vector<uint8_t>> all_signatures() const override {
    std::vector<std::vector<uint8_t>> out;
    for (const auto& c : layout_.certificates) {
      if (c.type == kWinCertTypePkcs) out.push_back(c.der);
    }
    return out;
  }

  bool supports_append() const override { return true; }

  io::SourcePtr embed(std::span<const uint8_t> sig, io::TempDir& /*temp*/) const override {
    require_cert_dir();
    WordSum sum;
    {
      std::lock_guard lock(mu_);
      if (!sum_) sum_ = scan(nullptr);
      sum = *sum_;
    }
    const uint64_t end = layout_.content_end();
    const uint64_t pad = padding();
    const uint64_t entry_len = (8 + uint64_t{sig.size()} + 7) & ~uint64_t{7};
    if (entry_len > 0xffffffffu) {
      throw io::Error("the signature is too large for a certificate table entry", io::Location{name_});
    }
    std::vector<uint8_t> table(static_cast<size_t>(entry_len), 0);
    put32(table.data(), static_cast<uint32_t>(entry_len));  // padding included, as signtool writes it
    table[4] = kWinCertRevision & 0xff;
    table[5] = kWinCertRevision >> 8;
    table[6] = kWinCertTypePkcs & 0xff;
    table[7] = kWinCertTypePkcs >> 8;
    std::memcpy(table.data() + 8, sig.data(), sig.size());
    // An appended (nested) signature replaces only the first entry: any further entries (shim's
    // second Microsoft signature, say) are kept byte for byte, each padded to 8 bytes.
    if (extends_first_entry(sig)) {
      for (size_t i = 1; i < layout_.certificates.size(); ++i) {
        const auto& c = layout_.certificates[i];
        const size_t at = table.size();
        table.resize(at + ((size_t{c.length} + 7) & ~size_t{7}), 0);
        image_.read(c.offset, std::span<uint8_t>(table.data() + at, c.length));
      }
    }
    const uint64_t cert_len = table.size();
    const uint64_t table_off = end + pad;
    if (table_off + cert_len > 0xffffffffu) {
      throw io::Error("the file is too large for an Authenticode signature (4 GiB limit)",
                      io::Location{name_});
    }
    uint8_t dir[8];
    put32(dir, static_cast<uint32_t>(table_off));
    put32(dir + 4, static_cast<uint32_t>(cert_len));

    sum.add(*layout_.cert_dir_offset, dir);
    sum.add(table_off, table);
    uint8_t checksum[4];
    put32(checksum, static_cast<uint32_t>(sum.value() + table_off + cert_len));

    // The signed file as pieces: the original bytes with the CheckSum and certificate-table
    // entry replaced, then padding and the new table. Nothing is written here; whoever consumes
    // it (the output file, a zip entry) writes the bulk once, with copy_file_range where it can.
    const uint64_t cks = layout_.checksum_offset, dir_off = *layout_.cert_dir_offset;
    auto range = [&](uint64_t from, uint64_t to) { return image_.piece(from, to); };
    std::vector<uint8_t> tail(static_cast<size_t>(pad), 0);
    tail.insert(tail.end(), table.begin(), table.end());
    std::vector<io::Piece> pieces{
        range(0, cks),           io::Piece{std::nullopt, std::vector<uint8_t>(checksum, checksum + 4)},
        range(cks + 4, dir_off), io::Piece{std::nullopt, std::vector<uint8_t>(dir, dir + 8)},
        range(dir_off + 8, end), io::Piece{std::nullopt, std::move(tail)}};
    return io::pieces_source(std::move(pieces), name_);
  }

 private:
  void require_cert_dir() const {
    if (!layout_.cert_dir_offset) {
      throw io::Error("the PE file has no certificate table directory entry (NumberOfRvaAndSizes < 5)",
                      io::Location{name_});
    }
  }

  // Whether `sig` is the existing first signature with a signature nested into it (append="true")
  // rather than a replacement: the same primary signature value over the same content, and more
  // signatures in total. A replacement is a new signing and never has the same signature value
  // plus extra nested ones.
  bool extends_first_entry(std::span<const uint8_t> sig) const {
    if (layout_.certificates.size() < 2) return false;
    const std::vector<uint8_t> first = signature();
    if (first.empty() || layout_.certificates[0].type != kWinCertTypePkcs) return false;
    try {
      auto had = crypto::authenticode::parse(first, name_);
      auto now = crypto::authenticode::parse(sig, name_);
      return now.size() > had.size() && now[0].signature_value == had[0].signature_value &&
             now[0].econtent == had[0].econtent;
    } catch (const io::Error&) {
      return false;  // an unreadable existing signature cannot have been extended
    }
  }

  uint64_t padding() const { return (8 - layout_.content_end() % 8) % 8; }

  // The hashed byte ranges, in file order.
  std::vector<std::pair<uint64_t, uint64_t>> parts() const {
    const uint64_t cks = layout_.checksum_offset, dir = *layout_.cert_dir_offset, end = layout_.content_end();
    return {{0, cks}, {cks + 4, dir}, {dir + 8, end}};
  }

  // One pass over the hashed ranges, hashing and summing each part while it is in cache. (A
  // reader thread per chunk measured slower on two busy cores: the word sum costs about a sixth of
  // SHA-256, less than the hand-offs.)
  WordSum scan(io::Hasher* h) const {
    const auto ranges = parts();
    WordSum sum;
    image_.scan(layout_.content_end(), [&](uint64_t pos, std::span<const uint8_t> chunk) {
      for (const auto& [b, e] : ranges) {
        const uint64_t lo = std::max(b, pos), hi = std::min(e, pos + chunk.size());
        if (lo >= hi) continue;
        auto part = chunk.subspan(static_cast<size_t>(lo - pos), static_cast<size_t>(hi - lo));
        if (h) h->update(part);
        sum.add(lo, part);
      }
    });
    return sum;
  }

  pe::Image image_;
  std::string name_;
  pe::Layout layout_;
  std::map<std::string, std::string> versions_;
  mutable std::mutex mu_;
  mutable std::map<io::HashAlg, std::vector<uint8_t>> digests_;
  mutable std::optional<WordSum> sum_;
};

io::FileRange unlinked_copy(const io::Source& src) {
  static std::mutex mu;
  static io::TempDir dir;
  std::filesystem::path path;
  {
    std::lock_guard lock(mu);
    path = dir.new_file("pe");
  }
  io::File out = io::File::create(path);
  std::error_code ec;
  std::filesystem::remove(path, ec);  // the descriptor keeps the data
  io::copy_to(src, out);
  return io::FileRange{std::make_shared<const io::File>(std::move(out)), 0, src.size()};
}

class PeFormat : public Format {
 public:
  std::string_view element() const override { return "pe-file"; }
  std::unique_ptr<OpenedFile> open(io::SourcePtr bytes, const Limits& /*limits*/) const override {
    if (auto range = bytes->file_range()) return std::make_unique<PeFile>(pe::Image(*range), bytes->name());
    // Entries of containers (deflated, or signed bytes being re-opened): copied into a file that
    // is unlinked at once, so nothing needs cleaning up later (a temporary directory per DLL
    // costs more than its signature) and the space returns when the last reader is gone.
    return std::make_unique<PeFile>(pe::Image(unlinked_copy(*bytes)), bytes->name());
  }
};

}  // namespace

const Format& pe_format() {
  static const PeFormat format;
  return format;
}

}  // namespace signet::formats
