// The SQLite implementation of Tx, second half: signing requests, approvals, webhook deliveries
// and the audit chain.
#include "io/error.hpp"
#include "service/audit.hpp"
#include "service/sqlite_rowmap.hpp"
#include "service/sqlite_tx.hpp"
#include "service/util.hpp"

namespace signet::service {

using nlohmann::json;

namespace {

json origin_to_json(const Origin& o) {
  return {{"scm", o.scm_type},
          {"url", o.repository_url},
          {"branch", o.branch_name},
          {"commit", o.commit_id},
          {"buildUrl", o.build_url},
          {"settingsSha256", o.build_settings_sha256},
          {"settingsName", o.build_settings_name}};
}

Origin origin_from_json(const std::string& text) {
  Origin o;
  if (text.empty()) return o;
  auto j = json::parse(text);
  o.scm_type = j.value("scm", "");
  o.repository_url = j.value("url", "");
  o.branch_name = j.value("branch", "");
  o.commit_id = j.value("commit", "");
  o.build_url = j.value("buildUrl", "");
  o.build_settings_sha256 = j.value("settingsSha256", "");
  o.build_settings_name = j.value("settingsName", "");
  return o;
}

const auto I = Write::insert_only;

const RowMap<SigningRequest> kRequests(
    "signing_requests", "id",
    {col("seq", &SigningRequest::seq, Write::read_only),
     col("id", &SigningRequest::id),
     col("org_id", &SigningRequest::org_id),
     col("project_id", &SigningRequest::project_id),
     col("policy_id", &SigningRequest::policy_id),
     col("ac_id", &SigningRequest::ac_id),
     col("ac_version", &SigningRequest::ac_version),
     col("submitter_id", &SigningRequest::submitter_id),
     col("tbs_id", &SigningRequest::tbs_id),
     col("origin_verified", &SigningRequest::origin_verified),
     col("description", &SigningRequest::description),
     text_col<SigningRequest>(
         "parameters", [](const SigningRequest& r) { return json(r.parameters).dump(); },
         [](SigningRequest& r, const std::string& s) {
           r.parameters = json::parse(s).get<std::map<std::string, std::string>>();
         }),
     text_col<SigningRequest>(
         "origin", [](const SigningRequest& r) { return origin_to_json(r.origin).dump(); },
         [](SigningRequest& r, const std::string& s) { r.origin = origin_from_json(s); }),
     col("original_id", &SigningRequest::original_id),
     text_col<SigningRequest>(
         "workflow", [](const SigningRequest& r) { return std::string(workflow_name(r.workflow)); },
         [](SigningRequest& r, const std::string& s) {
           auto w = parse_workflow(s);
           if (!w)
             throw io::Error("database holds an unknown workflow status '" + s + "' for request " + r.id);
           r.workflow = *w;
         }),
     col("unsigned_sha256", &SigningRequest::unsigned_sha256),
     col("unsigned_name", &SigningRequest::unsigned_name),
     col("unsigned_size", &SigningRequest::unsigned_size),
     col("expected_sha256", &SigningRequest::expected_sha256),
     col("signed_sha256", &SigningRequest::signed_sha256),
     col("signed_size", &SigningRequest::signed_size),
     col("certificate_id", &SigningRequest::certificate_id),
     col("failure", &SigningRequest::failure),
     col("created_ms", &SigningRequest::created_ms),
     col("updated_ms", &SigningRequest::updated_ms),
     col("cancel_deadline_ms", &SigningRequest::cancel_deadline_ms),
     col("claim", &SigningRequest::claim),
     col("attempts", &SigningRequest::attempts)});

const RowMap<WebhookDelivery> kDeliveries(
    "webhook_deliveries", "id",
    {col("id", &WebhookDelivery::id, Write::read_only), col("request_id", &WebhookDelivery::request_id, I),
     col("url", &WebhookDelivery::url, I), col("status", &WebhookDelivery::status, I),
     col("attempts", &WebhookDelivery::attempts), col("done", &WebhookDelivery::done),
     col("response_code", &WebhookDelivery::response_code),
     col("response_body", &WebhookDelivery::response_body), col("error", &WebhookDelivery::error),
     col("next_attempt_ms", &WebhookDelivery::next_attempt_ms),
     col("updated_ms", &WebhookDelivery::updated_ms)});

}  // namespace

// ---- signing requests ----------------------------------------------------------------------

std::optional<SigningRequest> SqliteTx::request(const std::string& id) {
  auto& st = c_.query(kRequests.select() + "WHERE id = ?", id);
  return first(kRequests.read_all(st));
}

std::vector<SigningRequest> SqliteTx::requests(const std::string& org_id, int limit, int64_t before_seq) {
  auto& st = c_.query(kRequests.select() + "WHERE org_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?", org_id,
                      before_seq > 0 ? before_seq : INT64_MAX, limit);
  return kRequests.read_all(st);
}

void SqliteTx::insert_request(SigningRequest& r) {
  kRequests.bind_insert(c_.stmt(kRequests.insert()), r).run();
  r.seq = sqlite3_last_insert_rowid(c_.db().handle());
}

void SqliteTx::update_request(const SigningRequest& r) {
  kRequests.bind_update(c_.stmt(kRequests.update()), r).run();
  if (c_.db().changes() != 1) throw io::Error("internal: signing request " + r.id + " not found for update");
}

std::optional<SigningRequest> SqliteTx::claim_next(const std::string& claim, int64_t now) {
  auto& st = c_.stmt(kRequests.select() + "WHERE workflow = 'QueuedForProcessing' ORDER BY seq LIMIT 1");
  auto r = first(kRequests.read_all(st));
  if (!r) return std::nullopt;
  r->workflow = Workflow::processing;
  r->claim = claim;
  r->attempts += 1;
  r->updated_ms = now;
  update_request(*r);
  return r;
}

std::vector<SigningRequest> SqliteTx::requests_in(Workflow workflow) {
  auto& st =
      c_.query(kRequests.select() + "WHERE workflow = ? ORDER BY seq", std::string(workflow_name(workflow)));
  return kRequests.read_all(st);
}

std::vector<SigningRequest> SqliteTx::overdue_requests(int64_t now) {
  auto& st = c_.query(
      kRequests.select() +
          "WHERE cancel_deadline_ms > 0 AND cancel_deadline_ms <= ? AND workflow NOT IN "
          "('Completed', 'ProcessingFailed', 'ArtifactRetrievalFailed', 'Denied', 'Canceled') ORDER BY seq",
      now);
  return kRequests.read_all(st);
}

std::vector<Approval> SqliteTx::approvals(const std::string& request_id) {
  auto& st = c_.query(
      "SELECT user_id, decision, reason, time_ms FROM approvals WHERE request_id = ? ORDER BY time_ms",
      request_id);
  std::vector<Approval> out;
  while (st.step()) out.push_back({st.text(0), st.text(1), st.text(2), st.integer(3)});
  return out;
}

void SqliteTx::put_approval(const std::string& request_id, const Approval& a) {
  c_.run(
      "INSERT INTO approvals(request_id, user_id, decision, reason, time_ms) VALUES(?,?,?,?,?) "
      "ON CONFLICT(request_id, user_id) DO UPDATE SET decision = excluded.decision, reason = "
      "excluded.reason, "
      "time_ms = excluded.time_ms",
      request_id, a.user_id, a.decision, a.reason, a.time_ms);
}

// ---- webhooks ------------------------------------------------------------------------------

void SqliteTx::add_delivery(const WebhookDelivery& d) {
  kDeliveries.bind_insert(c_.stmt(kDeliveries.insert()), d).run();
}

std::vector<WebhookDelivery> SqliteTx::due_deliveries(int64_t now, int limit) {
  auto& st = c_.query(kDeliveries.select() + "WHERE done = 0 AND next_attempt_ms <= ? ORDER BY id LIMIT ?",
                      now, limit);
  return kDeliveries.read_all(st);
}

std::vector<WebhookDelivery> SqliteTx::deliveries(const std::string& request_id) {
  auto& st = c_.query(kDeliveries.select() + "WHERE request_id = ? ORDER BY id", request_id);
  return kDeliveries.read_all(st);
}

void SqliteTx::update_delivery(const WebhookDelivery& d) {
  kDeliveries.bind_update(c_.stmt(kDeliveries.update()), d).run();
}

// ---- audit ---------------------------------------------------------------------------------

const RowMap<AuditEvent>& audit_rows() {
  static const RowMap<AuditEvent> map(
      "audit_events", "seq",
      {col("seq", &AuditEvent::seq, I), col("time_ms", &AuditEvent::time_ms, I),
       col("org_id", &AuditEvent::org_id, I), col("actor_id", &AuditEvent::actor_id, I),
       col("actor_name", &AuditEvent::actor_name, I), col("action", &AuditEvent::action, I),
       col("subject_type", &AuditEvent::subject_type, I), col("subject_id", &AuditEvent::subject_id, I),
       text_col<AuditEvent>(
           "data", [](const AuditEvent& e) { return e.data.dump(-1, ' ', true); },
           [](AuditEvent& e, const std::string& s) {
             e.data = json::parse(s.empty() ? "{}" : s, nullptr, false);
             if (e.data.is_discarded()) e.data = s;  // edited into invalid JSON: the hash check fails
           },
           I),
       col("prev_hash", &AuditEvent::prev_hash, I), col("hash", &AuditEvent::hash, I)});
  return map;
}

int64_t SqliteTx::append_audit(AuditEvent& e) {
  auto& head = c_.stmt("SELECT seq, hash FROM audit_head WHERE id = 1");
  int64_t seq = 0;
  std::string prev = kGenesisHash;
  if (head.step()) {
    seq = head.integer(0);
    prev = head.text(1);
  }
  e.seq = seq + 1;
  if (e.time_ms == 0) e.time_ms = now_ms();
  e.prev_hash = prev;
  e.hash = audit_hash(prev, e);
  audit_rows().bind_insert(c_.stmt(audit_rows().insert()), e).run();
  c_.run(
      "INSERT INTO audit_head(id, seq, hash) VALUES(1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = "
      "excluded.seq, "
      "hash = excluded.hash",
      e.seq, e.hash);
  return e.seq;
}

std::vector<AuditEvent> SqliteTx::audit_events(const AuditQuery& q) {
  auto& st = c_.query(
      audit_rows().select() +
          "WHERE org_id = ? AND seq > ? AND (? = '' OR subject_type = ?) AND (? = '' OR subject_id = ?) "
          "ORDER BY seq LIMIT ?",
      q.org_id, q.after_seq, q.subject_type, q.subject_type, q.subject_id, q.subject_id, q.limit);
  return audit_rows().read_all(st);
}

}  // namespace signet::service
