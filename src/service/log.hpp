// One-line log records on stderr ("2026-11-26T03:58:00.123Z info: ..."). Never pass secrets.
#pragma once
#include <string>

namespace signet::service {

void log_info(const std::string& message);
void log_warn(const std::string& message);
void log_error(const std::string& message);
void set_access_log(bool enabled);
bool access_log_enabled();

}  // namespace signet::service
