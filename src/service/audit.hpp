// The audit log's hash chain (SIGNPATH.md §6.8): every event carries
//   hash = SHA-256(prev_hash || canonical JSON of the event)
// where prev_hash is the previous event's hash as 32 raw bytes (32 zero bytes before the first)
// and the canonical JSON is the event's fields with sorted keys, no whitespace, ASCII only. The
// store also keeps the head (last sequence number and hash), so removing the newest events is
// detected as well as editing or removing any other.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "service/model.hpp"

namespace signet::service {

extern const std::string kGenesisHash;  // 64 '0'

std::string audit_canonical_json(const AuditEvent& e);
std::string audit_hash(const std::string& prev_hash_hex, const AuditEvent& e);
nlohmann::json audit_event_json(const AuditEvent& e);  // API representation (with hashes)

// Checks a chain fed in sequence order. Problems name the event's sequence number.
class AuditVerifier {
 public:
  void add(const AuditEvent& e);
  // Compares with the stored head; call once after the last event.
  void finish(std::optional<std::pair<int64_t, std::string>> head);
  const std::vector<std::string>& problems() const { return problems_; }
  int64_t count() const { return count_; }
  const std::string& last_hash() const { return last_hash_; }
  int64_t last_seq() const { return last_seq_; }

 private:
  int64_t last_seq_ = 0;
  int64_t count_ = 0;
  std::string last_hash_ = kGenesisHash;
  std::vector<std::string> problems_;
};

}  // namespace signet::service
