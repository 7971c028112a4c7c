// The embedded store: SQLite in WAL mode. Writes go through one connection on one thread that
// groups concurrent transactions into a shared commit (each caller's function runs inside its own
// SAVEPOINT, so one failing rolls back only itself); a caller returns once the commit is durable.
// Reads use a small pool of connections and never wait for the writer.
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "io/error.hpp"
#include "service/sqlite_rowmap.hpp"
#include "service/sqlite_tx.hpp"
#include "service/util.hpp"

namespace signet::service {

namespace {

// Each entry is one migration step; never edit a released step, append a new one.
const char* const kMigrations[] = {
    R"SQL(
CREATE TABLE organizations(id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE users(id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id), name TEXT NOT NULL,
  kind TEXT NOT NULL, roles TEXT NOT NULL DEFAULT '', token_hash TEXT UNIQUE, UNIQUE(org_id, name));
CREATE TABLE certificates(id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id), slug TEXT NOT NULL,
  name TEXT NOT NULL, key_path TEXT NOT NULL DEFAULT '', cert_path TEXT NOT NULL DEFAULT '',
  chain_path TEXT NOT NULL DEFAULT '', password_env TEXT NOT NULL DEFAULT '', password_file TEXT NOT NULL DEFAULT '',
  pgp_key_path TEXT NOT NULL DEFAULT '', pgp_password_env TEXT NOT NULL DEFAULT '',
  pgp_password_file TEXT NOT NULL DEFAULT '', UNIQUE(org_id, slug));
CREATE TABLE trusted_build_systems(id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id),
  slug TEXT NOT NULL, name TEXT NOT NULL, token_hash TEXT UNIQUE, UNIQUE(org_id, slug));
CREATE TABLE projects(id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id), slug TEXT NOT NULL,
  name TEXT NOT NULL, repository_url TEXT NOT NULL DEFAULT '', default_ac_id TEXT,
  webhook_url TEXT NOT NULL DEFAULT '', webhook_header_name TEXT NOT NULL DEFAULT '',
  webhook_header_value TEXT NOT NULL DEFAULT '', UNIQUE(org_id, slug));
CREATE TABLE project_trusted_build_systems(project_id TEXT NOT NULL REFERENCES projects(id),
  tbs_id TEXT NOT NULL REFERENCES trusted_build_systems(id), PRIMARY KEY(project_id, tbs_id));
CREATE TABLE artifact_configurations(id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id),
  slug TEXT NOT NULL, name TEXT NOT NULL, current_version INTEGER NOT NULL DEFAULT 0, UNIQUE(project_id, slug));
CREATE TABLE artifact_configuration_versions(ac_id TEXT NOT NULL REFERENCES artifact_configurations(id),
  version INTEGER NOT NULL, xml TEXT NOT NULL, sha256 TEXT NOT NULL, created_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL, PRIMARY KEY(ac_id, version));
CREATE TABLE signing_policies(id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id),
  slug TEXT NOT NULL, name TEXT NOT NULL, certificate_id TEXT NOT NULL REFERENCES certificates(id),
  required_approvals INTEGER NOT NULL DEFAULT 0, verify_origin INTEGER NOT NULL DEFAULT 0,
  allowed_branches TEXT NOT NULL DEFAULT '[]', UNIQUE(project_id, slug));
CREATE TABLE policy_members(policy_id TEXT NOT NULL REFERENCES signing_policies(id),
  user_id TEXT NOT NULL REFERENCES users(id), role TEXT NOT NULL CHECK(role IN ('submitter', 'approver')),
  PRIMARY KEY(policy_id, user_id, role));
CREATE TABLE signing_requests(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL, project_id TEXT NOT NULL, policy_id TEXT NOT NULL, ac_id TEXT NOT NULL,
  ac_version INTEGER NOT NULL, submitter_id TEXT NOT NULL, tbs_id TEXT NOT NULL DEFAULT '',
  origin_verified INTEGER NOT NULL DEFAULT 0, description TEXT NOT NULL DEFAULT '',
  parameters TEXT NOT NULL DEFAULT '{}', origin TEXT NOT NULL DEFAULT '{}', original_id TEXT NOT NULL DEFAULT '',
  workflow TEXT NOT NULL, unsigned_sha256 TEXT NOT NULL DEFAULT '', unsigned_name TEXT NOT NULL DEFAULT '',
  unsigned_size INTEGER NOT NULL DEFAULT 0, expected_sha256 TEXT NOT NULL DEFAULT '',
  signed_sha256 TEXT NOT NULL DEFAULT '', signed_size INTEGER NOT NULL DEFAULT 0,
  certificate_id TEXT NOT NULL DEFAULT '', failure TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL, cancel_deadline_ms INTEGER NOT NULL DEFAULT 0, claim TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX signing_requests_workflow ON signing_requests(workflow, seq);
CREATE INDEX signing_requests_org ON signing_requests(org_id, seq);
CREATE TABLE approvals(request_id TEXT NOT NULL REFERENCES signing_requests(id), user_id TEXT NOT NULL,
  decision TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', time_ms INTEGER NOT NULL,
  PRIMARY KEY(request_id, user_id));
CREATE TABLE webhook_deliveries(id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL, url TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0,
  response_code INTEGER NOT NULL DEFAULT 0, response_body TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',
  next_attempt_ms INTEGER NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(done, next_attempt_ms);
CREATE TABLE audit_events(seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, org_id TEXT NOT NULL,
  actor_id TEXT NOT NULL, actor_name TEXT NOT NULL, action TEXT NOT NULL, subject_type TEXT NOT NULL,
  subject_id TEXT NOT NULL, data TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX audit_events_subject ON audit_events(subject_type, subject_id);
CREATE TABLE audit_head(id INTEGER PRIMARY KEY CHECK(id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
)SQL",
};

}  // namespace

void migrate(sql::Db& db) {
  sql::Stmt v(db, "PRAGMA user_version");
  v.step();
  int64_t have = v.integer(0);
  int64_t want = static_cast<int64_t>(std::size(kMigrations));
  if (have > want) {
    throw io::Error("the database schema (version " + std::to_string(have) +
                    ") is newer than this signet understands (" + std::to_string(want) + ")");
  }
  for (int64_t i = have; i < want; ++i) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(kMigrations[i]);
      db.exec("PRAGMA user_version = " + std::to_string(i + 1));
      db.exec("COMMIT");
    } catch (...) {
      db.exec("ROLLBACK");
      throw;
    }
  }
}

namespace {

class SqliteStore : public Store {
 public:
  SqliteStore(const std::filesystem::path& file, const SqliteOptions& options) : file_(file) {
    std::error_code ec;
    fresh_ = !std::filesystem::exists(file, ec);
    writer_conn_ = std::make_unique<SqliteConn>(file, options.synchronous_full);
    migrate(writer_conn_->db());
    for (int i = 0; i < std::max(1, options.readers); ++i) {
      readers_.push_back(std::make_unique<SqliteConn>(file, options.synchronous_full));
      free_readers_.push_back(readers_.back().get());
    }
    writer_ = std::thread([this] { write_loop(); });
  }

  ~SqliteStore() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    writer_.join();
  }

  void write(const std::function<void(Tx&)>& fn) override {
    Job job{&fn, {}, nullptr};
    auto done = job.done.get_future();
    {
      std::lock_guard lock(mu_);
      if (stop_) throw io::Error("the store is closed");
      queue_.push_back(&job);
    }
    cv_.notify_one();
    done.wait();
    if (job.error) std::rethrow_exception(job.error);
  }

  void read(const std::function<void(Tx&)>& fn) override {
    SqliteConn* conn;
    {
      std::unique_lock lock(reader_mu_);
      reader_cv_.wait(lock, [&] { return !free_readers_.empty(); });
      conn = free_readers_.back();
      free_readers_.pop_back();
    }
    struct Release {
      SqliteStore* s;
      SqliteConn* c;
      ~Release() {
        {
          std::lock_guard lock(s->reader_mu_);
          s->free_readers_.push_back(c);
        }
        s->reader_cv_.notify_one();
      }
    } release{this, conn};
    conn->db().exec("BEGIN");
    try {
      SqliteTx tx(*conn);
      fn(tx);
      conn->reset_all();
      conn->db().exec("COMMIT");
    } catch (...) {
      conn->reset_all();
      conn->db().exec("ROLLBACK");
      throw;
    }
  }

  std::optional<std::pair<int64_t, std::string>> scan_audit(
      const std::function<void(const AuditEvent&)>& fn) override {
    std::optional<std::pair<int64_t, std::string>> head;
    // A connection of its own: the scan streams every event in one pass.
    SqliteConn conn(file_, false);
    conn.db().exec("BEGIN");
    {
      sql::Stmt st(conn.db(), audit_rows().select() + "ORDER BY seq");
      while (st.step()) fn(audit_rows().read(st));
      sql::Stmt h(conn.db(), "SELECT seq, hash FROM audit_head WHERE id = 1");
      if (h.step()) head = std::make_pair(h.integer(0), h.text(1));
    }
    conn.db().exec("COMMIT");
    return head;
  }

  bool fresh() const override { return fresh_; }

 private:
  struct Job {
    const std::function<void(Tx&)>* fn;
    std::promise<void> done;
    std::exception_ptr error;
  };

  void write_loop() {
    for (;;) {
      std::vector<Job*> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty() && stop_) return;
        while (!queue_.empty() && batch.size() < 256) {
          batch.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      run_batch(batch);
    }
  }

  void run_batch(std::vector<Job*>& batch) {
    auto& db = writer_conn_->db();
    try {
      db.exec("BEGIN IMMEDIATE");
    } catch (...) {
      for (auto* j : batch) {
        j->error = std::current_exception();
        j->done.set_value();
      }
      return;
    }
    SqliteTx tx(*writer_conn_);
    for (auto* j : batch) {
      try {
        db.exec("SAVEPOINT job");
      } catch (...) {
        j->error = std::current_exception();
        continue;
      }
      try {
        (*j->fn)(tx);
        writer_conn_->reset_all();
        db.exec("RELEASE job");
      } catch (...) {
        j->error = std::current_exception();
        writer_conn_->reset_all();
        try {
          db.exec("ROLLBACK TO job");
          db.exec("RELEASE job");
        } catch (...) {
        }
      }
    }
    try {
      db.exec("COMMIT");
    } catch (...) {
      auto err = std::current_exception();
      try {
        db.exec("ROLLBACK");
      } catch (...) {
      }
      for (auto* j : batch)
        if (!j->error) j->error = err;
    }
    for (auto* j : batch) j->done.set_value();
  }

  std::filesystem::path file_;
  bool fresh_ = false;
  std::unique_ptr<SqliteConn> writer_conn_;
  std::vector<std::unique_ptr<SqliteConn>> readers_;
  std::vector<SqliteConn*> free_readers_;
  std::mutex reader_mu_;
  std::condition_variable reader_cv_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job*> queue_;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& file, const SqliteOptions& options) {
  return std::make_unique<SqliteStore>(file, options);
}

}  // namespace signet::service
