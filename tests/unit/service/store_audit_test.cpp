// The SQLite store (CRUD, request lifecycle, claims, grouped commits, rollback of one failing
// transaction, reopen/migrations) and the audit hash chain.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "io/file.hpp"
#include "service/api_error.hpp"
#include "service/audit.hpp"
#include "service/store.hpp"
#include "service/util.hpp"

namespace signet::service {
namespace {

struct World {
  io::TempDir dir;
  std::unique_ptr<Store> store = open_sqlite_store(dir.path() / "signet.db");
  std::string org = new_uuid();
  User ci{new_uuid(), org, "ci", "ci", {}};
  User alice{new_uuid(), org, "alice", "interactive", {"GlobalAdministrator"}};
  Project project;
  SigningPolicy policy;
  ArtifactConfiguration ac;

  World() {
    store->write([&](Tx& tx) {
      tx.put_organization({org, "ACME"});
      tx.put_user(ci, sha256_hex("ci-token"));
      tx.put_user(alice, std::nullopt);
      Certificate c;
      c.id = new_uuid();
      c.org_id = org;
      c.slug = "cert";
      c.name = "Cert";
      c.key_path = "/k.pem";
      tx.put_certificate(c);
      project = Project{
          new_uuid(), org, "app", "App", "https://git/app.git", "", {}, Webhook{"http://h/", "X-A", "b"}};
      tx.put_project(project);
      ac = ArtifactConfiguration{new_uuid(), project.id, "default", "Default", 0};
      tx.put_artifact_configuration(ac);
      ac.current_version = tx.add_ac_version(ac.id, "<xml/>", "test");
      project.default_ac_id = ac.id;
      tx.put_project(project);
      policy.id = new_uuid();
      policy.project_id = project.id;
      policy.slug = "release";
      policy.name = "Release";
      policy.certificate_id = c.id;
      policy.required_approvals = 1;
      policy.verify_origin = true;
      policy.allowed_branches = {"main", "release/*"};
      policy.submitters = {ci.id};
      policy.approvers = {alice.id};
      tx.put_signing_policy(policy);
    });
  }

  SigningRequest request(Workflow w) {
    SigningRequest r;
    r.id = new_uuid();
    r.org_id = org;
    r.project_id = project.id;
    r.policy_id = policy.id;
    r.ac_id = ac.id;
    r.ac_version = 1;
    r.submitter_id = ci.id;
    r.workflow = w;
    r.parameters = {{"version", "1.0"}, {"Flavor", "ä"}};
    r.origin.repository_url = "https://git/app.git";
    r.origin.branch_name = "main";
    r.created_ms = r.updated_ms = now_ms();
    return r;
  }
};

TEST(ServiceStore, RoundTripsDomainObjects) {
  World w;
  w.store->read([&](Tx& tx) {
    auto u = tx.user_by_token(sha256_hex("ci-token"));
    ASSERT_TRUE(u);
    EXPECT_EQ(u->name, "ci");
    EXPECT_FALSE(tx.user_by_token(sha256_hex("other")));
    EXPECT_EQ(tx.user_by_name(w.org, "alice")->roles, std::vector<std::string>{"GlobalAdministrator"});
    auto p = tx.project_by_slug(w.org, "app");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->default_ac_id, w.ac.id);
    ASSERT_TRUE(p->webhook);
    EXPECT_EQ(p->webhook->header_name, "X-A");
    auto pol = tx.signing_policy_by_slug(p->id, "release");
    ASSERT_TRUE(pol);
    EXPECT_EQ(pol->allowed_branches, (std::vector<std::string>{"main", "release/*"}));
    EXPECT_EQ(pol->submitters, std::vector<std::string>{w.ci.id});
    EXPECT_EQ(pol->approvers, std::vector<std::string>{w.alice.id});
    EXPECT_TRUE(pol->verify_origin);
    auto v = tx.ac_version(w.ac.id, 1);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->xml, "<xml/>");
    EXPECT_EQ(tx.artifact_configuration(w.ac.id)->current_version, 1);
  });
}

TEST(ServiceStore, RequestsLifecycleAndClaims) {
  World w;
  auto a = w.request(Workflow::queued_for_processing);
  auto b = w.request(Workflow::queued_for_processing);
  auto c = w.request(Workflow::waiting_for_approval);
  w.store->write([&](Tx& tx) {
    tx.insert_request(a);
    tx.insert_request(b);
    tx.insert_request(c);
  });
  EXPECT_LT(a.seq, b.seq);
  std::optional<SigningRequest> first, second, none;
  w.store->write([&](Tx& tx) {
    first = tx.claim_next("claim-1", now_ms());
    second = tx.claim_next("claim-2", now_ms());
    none = tx.claim_next("claim-3", now_ms());
  });
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->id, a.id);  // oldest first
  EXPECT_EQ(second->id, b.id);
  EXPECT_FALSE(none);
  w.store->read([&](Tx& tx) {
    auto r = tx.request(a.id);
    EXPECT_EQ(r->workflow, Workflow::processing);
    EXPECT_EQ(r->claim, "claim-1");
    EXPECT_EQ(r->attempts, 1);
    EXPECT_EQ(r->parameters.at("Flavor"), "ä");
    EXPECT_EQ(r->origin.branch_name, "main");
    EXPECT_EQ(tx.requests_in(Workflow::processing).size(), 2u);
    EXPECT_EQ(tx.requests(w.org, 10, 0).front().id, c.id);  // newest first
  });
  c.cancel_deadline_ms = now_ms() - 1;
  w.store->write([&](Tx& tx) { tx.update_request(c); });
  w.store->read([&](Tx& tx) {
    auto due = tx.overdue_requests(now_ms());
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].id, c.id);
  });
}

TEST(ServiceStore, ApprovalsCountOncePerUser) {
  World w;
  auto r = w.request(Workflow::waiting_for_approval);
  w.store->write([&](Tx& tx) {
    tx.insert_request(r);
    tx.put_approval(r.id, {w.alice.id, "Approved", "", 1});
    tx.put_approval(r.id, {w.alice.id, "Approved", "", 2});
  });
  w.store->read([&](Tx& tx) { EXPECT_EQ(tx.approvals(r.id).size(), 1u); });
}

TEST(ServiceStore, FailingTransactionRollsBackAloneUnderConcurrency) {
  World w;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  std::vector<std::string> ids(64);
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&, i] {
      auto r = w.request(Workflow::queued_for_processing);
      ids[i] = r.id;
      try {
        w.store->write([&](Tx& tx) {
          tx.insert_request(r);
          AuditEvent e;
          e.org_id = w.org;
          e.action = "test";
          e.subject_id = r.id;
          tx.append_audit(e);
          if (i % 4 == 0) throw ApiError(409, "refused");  // its insert and event must vanish
        });
      } catch (const ApiError&) {
        ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 16);
  w.store->read([&](Tx& tx) {
    for (int i = 0; i < 64; ++i) EXPECT_EQ(tx.request(ids[i]).has_value(), i % 4 != 0) << i;
  });
  AuditVerifier v;
  auto head = w.store->scan_audit([&](const AuditEvent& e) { v.add(e); });
  v.finish(head);
  EXPECT_TRUE(v.problems().empty()) << v.problems().front();
  EXPECT_EQ(v.count(), 48);
}

TEST(ServiceStore, ReopenKeepsDataAndSchema) {
  io::TempDir dir;
  std::string org = new_uuid();
  {
    auto s = open_sqlite_store(dir.path() / "db");
    EXPECT_TRUE(s->fresh());
    s->write([&](Tx& tx) { tx.put_organization({org, "A"}); });
  }
  auto s = open_sqlite_store(dir.path() / "db");
  EXPECT_FALSE(s->fresh());
  s->read([&](Tx& tx) { EXPECT_EQ(tx.organization(org)->name, "A"); });
}

AuditEvent event(int64_t seq, const std::string& prev, const std::string& action) {
  AuditEvent e;
  e.seq = seq;
  e.time_ms = 1700000000000 + seq;
  e.org_id = "org";
  e.actor_id = "u1";
  e.actor_name = "ci";
  e.action = action;
  e.subject_type = "SigningRequest";
  e.subject_id = "r1";
  e.data = {{"n", seq}, {"text", "ä\"\n"}};
  e.prev_hash = prev;
  e.hash = audit_hash(prev, e);
  return e;
}

std::vector<AuditEvent> chain(int n) {
  std::vector<AuditEvent> out;
  std::string prev = kGenesisHash;
  for (int i = 1; i <= n; ++i) {
    out.push_back(event(i, prev, "a" + std::to_string(i)));
    prev = out.back().hash;
  }
  return out;
}

std::vector<std::string> verify(const std::vector<AuditEvent>& events,
                                std::optional<std::pair<int64_t, std::string>> head) {
  AuditVerifier v;
  for (const auto& e : events) v.add(e);
  v.finish(head);
  return v.problems();
}

TEST(ServiceAudit, CanonicalJsonIsSortedCompactAscii) {
  auto e = event(1, kGenesisHash, "x");
  std::string c = audit_canonical_json(e);
  EXPECT_EQ(c.find(' '), std::string::npos);
  EXPECT_LT(c.find("\"action\""), c.find("\"actorId\""));
  EXPECT_NE(c.find("\\u00e4"), std::string::npos);
  EXPECT_EQ(audit_hash(kGenesisHash, e), e.hash);
  EXPECT_EQ(e.hash.size(), 64u);
}

TEST(ServiceAudit, IntactChainPasses) {
  auto c = chain(10);
  EXPECT_TRUE(verify(c, std::make_pair(10, c.back().hash)).empty());
  EXPECT_TRUE(verify({}, std::nullopt).empty());
}

TEST(ServiceAudit, EditIsDetected) {
  auto c = chain(10);
  c[4].data["n"] = 99;
  auto p = verify(c, std::make_pair(10, c.back().hash));
  ASSERT_FALSE(p.empty());
  EXPECT_NE(p[0].find("audit event 5: content does not match"), std::string::npos);
}

TEST(ServiceAudit, RehashedEditBreaksTheNextLink) {
  auto c = chain(10);
  c[4].actor_name = "mallory";
  c[4].hash = audit_hash(c[4].prev_hash, c[4]);
  auto p = verify(c, std::make_pair(10, c.back().hash));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("audit event 6: previous hash"), std::string::npos);
}

TEST(ServiceAudit, RemovalIsDetected) {
  auto c = chain(10);
  c.erase(c.begin() + 6);
  auto p = verify(c, std::make_pair(10, c.back().hash));
  ASSERT_FALSE(p.empty());
  EXPECT_NE(p[0].find("events 7..7 are missing"), std::string::npos);
  auto tail = chain(10);
  auto head = std::make_pair<int64_t, std::string>(10, std::string(tail.back().hash));
  tail.pop_back();
  p = verify(tail, head);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("newest events removed"), std::string::npos);
  auto first = chain(3);
  first.erase(first.begin());
  EXPECT_FALSE(verify(first, std::make_pair(3, first.back().hash)).empty());
}

TEST(ServiceAudit, StoreAppendsAChain) {
  World w;  // the set-up itself audits nothing; append a few
  w.store->write([&](Tx& tx) {
    for (int i = 0; i < 5; ++i) {
      AuditEvent e;
      e.org_id = w.org;
      e.action = "x";
      e.data = {{"i", i}};
      tx.append_audit(e);
    }
  });
  std::vector<AuditEvent> got;
  w.store->read([&](Tx& tx) { got = tx.audit_events({w.org, 2, 10, "", ""}); });
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].seq, 3);
  AuditVerifier v;
  v.finish(w.store->scan_audit([&](const AuditEvent& e) { v.add(e); }));
  EXPECT_TRUE(v.problems().empty());
  EXPECT_EQ(v.count(), 5);
}

}  // namespace
}  // namespace signet::service
