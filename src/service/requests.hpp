// Signing request operations (SIGNPATH.md §2.4, §6.6, §6.7): submission with or without the
// artifact, upload, approval and denial, cancellation, resubmission, and the state transitions
// the workers make. Each change is one store transaction with its audit event; final states
// queue the project's webhook in the same transaction.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "service/api_error.hpp"
#include "service/context.hpp"

namespace signet::service {

struct Caller {
  User user;
  std::optional<TrustedBuildSystem> tbs;  // from "Bearer API_TOKEN:TBS_TOKEN"
  Actor actor() const { return {user.id, user.name}; }
};

struct SubmitInput {
  std::string project_slug, policy_slug, policy_id, ac_slug, ac_id, description;
  std::map<std::string, std::string> parameters;
  Origin origin;
  std::optional<int64_t> cancellation_timeout_s;
  Incoming* artifact = nullptr;  // SubmitWithArtifact (already complete in tmp/)
  std::string artifact_name;
  std::string expected_sha256, expected_name;  // SubmitWithoutArtifact
  Incoming* build_settings = nullptr;
  std::string build_settings_name;
};

SigningRequest submit(Context& ctx, const Caller& caller, const std::string& org_id, SubmitInput& in);

// Checks before an upload body is read: the request exists, belongs to the caller and waits.
SigningRequest check_upload(Context& ctx, const Caller& caller, const std::string& org_id,
                            const std::string& id);
SigningRequest upload(Context& ctx, const Caller& caller, const std::string& org_id, const std::string& id,
                      Incoming& data);

SigningRequest approve(Context& ctx, const Caller& caller, const std::string& org_id, const std::string& id);
SigningRequest deny(Context& ctx, const Caller& caller, const std::string& org_id, const std::string& id,
                    const std::string& reason);
SigningRequest cancel(Context& ctx, const Caller& caller, const std::string& org_id, const std::string& id);
SigningRequest resubmit(Context& ctx, const Caller& caller, const std::string& org_id,
                        const std::string& original_id, const std::string& policy_slug,
                        const std::string& description, std::optional<int64_t> cancellation_timeout_s);

// A request the caller may read (404 when missing or in another organization, 403 otherwise).
SigningRequest readable_request(Tx& tx, const Caller& caller, const std::string& org_id,
                                const std::string& id);

// Moves a request to `to` (which must be allowed), records the audit event, and for final states
// queues the project's webhook. Call inside a write transaction.
void transition(Tx& tx, SigningRequest& r, Workflow to, const Actor& actor,
                nlohmann::json data = nlohmann::json::object());

void audit(Tx& tx, const std::string& org_id, const Actor& actor, const std::string& action,
           const std::string& subject_type, const std::string& subject_id, nlohmann::json data);

// Parses and validates artifact configuration XML (with parameters when given, else without
// requiring them); returns the problems as "line:col: message" strings.
std::vector<std::string> validate_configuration(const std::string& xml, const std::string& name,
                                                const std::map<std::string, std::string>* parameters);

}  // namespace signet::service
