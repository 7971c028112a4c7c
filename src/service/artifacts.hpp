// The artifact store: files content-addressed by SHA-256 under DATA/artifacts/ab/abcdef...
// A file becomes durable (fsync, rename, directory fsync) before any database state refers to it.
// Incoming bytes are written to DATA/tmp first and hashed on the way.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "io/file.hpp"
#include "io/hash.hpp"

namespace signet::service {

class ArtifactStore;

// A temp file being written under DATA/tmp; removed on destruction unless adopted.
class Incoming {
 public:
  Incoming(const Incoming&) = delete;
  Incoming& operator=(const Incoming&) = delete;
  ~Incoming();
  void write(std::span<const uint8_t> data);
  uint64_t size() const { return size_; }
  // Finishes hashing; returns the lowercase hex SHA-256. Idempotent.
  const std::string& sha256();
  const std::filesystem::path& path() const { return path_; }

 private:
  friend class ArtifactStore;
  explicit Incoming(std::filesystem::path path);
  std::filesystem::path path_;
  io::File file_;
  io::Hasher hasher_{io::HashAlg::sha256};
  std::string sha_;
  uint64_t size_ = 0;
  bool adopted_ = false;
};

class ArtifactStore {
 public:
  explicit ArtifactStore(std::filesystem::path data_dir);  // creates artifacts/ and tmp/
  std::unique_ptr<Incoming> incoming();
  // Makes the file durable under its hash (deduplicated); returns the hash.
  std::string adopt(Incoming& in);
  // Same for a finished file under tmp/ (e.g. the engine's output); hashes it first.
  // `synced`: the file's data is already on disk (skips one fsync).
  std::string adopt_file(const std::filesystem::path& file, uint64_t* size = nullptr, bool synced = false);
  std::filesystem::path path_of(const std::string& sha256) const;
  bool exists(const std::string& sha256) const;
  const std::filesystem::path& tmp_dir() const { return tmp_; }
  // Start-up: removes what a crash left in tmp/ (never referenced by the database).
  void clean_tmp();

 private:
  std::string place(const std::filesystem::path& file, const std::string& sha, bool synced);
  std::filesystem::path root_, tmp_;
};

}  // namespace signet::service
