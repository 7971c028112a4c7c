// Test-only helpers for the XML-DSig tests: a PKI generated with the openssl CLI at test time
// (TOOLBOX.md §1, plus an intermediate CA and an EC P-256 signer), and a Signer over an EVP_PKEY
// loaded from a PEM key file (the real key-file backend lives in crypto/).
#pragma once
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/signer.hpp"
#include "io/file.hpp"

namespace signet::test {

inline int run(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::filesystem::path& p, const std::string& data) {
  std::ofstream(p, std::ios::binary) << data;
}

inline std::vector<uint8_t> bytes_of(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

inline crypto::CertDer pem_to_der(const std::filesystem::path& pem) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(pem.c_str(), "r"), std::fclose);
  if (!f) throw std::runtime_error("cannot open " + pem.string());
  std::unique_ptr<X509, void (*)(X509*)> x(PEM_read_X509(f.get(), nullptr, nullptr, nullptr), X509_free);
  if (!x) throw std::runtime_error("not a PEM certificate: " + pem.string());
  unsigned char* der = nullptr;
  int n = i2d_X509(x.get(), &der);
  crypto::CertDer out(der, der + n);
  OPENSSL_free(der);
  return out;
}

// Root CA -> RSA code signer ("Test Code Signer"); Root CA -> intermediate -> EC P-256 signer
// ("Test EC Signer"); an unrelated root ("Other Root CA"). Generated once per test process.
class Pki {
 public:
  static const Pki& get() {
    static const Pki pki;
    return pki;
  }
  std::filesystem::path dir() const { return tmp_.path(); }
  std::filesystem::path operator/(const std::string& f) const { return tmp_.path() / f; }

 private:
  Pki() {
    const std::string d = tmp_.path().string();
    write_bytes(tmp_.path() / "ext.cnf",
                "[cs]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=codeSigning\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
                "[ica]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
    const std::string script =
        "cd " + d +
        " && ( openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30"
        " -subj '/CN=Test Root CA' -addext basicConstraints=critical,CA:TRUE"
        " -addext keyUsage=critical,keyCertSign,cRLSign"
        " && openssl req -new -newkey rsa:2048 -nodes -keyout cs.key -out cs.csr -subj '/CN=Test Code Signer'"
        " && openssl x509 -req -in cs.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cs.crt -days 30"
        " -extfile ext.cnf -extensions cs"
        " && openssl req -new -newkey rsa:2048 -nodes -keyout inter.key -out inter.csr"
        " -subj '/CN=Test Intermediate CA'"
        " && openssl x509 -req -in inter.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out inter.crt -days 30"
        " -extfile ext.cnf -extensions ica"
        " && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.csr"
        " -subj '/CN=Test EC Signer'"
        " && openssl x509 -req -in ec.csr -CA inter.crt -CAkey inter.key -CAcreateserial -out ec.crt -days 30"
        " -extfile ext.cnf -extensions cs"
        " && openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 30"
        " -subj '/CN=Other Root CA' -addext basicConstraints=critical,CA:TRUE"
        " -addext keyUsage=critical,keyCertSign,cRLSign"
        " && openssl genpkey -algorithm ed25519 -out ed.key"
        " && cat cs.crt ca.crt > cs-chain.crt && cat ec.crt inter.crt > ec-untrusted.crt"
        " ) > pki.log 2>&1";
    if (run(script) != 0)
      throw std::runtime_error("PKI generation failed:\n" + read_text(tmp_.path() / "pki.log"));
  }
  io::TempDir tmp_;
};

// A Signer over a PEM private key and PEM certificates (signing certificate first).
class TestSigner : public crypto::Signer {
 public:
  TestSigner(const std::filesystem::path& key_pem, const std::vector<std::filesystem::path>& cert_pems)
      : key_(nullptr, EVP_PKEY_free) {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(key_pem.c_str(), "r"), std::fclose);
    if (!f) throw std::runtime_error("cannot open " + key_pem.string());
    key_.reset(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr));
    if (!key_) throw std::runtime_error("not a PEM private key: " + key_pem.string());
    for (const auto& c : cert_pems) certs_.push_back(pem_to_der(c));
  }

  crypto::KeyType key_type() const override {
    switch (EVP_PKEY_get_base_id(key_.get())) {
      case EVP_PKEY_RSA:
        return crypto::KeyType::rsa;
      case EVP_PKEY_EC:
        return crypto::KeyType::ec;
      default:
        return crypto::KeyType::ed25519;
    }
  }
  int key_bits() const override { return EVP_PKEY_get_bits(key_.get()); }

  std::vector<uint8_t> sign_digest(io::HashAlg alg, std::span<const uint8_t> digest,
                                   crypto::RsaPadding padding) const override {
    ++calls;
    last_digest.assign(digest.begin(), digest.end());
    std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> ctx(EVP_PKEY_CTX_new(key_.get(), nullptr),
                                                               EVP_PKEY_CTX_free);
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) <= 0) throw std::runtime_error("sign init");
    const EVP_MD* md = EVP_get_digestbyname(std::string(io::hash_alg_name(alg)).c_str());
    if (EVP_PKEY_CTX_set_signature_md(ctx.get(), md) <= 0) throw std::runtime_error("set md");
    if (key_type() == crypto::KeyType::rsa) {
      int pad = padding == crypto::RsaPadding::pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING;
      if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), pad) <= 0) throw std::runtime_error("set padding");
    }
    size_t len = 0;
    if (EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) <= 0)
      throw std::runtime_error("sign");
    std::vector<uint8_t> sig(len);
    if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) <= 0) {
      throw std::runtime_error("sign");
    }
    sig.resize(len);
    return sig;
  }

  std::vector<uint8_t> public_key_der() const override {
    unsigned char* der = nullptr;
    int n = i2d_PUBKEY(key_.get(), &der);
    std::vector<uint8_t> out(der, der + n);
    OPENSSL_free(der);
    return out;
  }
  const std::vector<crypto::CertDer>& certificates() const override { return certs_; }
  std::string describe() const override { return "test key"; }

  mutable int calls = 0;
  mutable std::vector<uint8_t> last_digest;

 private:
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key_;
  std::vector<crypto::CertDer> certs_;
};

inline std::shared_ptr<TestSigner> rsa_signer() {
  const auto& p = Pki::get();
  return std::make_shared<TestSigner>(p / "cs.key",
                                      std::vector<std::filesystem::path>{p / "cs.crt", p / "ca.crt"});
}

inline std::shared_ptr<TestSigner> ec_signer() {
  const auto& p = Pki::get();
  return std::make_shared<TestSigner>(
      p / "ec.key", std::vector<std::filesystem::path>{p / "ec.crt", p / "inter.crt", p / "ca.crt"});
}

}  // namespace signet::test
