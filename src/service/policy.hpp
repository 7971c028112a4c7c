// The rules of signing policies (SIGNPATH.md §6.1, §6.3, §6.5): who may do what, k-of-n
// approvals, allowed-branch patterns and origin verification. Pure functions over domain objects.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/model.hpp"

namespace signet::service {

// Allowed-branch pattern: '*' matches any run of characters ('/' included), everything else
// literally. "*" allows every branch; "release/*" allows "release/1.0". A "refs/heads/" prefix
// on the branch is ignored.
bool branch_matches(std::string_view pattern, std::string_view branch);
bool branch_allowed(const std::vector<std::string>& patterns, std::string_view branch);

// Repository URLs are compared after trimming whitespace and trailing '/'.
bool same_repository(std::string_view a, std::string_view b);

// Origin verification for a `verify-origin` policy. `trusted` says whether the origin came with a
// trusted build system token linked to the project. Returns the rule that failed, for a 403, or
// nullopt when the origin passes (or the policy does not verify origins).
std::optional<std::string> check_origin(const Project& project, const SigningPolicy& policy,
                                        const Origin& origin, bool trusted);

struct ApprovalTally {
  int approvals = 0;  // distinct approvers who approved
  bool denied = false;
  bool quorum = false;  // approvals >= required
};
ApprovalTally tally(const SigningPolicy& policy, const std::vector<Approval>& approvals);

// Why `user` may not approve or deny `request` under `policy` (nullopt: allowed).
std::optional<std::string> approve_refusal(const User& user, const SigningPolicy& policy,
                                           const SigningRequest& request);

bool contains(const std::vector<std::string>& ids, const std::string& id);
bool can_submit(const User& user, const SigningPolicy& policy);
// Artifact read access (§6.1): global admins, project admins, global readers, the request's
// submitter, and the policy's submitters and approvers.
bool can_read_request(const User& user, const SigningRequest& request, const SigningPolicy& policy);
bool can_cancel(const User& user, const SigningRequest& request);
bool can_read_management(const User& user);  // projects, policies, configurations, certificates
bool can_edit_projects(const User& user);    // artifact configuration versions, default configuration
bool can_read_audit(const User& user);

}  // namespace signet::service
