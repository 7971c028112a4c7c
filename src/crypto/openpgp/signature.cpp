// Making detached v4 signatures (RFC 4880 §5.2.3-4; RFC 6637 §7 and the EdDSA draft for the values).
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include <limits>

#include "crypto/openpgp/secret_key.hpp"

namespace signet::crypto::openpgp {

namespace {

const EVP_MD* evp_md(io::HashAlg alg) {
  switch (alg) {
    case io::HashAlg::sha1:
      return EVP_sha1();
    case io::HashAlg::sha256:
      return EVP_sha256();
    case io::HashAlg::sha384:
      return EVP_sha384();
    case io::HashAlg::sha512:
      return EVP_sha512();
  }
  return nullptr;
}

[[noreturn]] void sign_error(const std::string& fpr) {
  throw io::Error("OpenPGP signing with key " + fpr + " failed in OpenSSL");
}

std::vector<uint8_t> pkey_sign(EVP_PKEY* pkey, const EVP_MD* md, bool rsa, std::span<const uint8_t> digest,
                               const std::string& fpr) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) sign_error(fpr);
  // RSA: PKCS#1 v1.5 over a DigestInfo; ECDSA: the raw digest (truncated to the curve by ECDSA).
  if (rsa && (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
              EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1)) {
    sign_error(fpr);
  }
  size_t len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1) sign_error(fpr);
  std::vector<uint8_t> sig(len);
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) != 1) sign_error(fpr);
  sig.resize(len);
  return sig;
}

}  // namespace

std::vector<uint8_t> sign_hash(const SecretKey::Impl& key, io::HashAlg alg, std::span<const uint8_t> digest) {
  const std::string& fpr = key.pub.fingerprint;
  std::vector<uint8_t> out;
  switch (key.material.algo) {
    case pk::rsa:
    case pk::rsa_sign:
      append_mpi(out, pkey_sign(key.pkey.get(), evp_md(alg), true, digest, fpr));
      break;
    case pk::eddsa: {
      // Ed25519 over the hash as the message; R and S each as an MPI of their 32 octets.
      ossl::MdCtx ctx(EVP_MD_CTX_new());
      uint8_t sig[64];
      size_t len = sizeof sig;
      if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.pkey.get()) != 1 ||
          EVP_DigestSign(ctx.get(), sig, &len, digest.data(), digest.size()) != 1 || len != 64) {
        sign_error(fpr);
      }
      append_mpi(out, std::span<const uint8_t>(sig, 32));
      append_mpi(out, std::span<const uint8_t>(sig + 32, 32));
      break;
    }
    case pk::ecdsa: {
      auto der = pkey_sign(key.pkey.get(), nullptr, false, digest, fpr);
      const uint8_t* p = der.data();
      ossl::EcdsaSig s(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
      if (!s) sign_error(fpr);
      for (const BIGNUM* bn : {ECDSA_SIG_get0_r(s.get()), ECDSA_SIG_get0_s(s.get())}) {
        std::vector<uint8_t> m(static_cast<size_t>(BN_num_bytes(bn)));
        BN_bn2bin(bn, m.data());
        append_mpi(out, m);
      }
      break;
    }
    default:
      throw io::Error("OpenPGP key " + fpr + ": cannot sign with " + key.pub.algorithm);
  }
  return out;
}

std::vector<uint8_t> sign_detached(const SecretKey& key, const io::Source& data, io::HashAlg alg,
                                   Encoding enc, std::time_t created) {
  const auto& k = key.impl();
  if (alg == io::HashAlg::sha1) throw io::Error("OpenPGP signatures use sha256, sha384 or sha512, not sha1");
  if (io::hash_size(alg) < min_hash_size(k.material)) {
    throw io::Error("OpenPGP key " + k.pub.fingerprint + " (" + k.pub.algorithm +
                    ") needs a hash of at least " + std::to_string(min_hash_size(k.material) * 8) +
                    " bits: set hash-algorithm=\"" + (min_hash_size(k.material) > 48 ? "sha512" : "sha384") +
                    "\"");
  }
  if (created < std::time_t{k.material.created}) {
    throw io::Error("OpenPGP signature time is before the creation of key " + k.pub.fingerprint +
                    " (check the system clock)");
  }
  if (created > std::numeric_limits<uint32_t>::max()) throw io::Error("OpenPGP signature time is after 2106");

  // Version, type 0x00 (binary document), algorithms, hashed subpackets: what the trailer covers.
  std::vector<uint8_t> hashed;
  std::vector<uint8_t> fpr{4};
  fpr.insert(fpr.end(), k.fpr.begin(), k.fpr.end());
  append_subpacket(hashed, sub::issuer_fingerprint, fpr);
  std::vector<uint8_t> when;
  put_u32(when, static_cast<uint32_t>(created));
  append_subpacket(hashed, sub::creation_time, when);
  std::vector<uint8_t> body{4, 0x00, k.material.algo, hash_id(alg)};
  put_u16(body, static_cast<uint32_t>(hashed.size()));
  body.insert(body.end(), hashed.begin(), hashed.end());

  io::Hasher h(alg);
  for_each_chunk(data, [&](std::span<const uint8_t> c) { h.update(c); });
  h.update(body);
  h.update(signature_trailer(body));
  std::vector<uint8_t> digest = h.finish();

  std::vector<uint8_t> unhashed, key_id;
  put_u32(key_id, static_cast<uint32_t>(key_id_of(k.fpr) >> 32));
  put_u32(key_id, static_cast<uint32_t>(key_id_of(k.fpr)));
  append_subpacket(unhashed, sub::issuer, key_id);
  put_u16(body, static_cast<uint32_t>(unhashed.size()));
  body.insert(body.end(), unhashed.begin(), unhashed.end());
  body.push_back(digest[0]);
  body.push_back(digest[1]);
  auto values = sign_hash(k, alg, digest);
  body.insert(body.end(), values.begin(), values.end());

  std::vector<uint8_t> packet;
  append_packet(packet, tag::signature, body);
  if (enc == Encoding::binary) return packet;
  std::string a = armor(packet, "SIGNATURE");
  return {a.begin(), a.end()};
}

}  // namespace signet::crypto::openpgp
