// Test helpers for OpenPGP: a throw-away GnuPG home that makes keys, and the independent verifiers
// (gpgv with a binary keyring, rnp with an armored key file).
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/file.hpp"

namespace signet::testing {

struct RunResult {
  int rc = -1;
  std::string out;  // stdout and stderr
};

inline RunResult run(const std::string& cmd) {
  RunResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string q(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

inline void write_file(const std::filesystem::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// A GnuPG home in a temp directory; its agent is stopped on destruction.
class GpgHome {
 public:
  GpgHome() : home_(dir_.path() / "gnupg") {
    std::filesystem::create_directory(home_);
    std::filesystem::permissions(home_, std::filesystem::perms::owner_all);
  }
  ~GpgHome() { run("gpgconf --homedir " + q(home_) + " --kill gpg-agent"); }
  GpgHome(const GpgHome&) = delete;
  GpgHome& operator=(const GpgHome&) = delete;

  const std::filesystem::path& dir() const { return dir_.path(); }
  const std::filesystem::path& home() const { return home_; }

  RunResult gpg(const std::string& args) const {
    return run("gpg --homedir " + q(home_) + " --batch --yes --no-tty " + args);
  }

  // Generates a key and returns its fingerprint. `algo`/`usage` as for --quick-generate-key.
  std::string generate(const std::string& uid, const std::string& algo, const std::string& usage,
                       const std::string& passphrase = "") const {
    auto r = gpg("--pinentry-mode loopback --passphrase '" + passphrase + "' --quick-generate-key '" + uid +
                 "' " + algo + " " + usage + " 1y");
    EXPECT_EQ(r.rc, 0) << r.out;
    return fingerprint(uid);
  }

  std::string add_subkey(const std::string& fpr, const std::string& algo, const std::string& usage,
                         const std::string& passphrase = "") const {
    auto r = gpg("--pinentry-mode loopback --passphrase '" + passphrase + "' --quick-add-key " + fpr + " " +
                 algo + " " + usage + " 1y");
    EXPECT_EQ(r.rc, 0) << r.out;
    return {};
  }

  std::string fingerprint(const std::string& uid) const {
    auto r = gpg("--with-colons --list-secret-keys '" + uid + "'");
    auto pos = r.out.find("\nfpr:");
    if (pos == std::string::npos) return {};
    auto line = r.out.substr(pos + 1, r.out.find('\n', pos + 1) - pos - 1);
    // fpr:::::::::FINGERPRINT:
    auto end = line.rfind(':');
    auto start = line.rfind(':', end - 1);
    return line.substr(start + 1, end - start - 1);
  }

  std::filesystem::path export_secret(const std::string& fpr, const std::string& passphrase, bool armored,
                                      const std::string& name, const std::string& extra = "") const {
    auto out = dir() / name;
    auto r = gpg("--pinentry-mode loopback --passphrase '" + passphrase + "' " + (armored ? "--armor " : "") +
                 extra + " --export-secret-keys " + fpr + " > " + q(out));
    EXPECT_EQ(r.rc, 0) << r.out;
    return out;
  }

  // Binary keyring for gpgv (which rejects armored keyrings) and an armored file for rnp.
  std::filesystem::path pub_gpg() const {
    auto out = dir() / "pub.gpg";
    EXPECT_EQ(gpg("--export > " + q(out)).rc, 0);
    return out;
  }
  std::filesystem::path pub_asc() const {
    auto out = dir() / "pub.asc";
    EXPECT_EQ(gpg("--armor --export > " + q(out)).rc, 0);
    return out;
  }

 private:
  io::TempDir dir_;
  std::filesystem::path home_;
};

inline RunResult gpgv(const std::filesystem::path& keyring, const std::filesystem::path& sig,
                      const std::filesystem::path& data) {
  return run("gpgv --keyring " + q(keyring) + " " + q(sig) + " " + q(data));
}

inline RunResult rnp_verify(const std::filesystem::path& keyfile, const std::filesystem::path& sig,
                            const std::filesystem::path& data, const std::filesystem::path& rnp_home) {
  std::filesystem::create_directories(rnp_home);
  return run("rnp --homedir " + q(rnp_home) + " --keyfile " + q(keyfile) + " --verify " + q(sig) +
             " --source " + q(data));
}

}  // namespace signet::testing
