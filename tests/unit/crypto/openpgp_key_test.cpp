// Loading secret keys: identity, selection and every refusal (wrong or missing passphrase, stubs,
// public keys, several keys, revoked, expired, corrupt or truncated files).
#include <gtest/gtest.h>

#include "crypto/openpgp/openpgp.hpp"
#include "crypto/openpgp_test_util.hpp"
#include "io/error.hpp"

namespace pgp = signet::crypto::openpgp;
using namespace signet;
using namespace signet::testing;

namespace {

const std::string kPass = "s3cret passphrase";

// The io::Error message load_secret_key throws, or "" if it loads.
std::string load_error(const std::filesystem::path& file, const std::string& pass) {
  try {
    pgp::load_secret_key(file, pass);
  } catch (const io::Error& e) {
    EXPECT_EQ(e.where().file, file.string());
    return e.message();
  }
  return "";
}

}  // namespace

TEST(OpenPgpKey, IdentityMatchesGnupg) {
  GpgHome h;
  std::string fpr = h.generate("Alice Example <alice@example.com>", "ed25519", "sign");
  auto key = pgp::load_secret_key(h.export_secret(fpr, "", false, "k.gpg"), "");
  EXPECT_EQ(key->fingerprint(), fpr);
  EXPECT_EQ(key->key_id(), fpr.substr(24));
  EXPECT_EQ(key->user_id(), "Alice Example <alice@example.com>");
  EXPECT_EQ(key->algorithm(), "EdDSA Ed25519");
  // The derived certificate holds no secret packets and has the same primary fingerprint.
  auto cert = key->certificate(pgp::Encoding::binary);
  auto cert_file = h.dir() / "cert.gpg";
  write_file(cert_file, std::string(cert.begin(), cert.end()));
  auto l = h.gpg("--list-packets " + q(cert_file));
  EXPECT_EQ(l.out.find("secret key packet"), std::string::npos) << l.out;
  EXPECT_NE(l.out.find("public key packet"), std::string::npos) << l.out;
  auto keys = pgp::load_public_keys(cert_file);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].fingerprint, fpr);
}

TEST(OpenPgpKey, WrongAndMissingPassphrase) {
  GpgHome h;
  std::string fpr = h.generate("Prot <p@example.com>", "rsa2048", "sign", kPass);
  for (bool armored : {false, true}) {
    auto file = h.export_secret(fpr, kPass, armored, armored ? "k.asc" : "k.gpg");
    EXPECT_EQ(load_error(file, "not it"), "wrong passphrase for OpenPGP key " + fpr);
    EXPECT_EQ(load_error(file, ""),
              "OpenPGP key " + fpr + " is protected by a passphrase and none was given");
    EXPECT_EQ(load_error(file, kPass), "");
  }
}

TEST(OpenPgpKey, StubIsReportedClearly) {
  GpgHome h;
  std::string fpr = h.generate("Card <c@example.com>", "ed25519", "sign");
  auto file = h.dir() / "stub.gpg";
  ASSERT_EQ(h.gpg("--export-secret-subkeys " + fpr + " > " + q(file)).rc, 0);
  std::string e = load_error(file, "");
  EXPECT_NE(e.find("secret key not available (stub)"), std::string::npos) << e;
}

TEST(OpenPgpKey, RefusesPublicKeysAndSeveralKeys) {
  GpgHome h;
  std::string a = h.generate("A <a@example.com>", "ed25519", "sign");
  std::string b = h.generate("B <b@example.com>", "ed25519", "sign");
  EXPECT_NE(load_error(h.pub_asc(), "").find("public key"), std::string::npos);
  EXPECT_NE(load_error(h.pub_gpg(), "").find("no OpenPGP version 4 secret key"), std::string::npos);
  auto both = h.dir() / "both.gpg";
  ASSERT_EQ(h.gpg("--export-secret-keys > " + q(both)).rc, 0);
  EXPECT_NE(load_error(both, "").find("holds 2 OpenPGP secret keys"), std::string::npos);
  EXPECT_NE(load_error(h.dir() / "missing.gpg", "").size(), 0u);
  auto empty = h.dir() / "empty.gpg";
  write_file(empty, "");
  EXPECT_NE(load_error(empty, ""), "");
}

TEST(OpenPgpKey, RefusesPrimaryWithoutSignFlagAndNoSigningSubkey) {
  GpgHome h;
  std::string fpr = h.generate("Cert <c@example.com>", "ed25519", "cert");
  h.add_subkey(fpr, "cv25519", "encr");
  std::string e = load_error(h.export_secret(fpr, "", false, "k.gpg"), "");
  EXPECT_NE(e.find("has no signing-capable key"), std::string::npos) << e;
}

TEST(OpenPgpKey, RefusesRevokedKey) {
  GpgHome h;
  std::string fpr = h.generate("Rev <r@example.com>", "ed25519", "sign");
  // GnuPG stores a revocation certificate with its armor lines escaped by a colon.
  auto rev = h.home() / "openpgp-revocs.d" / (fpr + ".rev");
  std::string text = read_file(rev);
  for (size_t p; (p = text.find(":-----")) != std::string::npos;) text.erase(p, 1);
  write_file(h.dir() / "rev.asc", text);
  ASSERT_EQ(h.gpg("--import " + q(h.dir() / "rev.asc")).rc, 0);
  std::string e = load_error(h.export_secret(fpr, "", false, "k.gpg"), "");
  EXPECT_EQ(e, "OpenPGP key " + fpr + " is revoked");
}

TEST(OpenPgpKey, RefusesExpiredKey) {
  GpgHome h;
  auto r = h.gpg(
      "--faked-system-time 20200101T000000 --pinentry-mode loopback --passphrase '' "
      "--quick-generate-key 'Old <o@example.com>' ed25519 sign 1d");
  ASSERT_EQ(r.rc, 0) << r.out;
  std::string fpr = h.fingerprint("Old <o@example.com>");
  std::string e = load_error(h.export_secret(fpr, "", false, "k.gpg"), "");
  EXPECT_EQ(e, "OpenPGP key " + fpr + " expired on 2020-01-02");
}

// Truncations and bit flips of a real key file must give io::Error, never a crash or another key.
TEST(OpenPgpKey, CorruptFilesAreErrors) {
  GpgHome h;
  std::string fpr = h.generate("Fuzz <f@example.com>", "ed25519", "sign");
  std::string bytes = read_file(h.export_secret(fpr, "", false, "k.gpg"));
  auto file = h.dir() / "bad.gpg";
  int loaded = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    write_file(file, bytes.substr(0, n));
    try {
      // Cut at a packet boundary after the key packet, the key itself is complete.
      EXPECT_EQ(pgp::load_secret_key(file, "")->fingerprint(), fpr) << n;
      ++loaded;
    } catch (const io::Error&) {
    }
  }
  EXPECT_LE(loaded, 3);
  // Flipping a bit of the secret scalar breaks the checksum (the last 2 octets of the key packet).
  size_t key_len = static_cast<uint8_t>(bytes[1]);
  std::string flipped = bytes;
  flipped[2 + key_len - 5] ^= 0x01;
  write_file(file, flipped);
  std::string e = load_error(file, "");
  EXPECT_NE(e.find("checksum mismatch"), std::string::npos) << e;
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string b = bytes;
    b[i] ^= 0x40;
    write_file(file, b);
    try {
      pgp::load_secret_key(file, "");  // some flips (in signatures, user ID) are harmless
    } catch (const io::Error&) {
    }
  }
}
