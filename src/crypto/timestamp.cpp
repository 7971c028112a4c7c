// RFC 3161 client and token checks. Requests and tokens are built and read with the DER helpers;
// OpenSSL's TS and CMS APIs check what they are good at (status, TSTInfo, the token signature).
#include "crypto/timestamp.hpp"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <thread>

#include "crypto/authenticode_internal.hpp"
#include "crypto/cms.hpp"
#include "crypto/timestamp_http.hpp"
#include "crypto/x509.hpp"
#include "io/error.hpp"

namespace signet::crypto::timestamp {

namespace {

using TsRespPtr = std::unique_ptr<TS_RESP, OsslDeleter<TS_RESP_free>>;
using TstInfoPtr = std::unique_ptr<TS_TST_INFO, OsslDeleter<TS_TST_INFO_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, OsslDeleter<PKCS7_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, OsslDeleter<CMS_ContentInfo_free>>;
using AsnIntPtr = std::unique_ptr<ASN1_INTEGER, OsslDeleter<ASN1_INTEGER_free>>;

constexpr std::string_view kTstInfoOid = "1.2.840.113549.1.9.16.1.4";

std::vector<uint8_t> asn1_integer_der(const ASN1_INTEGER* v) {
  unsigned char* out = nullptr;
  int n = i2d_ASN1_INTEGER(v, &out);
  if (n <= 0) return {};
  std::vector<uint8_t> d(out, out + n);
  OPENSSL_free(out);
  return d;
}

std::string status_name(long s) {
  switch (s) {
    case 2:
      return "rejection";
    case 3:
      return "waiting";
    case 4:
      return "revocationWarning";
    case 5:
      return "revocationNotification";
    default:
      return "status " + std::to_string(s);
  }
}

// TSTInfo of a token; throws io::Error.
TstInfoPtr tst_info_of(std::span<const uint8_t> token) {
  const unsigned char* p = token.data();
  Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(token.size())));
  if (!p7 || p != token.data() + token.size()) {
    ERR_clear_error();
    throw io::Error("not a time-stamp token (malformed ContentInfo)");
  }
  TstInfoPtr tst(PKCS7_to_TS_TST_INFO(p7.get()));
  if (!tst) {
    ERR_clear_error();
    throw io::Error("not a time-stamp token (no TSTInfo)");
  }
  return tst;
}

// The token's own signature (CMS, signer certificate from the token, no chain). "" when valid.
std::string token_signature_error(std::span<const uint8_t> token) {
  const unsigned char* p = token.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(token.size())));
  if (!cms) {
    ERR_clear_error();
    return "the token is not a CMS SignedData";
  }
  ERR_clear_error();
  int ok = CMS_verify(cms.get(), nullptr, nullptr, nullptr, nullptr, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY);
  std::string errors = openssl_errors();
  if (ok == 1) return "";
  if (errors.find("content verify error") != std::string::npos ||
      errors.find("digest failure") != std::string::npos) {
    return "the token's signature does not match its TSTInfo";
  }
  if (errors.find("signer certificate not found") != std::string::npos) {
    return "the token does not carry the TSA's certificate";
  }
  return "the token's signature is invalid: " + errors;
}

std::time_t tst_time(const TS_TST_INFO* tst) {
  const ASN1_GENERALIZEDTIME* t = TS_TST_INFO_get_time(tst);
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return timegm(&tm);
}

}  // namespace

std::string format_time(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

der::Bytes make_request(io::HashAlg alg, std::span<const uint8_t> digest, std::span<const uint8_t> nonce) {
  der::Bytes imprint = der::sequence({digest_algorithm_id(alg, true), der::octet_string(digest)});
  return der::sequence({der::integer(1), imprint, der::integer_unsigned(nonce), der::boolean(true)});
}

der::Bytes check_response(std::span<const uint8_t> response, io::HashAlg alg, std::span<const uint8_t> digest,
                          std::span<const uint8_t> nonce, const std::string& tsa) {
  auto fail = [&](const std::string& why) { return io::Error("TSA " + tsa + ": " + why); };
  const unsigned char* p = response.data();
  TsRespPtr resp(d2i_TS_RESP(nullptr, &p, static_cast<long>(response.size())));
  ERR_clear_error();
  if (!resp) throw fail("the reply is not an RFC 3161 time-stamp response");
  TS_STATUS_INFO* si = TS_RESP_get_status_info(resp.get());
  long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
  if (status != 0 && status != 1) {
    std::string why = "status " + status_name(status);
    const STACK_OF(ASN1_UTF8STRING)* text = TS_STATUS_INFO_get0_text(si);
    for (int i = 0; i < sk_ASN1_UTF8STRING_num(text); ++i) {
      const ASN1_UTF8STRING* s = sk_ASN1_UTF8STRING_value(text, i);
      why += (i == 0 ? ": " : "; ") + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                                  static_cast<size_t>(ASN1_STRING_length(s)));
    }
    throw fail(why);
  }
  // The token exactly as received: TimeStampResp ::= SEQUENCE { status, timeStampToken }.
  der::Bytes token;
  try {
    der::Reader top(response, "time-stamp response");
    der::Reader r = top.enter(der::tag::sequence);
    r.expect(der::tag::sequence);
    der::Tlv t = r.expect(der::tag::sequence);
    token.assign(t.whole.begin(), t.whole.end());
  } catch (const io::Error& e) {
    throw fail("malformed response: " + e.message());
  }
  TS_TST_INFO* tst = TS_RESP_get_tst_info(resp.get());
  if (!tst) throw fail("the response carries no TSTInfo");
  TS_MSG_IMPRINT* mi = TS_TST_INFO_get_msg_imprint(tst);
  ASN1_OCTET_STRING* hashed = TS_MSG_IMPRINT_get_msg(mi);
  X509_ALGOR* halg = TS_MSG_IMPRINT_get_algo(mi);
  if (!halg || OBJ_obj2nid(halg->algorithm) != EVP_MD_get_type(evp_md(alg)) ||
      static_cast<size_t>(ASN1_STRING_length(hashed)) != digest.size() ||
      !std::equal(digest.begin(), digest.end(), ASN1_STRING_get0_data(hashed))) {
    throw fail("the token's message imprint does not match the request");
  }
  const ASN1_INTEGER* got_nonce = TS_TST_INFO_get_nonce(tst);
  if (!got_nonce || asn1_integer_der(got_nonce) != der::integer_unsigned(nonce)) {
    throw fail("the token's nonce does not match the request");
  }
  std::string sig_error = token_signature_error(token);
  if (!sig_error.empty()) throw fail(sig_error);
  return token;
}

der::Bytes request_token(io::HashAlg alg, std::span<const uint8_t> digest, const ClientOptions& o) {
  if (o.urls.empty()) throw io::Error("no time-stamping authority given (--timestamp-url)");
  std::vector<std::string> causes;
  for (const auto& url : o.urls) {
    std::string last;
    int attempts = std::max(1, o.attempts_per_url);
    auto backoff = o.backoff;
    int tried = 0;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      if (attempt > 0) {
        std::this_thread::sleep_for(backoff);
        backoff *= 2;
      }
      ++tried;
      std::vector<uint8_t> nonce(8);
      if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1)
        throw io::Error("no randomness for a nonce");
      nonce[0] &= 0x7f;
      der::Bytes req = make_request(alg, digest, nonce);
      try {
        http::Response res = http::post(url, "application/timestamp-query", req, o.connect_timeout,
                                        o.exchange_timeout, o.max_response_bytes);
        if (res.status != 200) {
          last = "answered HTTP " + std::to_string(res.status);
          if (res.status >= 400 && res.status < 500) break;  // the same request will fail again
          continue;
        }
        return check_response(res.body, alg, digest, nonce, url);
      } catch (const io::Error& e) {
        last = e.message();
        const std::string prefix = "TSA " + url + ": ";
        if (last.rfind(prefix, 0) == 0) last = last.substr(prefix.size());
        if (last.rfind("unsupported URL", 0) == 0 || last.rfind("malformed URL", 0) == 0 ||
            last.rfind("URL without", 0) == 0) {
          break;
        }
      }
    }
    causes.push_back("TSA " + url + ": " + last +
                     (tried > 1 ? " (" + std::to_string(tried) + " attempts)" : ""));
  }
  std::string msg = "RFC 3161 timestamp failed: ";
  for (size_t i = 0; i < causes.size(); ++i) msg += (i ? "; " : "") + causes[i];
  throw io::Error(msg);
}

TokenInfo parse_token(std::span<const uint8_t> token) {
  TokenInfo info;
  TstInfoPtr tst = tst_info_of(token);
  info.gen_time = tst_time(tst.get());
  info.gen_time_text = format_time(info.gen_time);
  TS_MSG_IMPRINT* mi = TS_TST_INFO_get_msg_imprint(tst.get());
  ASN1_OCTET_STRING* hashed = TS_MSG_IMPRINT_get_msg(mi);
  const unsigned char* h = ASN1_STRING_get0_data(hashed);
  info.imprint.assign(h, h + ASN1_STRING_length(hashed));
  X509_ALGOR* halg = TS_MSG_IMPRINT_get_algo(mi);
  unsigned char* alg_der = nullptr;
  int n = halg ? i2d_X509_ALGOR(halg, &alg_der) : 0;
  if (n > 0) {
    std::vector<uint8_t> a(alg_der, alg_der + n);
    OPENSSL_free(alg_der);
    try {
      info.imprint_hash = authenticode::detail::hash_of_algorithm(a, &info.imprint_hash_name);
    } catch (const io::Error&) {
      info.imprint_hash_name = "?";
    }
  }
  // Certificates and the signer: read from the SignedData with the DER reader.
  try {
    der::Reader top(token, "time-stamp token");
    der::Reader ci = top.enter(der::tag::sequence);
    ci.expect(der::tag::oid);
    der::Reader e0 = ci.enter(der::tag::ctx_cons(0));
    der::Reader sd = e0.enter(der::tag::sequence);
    sd.expect(der::tag::integer);
    sd.expect(der::tag::set);
    der::Reader encap = sd.enter(der::tag::sequence);
    if (der::decode_oid(encap.expect(der::tag::oid).content) != kTstInfoOid) encap.fail("not a TSTInfo");
    if (auto certs = sd.optional(der::tag::ctx_cons(0))) {
      der::Reader cr(certs->content, "time-stamp certificates");
      while (!cr.at_end()) {
        der::Tlv c = cr.next();
        if (c.tag == der::tag::sequence) info.certificates.emplace_back(c.whole.begin(), c.whole.end());
      }
    }
    sd.optional(der::tag::ctx_cons(1));
    der::Reader infos = sd.enter(der::tag::set);
    auto si =
        authenticode::detail::parse_signer_info(infos.expect(der::tag::sequence).whole, "time-stamp token");
    info.signer_certificate = authenticode::detail::find_signer_cert(si.sid, info.certificates);
    if (info.signer_certificate) info.tsa_signer = subject_name(*info.signer_certificate);
  } catch (const io::Error& e) {
    throw io::Error("malformed time-stamp token: " + e.message());
  }
  return info;
}

VerifyResult verify_token(std::span<const uint8_t> token, std::span<const uint8_t> message,
                          const std::vector<CertDer>& anchors, TokenInfo* out) {
  VerifyResult r;
  r.kind = "RFC 3161";
  TokenInfo info;
  try {
    info = parse_token(token);
  } catch (const io::Error& e) {
    r.detail = e.message();
    return r;
  }
  if (out) *out = info;
  r.signer = info.tsa_signer;
  r.digest = info.imprint_hash_name;
  if (!info.imprint_hash) {
    r.detail = "unsupported message imprint algorithm " + info.imprint_hash_name;
    return r;
  }
  if (io::digest(*info.imprint_hash, message) != info.imprint) {
    r.detail = "the timestamp is for different data (message imprint mismatch)";
    return r;
  }
  std::string err = token_signature_error(token);
  if (!err.empty()) {
    r.detail = err;
    return r;
  }
  if (!info.signer_certificate) {
    r.detail = "the token does not carry the TSA's certificate";
    return r;
  }
  if (anchors.empty()) {
    r.valid = true;
    r.detail = "TSA chain not checked (no anchors)";
    return r;
  }
  err = authenticode::detail::chain_error(*info.signer_certificate, info.certificates, anchors, info.gen_time,
                                          X509_PURPOSE_TIMESTAMP_SIGN);
  if (!err.empty()) {
    r.detail = "the TSA's certificate is not trusted: " + err;
    return r;
  }
  r.valid = true;
  r.detail = "TSA chain trusted";
  return r;
}

}  // namespace signet::crypto::timestamp
