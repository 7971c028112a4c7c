// verify_detached and load_public_keys, on signatures made by gpg and by signet.
#include <gtest/gtest.h>

#include <ctime>
#include <thread>

#include "crypto/openpgp/openpgp.hpp"
#include "crypto/openpgp_test_util.hpp"
#include "io/source.hpp"

namespace pgp = signet::crypto::openpgp;
using namespace signet;
using namespace signet::testing;

namespace {

std::vector<uint8_t> bytes_of(const std::filesystem::path& p) {
  std::string s = read_file(p);
  return {s.begin(), s.end()};
}

crypto::VerifyResult verify_files(const std::filesystem::path& sig, const std::filesystem::path& data,
                                  const std::vector<pgp::PublicKey>& keys) {
  return pgp::verify_detached(bytes_of(sig), *io::file_source(data), keys);
}

}  // namespace

TEST(OpenPgpVerify, GnupgSignaturesGoodAndTampered) {
  GpgHome h;
  std::string rsa = h.generate("Rsa <r@example.com>", "rsa2048", "sign");
  std::string ed = h.generate("Ed <e@example.com>", "ed25519", "sign");
  auto data = h.dir() / "data.txt", tampered = h.dir() / "tampered.txt";
  write_file(data, "hello\nworld\n");
  write_file(tampered, "hello\nworlD\n");
  auto keys = pgp::load_public_keys(h.pub_gpg());
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(pgp::load_public_keys(h.pub_asc()).size(), 2u);

  struct Case {
    std::string fpr, uid, opts, digest;
  };
  for (const auto& c : {Case{rsa, "Rsa <r@example.com>", "--digest-algo SHA512", "sha512"},
                        Case{ed, "Ed <e@example.com>", "--armor --digest-algo SHA384", "sha384"},
                        Case{ed, "Ed <e@example.com>", "--textmode --digest-algo SHA256", "sha256"}}) {
    SCOPED_TRACE(c.uid + " " + c.opts);
    auto sig = h.dir() / "data.sig";
    auto r = h.gpg("--local-user " + c.fpr + " " + c.opts + " --detach-sign -o " + q(sig) + " " + q(data));
    ASSERT_EQ(r.rc, 0) << r.out;
    auto good = verify_files(sig, data, keys);
    EXPECT_TRUE(good.valid) << good.detail;
    EXPECT_EQ(good.kind, "OpenPGP");
    EXPECT_EQ(good.digest, c.digest);
    EXPECT_EQ(good.signer, c.uid + " [" + c.fpr + "]");
    auto bad = verify_files(sig, tampered, keys);
    EXPECT_FALSE(bad.valid);
    EXPECT_NE(bad.detail.find("BAD signature"), std::string::npos) << bad.detail;
  }
}

TEST(OpenPgpVerify, OwnSignaturesBySubkeyAndUnknownKey) {
  GpgHome h, other;
  std::string fpr = h.generate("Sub <s@example.com>", "ed25519", "cert");
  h.add_subkey(fpr, "ed25519", "sign");
  other.generate("Other <o@example.com>", "ed25519", "sign");
  auto key = pgp::load_secret_key(h.export_secret(fpr, "", true, "k.asc"), "");
  auto data = io::memory_source({'a', 'b', 'c'}, "abc");
  auto sig =
      pgp::sign_detached(*key, *data, io::HashAlg::sha256, pgp::Encoding::ascii_armored, std::time(nullptr));

  // Public keys from gpg's export and from the secret key file itself.
  for (const auto& keys : {pgp::load_public_keys(h.pub_gpg()), pgp::load_public_keys(h.dir() / "k.asc")}) {
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_FALSE(keys[0].subkey);
    EXPECT_TRUE(keys[1].subkey);
    auto good = pgp::verify_detached(sig, *data, keys);
    EXPECT_TRUE(good.valid) << good.detail;
    EXPECT_EQ(good.signer, "Sub <s@example.com> [" + key->fingerprint() + ", subkey of " + fpr + "]");
    auto bad = pgp::verify_detached(sig, *io::memory_source({'a', 'b', 'd'}, "abd"), keys);
    EXPECT_FALSE(bad.valid);
  }

  auto none = pgp::verify_detached(sig, *data, pgp::load_public_keys(other.pub_gpg()));
  EXPECT_FALSE(none.valid);
  EXPECT_EQ(none.detail, "no public key for key ID " + key->key_id() + " (pass --pgp-key)");
}

TEST(OpenPgpVerify, MalformedSignaturesAreInvalidNotErrors) {
  GpgHome h;
  std::string fpr = h.generate("Ed <e@example.com>", "ed25519", "sign");
  auto keys = pgp::load_public_keys(h.pub_gpg());
  auto key = pgp::load_secret_key(h.export_secret(fpr, "", false, "k.gpg"), "");
  auto data = io::memory_source({1, 2, 3}, "d");
  auto sig = pgp::sign_detached(*key, *data, io::HashAlg::sha512, pgp::Encoding::binary, std::time(nullptr));
  ASSERT_TRUE(pgp::verify_detached(sig, *data, keys).valid);
  for (size_t n = 0; n < sig.size(); ++n) {
    std::vector<uint8_t> cut(sig.begin(), sig.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(pgp::verify_detached(cut, *data, keys).valid) << n;
  }
  // Every flip must fail, except inside the unhashed subpackets (the advisory issuer key ID; the
  // hashed issuer fingerprint still finds the key).
  ASSERT_EQ(sig[0], 0xC2);
  size_t hashed_len = size_t{sig[6]} << 8 | sig[7];
  size_t unhashed_at = 2 + 6 + hashed_len + 2;
  size_t unhashed_len = size_t{sig[unhashed_at - 2]} << 8 | sig[unhashed_at - 1];
  for (size_t i = 0; i < sig.size(); ++i) {
    if (i > unhashed_at && i < unhashed_at + unhashed_len) continue;  // the subpacket length octet counts
    auto flipped = sig;
    flipped[i] ^= 0x10;
    EXPECT_FALSE(pgp::verify_detached(flipped, *data, keys).valid) << i;
  }
  std::string garbage = "-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n";
  auto r = pgp::verify_detached(std::vector<uint8_t>(garbage.begin(), garbage.end()), *data, keys);
  EXPECT_FALSE(r.valid);
  EXPECT_FALSE(r.detail.empty());
}

// The engine signs files in parallel with one loaded key.
TEST(OpenPgpVerify, OneKeySignsFromManyThreads) {
  GpgHome h;
  std::string fpr = h.generate("Par <p@example.com>", "ed25519", "sign");
  auto key = pgp::load_secret_key(h.export_secret(fpr, "", false, "k.gpg"), "");
  auto keys = pgp::load_public_keys(h.pub_gpg());
  std::vector<std::vector<uint8_t>> sigs(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < sigs.size(); ++i) {
    threads.emplace_back([&, i] {
      auto data = io::memory_source(std::vector<uint8_t>(1000, static_cast<uint8_t>(i)), "d");
      sigs[i] =
          pgp::sign_detached(*key, *data, io::HashAlg::sha256, pgp::Encoding::binary, std::time(nullptr));
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < sigs.size(); ++i) {
    auto data = io::memory_source(std::vector<uint8_t>(1000, static_cast<uint8_t>(i)), "d");
    EXPECT_TRUE(pgp::verify_detached(sigs[i], *data, keys).valid) << i;
    auto other = io::memory_source(std::vector<uint8_t>(1000, static_cast<uint8_t>(i + 1)), "d");
    EXPECT_FALSE(pgp::verify_detached(sigs[i], *other, keys).valid) << i;
  }
}
