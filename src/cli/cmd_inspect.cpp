// signet inspect --config AC.xml INPUT [--param NAME=VALUE]...
#include <iostream>

#include "cli/commands.hpp"
#include "engine/engine.hpp"

namespace signet::cli {

Handler add_inspect_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Show the artifact's tree and which element matches each file");
  struct Opts {
    std::string config, input;
    std::vector<std::string> params;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--config", o->config, "Artifact configuration (XML)")->required();
  cmd->add_option("input", o->input, "Artifact to inspect")->required();
  cmd->add_option("--param", o->params, "NAME=VALUE for a configuration parameter");
  return [o]() {
    engine::InspectOptions options;
    options.config = o->config;
    options.input = o->input;
    options.parameters = parse_params(o->params);
    auto [text, ok] = engine::inspect(options);
    std::cout << text;
    return ok ? 0 : 1;
  };
}

}  // namespace signet::cli
