// Lifecycle state machine, policy rules (branch patterns, origin verification, k-of-n approvals,
// permissions).
#include <gtest/gtest.h>

#include "service/lifecycle.hpp"
#include "service/policy.hpp"

namespace signet::service {
namespace {

TEST(ServiceLifecycle, StatusMappingMatchesSignPath) {
  EXPECT_EQ(status_name(Workflow::submitted), "InProgress");
  EXPECT_EQ(status_name(Workflow::waiting_for_artifact_upload), "InProgress");
  EXPECT_EQ(status_name(Workflow::queued_for_processing), "InProgress");
  EXPECT_EQ(status_name(Workflow::processing), "InProgress");
  EXPECT_EQ(status_name(Workflow::waiting_for_approval), "WaitingForApproval");
  EXPECT_EQ(status_name(Workflow::completed), "Completed");
  EXPECT_EQ(status_name(Workflow::processing_failed), "Failed");
  EXPECT_EQ(status_name(Workflow::artifact_retrieval_failed), "Failed");
  EXPECT_EQ(status_name(Workflow::denied), "Denied");
  EXPECT_EQ(status_name(Workflow::canceled), "Canceled");
  for (auto w : {Workflow::completed, Workflow::processing_failed, Workflow::denied, Workflow::canceled}) {
    EXPECT_TRUE(is_final(w)) << workflow_name(w);
  }
  for (auto w : {Workflow::submitted, Workflow::waiting_for_approval, Workflow::queued_for_processing,
                 Workflow::processing, Workflow::waiting_for_artifact_upload}) {
    EXPECT_FALSE(is_final(w)) << workflow_name(w);
  }
}

TEST(ServiceLifecycle, NamesRoundTrip) {
  for (auto w : {Workflow::submitted, Workflow::waiting_for_artifact_upload, Workflow::retrieving_artifact,
                 Workflow::waiting_for_approval, Workflow::queued_for_processing, Workflow::processing,
                 Workflow::completed, Workflow::processing_failed, Workflow::artifact_retrieval_failed,
                 Workflow::denied, Workflow::canceled}) {
    auto back = parse_workflow(workflow_name(w));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, w);
  }
  EXPECT_FALSE(parse_workflow("completed").has_value());  // exact spelling only
  EXPECT_FALSE(parse_workflow("").has_value());
}

TEST(ServiceLifecycle, Transitions) {
  EXPECT_TRUE(can_transition(Workflow::waiting_for_approval, Workflow::queued_for_processing));
  EXPECT_TRUE(can_transition(Workflow::waiting_for_approval, Workflow::denied));
  EXPECT_TRUE(can_transition(Workflow::queued_for_processing, Workflow::processing));
  EXPECT_TRUE(can_transition(Workflow::processing, Workflow::completed));
  EXPECT_TRUE(can_transition(Workflow::processing, Workflow::processing_failed));
  EXPECT_TRUE(can_transition(Workflow::processing, Workflow::queued_for_processing));  // crash recovery
  EXPECT_TRUE(can_transition(Workflow::waiting_for_artifact_upload, Workflow::waiting_for_approval));
  // Cancel from any non-final state, never from a final one.
  for (auto w : {Workflow::waiting_for_artifact_upload, Workflow::waiting_for_approval,
                 Workflow::queued_for_processing, Workflow::processing}) {
    EXPECT_TRUE(can_transition(w, Workflow::canceled));
  }
  for (auto w : {Workflow::completed, Workflow::processing_failed, Workflow::denied, Workflow::canceled}) {
    EXPECT_FALSE(can_transition(w, Workflow::canceled));
    EXPECT_FALSE(can_transition(w, Workflow::queued_for_processing));
  }
  EXPECT_FALSE(
      can_transition(Workflow::waiting_for_approval, Workflow::completed));         // no skipping processing
  EXPECT_FALSE(can_transition(Workflow::queued_for_processing, Workflow::denied));  // deny only while waiting
  EXPECT_FALSE(can_transition(Workflow::waiting_for_artifact_upload, Workflow::processing));
  EXPECT_EQ(after_artifact(0), Workflow::queued_for_processing);
  EXPECT_EQ(after_artifact(2), Workflow::waiting_for_approval);
}

TEST(ServicePolicy, BranchPatterns) {
  EXPECT_TRUE(branch_matches("main", "main"));
  EXPECT_FALSE(branch_matches("main", "main2"));
  EXPECT_FALSE(branch_matches("main", "Main"));  // branch names are case-sensitive
  EXPECT_TRUE(branch_matches("release/*", "release/1.0"));
  EXPECT_TRUE(branch_matches("release/*", "release/1.0/hotfix"));
  EXPECT_FALSE(branch_matches("release/*", "release"));
  EXPECT_FALSE(branch_matches("release/*", "prerelease/1"));
  EXPECT_TRUE(branch_matches("*", "anything/at/all"));
  EXPECT_TRUE(branch_matches("*", ""));
  EXPECT_TRUE(branch_matches("feature-*-done", "feature-x-done"));
  EXPECT_FALSE(branch_matches("feature-*-done", "feature-x-don"));
  EXPECT_TRUE(branch_matches("main", "refs/heads/main"));
  EXPECT_TRUE(branch_matches("refs/heads/main", "main"));
  EXPECT_TRUE(branch_matches("**", "x"));
  // Pathological patterns stay fast (no exponential backtracking).
  std::string pattern(40, '*');
  pattern += "b";
  EXPECT_FALSE(branch_matches(pattern, std::string(5000, 'a')));
  EXPECT_TRUE(branch_allowed({"main", "release/*"}, "release/2"));
  EXPECT_FALSE(branch_allowed({"main", "release/*"}, "develop"));
  EXPECT_FALSE(branch_allowed({}, "main"));
}

TEST(ServicePolicy, RepositoryComparison) {
  EXPECT_TRUE(same_repository("https://git.example.com/a.git", "https://git.example.com/a.git/"));
  EXPECT_TRUE(same_repository(" https://git.example.com/a.git ", "https://git.example.com/a.git"));
  EXPECT_FALSE(same_repository("https://git.example.com/a.git", "https://git.example.com/b.git"));
  EXPECT_FALSE(same_repository("", ""));
}

struct Fixture {
  Project project{"p1", "o",      "app",       "App", "https://git.example.com/acme/app.git",
                  "",   {"tbs1"}, std::nullopt};
  SigningPolicy policy;
  Fixture() {
    policy.slug = "release-signing";
    policy.verify_origin = true;
    policy.allowed_branches = {"main", "release/*"};
    policy.required_approvals = 2;
    policy.approvers = {"alice", "bob", "carol"};
    policy.submitters = {"ci"};
  }
  Origin origin(std::string branch, std::string url = "https://git.example.com/acme/app.git") {
    Origin o;
    o.repository_url = std::move(url);
    o.branch_name = std::move(branch);
    return o;
  }
};

TEST(ServicePolicy, OriginVerificationNamesTheRule) {
  Fixture f;
  EXPECT_FALSE(check_origin(f.project, f.policy, f.origin("main"), true).has_value());
  EXPECT_FALSE(check_origin(f.project, f.policy, f.origin("release/3"), true).has_value());
  auto untrusted = check_origin(f.project, f.policy, f.origin("main"), false);
  ASSERT_TRUE(untrusted);
  EXPECT_NE(untrusted->find("trusted build system"), std::string::npos);
  auto repo = check_origin(f.project, f.policy, f.origin("main", "https://evil.example.com/app.git"), true);
  ASSERT_TRUE(repo);
  EXPECT_NE(repo->find("repository URL"), std::string::npos);
  auto branch = check_origin(f.project, f.policy, f.origin("feature/x"), true);
  ASSERT_TRUE(branch);
  EXPECT_NE(branch->find("branch 'feature/x'"), std::string::npos);
  EXPECT_NE(branch->find("main, release/*"), std::string::npos);
  auto missing = check_origin(f.project, f.policy, f.origin(""), true);
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->find("BranchName"), std::string::npos);
  auto no_url = check_origin(f.project, f.policy, f.origin("main", ""), true);
  ASSERT_TRUE(no_url);
  EXPECT_NE(no_url->find("Url"), std::string::npos);
  f.policy.verify_origin = false;
  EXPECT_FALSE(check_origin(f.project, f.policy, f.origin("anything", "x"), false).has_value());
}

TEST(ServicePolicy, KOfNApprovals) {
  Fixture f;
  std::vector<Approval> a;
  EXPECT_FALSE(tally(f.policy, a).quorum);
  a.push_back({"alice", "Approved", "", 1});
  EXPECT_EQ(tally(f.policy, a).approvals, 1);
  EXPECT_FALSE(tally(f.policy, a).quorum);
  a.push_back({"alice", "Approved", "", 2});  // twice counts once
  EXPECT_EQ(tally(f.policy, a).approvals, 1);
  a.push_back({"mallory", "Approved", "", 3});  // not an approver
  EXPECT_EQ(tally(f.policy, a).approvals, 1);
  a.push_back({"bob", "Approved", "", 4});
  EXPECT_TRUE(tally(f.policy, a).quorum);
  a.push_back({"carol", "Denied", "no", 5});  // one deny aborts, whatever the approvals
  auto t = tally(f.policy, a);
  EXPECT_TRUE(t.denied);
  EXPECT_FALSE(t.quorum);
}

TEST(ServicePolicy, WhoMayApprove) {
  Fixture f;
  SigningRequest r;
  r.submitter_id = "alice";
  User alice{"alice", "o", "alice", "interactive", {}};
  User bob{"bob", "o", "bob", "interactive", {}};
  User ci{"ci", "o", "ci", "ci", {}};
  auto own = approve_refusal(alice, f.policy, r);
  ASSERT_TRUE(own);
  EXPECT_NE(own->find("cannot approve"), std::string::npos);
  EXPECT_FALSE(approve_refusal(bob, f.policy, r).has_value());
  auto not_approver = approve_refusal(ci, f.policy, r);
  ASSERT_TRUE(not_approver);
  EXPECT_NE(not_approver->find("not an approver"), std::string::npos);
}

TEST(ServicePolicy, Permissions) {
  Fixture f;
  SigningRequest r;
  r.submitter_id = "ci";
  User admin{"a", "o", "admin", "interactive", {"GlobalAdministrator"}};
  User reader{"r", "o", "reader", "interactive", {"GlobalReader"}};
  User padmin{"p", "o", "padmin", "interactive", {"ProjectAdministrator"}};
  User certadmin{"c", "o", "certadmin", "interactive", {"CertificateAdministrator"}};
  User nobody{"n", "o", "nobody", "interactive", {"RegularUser"}};
  User ci{"ci", "o", "ci", "ci", {}};
  User bob{"bob", "o", "bob", "interactive", {}};
  EXPECT_TRUE(can_submit(ci, f.policy));
  EXPECT_FALSE(can_submit(admin, f.policy));  // roles do not make submitters
  EXPECT_TRUE(can_read_request(admin, r, f.policy));
  EXPECT_TRUE(can_read_request(reader, r, f.policy));
  EXPECT_TRUE(can_read_request(padmin, r, f.policy));
  EXPECT_TRUE(can_read_request(ci, r, f.policy));
  EXPECT_TRUE(can_read_request(bob, r, f.policy));  // approver of the policy
  EXPECT_FALSE(can_read_request(nobody, r, f.policy));
  EXPECT_FALSE(can_read_request(certadmin, r, f.policy));
  EXPECT_TRUE(can_cancel(ci, r));
  EXPECT_TRUE(can_cancel(admin, r));
  EXPECT_TRUE(can_cancel(padmin, r));
  EXPECT_FALSE(can_cancel(bob, r));
  EXPECT_FALSE(can_cancel(reader, r));
  EXPECT_TRUE(can_read_management(certadmin));
  EXPECT_FALSE(can_read_management(nobody));
  EXPECT_FALSE(can_read_management(ci));
  EXPECT_TRUE(can_edit_projects(padmin));
  EXPECT_FALSE(can_edit_projects(reader));
  EXPECT_TRUE(can_read_audit(reader));
  EXPECT_FALSE(can_read_audit(padmin));
}

}  // namespace
}  // namespace signet::service
