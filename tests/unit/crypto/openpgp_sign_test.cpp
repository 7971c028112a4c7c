// Detached signatures made by signet, checked by gpgv, rnp and gpg; every positive check has a
// tampered-data control that must fail.
#include <gtest/gtest.h>

#include <ctime>

#include "crypto/openpgp/openpgp.hpp"
#include "crypto/openpgp_test_util.hpp"
#include "io/error.hpp"
#include "io/source.hpp"

namespace pgp = signet::crypto::openpgp;
using namespace signet;
using namespace signet::testing;

namespace {

const std::string kPass = "correct horse battery";

struct Files {
  std::filesystem::path data, tampered, keyring, asc;
};

Files prepare(const GpgHome& h) {
  Files f{h.dir() / "data.bin", h.dir() / "tampered.bin", h.pub_gpg(), h.pub_asc()};
  std::string bytes = "line one\r\nline two\n";
  for (int i = 0; i < 5000; ++i) bytes += static_cast<char>(i * 7 + 3);
  write_file(f.data, bytes);
  bytes[bytes.size() / 2] ^= 0x01;
  write_file(f.tampered, bytes);
  return f;
}

int hash_id(io::HashAlg a) {
  return a == io::HashAlg::sha256 ? 8 : a == io::HashAlg::sha384 ? 9 : 10;
}

// Signs with the key in every hash and output encoding; gpgv, rnp and gpg must accept the signature
// over the data and reject it over the tampered copy.
// Hashes shorter than `min_hash` (ECDSA over P-384 and P-521, as GnuPG demands) must be refused.
void sign_and_check(const GpgHome& h, const Files& f, const pgp::SecretKey& key, size_t min_hash = 32) {
  for (auto alg : {io::HashAlg::sha256, io::HashAlg::sha384, io::HashAlg::sha512}) {
    if (io::hash_size(alg) < min_hash) {
      EXPECT_THROW(
          pgp::sign_detached(key, *io::file_source(f.data), alg, pgp::Encoding::binary, std::time(nullptr)),
          io::Error);
      continue;
    }
    for (auto enc : {pgp::Encoding::ascii_armored, pgp::Encoding::binary}) {
      SCOPED_TRACE(std::string(io::hash_alg_name(alg)) +
                   (enc == pgp::Encoding::binary ? " binary" : " armored"));
      auto sig = pgp::sign_detached(key, *io::file_source(f.data), alg, enc, std::time(nullptr));
      auto sig_file = h.dir() / (enc == pgp::Encoding::binary ? "data.bin.sig" : "data.bin.asc");
      write_file(sig_file, std::string(sig.begin(), sig.end()));
      if (enc == pgp::Encoding::ascii_armored) {
        EXPECT_EQ(std::string(sig.begin(), sig.begin() + 31), "-----BEGIN PGP SIGNATURE-----\n\n");
      } else {
        EXPECT_EQ(sig[0], 0xC2);  // new-format signature packet
      }

      auto v = gpgv(f.keyring, sig_file, f.data);
      EXPECT_EQ(v.rc, 0) << v.out;
      auto r = rnp_verify(f.asc, sig_file, f.data, h.dir() / "rnp");
      EXPECT_EQ(r.rc, 0) << r.out;
      auto g = h.gpg("--status-fd 1 --verify " + q(sig_file) + " " + q(f.data));
      EXPECT_EQ(g.rc, 0) << g.out;
      // VALIDSIG <signing fpr> <date> <time> <expire> <ver> <reserved> <pk algo> <hash algo> <class> ...
      auto pos = g.out.find("[GNUPG:] VALIDSIG " + key.fingerprint() + " ");
      ASSERT_NE(pos, std::string::npos) << g.out;
      std::string line = g.out.substr(pos, g.out.find('\n', pos) - pos);
      EXPECT_NE(line.find(" 4 0 "), std::string::npos) << line;
      EXPECT_NE(line.find(" " + std::to_string(hash_id(alg)) + " 00 "), std::string::npos) << line;

      auto vt = gpgv(f.keyring, sig_file, f.tampered);
      EXPECT_EQ(vt.rc, 1) << vt.out;
      EXPECT_NE(vt.out.find("BAD signature"), std::string::npos) << vt.out;
      auto rt = rnp_verify(f.asc, sig_file, f.tampered, h.dir() / "rnp");
      EXPECT_NE(rt.rc, 0) << rt.out;
    }
  }
}

void check_key(const std::string& uid, const std::string& algo, const std::string& expect_alg,
               size_t min_hash = 32) {
  GpgHome h;
  std::string plain = h.generate(uid, algo, "sign");
  std::string prot = h.generate("Protected " + uid, algo, "sign", kPass);
  Files f = prepare(h);
  struct Case {
    std::string fpr, pass;
    bool armored;
  };
  for (const auto& c :
       {Case{plain, "", false}, Case{plain, "", true}, Case{prot, kPass, false}, Case{prot, kPass, true}}) {
    SCOPED_TRACE(c.fpr + (c.armored ? " armored key" : " binary key"));
    auto file = h.export_secret(c.fpr, c.pass, c.armored, c.armored ? "key.asc" : "key.gpg");
    auto key = pgp::load_secret_key(file, c.pass);
    EXPECT_EQ(key->fingerprint(), c.fpr);
    EXPECT_EQ(key->key_id(), c.fpr.substr(24));
    EXPECT_EQ(key->algorithm(), expect_alg);
    EXPECT_FALSE(key->is_subkey());
    sign_and_check(h, f, *key, min_hash);
  }
}

}  // namespace

TEST(OpenPgpSign, Rsa3072) {
  check_key("Test <t@example.com>", "rsa3072", "RSA 3072");
}

TEST(OpenPgpSign, Ed25519) {
  check_key("Ed <e@example.com>", "ed25519", "EdDSA Ed25519");
}

TEST(OpenPgpSign, EcdsaP256) {
  check_key("P256 <p@example.com>", "nistp256", "ECDSA P-256");
}

TEST(OpenPgpSign, EcdsaP384) {
  check_key("P384 <p@example.com>", "nistp384", "ECDSA P-384", 48);
}

TEST(OpenPgpSign, EcdsaP521) {
  check_key("P521 <p@example.com>", "nistp521", "ECDSA P-521", 64);
}

TEST(OpenPgpSign, UsesSigningSubkeyWhenPrimaryOnlyCertifies) {
  GpgHome h;
  std::string fpr = h.generate("Sub <s@example.com>", "ed25519", "cert", kPass);
  h.add_subkey(fpr, "cv25519", "encr", kPass);
  h.add_subkey(fpr, "rsa2048", "sign", kPass);
  auto key = pgp::load_secret_key(h.export_secret(fpr, kPass, true, "key.asc"), kPass);
  EXPECT_TRUE(key->is_subkey());
  EXPECT_EQ(key->algorithm(), "RSA 2048");
  EXPECT_NE(key->fingerprint(), fpr);
  EXPECT_EQ(key->public_key().primary_fingerprint, fpr);
  EXPECT_EQ(key->user_id(), "Sub <s@example.com>");
  Files f = prepare(h);
  sign_and_check(h, f, *key);
}

TEST(OpenPgpSign, UsesSigningSubkeyWhenPrimaryIsAStub) {
  GpgHome h;
  std::string fpr = h.generate("Offline <o@example.com>", "ed25519", "sign");
  h.add_subkey(fpr, "ed25519", "sign");
  // --export-secret-subkeys replaces the primary's secret with a GnuPG dummy (S2K 101).
  auto r = h.gpg("--export-secret-subkeys " + fpr + " > " + q(h.dir() / "subkeys.gpg"));
  ASSERT_EQ(r.rc, 0) << r.out;
  auto key = pgp::load_secret_key(h.dir() / "subkeys.gpg", "");
  EXPECT_TRUE(key->is_subkey());
  Files f = prepare(h);
  sign_and_check(h, f, *key);
}

// Keys made by another implementation (rnp, Botan), protected with other ciphers and S2K hashes.
TEST(OpenPgpSign, RnpKeysWithOtherCiphers) {
  GpgHome h;
  auto rnp_home = h.dir() / "rnpkeys";
  std::filesystem::create_directories(rnp_home);
  Files f{h.dir() / "data.bin", h.dir() / "tampered.bin", h.dir() / "pub.gpg", h.dir() / "pub.asc"};
  write_file(f.data, "rnp data");
  write_file(f.tampered, "rnp dat4");
  for (std::string cipher : {"CAST5", "CAMELLIA256", "AES192"}) {
    SCOPED_TRACE(cipher);
    std::string uid = "rnp " + cipher + " <r@example.com>";
    auto g = run("rnpkeys --homedir " + q(rnp_home) + " --notty --generate-key --userid '" + uid +
                 "' --cipher " + cipher + " --hash SHA256 --password pw" + cipher);
    ASSERT_EQ(g.rc, 0) << g.out;
    auto sec = h.dir() / (cipher + ".asc");
    ASSERT_EQ(run("rnpkeys --homedir " + q(rnp_home) + " --notty --export-key --secret '" + uid +
                  "' --output " + q(sec) + " --overwrite")
                  .rc,
              0);
    EXPECT_THROW(pgp::load_secret_key(sec, "wrong"), io::Error);
    auto key = pgp::load_secret_key(sec, "pw" + cipher);
    EXPECT_EQ(key->algorithm(), "RSA 2048");
    // The certificate signet derives from the secret key file is what the verifiers get.
    auto cert = key->certificate(pgp::Encoding::binary);
    write_file(f.keyring, std::string(cert.begin(), cert.end()));
    auto asc = key->certificate(pgp::Encoding::ascii_armored);
    write_file(f.asc, std::string(asc.begin(), asc.end()));
    auto sig = pgp::sign_detached(*key, *io::file_source(f.data), io::HashAlg::sha256,
                                  pgp::Encoding::ascii_armored, std::time(nullptr));
    auto sig_file = h.dir() / "rnp.asc";
    write_file(sig_file, std::string(sig.begin(), sig.end()));
    auto v = gpgv(f.keyring, sig_file, f.data);
    EXPECT_EQ(v.rc, 0) << v.out;
    auto r = rnp_verify(f.asc, sig_file, f.data, h.dir() / "rnp");
    EXPECT_EQ(r.rc, 0) << r.out;
    EXPECT_EQ(gpgv(f.keyring, sig_file, f.tampered).rc, 1);
    EXPECT_NE(rnp_verify(f.asc, sig_file, f.tampered, h.dir() / "rnp").rc, 0);
  }
}

TEST(OpenPgpSign, RejectsSha1AndTimeBeforeKey) {
  GpgHome h;
  std::string fpr = h.generate("Ed <e@example.com>", "ed25519", "sign");
  auto key = pgp::load_secret_key(h.export_secret(fpr, "", false, "k.gpg"), "");
  auto data = io::memory_source({1, 2, 3}, "d");
  EXPECT_THROW(pgp::sign_detached(*key, *data, io::HashAlg::sha1, pgp::Encoding::binary, std::time(nullptr)),
               io::Error);
  EXPECT_THROW(pgp::sign_detached(*key, *data, io::HashAlg::sha256, pgp::Encoding::binary, 1000), io::Error);
}
