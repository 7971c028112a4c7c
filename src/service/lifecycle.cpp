#include "service/lifecycle.hpp"

#include <array>
#include <utility>

namespace signet::service {

namespace {
constexpr std::array<std::pair<Workflow, std::string_view>, 11> kNames{{
    {Workflow::submitted, "Submitted"},
    {Workflow::waiting_for_artifact_upload, "WaitingForArtifactUpload"},
    {Workflow::retrieving_artifact, "RetrievingArtifact"},
    {Workflow::waiting_for_approval, "WaitingForApproval"},
    {Workflow::queued_for_processing, "QueuedForProcessing"},
    {Workflow::processing, "Processing"},
    {Workflow::completed, "Completed"},
    {Workflow::processing_failed, "ProcessingFailed"},
    {Workflow::artifact_retrieval_failed, "ArtifactRetrievalFailed"},
    {Workflow::denied, "Denied"},
    {Workflow::canceled, "Canceled"},
}};
}  // namespace

std::string_view workflow_name(Workflow w) {
  for (auto& [k, v] : kNames)
    if (k == w) return v;
  return "Unknown";
}

std::optional<Workflow> parse_workflow(std::string_view name) {
  for (auto& [k, v] : kNames)
    if (v == name) return k;
  return std::nullopt;
}

std::string_view status_name(Workflow w) {
  switch (w) {
    case Workflow::waiting_for_approval:
      return "WaitingForApproval";
    case Workflow::completed:
      return "Completed";
    case Workflow::processing_failed:
    case Workflow::artifact_retrieval_failed:
      return "Failed";
    case Workflow::denied:
      return "Denied";
    case Workflow::canceled:
      return "Canceled";
    default:
      return "InProgress";
  }
}

bool is_final(Workflow w) {
  switch (w) {
    case Workflow::completed:
    case Workflow::processing_failed:
    case Workflow::artifact_retrieval_failed:
    case Workflow::denied:
    case Workflow::canceled:
      return true;
    default:
      return false;
  }
}

bool can_transition(Workflow from, Workflow to) {
  if (is_final(from)) return false;
  if (to == Workflow::canceled) return true;
  switch (from) {
    case Workflow::submitted:
      return to == Workflow::waiting_for_artifact_upload || to == Workflow::retrieving_artifact ||
             to == Workflow::waiting_for_approval || to == Workflow::queued_for_processing;
    case Workflow::waiting_for_artifact_upload:
    case Workflow::retrieving_artifact:
      return to == Workflow::waiting_for_approval || to == Workflow::queued_for_processing ||
             (from == Workflow::retrieving_artifact && to == Workflow::artifact_retrieval_failed);
    case Workflow::waiting_for_approval:
      return to == Workflow::queued_for_processing || to == Workflow::denied;
    case Workflow::queued_for_processing:
      return to == Workflow::processing;
    case Workflow::processing:
      return to == Workflow::completed || to == Workflow::processing_failed ||
             to == Workflow::queued_for_processing;
    default:
      return false;
  }
}

}  // namespace signet::service
