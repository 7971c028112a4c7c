// The SQLite implementation of Tx: plain SQL over the schema in migrate().
#include "service/sqlite_tx.hpp"

#include "io/error.hpp"
#include "service/audit.hpp"
#include "service/util.hpp"

namespace signet::service {

using nlohmann::json;

SqliteConn::SqliteConn(const std::filesystem::path& file, bool synchronous_full) : db_(file, false) {
  db_.exec("PRAGMA journal_mode=WAL");
  db_.exec(synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

sql::Stmt& SqliteConn::stmt(const std::string& text) {
  auto it = cache_.find(text);
  if (it == cache_.end()) it = cache_.emplace(text, std::make_unique<sql::Stmt>(db_, text)).first;
  it->second->reset();
  return *it->second;
}

void SqliteConn::reset_all() {
  for (auto& [sql, st] : cache_) st->reset();
}

namespace {

std::string join_roles(const std::vector<std::string>& roles) {
  std::string out;
  for (const auto& r : roles) out += (out.empty() ? "" : ",") + r;
  return out;
}

std::vector<std::string> split_roles(const std::string& s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  for (auto& r : split(s, ',')) out.push_back(r);
  return out;
}

template <class T>
std::optional<T> first(std::vector<T> v) {
  if (v.empty()) return std::nullopt;
  return std::move(v.front());
}

const char* kUserCols = "SELECT id, org_id, name, kind, roles FROM users ";
const char* kCertCols =
    "SELECT id, org_id, slug, name, key_path, cert_path, chain_path, password_env, password_file, "
    "pgp_key_path, "
    "pgp_password_env, pgp_password_file FROM certificates ";
const char* kTbsCols = "SELECT id, org_id, slug, name FROM trusted_build_systems ";
const char* kProjectCols =
    "SELECT id, org_id, slug, name, repository_url, default_ac_id, webhook_url, webhook_header_name, "
    "webhook_header_value FROM projects ";
const char* kAcCols = "SELECT id, project_id, slug, name, current_version FROM artifact_configurations ";
const char* kPolicyCols =
    "SELECT id, project_id, slug, name, certificate_id, required_approvals, verify_origin, allowed_branches "
    "FROM signing_policies ";

Certificate read_cert(sql::Stmt& st) {
  Certificate c;
  c.id = st.text(0);
  c.org_id = st.text(1);
  c.slug = st.text(2);
  c.name = st.text(3);
  c.key_path = st.text(4);
  c.cert_path = st.text(5);
  c.chain_path = st.text(6);
  c.password_env = st.text(7);
  c.password_file = st.text(8);
  c.pgp_key_path = st.text(9);
  c.pgp_password_env = st.text(10);
  c.pgp_password_file = st.text(11);
  return c;
}

std::vector<Certificate> read_certs(sql::Stmt& st) {
  std::vector<Certificate> out;
  while (st.step()) out.push_back(read_cert(st));
  return out;
}

std::vector<TrustedBuildSystem> read_tbs(sql::Stmt& st) {
  std::vector<TrustedBuildSystem> out;
  while (st.step()) out.push_back({st.text(0), st.text(1), st.text(2), st.text(3)});
  return out;
}

std::vector<ArtifactConfiguration> read_acs(sql::Stmt& st) {
  std::vector<ArtifactConfiguration> out;
  while (st.step())
    out.push_back({st.text(0), st.text(1), st.text(2), st.text(3), static_cast<int>(st.integer(4))});
  return out;
}

}  // namespace

// ---- organizations, users -------------------------------------------------------------------

std::optional<Organization> SqliteTx::organization(const std::string& id) {
  auto& st = c_.stmt("SELECT id, name FROM organizations WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return Organization{st.text(0), st.text(1)};
}

std::vector<Organization> SqliteTx::organizations() {
  auto& st = c_.stmt("SELECT id, name FROM organizations ORDER BY rowid");
  std::vector<Organization> out;
  while (st.step()) out.push_back({st.text(0), st.text(1)});
  return out;
}

void SqliteTx::put_organization(const Organization& org) {
  c_.stmt(
        "INSERT INTO organizations(id, name) VALUES(?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name")
      .bind(1, org.id)
      .bind(2, org.name)
      .run();
}

std::vector<User> SqliteTx::load_users(sql::Stmt& st) {
  std::vector<User> out;
  while (st.step()) {
    User u;
    u.id = st.text(0);
    u.org_id = st.text(1);
    u.name = st.text(2);
    u.kind = st.text(3);
    u.roles = split_roles(st.text(4));
    out.push_back(std::move(u));
  }
  return out;
}

std::optional<User> SqliteTx::user(const std::string& id) {
  auto& st = c_.stmt(std::string(kUserCols) + "WHERE id = ?");
  st.bind(1, id);
  return first(load_users(st));
}

std::optional<User> SqliteTx::user_by_name(const std::string& org_id, const std::string& name) {
  auto& st = c_.stmt(std::string(kUserCols) + "WHERE org_id = ? AND name = ?");
  st.bind(1, org_id).bind(2, name);
  return first(load_users(st));
}

std::optional<User> SqliteTx::user_by_token(const std::string& token_hash) {
  auto& st = c_.stmt(std::string(kUserCols) + "WHERE token_hash = ?");
  st.bind(1, token_hash);
  return first(load_users(st));
}

std::vector<User> SqliteTx::users(const std::string& org_id) {
  auto& st = c_.stmt(std::string(kUserCols) + "WHERE org_id = ? ORDER BY name");
  st.bind(1, org_id);
  return load_users(st);
}

void SqliteTx::put_user(const User& u, const std::optional<std::string>& token_hash) {
  c_.stmt(
        "INSERT INTO users(id, org_id, name, kind, roles) VALUES(?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE "
        "SET "
        "name = excluded.name, kind = excluded.kind, roles = excluded.roles")
      .bind(1, u.id)
      .bind(2, u.org_id)
      .bind(3, u.name)
      .bind(4, u.kind)
      .bind(5, join_roles(u.roles))
      .run();
  if (token_hash)
    c_.stmt("UPDATE users SET token_hash = ? WHERE id = ?").bind(1, *token_hash).bind(2, u.id).run();
}

std::string SqliteTx::user_token_hash(const std::string& user_id) {
  auto& st = c_.stmt("SELECT token_hash FROM users WHERE id = ?");
  st.bind(1, user_id);
  return st.step() ? st.text(0) : std::string();
}

// ---- certificates, trusted build systems ------------------------------------------------------

std::optional<Certificate> SqliteTx::certificate(const std::string& id) {
  auto& st = c_.stmt(std::string(kCertCols) + "WHERE id = ?");
  st.bind(1, id);
  return first(read_certs(st));
}

std::optional<Certificate> SqliteTx::certificate_by_slug(const std::string& org_id, const std::string& slug) {
  auto& st = c_.stmt(std::string(kCertCols) + "WHERE org_id = ? AND slug = ?");
  st.bind(1, org_id).bind(2, slug);
  return first(read_certs(st));
}

std::vector<Certificate> SqliteTx::certificates(const std::string& org_id) {
  auto& st = c_.stmt(std::string(kCertCols) + "WHERE org_id = ? ORDER BY slug");
  st.bind(1, org_id);
  return read_certs(st);
}

void SqliteTx::put_certificate(const Certificate& c) {
  c_.stmt(
        "INSERT INTO certificates(id, org_id, slug, name, key_path, cert_path, chain_path, password_env, "
        "password_file, pgp_key_path, pgp_password_env, pgp_password_file) VALUES(?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET slug = excluded.slug, name = excluded.name, key_path = "
        "excluded.key_path, "
        "cert_path = excluded.cert_path, chain_path = excluded.chain_path, password_env = "
        "excluded.password_env, "
        "password_file = excluded.password_file, pgp_key_path = excluded.pgp_key_path, "
        "pgp_password_env = excluded.pgp_password_env, pgp_password_file = excluded.pgp_password_file")
      .bind(1, c.id)
      .bind(2, c.org_id)
      .bind(3, c.slug)
      .bind(4, c.name)
      .bind(5, c.key_path)
      .bind(6, c.cert_path)
      .bind(7, c.chain_path)
      .bind(8, c.password_env)
      .bind(9, c.password_file)
      .bind(10, c.pgp_key_path)
      .bind(11, c.pgp_password_env)
      .bind(12, c.pgp_password_file)
      .run();
}

std::optional<TrustedBuildSystem> SqliteTx::trusted_build_system(const std::string& id) {
  auto& st = c_.stmt(std::string(kTbsCols) + "WHERE id = ?");
  st.bind(1, id);
  return first(read_tbs(st));
}

std::optional<TrustedBuildSystem> SqliteTx::trusted_build_system_by_slug(const std::string& org_id,
                                                                         const std::string& slug) {
  auto& st = c_.stmt(std::string(kTbsCols) + "WHERE org_id = ? AND slug = ?");
  st.bind(1, org_id).bind(2, slug);
  return first(read_tbs(st));
}

std::optional<TrustedBuildSystem> SqliteTx::trusted_build_system_by_token(const std::string& token_hash) {
  auto& st = c_.stmt(std::string(kTbsCols) + "WHERE token_hash = ?");
  st.bind(1, token_hash);
  return first(read_tbs(st));
}

void SqliteTx::put_trusted_build_system(const TrustedBuildSystem& t,
                                        const std::optional<std::string>& token_hash) {
  c_.stmt(
        "INSERT INTO trusted_build_systems(id, org_id, slug, name) VALUES(?,?,?,?) ON CONFLICT(id) DO UPDATE "
        "SET "
        "slug = excluded.slug, name = excluded.name")
      .bind(1, t.id)
      .bind(2, t.org_id)
      .bind(3, t.slug)
      .bind(4, t.name)
      .run();
  if (token_hash) {
    c_.stmt("UPDATE trusted_build_systems SET token_hash = ? WHERE id = ?")
        .bind(1, *token_hash)
        .bind(2, t.id)
        .run();
  }
}

std::string SqliteTx::trusted_build_system_token_hash(const std::string& id) {
  auto& st = c_.stmt("SELECT token_hash FROM trusted_build_systems WHERE id = ?");
  st.bind(1, id);
  return st.step() ? st.text(0) : std::string();
}

// ---- projects, artifact configurations, policies -----------------------------------------------

std::vector<Project> SqliteTx::load_projects(sql::Stmt& st) {
  std::vector<Project> out;
  while (st.step()) {
    Project p;
    p.id = st.text(0);
    p.org_id = st.text(1);
    p.slug = st.text(2);
    p.name = st.text(3);
    p.repository_url = st.text(4);
    p.default_ac_id = st.text(5);
    if (!st.text(6).empty()) p.webhook = Webhook{st.text(6), st.text(7), st.text(8)};
    out.push_back(std::move(p));
  }
  for (auto& p : out) {
    auto& t =
        c_.stmt("SELECT tbs_id FROM project_trusted_build_systems WHERE project_id = ? ORDER BY tbs_id");
    t.bind(1, p.id);
    while (t.step()) p.trusted_build_system_ids.push_back(t.text(0));
  }
  return out;
}

std::optional<Project> SqliteTx::project(const std::string& id) {
  auto& st = c_.stmt(std::string(kProjectCols) + "WHERE id = ?");
  st.bind(1, id);
  return first(load_projects(st));
}

std::optional<Project> SqliteTx::project_by_slug(const std::string& org_id, const std::string& slug) {
  auto& st = c_.stmt(std::string(kProjectCols) + "WHERE org_id = ? AND slug = ?");
  st.bind(1, org_id).bind(2, slug);
  return first(load_projects(st));
}

std::vector<Project> SqliteTx::projects(const std::string& org_id) {
  auto& st = c_.stmt(std::string(kProjectCols) + "WHERE org_id = ? ORDER BY slug");
  st.bind(1, org_id);
  return load_projects(st);
}

void SqliteTx::put_project(const Project& p) {
  auto& st = c_.stmt(
      "INSERT INTO projects(id, org_id, slug, name, repository_url, default_ac_id, webhook_url, "
      "webhook_header_name, "
      "webhook_header_value) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET slug = excluded.slug, "
      "name = excluded.name, repository_url = excluded.repository_url, default_ac_id = "
      "excluded.default_ac_id, "
      "webhook_url = excluded.webhook_url, webhook_header_name = excluded.webhook_header_name, "
      "webhook_header_value = excluded.webhook_header_value");
  st.bind(1, p.id).bind(2, p.org_id).bind(3, p.slug).bind(4, p.name).bind(5, p.repository_url);
  if (p.default_ac_id.empty())
    st.bind_null(6);
  else
    st.bind(6, p.default_ac_id);
  st.bind(7, p.webhook ? p.webhook->url : "");
  st.bind(8, p.webhook ? p.webhook->header_name : "");
  st.bind(9, p.webhook ? p.webhook->header_value : "");
  st.run();
  c_.stmt("DELETE FROM project_trusted_build_systems WHERE project_id = ?").bind(1, p.id).run();
  for (const auto& t : p.trusted_build_system_ids) {
    c_.stmt("INSERT INTO project_trusted_build_systems(project_id, tbs_id) VALUES(?, ?)")
        .bind(1, p.id)
        .bind(2, t)
        .run();
  }
}

std::optional<ArtifactConfiguration> SqliteTx::artifact_configuration(const std::string& id) {
  auto& st = c_.stmt(std::string(kAcCols) + "WHERE id = ?");
  st.bind(1, id);
  return first(read_acs(st));
}

std::optional<ArtifactConfiguration> SqliteTx::artifact_configuration_by_slug(const std::string& project_id,
                                                                              const std::string& slug) {
  auto& st = c_.stmt(std::string(kAcCols) + "WHERE project_id = ? AND slug = ?");
  st.bind(1, project_id).bind(2, slug);
  return first(read_acs(st));
}

std::vector<ArtifactConfiguration> SqliteTx::artifact_configurations(const std::string& project_id) {
  auto& st = c_.stmt(std::string(kAcCols) + "WHERE project_id = ? ORDER BY slug");
  st.bind(1, project_id);
  return read_acs(st);
}

void SqliteTx::put_artifact_configuration(const ArtifactConfiguration& a) {
  c_.stmt(
        "INSERT INTO artifact_configurations(id, project_id, slug, name, current_version) VALUES(?,?,?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET slug = excluded.slug, name = excluded.name")
      .bind(1, a.id)
      .bind(2, a.project_id)
      .bind(3, a.slug)
      .bind(4, a.name)
      .bind(5, a.current_version)
      .run();
}

std::optional<AcVersion> SqliteTx::ac_version(const std::string& ac_id, int version) {
  auto& st = c_.stmt(
      "SELECT ac_id, version, xml, sha256, created_ms, created_by FROM artifact_configuration_versions "
      "WHERE ac_id = ? AND version = ?");
  st.bind(1, ac_id).bind(2, version);
  if (!st.step()) return std::nullopt;
  return AcVersion{st.text(0), static_cast<int>(st.integer(1)), st.text(2),
                   st.text(3), format_time(st.integer(4)),      st.text(5)};
}

std::vector<AcVersion> SqliteTx::ac_versions(const std::string& ac_id) {
  auto& st = c_.stmt(
      "SELECT ac_id, version, sha256, created_ms, created_by FROM artifact_configuration_versions WHERE "
      "ac_id = ? "
      "ORDER BY version");
  st.bind(1, ac_id);
  std::vector<AcVersion> out;
  while (st.step()) {
    out.push_back({st.text(0), static_cast<int>(st.integer(1)), "", st.text(2), format_time(st.integer(3)),
                   st.text(4)});
  }
  return out;
}

int SqliteTx::add_ac_version(const std::string& ac_id, const std::string& xml,
                             const std::string& created_by) {
  auto& st = c_.stmt("SELECT COALESCE(MAX(version), 0) FROM artifact_configuration_versions WHERE ac_id = ?");
  st.bind(1, ac_id);
  st.step();
  int version = static_cast<int>(st.integer(0)) + 1;
  c_.stmt(
        "INSERT INTO artifact_configuration_versions(ac_id, version, xml, sha256, created_ms, created_by) "
        "VALUES(?,?,?,?,?,?)")
      .bind(1, ac_id)
      .bind(2, version)
      .bind(3, xml)
      .bind(4, sha256_hex(xml))
      .bind(5, now_ms())
      .bind(6, created_by)
      .run();
  c_.stmt("UPDATE artifact_configurations SET current_version = ? WHERE id = ?")
      .bind(1, version)
      .bind(2, ac_id)
      .run();
  return version;
}

std::vector<SigningPolicy> SqliteTx::load_policies(sql::Stmt& st) {
  std::vector<SigningPolicy> out;
  while (st.step()) {
    SigningPolicy p;
    p.id = st.text(0);
    p.project_id = st.text(1);
    p.slug = st.text(2);
    p.name = st.text(3);
    p.certificate_id = st.text(4);
    p.required_approvals = static_cast<int>(st.integer(5));
    p.verify_origin = st.integer(6) != 0;
    p.allowed_branches = json::parse(st.text(7)).get<std::vector<std::string>>();
    out.push_back(std::move(p));
  }
  for (auto& p : out) {
    auto& m = c_.stmt("SELECT user_id, role FROM policy_members WHERE policy_id = ? ORDER BY rowid");
    m.bind(1, p.id);
    while (m.step()) (m.text(1) == "submitter" ? p.submitters : p.approvers).push_back(m.text(0));
  }
  return out;
}

std::optional<SigningPolicy> SqliteTx::signing_policy(const std::string& id) {
  auto& st = c_.stmt(std::string(kPolicyCols) + "WHERE id = ?");
  st.bind(1, id);
  return first(load_policies(st));
}

std::optional<SigningPolicy> SqliteTx::signing_policy_by_slug(const std::string& project_id,
                                                              const std::string& slug) {
  auto& st = c_.stmt(std::string(kPolicyCols) + "WHERE project_id = ? AND slug = ?");
  st.bind(1, project_id).bind(2, slug);
  return first(load_policies(st));
}

std::vector<SigningPolicy> SqliteTx::signing_policies(const std::string& project_id) {
  auto& st = c_.stmt(std::string(kPolicyCols) + "WHERE project_id = ? ORDER BY slug");
  st.bind(1, project_id);
  return load_policies(st);
}

void SqliteTx::put_signing_policy(const SigningPolicy& p) {
  c_.stmt(
        "INSERT INTO signing_policies(id, project_id, slug, name, certificate_id, required_approvals, "
        "verify_origin, "
        "allowed_branches) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET slug = excluded.slug, "
        "name = excluded.name, certificate_id = excluded.certificate_id, required_approvals = "
        "excluded.required_approvals, verify_origin = excluded.verify_origin, allowed_branches = "
        "excluded.allowed_branches")
      .bind(1, p.id)
      .bind(2, p.project_id)
      .bind(3, p.slug)
      .bind(4, p.name)
      .bind(5, p.certificate_id)
      .bind(6, p.required_approvals)
      .bind(7, p.verify_origin)
      .bind(8, json(p.allowed_branches).dump())
      .run();
  c_.stmt("DELETE FROM policy_members WHERE policy_id = ?").bind(1, p.id).run();
  for (const auto& [ids, role] :
       {std::pair{&p.submitters, "submitter"}, std::pair{&p.approvers, "approver"}}) {
    for (const auto& u : *ids) {
      c_.stmt("INSERT OR IGNORE INTO policy_members(policy_id, user_id, role) VALUES(?,?,?)")
          .bind(1, p.id)
          .bind(2, u)
          .bind(3, role)
          .run();
    }
  }
}

}  // namespace signet::service
