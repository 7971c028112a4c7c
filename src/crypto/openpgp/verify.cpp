// Checking detached signatures against certificates (RFC 4880 §5.2.4), for `signet verify`.
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <optional>

#include "crypto/openpgp/armor.hpp"
#include "crypto/openpgp/keys.hpp"
#include "io/file.hpp"

namespace signet::crypto::openpgp {

namespace {

constexpr uint64_t kMaxKeyring = 64 << 20;

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

bool same_family(uint8_t sig_algo, uint8_t key_algo) {
  auto rsa = [](uint8_t a) { return a == pk::rsa || a == pk::rsa_sign; };
  return sig_algo == key_algo || (rsa(sig_algo) && rsa(key_algo));
}

// The cryptographic check of the signature values over the hash.
bool check_values(const SignaturePacket& s, const KeyMaterial& m, io::HashAlg alg,
                  std::span<const uint8_t> digest) {
  ossl::Pkey key = make_pkey(m, nullptr, {});
  switch (m.algo) {
    case pk::rsa:
    case pk::rsa_sign: {
      if (s.mpis.size() != 1) return false;
      auto sig = left_pad(s.mpis[0], static_cast<size_t>(EVP_PKEY_get_size(key.get())));
      ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
      return sig && ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx.get(), evp_md(alg)) == 1 &&
             EVP_PKEY_verify(ctx.get(), sig->data(), sig->size(), digest.data(), digest.size()) == 1;
    }
    case pk::eddsa: {
      if (s.mpis.size() != 2) return false;
      auto r = left_pad(s.mpis[0], 32), sv = left_pad(s.mpis[1], 32);
      if (!r || !sv) return false;
      r->insert(r->end(), sv->begin(), sv->end());
      ossl::MdCtx ctx(EVP_MD_CTX_new());
      return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
             EVP_DigestVerify(ctx.get(), r->data(), r->size(), digest.data(), digest.size()) == 1;
    }
    case pk::ecdsa: {
      if (s.mpis.size() != 2) return false;
      ossl::EcdsaSig sig(ECDSA_SIG_new());
      ossl::Bn r(BN_bin2bn(s.mpis[0].data(), static_cast<int>(s.mpis[0].size()), nullptr));
      ossl::Bn sv(BN_bin2bn(s.mpis[1].data(), static_cast<int>(s.mpis[1].size()), nullptr));
      if (!sig || !r || !sv || ECDSA_SIG_set0(sig.get(), r.get(), sv.get()) != 1) return false;
      r.release();  // owned by sig now
      sv.release();
      int len = i2d_ECDSA_SIG(sig.get(), nullptr);
      if (len <= 0) return false;
      std::vector<uint8_t> der(static_cast<size_t>(len));
      unsigned char* p = der.data();
      if (i2d_ECDSA_SIG(sig.get(), &p) != len) return false;
      ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
      return ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
             EVP_PKEY_verify(ctx.get(), der.data(), der.size(), digest.data(), digest.size()) == 1;
    }
    default:
      return false;
  }
}

std::string timestamp(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string signer_of(const PublicKey& k) {
  std::string s = k.user_id.empty() ? std::string("(no user ID)") : k.user_id;
  s += " [" + k.fingerprint;
  if (k.subkey) s += ", subkey of " + k.primary_fingerprint;
  return s + "]";
}

// One signature of the file, its hash in progress, and the verdict.
struct Pending {
  SignaturePacket sig;
  io::HashAlg alg = io::HashAlg::sha256;
  std::optional<io::Hasher> hasher;
  bool text = false;  // type 0x01: hashed with CRLF line ends
  crypto::VerifyResult result;
};

// Type 0x01 signatures hash the document with every line ending as CR LF.
class Canonicalizer {
 public:
  std::span<const uint8_t> convert(std::span<const uint8_t> in) {
    out_.clear();
    for (uint8_t b : in) {
      if (b == '\n' && !prev_cr_) out_.push_back('\r');
      out_.push_back(b);
      prev_cr_ = b == '\r';
    }
    return out_;
  }

 private:
  std::vector<uint8_t> out_;
  bool prev_cr_ = false;
};

}  // namespace

std::vector<PublicKey> load_public_keys(const std::filesystem::path& file) {
  io::Location where{file.string()};
  io::File f = io::File::open_read(file);
  if (f.size() > kMaxKeyring) throw io::Error("OpenPGP key file is larger than 64 MiB", where);
  SecureBytes raw(static_cast<size_t>(f.size()));  // may be a secret key file
  f.read_exact(0, raw);
  SecureBytes bin;
  if (looks_armored(raw)) {
    for (auto& b : dearmor(raw, where)) {
      if (b.type == "PUBLIC KEY BLOCK" || b.type == "PRIVATE KEY BLOCK")
        bin.insert(bin.end(), b.data.begin(), b.data.end());
    }
  } else {
    bin = std::move(raw);
  }
  std::vector<PublicKey> keys;
  for (const auto& c : split_certificates(split_packets(bin, where), where)) {
    keys.push_back(describe_key(c, c.primary));
    for (const auto& k : c.subkeys) keys.push_back(describe_key(c, k));
  }
  if (keys.empty()) throw io::Error("no OpenPGP version 4 key in the file", where);
  return keys;
}

crypto::VerifyResult verify_detached(std::span<const uint8_t> signature, const io::Source& data,
                                     const std::vector<PublicKey>& keys) {
  crypto::VerifyResult bad;
  bad.kind = "OpenPGP";
  std::vector<Pending> sigs;
  try {
    io::Location where{"signature"};
    std::vector<uint8_t> bin;
    if (looks_armored(signature)) {
      for (auto& b : dearmor(signature, where)) {
        if (b.type == "SIGNATURE") bin.insert(bin.end(), b.data.begin(), b.data.end());
      }
      if (bin.empty()) throw io::Error("no PGP SIGNATURE block");
    } else {
      bin.assign(signature.begin(), signature.end());
    }
    for (auto& p : split_packets(bin, where)) {
      if (p.tag == tag::compressed) throw io::Error("compressed OpenPGP signatures are not supported");
      if (p.tag == tag::marker) continue;
      if (p.tag != tag::signature)
        throw io::Error("packet type " + std::to_string(p.tag) + " in a detached signature");
      Pending s;
      s.sig = parse_signature(p.body, where);
      if (s.sig.type != 0x00 && s.sig.type != 0x01) {
        throw io::Error("signature type " + std::to_string(s.sig.type) + " is not a document signature");
      }
      auto alg = hash_alg(s.sig.hash_algo);
      if (!alg) throw io::Error("unsupported hash algorithm " + hash_display(s.sig.hash_algo));
      s.alg = *alg;
      s.hasher.emplace(*alg);
      s.text = s.sig.type == 0x01;
      s.result.kind = "OpenPGP";
      s.result.digest = hash_display(s.sig.hash_algo);
      sigs.push_back(std::move(s));
    }
    if (sigs.empty()) throw io::Error("no OpenPGP signature packet");
  } catch (const io::Error& e) {
    bad.detail = e.message();
    return bad;
  }

  // One pass over the data for every signature.
  Canonicalizer canon;
  bool any_text = std::any_of(sigs.begin(), sigs.end(), [](const Pending& p) { return p.text; });
  for_each_chunk(data, [&](std::span<const uint8_t> c) {
    std::span<const uint8_t> crlf = any_text ? canon.convert(c) : c;
    for (auto& s : sigs) s.hasher->update(s.text ? crlf : c);
  });

  for (auto& s : sigs) {
    auto& r = s.result;
    s.hasher->update(s.sig.hashed_prefix);
    s.hasher->update(signature_trailer(s.sig.hashed_prefix));
    auto digest = s.hasher->finish();
    auto fpr = s.sig.issuer_fingerprint();
    auto id = s.sig.issuer_key_id();
    std::vector<const PublicKey*> candidates;
    for (const auto& k : keys) {
      if (fpr.size() == 20 ? k.fingerprint == upper_hex(fpr) : (id && k.key_id == key_id_hex(*id))) {
        candidates.push_back(&k);
      }
    }
    if (candidates.empty()) {
      r.detail = "no public key for key ID " + (id ? key_id_hex(*id) : std::string("(none given)")) +
                 " (pass --pgp-key)";
      continue;
    }
    bool prefix_ok = digest[0] == s.sig.left16[0] && digest[1] == s.sig.left16[1];
    for (const PublicKey* k : candidates) {
      r.signer = signer_of(*k);
      try {
        KeyMaterial m = parse_key_material(k->packet, {});
        if (!supported_signing_algorithm(m)) {
          r.detail = "key " + k->fingerprint + " uses " + algorithm_name(m) + ", which Signet cannot verify";
          continue;
        }
        if (!same_family(s.sig.pk_algo, m.algo)) {
          r.detail = "signature algorithm " + std::to_string(s.sig.pk_algo) + " does not match key " +
                     k->fingerprint;
          continue;
        }
        if (io::hash_size(s.alg) < min_hash_size(m)) {
          r.detail = k->algorithm + " key " + k->fingerprint + " requires a hash of at least " +
                     std::to_string(min_hash_size(m) * 8) + " bits, not " + r.digest;
          continue;
        }
        if (!prefix_ok || !check_values(s.sig, m, s.alg, digest)) {
          r.detail = "BAD signature: the data or the signature was modified";
          continue;
        }
      } catch (const io::Error& e) {
        r.detail = e.message();
        continue;
      }
      auto created = s.sig.created();
      if (!created) {
        r.detail = "signature has no creation time";
      } else if (std::time_t{*created} < k->created) {
        r.detail = "signature predates key " + k->fingerprint;
      } else if (k->revoked) {
        r.detail = "good signature, but key " + k->fingerprint + " is revoked";
      } else {
        r.valid = true;
        r.detail =
            "good signature made " + timestamp(*created) + " by " + k->algorithm + " key " + k->fingerprint;
      }
      break;
    }
  }

  crypto::VerifyResult out = sigs.front().result;
  for (const auto& s : sigs) {
    if (!s.result.valid) return s.result;
  }
  for (size_t i = 1; i < sigs.size(); ++i) out.detail += "; " + sigs[i].result.detail;
  return out;
}

}  // namespace signet::crypto::openpgp
