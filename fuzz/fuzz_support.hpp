// Harness pieces shared by the container fuzz targets (cab, msi, zip).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <span>
#include <vector>

#include "formats/format.hpp"
#include "io/error.hpp"
#include "io/file.hpp"
#include "io/source.hpp"

namespace signet::fuzz {

inline std::shared_future<io::SourcePtr> ready(io::SourcePtr s) {
  std::promise<io::SourcePtr> p;
  p.set_value(std::move(s));
  return p.get_future().share();
}

// Limits low enough to keep inflation bombs cheap, high enough for any real seed.
inline formats::Limits fuzz_limits() {
  formats::Limits l;
  l.max_entry_size = 64 << 20;
  l.max_total_size = 256 << 20;
  l.max_entries = 100000;
  return l;
}

// Writes the fuzzer's input to `path` (formats open files, not memory).
inline void write_input(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  auto f = io::File::create(path);
  f.write_all(std::span<const uint8_t>(data, size));
}

// Reads every entry to its end; aborts if a reader delivers other than the declared size. Returns
// whether every entry could be read (hostile input may make some fail with io::Error).
inline bool read_everything(const formats::OpenedFile& f) {
  std::vector<uint8_t> buf(4096);
  bool all = true;
  for (size_t i = 0; i < f.entries().size(); ++i) {
    try {
      auto src = f.entry_source(i);
      auto r = src->open();
      uint64_t total = 0;
      for (size_t n; (n = r->read(buf)) > 0;) total += n;
      if (total != src->size()) std::abort();
    } catch (const io::Error&) {
      all = false;
    }
  }
  return all;
}

}  // namespace signet::fuzz
