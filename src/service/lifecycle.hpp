// The signing request lifecycle of SIGNPATH.md §2.6 / §6.6: workflowStatus values, the status
// each maps to, which are final, and which transitions are allowed.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace signet::service {

enum class Workflow {
  submitted,
  waiting_for_artifact_upload,  // SubmitWithoutArtifact until the upload (name unconfirmed upstream)
  retrieving_artifact,
  waiting_for_approval,
  queued_for_processing,
  processing,
  completed,
  processing_failed,
  artifact_retrieval_failed,
  denied,
  canceled,
};

std::string_view workflow_name(Workflow w);  // "QueuedForProcessing"
std::optional<Workflow> parse_workflow(std::string_view name);
std::string_view status_name(
    Workflow w);  // InProgress, WaitingForApproval, Completed, Failed, Denied, Canceled
bool is_final(Workflow w);

// What may follow `from`. Cancel is allowed from every non-final state; processing may be
// retried after a crash (Processing -> QueuedForProcessing).
bool can_transition(Workflow from, Workflow to);

// The state after a request has its artifact: approval first if the policy requires it.
inline Workflow after_artifact(int required_approvals) {
  return required_approvals > 0 ? Workflow::waiting_for_approval : Workflow::queued_for_processing;
}

}  // namespace signet::service
