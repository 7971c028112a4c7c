#include "service/requests.hpp"

#include "config/model.hpp"
#include "io/error.hpp"
#include "service/log.hpp"
#include "service/policy.hpp"
#include "service/util.hpp"

namespace signet::service {

using nlohmann::json;

namespace {

json origin_json(const Origin& o) {
  return {{"repositoryUrl", o.repository_url}, {"branchName", o.branch_name},
          {"commitId", o.commit_id},           {"sourceControlManagementType", o.scm_type},
          {"buildUrl", o.build_url},           {"buildSettingsFileSha256", o.build_settings_sha256}};
}

SigningRequest must_get(Tx& tx, const std::string& org_id, const std::string& id) {
  auto r = tx.request(id);
  if (!r || r->org_id != org_id) throw ApiError(404, "signing request '" + id + "' not found");
  return *r;
}

SigningPolicy must_policy(Tx& tx, const std::string& id) {
  auto p = tx.signing_policy(id);
  if (!p) throw ApiError(500, "signing policy of the request no longer exists");
  return *p;
}

void require_state(const SigningRequest& r, Workflow want, const std::string& action) {
  if (r.workflow != want) {
    throw ApiError(409, "cannot " + action + " signing request " + r.id + ": its workflowStatus is " +
                            std::string(workflow_name(r.workflow)) + ", not " +
                            std::string(workflow_name(want)));
  }
}

void notify(Context& ctx, const SigningRequest& r) {
  ctx.notifier.request_changed(r.id);
  if (r.workflow == Workflow::queued_for_processing) ctx.notifier.work.notify();
  if (is_final(r.workflow)) ctx.notifier.webhooks.notify();
}

int64_t deadline(std::optional<int64_t> timeout_s, int64_t now) {
  return timeout_s && *timeout_s > 0 ? now + *timeout_s * 1000 : 0;
}

}  // namespace

void audit(Tx& tx, const std::string& org_id, const Actor& actor, const std::string& action,
           const std::string& subject_type, const std::string& subject_id, json data) {
  AuditEvent e;
  e.org_id = org_id;
  e.actor_id = actor.id;
  e.actor_name = actor.name;
  e.action = action;
  e.subject_type = subject_type;
  e.subject_id = subject_id;
  e.data = std::move(data);
  tx.append_audit(e);
}

void transition(Tx& tx, SigningRequest& r, Workflow to, const Actor& actor, json data) {
  if (!can_transition(r.workflow, to)) {
    throw ApiError(409, "signing request " + r.id + " cannot go from " +
                            std::string(workflow_name(r.workflow)) + " to " + std::string(workflow_name(to)));
  }
  data["from"] = std::string(workflow_name(r.workflow));
  data["to"] = std::string(workflow_name(to));
  r.workflow = to;
  r.updated_ms = now_ms();
  if (to != Workflow::processing) r.claim.clear();
  tx.update_request(r);
  audit(tx, r.org_id, actor, "signingRequest.statusChanged", "SigningRequest", r.id, std::move(data));
  if (is_final(to)) {
    auto project = tx.project(r.project_id);
    if (project && project->webhook && !project->webhook->url.empty()) {
      WebhookDelivery d;
      d.request_id = r.id;
      d.url = project->webhook->url;
      d.status = std::string(status_name(to));
      d.next_attempt_ms = now_ms();
      d.updated_ms = d.next_attempt_ms;
      tx.add_delivery(d);
    }
  }
}

std::vector<std::string> validate_configuration(const std::string& xml, const std::string& name,
                                                const std::map<std::string, std::string>* parameters) {
  config::LoadOptions options;
  if (parameters)
    options.parameters = *parameters;
  else
    options.require_parameters = false;
  try {
    config::load_string(xml, name, options);
  } catch (const io::ErrorList& list) {
    std::vector<std::string> out;
    for (const auto& e : list.errors()) out.push_back(e.what());
    return out;
  } catch (const io::Error& e) {
    return {e.what()};
  }
  return {};
}

SigningRequest readable_request(Tx& tx, const Caller& caller, const std::string& org_id,
                                const std::string& id) {
  auto r = must_get(tx, org_id, id);
  auto policy = must_policy(tx, r.policy_id);
  if (!can_read_request(caller.user, r, policy)) {
    throw ApiError(403, "user '" + caller.user.name + "' may not read signing request " + id +
                            " (needs to be its submitter, a submitter or approver of signing policy '" +
                            policy.slug +
                            "', or a global administrator, project administrator or global reader)");
  }
  return r;
}

SigningRequest submit(Context& ctx, const Caller& caller, const std::string& org_id, SubmitInput& in) {
  SigningRequest r;
  SigningPolicy policy;
  Project project;
  std::string xml, ac_slug;
  // Everything is checked on a snapshot first; the write below only inserts.
  ctx.store.read([&](Tx& tx) {
    std::optional<SigningPolicy> pol;
    std::optional<Project> proj;
    if (!in.policy_id.empty()) {
      pol = tx.signing_policy(in.policy_id);
      if (pol) proj = tx.project(pol->project_id);
      if (!pol || !proj || proj->org_id != org_id)
        throw ApiError(404, "signing policy '" + in.policy_id + "' not found");
      if (!in.project_slug.empty() && !iequals(in.project_slug, proj->slug)) {
        throw ApiError(400, "signing policy '" + in.policy_id + "' does not belong to project '" +
                                in.project_slug + "'");
      }
    } else {
      proj = tx.project_by_slug(org_id, in.project_slug);
      if (!proj) throw ApiError(404, "project '" + in.project_slug + "' not found in organization " + org_id);
      pol = tx.signing_policy_by_slug(proj->id, in.policy_slug);
      if (!pol) {
        throw ApiError(404,
                       "signing policy '" + in.policy_slug + "' not found in project '" + proj->slug + "'");
      }
    }
    project = *proj;
    policy = *pol;
    if (!can_submit(caller.user, policy)) {
      throw ApiError(403, "user '" + caller.user.name + "' is not a submitter of signing policy '" +
                              policy.slug + "' of project '" + project.slug + "'");
    }
    std::optional<ArtifactConfiguration> ac;
    if (!in.ac_id.empty()) {
      ac = tx.artifact_configuration(in.ac_id);
      if (ac && ac->project_id != project.id) ac.reset();
      if (!ac)
        throw ApiError(
            404, "artifact configuration '" + in.ac_id + "' not found in project '" + project.slug + "'");
    } else if (!in.ac_slug.empty()) {
      ac = tx.artifact_configuration_by_slug(project.id, in.ac_slug);
      if (!ac)
        throw ApiError(
            404, "artifact configuration '" + in.ac_slug + "' not found in project '" + project.slug + "'");
    } else {
      if (!project.default_ac_id.empty()) ac = tx.artifact_configuration(project.default_ac_id);
      if (!ac)
        throw ApiError(
            400, "project '" + project.slug +
                     "' has no default artifact configuration; name one with artifactConfigurationSlug");
    }
    auto version = tx.ac_version(ac->id, ac->current_version);
    if (!version) throw ApiError(400, "artifact configuration '" + ac->slug + "' has no version yet");
    xml = version->xml;
    ac_slug = ac->slug;
    r.ac_id = ac->id;
    r.ac_version = version->version;
  });

  bool trusted = caller.tbs && contains(project.trusted_build_system_ids, caller.tbs->id);
  if (auto why = check_origin(project, policy, in.origin, trusted)) throw ApiError(403, *why);

  auto problems = validate_configuration(xml, ac_slug + ".xml", &in.parameters);
  if (!problems.empty()) {
    ValidationErrors v;
    for (const auto& p : problems) v.add("parameters", p);
    v.throw_if_any("the request does not fit artifact configuration '" + ac_slug + "'");
  }

  int64_t now = now_ms();
  r.id = new_uuid();
  r.org_id = org_id;
  r.project_id = project.id;
  r.policy_id = policy.id;
  r.submitter_id = caller.user.id;
  r.tbs_id = caller.tbs ? caller.tbs->id : "";
  r.origin_verified = trusted && in.origin.present();
  r.description = in.description;
  r.parameters = in.parameters;
  r.origin = in.origin;
  r.created_ms = r.updated_ms = now;
  r.cancel_deadline_ms = deadline(in.cancellation_timeout_s, now);
  // Artifacts become durable before the row that names them commits.
  if (in.build_settings) {
    r.origin.build_settings_sha256 = ctx.artifacts.adopt(*in.build_settings);
    r.origin.build_settings_name = in.build_settings_name.empty() ? "build-settings" : in.build_settings_name;
  }
  if (in.artifact) {
    r.unsigned_sha256 = ctx.artifacts.adopt(*in.artifact);
    r.unsigned_size = in.artifact->size();
    r.unsigned_name = in.artifact_name;
    r.workflow = after_artifact(policy.required_approvals);
  } else {
    r.expected_sha256 = to_lower(in.expected_sha256);
    r.unsigned_name = in.expected_name;
    r.workflow = Workflow::waiting_for_artifact_upload;
  }
  ctx.store.write([&](Tx& tx) {
    tx.insert_request(r);
    audit(tx, org_id, caller.actor(), "signingRequest.submitted", "SigningRequest", r.id,
          {{"projectSlug", project.slug},
           {"signingPolicySlug", policy.slug},
           {"artifactConfigurationSlug", ac_slug},
           {"artifactConfigurationVersion", r.ac_version},
           {"fileName", r.unsigned_name},
           {"sha256", in.artifact ? r.unsigned_sha256 : r.expected_sha256},
           {"size", r.unsigned_size},
           {"parameters", r.parameters},
           {"origin", origin_json(r.origin)},
           {"originVerified", r.origin_verified},
           {"trustedBuildSystem", caller.tbs ? caller.tbs->slug : ""},
           {"workflowStatus", std::string(workflow_name(r.workflow))}});
  });
  notify(ctx, r);
  return r;
}

SigningRequest check_upload(Context& ctx, const Caller& caller, const std::string& org_id,
                            const std::string& id) {
  SigningRequest r;
  ctx.store.read([&](Tx& tx) { r = must_get(tx, org_id, id); });
  if (r.submitter_id != caller.user.id) {
    throw ApiError(403, "only the submitter of signing request " + id + " may upload its artifact");
  }
  require_state(r, Workflow::waiting_for_artifact_upload, "upload the artifact of");
  return r;
}

SigningRequest upload(Context& ctx, const Caller& caller, const std::string& org_id, const std::string& id,
                      Incoming& data) {
  auto pre = check_upload(ctx, caller, org_id, id);
  const std::string& sha = data.sha256();
  if (sha != pre.expected_sha256) {
    throw ApiError(400,
                   "the uploaded artifact's SHA-256 is " + sha + " but the submission announced " +
                       pre.expected_sha256 + " (unsignedArtifactMetadata.sha256Hash)",
                   {{"unsignedArtifactMetadata.sha256Hash", {"SHA-256 mismatch"}}});
  }
  ctx.artifacts.adopt(data);
  SigningRequest r;
  ctx.store.write([&](Tx& tx) {
    r = must_get(tx, org_id, id);
    require_state(r, Workflow::waiting_for_artifact_upload, "upload the artifact of");
    auto policy = must_policy(tx, r.policy_id);
    r.unsigned_sha256 = sha;
    r.unsigned_size = data.size();
    audit(tx, org_id, caller.actor(), "signingRequest.artifactUploaded", "SigningRequest", r.id,
          {{"sha256", sha}, {"size", r.unsigned_size}});
    transition(tx, r, after_artifact(policy.required_approvals), caller.actor());
  });
  notify(ctx, r);
  return r;
}

namespace {

SigningRequest decide(Context& ctx, const Caller& caller, const std::string& org_id, const std::string& id,
                      bool approve, const std::string& reason) {
  SigningRequest r;
  ctx.store.write([&](Tx& tx) {
    r = must_get(tx, org_id, id);
    auto policy = must_policy(tx, r.policy_id);
    if (auto why = approve_refusal(caller.user, policy, r)) throw ApiError(403, *why);
    require_state(r, Workflow::waiting_for_approval, approve ? "approve" : "deny");
    auto existing = tx.approvals(r.id);
    bool again = false;
    for (const auto& a : existing)
      if (a.user_id == caller.user.id && a.decision == (approve ? "Approved" : "Denied")) again = true;
    if (!again) {
      tx.put_approval(r.id, Approval{caller.user.id, approve ? "Approved" : "Denied", reason, now_ms()});
      audit(tx, org_id, caller.actor(), approve ? "signingRequest.approved" : "signingRequest.denied",
            "SigningRequest", r.id, {{"reason", reason}});
    }
    auto t = tally(policy, tx.approvals(r.id));
    if (t.denied) {
      r.failure = "denied by " + caller.user.name + (reason.empty() ? "" : ": " + reason);
      transition(tx, r, Workflow::denied, caller.actor(), {{"reason", reason}});
    } else if (t.quorum) {
      transition(tx, r, Workflow::queued_for_processing, caller.actor(),
                 {{"approvals", t.approvals}, {"requiredApprovals", policy.required_approvals}});
    }
  });
  notify(ctx, r);
  return r;
}

}  // namespace

SigningRequest approve(Context& ctx, const Caller& caller, const std::string& org_id, const std::string& id) {
  return decide(ctx, caller, org_id, id, true, "");
}

SigningRequest deny(Context& ctx, const Caller& caller, const std::string& org_id, const std::string& id,
                    const std::string& reason) {
  return decide(ctx, caller, org_id, id, false, reason);
}

SigningRequest cancel(Context& ctx, const Caller& caller, const std::string& org_id, const std::string& id) {
  SigningRequest r;
  ctx.store.write([&](Tx& tx) {
    r = must_get(tx, org_id, id);
    if (!can_cancel(caller.user, r)) {
      throw ApiError(403, "user '" + caller.user.name + "' may not cancel signing request " + id +
                              " (only its submitter, global administrators and project administrators may)");
    }
    if (is_final(r.workflow)) {
      throw ApiError(409, "signing request " + id + " is already final (" +
                              std::string(workflow_name(r.workflow)) + ")");
    }
    r.failure = "canceled by " + caller.user.name;
    transition(tx, r, Workflow::canceled, caller.actor());
  });
  notify(ctx, r);
  return r;
}

SigningRequest resubmit(Context& ctx, const Caller& caller, const std::string& org_id,
                        const std::string& original_id, const std::string& policy_slug,
                        const std::string& description, std::optional<int64_t> cancellation_timeout_s) {
  SigningRequest original, r;
  Project project;
  SigningPolicy policy;
  ctx.store.read([&](Tx& tx) {
    original = must_get(tx, org_id, original_id);
    auto proj = tx.project(original.project_id);
    if (!proj) throw ApiError(404, "project of signing request " + original_id + " no longer exists");
    project = *proj;
    auto pol = tx.signing_policy_by_slug(project.id, policy_slug);
    if (!pol)
      throw ApiError(404, "signing policy '" + policy_slug + "' not found in project '" + project.slug + "'");
    policy = *pol;
  });
  if (!can_submit(caller.user, policy)) {
    throw ApiError(403, "user '" + caller.user.name + "' is not a submitter of signing policy '" +
                            policy.slug + "' of project '" + project.slug + "'");
  }
  if (original.unsigned_sha256.empty() || !ctx.artifacts.exists(original.unsigned_sha256)) {
    throw ApiError(409, "signing request " + original_id + " has no unsigned artifact to resubmit");
  }
  // Judged by the new policy with the original's origin data (and the original's trust in it).
  bool trusted = original.origin_verified && !original.tbs_id.empty() &&
                 contains(project.trusted_build_system_ids, original.tbs_id);
  if (auto why = check_origin(project, policy, original.origin, trusted)) {
    throw ApiError(403, "resubmission of " + original_id + ": " + *why);
  }
  int64_t now = now_ms();
  r = original;
  r.id = new_uuid();
  r.seq = 0;
  r.policy_id = policy.id;
  r.submitter_id = caller.user.id;
  r.original_id = original.id;
  r.description = description.empty() ? original.description : description;
  r.workflow = after_artifact(policy.required_approvals);
  r.expected_sha256.clear();
  r.signed_sha256.clear();
  r.signed_size = 0;
  r.certificate_id.clear();
  r.failure.clear();
  r.claim.clear();
  r.attempts = 0;
  r.created_ms = r.updated_ms = now;
  r.cancel_deadline_ms = deadline(cancellation_timeout_s, now);
  ctx.store.write([&](Tx& tx) {
    tx.insert_request(r);
    audit(tx, org_id, caller.actor(), "signingRequest.resubmitted", "SigningRequest", r.id,
          {{"originalSigningRequestId", original.id},
           {"signingPolicySlug", policy.slug},
           {"sha256", r.unsigned_sha256},
           {"fileName", r.unsigned_name},
           {"workflowStatus", std::string(workflow_name(r.workflow))}});
  });
  notify(ctx, r);
  return r;
}

}  // namespace signet::service
