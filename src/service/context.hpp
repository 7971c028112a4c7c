// What the HTTP handlers, the workers and the scheduler share: options, the store, the artifact
// store, the key cache, and in-process wake-ups (workers when work is queued, pollers when a
// request changes, the webhook sender when a delivery is due).
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "formats/format.hpp"
#include "service/artifacts.hpp"
#include "service/keys.hpp"
#include "service/store.hpp"

namespace signet::service {

struct ServiceOptions {
  std::filesystem::path data_dir;
  uint64_t max_upload_bytes = 16ull << 30;
  unsigned workers = 0;             // 0: two per core
  unsigned engine_threads = 0;      // per request; 0: the engine's default
  int max_processing_attempts = 3;  // interrupted runs (crashes) before ProcessingFailed
  formats::Limits limits;
};

// A counter plus condition variable: wait until it moves past what the waiter saw.
class Signal {
 public:
  void notify() {
    {
      std::lock_guard lock(mu_);
      ++count_;
    }
    cv_.notify_all();
  }
  // Waits until notified after `seen` or the timeout; returns the current count.
  uint64_t wait(uint64_t seen, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return count_ != seen; });
    return count_;
  }
  uint64_t count() {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t count_ = 0;
};

class Notifier {
 public:
  Signal work;      // a request was queued for processing
  Signal webhooks;  // a webhook delivery was added
  // Per-request signals for long polling; created on demand, dropped when nobody waits.
  void request_changed(const std::string& id);
  // Waits until `id` changes or the timeout passes; `check` is called first and after every
  // change and ends the wait when it returns true.
  void wait_request(const std::string& id, std::chrono::milliseconds timeout,
                    const std::function<bool()>& check);

 private:
  struct Slot {
    Signal signal;
    int waiters = 0;
  };
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Slot>> slots_;
};

struct Actor {
  std::string id, name;
  static Actor system() { return {"system", "signet"}; }
};

struct Context {
  ServiceOptions options;
  Store& store;
  ArtifactStore& artifacts;
  KeyCache& keys;
  Notifier& notifier;
};

}  // namespace signet::service
