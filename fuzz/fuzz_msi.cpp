// libFuzzer target for MSI packages: open the input (compound file, database tables, summary
// information, embedded cabinets), list and read every installed file, compute the Authenticode
// digest, rewrite the package with the first file replaced and embed a signature, opening each
// result again. Hostile input may only ever produce io::Error; whatever Signet writes from a
// package that opened must open again.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "formats/authenticode.hpp"
#include "formats/factories.hpp"
#include "fuzz_support.hpp"
#include "io/error.hpp"
#include "io/file.hpp"
#include "io/hash.hpp"
#include "io/source.hpp"

namespace {

using namespace signet;
using fuzz::read_everything;
using fuzz::ready;

// No ratio limit: the rewritten package's cabinets may compress far better than the originals.
formats::Limits limits() {
  formats::Limits l = fuzz::fuzz_limits();
  l.max_ratio = UINT64_MAX / 2;
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static io::TempDir dir;
  static const auto in_path = dir.path() / "in.msi";
  static const auto out_path = dir.path() / "out.msi";
  fuzz::write_input(in_path, data, size);
  std::unique_ptr<formats::OpenedFile> msi;
  try {
    msi = formats::msi_format().open(io::file_source(in_path), limits());
  } catch (const io::Error&) {
    return 0;
  }
  msi->metadata("subject");
  msi->metadata("author");
  bool readable = read_everything(*msi);
  auto* signable = dynamic_cast<const formats::AuthenticodeSignable*>(msi.get());
  if (!signable) std::abort();
  try {
    signable->signature();
    signable->authenticode_digest(io::HashAlg::sha256);
    io::TempDir temp;
    signable->embed(std::vector<uint8_t>{0x30, 0x03, 0x02, 0x01, 0x01}, temp);
  } catch (const io::Error&) {
  }
  if (!readable || msi->entries().empty()) return 0;
  try {
    auto out = io::File::create(out_path);
    msi->write(out, {{0, ready(io::memory_source({'n', 'e', 'w'}, "new"))}}, {});
  } catch (const io::Error&) {
    return 0;
  }
  try {
    auto again = formats::msi_format().open(io::file_source(out_path), limits());
    if (again->entries().size() != msi->entries().size()) std::abort();
    if (!read_everything(*again)) std::abort();
  } catch (const io::Error&) {
    std::abort();  // we wrote something we cannot read back
  }
  return 0;
}
