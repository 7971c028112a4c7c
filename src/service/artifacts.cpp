#include "service/artifacts.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "io/error.hpp"
#include "io/source.hpp"
#include "service/util.hpp"

namespace signet::service {

namespace fs = std::filesystem;

Incoming::Incoming(fs::path path) : path_(std::move(path)), file_(io::File::create(path_)) {}

Incoming::~Incoming() {
  if (!adopted_) {
    std::error_code ec;
    fs::remove(path_, ec);
  }
}

void Incoming::write(std::span<const uint8_t> data) {
  if (!sha_.empty()) throw io::Error("internal: write after sha256()", io::Location{path_.string()});
  file_.write_all(data);
  hasher_.update(data);
  size_ += data.size();
}

const std::string& Incoming::sha256() {
  if (sha_.empty()) sha_ = io::to_hex(hasher_.finish());
  return sha_;
}

ArtifactStore::ArtifactStore(fs::path data_dir) : root_(data_dir / "artifacts"), tmp_(data_dir / "tmp") {
  fs::create_directories(root_);
  fs::create_directories(tmp_);
}

std::unique_ptr<Incoming> ArtifactStore::incoming() {
  return std::unique_ptr<Incoming>(new Incoming(tmp_ / ("in-" + random_token(12))));
}

fs::path ArtifactStore::path_of(const std::string& sha) const {
  return root_ / sha.substr(0, 2) / sha;
}

bool ArtifactStore::exists(const std::string& sha) const {
  std::error_code ec;
  return is_sha256_hex(sha) && fs::exists(path_of(sha), ec);
}

std::string ArtifactStore::place(const fs::path& file, const std::string& sha, bool synced) {
  fs::path target = path_of(sha);
  fs::path dir = target.parent_path();
  std::error_code ec;
  bool created = fs::create_directory(dir, ec);
  if (ec) throw io::Error("cannot create artifact directory: " + ec.message(), io::Location{dir.string()});
  if (created) fsync_dir(root_);
  if (fs::exists(target, ec)) {
    fs::remove(file, ec);  // same bytes already stored (and durable)
    return sha;
  }
  if (!synced) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      if (fd >= 0) ::close(fd);
      throw io::Error("cannot fsync artifact", io::Location{file.string()});
    }
    ::close(fd);
  }
  if (::rename(file.c_str(), target.c_str()) != 0) {
    throw io::Error("cannot move artifact into the store", io::Location{target.string()});
  }
  fsync_dir(dir);
  return sha;
}

std::string ArtifactStore::adopt(Incoming& in) {
  const std::string& sha = in.sha256();
  in.file_ = io::File();  // close before rename
  place(in.path_, sha, false);
  in.adopted_ = true;
  return sha;
}

std::string ArtifactStore::adopt_file(const fs::path& file, uint64_t* size, bool synced) {
  auto src = io::file_source(file);
  if (size) *size = src->size();
  std::string sha = io::to_hex(io::digest(io::HashAlg::sha256, *src));
  src.reset();
  return place(file, sha, synced);
}

void ArtifactStore::clean_tmp() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(tmp_, ec)) fs::remove_all(e.path(), ec);
}

}  // namespace signet::service
