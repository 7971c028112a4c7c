#include "crypto/key_file_signer.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "crypto/der.hpp"
#include "io/error.hpp"

namespace signet::crypto {

namespace {

using Pkcs12Ptr = std::unique_ptr<PKCS12, OsslDeleter<PKCS12_free>>;
using P8InfoPtr = std::unique_ptr<PKCS8_PRIV_KEY_INFO, OsslDeleter<PKCS8_PRIV_KEY_INFO_free>>;
using X509SigPtr = std::unique_ptr<X509_SIG, OsslDeleter<X509_SIG_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX_free>>;

io::Error file_error(const std::filesystem::path& path, const std::string& message) {
  return io::Error(message, io::Location{path.string()});
}

class EvpSigner final : public Signer {
 public:
  EvpSigner(EvpPkeyPtr key, KeyType type, std::vector<CertDer> certs, std::string description)
      : key_(std::move(key)), type_(type), certs_(std::move(certs)), description_(std::move(description)) {
    bits_ = EVP_PKEY_get_bits(key_.get());
    int n = i2d_PUBKEY(key_.get(), nullptr);
    if (n <= 0) throw io::Error("cannot encode the public key: " + openssl_errors());
    spki_.resize(static_cast<size_t>(n));
    unsigned char* p = spki_.data();
    i2d_PUBKEY(key_.get(), &p);
  }

  KeyType key_type() const override { return type_; }
  int key_bits() const override { return bits_; }
  std::vector<uint8_t> public_key_der() const override { return spki_; }
  const std::vector<CertDer>& certificates() const override { return certs_; }
  std::string describe() const override { return description_; }

  std::vector<uint8_t> sign_digest(io::HashAlg alg, std::span<const uint8_t> digest,
                                   RsaPadding padding) const override {
    if (digest.size() != io::hash_size(alg)) {
      throw io::Error("digest length " + std::to_string(digest.size()) + " does not match " +
                      std::string(io::hash_alg_name(alg)));
    }
    if (type_ == KeyType::ed25519) return sign_ed25519(digest);
    // A fresh context per call: EVP_PKEY is shared read-only, contexts are not.
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
    bool ok = ctx && EVP_PKEY_sign_init(ctx.get()) == 1;
    const EVP_MD* md = evp_md(alg);
    if (ok && type_ == KeyType::rsa) {
      if (padding == RsaPadding::pss) {
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx.get(), md) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) == 1;
      } else {
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx.get(), md) == 1;  // adds the DigestInfo
      }
    } else if (ok) {
      ok = EVP_PKEY_CTX_set_signature_md(ctx.get(), md) == 1;
    }
    size_t len = 0;
    ok = ok && EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) == 1;
    std::vector<uint8_t> sig(len);
    ok = ok && EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) == 1;
    if (!ok) throw io::Error("signing failed with " + description_ + ": " + openssl_errors());
    sig.resize(len);
    return sig;
  }

 private:
  std::vector<uint8_t> sign_ed25519(std::span<const uint8_t> digest) const {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    size_t len = 0;
    bool ok = ctx && EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
              EVP_DigestSign(ctx.get(), nullptr, &len, digest.data(), digest.size()) == 1;
    std::vector<uint8_t> sig(len);
    ok = ok && EVP_DigestSign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) == 1;
    if (!ok) throw io::Error("signing failed with " + description_ + ": " + openssl_errors());
    sig.resize(len);
    return sig;
  }

  EvpPkeyPtr key_;
  KeyType type_;
  int bits_ = 0;
  std::vector<CertDer> certs_;
  std::string description_;
  std::vector<uint8_t> spki_;
};

// RSA, EC on the NIST curves, Ed25519; anything else is refused with its name.
KeyType classify(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return KeyType::rsa;
    case EVP_PKEY_ED25519:
      return KeyType::ed25519;
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t n = 0;
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &n) != 1) {
        ERR_clear_error();
        throw io::Error("unsupported key type (EC key with explicit curve parameters)");
      }
      std::string_view g(group, n);
      if (g == "prime256v1" || g == "secp384r1" || g == "secp521r1") return KeyType::ec;
      throw io::Error("unsupported key type (EC curve " + std::string(g) +
                      "; expected P-256, P-384 or P-521)");
    }
    default: {
      const char* name = EVP_PKEY_get0_type_name(key);
      throw io::Error(std::string("unsupported key type (") + (name ? name : "unknown") +
                      "; expected RSA, EC or Ed25519)");
    }
  }
}

std::string key_label(KeyType type, int bits) {
  switch (type) {
    case KeyType::rsa:
      return "RSA " + std::to_string(bits);
    case KeyType::ec:
      return "EC P-" + std::to_string(bits);
    case KeyType::ed25519:
      return "Ed25519";
  }
  return "?";
}

int password_cb(char* buf, int size, int /*rwflag*/, void* u) {
  const auto* pw = static_cast<const std::string*>(u);
  if (pw->empty() || pw->size() > static_cast<size_t>(size)) return -1;
  std::copy(pw->begin(), pw->end(), buf);
  return static_cast<int>(pw->size());
}

bool contains(std::span<const uint8_t> data, std::string_view needle) {
  std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
  return s.find(needle) != std::string_view::npos;
}

struct Loaded {
  EvpPkeyPtr key;
  std::vector<CertDer> certs;  // certificates found in the key file itself
};

Loaded load_pem(const std::filesystem::path& path, std::span<const uint8_t> data,
                const std::string& password) {
  if (contains(data, "BEGIN OPENSSH PRIVATE KEY")) {
    throw file_error(path, "unsupported key format (OpenSSH); convert it with `ssh-keygen -p -m PKCS8`");
  }
  if (!contains(data, "PRIVATE KEY-----")) throw file_error(path, "no private key found");
  bool encrypted = contains(data, "BEGIN ENCRYPTED PRIVATE KEY") || contains(data, "Proc-Type: 4,ENCRYPTED");
  if (encrypted && password.empty()) {
    throw file_error(path, "the private key is encrypted: a password is required");
  }
  ERR_clear_error();
  BioPtr bio = memory_bio(data);
  Loaded out;
  out.key.reset(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, password_cb, const_cast<std::string*>(&password)));
  if (!out.key) {
    std::string why = openssl_errors();
    if (encrypted) throw file_error(path, "wrong password (cannot decrypt the private key)");
    throw file_error(path, "cannot read the private key: " + why);
  }
  if (contains(data, "CERTIFICATE-----")) out.certs = parse_certificates(data, path.string());
  return out;
}

// DER: unencrypted PKCS#8, encrypted PKCS#8, or a traditional RSA/EC structure.
Loaded load_der_key(const std::filesystem::path& path, std::span<const uint8_t> data,
                    const std::string& password) {
  const long len = static_cast<long>(data.size());
  const unsigned char* end = data.data() + data.size();
  Loaded out;
  const unsigned char* p = data.data();
  P8InfoPtr p8(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, len));
  if (p8 && p == end) {
    out.key.reset(EVP_PKCS82PKEY(p8.get()));
    if (!out.key) throw file_error(path, "cannot read the private key: " + openssl_errors());
    return out;
  }
  p = data.data();
  X509SigPtr enc(d2i_X509_SIG(nullptr, &p, len));
  if (enc && p == end) {
    ERR_clear_error();
    if (password.empty()) throw file_error(path, "the private key is encrypted: a password is required");
    P8InfoPtr dec(PKCS8_decrypt(enc.get(), password.data(), static_cast<int>(password.size())));
    if (!dec) {
      ERR_clear_error();
      throw file_error(path, "wrong password (cannot decrypt the private key)");
    }
    out.key.reset(EVP_PKCS82PKEY(dec.get()));
    if (!out.key) throw file_error(path, "cannot read the private key: " + openssl_errors());
    return out;
  }
  p = data.data();
  out.key.reset(d2i_AutoPrivateKey(nullptr, &p, len));
  if (out.key && p == end) return out;
  ERR_clear_error();
  p = data.data();
  if (X509Ptr cert(d2i_X509(nullptr, &p, len)); cert) {
    ERR_clear_error();
    throw file_error(path, "no private key found (this is a certificate)");
  }
  ERR_clear_error();
  throw file_error(path, "no private key found (not a PEM, PKCS#8, PKCS#12 or DER private key)");
}

// Loads OpenSSL's legacy provider (and keeps the default one) once per process; unloaded at exit.
bool load_legacy_provider() {
  using Provider = std::unique_ptr<OSSL_PROVIDER, OsslDeleter<OSSL_PROVIDER_unload>>;
  struct Providers {
    Provider default_provider{
        OSSL_PROVIDER_load(nullptr, "default")};  // loading any disables the implicit one
    Provider legacy{OSSL_PROVIDER_load(nullptr, "legacy")};
  };
  static const Providers providers;
  ERR_clear_error();
  return providers.default_provider && providers.legacy;
}

Loaded load_pkcs12(const std::filesystem::path& path, PKCS12* p12, const std::string& password) {
  ERR_clear_error();
  if (PKCS12_mac_present(p12)) {
    bool ok = password.empty()
                  ? (PKCS12_verify_mac(p12, nullptr, 0) == 1 || PKCS12_verify_mac(p12, "", 0) == 1)
                  : PKCS12_verify_mac(p12, password.c_str(), -1) == 1;
    if (!ok) {
      std::string why = openssl_errors();
      if (why.empty())
        throw file_error(path,
                         password.empty() ? "wrong password (the PKCS#12 file needs one)" : "wrong password");
      throw file_error(path, "cannot check the PKCS#12 integrity: " + why);
    }
  }
  EVP_PKEY* pkey = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  const char* pass = password.empty() ? nullptr : password.c_str();
  if (PKCS12_parse(p12, pass, &pkey, &cert, &ca) != 1) {
    std::string why = openssl_errors();
    // RC2-40 and friends (old Windows exports, `openssl pkcs12 -legacy`) live in OpenSSL's legacy
    // provider: load it once, on demand, and retry.
    if (why.find("unsupported") == std::string::npos || !load_legacy_provider() ||
        PKCS12_parse(p12, pass, &pkey, &cert, &ca) != 1) {
      std::string again = openssl_errors();
      throw file_error(path, "cannot decrypt the PKCS#12 contents (" + (again.empty() ? why : again) + ")");
    }
  }
  Loaded out;
  out.key.reset(pkey);
  X509Ptr leaf(cert);
  if (leaf) out.certs.push_back(certificate_der(leaf.get()));
  for (int i = 0; i < sk_X509_num(ca); ++i) out.certs.push_back(certificate_der(sk_X509_value(ca, i)));
  sk_X509_pop_free(ca, X509_free);
  if (!out.key) throw file_error(path, "no private key found in the PKCS#12 file");
  return out;
}

bool matches_key(const CertDer& cert, EVP_PKEY* key) {
  EvpPkeyPtr pub = certificate_pkey(cert);
  int rc = EVP_PKEY_eq(pub.get(), key);
  ERR_clear_error();
  return rc == 1;
}

// Signing certificate first, then each issuer found among the rest, then whatever remains.
std::vector<CertDer> order_chain(CertDer leaf, std::vector<CertDer> rest) {
  std::vector<CertDer> out{std::move(leaf)};
  rest.erase(std::remove(rest.begin(), rest.end(), out[0]), rest.end());
  for (size_t i = 0; i < rest.size(); ++i) {
    for (size_t j = i + 1; j < rest.size(); ++j) {
      if (rest[j] == rest[i]) rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(j--));
    }
  }
  for (;;) {
    X509Ptr last = parse_certificate(out.back());
    if (X509_check_issued(last.get(), last.get()) == X509_V_OK) break;  // self-signed: top reached
    auto it = std::find_if(rest.begin(), rest.end(), [&](const CertDer& c) {
      X509Ptr x = parse_certificate(c);
      return X509_check_issued(x.get(), last.get()) == X509_V_OK;
    });
    if (it == rest.end()) break;
    out.push_back(std::move(*it));
    rest.erase(it);
  }
  ERR_clear_error();
  for (auto& c : rest) out.push_back(std::move(c));
  return out;
}

std::string lower_ext(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

}  // namespace

SignerPtr make_evp_signer(EvpPkeyPtr key, std::vector<CertDer> certificates, std::string description) {
  if (!key) throw io::Error("no private key");
  KeyType type = classify(key.get());
  return std::make_shared<EvpSigner>(std::move(key), type, std::move(certificates), std::move(description));
}

SignerPtr load_key_file_signer(const std::filesystem::path& key, const std::string& password,
                               const std::optional<std::filesystem::path>& cert,
                               const std::optional<std::filesystem::path>& chain) {
  std::vector<uint8_t> data = read_small_file(key);
  Loaded loaded;
  std::string ext = lower_ext(key);
  if (der::looks_like_pem(data)) {
    loaded = load_pem(key, data, password);
  } else {
    const unsigned char* p = data.data();
    Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(data.size())));
    ERR_clear_error();
    if (p12) {
      loaded = load_pkcs12(key, p12.get(), password);
    } else if (ext == ".p12" || ext == ".pfx") {
      throw file_error(key, "not a valid PKCS#12 file");
    } else {
      loaded = load_der_key(key, data, password);
    }
  }
  KeyType type;
  try {
    type = classify(loaded.key.get());
  } catch (const io::Error& e) {
    throw file_error(key, e.message());
  }

  // Candidates for the signing certificate: --cert first, then the key file's, then --chain.
  std::vector<CertDer> from_cert = cert ? load_certificates(*cert) : std::vector<CertDer>{};
  std::vector<CertDer> from_chain = chain ? load_certificates(*chain) : std::vector<CertDer>{};
  std::vector<CertDer> all = from_cert;
  all.insert(all.end(), loaded.certs.begin(), loaded.certs.end());
  all.insert(all.end(), from_chain.begin(), from_chain.end());

  std::vector<CertDer> certs;
  if (!all.empty()) {
    // When --cert is given the signing certificate must come from it.
    const std::vector<CertDer>& pool = cert ? from_cert : all;
    auto leaf = std::find_if(pool.begin(), pool.end(),
                             [&](const CertDer& c) { return matches_key(c, loaded.key.get()); });
    if (leaf == pool.end()) {
      throw file_error(cert ? *cert : (chain && loaded.certs.empty() ? *chain : key),
                       "the certificate does not match the private key in " + key.string());
    }
    certs = order_chain(*leaf, all);
  }
  int bits = EVP_PKEY_get_bits(loaded.key.get());
  std::string description = "key file " + key.filename().string() + " (" + key_label(type, bits);
  if (!certs.empty()) description += ", " + subject_name(certs[0]);
  description += ")";
  return std::make_shared<EvpSigner>(std::move(loaded.key), type, std::move(certs), std::move(description));
}

}  // namespace signet::crypto
