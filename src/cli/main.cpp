// signet: the command line. Every error ends as one clear line per problem on stderr and a
// non-zero exit code.
#include <iostream>

#include "cli/commands.hpp"
#include "io/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Signet: sign artifacts as a SignPath artifact configuration describes"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("signet 0.1.0"));
  std::vector<std::pair<std::string, signet::cli::Handler>> commands = {
      {"sign", signet::cli::add_sign_command(app)},     {"inspect", signet::cli::add_inspect_command(app)},
      {"config", signet::cli::add_config_command(app)}, {"verify", signet::cli::add_verify_command(app)},
      {"serve", signet::cli::add_serve_command(app)},   {"submit", signet::cli::add_submit_command(app)},
      {"audit", signet::cli::add_audit_command(app)},
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [name, handler] : commands) {
      if (app.got_subcommand(name)) return handler();
    }
    std::cerr << "signet: no command given (see signet --help)\n";
    return 2;
  } catch (const signet::io::ErrorList& e) {
    for (const auto& err : e.errors()) std::cerr << "signet: error: " << err.what() << "\n";
    return 1;
  } catch (const signet::io::Error& e) {
    std::cerr << "signet: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "signet: internal error: " << e.what() << "\n";
    return 70;
  }
}
