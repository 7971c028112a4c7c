#include "io/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include "io/error.hpp"

namespace signet::io {

namespace fs = std::filesystem;

static Error sys_error(const std::string& what, const fs::path& path) {
  return Error(what + ": " + std::strerror(errno), Location{path.string()});
}

File File::open_read(const fs::path& path) {
  File f;
  f.path_ = path;
  f.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd_ < 0) throw sys_error("cannot open", path);
  struct stat st {};
  if (::fstat(f.fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
    throw Error("is a directory, not a file", Location{path.string()});
  }
  return f;
}

File File::create(const fs::path& path) {
  File f;
  f.path_ = path;
  f.fd_ = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
  if (f.fd_ < 0) throw sys_error("cannot create", path);
  return f;
}

File::File(File&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) {
  o.fd_ = -1;
}

File& File::operator=(File&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

uint64_t File::size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw sys_error("cannot stat", path_);
  return static_cast<uint64_t>(st.st_size);
}

size_t File::read_at(uint64_t offset, std::span<uint8_t> buf) const {
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::pread(fd_, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw sys_error("read failed", path_);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

void File::read_exact(uint64_t offset, std::span<uint8_t> buf) const {
  if (read_at(offset, buf) != buf.size()) {
    throw Error("unexpected end of file at offset " + std::to_string(offset), Location{path_.string()});
  }
}

void File::write_all(std::span<const uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw sys_error("write failed", path_);
    }
    done += static_cast<size_t>(n);
  }
}

void File::sync() {
  if (::fsync(fd_) != 0) throw sys_error("fsync failed", path_);
}

static std::string random_suffix() {
  static std::atomic<uint64_t> seq{0};
  std::random_device rd;
  return std::to_string(::getpid()) + "-" + std::to_string(rd()) + "-" + std::to_string(seq++);
}

TempDir::TempDir(const fs::path& parent) {
  fs::path base = parent;
  if (base.empty()) {
    const char* t = std::getenv("TMPDIR");
    base = (t && *t) ? fs::path(t) : fs::path("/tmp");
  }
  std::string tmpl = (base / "signet-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw sys_error("cannot create temporary directory", base);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path TempDir::new_file(const std::string& hint) {
  std::string safe;
  for (char c : hint) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  if (safe.size() > 40) safe = safe.substr(safe.size() - 40);
  return path_ / (std::to_string(++counter_) + "-" + safe);
}

AtomicOutput::AtomicOutput(fs::path target) : target_(std::move(target)) {
  fs::path dir = target_.parent_path();
  if (dir.empty()) dir = ".";
  temp_ = dir / ("." + target_.filename().string() + ".signet-" + random_suffix() + ".tmp");
  file_ = File::create(temp_);
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void AtomicOutput::commit() {
  file_.sync();
  if (::rename(temp_.c_str(), target_.c_str()) != 0)
    throw sys_error("cannot rename output into place", target_);
  committed_ = true;
  fs::path dir = target_.parent_path();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace signet::io
