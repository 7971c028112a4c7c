// signet audit verify --data DIR: checks the hash chain of the service's audit log.
#include "cli/commands.hpp"
#include "io/error.hpp"
#include "service/service.hpp"

namespace signet::cli {

Handler add_audit_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("audit", "Audit log of the signing service");
  cmd->require_subcommand(1);
  auto* verify = cmd->add_subcommand("verify", "Check that no audit event was edited or removed");
  auto data = std::make_shared<std::string>();
  verify->add_option("--data", *data, "The service's data directory")->required();
  return [data]() { return service::verify_audit(*data); };
}

}  // namespace signet::cli
