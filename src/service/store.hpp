// The service's persistence contract (DESIGN.md "Store"): one interface, an embedded SQLite
// implementation today, PostgreSQL later. All access happens inside a transaction: write()
// runs its function as one atomic unit (every state change and its audit events commit together
// or not at all); read() sees a consistent snapshot.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/model.hpp"

namespace signet::service {

struct AuditQuery {
  std::string org_id;
  int64_t after_seq = 0;
  int limit = 100;
  std::string subject_type;  // "" = any
  std::string subject_id;    // "" = any
};

class Tx {
 public:
  virtual ~Tx() = default;

  virtual std::optional<Organization> organization(const std::string& id) = 0;
  virtual std::vector<Organization> organizations() = 0;
  virtual void put_organization(const Organization& org) = 0;

  virtual std::optional<User> user(const std::string& id) = 0;
  virtual std::optional<User> user_by_name(const std::string& org_id, const std::string& name) = 0;
  virtual std::optional<User> user_by_token(const std::string& token_hash) = 0;
  virtual std::vector<User> users(const std::string& org_id) = 0;
  // Insert or update; token_hash replaces the stored one when given.
  virtual void put_user(const User& user, const std::optional<std::string>& token_hash) = 0;
  virtual std::string user_token_hash(const std::string& user_id) = 0;

  virtual std::optional<Certificate> certificate(const std::string& id) = 0;
  virtual std::optional<Certificate> certificate_by_slug(const std::string& org_id,
                                                         const std::string& slug) = 0;
  virtual std::vector<Certificate> certificates(const std::string& org_id) = 0;
  virtual void put_certificate(const Certificate& cert) = 0;

  virtual std::optional<TrustedBuildSystem> trusted_build_system(const std::string& id) = 0;
  virtual std::optional<TrustedBuildSystem> trusted_build_system_by_slug(const std::string& org_id,
                                                                         const std::string& slug) = 0;
  virtual std::optional<TrustedBuildSystem> trusted_build_system_by_token(const std::string& token_hash) = 0;
  virtual void put_trusted_build_system(const TrustedBuildSystem& tbs,
                                        const std::optional<std::string>& token_hash) = 0;
  virtual std::string trusted_build_system_token_hash(const std::string& id) = 0;

  virtual std::optional<Project> project(const std::string& id) = 0;
  virtual std::optional<Project> project_by_slug(const std::string& org_id, const std::string& slug) = 0;
  virtual std::vector<Project> projects(const std::string& org_id) = 0;
  virtual void put_project(const Project& project) = 0;

  virtual std::optional<ArtifactConfiguration> artifact_configuration(const std::string& id) = 0;
  virtual std::optional<ArtifactConfiguration> artifact_configuration_by_slug(const std::string& project_id,
                                                                              const std::string& slug) = 0;
  virtual std::vector<ArtifactConfiguration> artifact_configurations(const std::string& project_id) = 0;
  virtual void put_artifact_configuration(const ArtifactConfiguration& ac) = 0;
  virtual std::optional<AcVersion> ac_version(const std::string& ac_id, int version) = 0;
  virtual std::vector<AcVersion> ac_versions(const std::string& ac_id) = 0;  // without xml
  // Adds version current+1 and makes it current; returns the new version number.
  virtual int add_ac_version(const std::string& ac_id, const std::string& xml,
                             const std::string& created_by) = 0;

  virtual std::optional<SigningPolicy> signing_policy(const std::string& id) = 0;
  virtual std::optional<SigningPolicy> signing_policy_by_slug(const std::string& project_id,
                                                              const std::string& slug) = 0;
  virtual std::vector<SigningPolicy> signing_policies(const std::string& project_id) = 0;
  virtual void put_signing_policy(const SigningPolicy& policy) = 0;

  virtual std::optional<SigningRequest> request(const std::string& id) = 0;
  virtual std::vector<SigningRequest> requests(const std::string& org_id, int limit, int64_t before_seq) = 0;
  virtual void insert_request(SigningRequest& request) = 0;  // assigns seq
  virtual void update_request(const SigningRequest& request) = 0;
  // Oldest QueuedForProcessing request, now Processing with the given claim; nullopt if none.
  virtual std::optional<SigningRequest> claim_next(const std::string& claim, int64_t now_ms) = 0;
  virtual std::vector<SigningRequest> requests_in(Workflow workflow) = 0;
  // Non-final requests whose cancellation deadline has passed.
  virtual std::vector<SigningRequest> overdue_requests(int64_t now_ms) = 0;

  virtual std::vector<Approval> approvals(const std::string& request_id) = 0;
  virtual void put_approval(const std::string& request_id, const Approval& approval) = 0;

  virtual void add_delivery(const WebhookDelivery& delivery) = 0;
  virtual std::vector<WebhookDelivery> due_deliveries(int64_t now_ms, int limit) = 0;
  virtual std::vector<WebhookDelivery> deliveries(const std::string& request_id) = 0;
  virtual void update_delivery(const WebhookDelivery& delivery) = 0;

  // Appends to the hash chain (fills seq, prev_hash, hash); returns the event's seq.
  virtual int64_t append_audit(AuditEvent& event) = 0;
  virtual std::vector<AuditEvent> audit_events(const AuditQuery& query) = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // One atomic write transaction. If fn throws, its changes are rolled back and the exception
  // propagates. Returns once the transaction is durable.
  virtual void write(const std::function<void(Tx&)>& fn) = 0;
  virtual void read(const std::function<void(Tx&)>& fn) = 0;
  // Walks the whole audit chain in order (for `signet audit verify`); returns the stored head.
  virtual std::optional<std::pair<int64_t, std::string>> scan_audit(
      const std::function<void(const AuditEvent&)>& fn) = 0;
  virtual bool fresh() const = 0;  // the database was created by this open
};

struct SqliteOptions {
  bool synchronous_full = true;  // fsync every commit (FULL); NORMAL survives process crashes only
  int readers = 4;
};

// DATA/signet.db (created and migrated as needed).
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& file,
                                         const SqliteOptions& options = {});

}  // namespace signet::service
