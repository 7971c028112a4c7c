// Placeholder until the service lands: the command exists and says so.
#include "cli/commands.hpp"
#include "io/error.hpp"

namespace signet::cli {

Handler add_submit_command(CLI::App& app) {
  app.add_subcommand("submit", "(not available yet)")->allow_extras();
  return []() -> int { throw io::Error("'signet submit' is not available yet"); };
}

}  // namespace signet::cli
