// Helpers for the cabinet and MSI tests: running the independent tools (gcab, wixl, msitools,
// osslsigncode, mingw) in a temp directory, and one shared set of fixtures built at test time:
// a test PKI, two PE files (main.exe, libs/common.dll), cabinets made by gcab (stored and MSZIP),
// and an MSI made by wixl with the PEs in a subdirectory.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "container_test_support.hpp"
#include "formats/authenticode.hpp"
#include "formats/factories.hpp"
#include "io/error.hpp"
#include "io/file.hpp"
#include "io/hash.hpp"
#include "io/source.hpp"

namespace cabtest {

using namespace containertest;

inline const signet::formats::AuthenticodeSignable& signable(const OpenedFile& f) {
  auto* s = dynamic_cast<const signet::formats::AuthenticodeSignable*>(&f);
  if (!s) throw std::runtime_error("not AuthenticodeSignable");
  return *s;
}

// The hex digest osslsigncode calculates for a signed file ("Calculated message digest" for
// PE/CAB, "Calculated DigitalSignature" for MSI), upper case; "" when absent.
inline std::string ossl_calculated(const fs::path& signed_file) {
  auto r = run("osslsigncode verify -in " + q(signed_file) + " -CAfile /dev/null");
  std::smatch m;
  static const std::regex msi(R"(Calculated DigitalSignature\s*:\s*([0-9A-F]+))");
  static const std::regex pe(R"(Calculated message digest\s*:\s*([0-9A-F]+))");
  if (std::regex_search(r.output, m, msi)) return m[1];
  if (std::regex_search(r.output, m, pe)) return m[1];
  return "";
}

inline std::string upper_hex(const std::vector<uint8_t>& d) {
  std::string s = signet::io::to_hex(d);
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Fixtures shared by all tests of the binary (built once; tools are required).
struct Fixtures {
  fs::path dir;
  bool ok = false;
  std::string why;  // what failed while building them

  fs::path pki() const { return dir / "pki"; }
  fs::path src() const { return dir / "src"; }  // main.exe, libs/common.dll, readme.txt
  fs::path cab_stored() const { return dir / "stored.cab"; }
  fs::path cab_mszip() const { return dir / "mszip.cab"; }
  fs::path msi() const { return dir / "test.msi"; }

  // osslsigncode sign with the test key; returns false on failure.
  bool ossl_sign(const fs::path& in, const fs::path& out, const std::string& extra = "") const {
    fs::remove(out);
    return run("osslsigncode sign -certs " + q(pki() / "cs-chain.crt") + " -key " + q(pki() / "cs.key") +
               " -h sha256 " + extra + " -in " + q(in) + " -out " + q(out))
        .ok();
  }
  RunResult ossl_verify(const fs::path& f) const {
    return run("osslsigncode verify -CAfile " + q(pki() / "ca.crt") + " -in " + q(f));
  }

  Fixtures() {
    dir = fs::temp_directory_path() / ("signet-cabmsi-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "pki");
    fs::create_directories(src() / "libs");
    auto step = [&](const std::string& what, const std::string& cmd) {
      if (!why.empty()) return;
      auto r = run("cd " + q(dir) + " && " + cmd);
      if (!r.ok()) why = what + ": " + r.output;
    };
    write_file(
        dir / "pki" / "ext.cnf",
        "[cs]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
    step(
        "pki",
        "cd pki && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "
        "'/CN=Test Root CA' "
        "-addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' && "
        "openssl req -new -newkey rsa:2048 -nodes -keyout cs.key -out cs.csr -subj '/CN=Test Code Signer' && "
        "openssl x509 -req -in cs.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cs.crt -days 30 -extfile "
        "ext.cnf "
        "-extensions cs && cat cs.crt ca.crt > cs-chain.crt");
    write_file(dir / "hello.c", "#include <stdio.h>\nint main(void){puts(\"hello\");return 0;}\n");
    write_file(dir / "lib.c", "__declspec(dllexport) int add(int a,int b){return a+b;}\n");
    step("mingw",
         "x86_64-w64-mingw32-gcc -O2 -s -o src/main.exe hello.c && "
         "x86_64-w64-mingw32-gcc -shared -O2 -s -o src/libs/common.dll lib.c");
    std::string readme;
    for (int i = 0; i < 3000; ++i) readme += "line " + std::to_string(i) + " of the readme\n";  // > 32 KiB
    write_file(src() / "readme.txt", readme);
    step("gcab",
         "cd src && gcab -c ../stored.cab main.exe readme.txt libs/common.dll && "
         "gcab -c -z ../mszip.cab main.exe readme.txt libs/common.dll");
    write_file(dir / "test.wxs", R"(<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
 <Product Id="*" Name="MyProduct" Language="1033" Version="1.2.3" Manufacturer="ACME Inc."
    UpgradeCode="12345678-1234-1234-1234-123456789012">
  <Package Compressed="yes" Description="MyProduct" Manufacturer="ACME Inc."/>
  <Media Id="1" Cabinet="product.cab" EmbedCab="yes"/>
  <Directory Id="TARGETDIR" Name="SourceDir"><Directory Id="ProgramFilesFolder"><Directory Id="INSTALLDIR" Name="MyProduct">
   <Component Id="Main" Guid="12345678-1234-1234-1234-123456789013"><File Id="MainExe" Source="src/main.exe" KeyPath="yes"/></Component>
   <Component Id="Readme" Guid="12345678-1234-1234-1234-123456789015"><File Id="ReadmeTxt" Source="src/readme.txt" KeyPath="yes"/></Component>
   <Directory Id="LIBS" Name="libs">
    <Component Id="Libs" Guid="12345678-1234-1234-1234-123456789014"><File Id="CommonDll" Source="src/libs/common.dll" KeyPath="yes"/></Component>
   </Directory>
  </Directory></Directory></Directory>
  <Feature Id="Complete" Level="1"><ComponentRef Id="Main"/><ComponentRef Id="Readme"/><ComponentRef Id="Libs"/></Feature>
 </Product>
</Wix>
)");
    step("wixl", "wixl -o test.msi test.wxs");
    ok = why.empty();
  }
  ~Fixtures() { fs::remove_all(dir); }
};

inline const Fixtures& fixtures() {
  static Fixtures f;
  return f;
}

#define REQUIRE_FIXTURES()                                                          \
  do {                                                                              \
    if (!cabtest::fixtures().ok) FAIL() << "fixtures: " << cabtest::fixtures().why; \
  } while (0)

// A per-test scratch directory.
struct Scratch {
  fs::path dir;
  Scratch() {
    static int n = 0;
    dir = cabtest::fixtures().dir / ("t" + std::to_string(++n));
    fs::create_directories(dir);
  }
};

inline std::unique_ptr<OpenedFile> open_cab(const fs::path& p, const signet::formats::Limits& l = {}) {
  return signet::formats::cab_format().open(signet::io::file_source(p), l);
}
inline std::unique_ptr<OpenedFile> open_cab_bytes(const std::string& bytes,
                                                  const signet::formats::Limits& l = {}) {
  return signet::formats::cab_format().open(signet::io::memory_source(bytes_of(bytes), "hostile.cab"), l);
}

// Writes `src` to a file.
inline void save(const signet::io::Source& src, const fs::path& out) {
  auto v = signet::io::read_all(src, 1ull << 32);
  write_file(out, std::string(v.begin(), v.end()));
}

}  // namespace cabtest
