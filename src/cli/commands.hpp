// The `signet` subcommands. Each registers its options on the CLI11 app and returns the handler
// that main() runs; handlers return the exit code and let io::Error/io::ErrorList propagate.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace signet::cli {

using Handler = std::function<int()>;

Handler add_sign_command(CLI::App& app);
Handler add_inspect_command(CLI::App& app);
Handler add_config_command(CLI::App& app);
Handler add_verify_command(CLI::App& app);
Handler add_serve_command(CLI::App& app);
Handler add_submit_command(CLI::App& app);
Handler add_audit_command(CLI::App& app);

// NAME=VALUE list to a map; throws io::Error naming the bad item.
std::map<std::string, std::string> parse_params(const std::vector<std::string>& items);

}  // namespace signet::cli
