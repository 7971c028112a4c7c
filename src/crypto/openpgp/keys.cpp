#include "crypto/openpgp/keys.hpp"

#include <openssl/core_names.h>

#include <algorithm>
#include <cstring>

namespace signet::crypto::openpgp {

namespace {

struct Curve {
  const char* name;  // as GnuPG prints it
  const char* ossl;  // OpenSSL group name
  std::vector<uint8_t> oid;
};

const std::vector<Curve>& curves() {
  static const std::vector<Curve> table = {
      {"Ed25519", "ED25519", {0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01}},
      {"Curve25519", "X25519", {0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01}},
      {"P-256", "prime256v1", {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07}},
      {"P-384", "secp384r1", {0x2B, 0x81, 0x04, 0x00, 0x22}},
      {"P-521", "secp521r1", {0x2B, 0x81, 0x04, 0x00, 0x23}},
      {"secp256k1", "secp256k1", {0x2B, 0x81, 0x04, 0x00, 0x0A}},
      {"brainpoolP256r1", "brainpoolP256r1", {0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07}},
      {"brainpoolP384r1", "brainpoolP384r1", {0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B}},
      {"brainpoolP512r1", "brainpoolP512r1", {0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0D}},
  };
  return table;
}

const Curve* find_curve(std::span<const uint8_t> oid) {
  for (const auto& c : curves()) {
    if (std::equal(oid.begin(), oid.end(), c.oid.begin(), c.oid.end())) return &c;
  }
  return nullptr;
}

size_t bit_length(std::span<const uint8_t> m) {
  size_t i = 0;
  while (i < m.size() && m[i] == 0) ++i;
  if (i == m.size()) return 0;
  size_t bits = 8 * (m.size() - i - 1);
  for (unsigned top = m[i]; top; top >>= 1) ++bits;
  return bits;
}

ossl::Bn to_bn(std::span<const uint8_t> m, bool secret) {
  ossl::Bn bn(BN_bin2bn(m.data(), static_cast<int>(m.size()), nullptr));
  if (bn && secret) BN_set_flags(bn.get(), BN_FLG_CONSTTIME);
  return bn;
}

[[noreturn]] void key_error(const std::string& why, const io::Location& where) {
  throw io::Error("OpenPGP key: " + why, where);
}

ossl::Pkey from_params(const char* type, OSSL_PARAM_BLD* bld, int selection, const io::Location& where) {
  ossl::Params params(OSSL_PARAM_BLD_to_param(bld));
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
    key_error(std::string("OpenSSL rejected the ") + type + " key material", where);
  }
  return ossl::Pkey(raw);
}

void check_pair(EVP_PKEY* pkey, const io::Location& where) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_pairwise_check(ctx.get()) != 1) {
    key_error("secret key does not match its public key", where);
  }
}

ossl::Pkey rsa_pkey(const KeyMaterial& m, const std::vector<SecureBytes>* secret, const io::Location& where) {
  ossl::ParamBld bld(OSSL_PARAM_BLD_new());
  auto n = to_bn(m.mpis.at(0), false), e = to_bn(m.mpis.at(1), false);
  if (!bld || !n || !e) key_error("out of memory", where);
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
  if (!secret) return from_params("RSA", bld.get(), EVP_PKEY_PUBLIC_KEY, where);

  // OpenPGP stores d, p, q and u = p^-1 mod q; OpenSSL wants the CRT values dp, dq, q^-1 mod p.
  if (secret->size() != 4) key_error("RSA secret key needs 4 values", where);
  auto d = to_bn((*secret)[0], true), p = to_bn((*secret)[1], true), q = to_bn((*secret)[2], true);
  ossl::Bn dp(BN_new()), dq(BN_new()), qinv(BN_new()), p1(BN_new()), q1(BN_new());
  ossl::BnCtx bctx(BN_CTX_new());
  if (!d || !p || !q || !dp || !dq || !qinv || !p1 || !q1 || !bctx) key_error("out of memory", where);
  if (BN_is_zero(p.get()) || BN_is_zero(q.get()) || !BN_sub(p1.get(), p.get(), BN_value_one()) ||
      !BN_sub(q1.get(), q.get(), BN_value_one()) || !BN_mod(dp.get(), d.get(), p1.get(), bctx.get()) ||
      !BN_mod(dq.get(), d.get(), q1.get(), bctx.get()) ||
      !BN_mod_inverse(qinv.get(), q.get(), p.get(), bctx.get())) {
    key_error("secret key does not match its public key", where);
  }
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, d.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dp.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dq.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv.get());
  auto pkey = from_params("RSA", bld.get(), EVP_PKEY_KEYPAIR, where);
  check_pair(pkey.get(), where);
  return pkey;
}

ossl::Pkey ed25519_pkey(const KeyMaterial& m, const std::vector<SecureBytes>* secret,
                        const io::Location& where) {
  // The point is the native 32-octet encoding behind a 0x40 prefix octet.
  const auto& point = m.mpis.at(0);
  if (point.size() != 33 || point[0] != 0x40) key_error("Ed25519 public key is not 0x40 || 32 octets", where);
  if (!secret) {
    ossl::Pkey k(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, point.data() + 1, 32));
    if (!k) key_error("OpenSSL rejected the Ed25519 public key", where);
    return k;
  }
  if (secret->size() != 1) key_error("EdDSA secret key needs 1 value", where);
  // The secret scalar is an MPI, so leading zero octets may have been stripped.
  const auto& s = (*secret)[0];
  size_t skip = 0;
  while (skip < s.size() && s[skip] == 0) ++skip;
  if (s.size() - skip > 32) key_error("secret key does not match its public key", where);
  SecureBytes seed(32 - (s.size() - skip), 0);
  seed.insert(seed.end(), s.begin() + static_cast<std::ptrdiff_t>(skip), s.end());
  ossl::Pkey k(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  uint8_t pub[32];
  size_t len = sizeof pub;
  if (!k || EVP_PKEY_get_raw_public_key(k.get(), pub, &len) != 1 || len != 32 ||
      std::memcmp(pub, point.data() + 1, 32) != 0) {
    key_error("secret key does not match its public key", where);
  }
  return k;
}

ossl::Pkey ecdsa_pkey(const KeyMaterial& m, const std::vector<SecureBytes>* secret,
                      const io::Location& where) {
  const Curve* c = find_curve(m.oid);
  if (!c || c->name == std::string("Ed25519") || c->name == std::string("Curve25519")) {
    key_error("unsupported ECDSA curve", where);
  }
  ossl::ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld) key_error("out of memory", where);
  const auto& point = m.mpis.at(0);
  OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, c->ossl, 0);
  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  if (!secret) return from_params("EC", bld.get(), EVP_PKEY_PUBLIC_KEY, where);
  if (secret->size() != 1) key_error("ECDSA secret key needs 1 value", where);
  auto d = to_bn((*secret)[0], true);
  if (!d) key_error("out of memory", where);
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get());
  auto pkey = from_params("EC", bld.get(), EVP_PKEY_KEYPAIR, where);
  check_pair(pkey.get(), where);
  return pkey;
}

}  // namespace

KeyMaterial parse_key_material(std::span<const uint8_t> body, const io::Location& where) {
  KeyMaterial m;
  ByteReader r(body, where, "key packet");
  m.version = r.u8();
  if (m.version != 4) return m;
  m.created = r.u32();
  m.algo = r.u8();
  auto mpis = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto v = r.mpi();
      m.mpis.emplace_back(v.begin(), v.end());
    }
  };
  auto oid = [&] {
    uint8_t len = r.u8();
    if (len == 0 || len == 0xFF) r.fail("reserved curve OID length");
    auto o = r.take(len);
    m.oid.assign(o.begin(), o.end());
  };
  switch (m.algo) {
    case pk::rsa:
    case pk::rsa_encrypt:
    case pk::rsa_sign:
      mpis(2);
      break;
    case pk::dsa:
      mpis(4);
      break;
    case pk::elgamal:
    case 20:
      mpis(3);
      break;
    case pk::ecdsa:
    case pk::eddsa:
      oid();
      mpis(1);
      break;
    case pk::ecdh:
      oid();
      mpis(1);
      r.take(r.u8());  // KDF parameters
      break;
    default:
      return m;  // layout unknown: public_length stays 0
  }
  m.public_length = r.pos();
  return m;
}

Fingerprint v4_fingerprint(std::span<const uint8_t> public_body) {
  io::Hasher h(io::HashAlg::sha1);
  uint8_t head[3] = {0x99, static_cast<uint8_t>(public_body.size() >> 8),
                     static_cast<uint8_t>(public_body.size())};
  h.update(head);
  h.update(public_body);
  auto d = h.finish();
  Fingerprint f{};
  std::copy(d.begin(), d.end(), f.begin());
  return f;
}

uint64_t key_id_of(const Fingerprint& fpr) {
  uint64_t id = 0;
  for (size_t i = 12; i < 20; ++i) id = id << 8 | fpr[i];
  return id;
}

std::string key_id_hex(uint64_t id) {
  uint8_t b[8];
  for (int i = 7; i >= 0; --i, id >>= 8) b[i] = static_cast<uint8_t>(id);
  return upper_hex(b);
}

std::string curve_name(std::span<const uint8_t> oid) {
  const Curve* c = find_curve(oid);
  return c ? c->name : "";
}

std::string algorithm_name(const KeyMaterial& m) {
  auto curve = [&] {
    std::string n = curve_name(m.oid);
    return n.empty() ? std::string("unknown curve") : n;
  };
  if (m.public_length == 0) return "unsupported (" + std::to_string(m.algo) + ")";
  switch (m.algo) {
    case pk::rsa:
    case pk::rsa_encrypt:
    case pk::rsa_sign:
      return "RSA " + std::to_string(bit_length(m.mpis.at(0)));
    case pk::dsa:
      return "DSA " + std::to_string(bit_length(m.mpis.at(0)));
    case pk::elgamal:
    case 20:
      return "ElGamal " + std::to_string(bit_length(m.mpis.at(0)));
    case pk::ecdsa:
      return "ECDSA " + curve();
    case pk::eddsa:
      return "EdDSA " + curve();
    case pk::ecdh:
      return "ECDH " + curve();
    default:
      return "unsupported (" + std::to_string(m.algo) + ")";
  }
}

bool supported_signing_algorithm(const KeyMaterial& m) {
  if (m.public_length == 0) return false;
  std::string c = curve_name(m.oid);
  switch (m.algo) {
    case pk::rsa:
    case pk::rsa_sign:
      return true;
    case pk::eddsa:
      return c == "Ed25519";
    case pk::ecdsa:
      return !c.empty() && c != "Ed25519" && c != "Curve25519";
    default:
      return false;
  }
}

size_t min_hash_size(const KeyMaterial& m) {
  if (m.algo != pk::ecdsa) return 0;
  std::string c = curve_name(m.oid);
  if (c == "P-384" || c == "brainpoolP384r1") return 48;
  if (c == "P-521" || c == "brainpoolP512r1") return 64;
  return 32;
}

ossl::Pkey make_pkey(const KeyMaterial& m, const std::vector<SecureBytes>* secret,
                     const io::Location& where) {
  switch (m.algo) {
    case pk::rsa:
    case pk::rsa_sign:
      return rsa_pkey(m, secret, where);
    case pk::eddsa:
      if (curve_name(m.oid) != "Ed25519") key_error("unsupported EdDSA curve", where);
      return ed25519_pkey(m, secret, where);
    case pk::ecdsa:
      return ecdsa_pkey(m, secret, where);
    default:
      key_error("unsupported signing algorithm " + algorithm_name(m), where);
  }
}

namespace {

bool by_issuer(const SignaturePacket& s, uint64_t key_id) {
  auto id = s.issuer_key_id();
  return id && *id == key_id;
}

// The newest of the given signatures (by hashed creation time), or nullptr.
const SignaturePacket* newest(const std::vector<const SignaturePacket*>& sigs) {
  const SignaturePacket* best = nullptr;
  for (const auto* s : sigs) {
    if (!best || s->created().value_or(0) >= best->created().value_or(0)) best = s;
  }
  return best;
}

void apply_self_signatures(CertKey& key, const std::vector<const SignaturePacket*>& sigs) {
  if (const auto* s = newest(sigs)) {
    if (auto e = s->key_expiration(); e && *e != 0) key.expires = std::time_t{key.material.created} + *e;
  }
  std::vector<const SignaturePacket*> with_flags;
  for (const auto* s : sigs) {
    if (s->key_flags()) with_flags.push_back(s);
  }
  if (const auto* s = newest(with_flags)) key.flags = s->key_flags();
}

void derive_status(Certificate& c) {
  uint64_t primary_id = key_id_of(c.primary.fpr);
  std::vector<const SignaturePacket*> self;
  for (const auto& s : c.primary.sigs) {
    if (!by_issuer(s, primary_id)) continue;
    if (s.type == 0x1F) self.push_back(&s);
    if (s.type == 0x20) c.primary.revoked = true;
  }
  const UserId* primary_uid = nullptr;
  uint32_t primary_uid_time = 0;
  for (const auto& u : c.user_ids) {
    for (const auto& s : u.sigs) {
      if (s.type < 0x10 || s.type > 0x13 || !by_issuer(s, primary_id)) continue;
      self.push_back(&s);
      // The primary user ID is the one flagged so in its newest self-signature; else the first.
      if (s.primary_user_id() && (!primary_uid || s.created().value_or(0) >= primary_uid_time)) {
        primary_uid = &u;
        primary_uid_time = s.created().value_or(0);
      }
    }
  }
  if (!primary_uid && !c.user_ids.empty()) primary_uid = &c.user_ids.front();
  if (primary_uid) c.primary_user_id = primary_uid->text;
  apply_self_signatures(c.primary, self);

  for (auto& k : c.subkeys) {
    std::vector<const SignaturePacket*> bindings;
    for (const auto& s : k.sigs) {
      if (!by_issuer(s, primary_id)) continue;
      if (s.type == 0x18) bindings.push_back(&s);
      if (s.type == 0x28) k.revoked = true;
    }
    k.bound = !bindings.empty();
    apply_self_signatures(k, bindings);
  }
}

bool make_key(const Packet& p, CertKey& k, const io::Location& where) {
  k.material = parse_key_material(p.body, where);
  if (k.material.version != 4) return false;
  bool is_public = p.tag == tag::public_key || p.tag == tag::public_subkey;
  size_t len = k.material.public_length;
  if (len == 0 && !is_public) return false;  // a secret packet of unknown layout: cannot split it
  k.fpr = v4_fingerprint(std::span<const uint8_t>(p.body).first(len == 0 ? p.body.size() : len));
  k.packet = p;
  return true;
}

}  // namespace

std::vector<Certificate> split_certificates(std::vector<Packet> packets, const io::Location& where) {
  std::vector<Certificate> certs;
  Certificate* cur = nullptr;
  std::vector<SignaturePacket>* sig_target = nullptr;  // where the next signatures belong
  for (auto& p : packets) {
    switch (p.tag) {
      case tag::secret_key:
      case tag::public_key: {
        Certificate c;
        cur = nullptr;
        sig_target = nullptr;
        if (!make_key(p, c.primary, where)) continue;  // skip this certificate entirely
        certs.push_back(std::move(c));
        cur = &certs.back();
        sig_target = &cur->primary.sigs;
        break;
      }
      case tag::secret_subkey:
      case tag::public_subkey: {
        if (!cur) continue;
        CertKey k;
        if (!make_key(p, k, where)) {
          sig_target = nullptr;
          continue;
        }
        cur->subkeys.push_back(std::move(k));
        sig_target = &cur->subkeys.back().sigs;
        break;
      }
      case tag::user_id:
        if (!cur) continue;
        cur->user_ids.push_back(UserId{std::string(p.body.begin(), p.body.end()), {}});
        sig_target = &cur->user_ids.back().sigs;
        break;
      case tag::user_attribute:
        sig_target = nullptr;
        break;
      case tag::signature:
        if (!cur || !sig_target || p.body.empty() || p.body[0] != 4) break;
        try {
          sig_target->push_back(parse_signature(p.body, where));
        } catch (const io::Error&) {
          // A malformed certification is ignored, as if absent.
        }
        break;
      case tag::trust:
      case tag::marker:
        continue;
      default:
        break;
    }
    if (cur) cur->packets.push_back(std::move(p));
  }
  for (auto& c : certs) derive_status(c);
  return certs;
}

PublicKey describe_key(const Certificate& c, const CertKey& k) {
  PublicKey pub;
  pub.fingerprint = upper_hex(k.fpr);
  pub.key_id = key_id_hex(key_id_of(k.fpr));
  pub.primary_fingerprint = upper_hex(c.primary.fpr);
  pub.user_id = c.primary_user_id;
  pub.algorithm = algorithm_name(k.material);
  pub.subkey = &k != &c.primary;
  pub.revoked = k.revoked || c.primary.revoked;
  pub.created = k.material.created;
  size_t len = k.material.public_length ? k.material.public_length : k.packet.body.size();
  pub.packet.assign(k.packet.body.begin(), k.packet.body.begin() + static_cast<std::ptrdiff_t>(len));
  return pub;
}

std::vector<uint8_t> public_certificate(const Certificate& cert) {
  std::vector<uint8_t> out;
  bool skipping = false;  // a subkey we cannot split and its signatures
  for (const auto& p : cert.packets) {
    if (p.tag == tag::secret_key || p.tag == tag::secret_subkey) {
      KeyMaterial m = parse_key_material(p.body, {});
      skipping = m.version != 4 || m.public_length == 0;
      if (skipping) continue;
      uint8_t t = p.tag == tag::secret_key ? tag::public_key : tag::public_subkey;
      append_packet(out, t, std::span<const uint8_t>(p.body).first(m.public_length));
      continue;
    }
    if (p.tag == tag::public_key || p.tag == tag::public_subkey || p.tag == tag::user_id ||
        p.tag == tag::user_attribute) {
      skipping = false;
    }
    if (!skipping) append_packet(out, p.tag, p.body);
  }
  return out;
}

}  // namespace signet::crypto::openpgp
