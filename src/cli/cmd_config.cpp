// signet config validate AC.xml
#include <iostream>

#include "cli/commands.hpp"
#include "config/model.hpp"

namespace signet::cli {

Handler add_config_command(CLI::App& app) {
  auto* config = app.add_subcommand("config", "Work with artifact configurations");
  config->require_subcommand(1);
  auto* validate = config->add_subcommand("validate", "Check an artifact configuration (schema and rules)");
  auto file = std::make_shared<std::string>();
  auto params = std::make_shared<std::vector<std::string>>();
  validate->add_option("config", *file, "Artifact configuration (XML)")->required();
  validate->add_option("--param", *params, "NAME=VALUE for a configuration parameter");
  return [file, params]() {
    config::LoadOptions options;
    options.parameters = parse_params(*params);
    options.require_parameters = false;
    auto cfg = config::load_file(*file, options);
    std::cout << *file << ": valid (root <" << cfg.root.kind << ">";
    if (!cfg.parameters.empty()) std::cout << ", " << cfg.parameters.size() << " parameter(s)";
    std::cout << ")\n";
    return 0;
  };
}

}  // namespace signet::cli
