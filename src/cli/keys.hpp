// Key and limit options shared by the commands that sign.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "engine/plan.hpp"
#include "formats/format.hpp"

namespace signet::cli {

struct KeyOptions {
  std::string key, key_pass, cert, chain, pgp_key, pgp_pass;
};

void add_key_options(CLI::App* cmd, KeyOptions& k);
// Loads the keys named on the command line. --key-pass falls back to $SIGNET_KEY_PASS and the
// OpenPGP passphrase to --pgp-pass, $SIGNET_PGP_PASS, then the key password.
engine::Keys load_keys(const KeyOptions& k);

struct LimitOptions {
  uint64_t max_entry_size = 0, max_total_size = 0, max_ratio = 0;
};
void add_limit_options(CLI::App* cmd, LimitOptions& l);
formats::Limits to_limits(const LimitOptions& l);

}  // namespace signet::cli
