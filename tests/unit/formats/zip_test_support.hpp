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

#include "container_test_support.hpp"
#include "formats/factories.hpp"
#include "io/error.hpp"
#include "io/file.hpp"
#include "io/source.hpp"

namespace ziptest {

using namespace containertest;

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

// ---- hand-built archives ----------------------------------------------------------------------

inline uint32_t crc_of(const std::string& s) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
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
  e.stored = raw_deflate(content);
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
