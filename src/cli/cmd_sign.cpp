// signet sign --config AC.xml INPUT -o OUTPUT [--key KEY] [--key-pass PASS] [--cert CERT]
//             [--chain CHAIN.pem] [--pgp-key FILE] [--param NAME=VALUE]... [--timestamp-url URL]...
//             [--report REPORT.json]
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/keys.hpp"
#include "crypto/key_file_signer.hpp"
#include "engine/engine.hpp"
#include "io/error.hpp"

namespace signet::cli {

namespace {

// Shows files done / total and bytes hashed on a terminal, once a run has taken a second.
class ProgressDisplay {
 public:
  explicit ProgressDisplay(engine::Progress& p, bool enabled) : p_(p) {
    if (enabled) thread_ = std::thread([this] { loop(); });
  }
  ~ProgressDisplay() { stop(); }
  void stop() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (shown_) std::fputs("\n", stderr);
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, std::chrono::seconds(1), [this] { return done_; })) return;
    while (!done_) {
      std::fprintf(stderr, "\r  signed %llu/%llu files, %.1f MiB hashed   ",
                   static_cast<unsigned long long>(p_.files_done.load()),
                   static_cast<unsigned long long>(p_.files_total.load()),
                   static_cast<double>(p_.bytes_done.load()) / (1024.0 * 1024.0));
      std::fflush(stderr);
      shown_ = true;
      cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return done_; });
    }
  }
  engine::Progress& p_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool shown_ = false;
  std::thread thread_;
};

}  // namespace

Handler add_sign_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("sign", "Sign an artifact as the artifact configuration describes");
  struct Opts {
    std::string config, input, output, report;
    std::vector<std::string> params, timestamp_urls, trust;
    KeyOptions keys;
    LimitOptions limits;
    unsigned threads = 0;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--config,-c", o->config, "Artifact configuration (XML)")->required();
  cmd->add_option("input", o->input, "Artifact to sign")->required();
  cmd->add_option("-o,--output", o->output, "Where to write the signed artifact")->required();
  add_key_options(cmd, o->keys);
  cmd->add_option("--param", o->params, "NAME=VALUE for a configuration parameter");
  cmd->add_option("--timestamp-url", o->timestamp_urls, "RFC 3161 time-stamping authority (tried in order)");
  cmd->add_option("--trust", o->trust, "Trusted root for <authenticode-verify> (PEM/DER), repeatable");
  cmd->add_option("--report", o->report, "Write a JSON report of every entry");
  cmd->add_option("--threads", o->threads, "Worker threads (default: one per core)");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress display");
  add_limit_options(cmd, o->limits);
  return [o]() {
    engine::SignOptions options;
    options.config = o->config;
    options.input = o->input;
    options.output = o->output;
    options.parameters = parse_params(o->params);
    options.keys = load_keys(o->keys);
    options.keys.timestamp_urls = o->timestamp_urls;
    for (const auto& p : o->trust) {
      auto certs = crypto::load_certificates(p);
      options.keys.trust_anchors.insert(options.keys.trust_anchors.end(), certs.begin(), certs.end());
    }
    if (!o->report.empty()) options.report = o->report;
    options.limits = to_limits(o->limits);
    options.threads = o->threads;
    engine::Progress progress;
    options.progress = &progress;
    engine::SignSummary summary;
    {
      ProgressDisplay display(progress, !o->quiet && ::isatty(2));
      summary = engine::sign(options);
    }
    if (!o->quiet) {
      std::cerr << "signet: signed " << o->input << " -> " << o->output << " (" << summary.signatures
                << " directive(s) on " << summary.files_processed << " file(s))\n";
    }
    return 0;
  };
}

}  // namespace signet::cli
