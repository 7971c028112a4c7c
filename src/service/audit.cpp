#include "service/audit.hpp"

#include "io/hash.hpp"
#include "service/util.hpp"

namespace signet::service {

const std::string kGenesisHash(64, '0');

namespace {

std::vector<uint8_t> unhex(const std::string& hex) {
  std::vector<uint8_t> out;
  if (!is_sha256_hex(hex)) return std::vector<uint8_t>(32, 0xff);  // a broken link never matches
  for (size_t i = 0; i < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

}  // namespace

namespace {

// The fields the hash covers, under the names the canonical form uses.
nlohmann::json hashed_fields(const AuditEvent& e) {
  return {
      {"seq", e.seq},
      {"time", format_time(e.time_ms)},
      {"organizationId", e.org_id},
      {"actorId", e.actor_id},
      {"actorName", e.actor_name},
      {"action", e.action},
      {"subjectType", e.subject_type},
      {"subjectId", e.subject_id},
      {"data", e.data},
  };
}

}  // namespace

std::string audit_canonical_json(const AuditEvent& e) {
  return hashed_fields(e).dump(-1, ' ', true);
}

std::string audit_hash(const std::string& prev_hash_hex, const AuditEvent& e) {
  io::Hasher h(io::HashAlg::sha256);
  h.update(unhex(prev_hash_hex));
  std::string c = audit_canonical_json(e);
  h.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(c.data()), c.size()));
  return io::to_hex(h.finish());
}

nlohmann::json audit_event_json(const AuditEvent& e) {
  auto j = hashed_fields(e);
  j.erase("seq");
  j["sequenceNumber"] = e.seq;
  j["previousHash"] = e.prev_hash;
  j["hash"] = e.hash;
  return j;
}

void AuditVerifier::add(const AuditEvent& e) {
  ++count_;
  std::string at = "audit event " + std::to_string(e.seq) + ": ";
  if (e.seq != last_seq_ + 1) {
    if (e.seq > last_seq_ + 1) {
      problems_.push_back(at + "events " + std::to_string(last_seq_ + 1) + ".." + std::to_string(e.seq - 1) +
                          " are missing (removed)");
    } else {
      problems_.push_back(at + "out of sequence after event " + std::to_string(last_seq_));
    }
  }
  if (e.prev_hash != last_hash_) {
    problems_.push_back(at + "previous hash does not match the hash of event " + std::to_string(last_seq_) +
                        " (an event was removed or edited)");
  }
  std::string expect = audit_hash(e.prev_hash, e);
  if (expect != e.hash) problems_.push_back(at + "content does not match its hash (the event was edited)");
  last_seq_ = e.seq;
  last_hash_ = e.hash;
}

void AuditVerifier::finish(std::optional<std::pair<int64_t, std::string>> head) {
  if (!head) {
    if (count_ > 0) problems_.push_back("audit head record is missing");
    return;
  }
  if (head->first != last_seq_) {
    problems_.push_back("audit head names event " + std::to_string(head->first) +
                        " but the log ends at event " + std::to_string(last_seq_) +
                        (head->first > last_seq_ ? " (newest events removed)" : ""));
  } else if (head->second != last_hash_) {
    problems_.push_back("audit head hash does not match the last event (it was edited)");
  }
}

}  // namespace signet::service
