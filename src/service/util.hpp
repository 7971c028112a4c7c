// Small helpers shared by the service layer: identifiers, tokens, hashing, time, text.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace signet::service {

std::string new_uuid();                  // random (version 4) UUID, lowercase
bool is_uuid(std::string_view s);        // 8-4-4-4-12 hex digits
std::string random_token(size_t bytes);  // URL-safe base64 of `bytes` random bytes
std::string sha256_hex(std::string_view data);
bool is_sha256_hex(std::string_view s);  // 64 hex digits (any case)

int64_t now_ms();                     // wall clock, milliseconds since the epoch
std::string format_time(int64_t ms);  // RFC 3339 UTC: 2026-11-26T03:58:00.123Z

std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);  // keeps empty items

// Writes a small file atomically (temp, fsync, rename, fsync dir) with the given mode.
void write_file_atomic(const std::filesystem::path& path, std::string_view data, unsigned mode);
std::string read_text_file(const std::filesystem::path& path, uint64_t max_bytes = 16u << 20);
void fsync_dir(const std::filesystem::path& dir);

}  // namespace signet::service
