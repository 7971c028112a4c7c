#include "crypto/cms.hpp"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <exception>

#include "crypto/x509.hpp"
#include "io/error.hpp"

namespace signet::crypto {

namespace {

std::string_view digest_oid(io::HashAlg alg) {
  switch (alg) {
    case io::HashAlg::sha1:
      return "1.3.14.3.2.26";
    case io::HashAlg::sha256:
      return "2.16.840.1.101.3.4.2.1";
    case io::HashAlg::sha384:
      return "2.16.840.1.101.3.4.2.2";
    case io::HashAlg::sha512:
      return "2.16.840.1.101.3.4.2.3";
  }
  return {};
}

std::string_view ecdsa_oid(io::HashAlg alg) {
  switch (alg) {
    case io::HashAlg::sha1:
      return "1.2.840.10045.4.1";
    case io::HashAlg::sha256:
      return "1.2.840.10045.4.3.2";
    case io::HashAlg::sha384:
      return "1.2.840.10045.4.3.3";
    case io::HashAlg::sha512:
      return "1.2.840.10045.4.3.4";
  }
  return {};
}

// RSASSA-PSS-params (RFC 4055, EXPLICIT tags); DER omits fields equal to their SHA-1 defaults.
der::Bytes pss_params(io::HashAlg alg) {
  std::vector<der::Bytes> fields;
  if (alg != io::HashAlg::sha1) {
    der::Bytes hash = digest_algorithm_id(alg, true);
    fields.push_back(der::explicit_tag(0, hash));
    fields.push_back(der::explicit_tag(1, der::algorithm(oids::mgf1, hash)));
    fields.push_back(der::explicit_tag(2, der::integer(static_cast<int64_t>(io::hash_size(alg)))));
  }
  return der::sequence(fields);
}

// ---- a read-only BIO over an io::Reader, so OpenSSL streams the content -----------------------

struct ReaderBioState {
  io::Reader* reader = nullptr;
  std::exception_ptr error;
};

int reader_bio_read(BIO* bio, char* buf, size_t len, size_t* readbytes) {
  auto* st = static_cast<ReaderBioState*>(BIO_get_data(bio));
  *readbytes = 0;
  if (st->error) return 0;
  try {
    *readbytes = st->reader->read(std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf), len));
  } catch (...) {
    st->error = std::current_exception();  // rethrown after OpenSSL returns
    return 0;
  }
  return *readbytes > 0 ? 1 : 0;
}

long reader_bio_ctrl(BIO* /*bio*/, int cmd, long /*num*/, void* /*ptr*/) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int reader_bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* reader_bio_method() {
  static const std::unique_ptr<BIO_METHOD, OsslDeleter<BIO_meth_free>> method = [] {
    std::unique_ptr<BIO_METHOD, OsslDeleter<BIO_meth_free>> m(
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "signet source reader"));
    if (m) {
      BIO_meth_set_read_ex(m.get(), reader_bio_read);
      BIO_meth_set_ctrl(m.get(), reader_bio_ctrl);
      BIO_meth_set_create(m.get(), reader_bio_create);
    }
    return m;
  }();
  return method.get();
}

using CmsPtr = std::unique_ptr<CMS_ContentInfo, OsslDeleter<CMS_ContentInfo_free>>;

std::string hash_name_of(const X509_ALGOR* alg) {
  if (!alg) return "?";
  switch (OBJ_obj2nid(alg->algorithm)) {
    case NID_sha1:
      return "sha1";
    case NID_sha256:
      return "sha256";
    case NID_sha384:
      return "sha384";
    case NID_sha512:
      return "sha512";
    default: {
      char buf[80];
      OBJ_obj2txt(buf, sizeof buf, alg->algorithm, 0);
      return buf;
    }
  }
}

std::string explain_failure(const std::string& errors) {
  if (errors.find("content verify error") != std::string::npos)
    return "the signature does not match the content";
  if (errors.find("certificate verify error") != std::string::npos) {
    return "the signer's certificate chain is not trusted: " + errors;
  }
  if (errors.find("verification failure") != std::string::npos ||
      errors.find("signature failure") != std::string::npos) {
    return "the signature value is invalid: " + errors;
  }
  return "verification failed: " + errors;
}

}  // namespace

der::Bytes digest_algorithm_id(io::HashAlg alg, bool null_params) {
  return null_params ? der::algorithm(digest_oid(alg), der::null()) : der::algorithm(digest_oid(alg));
}

der::Bytes signature_algorithm_id(KeyType key, io::HashAlg alg, RsaPadding padding) {
  switch (key) {
    case KeyType::rsa:
      if (padding == RsaPadding::pss) return der::algorithm(oids::rsassa_pss, pss_params(alg));
      return der::algorithm(oids::rsa_encryption, der::null());
    case KeyType::ec:
      return der::algorithm(ecdsa_oid(alg));
    case KeyType::ed25519:
      break;
  }
  throw io::Error("Ed25519 keys are not supported for X.509 (CMS) signatures");
}

der::Bytes cms_attribute(std::string_view oid_dotted, std::vector<der::Bytes> values) {
  return der::sequence({der::oid(oid_dotted), der::set_of(std::move(values))});
}

der::Bytes build_signed_data(const Signer& signer, const SignedDataParams& p) {
  const auto& certs = signer.certificates();
  if (certs.empty()) {
    throw io::Error("the signing key has no certificate (" + signer.describe() +
                    "): CMS signatures need one, pass --cert");
  }
  if (p.message_digest.size() != io::hash_size(p.hash)) {
    throw io::Error("content digest length does not match " + std::string(io::hash_alg_name(p.hash)));
  }
  const der::Bytes digest_alg = digest_algorithm_id(p.hash, p.digest_params_null);
  const der::Bytes sig_alg = signature_algorithm_id(signer.key_type(), p.hash, p.padding);

  std::vector<der::Bytes> attrs;
  attrs.push_back(cms_attribute(oids::content_type, {der::oid(p.content_type)}));
  if (p.signing_time) attrs.push_back(cms_attribute(oids::signing_time, {der::time(*p.signing_time)}));
  attrs.push_back(cms_attribute(oids::message_digest, {der::octet_string(p.message_digest)}));
  if (p.algorithm_protection) {
    // CMSAlgorithmProtection ::= SEQUENCE { digestAlgorithm, signatureAlgorithm [1] IMPLICIT }
    attrs.push_back(cms_attribute(oids::algorithm_protection,
                                  {der::sequence({digest_alg, der::retag(der::tag::ctx_cons(1), sig_alg)})}));
  }
  attrs.insert(attrs.end(), p.extra_signed_attrs.begin(), p.extra_signed_attrs.end());
  const der::Bytes attrs_content = der::set_of_content(std::move(attrs));

  // The signature covers the attributes encoded as an explicit SET OF (RFC 5652 5.4).
  const der::Bytes attrs_digest = io::digest(p.hash, der::tlv(der::tag::set, attrs_content));
  const std::vector<uint8_t> signature = signer.sign_digest(p.hash, attrs_digest, p.padding);

  std::vector<der::Bytes> si{der::integer(p.version),
                             issuer_and_serial(certs[0]),
                             digest_alg,
                             der::tlv(der::tag::ctx_cons(0), attrs_content),
                             sig_alg,
                             der::octet_string(signature)};
  if (p.unsigned_attrs) {
    std::vector<der::Bytes> ua = p.unsigned_attrs(signature);
    if (!ua.empty()) si.push_back(der::tlv(der::tag::ctx_cons(1), der::set_of_content(std::move(ua))));
  }

  std::vector<der::Bytes> encap{der::oid(p.content_type)};
  if (p.econtent) encap.push_back(der::explicit_tag(0, *p.econtent));

  const der::Bytes signed_data = der::sequence(std::vector<der::Bytes>{
      der::integer(p.version), der::set_of({digest_alg}), der::sequence(encap),
      der::tlv(der::tag::ctx_cons(0), der::set_of_content(certs)), der::set_of({der::sequence(si)})});
  return der::sequence({der::oid(oids::signed_data), der::explicit_tag(0, signed_data)});
}

std::vector<uint8_t> cms_sign_detached(const Signer& signer, io::HashAlg alg,
                                       std::span<const uint8_t> content_digest, RsaPadding padding,
                                       std::time_t signing_time) {
  SignedDataParams p;
  p.hash = alg;
  p.padding = padding;
  p.message_digest.assign(content_digest.begin(), content_digest.end());
  p.signing_time = signing_time;
  return build_signed_data(signer, p);
}

std::string cms_pem(std::span<const uint8_t> der) {
  return der::pem_encode("CMS", der);
}

VerifyResult cms_verify_detached(std::span<const uint8_t> signature, const io::Source& content,
                                 const std::vector<CertDer>& anchors) {
  VerifyResult r;
  r.kind = "CMS";
  ERR_clear_error();

  std::vector<uint8_t> der_bytes;
  std::span<const uint8_t> der_view = signature;
  if (der::looks_like_pem(signature)) {
    std::string_view text(reinterpret_cast<const char*>(signature.data()), signature.size());
    std::optional<der::PemBlock> block;
    try {
      block = der::pem_decode(text, {"CMS", "PKCS7", "PKCS #7 SIGNED DATA"});
    } catch (const io::Error& e) {
      r.detail = "not a CMS signature: " + e.message();
      return r;
    }
    if (!block) {
      r.detail = "not a CMS signature: no CMS or PKCS7 PEM block";
      return r;
    }
    der_bytes = std::move(block->der);
    der_view = der_bytes;
  }
  const unsigned char* p = der_view.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der_view.size())));
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    r.detail = "not a CMS SignedData structure" + (cms ? std::string() : ": " + openssl_errors());
    return r;
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  if (sk_CMS_SignerInfo_num(infos) < 1) {
    r.detail = "the SignedData has no signer";
    return r;
  }
  // Match signer infos to the embedded certificates so the signer can be named even on failure.
  CMS_set1_signers_certs(cms.get(), nullptr, 0);
  ERR_clear_error();
  X509* signer_cert = nullptr;
  X509_ALGOR* digest_alg = nullptr;
  CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(infos, 0), nullptr, &signer_cert, &digest_alg, nullptr);
  r.digest = hash_name_of(digest_alg);
  if (signer_cert) r.signer = subject_name(certificate_der(signer_cert));

  X509StorePtr store(X509_STORE_new());
  if (!store) throw io::Error("out of memory");
  for (const auto& a : anchors) {
    X509Ptr x = parse_certificate(a);
    if (X509_STORE_add_cert(store.get(), x.get()) != 1) ERR_clear_error();
  }
  X509_STORE_set_purpose(store.get(), X509_PURPOSE_ANY);
  unsigned int flags = CMS_BINARY | CMS_DETACHED;
  if (anchors.empty()) flags |= CMS_NO_SIGNER_CERT_VERIFY;

  std::unique_ptr<io::Reader> reader = content.open();
  ReaderBioState state{reader.get(), nullptr};
  BioPtr content_bio(BIO_new(reader_bio_method()));
  if (!content_bio) throw io::Error("out of memory");
  BIO_set_data(content_bio.get(), &state);
  int ok = CMS_verify(cms.get(), nullptr, store.get(), content_bio.get(), nullptr, flags);
  if (state.error) std::rethrow_exception(state.error);
  std::string errors = openssl_errors();
  if (ok != 1) {
    r.detail = explain_failure(errors);
    return r;
  }
  r.valid = true;
  r.detail = anchors.empty() ? "chain not checked (no --ca)" : "chain trusted";
  return r;
}

}  // namespace signet::crypto
