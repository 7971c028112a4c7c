// The Format contract: recognise and open one kind of file. An opened file exposes what the
// engine needs and nothing more: its children if it is a container, its metadata for
// restrictions, and a way to write itself out with some children replaced or added.
#pragma once
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/file.hpp"
#include "io/source.hpp"

namespace signet::formats {

// Limits against hostile containers (configurable from the CLI).
struct Limits {
  uint64_t max_entry_size = 64ull << 30;   // uncompressed bytes of one entry
  uint64_t max_total_size = 256ull << 30;  // uncompressed bytes of all entries of one container
  uint64_t max_ratio = 1000;               // uncompressed / compressed, for entries over 1 MiB
  uint64_t max_entries = 1'000'000;
  uint64_t max_depth = 32;  // nesting of containers
};

struct Entry {
  std::string path;   // '/'-separated as stored; never absolute, never containing ".." (rejected on open)
  uint64_t size = 0;  // uncompressed
  bool directory = false;
};

// The new bytes of an entry; the future yields nullptr when the entry stays unchanged after all
// (then it is copied raw). Futures let a container stream unchanged entries out while its
// children are still being signed.
struct Replacement {
  size_t index = 0;
  std::shared_future<io::SourcePtr> bytes;
};

// A new entry (a detached signature), written right after the entry `beside`.
struct Addition {
  size_t beside = 0;
  std::string path;
  std::shared_future<io::SourcePtr> bytes;
};

class OpenedFile {
 public:
  virtual ~OpenedFile() = default;
  // Restriction metadata by canonical attribute name; nullopt when the format has no such value.
  virtual std::optional<std::string> metadata(std::string_view /*key*/) const { return std::nullopt; }

  virtual bool is_container() const { return false; }
  virtual const std::vector<Entry>& entries() const;
  // Uncompressed bytes of an entry. Stored entries are a range of the container's file.
  virtual io::SourcePtr entry_source(size_t index) const;
  // Write the container to `out` (at its current position), copying unchanged entries raw.
  virtual void write(io::File& out, const std::vector<Replacement>& replaced,
                     const std::vector<Addition>& added) const;
};

class Format {
 public:
  virtual ~Format() = default;
  virtual std::string_view element() const = 0;  // "zip-file"
  virtual bool is_container() const { return false; }
  virtual std::unique_ptr<OpenedFile> open(io::SourcePtr bytes, const Limits& limits) const = 0;
};

// The registry: nullptr when the element is part of the language but not supported yet.
const Format* find_format(std::string_view element);

}  // namespace signet::formats
