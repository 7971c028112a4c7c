#include "service/worker.hpp"

#include <unistd.h>

#include <filesystem>

#include "engine/engine.hpp"
#include "io/error.hpp"
#include "service/http_client.hpp"
#include "service/log.hpp"
#include "service/requests.hpp"
#include "service/util.hpp"

namespace signet::service {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A file name safe to use inside the work directory (the engine matches the root element's path
// against it, so the submitted name is kept where possible).
std::string safe_name(const std::string& name) {
  std::string base = name.substr(name.find_last_of("/\\") + 1);
  if (base.empty() || base == "." || base == "..") return "artifact";
  for (auto& c : base)
    if (static_cast<unsigned char>(c) < 0x20) c = '_';
  return base;
}

void finish(Context& ctx, const SigningRequest& claimed, Workflow to, const std::string& failure,
            const std::string& signed_sha, uint64_t signed_size, const std::string& cert_id) {
  bool applied = false;
  SigningRequest r;
  ctx.store.write([&](Tx& tx) {
    auto cur = tx.request(claimed.id);
    // Only the claim that is still current may finish the request: a cancel (or a requeue after a
    // crash) in the meantime wins, and this run's output is dropped.
    if (!cur || cur->workflow != Workflow::processing || cur->claim != claimed.claim) return;
    r = *cur;
    r.signed_sha256 = signed_sha;
    r.signed_size = signed_size;
    r.certificate_id = cert_id;
    r.failure = failure;
    json data = json::object();
    if (to == Workflow::completed)
      data = {{"signedSha256", signed_sha}, {"size", signed_size}};
    else
      data = {{"error", failure}};
    transition(tx, r, to, Actor::system(), data);
    applied = true;
  });
  if (applied) {
    ctx.notifier.request_changed(r.id);
    ctx.notifier.webhooks.notify();
  } else {
    log_info("signing request " + claimed.id +
             ": result of processing dropped (canceled or reclaimed meanwhile)");
  }
}

}  // namespace

void recover(Context& ctx) {
  ctx.artifacts.clean_tmp();
  std::error_code ec;
  fs::remove_all(ctx.options.data_dir / "work", ec);
  int requeued = 0, failed = 0;
  ctx.store.write([&](Tx& tx) {
    for (auto r : tx.requests_in(Workflow::processing)) {
      if (r.attempts >= ctx.options.max_processing_attempts) {
        r.failure = "processing was interrupted " + std::to_string(r.attempts) + " times (service restarts)";
        transition(tx, r, Workflow::processing_failed, Actor::system(), {{"error", r.failure}});
        ++failed;
      } else {
        transition(tx, r, Workflow::queued_for_processing, Actor::system(),
                   {{"reason", "processing was interrupted by a service restart"}});
        ++requeued;
      }
    }
  });
  if (requeued || failed) {
    log_info("recovery: " + std::to_string(requeued) + " interrupted request(s) queued again, " +
             std::to_string(failed) + " failed");
  }
}

namespace {

// The configuration version as a file for the engine, written once per version and reused.
fs::path config_file(Context& ctx, const std::string& slug, int version, const std::string& xml) {
  fs::path dir = ctx.options.data_dir / "configs";
  fs::path file =
      dir / (slug + "-v" + std::to_string(version) + "-" + sha256_hex(xml).substr(0, 16) + ".xml");
  std::error_code ec;
  if (fs::exists(file, ec)) return file;
  fs::create_directories(dir);
  write_file_atomic(file, xml, 0600);
  return file;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size())
    s.replace(p, from.size(), to);
}

}  // namespace

void process_request(Context& ctx, SigningRequest r, const fs::path& work) {
  std::string failure, signed_sha, cert_id, ac_slug;
  uint64_t signed_size = 0;
  fs::path cfg, input, output;
  try {
    std::string xml;
    Certificate cert;
    ctx.store.read([&](Tx& tx) {
      auto policy = tx.signing_policy(r.policy_id);
      if (!policy) throw io::Error("the signing policy no longer exists");
      auto c = tx.certificate(policy->certificate_id);
      if (!c) throw io::Error("the certificate of signing policy '" + policy->slug + "' no longer exists");
      cert = *c;
      auto ac = tx.artifact_configuration(r.ac_id);
      auto v = tx.ac_version(r.ac_id, r.ac_version);
      if (!ac || !v) throw io::Error("the artifact configuration of the request no longer exists");
      xml = v->xml;
      ac_slug = ac->slug;
    });
    cert_id = cert.id;
    cfg = config_file(ctx, ac_slug, r.ac_version, xml);
    // The engine matches the root element's path against the input's file name, so the stored
    // artifact is linked under its submitted name (in this worker's own directory).
    fs::create_directories(work);
    input = work / safe_name(r.unsigned_name);
    fs::path stored = ctx.artifacts.path_of(r.unsigned_sha256);
    std::error_code ec;
    fs::remove(input, ec);
    fs::create_hard_link(stored, input, ec);
    if (ec) fs::copy_file(stored, input);
    output = ctx.artifacts.tmp_dir() / ("signed-" + r.id + "-" + r.claim);

    engine::SignOptions options;
    options.config = cfg;
    options.input = input;
    options.output = output;
    options.parameters = r.parameters;
    options.keys = ctx.keys.keys_for(cert);
    options.limits = ctx.options.limits;
    options.threads = ctx.options.engine_threads;
    engine::sign(options);
    signed_sha = ctx.artifacts.adopt_file(output, &signed_size, /*synced=*/true);
  } catch (const io::ErrorList& list) {
    for (const auto& e : list.errors()) failure += (failure.empty() ? "" : "\n") + std::string(e.what());
  } catch (const io::Error& e) {
    failure = e.what();
  } catch (const std::exception& e) {
    failure = std::string("internal error: ") + e.what();
  }
  std::error_code ec;
  if (!input.empty()) fs::remove(input, ec);
  if (failure.empty()) {
    finish(ctx, r, Workflow::completed, "", signed_sha, signed_size, cert_id);
  } else {
    // Messages name the configuration and artifact as the submitter knows them, not server paths.
    replace_all(failure, cfg.string(), ac_slug + ".xml");
    replace_all(failure, input.string(), input.filename().string());
    replace_all(failure, ctx.options.data_dir.string(), "DATA");
    log_info("signing request " + r.id + " failed: " + failure);
    finish(ctx, r, Workflow::processing_failed, failure, "", 0, cert_id);
  }
}

Background::Background(Context& ctx) : ctx_(ctx) {}

Background::~Background() {
  stop();
}

void Background::start() {
  unsigned n = ctx_.options.workers;
  if (n == 0) n = std::max(2u, 2 * std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this, i] { worker_loop(i); });
  threads_.emplace_back([this] { scheduler_loop(); });
  threads_.emplace_back([this] { webhook_loop(); });
}

void Background::stop() {
  stop_ = true;
  ctx_.notifier.work.notify();
  ctx_.notifier.webhooks.notify();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void Background::worker_loop(unsigned index) {
  fs::path work = ctx_.options.data_dir / "work" / std::to_string(index);
  uint64_t seen = ctx_.notifier.work.count();
  while (!stop_) {
    std::optional<SigningRequest> r;
    try {
      std::string claim = random_token(12);
      ctx_.store.write([&](Tx& tx) {
        r = tx.claim_next(claim, now_ms());
        if (r) {
          audit(tx, r->org_id, Actor::system(), "signingRequest.statusChanged", "SigningRequest", r->id,
                {{"from", "QueuedForProcessing"}, {"to", "Processing"}, {"attempt", r->attempts}});
        }
      });
    } catch (const std::exception& e) {
      log_error(std::string("worker cannot claim work: ") + e.what());
    }
    if (r) {
      ctx_.notifier.request_changed(r->id);
      process_request(ctx_, *r, work);
      continue;
    }
    // Poll as well as wait: another node (or a missed wake-up) may have queued work.
    seen = ctx_.notifier.work.wait(seen, std::chrono::milliseconds(1000));
  }
}

void Background::scheduler_loop() {
  while (!stop_) {
    try {
      std::vector<std::string> changed;
      ctx_.store.write([&](Tx& tx) {
        int64_t now = now_ms();
        for (auto r : tx.overdue_requests(now)) {
          r.failure = "canceled: cancellationTimeoutInSeconds elapsed";
          transition(tx, r, Workflow::canceled, Actor::system(),
                     {{"reason", "cancellationTimeoutInSeconds elapsed"}});
          changed.push_back(r.id);
        }
      });
      for (const auto& id : changed) ctx_.notifier.request_changed(id);
      if (!changed.empty()) ctx_.notifier.webhooks.notify();
    } catch (const std::exception& e) {
      log_error(std::string("scheduler: ") + e.what());
    }
    for (int i = 0; i < 5 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void Background::webhook_loop() {
  uint64_t seen = ctx_.notifier.webhooks.count();
  while (!stop_) {
    std::vector<WebhookDelivery> due;
    std::map<std::string, std::pair<SigningRequest, Project>> info;
    try {
      ctx_.store.read([&](Tx& tx) {
        due = tx.due_deliveries(now_ms(), 20);
        for (const auto& d : due) {
          auto r = tx.request(d.request_id);
          auto p = r ? tx.project(r->project_id) : std::nullopt;
          if (r && p) info[d.request_id] = {*r, *p};
        }
      });
    } catch (const std::exception& e) {
      log_error(std::string("webhooks: ") + e.what());
    }
    for (auto& d : due) {
      if (stop_) break;
      auto it = info.find(d.request_id);
      d.attempts++;
      d.updated_ms = now_ms();
      if (it == info.end()) {
        d.done = true;
        d.error = "the signing request or project no longer exists";
      } else {
        const auto& [r, p] = it->second;
        http::ClientRequest rq;
        rq.method = "POST";
        rq.url = d.url;
        rq.timeout_seconds = 30;
        rq.max_body = 1 << 20;
        rq.headers.push_back({"Content-Type", "application/json"});
        if (p.webhook && !p.webhook->header_name.empty()) {
          rq.headers.push_back({p.webhook->header_name, p.webhook->header_value});
        }
        rq.body.push_back(
            {json{{"OrganizationId", r.org_id}, {"SigningRequestId", r.id}, {"Status", d.status}}.dump(),
             {}});
        try {
          auto resp = http::fetch(rq);
          d.response_code = static_cast<int>(resp.status);
          d.response_body = resp.body.substr(0, 4096);
          d.error.clear();
          d.done = resp.status >= 200 && resp.status < 300;
          if (!d.done) d.error = "receiver answered HTTP " + std::to_string(resp.status);
        } catch (const std::exception& e) {
          d.response_code = 0;
          d.error = e.what();
        }
        if (!d.done && d.attempts >= 5) d.done = true;  // give up; the record keeps the last answer
        d.next_attempt_ms = now_ms() + (1000LL << std::min(d.attempts, 10));
      }
      try {
        ctx_.store.write([&](Tx& tx) {
          tx.update_delivery(d);
          if (d.done && it != info.end()) {
            audit(tx, it->second.first.org_id, Actor::system(), "webhook.delivered", "SigningRequest",
                  d.request_id,
                  {{"url", d.url},
                   {"status", d.status},
                   {"responseCode", d.response_code},
                   {"attempts", d.attempts},
                   {"error", d.error}});
          }
        });
      } catch (const std::exception& e) {
        log_error(std::string("webhooks: ") + e.what());
      }
    }
    if (due.empty()) seen = ctx_.notifier.webhooks.wait(seen, std::chrono::milliseconds(1000));
  }
}

}  // namespace signet::service
