#include "io/patch_output.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/error.hpp"

namespace signet::io {

namespace {
constexpr size_t kOutBuf = 256 << 10;
}  // namespace

PatchOutput::PatchOutput(File& f, std::string what) : f_(f), what_(std::move(what)) {
  off_t p = ::lseek(f.fd(), 0, SEEK_CUR);
  if (p < 0)
    throw Error(std::string("cannot get the output position: ") + std::strerror(errno),
                Location{f.path().string()});
  base_ = static_cast<uint64_t>(p);
  buf_.reserve(kOutBuf);
}

void PatchOutput::write(std::span<const uint8_t> d) {
  if (buf_.size() + d.size() > kOutBuf) flush();
  if (d.size() >= kOutBuf) {
    f_.write_all(d);
  } else {
    buf_.insert(buf_.end(), d.begin(), d.end());
  }
  pos_ += d.size();
}

void PatchOutput::copy(const FileRange& r) {
  if (r.size == 0) return;
  flush();
  copy_to(*range_source(r, what_), f_);
  pos_ += r.size;
}

void PatchOutput::flush() {
  if (buf_.empty()) return;
  f_.write_all(buf_);
  buf_.clear();
}

void PatchOutput::patch(uint64_t at, std::span<const uint8_t> d) {
  flush();
  size_t done = 0;
  while (done < d.size()) {
    ssize_t n = ::pwrite(f_.fd(), d.data() + done, d.size() - done, static_cast<off_t>(base_ + at + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw Error(std::string("write failed: ") + std::strerror(errno), Location{f_.path().string()});
    done += static_cast<size_t>(n);
  }
}

}  // namespace signet::io
