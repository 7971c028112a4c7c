// `signet serve`: the whole service in one process (store, artifact store, workers, scheduler,
// webhook sender, HTTP API) over one data directory.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace signet::service {

struct ServeConfig {
  std::filesystem::path data_dir;
  std::string listen = "127.0.0.1:8080";  // HOST:PORT, [V6]:PORT; port 0 picks a free one
  std::optional<std::filesystem::path> seed;
  uint64_t max_upload_bytes = 16ull << 30;
  unsigned workers = 0;
  unsigned engine_threads = 0;
  std::string public_url;  // base of absolute links (default: http://<Host header>)
  // The engine's per-run scratch space (TMPDIR). On filesystems where creating and removing
  // directories is slow, a tmpfs here doubles small-artifact throughput; big artifacts need room.
  std::filesystem::path scratch_dir;
  bool access_log = true;
  bool synchronous_full = true;
};

// Runs until SIGINT/SIGTERM; returns the exit code. Start-up problems throw io::Error/ErrorList.
// Prints "signet: listening on http://HOST:PORT" on stdout once requests are accepted.
int run_service(const ServeConfig& config);

// `signet audit verify`: walks the chain; prints the result; returns 0 when intact.
int verify_audit(const std::filesystem::path& data_dir);

}  // namespace signet::service
