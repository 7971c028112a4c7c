#include "service/policy.hpp"

#include <algorithm>
#include <set>

#include "service/util.hpp"

namespace signet::service {

namespace {

// Iterative glob with only '*' (backtracking to the last star): linear in practice, no recursion.
bool glob(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (pi < p.size() && p[pi] == s[si]) {
      ++pi;
      ++si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::string_view strip_ref(std::string_view branch) {
  constexpr std::string_view heads = "refs/heads/";
  if (branch.substr(0, heads.size()) == heads) branch.remove_prefix(heads.size());
  return branch;
}

std::string normalize_url(std::string_view url) {
  std::string u = trim(url);
  while (!u.empty() && u.back() == '/') u.pop_back();
  return u;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

bool branch_matches(std::string_view pattern, std::string_view branch) {
  return glob(strip_ref(trim(pattern)), strip_ref(branch));
}

bool branch_allowed(const std::vector<std::string>& patterns, std::string_view branch) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return branch_matches(p, branch); });
}

bool same_repository(std::string_view a, std::string_view b) {
  auto na = normalize_url(a), nb = normalize_url(b);
  return !na.empty() && na == nb;
}

std::optional<std::string> check_origin(const Project& project, const SigningPolicy& policy,
                                        const Origin& origin, bool trusted) {
  if (!policy.verify_origin) return std::nullopt;
  std::string where = "signing policy '" + policy.slug + "' verifies the origin: ";
  if (!trusted) {
    return where +
           "the request must be submitted with the token of a trusted build system linked to project '" +
           project.slug + "' (Authorization: Bearer API_TOKEN:TRUSTED_BUILD_SYSTEM_TOKEN)";
  }
  if (origin.repository_url.empty())
    return where + "origin repository URL (Origin.RepositoryData.Url) is missing";
  if (project.repository_url.empty()) {
    return where + "project '" + project.slug + "' has no repository URL to compare the origin with";
  }
  if (!same_repository(origin.repository_url, project.repository_url)) {
    return where + "origin repository URL '" + origin.repository_url +
           "' is not the repository URL of project '" + project.slug + "' (" + project.repository_url + ")";
  }
  if (origin.branch_name.empty())
    return where + "origin branch name (Origin.RepositoryData.BranchName) is missing";
  if (!branch_allowed(policy.allowed_branches, origin.branch_name)) {
    return where + "branch '" + origin.branch_name + "' does not match the allowed branches (" +
           join(policy.allowed_branches) + ")";
  }
  return std::nullopt;
}

ApprovalTally tally(const SigningPolicy& policy, const std::vector<Approval>& approvals) {
  ApprovalTally t;
  std::set<std::string> approved;
  for (const auto& a : approvals) {
    if (!contains(policy.approvers, a.user_id)) continue;  // only current approvers count
    if (a.decision == "Denied") t.denied = true;
    if (a.decision == "Approved") approved.insert(a.user_id);
  }
  t.approvals = static_cast<int>(approved.size());
  t.quorum = !t.denied && t.approvals >= policy.required_approvals;
  return t;
}

std::optional<std::string> approve_refusal(const User& user, const SigningPolicy& policy,
                                           const SigningRequest& request) {
  if (!contains(policy.approvers, user.id)) {
    return "user '" + user.name + "' is not an approver of signing policy '" + policy.slug + "'";
  }
  if (request.submitter_id == user.id) {
    return "user '" + user.name + "' submitted this signing request and cannot approve or deny it";
  }
  return std::nullopt;
}

bool contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

bool can_submit(const User& user, const SigningPolicy& policy) {
  return contains(policy.submitters, user.id);
}

bool can_read_request(const User& user, const SigningRequest& request, const SigningPolicy& policy) {
  return user.has_role("GlobalAdministrator") || user.has_role("ProjectAdministrator") ||
         user.has_role("GlobalReader") || request.submitter_id == user.id ||
         contains(policy.submitters, user.id) || contains(policy.approvers, user.id);
}

bool can_cancel(const User& user, const SigningRequest& request) {
  return request.submitter_id == user.id || user.has_role("GlobalAdministrator") ||
         user.has_role("ProjectAdministrator");
}

bool can_read_management(const User& user) {
  return user.has_role("GlobalAdministrator") || user.has_role("ProjectAdministrator") ||
         user.has_role("GlobalReader") || user.has_role("CertificateAdministrator");
}

bool can_edit_projects(const User& user) {
  return user.has_role("GlobalAdministrator") || user.has_role("ProjectAdministrator");
}

bool can_read_audit(const User& user) {
  return user.has_role("GlobalAdministrator") || user.has_role("GlobalReader");
}

}  // namespace signet::service
