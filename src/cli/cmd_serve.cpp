// Placeholder until the service lands: the command exists and says so.
#include "cli/commands.hpp"
#include "io/error.hpp"

namespace signet::cli {

Handler add_serve_command(CLI::App& app) {
  app.add_subcommand("serve", "(not available yet)")->allow_extras();
  return []() -> int { throw io::Error("'signet serve' is not available yet"); };
}

}  // namespace signet::cli
