// signet verify FILE [--ca CA.pem]... [--tsa-ca CA.pem]... [--cert CERT]... [--pgp-key KEY]... [--json]
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "crypto/key_file_signer.hpp"
#include "engine/verify.hpp"

namespace signet::cli {

Handler add_verify_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("verify", "Check every signature in a file and in the files nested in it");
  struct Opts {
    std::string file;
    std::vector<std::string> ca, tsa_ca, pgp_keys, certs;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("file", o->file, "Signed file or container")->required();
  cmd->add_option("--ca", o->ca, "Trusted root or signing certificate (PEM/DER); also checks raw signatures");
  cmd->add_option("--cert", o->certs, "Signing certificate to check raw signatures with (they carry none)");
  cmd->add_option("--tsa-ca", o->tsa_ca, "Trusted root for time-stamp signatures");
  cmd->add_option("--pgp-key", o->pgp_keys, "OpenPGP public key (gpg --export [--armor])");
  cmd->add_flag("--json", o->json, "Machine-readable output");
  return [o]() {
    engine::VerifyOptions options;
    for (const auto& p : o->ca) {
      auto certs = crypto::load_certificates(p);
      options.anchors.insert(options.anchors.end(), certs.begin(), certs.end());
    }
    for (const auto& p : o->tsa_ca) {
      auto certs = crypto::load_certificates(p);
      options.tsa_anchors.insert(options.tsa_anchors.end(), certs.begin(), certs.end());
    }
    for (const auto& p : o->certs) {
      auto certs = crypto::load_certificates(p);
      options.signer_certs.insert(options.signer_certs.end(), certs.begin(), certs.end());
    }
    for (const auto& p : o->pgp_keys) options.pgp_keys.emplace_back(p);
    auto findings = engine::verify_file(o->file, options);
    bool all_ok = !findings.empty();
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : findings) {
      all_ok = all_ok && f.result.valid;
      if (o->json) {
        out.push_back({{"signature", f.signature},
                       {"subject", f.subject},
                       {"kind", f.result.kind},
                       {"valid", f.result.valid},
                       {"signer", f.result.signer},
                       {"digest", f.result.digest},
                       {"detail", f.result.detail}});
        continue;
      }
      std::cout << (f.result.valid ? "OK    " : "FAIL  ") << f.result.kind << "  " << f.signature;
      if (!f.subject.empty() && f.subject != f.signature) std::cout << " -> " << f.subject;
      if (!f.result.signer.empty()) std::cout << "  signer: " << f.result.signer;
      if (!f.result.digest.empty()) std::cout << "  " << f.result.digest;
      if (!f.result.detail.empty()) std::cout << "  (" << f.result.detail << ")";
      std::cout << "\n";
    }
    if (o->json) std::cout << out.dump(2) << "\n";
    if (findings.empty() && !o->json) std::cout << "no signatures found in " << o->file << "\n";
    return all_ok ? 0 : 1;
  };
}

}  // namespace signet::cli
