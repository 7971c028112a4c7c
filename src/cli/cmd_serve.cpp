// signet serve --data DIR --listen HOST:PORT [--seed SEED.yaml] [--max-upload-size SIZE] [--workers N]
//              [--public-url URL] [--scratch-dir DIR] [--quiet] [--sync full|normal]
#include <cctype>

#include "cli/commands.hpp"
#include "io/error.hpp"
#include "service/service.hpp"

namespace signet::cli {

namespace {

// "1048576", "512K", "64M", "16G" (binary units).
uint64_t parse_size(const std::string& text) {
  if (text.empty()) throw io::Error("--max-upload-size is empty");
  size_t used = 0;
  uint64_t n = 0;
  try {
    n = std::stoull(text, &used);
  } catch (const std::exception&) {
    throw io::Error("--max-upload-size must be a number with an optional K, M or G suffix (got '" + text +
                    "')");
  }
  std::string unit = text.substr(used);
  int shift = 0;
  if (unit.empty() || unit == "B")
    shift = 0;
  else if (unit == "K" || unit == "KiB" || unit == "k")
    shift = 10;
  else if (unit == "M" || unit == "MiB")
    shift = 20;
  else if (unit == "G" || unit == "GiB")
    shift = 30;
  else
    throw io::Error("--max-upload-size: unknown unit '" + unit + "' (use K, M or G)");
  if (n == 0) throw io::Error("--max-upload-size must be positive");
  return n << shift;
}

}  // namespace

Handler add_serve_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Run the signing service (SignPath v1 REST API)");
  struct Opts {
    std::string data, listen = "127.0.0.1:8080", seed, max_upload = "16G", public_url, sync = "full", scratch;
    unsigned workers = 0, engine_threads = 0;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--data", o->data, "Data directory (database, artifacts, keys of the first start)")
      ->required();
  cmd->add_option("--listen", o->listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Declarative set-up (YAML or JSON), applied idempotently at start");
  cmd->add_option("--max-upload-size", o->max_upload,
                  "Largest accepted upload, e.g. 512M or 16G (larger: 413)")
      ->capture_default_str();
  cmd->add_option("--workers", o->workers, "Signing workers (default: two per core)");
  cmd->add_option("--engine-threads", o->engine_threads, "Threads per signing run (default: one per core)");
  cmd->add_option("--public-url", o->public_url,
                  "Base URL for links in responses (default: from the Host header)");
  cmd->add_option("--scratch-dir", o->scratch, "Scratch space of signing runs (default: $TMPDIR or /tmp)");
  cmd->add_option("--sync", o->sync, "SQLite durability: full (fsync each commit) or normal")
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", o->quiet, "No access log");
  return [o]() {
    service::ServeConfig c;
    c.data_dir = o->data;
    c.listen = o->listen;
    if (!o->seed.empty()) c.seed = o->seed;
    c.max_upload_bytes = parse_size(o->max_upload);
    c.workers = o->workers;
    c.engine_threads = o->engine_threads;
    c.public_url = o->public_url;
    c.scratch_dir = o->scratch;
    c.access_log = !o->quiet;
    if (o->sync != "full" && o->sync != "normal") throw io::Error("--sync must be 'full' or 'normal'");
    c.synchronous_full = o->sync == "full";
    return service::run_service(c);
  };
}

}  // namespace signet::cli
