// libFuzzer target for the cabinet format: open the input, list and read every file, compute the
// Authenticode digest and the embedded signature, rewrite it (unchanged and with the first file
// replaced) and embed a signature, opening each result again. Hostile input may only ever produce
// io::Error; whatever Signet writes from a cabinet that opened must open again.
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
using fuzz::fuzz_limits;
using fuzz::read_everything;
using fuzz::ready;

std::unique_ptr<formats::OpenedFile> reopen(const std::filesystem::path& p) {
  formats::Limits l = fuzz_limits();
  l.max_ratio = UINT64_MAX / 2;  // recompression may well beat the original's ratio
  try {
    return formats::cab_format().open(io::file_source(p), l);
  } catch (const io::Error&) {
    std::abort();  // we wrote something we cannot read back
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static io::TempDir dir;
  static const auto in_path = dir.path() / "in.cab";
  static const auto out_path = dir.path() / "out.cab";
  fuzz::write_input(in_path, data, size);
  std::unique_ptr<formats::OpenedFile> cab;
  try {
    cab = formats::cab_format().open(io::file_source(in_path), fuzz_limits());
  } catch (const io::Error&) {
    return 0;
  }
  bool readable = read_everything(*cab);
  auto* signable = dynamic_cast<const formats::AuthenticodeSignable*>(cab.get());
  if (!signable) std::abort();
  try {
    signable->signature();
    signable->authenticode_digest(io::HashAlg::sha256);
    io::TempDir temp;
    auto signed_src = signable->embed(std::vector<uint8_t>{0x30, 0x03, 0x02, 0x01, 0x01}, temp);
    auto again = formats::cab_format().open(signed_src, fuzz_limits());
    if (again->entries().size() != cab->entries().size()) std::abort();
  } catch (const io::Error&) {
  }
  if (!readable) return 0;  // rewriting needs every file's bytes
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<formats::Replacement> replaced;
    if (pass == 1 && !cab->entries().empty())
      replaced.push_back({0, ready(io::memory_source({'n', 'e', 'w'}, "new"))});
    try {
      auto out = io::File::create(out_path);
      cab->write(out, replaced, {});
    } catch (const io::Error&) {
      continue;  // e.g. an LZX folder cannot be re-encoded
    }
    auto again = reopen(out_path);
    if (again->entries().size() != cab->entries().size()) std::abort();
    if (!read_everything(*again)) std::abort();
  }
  return 0;
}
