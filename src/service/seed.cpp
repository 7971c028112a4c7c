// The seed file: parsing and checking (YAML via yaml-cpp; JSON is YAML too) and idempotent apply.
#include "service/seed.hpp"

#include <yaml-cpp/yaml.h>

#include <set>

#include "io/error.hpp"
#include "service/keys.hpp"
#include "service/requests.hpp"
#include "service/util.hpp"

namespace signet::service {

namespace fs = std::filesystem;

namespace {

class Parser {
 public:
  explicit Parser(fs::path file) : file_(std::move(file)), dir_(file_.parent_path()) {}

  void error(const YAML::Node& n, const std::string& where, const std::string& msg) {
    io::Location loc{file_.string()};
    if (n.IsDefined()) {
      loc.line = n.Mark().line + 1;
      loc.column = n.Mark().column + 1;
    }
    errors.emplace_back((where.empty() ? "" : where + ": ") + msg, loc);
  }

  bool map(const YAML::Node& n, const std::string& where, std::initializer_list<const char*> allowed) {
    if (!n.IsMap()) {
      error(n, where, "must be a mapping");
      return false;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = it->first.Scalar();
      bool ok = false;
      for (const char* a : allowed) ok = ok || key == a;
      if (!ok) {
        std::string list;
        for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        error(it->first, where, "unknown key '" + key + "' (allowed: " + list + ")");
      }
    }
    return true;
  }

  std::string str(const YAML::Node& n, const char* key, const std::string& where, bool required) {
    YAML::Node v = n[key];
    if (!v.IsDefined() || v.IsNull()) {
      if (required) error(n, where, "'" + std::string(key) + "' is required");
      return {};
    }
    if (!v.IsScalar()) {
      error(v, where, "'" + std::string(key) + "' must be a string");
      return {};
    }
    return v.Scalar();
  }

  // An optional scalar of type T; `must` completes "'key' must be ..." when it does not convert.
  template <class T>
  T scalar(const YAML::Node& n, const char* key, const std::string& where, T def, const char* must) {
    YAML::Node v = n[key];
    if (!v.IsDefined() || v.IsNull()) return def;
    try {
      return v.as<T>();
    } catch (const YAML::Exception&) {
      error(v, where, "'" + std::string(key) + "' must be " + must);
      return def;
    }
  }

  bool boolean(const YAML::Node& n, const char* key, const std::string& where, bool def) {
    return scalar<bool>(n, key, where, def, "true or false");
  }

  int integer(const YAML::Node& n, const char* key, const std::string& where, int def) {
    return scalar<int>(n, key, where, def, "an integer");
  }

  std::vector<std::string> list(const YAML::Node& n, const char* key, const std::string& where) {
    std::vector<std::string> out;
    YAML::Node v = n[key];
    if (!v.IsDefined() || v.IsNull()) return out;
    if (!v.IsSequence()) {
      error(v, where, "'" + std::string(key) + "' must be a list");
      return out;
    }
    for (const auto& item : v) {
      if (!item.IsScalar())
        error(item, where, "'" + std::string(key) + "' items must be strings");
      else
        out.push_back(item.Scalar());
    }
    return out;
  }

  // A file path from the seed, relative to the seed's directory; must exist.
  std::string path(const YAML::Node& n, const char* key, const std::string& where, bool required) {
    std::string p = str(n, key, where, required);
    if (p.empty()) return p;
    fs::path full = fs::path(p).is_absolute() ? fs::path(p) : dir_ / p;
    std::error_code ec;
    if (!fs::is_regular_file(full, ec)) {
      error(n[key], where, "'" + std::string(key) + "' file not found: " + full.string());
      return {};
    }
    return fs::absolute(full).lexically_normal().string();
  }

  YAML::Node seq(const YAML::Node& root, const char* key) {
    YAML::Node v = root[key];
    if (v.IsDefined() && !v.IsNull() && !v.IsSequence()) {
      error(v, key, "must be a list");
      return YAML::Node(YAML::NodeType::Sequence);
    }
    return v.IsDefined() && !v.IsNull() ? v : YAML::Node(YAML::NodeType::Sequence);
  }

  std::vector<io::Error> errors;
  fs::path file_, dir_;
};

std::string entry(const char* list, size_t i, const std::string& name) {
  return std::string(list) + "[" + std::to_string(i) + "]" + (name.empty() ? "" : " '" + name + "'");
}

void check_token(Parser& p, const YAML::Node& n, const std::string& where, const std::string& token,
                 std::set<std::string>& tokens) {
  if (token.empty()) return;
  if (token.find(':') != std::string::npos || token.find_first_of(" \t\r\n") != std::string::npos) {
    p.error(n["token"], where, "token must not contain ':' or whitespace");
  }
  if (!tokens.insert(token).second) p.error(n["token"], where, "token is already used by another entry");
}

}  // namespace

Seed load_seed(const fs::path& file) {
  Parser p(file);
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::BadFile&) {
    throw io::Error("cannot read seed file", io::Location{file.string()});
  } catch (const YAML::ParserException& e) {
    throw io::Error("not valid YAML or JSON: " + e.msg,
                    io::Location{file.string(), e.mark.line + 1, e.mark.column + 1});
  }
  Seed seed;
  if (!p.map(root, "", {"organization", "users", "certificates", "trusted-build-systems", "projects"})) {
    throw io::ErrorList(p.errors);
  }
  YAML::Node org = root["organization"];
  if (!org.IsDefined()) {
    p.error(root, "", "'organization' is required");
  } else if (p.map(org, "organization", {"id", "name"})) {
    seed.organization.id = to_lower(p.str(org, "id", "organization", true));
    seed.organization.name = p.str(org, "name", "organization", true);
    if (!seed.organization.id.empty() && !is_uuid(seed.organization.id)) {
      p.error(org["id"], "organization", "id must be a GUID (e.g. 3f1c0e4a-8a52-4c43-9f4e-2f3f5d2b7a10)");
    }
  }

  std::set<std::string> tokens, users, certs, tbss, projects;
  size_t i = 0;
  for (const auto& n : p.seq(root, "users")) {
    std::string where = entry("users", i++, n.IsMap() ? p.str(n, "name", "", false) : "");
    if (!p.map(n, where, {"name", "kind", "token", "roles"})) continue;
    SeedUser u;
    u.name = p.str(n, "name", where, true);
    u.kind = p.str(n, "kind", where, false);
    if (u.kind.empty()) u.kind = "interactive";
    u.token = p.str(n, "token", where, false);
    u.roles = p.list(n, "roles", where);
    if (u.kind != "ci" && u.kind != "interactive")
      p.error(n["kind"], where, "kind must be 'ci' or 'interactive'");
    if (u.kind == "ci" && u.token.empty()) p.error(n, where, "a CI user needs a 'token'");
    for (const auto& r : u.roles) {
      if (std::find(known_roles().begin(), known_roles().end(), r) == known_roles().end()) {
        p.error(n["roles"], where,
                "unknown role '" + r +
                    "' (GlobalAdministrator, CertificateAdministrator, "
                    "UserAdministrator, ProjectAdministrator, GlobalReader, RegularUser)");
      }
    }
    check_token(p, n, where, u.token, tokens);
    if (!u.name.empty() && !users.insert(u.name).second) p.error(n["name"], where, "duplicate user name");
    seed.users.push_back(std::move(u));
  }

  i = 0;
  for (const auto& n : p.seq(root, "certificates")) {
    std::string where = entry("certificates", i++, n.IsMap() ? p.str(n, "slug", "", false) : "");
    if (!p.map(n, where,
               {"slug", "name", "key", "certificate", "chain", "password-env", "password-file", "pgp-key",
                "pgp-password-env", "pgp-password-file"})) {
      continue;
    }
    SeedCertificate c;
    c.slug = p.str(n, "slug", where, true);
    c.name = p.str(n, "name", where, false);
    c.key = p.path(n, "key", where, false);
    c.certificate = p.path(n, "certificate", where, false);
    c.chain = p.path(n, "chain", where, false);
    c.password_env = p.str(n, "password-env", where, false);
    c.password_file = p.path(n, "password-file", where, false);
    c.pgp_key = p.path(n, "pgp-key", where, false);
    c.pgp_password_env = p.str(n, "pgp-password-env", where, false);
    c.pgp_password_file = p.path(n, "pgp-password-file", where, false);
    size_t before = p.errors.size();
    if (!n["key"].IsDefined() && !n["pgp-key"].IsDefined())
      p.error(n, where, "needs 'key' (X.509) or 'pgp-key' (GPG)");
    if (n["certificate"].IsDefined() && !n["key"].IsDefined()) p.error(n, where, "'certificate' needs 'key'");
    if (!c.slug.empty() && !certs.insert(c.slug).second)
      p.error(n["slug"], where, "duplicate certificate slug");
    if (p.errors.size() == before) {
      // Load the keys now so a wrong path or password stops start-up instead of a signing request.
      Certificate probe{"",
                        "",
                        c.slug,
                        c.name,
                        c.key,
                        c.certificate,
                        c.chain,
                        c.password_env,
                        c.password_file,
                        c.pgp_key,
                        c.pgp_password_env,
                        c.pgp_password_file};
      try {
        KeyCache::load(probe);
      } catch (const io::Error& e) {
        p.error(n, where, e.what());
      }
    }
    seed.certificates.push_back(std::move(c));
  }

  i = 0;
  for (const auto& n : p.seq(root, "trusted-build-systems")) {
    std::string where = entry("trusted-build-systems", i++, n.IsMap() ? p.str(n, "slug", "", false) : "");
    if (!p.map(n, where, {"slug", "name", "token"})) continue;
    SeedTbs t;
    t.slug = p.str(n, "slug", where, true);
    t.name = p.str(n, "name", where, false);
    t.token = p.str(n, "token", where, true);
    check_token(p, n, where, t.token, tokens);
    if (!t.slug.empty() && !tbss.insert(t.slug).second)
      p.error(n["slug"], where, "duplicate trusted build system slug");
    seed.trusted_build_systems.push_back(std::move(t));
  }

  i = 0;
  for (const auto& n : p.seq(root, "projects")) {
    std::string where = entry("projects", i++, n.IsMap() ? p.str(n, "slug", "", false) : "");
    if (!p.map(n, where,
               {"slug", "name", "repository-url", "trusted-build-systems", "artifact-configurations",
                "signing-policies", "webhook"})) {
      continue;
    }
    SeedProject pr;
    pr.slug = p.str(n, "slug", where, true);
    pr.name = p.str(n, "name", where, false);
    pr.repository_url = p.str(n, "repository-url", where, false);
    pr.trusted_build_systems = p.list(n, "trusted-build-systems", where);
    if (!pr.slug.empty() && !projects.insert(pr.slug).second)
      p.error(n["slug"], where, "duplicate project slug");
    for (const auto& t : pr.trusted_build_systems) {
      if (!tbss.count(t))
        p.error(n["trusted-build-systems"], where, "trusted build system '" + t + "' is not defined");
    }
    if (YAML::Node w = n["webhook"];
        w.IsDefined() && p.map(w, where + " webhook", {"url", "header-name", "header-value"})) {
      Webhook hook{p.str(w, "url", where + " webhook", true),
                   p.str(w, "header-name", where + " webhook", false),
                   p.str(w, "header-value", where + " webhook", false)};
      if (!hook.url.empty() && hook.url.rfind("http://", 0) != 0 && hook.url.rfind("https://", 0) != 0) {
        p.error(w["url"], where + " webhook", "url must start with https:// or http://");
      }
      pr.webhook = hook;
    }
    std::set<std::string> acs, pols;
    int defaults = 0;
    size_t j = 0;
    YAML::Node acn = n["artifact-configurations"];
    if (!acn.IsDefined() || !acn.IsSequence() || acn.size() == 0) {
      p.error(n, where, "'artifact-configurations' must list at least one configuration");
    } else {
      for (const auto& a : acn) {
        std::string aw =
            where + " " + entry("artifact-configurations", j++, a.IsMap() ? p.str(a, "slug", "", false) : "");
        if (!p.map(a, aw, {"slug", "name", "file", "default"})) continue;
        SeedAc ac;
        ac.slug = p.str(a, "slug", aw, true);
        ac.name = p.str(a, "name", aw, false);
        ac.is_default = p.boolean(a, "default", aw, false);
        defaults += ac.is_default;
        std::string f = p.path(a, "file", aw, true);
        if (!ac.slug.empty() && !acs.insert(ac.slug).second)
          p.error(a["slug"], aw, "duplicate artifact configuration slug");
        if (!f.empty()) {
          ac.source = f;
          ac.xml = read_text_file(f, 4u << 20);
          for (const auto& problem : validate_configuration(ac.xml, f, nullptr)) {
            p.error(a["file"], aw, "invalid artifact configuration: " + problem);
          }
        }
        pr.artifact_configurations.push_back(std::move(ac));
      }
      if (defaults > 1) p.error(acn, where, "only one artifact configuration can be the default");
    }
    j = 0;
    YAML::Node pn = n["signing-policies"];
    if (!pn.IsDefined() || !pn.IsSequence() || pn.size() == 0) {
      p.error(n, where, "'signing-policies' must list at least one policy");
    } else {
      for (const auto& s : pn) {
        std::string sw =
            where + " " + entry("signing-policies", j++, s.IsMap() ? p.str(s, "slug", "", false) : "");
        if (!p.map(s, sw,
                   {"slug", "name", "certificate", "submitters", "approvers", "required-approvals",
                    "verify-origin", "allowed-branches"})) {
          continue;
        }
        SeedPolicy pol;
        pol.slug = p.str(s, "slug", sw, true);
        pol.name = p.str(s, "name", sw, false);
        pol.certificate = p.str(s, "certificate", sw, true);
        pol.submitters = p.list(s, "submitters", sw);
        pol.approvers = p.list(s, "approvers", sw);
        pol.required_approvals = p.integer(s, "required-approvals", sw, 0);
        pol.verify_origin = p.boolean(s, "verify-origin", sw, false);
        if (s["allowed-branches"].IsDefined()) pol.allowed_branches = p.list(s, "allowed-branches", sw);
        if (!pol.slug.empty() && !pols.insert(pol.slug).second)
          p.error(s["slug"], sw, "duplicate signing policy slug");
        if (!pol.certificate.empty() && !certs.count(pol.certificate)) {
          p.error(s["certificate"], sw, "certificate '" + pol.certificate + "' is not defined");
        }
        for (const auto& u : pol.submitters)
          if (!users.count(u)) p.error(s["submitters"], sw, "submitter '" + u + "' is not a defined user");
        for (const auto& u : pol.approvers)
          if (!users.count(u)) p.error(s["approvers"], sw, "approver '" + u + "' is not a defined user");
        if (pol.required_approvals < 0)
          p.error(s["required-approvals"], sw, "required-approvals must not be negative");
        if (pol.required_approvals > static_cast<int>(pol.approvers.size())) {
          p.error(s["required-approvals"], sw,
                  "required-approvals (" + std::to_string(pol.required_approvals) +
                      ") exceeds the number of approvers (" + std::to_string(pol.approvers.size()) + ")");
        }
        if (pol.verify_origin && pr.repository_url.empty()) {
          p.error(s["verify-origin"], sw, "verify-origin needs the project's 'repository-url'");
        }
        if (pol.verify_origin && pr.trusted_build_systems.empty()) {
          p.error(s["verify-origin"], sw, "verify-origin needs a trusted build system linked to the project");
        }
        if (pol.verify_origin && pol.allowed_branches.empty()) {
          p.error(s, sw, "verify-origin needs 'allowed-branches' (use [\"*\"] for every branch)");
        }
        pr.signing_policies.push_back(std::move(pol));
      }
    }
    seed.projects.push_back(std::move(pr));
  }
  if (!p.errors.empty()) throw io::ErrorList(p.errors);
  return seed;
}

}  // namespace signet::service
