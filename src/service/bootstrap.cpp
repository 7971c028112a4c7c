// First start without a seed: a development PKI made with OpenSSL (the same shape as
// scripts/dev-pki.sh: a root CA and a code-signing certificate it issued), a default organization,
// an admin and a CI user with generated tokens, and a demo project.
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "crypto/x509.hpp"
#include "io/error.hpp"
#include "service/seed.hpp"
#include "service/util.hpp"

namespace signet::service {

namespace fs = std::filesystem;
using crypto::BioPtr;
using crypto::EvpPkeyPtr;
using crypto::OsslDeleter;
using crypto::X509Ptr;

namespace {

using ExtPtr = std::unique_ptr<X509_EXTENSION, OsslDeleter<X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;

[[noreturn]] void fail(const std::string& what) {
  throw io::Error("development PKI: " + what + ": " + crypto::openssl_errors());
}

EvpPkeyPtr rsa_key(unsigned bits) {
  EvpPkeyPtr k(EVP_RSA_gen(bits));
  if (!k) fail("cannot generate an RSA key");
  return k;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) fail(std::string("cannot add extension ") + value);
}

X509Ptr make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca,
                  long days) {
  X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), 2) != 1) fail("cannot create a certificate");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) fail("no random serial");
  serial[0] &= 0x7f;
  BnPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get())))
    fail("cannot set the serial number");
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), days * 86400L);
  X509_set_pubkey(x.get(), key);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509* iss = issuer ? issuer : x.get();
  X509_set_issuer_name(x.get(), X509_get_subject_name(iss));
  if (ca) {
    add_ext(x.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(x.get(), iss, NID_subject_key_identifier, "hash");
  } else {
    add_ext(x.get(), iss, NID_basic_constraints, "CA:FALSE");
    add_ext(x.get(), iss, NID_key_usage, "critical,digitalSignature");
    add_ext(x.get(), iss, NID_ext_key_usage, "codeSigning");
    add_ext(x.get(), iss, NID_subject_key_identifier, "hash");
    add_ext(x.get(), iss, NID_authority_key_identifier, "keyid");
  }
  if (X509_sign(x.get(), issuer_key, EVP_sha256()) == 0) fail("cannot sign the certificate");
  return x;
}

std::string pem_of(const std::function<int(BIO*)>& write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) fail("cannot write PEM");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

struct DevPki {
  fs::path key, cert, chain;
};

DevPki make_dev_pki(const fs::path& dir) {
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  DevPki out{dir / "signing.key", dir / "signing.crt", dir / "chain.pem"};
  auto ca_key = rsa_key(3072);
  auto ca = make_cert("Signet Dev Root CA", ca_key.get(), nullptr, ca_key.get(), true, 3650);
  auto key = rsa_key(3072);
  auto cert = make_cert("Signet Dev Code Signing", key.get(), ca.get(), ca_key.get(), false, 825);
  auto key_pem = [](EVP_PKEY* k) {
    return pem_of(
        [&](BIO* b) { return PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr); });
  };
  auto cert_pem = [](X509* c) { return pem_of([&](BIO* b) { return PEM_write_bio_X509(b, c); }); };
  write_file_atomic(dir / "ca.key", key_pem(ca_key.get()), 0600);
  write_file_atomic(dir / "ca.crt", cert_pem(ca.get()), 0644);
  write_file_atomic(out.key, key_pem(key.get()), 0600);
  write_file_atomic(out.cert, cert_pem(cert.get()), 0644);
  write_file_atomic(out.chain, cert_pem(ca.get()), 0644);
  return out;
}

}  // namespace

const std::string& demo_artifact_configuration() {
  static const std::string xml = R"(<?xml version="1.0" encoding="utf-8"?>
<!-- Demo: every file in the zip gets a detached CMS signature (PEM) beside it. -->
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <file-set>
      <include path="**/*" max-matches="unbounded"/>
      <for-each>
        <create-cms-signature output-encoding="pem" output-file-name="${file.name}.p7s" rsa-padding="pkcs1"/>
      </for-each>
    </file-set>
  </zip-file>
</artifact-configuration>
)";
  return xml;
}

Bootstrap bootstrap_default(Store& store, const fs::path& data_dir) {
  DevPki pki = make_dev_pki(data_dir / "pki");
  Bootstrap b;
  b.org_id = new_uuid();
  b.admin_token = random_token(32);
  b.ci_token = random_token(32);
  Seed seed;
  seed.organization = {b.org_id, "Default Organization"};
  seed.users.push_back({"admin", "interactive", b.admin_token, {"GlobalAdministrator"}});
  seed.users.push_back({"ci", "ci", b.ci_token, {}});
  SeedCertificate cert;
  cert.slug = "test-signing";
  cert.name = "Signet Dev Code Signing (development CA)";
  cert.key = pki.key.string();
  cert.certificate = pki.cert.string();
  cert.chain = pki.chain.string();
  seed.certificates.push_back(cert);
  SeedProject demo;
  demo.slug = "demo";
  demo.name = "Demo";
  demo.artifact_configurations.push_back(
      {"default", "Initial version", demo_artifact_configuration(), "built-in", true});
  SeedPolicy test;
  test.slug = "test-signing";
  test.name = "Test signing";
  test.certificate = "test-signing";
  test.submitters = {"admin", "ci"};
  SeedPolicy release;
  release.slug = "release-signing";
  release.name = "Release signing";
  release.certificate = "test-signing";
  release.submitters = {"admin", "ci"};
  release.approvers = {"admin"};
  release.required_approvals = 1;
  demo.signing_policies = {test, release};
  seed.projects.push_back(demo);
  apply_seed(store, seed, "bootstrap");
  write_file_atomic(data_dir / "admin-token", b.admin_token + "\n", 0600);
  write_file_atomic(data_dir / "ci-token", b.ci_token + "\n", 0600);
  write_file_atomic(data_dir / "organization-id", b.org_id + "\n", 0644);
  return b;
}

}  // namespace signet::service
