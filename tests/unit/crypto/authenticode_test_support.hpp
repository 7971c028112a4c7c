// Authenticode fixtures generated at test time (TOOLBOX.md §1-3): a PKI with code-signing, TSA,
// weak-key and expired certificates, an `openssl ts` configuration, mingw PE files (exe with a
// VERSIONINFO resource, dll, efi, PE32), the real Debian-signed EFI files, a local RFC 3161 TSA
// (tests/integration/tsa_server.py) and helpers around osslsigncode and sbverify.
#pragma once
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "crypto/x509_test_pki.hpp"

namespace actest {

namespace fs = std::filesystem;
using x509test::q;
using x509test::run;
using x509test::run_output;

// Generated once per machine and cached for 12 hours under $TMPDIR (x509test::generate_once).
class Fixtures : public x509test::GeneratedFiles {
 public:
  static const Fixtures& get() {
    static Fixtures f;
    return f;
  }

 private:
  // Paths inside tsa.cnf and ca.cnf must be final: generate in place of the cache dir.
  Fixtures()
      : GeneratedFiles(x509test::generate_once("signet-authenticode", x509test::kCaAndSignerScript + kRest,
                                               /*in_place=*/true)) {}
  static constexpr const char* kRest = R"(D=$(pwd)
cat >> ext.cnf <<'EOF'
[tsa]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=critical,timeStamping
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOF
openssl req -new -newkey rsa:2048 -nodes -keyout tsa.key -out tsa.csr -subj "/CN=Test TSA"
openssl x509 -req -in tsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tsa.crt -days 30 -extfile ext.cnf -extensions tsa
openssl req -new -newkey rsa:1024 -nodes -keyout weak.key -out weak.csr -subj "/CN=Weak Signer"
openssl x509 -req -in weak.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out weak.crt -days 30 -extfile ext.cnf -extensions cs
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.csr -subj "/CN=Test EC Signer"
openssl x509 -req -in ec.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out ec.crt -days 30 -extfile ext.cnf -extensions cs
openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 30 -subj "/CN=Other Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
# An expired code-signing certificate (validity in 2020) issued with `openssl ca`.
mkdir -p ca-db && : > ca-db/index.txt && echo 1000 > ca-db/serial
cat > ca.cnf <<EOF
[ca]
default_ca = d
[d]
dir = $D/ca-db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $D/ca.crt
private_key = $D/ca.key
default_md = sha256
policy = p
copy_extensions = none
[p]
commonName = supplied
EOF
openssl req -new -newkey rsa:2048 -nodes -keyout expired.key -out expired.csr -subj "/CN=Expired Signer"
openssl ca -batch -config ca.cnf -in expired.csr -out expired.crt -startdate 20200101000000Z -enddate 20200201000000Z \
  -extfile ext.cnf -extensions cs -notext
cat cs.crt ca.crt > cs-chain.crt
cat tsa.crt ca.crt > tsa-chain.crt
echo 01 > tsa-serial
cat > tsa.cnf <<EOF
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = $D
serial = $D/tsa-serial
crypto_device = builtin
signer_cert = $D/tsa.crt
certs = $D/ca.crt
signer_key = $D/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5.6
digests = sha1, sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
EOF
# PE fixtures (TOOLBOX.md §3.1, §3.2).
printf '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n' > hello.c
cat > ver.rc <<'EOF'
#include <winver.h>
1 VERSIONINFO
FILEVERSION 1,2,3,4
PRODUCTVERSION 1,2,3,4
FILEOS VOS_NT_WINDOWS32
FILETYPE VFT_APP
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904b0"
    BEGIN
      VALUE "CompanyName", "ACME Inc."
      VALUE "FileVersion", "1.2.3.4"
      VALUE "LegalCopyright", "(c) ACME"
      VALUE "OriginalFilename", "hello.exe"
      VALUE "ProductName", "MyProduct"
      VALUE "ProductVersion", "1.2.3.4"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
EOF
x86_64-w64-mingw32-windres ver.rc -O coff -o ver.o
x86_64-w64-mingw32-gcc -O2 -s -o hello.exe hello.c ver.o
x86_64-w64-mingw32-gcc -O2 -s -o plain.exe hello.c
printf '__declspec(dllexport) int add(int a,int b){return a+b;}\n' > lib.c
x86_64-w64-mingw32-gcc -shared -O2 -s -o lib.dll lib.c
printf 'typedef unsigned long long U; U efi_main(void*h,void*s){return 0;}\n' > efi.c
x86_64-w64-mingw32-gcc -O2 -ffreestanding -nostdlib -shared -Wl,--subsystem,10 -Wl,-dll -e efi_main -o test.efi efi.c
# An odd-sized file: unsigned PEs need zero padding to 8 bytes before the certificate table.
cp plain.exe odd.exe && printf 'overlay!!' >> odd.exe
# PE32 (binutils-mingw-w64-i686 provides the i386pe linker).
if command -v i686-w64-mingw32-ld >/dev/null; then
  printf 'int __attribute__((stdcall)) entry(void*a,void*b){return 0;}\nint data[100]={1,2,3};\n' > e32.c
  x86_64-w64-mingw32-gcc -m32 -O2 -ffreestanding -nostdlib -c e32.c -o e32.o
  i686-w64-mingw32-ld -e _entry@8 --subsystem windows -o pe32.exe e32.o
fi
touch done
)";
};

#define ACTEST_REQUIRE_FIXTURES()                                                                      \
  do {                                                                                                 \
    if (!::actest::Fixtures::get().ok())                                                               \
      FAIL() << "fixture generation failed, see " << (::actest::Fixtures::get() / "gen.log").string(); \
  } while (0)

// The real Debian-signed EFI binaries (TOOLBOX.md §5), downloaded once with `apt-get download`
// into a cache beside the test binary (the build tree). nullopt (with `why`) without network.
inline std::optional<fs::path> debian_file(const std::string& which, std::string* why) {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  fs::path cache = (ec ? fs::temp_directory_path() : exe.parent_path()) / "debian-cache";
  fs::path target = which == "shim" ? cache / "x/usr/lib/shim/shimx64.efi.signed"
                                    : cache / "x/usr/libexec/fwupd/efi/fwupdx64.efi.signed";
  if (fs::exists(target)) return target;
  fs::create_directories(cache, ec);
  std::string cmd = "cd " + q(cache) + " && flock .lock sh -c '" + "test -e " + q(target) +
                    " || { timeout 120 apt-get download fwupd-amd64-signed shim-signed "
                    ">download.log 2>&1 && for d in *.deb; do dpkg-deb -x \"$d\" x; done; }'";
  if (run(cmd) != 0 || !fs::exists(target)) {
    if (why)
      *why = "cannot download the Debian packages (no network?), see " + (cache / "download.log").string();
    return std::nullopt;
  }
  return target;
}

// A local TSA (tests/integration/tsa_server.py) on a free loopback port, stopped on destruction.
class TsaServer {
 public:
  TsaServer() {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      std::string script = std::string(SIGNET_SOURCE_DIR) + "/tests/integration/tsa_server.py";
      std::string cnf = (Fixtures::get() / "tsa.cnf").string();
      execl("/usr/bin/python3", "python3", script.c_str(), cnf.c_str(), "0", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    FILE* f = fdopen(fds[0], "r");
    char line[64] = {};
    if (f && fgets(line, sizeof line, f)) std::sscanf(line, "PORT %d", &port_);
    if (f) fclose(f);
  }
  ~TsaServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  TsaServer(const TsaServer&) = delete;
  TsaServer& operator=(const TsaServer&) = delete;
  bool ok() const { return port_ > 0; }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// A loopback URL where nothing listens (connection refused).
inline std::string dead_url() {
  return "http://127.0.0.1:9/";
}

struct ToolResult {
  int rc = -1;
  std::string out;
};

inline ToolResult tool(const std::string& cmd) {
  auto out_file = x509test::scratch() / "tool.out";
  ToolResult r;
  r.rc = run(cmd + " >" + q(out_file) + " 2>&1");
  auto bytes = x509test::read_file(out_file);
  r.out.assign(bytes.begin(), bytes.end());
  return r;
}

// osslsigncode verify of one signature (-index N), trusting the test CA for signer and TSA.
inline ToolResult osslsigncode_verify(const fs::path& file, int index, const std::string& ca = "ca.crt") {
  const auto& f = Fixtures::get();
  return tool("osslsigncode verify -CAfile " + q(f / ca) + " -TSA-CAfile " + q(f / "ca.crt") + " -index " +
              std::to_string(index) + " -in " + q(file));
}

inline ToolResult sbverify(const fs::path& file, const std::string& ca = "ca.crt") {
  return tool("sbverify --cert " + q(Fixtures::get() / ca) + " " + q(file));
}

inline fs::path copy_fixture(const std::string& name, const std::string& as) {
  fs::path dst = x509test::scratch() / as;
  fs::copy_file(Fixtures::get() / name, dst, fs::copy_options::overwrite_existing);
  return dst;
}

}  // namespace actest
