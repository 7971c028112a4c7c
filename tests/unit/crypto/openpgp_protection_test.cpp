// Secret key protection variants GnuPG 2.2 does not export itself (S2K usage 255, simple and
// salted S2K): the test re-protects an unprotected key per RFC 4880 §3.7 / §5.5.3 with its own
// small S2K, proves the result is right with a fresh gpg (which imports it as is, then must refuse to
// sign with a wrong passphrase and sign with the right one), then loads and signs with it.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <ctime>

#include "crypto/openpgp/keys.hpp"
#include "crypto/openpgp/openpgp.hpp"
#include "crypto/openpgp/packets.hpp"
#include "crypto/openpgp_test_util.hpp"
#include "io/error.hpp"

namespace pgp = signet::crypto::openpgp;
using namespace signet;
using namespace signet::testing;
using Bytes = std::vector<uint8_t>;

namespace {

// AES-128 key from SHA-1 S2K (one hash context suffices for 16 octets).
Bytes s2k_sha1_16(int type, const Bytes& salt, const std::string& pass, uint8_t coded_count) {
  std::string input = (type == 0 ? std::string() : std::string(salt.begin(), salt.end())) + pass;
  size_t total = input.size();
  if (type == 3)
    total = std::max<size_t>((16u + (coded_count & 15u)) << ((coded_count >> 4) + 6), input.size());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
  for (size_t done = 0; done < total;) {
    size_t n = std::min(input.size(), total - done);
    EVP_DigestUpdate(ctx, input.data(), n);
    done += n;
  }
  Bytes out(20);
  EVP_DigestFinal_ex(ctx, out.data(), nullptr);
  EVP_MD_CTX_free(ctx);
  out.resize(16);
  return out;
}

// The secret key packet body re-protected with AES-128 CFB.
Bytes protect(const Bytes& body, int usage, int s2k_type, const std::string& pass) {
  auto m = pgp::parse_key_material(body, {});
  Bytes out(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(m.public_length));
  EXPECT_EQ(body[m.public_length], 0);  // unprotected input
  Bytes secret(body.begin() + static_cast<std::ptrdiff_t>(m.public_length) + 1, body.end() - 2);
  if (usage == 254) {
    Bytes h(20);
    EVP_Digest(secret.data(), secret.size(), h.data(), nullptr, EVP_sha1(), nullptr);
    secret.insert(secret.end(), h.begin(), h.end());
  } else {
    unsigned sum = 0;
    for (uint8_t b : secret) sum += b;
    secret.push_back(static_cast<uint8_t>(sum >> 8));
    secret.push_back(static_cast<uint8_t>(sum));
  }
  Bytes salt(8), iv(16);
  RAND_bytes(salt.data(), 8);
  RAND_bytes(iv.data(), 16);
  uint8_t count = 0x60;
  out.push_back(static_cast<uint8_t>(usage));
  out.push_back(7);  // AES-128
  out.push_back(static_cast<uint8_t>(s2k_type));
  out.push_back(2);  // SHA-1
  if (s2k_type != 0) out.insert(out.end(), salt.begin(), salt.end());
  if (s2k_type == 3) out.push_back(count);
  out.insert(out.end(), iv.begin(), iv.end());
  Bytes key = s2k_sha1_16(s2k_type, salt, pass, count);
  Bytes enc(secret.size());
  int n = 0;
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(c, EVP_aes_128_cfb128(), nullptr, key.data(), iv.data());
  EVP_EncryptUpdate(c, enc.data(), &n, secret.data(), static_cast<int>(secret.size()));
  EVP_CIPHER_CTX_free(c);
  out.insert(out.end(), enc.begin(), enc.end());
  return out;
}

}  // namespace

TEST(OpenPgpProtection, Usage255AndSimpleAndSaltedS2k) {
  GpgHome h;
  std::string fpr = h.generate("Reprotect <r@example.com>", "ed25519", "sign");
  std::string raw = read_file(h.export_secret(fpr, "", false, "plain.gpg"));
  auto packets = pgp::split_packets(Bytes(raw.begin(), raw.end()), {});
  ASSERT_EQ(packets[0].tag, 5);
  Bytes body(packets[0].body.begin(), packets[0].body.end());
  auto data = h.dir() / "d.bin", tampered = h.dir() / "t.bin";
  write_file(data, "payload");
  write_file(tampered, "payloaD");
  const std::string pass = "re-protect";

  struct Case {
    int usage, s2k;
  };
  for (auto c : {Case{255, 3}, Case{254, 1}, Case{254, 0}, Case{255, 1}}) {
    SCOPED_TRACE("usage " + std::to_string(c.usage) + " s2k " + std::to_string(c.s2k));
    Bytes file;
    for (size_t i = 0; i < packets.size(); ++i) {
      Bytes b = i == 0 ? protect(body, c.usage, c.s2k, pass)
                       : Bytes(packets[i].body.begin(), packets[i].body.end());
      pgp::append_packet(file, packets[i].tag, b);
    }
    auto key_file = h.dir() / "reprotected.gpg";
    write_file(key_file, std::string(file.begin(), file.end()));

    // GnuPG agrees the file is protected by `pass` (and only by it).
    GpgHome fresh;
    auto imp = fresh.gpg("--import " + q(key_file));
    ASSERT_EQ(imp.rc, 0) << imp.out;
    auto gsig = h.dir() / "gpg.sig";
    std::string sign = " --detach-sign -u " + fpr + " -o " + q(gsig) + " " + q(data);
    auto bad = fresh.gpg("--pinentry-mode loopback --passphrase wrong" + sign);
    EXPECT_NE(bad.rc, 0) << bad.out;
    auto good = fresh.gpg("--pinentry-mode loopback --passphrase '" + pass + "'" + sign);
    EXPECT_EQ(good.rc, 0) << good.out;

    try {
      pgp::load_secret_key(key_file, "wrong");
      ADD_FAILURE() << "loaded with a wrong passphrase";
    } catch (const io::Error& e) {
      EXPECT_EQ(e.message(), "wrong passphrase for OpenPGP key " + fpr);
    }
    auto key = pgp::load_secret_key(key_file, pass);
    auto sig = pgp::sign_detached(*key, *io::file_source(data), io::HashAlg::sha256, pgp::Encoding::binary,
                                  std::time(nullptr));
    auto sig_file = h.dir() / "d.sig";
    write_file(sig_file, std::string(sig.begin(), sig.end()));
    auto keyring = h.pub_gpg();
    auto v = gpgv(keyring, sig_file, data);
    EXPECT_EQ(v.rc, 0) << v.out;
    EXPECT_EQ(gpgv(keyring, sig_file, tampered).rc, 1);
  }
}
