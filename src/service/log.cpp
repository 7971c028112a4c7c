#include "service/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "service/util.hpp"

namespace signet::service {

namespace {
std::mutex mu;
std::atomic<bool> access{true};

void emit(const char* level, const std::string& message) {
  std::string line = format_time(now_ms()) + " " + level + ": " + message + "\n";
  std::lock_guard lock(mu);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}
}  // namespace

void log_info(const std::string& message) {
  emit("info", message);
}
void log_warn(const std::string& message) {
  emit("warning", message);
}
void log_error(const std::string& message) {
  emit("error", message);
}
void set_access_log(bool enabled) {
  access = enabled;
}
bool access_log_enabled() {
  return access;
}

}  // namespace signet::service
