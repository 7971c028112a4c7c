// RAII file descriptors, positional reads and writes, temp directories and atomic output files.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace signet::io {

// An open file descriptor, closed on destruction. Errors name the path.
class File {
 public:
  File() = default;
  static File open_read(const std::filesystem::path& path);
  static File create(const std::filesystem::path& path);  // O_CREAT|O_TRUNC|O_RDWR, mode 0644
  File(File&& o) noexcept;
  File& operator=(File&& o) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }
  uint64_t size() const;
  // Reads exactly buf.size() bytes at offset or throws (a short file is an error naming the path).
  void read_exact(uint64_t offset, std::span<uint8_t> buf) const;
  // Reads up to buf.size() bytes at offset; returns the count (0 at end of file).
  size_t read_at(uint64_t offset, std::span<uint8_t> buf) const;
  void write_all(std::span<const uint8_t> data);  // at the current position
  void sync();

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

// A directory removed (recursively) on destruction; the engine keeps extracted entries here.
class TempDir {
 public:
  explicit TempDir(const std::filesystem::path& parent = {});  // default: $TMPDIR or /tmp
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  // A fresh, unique file name inside the directory (the file is not created).
  std::filesystem::path new_file(const std::string& hint);

 private:
  std::filesystem::path path_;
  std::uint64_t counter_ = 0;
};

// Output that appears complete or not at all: written to a temp file beside the target,
// fsynced and renamed on commit(); removed if destroyed without commit().
class AtomicOutput {
 public:
  explicit AtomicOutput(std::filesystem::path target);
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  ~AtomicOutput();
  File& file() { return file_; }
  const std::filesystem::path& temp_path() const { return temp_; }
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  File file_;
  bool committed_ = false;
};

}  // namespace signet::io
