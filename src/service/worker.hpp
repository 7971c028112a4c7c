// Background work, never on HTTP threads: a pool of workers that claim queued requests from the
// store and run the engine; a scheduler that cancels requests past their
// cancellationTimeoutInSeconds; and a webhook sender that delivers queued webhooks and records
// the responses. recover() runs once at start-up, before the HTTP server accepts requests.
#pragma once
#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "service/context.hpp"

namespace signet::service {

// Start-up: requests left in Processing by a crash go back to the queue (or fail after
// max_processing_attempts); work directories and temp files are removed.
void recover(Context& ctx);

// Processes one claimed request in the worker's directory `work` (exposed for tests).
void process_request(Context& ctx, SigningRequest request, const std::filesystem::path& work);

class Background {
 public:
  explicit Background(Context& ctx);
  ~Background();  // stops and joins
  void start();
  void stop();

 private:
  void worker_loop(unsigned index);
  void scheduler_loop();
  void webhook_loop();
  Context& ctx_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

}  // namespace signet::service
