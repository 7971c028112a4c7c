// Helpers for the zip format tests: running the zip/unzip/python tools in a temp directory,
// hand-building archives byte by byte for hostile cases, and opening/rewriting archives.
#pragma once
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "formats/factories.hpp"
#include "io/error.hpp"
#include "io/file.hpp"
#include "io/source.hpp"

namespace ziptest {

namespace fs = std::filesystem;
using signet::formats::Addition;
using signet::formats::Limits;
using signet::formats::OpenedFile;
using signet::formats::Replacement;
using signet::io::SourcePtr;

struct RunResult {
  int status = -1;
  std::string output;
};

// Runs a shell command (stderr folded into the output).
inline RunResult run(const std::string& cmd) {
  RunResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

inline void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

// Runs a python script with /usr/bin/python3 (the apt python with the standard zipfile module).
inline RunResult python(const fs::path& dir, const std::string& script, const std::string& args = "") {
  auto path = dir / "script.py";
  write_file(path, script);
  return run("/usr/bin/python3 " + q(path) + " " + args);
}

inline std::unique_ptr<OpenedFile> open_zip(const fs::path& p, const Limits& limits = {}) {
  return signet::formats::zip_format().open(signet::io::file_source(p), limits);
}

inline std::unique_ptr<OpenedFile> open_bytes(const std::string& bytes, const std::string& name = "test.zip",
                                              const Limits& limits = {}) {
  return signet::formats::zip_format().open(
      signet::io::memory_source(std::vector<uint8_t>(bytes.begin(), bytes.end()), name), limits);
}

inline std::string read_entry(const OpenedFile& z, size_t i) {
  auto src = z.entry_source(i);
  auto v = signet::io::read_all(*src, 1ull << 32);
  return std::string(v.begin(), v.end());
}

// Reads through the entry with small reads (exercises the streaming readers).
inline std::string stream_entry(const OpenedFile& z, size_t i, size_t chunk = 7) {
  auto r = z.entry_source(i)->open();
  std::string out;
  std::vector<uint8_t> buf(chunk);
  for (size_t n; (n = r->read(buf)) > 0;) out.append(reinterpret_cast<char*>(buf.data()), n);
  return out;
}

inline size_t index_of(const OpenedFile& z, const std::string& path) {
  for (size_t i = 0; i < z.entries().size(); ++i) {
    if (z.entries()[i].path == path) return i;
  }
  ADD_FAILURE() << "no entry " << path;
  return 0;
}

inline std::shared_future<SourcePtr> ready(SourcePtr s) {
  std::promise<SourcePtr> p;
  p.set_value(std::move(s));
  return p.get_future().share();
}

inline SourcePtr bytes_source(const std::string& s, const std::string& name = "new") {
  return signet::io::memory_source(std::vector<uint8_t>(s.begin(), s.end()), name);
}

inline void rewrite(const OpenedFile& z, const fs::path& out, const std::vector<Replacement>& replaced = {},
                    const std::vector<Addition>& added = {}) {
  auto f = signet::io::File::create(out);
  z.write(f, replaced, added);
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

// ---- hand-built archives ----------------------------------------------------------------------

inline uint32_t crc_of(const std::string& s) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

inline std::string deflate_raw(const std::string& s) {
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

inline void le(std::string& b, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b += static_cast<char>(i < 8 ? (v >> (8 * i)) & 0xFF : 0);
}

enum class Descriptor { none, with_sig, without_sig, with_sig64 };

struct RawEntry {
  std::string name;
  std::string stored;  // the bytes as they sit in the archive
  uint16_t method = 0;
  uint16_t flags = 0;
  uint32_t crc = 0;
  uint64_t csize = 0, usize = 0;
  Descriptor descriptor = Descriptor::none;
  std::optional<std::string> local_name;
  std::string extra, comment;
  std::optional<uint64_t> offset;  // local header offset written in the central record
};

inline RawEntry stored(const std::string& name, const std::string& content) {
  RawEntry e;
  e.name = name;
  e.stored = content;
  e.crc = crc_of(content);
  e.csize = e.usize = content.size();
  return e;
}

inline RawEntry deflated(const std::string& name, const std::string& content) {
  RawEntry e = stored(name, content);
  e.method = 8;
  e.stored = deflate_raw(content);
  e.csize = e.stored.size();
  return e;
}

// Lays out local headers, data, descriptors, central directory and end record.
inline std::string build_zip(std::vector<RawEntry> entries, const std::string& comment = "") {
  std::string b;
  std::vector<uint64_t> offsets;
  for (auto& e : entries) {
    if (e.descriptor != Descriptor::none) e.flags |= 8;
    offsets.push_back(b.size());
    bool dd = e.descriptor != Descriptor::none;
    std::string ln = e.local_name.value_or(e.name);
    le(b, 0x04034b50, 4);
    le(b, 20, 2);
    le(b, e.flags, 2);
    le(b, e.method, 2);
    le(b, 0x6000, 2);
    le(b, 0x5821, 2);
    le(b, dd ? 0 : e.crc, 4);
    le(b, dd ? 0 : e.csize, 4);
    le(b, dd ? 0 : e.usize, 4);
    le(b, ln.size(), 2);
    le(b, 0, 2);
    b += ln;
    b += e.stored;
    if (e.descriptor == Descriptor::with_sig || e.descriptor == Descriptor::with_sig64) le(b, 0x08074b50, 4);
    if (dd) le(b, e.crc, 4);
    int w = e.descriptor == Descriptor::with_sig64 ? 8 : 4;
    if (dd) le(b, e.csize, w), le(b, e.usize, w);
  }
  uint64_t cd = b.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    le(b, 0x02014b50, 4);
    le(b, 0x0314, 2);
    le(b, 20, 2);
    le(b, e.flags, 2);
    le(b, e.method, 2);
    le(b, 0x6000, 2);
    le(b, 0x5821, 2);
    le(b, e.crc, 4);
    le(b, e.csize, 4);
    le(b, e.usize, 4);
    le(b, e.name.size(), 2);
    le(b, e.extra.size(), 2);
    le(b, e.comment.size(), 2);
    le(b, 0, 2);
    le(b, 0, 2);
    le(b, 0x81a40000u, 4);
    le(b, e.offset.value_or(offsets[i]), 4);
    b += e.name + e.extra + e.comment;
  }
  uint64_t cd_size = b.size() - cd;
  le(b, 0x06054b50, 4);
  le(b, 0, 4);
  le(b, entries.size(), 2);
  le(b, entries.size(), 2);
  le(b, cd_size, 4);
  le(b, cd, 4);
  le(b, comment.size(), 2);
  b += comment;
  return b;
}

}  // namespace ziptest
