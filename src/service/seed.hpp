// Declarative set-up of an organization (the `--seed` file, YAML or JSON) and the first-start
// default. Applying is idempotent: entities are matched by name or slug, only differences are
// written (each change audited), and nothing is deleted. Every problem in the file is reported,
// naming its entry and line, before anything is applied.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "service/store.hpp"

namespace signet::service {

struct SeedUser {
  std::string name, kind = "interactive", token;  // token in clear (stored hashed); may be empty
  std::vector<std::string> roles;
};

struct SeedCertificate {
  std::string slug, name, key, certificate, chain, password_env, password_file;
  std::string pgp_key, pgp_password_env, pgp_password_file;
};

struct SeedTbs {
  std::string slug, name, token;
};

struct SeedAc {
  std::string slug, name, xml, source;  // source: file name, for messages
  bool is_default = false;
};

struct SeedPolicy {
  std::string slug, name, certificate;
  std::vector<std::string> submitters, approvers, allowed_branches{"*"};
  int required_approvals = 0;
  bool verify_origin = false;
};

struct SeedProject {
  std::string slug, name, repository_url;
  std::vector<std::string> trusted_build_systems;
  std::vector<SeedAc> artifact_configurations;
  std::vector<SeedPolicy> signing_policies;
  std::optional<Webhook> webhook;
};

struct Seed {
  Organization organization;
  std::vector<SeedUser> users;
  std::vector<SeedCertificate> certificates;
  std::vector<SeedTbs> trusted_build_systems;
  std::vector<SeedProject> projects;
};

// Parses and checks a seed file (paths relative to its directory; key files are loaded, artifact
// configurations validated). Throws io::ErrorList naming every bad entry ("seed.yaml:12:7: ...").
Seed load_seed(const std::filesystem::path& file);

// Applies a checked seed in one transaction; returns the number of entities created or changed.
int apply_seed(Store& store, const Seed& seed, const std::string& actor = "seed");

// First start without a seed: a default organization, an admin user (GlobalAdministrator) and a
// CI user with generated tokens (DATA/admin-token, DATA/ci-token, mode 0600), a development CA and
// test-signing certificate under DATA/pki, and a demo project with `test-signing` and
// `release-signing` (one approval) policies. Returns the admin token.
struct Bootstrap {
  std::string org_id, admin_token, ci_token;
};
Bootstrap bootstrap_default(Store& store, const std::filesystem::path& data_dir);

// The demo project's default artifact configuration: a zip whose every file gets a detached CMS
// signature (PEM, ${file.name}.p7s).
const std::string& demo_artifact_configuration();

}  // namespace signet::service
