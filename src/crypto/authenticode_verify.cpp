// Reading and checking existing Authenticode signatures (primary and nested, with RFC 3161 or
// legacy countersignature timestamps).
#include <openssl/x509v3.h>

#include <algorithm>

#include "crypto/authenticode.hpp"
#include "crypto/authenticode_internal.hpp"
#include "crypto/cms.hpp"
#include "crypto/x509.hpp"
#include "io/error.hpp"
#include "io/utf16.hpp"

namespace signet::crypto::authenticode {

namespace {

constexpr int kMaxNesting = 8;

std::string spc_string_text(std::span<const uint8_t> whole) {
  der::Reader r(whole, "SpcString");
  der::Tlv t = r.next();
  if (t.tag == der::tag::ctx_prim(0) || t.tag == der::tag::bmp_string) {
    std::u16string u;
    for (size_t i = 0; i + 1 < t.content.size(); i += 2) {
      u.push_back(static_cast<char16_t>((t.content[i] << 8) | t.content[i + 1]));
    }
    return io::utf16_to_utf8(u);
  }
  return std::string(t.content.begin(), t.content.end());
}

// SpcSpOpusInfo's programName and moreInfo (best effort: these are informational).
void read_opus_info(std::span<const uint8_t> value, SignatureInfo& s) {
  try {
    der::Reader top(value, "SpcSpOpusInfo");
    der::Reader r = top.enter(der::tag::sequence);
    if (auto name = r.optional(der::tag::ctx_cons(0))) s.program_name = spc_string_text(name->content);
    if (auto info = r.optional(der::tag::ctx_cons(1))) {
      der::Reader lr(info->content, "SpcLink");
      der::Tlv link = lr.next();
      if (link.tag == der::tag::ctx_prim(0)) s.more_info.assign(link.content.begin(), link.content.end());
      if (link.tag == der::tag::ctx_cons(2)) s.more_info = spc_string_text(link.content);
    }
  } catch (const io::Error&) {
  }
}

// A legacy (PKCS #9) countersignature: a SignerInfo whose messageDigest is over the signature.
std::optional<TimestampInfo> legacy_timestamp(std::span<const uint8_t> signer_info, const SignatureInfo& s) {
  TimestampInfo t;
  t.kind = "legacy countersignature";
  t.token.assign(signer_info.begin(), signer_info.end());
  t.certificates = s.certificates;
  auto si = detail::parse_signer_info(signer_info, "countersignature");
  if (auto cert = detail::find_signer_cert(si.sid, s.certificates)) t.signer = subject_name(*cert);
  if (si.signed_attrs) {
    auto attrs = detail::parse_attributes(*si.signed_attrs, "countersignature attributes");
    if (const auto* st = detail::find_attribute(attrs, crypto::oids::signing_time);
        st && !st->values.empty()) {
      der::Reader r(st->values[0], "signingTime");
      der::Tlv tt = r.next();
      if (auto v = detail::parse_time(tt.tag, tt.content)) {
        t.time = *v;
        t.time_text = timestamp::format_time(*v);
      }
    }
  }
  return t;
}

void parse_into(std::span<const uint8_t> content_info, const std::string& name,
                std::vector<SignatureInfo>& out, int depth) {
  if (depth > kMaxNesting) throw io::Error("signatures nested too deeply", io::Location{name});
  SignatureInfo s;
  s.index = out.size();
  s.content_info.assign(content_info.begin(), content_info.end());
  der::Reader top(content_info, name);
  der::Reader ci = top.enter(der::tag::sequence);
  top.expect_end();
  if (der::decode_oid(ci.expect(der::tag::oid).content) != crypto::oids::signed_data)
    ci.fail("not a SignedData");
  der::Reader e0 = ci.enter(der::tag::ctx_cons(0));
  der::Reader sd = e0.enter(der::tag::sequence);
  sd.expect(der::tag::integer);
  sd.expect(der::tag::set);
  der::Reader encap = sd.enter(der::tag::sequence);
  s.content_type = der::decode_oid(encap.expect(der::tag::oid).content);
  if (auto ec = encap.optional(der::tag::ctx_cons(0))) {
    der::Reader er(ec->content, name);
    der::Tlv c = er.next();
    s.econtent.assign(c.whole.begin(), c.whole.end());
  }
  if (auto certs = sd.optional(der::tag::ctx_cons(0))) {
    der::Reader cr(certs->content, name);
    while (!cr.at_end()) {
      der::Tlv c = cr.next();
      if (c.tag == der::tag::sequence) s.certificates.emplace_back(c.whole.begin(), c.whole.end());
    }
  }
  sd.optional(der::tag::ctx_cons(1));
  der::Reader infos = sd.enter(der::tag::set);
  if (infos.at_end()) infos.fail("the SignedData has no SignerInfo");
  auto si = detail::parse_signer_info(infos.expect(der::tag::sequence).whole, name);
  s.hash = detail::hash_of_algorithm(si.digest_algorithm, &s.digest_name);
  s.signer_certificate = detail::find_signer_cert(si.sid, s.certificates);
  if (s.signer_certificate) s.signer = subject_name(*s.signer_certificate);
  s.signature_value.assign(si.signature.begin(), si.signature.end());

  if (si.signed_attrs) {
    auto attrs = detail::parse_attributes(*si.signed_attrs, name);
    if (const auto* a = detail::find_attribute(attrs, oids::spc_sp_opus_info); a && !a->values.empty()) {
      read_opus_info(a->values[0], s);
    }
  }
  if (s.content_type == oids::spc_indirect_data && !s.econtent.empty()) {
    der::Reader ir(s.econtent, "SpcIndirectDataContent");
    der::Reader idc = ir.enter(der::tag::sequence);
    der::Tlv data = idc.expect(der::tag::sequence);
    s.data_attribute.assign(data.whole.begin(), data.whole.end());
    der::Reader di = idc.enter(der::tag::sequence);
    s.indirect_hash = detail::hash_of_algorithm(di.expect(der::tag::sequence).whole, nullptr);
    der::Tlv d = di.expect(der::tag::octet_string);
    s.indirect_digest.assign(d.content.begin(), d.content.end());
  }

  std::vector<std::span<const uint8_t>> nested;
  if (si.unsigned_attrs) {
    auto attrs = detail::parse_attributes(*si.unsigned_attrs, name);
    for (const auto& a : attrs) {
      if (a.type == oids::ms_rfc3161_timestamp && !a.values.empty() && !s.timestamp) {
        TimestampInfo t;
        t.kind = "RFC 3161";
        t.token.assign(a.values[0].begin(), a.values[0].end());
        try {
          timestamp::TokenInfo ti = timestamp::parse_token(a.values[0]);
          t.time = ti.gen_time;
          t.time_text = ti.gen_time_text;
          t.signer = ti.tsa_signer;
          t.certificates = ti.certificates;
        } catch (const io::Error&) {
          // reported by verify_one as an invalid timestamp
        }
        s.timestamp = std::move(t);
      } else if (a.type == oids::counter_signature && !a.values.empty() && !s.timestamp) {
        s.timestamp = legacy_timestamp(a.values[0], s);
      } else if (a.type == oids::spc_nested_signature) {
        nested.insert(nested.end(), a.values.begin(), a.values.end());
      }
    }
  }
  out.push_back(std::move(s));
  for (auto n : nested) parse_into(n, name, out, depth + 1);
}

Verdict failed(Verdict v, const std::string& why) {
  v.result.valid = false;
  v.result.detail = why;
  return v;
}

// Checks a legacy countersignature over `signature_value`. "" when valid.
std::string legacy_timestamp_error(const TimestampInfo& t, std::span<const uint8_t> signature_value,
                                   const std::vector<CertDer>& anchors) {
  try {
    auto si = detail::parse_signer_info(t.token, "countersignature");
    std::string name;
    auto hash = detail::hash_of_algorithm(si.digest_algorithm, &name);
    if (!hash) return "unsupported countersignature digest " + name;
    auto cert = detail::find_signer_cert(si.sid, t.certificates);
    if (!cert) return "the countersigner's certificate is missing";
    if (!si.signed_attrs) return "the countersignature has no signed attributes";
    auto attrs = detail::parse_attributes(*si.signed_attrs, "countersignature attributes");
    const auto* md = detail::find_attribute(attrs, crypto::oids::message_digest);
    if (!md || md->values.empty()) return "the countersignature has no messageDigest";
    der::Reader mr(md->values[0], "messageDigest");
    auto want = mr.expect(der::tag::octet_string).content;
    auto got = io::digest(*hash, signature_value);
    if (!std::equal(want.begin(), want.end(), got.begin(), got.end()))
      return "the countersignature is for other data";
    std::string err = detail::verify_signature(*cert, si.signature_algorithm, *hash,
                                               der::retag(der::tag::set, *si.signed_attrs), si.signature);
    if (!err.empty()) return "countersignature: " + err;
    if (!anchors.empty()) {
      err = detail::chain_error(*cert, t.certificates, anchors, t.time, X509_PURPOSE_ANY);
      if (!err.empty()) return "the countersigner's certificate is not trusted: " + err;
    }
    return "";
  } catch (const io::Error& e) {
    return "malformed countersignature: " + e.message();
  }
}

}  // namespace

std::vector<SignatureInfo> parse(std::span<const uint8_t> content_info, const std::string& name) {
  std::vector<SignatureInfo> out;
  parse_into(content_info, name, out, 0);
  return out;
}

Verdict verify_one(const SignatureInfo& sig, const DigestFn& file_digest, const VerifyOptions& o) {
  Verdict v;
  v.index = sig.index;
  v.timestamp = sig.timestamp;
  v.result.kind = sig.index == 0 ? "Authenticode" : "Authenticode nested #" + std::to_string(sig.index);
  v.result.signer = sig.signer;
  v.result.digest = sig.digest_name;
  if (!sig.hash) return failed(v, "unsupported digest algorithm " + sig.digest_name);
  if (!sig.signer_certificate) return failed(v, "the signer's certificate is not in the signature");
  const CertDer& cert = *sig.signer_certificate;

  detail::SignerInfoView si;
  std::vector<detail::Attribute> attrs;
  try {
    si = detail::parse_signer_info(detail::locate_first_signer(sig.content_info, "signature").signer_info,
                                   "signature");
    if (!si.signed_attrs) return failed(v, "the signature has no signed attributes");
    attrs = detail::parse_attributes(*si.signed_attrs, "signed attributes");
  } catch (const io::Error& e) {
    return failed(v, "malformed signature: " + e.message());
  }
  EvpPkeyPtr key = certificate_pkey(cert);
  if (EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key.get()) < o.min_rsa_bits) {
    return failed(v, "RSA key of " + std::to_string(EVP_PKEY_get_bits(key.get())) +
                         " bits is too weak (minimum " + std::to_string(o.min_rsa_bits) + ")");
  }
  const auto* ct = detail::find_attribute(attrs, crypto::oids::content_type);
  const auto* md = detail::find_attribute(attrs, crypto::oids::message_digest);
  if (!ct || ct->values.empty() || !md || md->values.empty()) {
    return failed(v, "the signed attributes lack contentType or messageDigest");
  }
  try {
    der::Reader cr(ct->values[0], "contentType");
    if (der::decode_oid(cr.expect(der::tag::oid).content) != sig.content_type) {
      return failed(v, "the contentType attribute does not match the content");
    }
    der::Reader er(sig.econtent, "content");
    auto content = er.next().content;
    der::Reader mr(md->values[0], "messageDigest");
    auto want = mr.expect(der::tag::octet_string).content;
    auto got = io::digest(*sig.hash, content);
    if (!std::equal(want.begin(), want.end(), got.begin(), got.end())) {
      return failed(v, "the messageDigest attribute does not match the signed content");
    }
  } catch (const io::Error& e) {
    return failed(v, "malformed signature: " + e.message());
  }
  std::string err = detail::verify_signature(cert, si.signature_algorithm, *sig.hash,
                                             der::retag(der::tag::set, *si.signed_attrs), si.signature);
  if (!err.empty()) return failed(v, err);

  std::string notes;
  if (sig.content_type == oids::spc_indirect_data) {
    if (!sig.indirect_hash) return failed(v, "unsupported file digest algorithm");
    if (file_digest) {
      auto fd = file_digest(*sig.indirect_hash);
      if (fd != sig.indirect_digest) {
        return failed(v, "the file's digest does not match the signature (modified after signing)");
      }
    } else {
      notes = "file digest not checked; ";
    }
  }

  // Timestamp: its own checks; a valid one fixes the time at which the chain is judged.
  std::optional<std::time_t> at = o.now;
  const auto& tsa_anchors = o.tsa_anchors.empty() ? o.anchors : o.tsa_anchors;
  if (sig.timestamp) {
    if (sig.timestamp->kind == "RFC 3161") {
      VerifyResult tr = timestamp::verify_token(sig.timestamp->token, sig.signature_value, tsa_anchors);
      v.timestamp_valid = tr.valid;
      if (!tr.valid) v.timestamp_detail = tr.detail;
    } else {
      v.timestamp_detail = legacy_timestamp_error(*sig.timestamp, sig.signature_value, tsa_anchors);
      v.timestamp_valid = v.timestamp_detail.empty();
    }
    if (v.timestamp_valid) at = sig.timestamp->time;
    if (!v.timestamp_valid) notes += "timestamp invalid (" + v.timestamp_detail + "); ";
  }
  if (o.anchors.empty()) {
    v.result.valid = true;
    v.result.detail = notes + "chain not checked (no trust anchors)";
    return v;
  }
  err = detail::chain_error(cert, sig.certificates, o.anchors, at, X509_PURPOSE_ANY);
  if (!err.empty()) {
    if (err.find("expired") != std::string::npos && !v.timestamp_valid) {
      return failed(v,
                    notes + "the signer's certificate has expired and the signature has no valid timestamp");
    }
    return failed(v, notes + "the signer's certificate chain is not trusted: " + err);
  }
  v.result.valid = true;
  v.result.detail = notes + (v.timestamp_valid ? "chain trusted at the timestamp" : "chain trusted");
  return v;
}

std::vector<Verdict> verify(std::span<const uint8_t> content_info, const DigestFn& file_digest,
                            const VerifyOptions& o) {
  std::vector<SignatureInfo> sigs;
  try {
    sigs = parse(content_info, "signature");
  } catch (const io::Error& e) {
    Verdict v;
    v.result.kind = "Authenticode";
    v.result.detail = "malformed signature: " + e.message();
    return {v};
  }
  std::vector<Verdict> out;
  for (const auto& s : sigs) out.push_back(verify_one(s, file_digest, o));
  return out;
}

std::string describe(const Verdict& v) {
  std::string s = v.result.signer.empty() ? "unknown signer" : v.result.signer;
  s += ", " + (v.result.digest.empty() ? std::string("?") : v.result.digest);
  if (v.timestamp) {
    s += ", timestamp " + (v.timestamp->time_text.empty() ? std::string("?") : v.timestamp->time_text);
    if (!v.timestamp->signer.empty()) s += " by " + v.timestamp->signer;
    if (!v.timestamp_valid) s += " (invalid: " + v.timestamp_detail + ")";
  } else {
    s += ", not timestamped";
  }
  s += v.result.valid ? ", " + v.result.detail : ", FAILED: " + v.result.detail;
  return s;
}

}  // namespace signet::crypto::authenticode
