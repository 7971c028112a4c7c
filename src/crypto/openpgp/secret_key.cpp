// Loading a transferable secret key: choose the signing key, then undo its passphrase protection
// (RFC 4880 §3.7 string-to-key, §5.5.3 secret key packet; v4 keys use plain CFB over all MPIs).
#include "crypto/openpgp/secret_key.hpp"

#include <openssl/provider.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "crypto/openpgp/armor.hpp"
#include "io/file.hpp"

namespace signet::crypto::openpgp {

namespace {

constexpr uint64_t kMaxKeyFile = 16 << 20;

// Secret part of a key packet (after the public material).
struct Protection {
  uint8_t usage = 0;  // 0 clear, 254 SHA-1 check, 255 checksum
  uint8_t cipher = 0;
  uint8_t s2k_type = 0;
  uint8_t s2k_hash = 0;
  std::span<const uint8_t> salt;
  uint64_t count = 0;  // octets hashed by the iterated S2K
  std::span<const uint8_t> iv;
  std::span<const uint8_t> data;  // secret MPIs and check value, maybe encrypted
  bool stub = false;              // GnuPG S2K 101: secret not present (gnu-dummy, divert-to-card)
};

struct CipherInfo {
  uint8_t id;
  const char* name;  // OpenSSL name of the CFB mode with full-block feedback
  const char* display;
  bool legacy;  // in OpenSSL 3's legacy provider
};

const CipherInfo* find_cipher(uint8_t id) {
  static const CipherInfo table[] = {
      {2, "DES-EDE3-CFB", "TripleDES", false},
      {3, "CAST5-CFB", "CAST5", true},
      {4, "BF-CFB", "Blowfish", true},
      {7, "AES-128-CFB", "AES-128", false},
      {8, "AES-192-CFB", "AES-192", false},
      {9, "AES-256-CFB", "AES-256", false},
      {11, "CAMELLIA-128-CFB", "Camellia-128", false},
      {12, "CAMELLIA-192-CFB", "Camellia-192", false},
      {13, "CAMELLIA-256-CFB", "Camellia-256", false},
  };
  for (const auto& c : table) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const char* s2k_hash_name(uint8_t id) {
  switch (id) {
    case 1:
      return "MD5";
    case 2:
      return "SHA1";
    case 3:
      return "RIPEMD160";
    case 8:
      return "SHA256";
    case 9:
      return "SHA384";
    case 10:
      return "SHA512";
    case 11:
      return "SHA224";
    default:
      return nullptr;
  }
}

// A library context with the legacy provider (CAST5, Blowfish, RIPEMD-160), kept apart from the
// process default so loading it changes nothing for the rest of Signet. nullptr if unavailable.
OSSL_LIB_CTX* legacy_ctx() {
  struct Holder {
    OSSL_LIB_CTX* ctx = OSSL_LIB_CTX_new();
    OSSL_PROVIDER* legacy = ctx ? OSSL_PROVIDER_load(ctx, "legacy") : nullptr;
    OSSL_PROVIDER* dflt = ctx ? OSSL_PROVIDER_load(ctx, "default") : nullptr;
    ~Holder() {
      if (dflt) OSSL_PROVIDER_unload(dflt);
      if (legacy) OSSL_PROVIDER_unload(legacy);
      if (ctx) OSSL_LIB_CTX_free(ctx);
    }
  };
  static Holder h;
  return h.legacy && h.dflt ? h.ctx : nullptr;
}

Protection parse_protection(std::span<const uint8_t> secret, const io::Location& where) {
  ByteReader r(secret, where, "secret key packet");
  Protection p;
  p.usage = r.u8();
  if (p.usage == 0) {
    p.data = r.rest();
    return p;
  }
  if (p.usage != 254 && p.usage != 255) {
    throw io::Error("OpenPGP secret key uses the legacy protection scheme " + std::to_string(p.usage) +
                        " (re-export it with a current GnuPG)",
                    where);
  }
  p.cipher = r.u8();
  p.s2k_type = r.u8();
  switch (p.s2k_type) {
    case 0:
      p.s2k_hash = r.u8();
      break;
    case 1:
      p.s2k_hash = r.u8();
      p.salt = r.take(8);
      break;
    case 3: {
      p.s2k_hash = r.u8();
      p.salt = r.take(8);
      uint8_t c = r.u8();
      p.count = uint64_t{16u + (c & 15u)} << ((c >> 4) + 6);
      break;
    }
    case 101: {
      p.s2k_hash = r.u8();
      auto gnu = r.take(3);
      if (gnu[0] != 'G' || gnu[1] != 'N' || gnu[2] != 'U') r.fail("unknown private S2K extension");
      p.stub = true;  // mode 1 gnu-dummy, 2 divert-to-card: either way no secret here
      return p;
    }
    default:
      r.fail("unsupported S2K specifier " + std::to_string(p.s2k_type));
  }
  const CipherInfo* ci = find_cipher(p.cipher);
  if (!ci) throw io::Error("OpenPGP secret key: unsupported cipher " + std::to_string(p.cipher), where);
  size_t iv_len = (p.cipher == 2 || p.cipher == 3 || p.cipher == 4) ? 8 : 16;
  p.iv = r.take(iv_len);
  p.data = r.rest();
  return p;
}

ossl::Md fetch_md(uint8_t id, const io::Location& where) {
  const char* name = s2k_hash_name(id);
  if (!name) throw io::Error("OpenPGP secret key: unsupported S2K hash " + std::to_string(id), where);
  ossl::Md md(EVP_MD_fetch(nullptr, name, nullptr));
  if (!md && legacy_ctx()) md.reset(EVP_MD_fetch(legacy_ctx(), name, nullptr));
  if (!md)
    throw io::Error(std::string("OpenPGP secret key: S2K hash ") + name + " is not available in OpenSSL",
                    where);
  return md;
}

// RFC 4880 §3.7.1: as many hash contexts as the key needs, the n-th preloaded with n zero octets.
SecureBytes string_to_key(const Protection& p, const std::string& passphrase, size_t key_len,
                          const io::Location& where) {
  ossl::Md md = fetch_md(p.s2k_hash, where);
  SecureBytes input(p.salt.begin(), p.salt.end());
  input.insert(input.end(), passphrase.begin(), passphrase.end());
  uint64_t total = p.s2k_type == 3 ? std::max<uint64_t>(p.count, input.size()) : input.size();
  // Feed the iterated S2K in large chunks of whole repetitions of salt || passphrase.
  SecureBytes chunk;
  if (!input.empty()) {
    while (chunk.size() < 65536 && chunk.size() < total)
      chunk.insert(chunk.end(), input.begin(), input.end());
  }
  SecureBytes key;
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) throw io::Error("out of memory", where);
  for (size_t preload = 0; key.size() < key_len; ++preload) {
    if (EVP_DigestInit_ex(ctx.get(), md.get(), nullptr) != 1) throw io::Error("S2K hash failed", where);
    static const uint8_t zero = 0;
    for (size_t i = 0; i < preload; ++i) EVP_DigestUpdate(ctx.get(), &zero, 1);
    for (uint64_t left = total; left > 0;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
      EVP_DigestUpdate(ctx.get(), chunk.data(), n);
      left -= n;
    }
    std::array<uint8_t, EVP_MAX_MD_SIZE> out{};
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx.get(), out.data(), &n);
    key.insert(key.end(), out.begin(), out.begin() + n);
    OPENSSL_cleanse(out.data(), out.size());
  }
  key.resize(key_len);
  return key;
}

SecureBytes decrypt(const Protection& p, const std::string& passphrase, const io::Location& where) {
  const CipherInfo* ci = find_cipher(p.cipher);
  ossl::Cipher cipher(EVP_CIPHER_fetch(nullptr, ci->name, nullptr));
  if (!cipher && ci->legacy && legacy_ctx()) cipher.reset(EVP_CIPHER_fetch(legacy_ctx(), ci->name, nullptr));
  if (!cipher) {
    throw io::Error(std::string("OpenPGP secret key: cipher ") + ci->display +
                        " is not available in OpenSSL" + (ci->legacy ? " (needs the legacy provider)" : ""),
                    where);
  }
  SecureBytes key =
      string_to_key(p, passphrase, static_cast<size_t>(EVP_CIPHER_get_key_length(cipher.get())), where);
  ossl::CipherCtx ctx(EVP_CIPHER_CTX_new());
  SecureBytes plain(p.data.size() + 64);
  int n1 = 0, n2 = 0;
  if (!ctx || EVP_DecryptInit_ex2(ctx.get(), cipher.get(), key.data(), p.iv.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_DecryptUpdate(ctx.get(), plain.data(), &n1, p.data.data(), static_cast<int>(p.data.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plain.data() + n1, &n2) != 1) {
    throw io::Error(std::string("OpenPGP secret key: ") + ci->display + " decryption failed", where);
  }
  plain.resize(static_cast<size_t>(n1 + n2));
  return plain;
}

bool checksum_ok(std::span<const uint8_t> data) {
  if (data.size() < 2) return false;
  uint32_t sum = 0;
  for (size_t i = 0; i + 2 < data.size(); ++i) sum += data[i];
  return (sum & 0xFFFF) == (uint32_t{data[data.size() - 2]} << 8 | data[data.size() - 1]);
}

bool sha1_check_ok(std::span<const uint8_t> data) {
  if (data.size() < 20) return false;
  auto d = io::digest(io::HashAlg::sha1, data.first(data.size() - 20));
  return std::equal(d.begin(), d.end(), data.end() - 20);
}

size_t secret_mpi_count(uint8_t algo) {
  switch (algo) {
    case pk::rsa:
    case pk::rsa_sign:
      return 4;
    default:
      return 1;  // EdDSA, ECDSA
  }
}

std::string date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

SecureBytes read_key_file(const std::filesystem::path& file, const io::Location& where) {
  io::File f = io::File::open_read(file);
  uint64_t size = f.size();
  if (size > kMaxKeyFile) throw io::Error("not an OpenPGP key file: larger than 16 MiB", where);
  SecureBytes bytes(static_cast<size_t>(size));
  f.read_exact(0, bytes);
  return bytes;
}

// The key's secret MPIs, decrypted and checked. Errors name the key by fingerprint.
ossl::Pkey unlock(const CertKey& k, const Protection& p, const std::string& passphrase,
                  const io::Location& where) {
  std::string fpr = upper_hex(k.fpr);
  SecureBytes plain;
  bool ok = false;
  if (p.usage == 0) {
    plain.assign(p.data.begin(), p.data.end());
    if (!checksum_ok(plain))
      throw io::Error("OpenPGP key " + fpr + ": secret key checksum mismatch (corrupt file)", where);
    plain.resize(plain.size() - 2);
    ok = true;
  } else {
    plain = decrypt(p, passphrase, where);
    ok = p.usage == 254 ? sha1_check_ok(plain) : checksum_ok(plain);
    if (ok) plain.resize(plain.size() - (p.usage == 254 ? 20 : 2));
  }
  auto wrong = [&]() -> io::Error {
    if (passphrase.empty()) {
      return io::Error("OpenPGP key " + fpr + " is protected by a passphrase and none was given", where);
    }
    return io::Error("wrong passphrase for OpenPGP key " + fpr, where);
  };
  if (!ok) throw wrong();
  std::vector<SecureBytes> mpis;
  try {
    ByteReader r(plain, where, "secret key material");
    for (size_t i = 0; i < secret_mpi_count(k.material.algo); ++i) {
      auto m = r.mpi();
      mpis.emplace_back(m.begin(), m.end());
    }
    return make_pkey(k.material, &mpis, where);
  } catch (const io::Error&) {
    // A 2-octet checksum passes by chance once in 65536 wrong passphrases; the key check does not.
    if (p.usage == 255) throw wrong();
    throw;
  }
}

}  // namespace

SecretKey::SecretKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SecretKey::~SecretKey() = default;
std::string SecretKey::fingerprint() const {
  return impl_->pub.fingerprint;
}
std::string SecretKey::key_id() const {
  return impl_->pub.key_id;
}
const std::string& SecretKey::user_id() const {
  return impl_->pub.user_id;
}
std::string SecretKey::algorithm() const {
  return impl_->pub.algorithm;
}
bool SecretKey::is_subkey() const {
  return impl_->pub.subkey;
}
const PublicKey& SecretKey::public_key() const {
  return impl_->pub;
}

std::vector<uint8_t> SecretKey::certificate(Encoding enc) const {
  if (enc == Encoding::binary) return impl_->certificate;
  std::string a = armor(impl_->certificate, "PUBLIC KEY BLOCK");
  return {a.begin(), a.end()};
}

std::shared_ptr<const SecretKey> load_secret_key(const std::filesystem::path& file,
                                                 const std::string& passphrase) {
  io::Location where{file.string()};
  SecureBytes raw = read_key_file(file, where);
  SecureBytes bin;
  if (looks_armored(raw)) {
    for (auto& b : dearmor(raw, where)) {
      if (b.type == "PUBLIC KEY BLOCK") {
        throw io::Error("this is an OpenPGP public key; export the secret key with gpg --export-secret-keys",
                        where);
      }
      if (b.type == "PRIVATE KEY BLOCK") bin.insert(bin.end(), b.data.begin(), b.data.end());
    }
    if (bin.empty()) throw io::Error("no PGP PRIVATE KEY BLOCK in the file", where);
  } else {
    bin = std::move(raw);
  }
  auto certs = split_certificates(split_packets(bin, where), where);
  std::erase_if(certs, [](const Certificate& c) { return c.primary.packet.tag != tag::secret_key; });
  if (certs.empty()) {
    throw io::Error("no OpenPGP version 4 secret key in the file (expected gpg --export-secret-keys output)",
                    where);
  }
  if (certs.size() > 1) {
    throw io::Error("the file holds " + std::to_string(certs.size()) +
                        " OpenPGP secret keys; export only the signing key (gpg --export-secret-keys KEYID)",
                    where);
  }
  const Certificate& cert = certs.front();
  std::string primary_fpr = upper_hex(cert.primary.fpr);
  std::time_t now = std::time(nullptr);
  if (cert.primary.revoked) throw io::Error("OpenPGP key " + primary_fpr + " is revoked", where);
  if (cert.primary.expires && *cert.primary.expires <= now) {
    throw io::Error("OpenPGP key " + primary_fpr + " expired on " + date(*cert.primary.expires), where);
  }

  // The primary key unless its self-signature withholds the sign flag, then the newest valid
  // signing subkey; stubs and algorithms we cannot use are passed over.
  std::vector<const CertKey*> candidates;
  if (!cert.primary.flags || (*cert.primary.flags & 0x02)) candidates.push_back(&cert.primary);
  std::vector<const CertKey*> subs;
  for (const auto& k : cert.subkeys) {
    bool sign = k.flags && (*k.flags & 0x02);
    bool expired = k.expires && *k.expires <= now;
    if (sign && k.bound && !k.revoked && !expired && k.packet.tag == tag::secret_subkey) subs.push_back(&k);
  }
  std::stable_sort(subs.begin(), subs.end(), [](const CertKey* a, const CertKey* b) {
    return a->material.created > b->material.created;
  });
  candidates.insert(candidates.end(), subs.begin(), subs.end());

  std::string skipped;
  for (const CertKey* k : candidates) {
    std::string fpr = upper_hex(k->fpr);
    if (!supported_signing_algorithm(k->material)) {
      skipped = "key " + fpr + " uses " + algorithm_name(k->material) + ", which Signet cannot sign with";
      continue;
    }
    auto secret = std::span<const uint8_t>(k->packet.body).subspan(k->material.public_length);
    Protection p = parse_protection(secret, where);
    if (p.stub) {
      skipped = "secret key not available (stub) for OpenPGP key " + fpr +
                " (exported with --export-secret-subkeys, or on a smartcard)";
      continue;
    }
    auto impl = std::make_unique<SecretKey::Impl>();
    impl->pkey = unlock(*k, p, passphrase, where);
    impl->pub = describe_key(cert, *k);
    impl->material = k->material;
    impl->fpr = k->fpr;
    impl->certificate = public_certificate(cert);
    return std::make_shared<const SecretKey>(std::move(impl));
  }
  if (!skipped.empty()) throw io::Error(skipped, where);
  throw io::Error(
      "OpenPGP key " + primary_fpr + " has no signing-capable key (neither the primary nor a subkey)", where);
}

}  // namespace signet::crypto::openpgp
