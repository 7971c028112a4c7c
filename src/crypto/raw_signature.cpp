#include "crypto/raw_signature.hpp"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include <array>

#include "crypto/x509.hpp"
#include "io/error.hpp"

namespace signet::crypto {

namespace {

using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX_free>>;

// One verification attempt; any OpenSSL failure simply means "no match".
bool verify_digest(EVP_PKEY* key, io::HashAlg alg, std::span<const uint8_t> digest,
                   std::span<const uint8_t> sig, std::optional<int> rsa_padding) {
  bool ok;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), digest.data(), digest.size()) == 1;
  } else {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    const EVP_MD* md = evp_md(alg);
    ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1;
    if (ok && rsa_padding) {
      ok = EVP_PKEY_CTX_set_rsa_padding(ctx.get(), *rsa_padding) == 1;
      if (ok && *rsa_padding == RSA_PKCS1_PSS_PADDING) {
        ok = EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_AUTO) == 1;
      }
    }
    ok = ok && EVP_PKEY_CTX_set_signature_md(ctx.get(), md) == 1 &&
         EVP_PKEY_verify(ctx.get(), sig.data(), sig.size(), digest.data(), digest.size()) == 1;
  }
  ERR_clear_error();
  return ok;
}

}  // namespace

std::vector<uint8_t> raw_sign(const Signer& signer, io::HashAlg alg, std::span<const uint8_t> digest,
                              RsaPadding padding) {
  if (digest.size() != io::hash_size(alg)) {
    throw io::Error("digest length " + std::to_string(digest.size()) + " does not match " +
                    std::string(io::hash_alg_name(alg)));
  }
  return signer.sign_digest(alg, digest, padding);
}

VerifyResult raw_verify(std::span<const uint8_t> sig, const io::Source& content, const CertDer& cert) {
  VerifyResult r;
  r.kind = "raw";
  EvpPkeyPtr key;
  try {
    r.signer = subject_name(cert);
    key = certificate_pkey(cert);
  } catch (const io::Error& e) {
    r.detail = e.message();
    return r;
  }
  constexpr std::array<io::HashAlg, 3> algs{io::HashAlg::sha256, io::HashAlg::sha384, io::HashAlg::sha512};
  std::vector<io::Hasher> hashers;
  for (auto a : algs) hashers.emplace_back(a);
  io::for_each_chunk(content, [&](std::span<const uint8_t> chunk) {
    for (auto& h : hashers) h.update(chunk);
  });

  const int type = EVP_PKEY_get_base_id(key.get());
  for (size_t i = 0; i < algs.size(); ++i) {
    std::vector<uint8_t> digest = hashers[i].finish();
    if (type == EVP_PKEY_RSA) {
      if (verify_digest(key.get(), algs[i], digest, sig, RSA_PKCS1_PADDING)) {
        r.detail = "RSA PKCS#1 v1.5";
      } else if (verify_digest(key.get(), algs[i], digest, sig, RSA_PKCS1_PSS_PADDING)) {
        r.detail = "RSA-PSS";
      }
    } else if (verify_digest(key.get(), algs[i], digest, sig, std::nullopt)) {
      r.detail = type == EVP_PKEY_ED25519 ? "Ed25519" : "ECDSA";
    }
    if (!r.detail.empty()) {
      r.valid = true;
      r.digest = std::string(io::hash_alg_name(algs[i]));
      return r;
    }
  }
  r.detail =
      type == EVP_PKEY_RSA
          ? "the signature does not match the content (tried sha256, sha384, sha512 with PKCS#1 v1.5 and PSS)"
          : "the signature does not match the content (tried sha256, sha384, sha512)";
  return r;
}

}  // namespace signet::crypto
