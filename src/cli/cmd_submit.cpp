// signet submit --url URL --organization ID --token TOKEN --project P --policy S [--config SLUG]
//               [--param N=V]... [--origin-repo URL --origin-branch B --origin-commit C]
//               [--trusted-build-system-token T] [--description D] [--timeout SECONDS] INPUT -o OUTPUT
// Submits INPUT to a signing service (any SignPath v1 compatible one), waits for the request to
// finish, and downloads the signed artifact. Progress on stderr; on failure the server's problem
// detail and a non-zero exit code.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.hpp"
#include "io/error.hpp"
#include "service/http_client.hpp"
#include "service/util.hpp"

namespace signet::cli {

namespace fs = std::filesystem;
namespace http = service::http;
using nlohmann::json;

namespace {

// "server answered 403 Forbidden: detail" from a problem details body (or the raw text).
std::string describe(const http::ClientResponse& r) {
  std::string msg = "server answered HTTP " + std::to_string(r.status);
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("detail") && j["detail"].is_string()) {
    msg += ": " + j["detail"].get<std::string>();
  } else if (!r.body.empty()) {
    msg += ": " + r.body.substr(0, 500);
  }
  return msg;
}

class Progress {
 public:
  explicit Progress(std::string what) : what_(std::move(what)), tty_(::isatty(2)) {}
  ~Progress() {
    if (shown_) std::cerr << "\n";
  }
  void operator()(uint64_t done, uint64_t total) {
    if (!tty_) return;
    auto now = std::chrono::steady_clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(200) && done != total) return;
    last_ = now;
    shown_ = true;
    if (total) {
      std::fprintf(stderr, "\r  %s %.1f / %.1f MiB (%d%%)   ", what_.c_str(), done / 1048576.0,
                   total / 1048576.0, static_cast<int>(done * 100 / total));
    } else {
      std::fprintf(stderr, "\r  %s %.1f MiB   ", what_.c_str(), done / 1048576.0);
    }
  }

 private:
  std::string what_;
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_;
};

std::string field(const std::string& boundary, const std::string& name, const std::string& value) {
  return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value +
         "\r\n";
}

}  // namespace

Handler add_submit_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("submit", "Submit an artifact to a signing service, wait, download the result");
  struct Opts {
    std::string url, org, token, tbs_token, project, policy, config, description, input, output;
    std::string origin_repo, origin_branch, origin_commit, origin_build_url;
    std::vector<std::string> params;
    int timeout = 600;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--url", o->url, "API URL of the service, e.g. http://127.0.0.1:8080 (/api is added)")
      ->required();
  cmd->add_option("--organization", o->org, "Organization ID")->required();
  cmd->add_option("--token", o->token, "API token (or $SIGNET_API_TOKEN)");
  cmd->add_option("--trusted-build-system-token", o->tbs_token,
                  "Token of a trusted build system (origin verification)");
  cmd->add_option("--project", o->project, "Project slug")->required();
  cmd->add_option("--policy", o->policy, "Signing policy slug")->required();
  cmd->add_option("--config", o->config, "Artifact configuration slug (default: the project's default)");
  cmd->add_option("--param", o->params, "NAME=VALUE for a configuration parameter");
  cmd->add_option("--description", o->description, "Description of the request");
  cmd->add_option("--origin-repo", o->origin_repo, "Origin repository URL");
  cmd->add_option("--origin-branch", o->origin_branch, "Origin branch");
  cmd->add_option("--origin-commit", o->origin_commit, "Origin commit ID");
  cmd->add_option("--origin-build-url", o->origin_build_url, "Origin build job URL");
  cmd->add_option("--timeout", o->timeout, "Seconds to wait for completion")->capture_default_str();
  cmd->add_option("input", o->input, "Artifact to sign")->required();
  cmd->add_option("-o,--output", o->output, "Where to write the signed artifact")->required();
  return [o]() {
    std::string token = o->token;
    if (token.empty()) {
      const char* env = std::getenv("SIGNET_API_TOKEN");
      if (env) token = env;
    }
    if (token.empty()) throw io::Error("an API token is needed: --token or $SIGNET_API_TOKEN");
    if (!fs::is_regular_file(o->input)) throw io::Error("cannot open the artifact", io::Location{o->input});
    auto params = parse_params(o->params);

    std::string api = o->url;
    while (!api.empty() && api.back() == '/') api.pop_back();
    auto url = http::parse_url(api);
    if (url.target == "/") api += "/api";
    std::string base = api + "/v1/" + o->org;
    std::string auth = "Bearer " + token + (o->tbs_token.empty() ? "" : ":" + o->tbs_token);

    std::string boundary = "signet-" + service::random_token(18);
    std::string head =
        field(boundary, "projectSlug", o->project) + field(boundary, "signingPolicySlug", o->policy);
    if (!o->config.empty()) head += field(boundary, "artifactConfigurationSlug", o->config);
    if (!o->description.empty()) head += field(boundary, "description", o->description);
    for (const auto& [k, v] : params) head += field(boundary, "parameters." + k, v);
    if (!o->origin_repo.empty()) {
      head += field(boundary, "Origin.RepositoryData.SourceControlManagementType", "git");
      head += field(boundary, "Origin.RepositoryData.Url", o->origin_repo);
    }
    if (!o->origin_branch.empty())
      head += field(boundary, "Origin.RepositoryData.BranchName", o->origin_branch);
    if (!o->origin_commit.empty())
      head += field(boundary, "Origin.RepositoryData.CommitId", o->origin_commit);
    if (!o->origin_build_url.empty()) head += field(boundary, "Origin.BuildData.Url", o->origin_build_url);
    std::string name = fs::path(o->input).filename().string();
    std::string quoted;
    for (char c : name) quoted += (c == '"' || c == '\\' || c == '\r' || c == '\n') ? '_' : c;
    head += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"artifact\"; filename=\"" + quoted +
            "\"\r\nContent-Type: application/octet-stream\r\n\r\n";

    http::ClientRequest submit;
    submit.method = "POST";
    submit.url = base + "/SigningRequests/SubmitWithArtifact";
    submit.headers = {{"Authorization", auth}, {"Content-Type", "multipart/form-data; boundary=" + boundary}};
    submit.body = {{head, {}}, {"", o->input}, {"\r\n--" + boundary + "--\r\n", {}}};
    http::ClientResponse r;
    {
      Progress up("uploading");
      submit.upload_progress = [&up](uint64_t d, uint64_t t) { up(d, t); };
      r = http::fetch(submit);
    }
    if (r.status != 201) throw io::Error("submission failed: " + describe(r));
    auto created = json::parse(r.body, nullptr, false);
    std::string id = created.is_object() ? created.value("signingRequestId", "") : "";
    std::string location = r.header("location");
    if (id.empty() || location.empty())
      throw io::Error("the server's answer to the submission lacks signingRequestId or Location");
    std::cerr << "signet: submitted signing request " << id << "\n";

    // Wait: the long-poll extension where the server has it; plain polling works as well.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o->timeout);
    std::string last;
    json status;
    for (;;) {
      http::ClientRequest poll;
      poll.url = location + "/Status?waitForCompletionTimeoutInSeconds=20";
      poll.headers = {{"Authorization", "Bearer " + token}};
      poll.timeout_seconds = 60;
      auto s = http::fetch(poll);
      if (s.status != 200) throw io::Error("status query failed: " + describe(s));
      status = json::parse(s.body, nullptr, false);
      if (!status.is_object()) throw io::Error("status answer is not JSON");
      std::string wf = status.value("workflowStatus", "");
      if (wf != last) {
        std::cerr << "signet: " << id << ": " << wf << "\n";
        last = wf;
      }
      if (status.value("isFinalStatus", false)) break;
      if (std::chrono::steady_clock::now() > deadline) {
        throw io::Error("signing request " + id + " did not finish within " + std::to_string(o->timeout) +
                        " s (last workflowStatus " + wf + ")");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (status.value("status", "") != "Completed") {
      std::string reason = status.value("statusReason", "");
      throw io::Error("signing request " + id + " ended with status " + status.value("status", "?") + " (" +
                      status.value("workflowStatus", "?") + ")" + (reason.empty() ? "" : ": " + reason));
    }
    http::ClientRequest dl;
    dl.url = status.value("signedArtifactLink", location + "/SignedArtifact");
    dl.headers = {{"Authorization", "Bearer " + token}};
    dl.save_to = o->output;
    {
      Progress down("downloading");
      dl.download_progress = [&down](uint64_t d, uint64_t t) { down(d, t); };
      auto d = http::fetch(dl);
      if (d.status != 200) throw io::Error("download failed: " + describe(d));
    }
    std::cerr << "signet: signed artifact written to " << o->output << "\n";
    return 0;
  };
}

}  // namespace signet::cli
