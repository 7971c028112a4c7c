// The service's domain objects (SIGNPATH.md §6): organizations, users, certificates, trusted build
// systems, projects, artifact configurations, signing policies, signing requests, approvals,
// webhook deliveries and audit events. Plain data; the rules live in policy.hpp and lifecycle.hpp.
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "service/lifecycle.hpp"

namespace signet::service {

struct Organization {
  std::string id;  // GUID
  std::string name;
};

// Global roles (SCIM app-role values of SIGNPATH.md §6.1).
inline const std::vector<std::string>& known_roles() {
  static const std::vector<std::string> roles{"GlobalAdministrator", "CertificateAdministrator",
                                              "UserAdministrator",   "ProjectAdministrator",
                                              "GlobalReader",        "RegularUser"};
  return roles;
}

struct User {
  std::string id, org_id, name;
  std::string kind = "interactive";  // "ci" or "interactive"
  std::vector<std::string> roles;    // known_roles() values
  bool has_role(const std::string& role) const {
    for (const auto& r : roles)
      if (r == role) return true;
    return false;
  }
};

// Key material lives in files; the store keeps paths and where the password comes from (an
// environment variable or a file), never the password itself.
struct Certificate {
  std::string id, org_id, slug, name;
  std::string key_path, cert_path, chain_path;
  std::string password_env, password_file;
  std::string pgp_key_path, pgp_password_env, pgp_password_file;
  bool has_x509() const { return !key_path.empty(); }
  bool has_pgp() const { return !pgp_key_path.empty(); }
};

struct TrustedBuildSystem {
  std::string id, org_id, slug, name;
};

struct Webhook {
  std::string url;
  std::string header_name;   // e.g. "Authorization"
  std::string header_value;  // e.g. "Bearer ..."
};

struct Project {
  std::string id, org_id, slug, name, repository_url;
  std::string default_ac_id;
  std::vector<std::string> trusted_build_system_ids;
  std::optional<Webhook> webhook;
};

struct ArtifactConfiguration {
  std::string id, project_id, slug, name;
  int current_version = 0;
};

struct AcVersion {
  std::string ac_id;
  int version = 0;
  std::string xml, sha256, created, created_by;
};

struct SigningPolicy {
  std::string id, project_id, slug, name, certificate_id;
  int required_approvals = 0;
  bool verify_origin = false;
  std::vector<std::string> allowed_branches;  // patterns; empty = all (only when verify_origin is off)
  std::vector<std::string> submitters;        // user ids
  std::vector<std::string> approvers;         // user ids
};

struct Origin {
  std::string scm_type, repository_url, branch_name, commit_id;  // repositoryData
  std::string build_url;                                         // buildData.url
  std::string build_settings_sha256, build_settings_name;        // buildData.buildSettingsFile
  bool present() const {
    return !scm_type.empty() || !repository_url.empty() || !branch_name.empty() || !commit_id.empty() ||
           !build_url.empty() || !build_settings_sha256.empty();
  }
};

struct Approval {
  std::string user_id;
  std::string decision;  // "Approved" or "Denied"
  std::string reason;
  int64_t time_ms = 0;
};

struct WebhookDelivery {
  int64_t id = 0;
  std::string request_id, url, status;  // status: the request status announced
  int attempts = 0;
  bool done = false;
  int response_code = 0;  // 0: no HTTP response (error)
  std::string response_body, error;
  int64_t next_attempt_ms = 0;
  int64_t updated_ms = 0;
};

struct SigningRequest {
  std::string id, org_id, project_id, policy_id, ac_id;
  int ac_version = 0;
  std::string submitter_id;
  std::string tbs_id;            // trusted build system that vouched for the origin ("" if none)
  bool origin_verified = false;  // origin came with a TBS token linked to the project
  std::string description;
  std::map<std::string, std::string> parameters;
  Origin origin;
  std::string original_id;  // resubmission source
  Workflow workflow = Workflow::submitted;
  std::string unsigned_sha256, unsigned_name;
  uint64_t unsigned_size = 0;
  std::string expected_sha256;  // SubmitWithoutArtifact: the announced hash
  std::string signed_sha256;
  uint64_t signed_size = 0;
  std::string certificate_id;  // the certificate that signed (policy's at processing time)
  std::string failure;         // engine message for ProcessingFailed, reason for Denied/Canceled
  int64_t created_ms = 0, updated_ms = 0;
  int64_t cancel_deadline_ms = 0;  // 0: never
  std::string claim;               // worker claim token while Processing
  int attempts = 0;                // processing attempts (crash recovery)
  int64_t seq = 0;                 // submission order
};

struct AuditEvent {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string org_id, actor_id, actor_name, action, subject_type, subject_id;
  nlohmann::json data = nlohmann::json::object();
  std::string prev_hash, hash;  // lowercase hex
};

}  // namespace signet::service
