#include "engine/engine.hpp"

#include <fstream>

#include "config/model.hpp"
#include "engine/report.hpp"
#include "io/error.hpp"

namespace signet::engine {

namespace fs = std::filesystem;

namespace {

void count(const Node& n, SignSummary& s) {
  if (!n.applied.empty()) {
    s.files_processed++;
    s.signatures += n.applied.size();
  }
  for (const auto& c : n.children) count(c, s);
}

}  // namespace

SignSummary sign(const SignOptions& options) {
  config::LoadOptions load;
  load.parameters = options.parameters;
  auto cfg = config::load_file(options.config, load);

  auto input = io::file_source(options.input);
  std::error_code ec;
  if (fs::exists(options.output, ec) && fs::equivalent(options.input, options.output, ec)) {
    throw io::Error("output must not be the input file", io::Location{options.output.string()});
  }
  PlanOptions plan_options;
  plan_options.limits = options.limits;
  Node root = build_plan(cfg, input, options.input.filename().string(), options.keys, plan_options);

  io::TempDir temp;
  io::AtomicOutput out(options.output);
  ExecuteOptions exec;
  exec.threads = options.threads;
  exec.record_digests = options.report.has_value();
  exec.limits = options.limits;
  exec.progress = options.progress;
  execute(root, options.keys, out.file(), temp, exec);

  if (options.report) {
    auto json = make_report(root, cfg, options.input.string(), options.output.string());
    io::AtomicOutput rep(*options.report);
    std::string text = json.dump(2) + "\n";
    rep.file().write_all(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    out.commit();
    rep.commit();
  } else {
    out.commit();
  }
  SignSummary s;
  count(root, s);
  return s;
}

std::pair<std::string, bool> inspect(const InspectOptions& options) {
  config::LoadOptions load;
  load.parameters = options.parameters;
  auto cfg = config::load_file(options.config, load);
  auto input = io::file_source(options.input);
  PlanOptions plan_options;
  plan_options.limits = options.limits;
  plan_options.check_keys = false;
  plan_options.require_supported = false;
  std::vector<io::Error> problems;
  Node root = build_plan(cfg, input, options.input.filename().string(), {}, plan_options, &problems);
  std::string text = render_tree(root);
  if (!problems.empty()) {
    text += "\nproblems:\n";
    for (const auto& p : problems) text += std::string("  ") + p.what() + "\n";
  }
  return {text, problems.empty()};
}

}  // namespace signet::engine
