// Applying a checked seed: match by name or slug, write only what differs, audit every change.
#include "io/error.hpp"
#include "service/requests.hpp"
#include "service/seed.hpp"
#include "service/util.hpp"

namespace signet::service {

using nlohmann::json;

int apply_seed(Store& store, const Seed& seed, const std::string& actor_name) {
  int changes = 0;
  Actor actor{actor_name, actor_name};
  store.write([&](Tx& tx) {
    const std::string& org = seed.organization.id;
    auto note = [&](const std::string& action, const std::string& type, const std::string& id, json data) {
      audit(tx, org, actor, action, type, id, std::move(data));
      ++changes;
    };
    auto existing_org = tx.organization(org);
    if (!existing_org || existing_org->name != seed.organization.name) {
      tx.put_organization(seed.organization);
      note(existing_org ? "organization.updated" : "organization.created", "Organization", org,
           {{"name", seed.organization.name}});
    }

    std::map<std::string, std::string> user_ids, cert_ids, tbs_ids;
    for (const auto& su : seed.users) {
      auto cur = tx.user_by_name(org, su.name);
      User u{cur ? cur->id : new_uuid(), org, su.name, su.kind, su.roles};
      std::optional<std::string> hash;
      if (!su.token.empty()) hash = sha256_hex(su.token);
      bool token_changed = hash && (!cur || tx.user_token_hash(u.id) != *hash);
      if (!cur || cur->kind != u.kind || cur->roles != u.roles || token_changed) {
        tx.put_user(u, hash);
        note(cur ? "user.updated" : "user.created", "User", u.id,
             {{"name", u.name}, {"kind", u.kind}, {"roles", u.roles}, {"tokenChanged", token_changed}});
      }
      user_ids[su.name] = u.id;
    }

    for (const auto& sc : seed.certificates) {
      auto cur = tx.certificate_by_slug(org, sc.slug);
      Certificate c{cur ? cur->id : new_uuid(),
                    org,
                    sc.slug,
                    sc.name.empty() ? sc.slug : sc.name,
                    sc.key,
                    sc.certificate,
                    sc.chain,
                    sc.password_env,
                    sc.password_file,
                    sc.pgp_key,
                    sc.pgp_password_env,
                    sc.pgp_password_file};
      bool same = cur && cur->name == c.name && cur->key_path == c.key_path &&
                  cur->cert_path == c.cert_path && cur->chain_path == c.chain_path &&
                  cur->password_env == c.password_env && cur->password_file == c.password_file &&
                  cur->pgp_key_path == c.pgp_key_path && cur->pgp_password_env == c.pgp_password_env &&
                  cur->pgp_password_file == c.pgp_password_file;
      if (!same) {
        tx.put_certificate(c);
        note(cur ? "certificate.updated" : "certificate.created", "Certificate", c.id,
             {{"slug", c.slug}, {"x509", c.has_x509()}, {"gpg", c.has_pgp()}});
      }
      cert_ids[sc.slug] = c.id;
    }

    for (const auto& st : seed.trusted_build_systems) {
      auto cur = tx.trusted_build_system_by_slug(org, st.slug);
      TrustedBuildSystem t{cur ? cur->id : new_uuid(), org, st.slug, st.name.empty() ? st.slug : st.name};
      std::string hash = sha256_hex(st.token);
      bool token_changed = !cur || tx.trusted_build_system_token_hash(t.id) != hash;
      if (!cur || cur->name != t.name || token_changed) {
        tx.put_trusted_build_system(t, hash);
        note(cur ? "trustedBuildSystem.updated" : "trustedBuildSystem.created", "TrustedBuildSystem", t.id,
             {{"slug", t.slug}, {"tokenChanged", token_changed}});
      }
      tbs_ids[st.slug] = t.id;
    }

    for (const auto& sp : seed.projects) {
      auto cur = tx.project_by_slug(org, sp.slug);
      Project p;
      p.id = cur ? cur->id : new_uuid();
      p.org_id = org;
      p.slug = sp.slug;
      p.name = sp.name.empty() ? sp.slug : sp.name;
      p.repository_url = sp.repository_url;
      p.default_ac_id = cur ? cur->default_ac_id : "";
      for (const auto& t : sp.trusted_build_systems) p.trusted_build_system_ids.push_back(tbs_ids.at(t));
      std::sort(p.trusted_build_system_ids.begin(), p.trusted_build_system_ids.end());
      p.webhook = sp.webhook;
      if (!cur) tx.put_project(p);  // configurations refer to it

      std::string first_ac, marked_default;
      for (const auto& sa : sp.artifact_configurations) {
        auto ac = tx.artifact_configuration_by_slug(p.id, sa.slug);
        std::string name = sa.name.empty() ? sa.slug : sa.name;
        if (!ac) {
          ac = ArtifactConfiguration{new_uuid(), p.id, sa.slug, name, 0};
          tx.put_artifact_configuration(*ac);
        } else if (ac->name != name) {
          ac->name = name;
          tx.put_artifact_configuration(*ac);
        }
        auto current = tx.ac_version(ac->id, ac->current_version);
        if (!current || current->xml != sa.xml) {
          int v = tx.add_ac_version(ac->id, sa.xml, actor_name);
          note("artifactConfiguration.versionAdded", "ArtifactConfiguration", ac->id,
               {{"projectSlug", p.slug},
                {"slug", sa.slug},
                {"version", v},
                {"sha256", sha256_hex(sa.xml)},
                {"source", sa.source}});
        }
        if (first_ac.empty()) first_ac = ac->id;
        if (sa.is_default) marked_default = ac->id;
      }
      if (!marked_default.empty())
        p.default_ac_id = marked_default;
      else if (p.default_ac_id.empty())
        p.default_ac_id = first_ac;

      bool same = cur && cur->name == p.name && cur->repository_url == p.repository_url &&
                  cur->default_ac_id == p.default_ac_id &&
                  cur->trusted_build_system_ids == p.trusted_build_system_ids &&
                  cur->webhook.has_value() == p.webhook.has_value() &&
                  (!p.webhook || (cur->webhook->url == p.webhook->url &&
                                  cur->webhook->header_name == p.webhook->header_name &&
                                  cur->webhook->header_value == p.webhook->header_value));
      if (!same) {
        tx.put_project(p);
        note(cur ? "project.updated" : "project.created", "Project", p.id,
             {{"slug", p.slug},
              {"repositoryUrl", p.repository_url},
              {"trustedBuildSystems", sp.trusted_build_systems},
              {"webhook", p.webhook ? p.webhook->url : ""}});
      }

      for (const auto& spol : sp.signing_policies) {
        auto curp = tx.signing_policy_by_slug(p.id, spol.slug);
        SigningPolicy pol;
        pol.id = curp ? curp->id : new_uuid();
        pol.project_id = p.id;
        pol.slug = spol.slug;
        pol.name = spol.name.empty() ? spol.slug : spol.name;
        pol.certificate_id = cert_ids.at(spol.certificate);
        pol.required_approvals = spol.required_approvals;
        pol.verify_origin = spol.verify_origin;
        pol.allowed_branches = spol.allowed_branches;
        for (const auto& u : spol.submitters) pol.submitters.push_back(user_ids.at(u));
        for (const auto& u : spol.approvers) pol.approvers.push_back(user_ids.at(u));
        bool same_pol = curp && curp->name == pol.name && curp->certificate_id == pol.certificate_id &&
                        curp->required_approvals == pol.required_approvals &&
                        curp->verify_origin == pol.verify_origin &&
                        curp->allowed_branches == pol.allowed_branches &&
                        curp->submitters == pol.submitters && curp->approvers == pol.approvers;
        if (!same_pol) {
          tx.put_signing_policy(pol);
          note(curp ? "signingPolicy.updated" : "signingPolicy.created", "SigningPolicy", pol.id,
               {{"projectSlug", p.slug},
                {"slug", pol.slug},
                {"certificate", spol.certificate},
                {"submitters", spol.submitters},
                {"approvers", spol.approvers},
                {"requiredApprovals", pol.required_approvals},
                {"verifyOrigin", pol.verify_origin},
                {"allowedBranches", pol.allowed_branches}});
        }
      }
    }
  });
  return changes;
}

}  // namespace signet::service
