// Shared pieces of the Authenticode and timestamp code: DER navigation of SignedData, signature
// checks over signed attributes, and chain checks at a given time.
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "crypto/authenticode_internal.hpp"
#include "crypto/cms.hpp"
#include "crypto/x509.hpp"
#include "io/error.hpp"

namespace signet::crypto::authenticode::detail {

namespace {

struct CertStackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using CertStack = std::unique_ptr<STACK_OF(X509), CertStackFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX_free>>;

struct HashOid {
  std::string_view oid;
  std::string_view name;
  std::optional<io::HashAlg> alg;
};
constexpr HashOid kHashOids[] = {
    {"1.3.14.3.2.26", "sha1", io::HashAlg::sha1},
    {"2.16.840.1.101.3.4.2.1", "sha256", io::HashAlg::sha256},
    {"2.16.840.1.101.3.4.2.2", "sha384", io::HashAlg::sha384},
    {"2.16.840.1.101.3.4.2.3", "sha512", io::HashAlg::sha512},
    {"1.2.840.113549.2.5", "md5", std::nullopt},
    {"1.2.840.113549.2.2", "md2", std::nullopt},
    {"2.16.840.1.101.3.4.2.4", "sha224", std::nullopt},
};

}  // namespace

SignedDataView locate_first_signer(std::span<const uint8_t> content_info, const std::string& what) {
  SignedDataView v;
  der::Reader top(content_info, what);
  der::Tlv ci = top.expect(der::tag::sequence);
  top.expect_end();
  v.content_info = ci.whole;
  der::Reader cir(ci.content, what);
  if (der::decode_oid(cir.expect(der::tag::oid).content) != crypto::oids::signed_data)
    cir.fail("not a SignedData");
  der::Tlv e0 = cir.expect(der::tag::ctx_cons(0));
  v.explicit0 = e0.whole;
  der::Reader er(e0.content, what);
  der::Tlv sd = er.expect(der::tag::sequence);
  v.signed_data = sd.whole;
  der::Reader sr(sd.content, what);
  sr.expect(der::tag::integer);
  sr.expect(der::tag::set);
  sr.expect(der::tag::sequence);
  sr.optional(der::tag::ctx_cons(0));
  sr.optional(der::tag::ctx_cons(1));
  der::Tlv infos = sr.expect(der::tag::set);
  sr.expect_end();
  v.signer_infos = infos.whole;
  der::Reader ir(infos.content, what);
  if (ir.at_end()) ir.fail("the SignedData has no SignerInfo");
  der::Tlv si = ir.expect(der::tag::sequence);
  v.signer_info = si.whole;
  SignerInfoView siv = parse_signer_info(si.whole, what);
  if (siv.unsigned_attrs) v.unsigned_attrs = *siv.unsigned_attrs;
  return v;
}

der::Bytes replace_within(std::span<const uint8_t> outer, std::span<const uint8_t> inner,
                          std::span<const uint8_t> replacement) {
  der::Reader r(outer, "DER data");
  der::Tlv t = r.next();
  const uint8_t* cb = t.content.data();
  const uint8_t* ce = cb + t.content.size();
  if (inner.data() < cb || inner.data() + inner.size() > ce)
    throw io::Error("internal: span outside its TLV");
  std::span<const uint8_t> before(cb, static_cast<size_t>(inner.data() - cb));
  std::span<const uint8_t> after(inner.data() + inner.size(),
                                 static_cast<size_t>(ce - (inner.data() + inner.size())));
  return der::tlv(t.tag, der::concat({before, replacement, after}));
}

SignerInfoView parse_signer_info(std::span<const uint8_t> whole, const std::string& what) {
  SignerInfoView v;
  der::Reader top(whole, what);
  der::Reader r = top.enter(der::tag::sequence);
  r.expect(der::tag::integer);
  auto tag = r.peek_tag();
  if (!tag) r.fail("truncated SignerInfo");
  if (*tag == der::tag::sequence) {
    v.sid = r.next().whole;
  } else if (*tag == der::tag::ctx_prim(0)) {
    v.sid = r.next().whole;
  } else {
    r.fail("unexpected signer identifier");
  }
  v.digest_algorithm = r.expect(der::tag::sequence).whole;
  if (auto sa = r.optional(der::tag::ctx_cons(0))) v.signed_attrs = sa->whole;
  v.signature_algorithm = r.expect(der::tag::sequence).whole;
  v.signature = r.expect(der::tag::octet_string).content;
  if (auto ua = r.optional(der::tag::ctx_cons(1))) v.unsigned_attrs = ua->whole;
  r.expect_end();
  return v;
}

std::vector<Attribute> parse_attributes(std::span<const uint8_t> tagged_set, const std::string& what) {
  std::vector<Attribute> out;
  der::Reader top(tagged_set, what);
  der::Reader r(top.next().content, what);
  while (!r.at_end()) {
    der::Reader a = r.enter(der::tag::sequence);
    Attribute attr;
    attr.type = der::decode_oid(a.expect(der::tag::oid).content);
    der::Reader vals = a.enter(der::tag::set);
    while (!vals.at_end()) attr.values.push_back(vals.next().whole);
    out.push_back(std::move(attr));
  }
  return out;
}

const Attribute* find_attribute(const std::vector<Attribute>& attrs, std::string_view oid) {
  for (const auto& a : attrs) {
    if (a.type == oid) return &a;
  }
  return nullptr;
}

std::optional<io::HashAlg> hash_of_algorithm(std::span<const uint8_t> algorithm_id, std::string* name) {
  der::Reader top(algorithm_id, "algorithm identifier");
  der::Reader r = top.enter(der::tag::sequence);
  std::string oid = der::decode_oid(r.expect(der::tag::oid).content);
  for (const auto& h : kHashOids) {
    if (h.oid == oid) {
      if (name) *name = std::string(h.name);
      return h.alg;
    }
  }
  if (name) *name = oid;
  return std::nullopt;
}

std::optional<CertDer> find_signer_cert(std::span<const uint8_t> sid, const std::vector<CertDer>& certs) {
  for (const auto& c : certs) {
    try {
      if (!sid.empty() && sid[0] == der::tag::sequence) {
        auto ias = issuer_and_serial(c);
        if (std::equal(ias.begin(), ias.end(), sid.begin(), sid.end())) return c;
      } else {
        der::Reader r(sid, "signer identifier");
        der::Tlv ski = r.next();
        X509Ptr x = parse_certificate(c);
        const ASN1_OCTET_STRING* id = X509_get0_subject_key_id(x.get());
        if (id && static_cast<size_t>(ASN1_STRING_length(id)) == ski.content.size() &&
            std::equal(ski.content.begin(), ski.content.end(), ASN1_STRING_get0_data(id))) {
          return c;
        }
      }
    } catch (const io::Error&) {
      // an unparsable certificate in the set is not the signer
    }
  }
  return std::nullopt;
}

std::string verify_signature(const CertDer& cert, std::span<const uint8_t> signature_algorithm,
                             io::HashAlg hash, std::span<const uint8_t> data,
                             std::span<const uint8_t> signature) {
  std::string oid;
  std::span<const uint8_t> params;
  try {
    der::Reader top(signature_algorithm, "signature algorithm");
    der::Reader r = top.enter(der::tag::sequence);
    oid = der::decode_oid(r.expect(der::tag::oid).content);
    params = r.remaining();
  } catch (const io::Error& e) {
    return e.message();
  }
  bool pss = false;
  const EVP_MD* md = evp_md(hash);
  int salt = -1;
  const EVP_MD* mgf_md = md;
  if (oid == crypto::oids::rsassa_pss) {
    pss = true;
    // RSASSA-PSS-params: hash [0], mgf [1], saltLength [2]; SHA-1 / 20 defaults.
    md = EVP_sha1();
    mgf_md = EVP_sha1();
    salt = 20;
    try {
      der::Reader pr(params, "RSASSA-PSS parameters");
      der::Reader seq = pr.enter(der::tag::sequence);
      if (auto h = seq.optional(der::tag::ctx_cons(0))) {
        der::Reader hr(h->content, "PSS hash");
        auto alg = hash_of_algorithm(hr.next().whole, nullptr);
        if (!alg) return "unsupported PSS hash algorithm";
        md = evp_md(*alg);
      }
      if (auto m = seq.optional(der::tag::ctx_cons(1))) {
        der::Reader mr(m->content, "PSS MGF");
        der::Reader mgf = mr.enter(der::tag::sequence);
        if (der::decode_oid(mgf.expect(der::tag::oid).content) != crypto::oids::mgf1)
          return "unsupported PSS mask function";
        auto alg = hash_of_algorithm(mgf.next().whole, nullptr);
        if (!alg) return "unsupported PSS MGF1 hash algorithm";
        mgf_md = evp_md(*alg);
      }
      if (auto s = seq.optional(der::tag::ctx_cons(2))) {
        der::Reader sr(s->content, "PSS salt length");
        salt = static_cast<int>(der::decode_small_integer(sr.expect(der::tag::integer).content));
      }
    } catch (const io::Error& e) {
      return e.message();
    }
  } else if (oid != crypto::oids::rsa_encryption && oid.rfind("1.2.840.113549.1.1.", 0) != 0 &&
             oid.rfind("1.2.840.10045.", 0) != 0) {
    return "unsupported signature algorithm " + oid;
  }
  EvpPkeyPtr key;
  try {
    key = certificate_pkey(cert);
  } catch (const io::Error& e) {
    return e.message();
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  ERR_clear_error();
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key.get()) != 1) {
    return "cannot verify with this key: " + openssl_errors();
  }
  if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) != 1 ||
              EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, mgf_md) != 1)) {
    return "cannot set up RSASSA-PSS: " + openssl_errors();
  }
  int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(), data.size());
  ERR_clear_error();
  return rc == 1 ? "" : "the signature value does not match the signed attributes";
}

std::string chain_error(const CertDer& leaf, const std::vector<CertDer>& intermediates,
                        const std::vector<CertDer>& anchors, std::optional<std::time_t> at, int purpose) {
  X509StorePtr store(X509_STORE_new());
  CertStack untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) return "out of memory";
  try {
    for (const auto& a : anchors) {
      X509Ptr x = parse_certificate(a);
      if (X509_STORE_add_cert(store.get(), x.get()) != 1) ERR_clear_error();
    }
    for (const auto& i : intermediates) {
      X509Ptr x = parse_certificate(i);
      if (!sk_X509_push(untrusted.get(), x.get())) return "out of memory";
      x.release();
    }
    X509Ptr leaf_x = parse_certificate(leaf);
    if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf_x.get(), untrusted.get()) != 1) {
      return "cannot initialise verification: " + openssl_errors();
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_purpose(param, purpose);
    if (at) X509_VERIFY_PARAM_set_time(param, *at);
    int rc = X509_verify_cert(ctx.get());
    ERR_clear_error();
    if (rc == 1) return "";
    return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  } catch (const io::Error& e) {
    return e.message();
  }
}

std::optional<std::time_t> parse_time(uint8_t tag, std::span<const uint8_t> content) {
  std::string s(content.begin(), content.end());
  std::tm tm{};
  size_t pos = 0;
  auto num = [&](size_t n) -> int {
    if (pos + n > s.size()) return -1;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = s[pos + i];
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    pos += n;
    return v;
  };
  int year;
  if (tag == der::tag::utc_time) {
    year = num(2);
    if (year < 0) return std::nullopt;
    year += year < 50 ? 2000 : 1900;
  } else if (tag == der::tag::generalized_time) {
    year = num(4);
  } else {
    return std::nullopt;
  }
  int mon = num(2), day = num(2), hour = num(2), min = num(2), sec = num(2);
  if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || min < 0 ||
      min > 59 || sec < 0 || sec > 60) {
    return std::nullopt;
  }
  if (pos < s.size() && s[pos] == '.') {  // fractional seconds (GeneralizedTime in TSTInfo)
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  }
  if (pos + 1 != s.size() || s[pos] != 'Z') return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return timegm(&tm);
}

}  // namespace signet::crypto::authenticode::detail
