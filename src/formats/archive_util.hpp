// Helpers shared by the archive formats (zip, cab): error messages name the container as the
// location and an entry by its stored name with control bytes escaped.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "io/file.hpp"
#include "io/source.hpp"

namespace signet::formats {

// The name as printed in messages: bytes below 0x20 and 0x7f as \xNN.
std::string display_name(std::string_view raw);
[[noreturn]] void fail(const std::string& container, const std::string& reason);
[[noreturn]] void fail_entry(const std::string& container, std::string_view entry, const std::string& reason);

// The container's bytes as a file range: the source's own, or a copy in a new temporary directory
// that `temp` then keeps alive for as long as the range is used.
io::FileRange file_range_of(const io::Source& bytes, std::unique_ptr<io::TempDir>& temp);

}  // namespace signet::formats
