#include "cli/keys.hpp"

#include <cstdlib>

#include "crypto/key_file_signer.hpp"
#include "crypto/openpgp/openpgp.hpp"
#include "io/error.hpp"

namespace signet::cli {

void add_key_options(CLI::App* cmd, KeyOptions& k) {
  cmd->add_option("--key", k.key, "Private key: PEM, PKCS#8 (encrypted too), PKCS#12, or a pkcs11: URI");
  cmd->add_option("--key-pass", k.key_pass, "Password of the key (or $SIGNET_KEY_PASS)");
  cmd->add_option("--cert", k.cert, "Signing certificate (PEM or DER)");
  cmd->add_option("--chain", k.chain, "Certificate chain (PEM bundle)");
  cmd->add_option("--pgp-key", k.pgp_key, "OpenPGP secret key (gpg --export-secret-keys [--armor])");
  cmd->add_option("--pgp-pass", k.pgp_pass, "Passphrase of the OpenPGP key (or $SIGNET_PGP_PASS)");
}

static std::string env_or(const std::string& given, const char* var) {
  if (!given.empty()) return given;
  const char* v = std::getenv(var);
  return v ? std::string(v) : std::string();
}

engine::Keys load_keys(const KeyOptions& k) {
  engine::Keys keys;
  std::string pass = env_or(k.key_pass, "SIGNET_KEY_PASS");
  if (!k.key.empty()) {
    if (k.key.rfind("pkcs11:", 0) == 0) {
      throw io::Error("PKCS#11 keys (" + k.key.substr(0, k.key.find(';')) +
                      "...) are not supported yet; use a key file");
    }
    std::optional<std::filesystem::path> cert, chain;
    if (!k.cert.empty()) cert = k.cert;
    if (!k.chain.empty()) chain = k.chain;
    keys.x509 = crypto::load_key_file_signer(k.key, pass, cert, chain);
  } else if (!k.cert.empty() || !k.chain.empty()) {
    throw io::Error("--cert and --chain need --key");
  }
  if (!k.pgp_key.empty()) {
    std::string pgp_pass = env_or(k.pgp_pass, "SIGNET_PGP_PASS");
    if (pgp_pass.empty()) pgp_pass = pass;
    keys.pgp = crypto::openpgp::load_secret_key(k.pgp_key, pgp_pass);
  }
  return keys;
}

void add_limit_options(CLI::App* cmd, LimitOptions& l) {
  cmd->add_option("--max-entry-size", l.max_entry_size, "Largest uncompressed container entry, bytes")
      ->group("Limits");
  cmd->add_option("--max-total-size", l.max_total_size, "Largest uncompressed container, bytes")
      ->group("Limits");
  cmd->add_option("--max-ratio", l.max_ratio, "Largest compression ratio of an entry over 1 MiB")
      ->group("Limits");
}

formats::Limits to_limits(const LimitOptions& l) {
  formats::Limits limits;
  if (l.max_entry_size) limits.max_entry_size = l.max_entry_size;
  if (l.max_total_size) limits.max_total_size = l.max_total_size;
  if (l.max_ratio) limits.max_ratio = l.max_ratio;
  return limits;
}

}  // namespace signet::cli
