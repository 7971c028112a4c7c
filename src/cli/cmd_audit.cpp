// Placeholder until the service lands: the command exists and says so.
#include "cli/commands.hpp"
#include "io/error.hpp"

namespace signet::cli {

Handler add_audit_command(CLI::App& app) {
  app.add_subcommand("audit", "(not available yet)")->allow_extras();
  return []() -> int { throw io::Error("'signet audit' is not available yet"); };
}

}  // namespace signet::cli
