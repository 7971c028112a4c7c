// UTF-8 <-> UTF-16 conversion for the strings Windows formats store (Authenticode SpcString,
// PE version resources). Lenient by design: malformed input becomes U+FFFD, never an error,
// because these strings are only displayed or compared, never trusted.
#pragma once
#include <string>
#include <string_view>

namespace signet::io {

std::u16string utf8_to_utf16(std::string_view s);
std::string utf16_to_utf8(std::u16string_view s);

}  // namespace signet::io
