// The signing request routes (SIGNPATH.md §2.4) and the resource they return (§2.5).
#include <algorithm>

#include "io/error.hpp"
#include "service/api.hpp"
#include "service/policy.hpp"
#include "service/util.hpp"

namespace signet::service {

using nlohmann::json;

namespace {

const std::vector<std::string> kFileFields = {"artifact", "origin.builddata.buildsettingsfile"};

json request_json(Tx& tx, const SigningRequest& r, const std::string& base, const std::string& web_base) {
  auto project = tx.project(r.project_id);
  auto policy = tx.signing_policy(r.policy_id);
  auto ac = tx.artifact_configuration(r.ac_id);
  auto submitter = tx.user(r.submitter_id);
  std::string self = base + "/SigningRequests/" + r.id;
  json j = {
      {"id", r.id},
      {"signingRequestId", r.id},
      {"status", std::string(status_name(r.workflow))},
      {"workflowStatus", std::string(workflow_name(r.workflow))},
      {"isFinalStatus", is_final(r.workflow)},
      {"description", r.description},
      {"projectId", r.project_id},
      {"projectSlug", project ? project->slug : ""},
      {"projectName", project ? project->name : ""},
      {"artifactConfigurationId", r.ac_id},
      {"artifactConfigurationSlug", ac ? ac->slug : ""},
      {"artifactConfigurationName", ac ? ac->name : ""},
      {"artifactConfigurationVersion", r.ac_version},
      {"signingPolicyId", r.policy_id},
      {"signingPolicySlug", policy ? policy->slug : ""},
      {"signingPolicyName", policy ? policy->name : ""},
      {"unsignedArtifactLink", self + "/UnsignedArtifact"},
      {"signedArtifactLink", self + "/SignedArtifact"},
      {"webLink", web_base + "/Web/" + r.org_id + "/SigningRequests/" + r.id},
      {"parameters", r.parameters},
      {"createdDate", format_time(r.created_ms)},
      {"lastModifiedDate", format_time(r.updated_ms)},
      {"submittedBy", {{"id", r.submitter_id}, {"name", submitter ? submitter->name : ""}}},
      {"originVerified", r.origin_verified},
  };
  if (r.workflow == Workflow::waiting_for_artifact_upload) j["uploadLink"] = self + "/UploadUnsignedArtifact";
  if (!r.original_id.empty()) j["originalSigningRequestId"] = r.original_id;
  if (!r.unsigned_name.empty() || !r.unsigned_sha256.empty()) {
    j["unsignedArtifact"] = {
        {"fileName", r.unsigned_name}, {"size", r.unsigned_size}, {"sha256", r.unsigned_sha256}};
  }
  if (!r.signed_sha256.empty()) {
    j["signedArtifact"] = {
        {"fileName", r.unsigned_name}, {"size", r.signed_size}, {"sha256", r.signed_sha256}};
  }
  if (r.cancel_deadline_ms) j["cancellationDeadline"] = format_time(r.cancel_deadline_ms);
  if (r.workflow == Workflow::processing_failed) j["processingError"] = r.failure;
  if (!r.failure.empty()) j["statusReason"] = r.failure;
  if (r.origin.present()) {
    json origin = json::object();
    const Origin& o = r.origin;
    if (!o.repository_url.empty() || !o.branch_name.empty() || !o.commit_id.empty() || !o.scm_type.empty()) {
      origin["repositoryData"] = {{"url", o.repository_url},
                                  {"branchName", o.branch_name},
                                  {"commitId", o.commit_id},
                                  {"sourceControlManagementType", o.scm_type}};
    }
    if (!o.build_url.empty() || !o.build_settings_sha256.empty()) {
      json build = {{"url", o.build_url}};
      if (!o.build_settings_sha256.empty()) {
        build["buildSettingsFile"] = {{"downloadLink", self + "/BuildSettingsFile"},
                                      {"fileName", o.build_settings_name}};
      }
      origin["buildData"] = build;
    }
    j["origin"] = origin;
  }
  if (policy) {
    json approvals = json::array();
    for (const auto& a : tx.approvals(r.id)) {
      auto u = tx.user(a.user_id);
      approvals.push_back({{"userId", a.user_id},
                           {"userName", u ? u->name : ""},
                           {"decision", a.decision},
                           {"reason", a.reason},
                           {"date", format_time(a.time_ms)}});
    }
    j["requiredApprovals"] = policy->required_approvals;
    j["approvals"] = approvals;
  }
  json hooks = json::array();
  for (const auto& d : tx.deliveries(r.id)) {
    hooks.push_back({{"url", d.url},
                     {"status", d.status},
                     {"attempts", d.attempts},
                     {"delivered", d.done && d.response_code >= 200 && d.response_code < 300},
                     {"responseCode", d.response_code},
                     {"responseBody", d.response_body},
                     {"error", d.error},
                     {"date", format_time(d.updated_ms)}});
  }
  if (!hooks.empty()) j["webhookDeliveries"] = hooks;
  return j;
}

std::optional<int64_t> parse_timeout(const FormData& f, ValidationErrors& v) {
  auto* s = f.get("cancellationtimeoutinseconds");
  if (!s || trim(*s).empty()) return std::nullopt;
  try {
    size_t used = 0;
    long long n = std::stoll(trim(*s), &used);
    if (used != trim(*s).size() || n < 0) throw std::invalid_argument("bad");
    return n;
  } catch (const std::exception&) {
    v.add("cancellationTimeoutInSeconds",
          "cancellationTimeoutInSeconds must be a non-negative integer (got '" + *s + "')");
    return std::nullopt;
  }
}

http::Response created(Api::Call& c, Context& ctx, const SigningRequest& r, bool with_upload_link) {
  json body;
  ctx.store.read([&](Tx& tx) { body = request_json(tx, r, c.base, c.web_base); });
  if (with_upload_link) body["uploadLink"] = c.base + "/SigningRequests/" + r.id + "/UploadUnsignedArtifact";
  auto resp = json_response(201, body);
  resp.headers.push_back({"Location", c.base + "/SigningRequests/" + r.id});
  return resp;
}

}  // namespace

http::Response Api::submit(Call& c, bool with_artifact) {
  FormData f = read_multipart(ctx_, c.req, kFileFields);
  ValidationErrors v;
  for (const auto& p : f.problems) v.add("", p);
  SubmitInput in;
  in.project_slug = trim(f.value("projectslug"));
  in.policy_slug = trim(f.value("signingpolicyslug"));
  in.policy_id = trim(f.value("signingpolicyid"));
  in.ac_slug = trim(f.value("artifactconfigurationslug"));
  in.ac_id = trim(f.value("artifactconfigurationid"));
  in.description = f.value("description");
  in.parameters = f.dictionary("parameters");
  in.origin.scm_type = trim(f.value("origin.repositorydata.sourcecontrolmanagementtype"));
  in.origin.repository_url = trim(f.value("origin.repositorydata.url"));
  in.origin.branch_name = trim(f.value("origin.repositorydata.branchname"));
  in.origin.commit_id = trim(f.value("origin.repositorydata.commitid"));
  in.origin.build_url = trim(f.value("origin.builddata.url"));
  in.cancellation_timeout_s = parse_timeout(f, v);
  if (in.policy_id.empty()) {
    if (in.project_slug.empty()) v.add("projectSlug", "projectSlug is required");
    if (in.policy_slug.empty()) v.add("signingPolicySlug", "signingPolicySlug is required");
  }
  if (auto* fast = f.get("isfastsigningrequest"); fast && iequals(trim(*fast), "true")) {
    v.add("isFastSigningRequest", "fast signing requests (hash signing) are not supported by this server");
  }
  if (with_artifact) {
    auto it = f.files.find("artifact");
    if (it == f.files.end()) {
      v.add("artifact", "artifact (a file part) is required");
    } else {
      in.artifact = it->second.data.get();
      in.artifact_name = it->second.filename.empty() ? "artifact" : it->second.filename;
    }
  } else {
    in.expected_sha256 = trim(f.value("unsignedartifactmetadata.sha256hash"));
    in.expected_name = trim(f.value("unsignedartifactmetadata.filename"));
    if (in.expected_sha256.empty()) {
      v.add("unsignedArtifactMetadata.sha256Hash", "unsignedArtifactMetadata.sha256Hash is required");
    } else if (!is_sha256_hex(in.expected_sha256)) {
      v.add("unsignedArtifactMetadata.sha256Hash",
            "unsignedArtifactMetadata.sha256Hash must be 64 hexadecimal digits (got '" +
                in.expected_sha256.substr(0, 80) + "')");
    }
    if (in.expected_name.empty()) {
      v.add("unsignedArtifactMetadata.fileName", "unsignedArtifactMetadata.fileName is required");
    }
  }
  if (auto it = f.files.find("origin.builddata.buildsettingsfile"); it != f.files.end()) {
    in.build_settings = it->second.data.get();
    in.build_settings_name = it->second.filename;
  }
  v.throw_if_any("invalid signing request");
  auto r = service::submit(ctx_, c.caller, c.org_id, in);
  return created(c, ctx_, r, !with_artifact);
}

http::Response Api::upload(Call& c, const std::string& id) {
  check_upload(ctx_, c.caller, c.org_id, id);  // before accepting any bytes
  std::string ct = to_lower(c.req.header("content-type"));
  std::unique_ptr<Incoming> data;
  if (ct.rfind("multipart/form-data", 0) == 0) {
    // Also accepted: the artifact as the (first) file part of a form.
    FormData f = read_multipart(ctx_, c.req, {"artifact", "file", "unsignedartifact"});
    for (auto& [k, file] : f.files) {
      data = std::move(file.data);
      break;
    }
    if (!data) throw ApiError(400, "the multipart upload has no file part (artifact)");
  } else {
    uint64_t limit = ctx_.options.max_upload_bytes;
    if (c.req.content_length && *c.req.content_length > limit) throw http::PayloadTooLarge(limit);
    c.req.body->set_limit(limit);
    data = ctx_.artifacts.incoming();
    std::vector<uint8_t> buf(256 * 1024);
    for (size_t n; (n = c.req.body->read(buf)) > 0;) data->write(std::span<const uint8_t>(buf.data(), n));
  }
  auto r = service::upload(ctx_, c.caller, c.org_id, id, *data);
  json body;
  ctx_.store.read([&](Tx& tx) { body = request_json(tx, r, c.base, c.web_base); });
  return json_response(202, body);
}

http::Response Api::get_request(Call& c, const std::string& id, bool status_only) {
  // Signet extension: ?waitForCompletionTimeoutInSeconds=N holds the answer until the request is
  // final (at most 60 s), so clients need not poll.
  int wait_s = 0;
  if (auto it = c.req.query.find("waitforcompletiontimeoutinseconds"); it != c.req.query.end()) {
    try {
      wait_s = std::clamp(std::stoi(it->second), 0, 60);
    } catch (const std::exception&) {
      throw ApiError(400, "waitForCompletionTimeoutInSeconds must be an integer");
    }
  }
  SigningRequest r;
  ctx_.store.read([&](Tx& tx) { r = readable_request(tx, c.caller, c.org_id, id); });
  if (wait_s > 0 && !is_final(r.workflow)) {
    ctx_.notifier.wait_request(id, std::chrono::seconds(wait_s), [&] {
      ctx_.store.read([&](Tx& tx) { r = *tx.request(id); });
      return is_final(r.workflow);
    });
  }
  json body;
  if (status_only) {
    body = {{"id", r.id},
            {"status", std::string(status_name(r.workflow))},
            {"workflowStatus", std::string(workflow_name(r.workflow))},
            {"isFinalStatus", is_final(r.workflow)},
            {"signedArtifactLink", c.base + "/SigningRequests/" + r.id + "/SignedArtifact"}};
    if (!r.failure.empty()) body["statusReason"] = r.failure;
  } else {
    ctx_.store.read([&](Tx& tx) { body = request_json(tx, r, c.base, c.web_base); });
  }
  return json_response(200, body);
}

http::Response Api::download(Call& c, const std::string& id, const std::string& which) {
  SigningRequest r;
  ctx_.store.read([&](Tx& tx) { r = readable_request(tx, c.caller, c.org_id, id); });
  std::string sha, name = r.unsigned_name.empty() ? "artifact" : r.unsigned_name;
  if (which == "signedartifact") {
    if (r.workflow == Workflow::completed) {
      sha = r.signed_sha256;
    } else if (!is_final(r.workflow)) {
      throw ApiError(400, "signing request " + id + " is not completed yet (workflowStatus " +
                              std::string(workflow_name(r.workflow)) +
                              "); poll its Status until isFinalStatus is true");
    } else {
      throw ApiError(404, "signing request " + id + " has no signed artifact: it ended with status " +
                              std::string(status_name(r.workflow)) +
                              (r.failure.empty() ? "" : " (" + r.failure + ")"));
    }
  } else if (which == "unsignedartifact") {
    sha = r.unsigned_sha256;
    if (sha.empty())
      throw ApiError(404, "signing request " + id + " has no unsigned artifact yet (waiting for the upload)");
  } else {
    sha = r.origin.build_settings_sha256;
    name = r.origin.build_settings_name;
    if (sha.empty()) throw ApiError(404, "signing request " + id + " has no build settings file");
  }
  if (!ctx_.artifacts.exists(sha))
    throw ApiError(410, "the artifact of signing request " + id + " is no longer available");
  http::Response resp;
  resp.file = ctx_.artifacts.path_of(sha);
  resp.content_type = "application/octet-stream";
  std::string quoted;
  for (char ch : name)
    quoted += (ch == '"' || ch == '\\' || static_cast<unsigned char>(ch) < 0x20) ? '_' : ch;
  resp.headers.push_back({"Content-Disposition", "attachment; filename=\"" + quoted + "\""});
  resp.headers.push_back({"X-Content-SHA256", sha});
  return resp;
}

http::Response Api::resubmit(Call& c) {
  FormData f = read_small_form(ctx_, c.req);
  ValidationErrors v;
  std::string original = trim(f.value("originalsigningrequestid"));
  std::string policy = trim(f.value("signingpolicyslug"));
  if (original.empty()) v.add("originalSigningRequestId", "originalSigningRequestId is required");
  if (policy.empty()) v.add("signingPolicySlug", "signingPolicySlug is required");
  auto timeout = parse_timeout(f, v);
  v.throw_if_any("invalid resubmission");
  auto r = service::resubmit(ctx_, c.caller, c.org_id, original, policy, f.value("description"), timeout);
  return created(c, ctx_, r, false);
}

http::Response Api::decide(Call& c, const std::string& id, const std::string& action) {
  FormData f = read_small_form(ctx_, c.req);
  std::string reason = f.value("reason");
  if (reason.empty()) {
    if (auto it = c.req.query.find("reason"); it != c.req.query.end()) reason = it->second;
  }
  SigningRequest r;
  if (action == "approve")
    r = service::approve(ctx_, c.caller, c.org_id, id);
  else if (action == "deny")
    r = service::deny(ctx_, c.caller, c.org_id, id, reason);
  else
    r = service::cancel(ctx_, c.caller, c.org_id, id);
  json body;
  ctx_.store.read([&](Tx& tx) { body = request_json(tx, r, c.base, c.web_base); });
  return json_response(200, body);
}

http::Response Api::list_requests(Call& c) {
  int limit = 50;
  int64_t before = 0;
  try {
    if (auto it = c.req.query.find("limit"); it != c.req.query.end())
      limit = std::clamp(std::stoi(it->second), 1, 500);
    if (auto it = c.req.query.find("before"); it != c.req.query.end()) before = std::stoll(it->second);
  } catch (const std::exception&) {
    throw ApiError(400, "limit and before must be integers");
  }
  json items = json::array();
  int64_t last = 0;
  ctx_.store.read([&](Tx& tx) {
    for (const auto& r : tx.requests(c.org_id, limit, before)) {
      last = r.seq;
      auto policy = tx.signing_policy(r.policy_id);
      if (!policy || !can_read_request(c.caller.user, r, *policy)) continue;
      items.push_back(request_json(tx, r, c.base, c.web_base));
    }
  });
  json body = {{"signingRequests", items}};
  if (last > 0) body["nextBefore"] = last;
  return json_response(200, body);
}

http::Response Api::request_certificate(Call& c, const std::string& id) {
  Certificate cert;
  ctx_.store.read([&](Tx& tx) {
    auto r = readable_request(tx, c.caller, c.org_id, id);
    std::string cert_id = r.certificate_id;
    if (cert_id.empty()) cert_id = tx.signing_policy(r.policy_id)->certificate_id;
    auto ce = tx.certificate(cert_id);
    if (!ce) throw ApiError(404, "the certificate of signing request " + id + " no longer exists");
    cert = *ce;
  });
  auto chain = ctx_.keys.x509_chain(cert);
  if (chain.empty()) throw ApiError(404, "certificate '" + cert.slug + "' has no X.509 certificate");
  http::Response resp;
  resp.content_type = "application/pkix-cert";
  resp.body.assign(chain.front().begin(), chain.front().end());
  return resp;
}

}  // namespace signet::service
