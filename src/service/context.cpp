#include "service/context.hpp"

namespace signet::service {

void Notifier::request_changed(const std::string& id) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard lock(mu_);
    auto it = slots_.find(id);
    if (it == slots_.end()) return;
    slot = it->second;
  }
  slot->signal.notify();
}

void Notifier::wait_request(const std::string& id, std::chrono::milliseconds timeout,
                            const std::function<bool()>& check) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard lock(mu_);
    auto& s = slots_[id];
    if (!s) s = std::make_shared<Slot>();
    s->waiters++;
    slot = s;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  uint64_t seen = slot->signal.count();
  while (!check()) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    seen = slot->signal.wait(seen, left);
  }
  std::lock_guard lock(mu_);
  if (--slot->waiters == 0) slots_.erase(id);
}

}  // namespace signet::service
