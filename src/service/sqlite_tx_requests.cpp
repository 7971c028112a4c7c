// The SQLite implementation of Tx, second half: signing requests, approvals, webhook deliveries
// and the audit chain.
#include "io/error.hpp"
#include "service/audit.hpp"
#include "service/sqlite_tx.hpp"
#include "service/util.hpp"

namespace signet::service {

using nlohmann::json;

namespace {

template <class T>
std::optional<T> first(std::vector<T> v) {
  if (v.empty()) return std::nullopt;
  return std::move(v.front());
}

const char* kRequestCols =
    "SELECT seq, id, org_id, project_id, policy_id, ac_id, ac_version, submitter_id, tbs_id, "
    "origin_verified, "
    "description, parameters, origin, original_id, workflow, unsigned_sha256, unsigned_name, unsigned_size, "
    "expected_sha256, signed_sha256, signed_size, certificate_id, failure, created_ms, updated_ms, "
    "cancel_deadline_ms, claim, attempts FROM signing_requests ";
const char* kDeliveryCols =
    "SELECT id, request_id, url, status, attempts, done, response_code, response_body, error, "
    "next_attempt_ms, "
    "updated_ms FROM webhook_deliveries ";
const char* kAuditCols =
    "SELECT seq, time_ms, org_id, actor_id, actor_name, action, subject_type, subject_id, data, prev_hash, "
    "hash "
    "FROM audit_events ";

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

std::vector<WebhookDelivery> read_deliveries(sql::Stmt& st) {
  std::vector<WebhookDelivery> out;
  while (st.step()) {
    WebhookDelivery d;
    d.id = st.integer(0);
    d.request_id = st.text(1);
    d.url = st.text(2);
    d.status = st.text(3);
    d.attempts = static_cast<int>(st.integer(4));
    d.done = st.integer(5) != 0;
    d.response_code = static_cast<int>(st.integer(6));
    d.response_body = st.text(7);
    d.error = st.text(8);
    d.next_attempt_ms = st.integer(9);
    d.updated_ms = st.integer(10);
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<AuditEvent> read_audit(sql::Stmt& st) {
  std::vector<AuditEvent> out;
  while (st.step()) {
    AuditEvent e;
    e.seq = st.integer(0);
    e.time_ms = st.integer(1);
    e.org_id = st.text(2);
    e.actor_id = st.text(3);
    e.actor_name = st.text(4);
    e.action = st.text(5);
    e.subject_type = st.text(6);
    e.subject_id = st.text(7);
    std::string data = st.text(8);
    e.data = json::parse(data.empty() ? "{}" : data, nullptr, false);
    if (e.data.is_discarded()) e.data = data;  // edited into invalid JSON: keep text, the hash check fails
    e.prev_hash = st.text(9);
    e.hash = st.text(10);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

// ---- signing requests ----------------------------------------------------------------------

std::vector<SigningRequest> SqliteTx::load_requests(sql::Stmt& st) {
  std::vector<SigningRequest> out;
  while (st.step()) {
    SigningRequest r;
    r.seq = st.integer(0);
    r.id = st.text(1);
    r.org_id = st.text(2);
    r.project_id = st.text(3);
    r.policy_id = st.text(4);
    r.ac_id = st.text(5);
    r.ac_version = static_cast<int>(st.integer(6));
    r.submitter_id = st.text(7);
    r.tbs_id = st.text(8);
    r.origin_verified = st.integer(9) != 0;
    r.description = st.text(10);
    r.parameters = json::parse(st.text(11)).get<std::map<std::string, std::string>>();
    r.origin = origin_from_json(st.text(12));
    r.original_id = st.text(13);
    auto w = parse_workflow(st.text(14));
    if (!w)
      throw io::Error("database holds an unknown workflow status '" + st.text(14) + "' for request " + r.id);
    r.workflow = *w;
    r.unsigned_sha256 = st.text(15);
    r.unsigned_name = st.text(16);
    r.unsigned_size = static_cast<uint64_t>(st.integer(17));
    r.expected_sha256 = st.text(18);
    r.signed_sha256 = st.text(19);
    r.signed_size = static_cast<uint64_t>(st.integer(20));
    r.certificate_id = st.text(21);
    r.failure = st.text(22);
    r.created_ms = st.integer(23);
    r.updated_ms = st.integer(24);
    r.cancel_deadline_ms = st.integer(25);
    r.claim = st.text(26);
    r.attempts = static_cast<int>(st.integer(27));
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<SigningRequest> SqliteTx::request(const std::string& id) {
  auto& st = c_.stmt(std::string(kRequestCols) + "WHERE id = ?");
  st.bind(1, id);
  return first(load_requests(st));
}

std::vector<SigningRequest> SqliteTx::requests(const std::string& org_id, int limit, int64_t before_seq) {
  auto& st = c_.stmt(std::string(kRequestCols) + "WHERE org_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?");
  st.bind(1, org_id).bind(2, before_seq > 0 ? before_seq : INT64_MAX).bind(3, limit);
  return load_requests(st);
}

namespace {
void bind_request(sql::Stmt& st, const SigningRequest& r) {
  st.bind(1, r.id)
      .bind(2, r.org_id)
      .bind(3, r.project_id)
      .bind(4, r.policy_id)
      .bind(5, r.ac_id)
      .bind(6, r.ac_version)
      .bind(7, r.submitter_id)
      .bind(8, r.tbs_id)
      .bind(9, r.origin_verified)
      .bind(10, r.description)
      .bind(11, json(r.parameters).dump())
      .bind(12, origin_to_json(r.origin).dump())
      .bind(13, r.original_id)
      .bind(14, std::string(workflow_name(r.workflow)))
      .bind(15, r.unsigned_sha256)
      .bind(16, r.unsigned_name)
      .bind(17, r.unsigned_size)
      .bind(18, r.expected_sha256)
      .bind(19, r.signed_sha256)
      .bind(20, r.signed_size)
      .bind(21, r.certificate_id)
      .bind(22, r.failure)
      .bind(23, r.created_ms)
      .bind(24, r.updated_ms)
      .bind(25, r.cancel_deadline_ms)
      .bind(26, r.claim)
      .bind(27, r.attempts);
}
}  // namespace

void SqliteTx::insert_request(SigningRequest& r) {
  auto& st = c_.stmt(
      "INSERT INTO signing_requests(id, org_id, project_id, policy_id, ac_id, ac_version, submitter_id, "
      "tbs_id, "
      "origin_verified, description, parameters, origin, original_id, workflow, unsigned_sha256, "
      "unsigned_name, "
      "unsigned_size, expected_sha256, signed_sha256, signed_size, certificate_id, failure, created_ms, "
      "updated_ms, "
      "cancel_deadline_ms, claim, attempts) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  bind_request(st, r);
  st.run();
  r.seq = sqlite3_last_insert_rowid(c_.db().handle());
}

void SqliteTx::update_request(const SigningRequest& r) {
  auto& st = c_.stmt(
      "UPDATE signing_requests SET id = ?1, org_id = ?2, project_id = ?3, policy_id = ?4, ac_id = ?5, "
      "ac_version = ?6, "
      "submitter_id = ?7, tbs_id = ?8, origin_verified = ?9, description = ?10, parameters = ?11, origin = "
      "?12, "
      "original_id = ?13, workflow = ?14, unsigned_sha256 = ?15, unsigned_name = ?16, unsigned_size = ?17, "
      "expected_sha256 = ?18, signed_sha256 = ?19, signed_size = ?20, certificate_id = ?21, failure = ?22, "
      "created_ms = ?23, updated_ms = ?24, cancel_deadline_ms = ?25, claim = ?26, attempts = ?27 WHERE id = "
      "?1");
  bind_request(st, r);
  st.run();
  if (c_.db().changes() != 1) throw io::Error("internal: signing request " + r.id + " not found for update");
}

std::optional<SigningRequest> SqliteTx::claim_next(const std::string& claim, int64_t now) {
  auto& st =
      c_.stmt(std::string(kRequestCols) + "WHERE workflow = 'QueuedForProcessing' ORDER BY seq LIMIT 1");
  auto r = first(load_requests(st));
  if (!r) return std::nullopt;
  r->workflow = Workflow::processing;
  r->claim = claim;
  r->attempts += 1;
  r->updated_ms = now;
  update_request(*r);
  return r;
}

std::vector<SigningRequest> SqliteTx::requests_in(Workflow workflow) {
  auto& st = c_.stmt(std::string(kRequestCols) + "WHERE workflow = ? ORDER BY seq");
  st.bind(1, std::string(workflow_name(workflow)));
  return load_requests(st);
}

std::vector<SigningRequest> SqliteTx::overdue_requests(int64_t now) {
  auto& st = c_.stmt(
      std::string(kRequestCols) +
      "WHERE cancel_deadline_ms > 0 AND cancel_deadline_ms <= ? AND workflow NOT IN "
      "('Completed', 'ProcessingFailed', 'ArtifactRetrievalFailed', 'Denied', 'Canceled') ORDER BY seq");
  st.bind(1, now);
  return load_requests(st);
}

std::vector<Approval> SqliteTx::approvals(const std::string& request_id) {
  auto& st = c_.stmt(
      "SELECT user_id, decision, reason, time_ms FROM approvals WHERE request_id = ? ORDER BY time_ms");
  st.bind(1, request_id);
  std::vector<Approval> out;
  while (st.step()) out.push_back({st.text(0), st.text(1), st.text(2), st.integer(3)});
  return out;
}

void SqliteTx::put_approval(const std::string& request_id, const Approval& a) {
  c_.stmt(
        "INSERT INTO approvals(request_id, user_id, decision, reason, time_ms) VALUES(?,?,?,?,?) "
        "ON CONFLICT(request_id, user_id) DO UPDATE SET decision = excluded.decision, reason = "
        "excluded.reason, "
        "time_ms = excluded.time_ms")
      .bind(1, request_id)
      .bind(2, a.user_id)
      .bind(3, a.decision)
      .bind(4, a.reason)
      .bind(5, a.time_ms)
      .run();
}

// ---- webhooks ------------------------------------------------------------------------------

void SqliteTx::add_delivery(const WebhookDelivery& d) {
  c_.stmt(
        "INSERT INTO webhook_deliveries(request_id, url, status, attempts, done, response_code, "
        "response_body, "
        "error, next_attempt_ms, updated_ms) VALUES(?,?,?,?,?,?,?,?,?,?)")
      .bind(1, d.request_id)
      .bind(2, d.url)
      .bind(3, d.status)
      .bind(4, d.attempts)
      .bind(5, d.done)
      .bind(6, d.response_code)
      .bind(7, d.response_body)
      .bind(8, d.error)
      .bind(9, d.next_attempt_ms)
      .bind(10, d.updated_ms)
      .run();
}

std::vector<WebhookDelivery> SqliteTx::due_deliveries(int64_t now, int limit) {
  auto& st =
      c_.stmt(std::string(kDeliveryCols) + "WHERE done = 0 AND next_attempt_ms <= ? ORDER BY id LIMIT ?");
  st.bind(1, now).bind(2, limit);
  return read_deliveries(st);
}

std::vector<WebhookDelivery> SqliteTx::deliveries(const std::string& request_id) {
  auto& st = c_.stmt(std::string(kDeliveryCols) + "WHERE request_id = ? ORDER BY id");
  st.bind(1, request_id);
  return read_deliveries(st);
}

void SqliteTx::update_delivery(const WebhookDelivery& d) {
  c_.stmt(
        "UPDATE webhook_deliveries SET attempts = ?, done = ?, response_code = ?, response_body = ?, error = "
        "?, "
        "next_attempt_ms = ?, updated_ms = ? WHERE id = ?")
      .bind(1, d.attempts)
      .bind(2, d.done)
      .bind(3, d.response_code)
      .bind(4, d.response_body)
      .bind(5, d.error)
      .bind(6, d.next_attempt_ms)
      .bind(7, d.updated_ms)
      .bind(8, d.id)
      .run();
}

// ---- audit ---------------------------------------------------------------------------------

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
  c_.stmt(
        "INSERT INTO audit_events(seq, time_ms, org_id, actor_id, actor_name, action, subject_type, "
        "subject_id, "
        "data, prev_hash, hash) VALUES(?,?,?,?,?,?,?,?,?,?,?)")
      .bind(1, e.seq)
      .bind(2, e.time_ms)
      .bind(3, e.org_id)
      .bind(4, e.actor_id)
      .bind(5, e.actor_name)
      .bind(6, e.action)
      .bind(7, e.subject_type)
      .bind(8, e.subject_id)
      .bind(9, e.data.dump(-1, ' ', true))
      .bind(10, e.prev_hash)
      .bind(11, e.hash)
      .run();
  c_.stmt(
        "INSERT INTO audit_head(id, seq, hash) VALUES(1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = "
        "excluded.seq, "
        "hash = excluded.hash")
      .bind(1, e.seq)
      .bind(2, e.hash)
      .run();
  return e.seq;
}

std::vector<AuditEvent> SqliteTx::audit_events(const AuditQuery& q) {
  auto& st =
      c_.stmt(std::string(kAuditCols) +
              "WHERE org_id = ? AND seq > ? AND (? = '' OR subject_type = ?) AND (? = '' OR subject_id = ?) "
              "ORDER BY seq LIMIT ?");
  st.bind(1, q.org_id)
      .bind(2, q.after_seq)
      .bind(3, q.subject_type)
      .bind(4, q.subject_type)
      .bind(5, q.subject_id)
      .bind(6, q.subject_id)
      .bind(7, q.limit);
  return read_audit(st);
}

}  // namespace signet::service
