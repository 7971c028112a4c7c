// Internal to the SQLite store: the Tx implementation over one connection, with a per-connection
// cache of prepared statements.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "service/sqlite.hpp"
#include "service/store.hpp"

namespace signet::service {

class SqliteConn {
 public:
  SqliteConn(const std::filesystem::path& file, bool synchronous_full);
  sql::Db& db() { return db_; }
  // A prepared statement, reset and ready to bind (cached by SQL text).
  sql::Stmt& stmt(const std::string& sql);
  // The cached statement with the arguments bound to parameters 1, 2, ...: ready to step.
  template <class... Args>
  sql::Stmt& query(const std::string& sql, const Args&... args) {
    return stmt(sql).bind_all(args...);
  }
  // Runs a statement without results.
  template <class... Args>
  void run(const std::string& sql, const Args&... args) {
    query(sql, args...).run();
  }
  void reset_all();  // ends every pending statement (before COMMIT / ROLLBACK)

 private:
  sql::Db db_;
  std::map<std::string, std::unique_ptr<sql::Stmt>> cache_;
};

class SqliteTx : public Tx {
 public:
  explicit SqliteTx(SqliteConn& c) : c_(c) {}

  std::optional<Organization> organization(const std::string& id) override;
  std::vector<Organization> organizations() override;
  void put_organization(const Organization& org) override;

  std::optional<User> user(const std::string& id) override;
  std::optional<User> user_by_name(const std::string& org_id, const std::string& name) override;
  std::optional<User> user_by_token(const std::string& token_hash) override;
  std::vector<User> users(const std::string& org_id) override;
  void put_user(const User& user, const std::optional<std::string>& token_hash) override;
  std::string user_token_hash(const std::string& user_id) override;

  std::optional<Certificate> certificate(const std::string& id) override;
  std::optional<Certificate> certificate_by_slug(const std::string& org_id, const std::string& slug) override;
  std::vector<Certificate> certificates(const std::string& org_id) override;
  void put_certificate(const Certificate& cert) override;

  std::optional<TrustedBuildSystem> trusted_build_system(const std::string& id) override;
  std::optional<TrustedBuildSystem> trusted_build_system_by_slug(const std::string& org_id,
                                                                 const std::string& slug) override;
  std::optional<TrustedBuildSystem> trusted_build_system_by_token(const std::string& token_hash) override;
  void put_trusted_build_system(const TrustedBuildSystem& tbs,
                                const std::optional<std::string>& token_hash) override;
  std::string trusted_build_system_token_hash(const std::string& id) override;

  std::optional<Project> project(const std::string& id) override;
  std::optional<Project> project_by_slug(const std::string& org_id, const std::string& slug) override;
  std::vector<Project> projects(const std::string& org_id) override;
  void put_project(const Project& project) override;

  std::optional<ArtifactConfiguration> artifact_configuration(const std::string& id) override;
  std::optional<ArtifactConfiguration> artifact_configuration_by_slug(const std::string& project_id,
                                                                      const std::string& slug) override;
  std::vector<ArtifactConfiguration> artifact_configurations(const std::string& project_id) override;
  void put_artifact_configuration(const ArtifactConfiguration& ac) override;
  std::optional<AcVersion> ac_version(const std::string& ac_id, int version) override;
  std::vector<AcVersion> ac_versions(const std::string& ac_id) override;
  int add_ac_version(const std::string& ac_id, const std::string& xml,
                     const std::string& created_by) override;

  std::optional<SigningPolicy> signing_policy(const std::string& id) override;
  std::optional<SigningPolicy> signing_policy_by_slug(const std::string& project_id,
                                                      const std::string& slug) override;
  std::vector<SigningPolicy> signing_policies(const std::string& project_id) override;
  void put_signing_policy(const SigningPolicy& policy) override;

  std::optional<SigningRequest> request(const std::string& id) override;
  std::vector<SigningRequest> requests(const std::string& org_id, int limit, int64_t before_seq) override;
  void insert_request(SigningRequest& request) override;
  void update_request(const SigningRequest& request) override;
  std::optional<SigningRequest> claim_next(const std::string& claim, int64_t now_ms) override;
  std::vector<SigningRequest> requests_in(Workflow workflow) override;
  std::vector<SigningRequest> overdue_requests(int64_t now_ms) override;

  std::vector<Approval> approvals(const std::string& request_id) override;
  void put_approval(const std::string& request_id, const Approval& approval) override;

  void add_delivery(const WebhookDelivery& delivery) override;
  std::vector<WebhookDelivery> due_deliveries(int64_t now_ms, int limit) override;
  std::vector<WebhookDelivery> deliveries(const std::string& request_id) override;
  void update_delivery(const WebhookDelivery& delivery) override;

  int64_t append_audit(AuditEvent& event) override;
  std::vector<AuditEvent> audit_events(const AuditQuery& query) override;

 private:
  std::vector<Project> load_projects(sql::Stmt& st);
  std::vector<SigningPolicy> load_policies(sql::Stmt& st);
  SqliteConn& c_;
};

template <class T>
std::optional<T> first(std::vector<T> v) {
  if (v.empty()) return std::nullopt;
  return std::move(v.front());
}

template <class T>
class RowMap;
// How audit_events rows map to AuditEvent (shared by the Tx and the store's streaming scan).
const RowMap<AuditEvent>& audit_rows();

// Schema migrations, applied in order on open (PRAGMA user_version counts applied steps).
void migrate(sql::Db& db);

}  // namespace signet::service
