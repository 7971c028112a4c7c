// Buffered sequential output into an io::File whose already-written bytes can be patched later
// (container writers emit records with placeholder sizes and fix them once the data has streamed).
// Positions are relative to where the file's position stood when the output was created.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/file.hpp"
#include "io/source.hpp"

namespace signet::io {

class PatchOutput {
 public:
  // `what` names copied input ranges in error messages ("zip entry", "cabinet data").
  PatchOutput(File& f, std::string what);
  uint64_t pos() const { return pos_; }
  void write(std::span<const uint8_t> d);
  // Raw copy of a range of an input file (copy_file_range when the kernel allows).
  void copy(const FileRange& r);
  void flush();
  // Overwrites bytes already written at position `at`.
  void patch(uint64_t at, std::span<const uint8_t> d);

 private:
  File& f_;
  std::string what_;
  uint64_t base_ = 0;
  uint64_t pos_ = 0;
  std::vector<uint8_t> buf_;
};

}  // namespace signet::io
