// libFuzzer target for the zip format: open the input, list and read every entry, then rewrite it
// (unchanged, and with one entry replaced and one added) and open the result again. Hostile input
// may only ever produce io::Error; a rewrite of an archive that opened must open again.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "formats/factories.hpp"
#include "fuzz_support.hpp"
#include "io/error.hpp"
#include "io/file.hpp"
#include "io/source.hpp"

namespace {

using namespace signet;
using fuzz::fuzz_limits;
using fuzz::read_everything;
using fuzz::ready;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static io::TempDir dir;
  static const auto in_path = dir.path() / "in.zip";
  static const auto out_path = dir.path() / "out.zip";
  fuzz::write_input(in_path, data, size);
  std::unique_ptr<formats::OpenedFile> z;
  try {
    z = formats::zip_format().open(io::file_source(in_path), fuzz_limits());
  } catch (const io::Error&) {
    return 0;
  }
  (void)read_everything(*z);  // unreadable entries are fine here

  // Unchanged, then with a change: either way the result must open again with the expected entries.
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<formats::Replacement> replaced;
    std::vector<formats::Addition> added;
    if (pass == 1 && !z->entries().empty()) {
      replaced.push_back({0, ready(io::memory_source({'n', 'e', 'w'}, "new"))});
      added.push_back({0, "fuzz-added.sig", ready(io::memory_source({'s', 'i', 'g'}, "sig"))});
    }
    try {
      auto out = io::File::create(out_path);
      z->write(out, replaced, added);
    } catch (const io::Error&) {
      continue;  // e.g. the added name collides with an entry
    }
    try {
      auto again = formats::zip_format().open(io::file_source(out_path), fuzz_limits());
      if (again->entries().size() != z->entries().size() + added.size()) std::abort();
      (void)read_everything(*again);
    } catch (const io::Error&) {
      std::abort();  // we wrote something we cannot read back
    }
  }
  return 0;
}
