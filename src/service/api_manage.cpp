// Management routes for administrators (SIGNPATH.md §2.10, role-checked) and the audit log.
#include <algorithm>

#include "crypto/openpgp/openpgp.hpp"
#include "crypto/x509.hpp"
#include "io/error.hpp"
#include "service/api.hpp"
#include "service/audit.hpp"
#include "service/policy.hpp"
#include "service/util.hpp"

namespace signet::service {

using nlohmann::json;

namespace {

void require_read(const Caller& c) {
  if (!can_read_management(c.user)) {
    throw ApiError(403,
                   "user '" + c.user.name +
                       "' may not read management data (needs GlobalAdministrator, ProjectAdministrator, "
                       "CertificateAdministrator or GlobalReader)");
  }
}

void require_edit(const Caller& c) {
  if (!can_edit_projects(c.user)) {
    throw ApiError(403, "user '" + c.user.name +
                            "' may not change projects (needs GlobalAdministrator or ProjectAdministrator)");
  }
}

Project must_project(Tx& tx, const std::string& org, const std::string& slug) {
  auto p = tx.project_by_slug(org, slug);
  if (!p) throw ApiError(404, "project '" + slug + "' not found");
  return *p;
}

json user_ref(Tx& tx, const std::string& id) {
  auto u = tx.user(id);
  return {{"id", id}, {"name", u ? u->name : ""}, {"kind", u ? u->kind : ""}};
}

json policy_json(Tx& tx, const SigningPolicy& p, const Project& project) {
  auto cert = tx.certificate(p.certificate_id);
  json subs = json::array(), apps = json::array();
  for (const auto& id : p.submitters) subs.push_back(user_ref(tx, id));
  for (const auto& id : p.approvers) apps.push_back(user_ref(tx, id));
  return {{"id", p.id},
          {"slug", p.slug},
          {"name", p.name},
          {"projectSlug", project.slug},
          {"certificateSlug", cert ? cert->slug : ""},
          {"requiredApprovals", p.required_approvals},
          {"verifyOriginPolicy", p.verify_origin},
          {"allowedBranchNames", p.allowed_branches},
          {"submitters", subs},
          {"approvers", apps}};
}

json ac_json(Tx& tx, const ArtifactConfiguration& a, const Project& project) {
  json versions = json::array();
  for (const auto& v : tx.ac_versions(a.id)) {
    versions.push_back({{"version", v.version},
                        {"sha256", v.sha256},
                        {"createdDate", v.created},
                        {"createdBy", v.created_by}});
  }
  return {{"id", a.id},
          {"slug", a.slug},
          {"name", a.name},
          {"projectSlug", project.slug},
          {"isDefault", project.default_ac_id == a.id},
          {"currentVersion", a.current_version},
          {"versions", versions}};
}

json project_json(Tx& tx, const Project& p) {
  json policies = json::array(), acs = json::array(), tbs = json::array();
  bool verifies = false;
  for (const auto& pol : tx.signing_policies(p.id)) {
    policies.push_back(pol.slug);
    verifies = verifies || pol.verify_origin;
  }
  std::string default_slug;
  for (const auto& a : tx.artifact_configurations(p.id)) {
    acs.push_back(a.slug);
    if (a.id == p.default_ac_id) default_slug = a.slug;
  }
  for (const auto& id : p.trusted_build_system_ids) {
    auto t = tx.trusted_build_system(id);
    if (t) tbs.push_back(t->slug);
  }
  json j = {{"id", p.id},
            {"slug", p.slug},
            {"name", p.name},
            {"repositoryUrl", p.repository_url},
            {"verifiesOriginPolicy", verifies},
            {"defaultArtifactConfigurationSlug", default_slug},
            {"signingPolicies", policies},
            {"artifactConfigurations", acs},
            {"trustedBuildSystems", tbs}};
  if (p.webhook) j["webhook"] = {{"url", p.webhook->url}, {"headerName", p.webhook->header_name}};
  return j;
}

std::string b64(const std::vector<uint8_t>& d) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < d.size(); i += 3) {
    uint32_t v = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == d.size()) {
    uint32_t v = d[i] << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == d.size()) {
    uint32_t v = (d[i] << 16) | (d[i + 1] << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

}  // namespace

http::Response Api::organization(Call& c) {
  json body;
  ctx_.store.read([&](Tx& tx) {
    auto o = tx.organization(c.org_id);
    body = {{"id", o->id}, {"name", o->name}};
  });
  return json_response(200, body);
}

http::Response Api::projects(Call& c, const std::string& slug) {
  require_read(c.caller);
  json body;
  ctx_.store.read([&](Tx& tx) {
    if (!slug.empty()) {
      body = project_json(tx, must_project(tx, c.org_id, slug));
      return;
    }
    body = json::array();
    for (const auto& p : tx.projects(c.org_id)) body.push_back(project_json(tx, p));
  });
  return json_response(200, body);
}

http::Response Api::policies(Call& c, const std::string& project, const std::string& slug) {
  require_read(c.caller);
  json body;
  ctx_.store.read([&](Tx& tx) {
    auto p = must_project(tx, c.org_id, project);
    if (!slug.empty()) {
      auto pol = tx.signing_policy_by_slug(p.id, slug);
      if (!pol) throw ApiError(404, "signing policy '" + slug + "' not found in project '" + project + "'");
      body = policy_json(tx, *pol, p);
      return;
    }
    body = json::array();
    for (const auto& pol : tx.signing_policies(p.id)) body.push_back(policy_json(tx, pol, p));
  });
  return json_response(200, body);
}

http::Response Api::configurations(Call& c, const std::string& project, const std::string& slug, bool xml) {
  require_read(c.caller);
  json body;
  std::string text;
  ctx_.store.read([&](Tx& tx) {
    auto p = must_project(tx, c.org_id, project);
    if (slug.empty()) {
      body = json::array();
      for (const auto& a : tx.artifact_configurations(p.id)) body.push_back(ac_json(tx, a, p));
      return;
    }
    auto a = tx.artifact_configuration_by_slug(p.id, slug);
    if (!a)
      throw ApiError(404, "artifact configuration '" + slug + "' not found in project '" + project + "'");
    if (!xml) {
      body = ac_json(tx, *a, p);
      return;
    }
    int version = a->current_version;
    if (auto it = c.req.query.find("version"); it != c.req.query.end()) {
      try {
        version = std::stoi(it->second);
      } catch (const std::exception&) {
        throw ApiError(400, "version must be an integer");
      }
    }
    auto v = tx.ac_version(a->id, version);
    if (!v)
      throw ApiError(404, "artifact configuration '" + slug + "' has no version " + std::to_string(version));
    text = v->xml;
  });
  if (xml) {
    http::Response r;
    r.content_type = "application/xml; charset=utf-8";
    r.body = text;
    return r;
  }
  return json_response(200, body);
}

http::Response Api::edit_configuration(Call& c, const std::string& project, const std::string& slug) {
  require_edit(c.caller);
  std::string ct = to_lower(c.req.header("content-type"));
  std::string xml, name;
  if (ct.find("xml") != std::string::npos) {
    xml = c.req.body->read_all(4u << 20);
  } else if (ct.rfind("multipart/form-data", 0) == 0) {
    FormData f = read_multipart(ctx_, c.req, {"artifactconfiguration", "file", "xml"});
    for (auto& [k, file] : f.files) {
      xml = read_text_file(file.data->path(), 4u << 20);
      break;
    }
    if (xml.empty()) xml = f.value("xml");
    name = f.value("name");
  } else {
    FormData f = read_small_form(ctx_, c.req);
    xml = f.value("xml");
    name = f.value("name");
  }
  if (trim(xml).empty()) {
    throw ApiError(
        400,
        "no artifact configuration given: send the XML as the body (Content-Type: application/xml), "
        "as a multipart file 'artifactConfiguration', or as JSON {\"xml\": ...}");
  }
  auto problems = validate_configuration(xml, slug + ".xml", nullptr);
  if (!problems.empty()) {
    ValidationErrors v;
    for (const auto& p : problems) v.add("artifactConfiguration", p);
    v.throw_if_any("the artifact configuration is invalid");
  }
  bool created = false;
  json body;
  ctx_.store.write([&](Tx& tx) {
    auto p = must_project(tx, c.org_id, project);
    auto a = tx.artifact_configuration_by_slug(p.id, slug);
    if (!a) {
      a = ArtifactConfiguration{new_uuid(), p.id, slug, name.empty() ? slug : name, 0};
      tx.put_artifact_configuration(*a);
      created = true;
    }
    int version = tx.add_ac_version(a->id, xml, c.caller.user.name);
    a->current_version = version;
    if (p.default_ac_id.empty()) {
      p.default_ac_id = a->id;
      tx.put_project(p);
    }
    audit(tx, c.org_id, c.caller.actor(), "artifactConfiguration.versionAdded", "ArtifactConfiguration",
          a->id,
          {{"projectSlug", p.slug},
           {"slug", slug},
           {"version", version},
           {"sha256", sha256_hex(xml)},
           {"created", created}});
    body = ac_json(tx, *a, p);
  });
  return json_response(created ? 201 : 200, body);
}

http::Response Api::set_default_configuration(Call& c, const std::string& project) {
  require_edit(c.caller);
  FormData f = read_small_form(ctx_, c.req);
  std::string slug = trim(f.value("artifactconfigurationslug"));
  if (slug.empty()) {
    if (auto it = c.req.query.find("artifactconfigurationslug"); it != c.req.query.end()) slug = it->second;
  }
  if (slug.empty()) {
    throw ApiError(400, "artifactConfigurationSlug is required",
                   {{"artifactConfigurationSlug", {"artifactConfigurationSlug is required"}}});
  }
  json body;
  ctx_.store.write([&](Tx& tx) {
    auto p = must_project(tx, c.org_id, project);
    auto a = tx.artifact_configuration_by_slug(p.id, slug);
    if (!a)
      throw ApiError(404, "artifact configuration '" + slug + "' not found in project '" + project + "'");
    if (p.default_ac_id != a->id) {
      p.default_ac_id = a->id;
      tx.put_project(p);
      audit(tx, c.org_id, c.caller.actor(), "project.defaultArtifactConfigurationSet", "Project", p.id,
            {{"projectSlug", p.slug}, {"artifactConfigurationSlug", slug}});
    }
    body = project_json(tx, p);
  });
  return json_response(200, body);
}

http::Response Api::certificates(Call& c, const std::string& slug) {
  require_read(c.caller);
  std::vector<Certificate> certs;
  ctx_.store.read([&](Tx& tx) {
    if (slug.empty()) {
      certs = tx.certificates(c.org_id);
      return;
    }
    auto ce = tx.certificate_by_slug(c.org_id, slug);
    if (!ce) throw ApiError(404, "certificate '" + slug + "' not found");
    certs.push_back(*ce);
  });
  json list = json::array();
  for (const auto& ce : certs) {
    json j = {{"id", ce.id}, {"slug", ce.slug}, {"name", ce.name}};
    std::string type = ce.has_x509() ? "X509" : "";
    if (ce.has_pgp()) type = type.empty() ? "Gpg" : type + ",Gpg";
    j["type"] = type;
    try {
      if (ce.has_x509()) {
        auto chain = ctx_.keys.x509_chain(ce);
        if (!chain.empty()) {
          j["x509CertificateData"] = {
              {"subject", crypto::subject_name(chain[0])},
              {"issuer", crypto::issuer_name(chain[0])},
              {"thumbprint", crypto::fingerprint(chain[0], io::HashAlg::sha1)},
              {"sha256Fingerprint", crypto::fingerprint(chain[0], io::HashAlg::sha256)},
              {"creationMethod", "ImportedWithExistingKeyPair"}};
          json pem = json::array();
          for (const auto& d : chain) pem.push_back(b64(d));
          j["x509CertificateChain"] = pem;
        }
      }
      if (ce.has_pgp()) {
        auto keys = ctx_.keys.keys_for(ce);
        if (keys.pgp) {
          j["gpgKeyData"] = {{"fingerprint", keys.pgp->fingerprint()},
                             {"userId", keys.pgp->user_id()},
                             {"algorithm", keys.pgp->algorithm()}};
        }
      }
    } catch (const io::Error& e) {
      j["problem"] = e.what();
    }
    list.push_back(j);
  }
  return json_response(200, slug.empty() ? list : list.front());
}

http::Response Api::audit_events(Call& c, bool signing_requests) {
  if (!can_read_audit(c.caller.user)) {
    throw ApiError(403, "user '" + c.caller.user.name +
                            "' may not read the audit log (needs GlobalAdministrator or GlobalReader)");
  }
  AuditQuery q;
  q.org_id = c.org_id;
  try {
    if (auto it = c.req.query.find("after"); it != c.req.query.end()) q.after_seq = std::stoll(it->second);
    if (auto it = c.req.query.find("limit"); it != c.req.query.end())
      q.limit = std::clamp(std::stoi(it->second), 1, 1000);
  } catch (const std::exception&) {
    throw ApiError(400, "after and limit must be integers");
  }
  if (signing_requests) {
    q.subject_type = "SigningRequest";
    if (auto it = c.req.query.find("signingrequestid"); it != c.req.query.end()) q.subject_id = it->second;
  }
  json events = json::array();
  int64_t last = q.after_seq;
  ctx_.store.read([&](Tx& tx) {
    for (const auto& e : tx.audit_events(q)) {
      events.push_back(audit_event_json(e));
      last = e.seq;
    }
  });
  return json_response(200, {{"events", events}, {"nextAfter", last}});
}

}  // namespace signet::service
