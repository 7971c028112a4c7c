// The SQLite implementation of Tx: plain SQL over the schema in migrate().
#include "service/sqlite_tx.hpp"

#include "io/error.hpp"
#include "service/audit.hpp"
#include "service/sqlite_rowmap.hpp"
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

const auto I = Write::insert_only;

const RowMap<User> kUsers("users", "id",
                          {col("id", &User::id, I), col("org_id", &User::org_id, I), col("name", &User::name),
                           col("kind", &User::kind),
                           text_col<User>(
                               "roles", [](const User& u) { return join_roles(u.roles); },
                               [](User& u, const std::string& s) { u.roles = split_roles(s); })});

const RowMap<Certificate> kCerts(
    "certificates", "id",
    {col("id", &Certificate::id, I), col("org_id", &Certificate::org_id, I), col("slug", &Certificate::slug),
     col("name", &Certificate::name), col("key_path", &Certificate::key_path),
     col("cert_path", &Certificate::cert_path), col("chain_path", &Certificate::chain_path),
     col("password_env", &Certificate::password_env), col("password_file", &Certificate::password_file),
     col("pgp_key_path", &Certificate::pgp_key_path), col("pgp_password_env", &Certificate::pgp_password_env),
     col("pgp_password_file", &Certificate::pgp_password_file)});

const RowMap<TrustedBuildSystem> kTbs("trusted_build_systems", "id",
                                      {col("id", &TrustedBuildSystem::id, I),
                                       col("org_id", &TrustedBuildSystem::org_id, I),
                                       col("slug", &TrustedBuildSystem::slug),
                                       col("name", &TrustedBuildSystem::name)});

// The optional webhook is three columns; "" in webhook_url means none.
std::string webhook_part(const Project& p, std::string Webhook::*m) {
  return p.webhook ? *p.webhook.*m : "";
}

const RowMap<Project> kProjects(
    "projects", "id",
    {col("id", &Project::id, I), col("org_id", &Project::org_id, I), col("slug", &Project::slug),
     col("name", &Project::name), col("repository_url", &Project::repository_url),
     nullable_col("default_ac_id", &Project::default_ac_id),
     text_col<Project>(
         "webhook_url", [](const Project& p) { return webhook_part(p, &Webhook::url); },
         [](Project& p, const std::string& s) {
           if (!s.empty()) p.webhook = Webhook{s, "", ""};
         }),
     text_col<Project>(
         "webhook_header_name", [](const Project& p) { return webhook_part(p, &Webhook::header_name); },
         [](Project& p, const std::string& s) {
           if (p.webhook) p.webhook->header_name = s;
         }),
     text_col<Project>(
         "webhook_header_value", [](const Project& p) { return webhook_part(p, &Webhook::header_value); },
         [](Project& p, const std::string& s) {
           if (p.webhook) p.webhook->header_value = s;
         })});

// current_version is kept by add_ac_version, never by an upsert.
const RowMap<ArtifactConfiguration> kAcs(
    "artifact_configurations", "id",
    {col("id", &ArtifactConfiguration::id, I), col("project_id", &ArtifactConfiguration::project_id, I),
     col("slug", &ArtifactConfiguration::slug), col("name", &ArtifactConfiguration::name),
     col("current_version", &ArtifactConfiguration::current_version, I)});

const RowMap<SigningPolicy> kPolicies(
    "signing_policies", "id",
    {col("id", &SigningPolicy::id, I), col("project_id", &SigningPolicy::project_id, I),
     col("slug", &SigningPolicy::slug), col("name", &SigningPolicy::name),
     col("certificate_id", &SigningPolicy::certificate_id),
     col("required_approvals", &SigningPolicy::required_approvals),
     col("verify_origin", &SigningPolicy::verify_origin),
     text_col<SigningPolicy>(
         "allowed_branches", [](const SigningPolicy& p) { return json(p.allowed_branches).dump(); },
         [](SigningPolicy& p, const std::string& s) {
           p.allowed_branches = json::parse(s).get<std::vector<std::string>>();
         })});

// Upserts a row through its map.
template <class T>
void upsert(SqliteConn& c, const RowMap<T>& map, const T& t) {
  map.bind_insert(c.stmt(map.upsert()), t).run();
}

}  // namespace

// ---- organizations, users -------------------------------------------------------------------

std::optional<Organization> SqliteTx::organization(const std::string& id) {
  auto& st = c_.query("SELECT id, name FROM organizations WHERE id = ?", id);
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
  c_.run(
      "INSERT INTO organizations(id, name) VALUES(?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name",
      org.id, org.name);
}

std::optional<User> SqliteTx::user(const std::string& id) {
  return first(kUsers.read_all(c_.query(kUsers.select() + "WHERE id = ?", id)));
}

std::optional<User> SqliteTx::user_by_name(const std::string& org_id, const std::string& name) {
  return first(kUsers.read_all(c_.query(kUsers.select() + "WHERE org_id = ? AND name = ?", org_id, name)));
}

std::optional<User> SqliteTx::user_by_token(const std::string& token_hash) {
  return first(kUsers.read_all(c_.query(kUsers.select() + "WHERE token_hash = ?", token_hash)));
}

std::vector<User> SqliteTx::users(const std::string& org_id) {
  return kUsers.read_all(c_.query(kUsers.select() + "WHERE org_id = ? ORDER BY name", org_id));
}

void SqliteTx::put_user(const User& u, const std::optional<std::string>& token_hash) {
  upsert(c_, kUsers, u);
  if (token_hash) c_.run("UPDATE users SET token_hash = ? WHERE id = ?", *token_hash, u.id);
}

std::string SqliteTx::user_token_hash(const std::string& user_id) {
  auto& st = c_.query("SELECT token_hash FROM users WHERE id = ?", user_id);
  return st.step() ? st.text(0) : std::string();
}

// ---- certificates, trusted build systems ------------------------------------------------------

std::optional<Certificate> SqliteTx::certificate(const std::string& id) {
  return first(kCerts.read_all(c_.query(kCerts.select() + "WHERE id = ?", id)));
}

std::optional<Certificate> SqliteTx::certificate_by_slug(const std::string& org_id, const std::string& slug) {
  return first(kCerts.read_all(c_.query(kCerts.select() + "WHERE org_id = ? AND slug = ?", org_id, slug)));
}

std::vector<Certificate> SqliteTx::certificates(const std::string& org_id) {
  return kCerts.read_all(c_.query(kCerts.select() + "WHERE org_id = ? ORDER BY slug", org_id));
}

void SqliteTx::put_certificate(const Certificate& c) {
  upsert(c_, kCerts, c);
}

std::optional<TrustedBuildSystem> SqliteTx::trusted_build_system(const std::string& id) {
  return first(kTbs.read_all(c_.query(kTbs.select() + "WHERE id = ?", id)));
}

std::optional<TrustedBuildSystem> SqliteTx::trusted_build_system_by_slug(const std::string& org_id,
                                                                         const std::string& slug) {
  return first(kTbs.read_all(c_.query(kTbs.select() + "WHERE org_id = ? AND slug = ?", org_id, slug)));
}

std::optional<TrustedBuildSystem> SqliteTx::trusted_build_system_by_token(const std::string& token_hash) {
  return first(kTbs.read_all(c_.query(kTbs.select() + "WHERE token_hash = ?", token_hash)));
}

void SqliteTx::put_trusted_build_system(const TrustedBuildSystem& t,
                                        const std::optional<std::string>& token_hash) {
  upsert(c_, kTbs, t);
  if (token_hash) c_.run("UPDATE trusted_build_systems SET token_hash = ? WHERE id = ?", *token_hash, t.id);
}

std::string SqliteTx::trusted_build_system_token_hash(const std::string& id) {
  auto& st = c_.query("SELECT token_hash FROM trusted_build_systems WHERE id = ?", id);
  return st.step() ? st.text(0) : std::string();
}

// ---- projects, artifact configurations, policies -----------------------------------------------

std::vector<Project> SqliteTx::load_projects(sql::Stmt& st) {
  std::vector<Project> out = kProjects.read_all(st);
  for (auto& p : out) {
    auto& t = c_.query(
        "SELECT tbs_id FROM project_trusted_build_systems WHERE project_id = ? ORDER BY tbs_id", p.id);
    while (t.step()) p.trusted_build_system_ids.push_back(t.text(0));
  }
  return out;
}

std::optional<Project> SqliteTx::project(const std::string& id) {
  return first(load_projects(c_.query(kProjects.select() + "WHERE id = ?", id)));
}

std::optional<Project> SqliteTx::project_by_slug(const std::string& org_id, const std::string& slug) {
  return first(load_projects(c_.query(kProjects.select() + "WHERE org_id = ? AND slug = ?", org_id, slug)));
}

std::vector<Project> SqliteTx::projects(const std::string& org_id) {
  return load_projects(c_.query(kProjects.select() + "WHERE org_id = ? ORDER BY slug", org_id));
}

void SqliteTx::put_project(const Project& p) {
  upsert(c_, kProjects, p);
  c_.run("DELETE FROM project_trusted_build_systems WHERE project_id = ?", p.id);
  for (const auto& t : p.trusted_build_system_ids) {
    c_.run("INSERT INTO project_trusted_build_systems(project_id, tbs_id) VALUES(?, ?)", p.id, t);
  }
}

std::optional<ArtifactConfiguration> SqliteTx::artifact_configuration(const std::string& id) {
  return first(kAcs.read_all(c_.query(kAcs.select() + "WHERE id = ?", id)));
}

std::optional<ArtifactConfiguration> SqliteTx::artifact_configuration_by_slug(const std::string& project_id,
                                                                              const std::string& slug) {
  return first(
      kAcs.read_all(c_.query(kAcs.select() + "WHERE project_id = ? AND slug = ?", project_id, slug)));
}

std::vector<ArtifactConfiguration> SqliteTx::artifact_configurations(const std::string& project_id) {
  return kAcs.read_all(c_.query(kAcs.select() + "WHERE project_id = ? ORDER BY slug", project_id));
}

void SqliteTx::put_artifact_configuration(const ArtifactConfiguration& a) {
  upsert(c_, kAcs, a);
}

std::optional<AcVersion> SqliteTx::ac_version(const std::string& ac_id, int version) {
  auto& st = c_.query(
      "SELECT ac_id, version, xml, sha256, created_ms, created_by FROM artifact_configuration_versions "
      "WHERE ac_id = ? AND version = ?",
      ac_id, version);
  if (!st.step()) return std::nullopt;
  return AcVersion{st.text(0), static_cast<int>(st.integer(1)), st.text(2),
                   st.text(3), format_time(st.integer(4)),      st.text(5)};
}

std::vector<AcVersion> SqliteTx::ac_versions(const std::string& ac_id) {
  auto& st = c_.query(
      "SELECT ac_id, version, sha256, created_ms, created_by FROM artifact_configuration_versions WHERE "
      "ac_id = ? "
      "ORDER BY version",
      ac_id);
  std::vector<AcVersion> out;
  while (st.step()) {
    out.push_back({st.text(0), static_cast<int>(st.integer(1)), "", st.text(2), format_time(st.integer(3)),
                   st.text(4)});
  }
  return out;
}

int SqliteTx::add_ac_version(const std::string& ac_id, const std::string& xml,
                             const std::string& created_by) {
  auto& st = c_.query("SELECT COALESCE(MAX(version), 0) FROM artifact_configuration_versions WHERE ac_id = ?",
                      ac_id);
  st.step();
  int version = static_cast<int>(st.integer(0)) + 1;
  c_.run(
      "INSERT INTO artifact_configuration_versions(ac_id, version, xml, sha256, created_ms, created_by) "
      "VALUES(?,?,?,?,?,?)",
      ac_id, version, xml, sha256_hex(xml), now_ms(), created_by);
  c_.run("UPDATE artifact_configurations SET current_version = ? WHERE id = ?", version, ac_id);
  return version;
}

std::vector<SigningPolicy> SqliteTx::load_policies(sql::Stmt& st) {
  std::vector<SigningPolicy> out = kPolicies.read_all(st);
  for (auto& p : out) {
    auto& m = c_.query("SELECT user_id, role FROM policy_members WHERE policy_id = ? ORDER BY rowid", p.id);
    while (m.step()) (m.text(1) == "submitter" ? p.submitters : p.approvers).push_back(m.text(0));
  }
  return out;
}

std::optional<SigningPolicy> SqliteTx::signing_policy(const std::string& id) {
  return first(load_policies(c_.query(kPolicies.select() + "WHERE id = ?", id)));
}

std::optional<SigningPolicy> SqliteTx::signing_policy_by_slug(const std::string& project_id,
                                                              const std::string& slug) {
  return first(
      load_policies(c_.query(kPolicies.select() + "WHERE project_id = ? AND slug = ?", project_id, slug)));
}

std::vector<SigningPolicy> SqliteTx::signing_policies(const std::string& project_id) {
  return load_policies(c_.query(kPolicies.select() + "WHERE project_id = ? ORDER BY slug", project_id));
}

void SqliteTx::put_signing_policy(const SigningPolicy& p) {
  upsert(c_, kPolicies, p);
  c_.run("DELETE FROM policy_members WHERE policy_id = ?", p.id);
  for (const auto& [ids, role] :
       {std::pair{&p.submitters, "submitter"}, std::pair{&p.approvers, "approver"}}) {
    for (const auto& u : *ids) {
      c_.run("INSERT OR IGNORE INTO policy_members(policy_id, user_id, role) VALUES(?,?,?)", p.id, u, role);
    }
  }
}

}  // namespace signet::service
