// Helpers shared by the container format tests (zip, cab, msi): running the independent tools in
// a shell, files and entries as strings, and building compressed bytes by hand for hostile cases.
#pragma once
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

#include "formats/format.hpp"
#include "io/error.hpp"
#include "io/file.hpp"
#include "io/source.hpp"

namespace containertest {

namespace fs = std::filesystem;
using signet::formats::Addition;
using signet::formats::Limits;
using signet::formats::OpenedFile;
using signet::formats::Replacement;
using signet::io::SourcePtr;

struct RunResult {
  int status = -1;
  std::string output;
  bool ok() const { return status == 0; }
};

// Runs a shell command (stderr of every part folded into the output).
inline RunResult run(const std::string& cmd) {
  RunResult r;
  FILE* p = ::popen(("(" + cmd + ") 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

inline std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

inline void write_file(const fs::path& p, const std::string& bytes) {
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline std::vector<uint8_t> bytes_of(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

inline std::shared_future<SourcePtr> ready(SourcePtr s) {
  std::promise<SourcePtr> p;
  p.set_value(std::move(s));
  return p.get_future().share();
}

inline SourcePtr memory(const std::string& s, const std::string& name = "new") {
  return signet::io::memory_source(bytes_of(s), name);
}

inline std::string read_entry(const OpenedFile& f, size_t i) {
  auto v = signet::io::read_all(*f.entry_source(i), 1ull << 32);
  return std::string(v.begin(), v.end());
}

// Reads through the entry with small reads (exercises the streaming readers).
inline std::string stream_entry(const OpenedFile& f, size_t i, size_t chunk = 7) {
  auto r = f.entry_source(i)->open();
  std::string out;
  std::vector<uint8_t> buf(chunk);
  for (size_t n; (n = r->read(buf)) > 0;) out.append(reinterpret_cast<char*>(buf.data()), n);
  return out;
}

inline size_t index_of(const OpenedFile& f, const std::string& path) {
  for (size_t i = 0; i < f.entries().size(); ++i) {
    if (f.entries()[i].path == path) return i;
  }
  ADD_FAILURE() << "no entry " << path;
  return 0;
}

inline void rewrite(const OpenedFile& f, const fs::path& out, const std::vector<Replacement>& replaced = {},
                    const std::vector<Addition>& added = {}) {
  auto file = signet::io::File::create(out);
  f.write(file, replaced, added);
}

// The message of the io::Error thrown by fn ("" and a test failure when nothing is thrown).
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const signet::io::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no io::Error thrown";
  return "";
}

// ---- hand-built bytes --------------------------------------------------------------------------

// A raw deflate stream (no zlib header), compressed independently of the code under test.
inline std::string raw_deflate(const std::string& s) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, s.size()) + 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
  z.avail_in = static_cast<uInt>(s.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Appends v as `bytes` little-endian bytes (zeros beyond the eighth).
inline void le(std::string& b, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b += static_cast<char>(i < 8 ? (v >> (8 * i)) & 0xFF : 0);
}

}  // namespace containertest
