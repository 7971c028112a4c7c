// Test PKI generated once per test process with the openssl command line (TOOLBOX.md §1), plus
// helpers to run independent verifiers. Shared by the crypto and methods tests.
#pragma once
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/file.hpp"

namespace x509test {

namespace fs = std::filesystem;

// Exit code of a shell command (-1 if it did not exit normally).
inline int run(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  return (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
}

inline std::string run_output(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  return out;
}

inline std::vector<uint8_t> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const fs::path& p, std::span<const uint8_t> data) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

inline void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

inline std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

// Scratch directory for one test process's outputs, removed at exit.
inline const fs::path& scratch() {
  static signet::io::TempDir dir;
  return dir.path();
}

// The generated PKI, read-only. ctest runs every test in its own process, so the files are
// cached in $TMPDIR/signet-x509-pki-<uid>-<script hash> for 12 hours (certificates last 30 days)
// and generated under a lock by whichever process comes first.
class Pki {
 public:
  static const Pki& get() {
    static Pki pki;
    return pki;
  }
  fs::path operator/(const std::string& name) const { return dir_ / name; }
  const fs::path& dir() const { return dir_; }
  bool ok() const { return ok_; }

 private:
  Pki() {
    const std::string script = R"(set -e
exec >gen.log 2>&1
cat > ext.cnf <<'EOF'
[cs]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=codeSigning
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=Test Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -new -newkey rsa:2048 -nodes -keyout cs.key -out cs.csr -subj "/CN=Test Code Signer"
openssl x509 -req -in cs.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cs.crt -days 30 -extfile ext.cnf -extensions cs
cat cs.crt ca.crt > cs-chain.crt
openssl x509 -in cs.crt -outform DER -out cs.crt.der
openssl x509 -in cs.crt -pubkey -noout > cs.pub
openssl rsa -in cs.key -traditional -out cs-trad.key
openssl pkcs8 -topk8 -in cs.key -v2 aes-256-cbc -passout pass:secret -out cs-enc.key
openssl pkcs8 -topk8 -nocrypt -in cs.key -outform DER -out cs-p8.der
openssl pkcs8 -topk8 -in cs.key -v2 aes-256-cbc -passout pass:secret -outform DER -out cs-enc-p8.der
openssl pkcs12 -export -inkey cs.key -in cs.crt -certfile ca.crt -out cs.p12 -passout pass:test
openssl pkcs12 -export -inkey cs.key -in cs.crt -out cs-nopass.p12 -passout pass:
openssl pkcs12 -export -legacy -inkey cs.key -in cs.crt -out cs-legacy.p12 -passout pass:test
cat cs.key cs.crt > cs-combined.pem
for c in P-256 P-384 P-521; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:$c -nodes -keyout ec-$c.key -out ec-$c.csr -subj "/CN=Test EC $c Signer"
  openssl x509 -req -in ec-$c.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out ec-$c.crt -days 30 -extfile ext.cnf -extensions cs
  openssl x509 -in ec-$c.crt -pubkey -noout > ec-$c.pub
done
openssl ec -in ec-P-256.key -out ec-P-256-trad.key
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 30 -subj "/CN=Other Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl genpkey -algorithm ed25519 -out ed25519.key
openssl pkey -in ed25519.key -pubout -out ed25519.pub
openssl genpkey -algorithm ed448 -out ed448.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out k1.key
touch done
)";
    char hash[32];
    std::snprintf(hash, sizeof hash, "%zx", std::hash<std::string>{}(script));
    dir_ = fs::temp_directory_path() / ("signet-x509-pki-" + std::to_string(getuid()) + "-" + hash);
    auto fresh = [&] {
      std::error_code ec;
      auto t = fs::last_write_time(dir_ / "done", ec);
      return !ec && fs::file_time_type::clock::now() - t < std::chrono::hours(12);
    };
    int lock = ::open((dir_.string() + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (lock >= 0) ::flock(lock, LOCK_EX);
    if (!fresh()) {
      fs::path tmp = dir_.string() + ".tmp" + std::to_string(getpid());
      std::error_code ec;
      fs::remove_all(tmp, ec);
      fs::create_directories(tmp);
      write_file(tmp / "gen.sh", script);
      if (run("cd " + q(tmp) + " && bash gen.sh") == 0) {
        fs::remove_all(dir_, ec);
        fs::rename(tmp, dir_, ec);
      } else {
        dir_ = tmp;  // keep gen.log for the failure message
      }
    }
    ok_ = fresh();
    if (lock >= 0) ::close(lock);  // releases the lock
  }
  fs::path dir_;
  bool ok_ = false;
};

// Fail a test early when the PKI could not be generated (openssl missing).
#define X509TEST_REQUIRE_PKI()                                                                       \
  do {                                                                                               \
    if (!::x509test::Pki::get().ok())                                                                \
      FAIL() << "test PKI generation failed, see " << (::x509test::Pki::get() / "gen.log").string(); \
  } while (0)

}  // namespace x509test
