#include "formats/xml/xmldsig_verify.hpp"

#include <libxml/parser.h>
#include <libxml/valid.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#include <memory>
#include <mutex>

#include "formats/xml/xml_doc.hpp"
#include "formats/xml/xmldsig_sign.hpp"
#include "io/error.hpp"

namespace signet::formats::xml {

namespace {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct StoreDeleter {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }  // certificates are borrowed
};
struct DsigCtxDeleter {
  void operator()(xmlSecDSigCtx* c) const { xmlSecDSigCtxDestroy(c); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// xmlsec reports errors through one process-wide callback; keep the first one per thread so the
// verifying thread can quote it.
thread_local std::string t_xmlsec_error;

void on_xmlsec_error(const char*, int, const char* func, const char*, const char*, int, const char* msg) {
  if (!t_xmlsec_error.empty()) return;
  t_xmlsec_error = std::string(func != nullptr ? func : "xmlsec") + ": " + (msg != nullptr ? msg : "error");
}

bool is_dsig(const xmlNode* n, std::string_view name) {
  return n != nullptr && n->type == XML_ELEMENT_NODE && local_name(n) == name && namespace_uri(n) == kDsigNs;
}

std::vector<xmlNode*> dsig_children(xmlNode* parent, std::string_view name) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = parent != nullptr ? parent->children : nullptr; c != nullptr; c = c->next) {
    if (is_dsig(c, name)) out.push_back(c);
  }
  return out;
}

xmlNode* dsig_child(xmlNode* parent, std::string_view name) {
  auto all = dsig_children(parent, name);
  return all.empty() ? nullptr : all.front();
}

void find_signatures(xmlNode* n, std::vector<xmlNode*>& out) {
  for (; n != nullptr; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    if (is_dsig(n, "Signature")) {
      out.push_back(n);  // a Signature inside a Signature (e.g. in Object) is part of it
      continue;
    }
    find_signatures(n->children, out);
  }
}

std::string attribute(const xmlNode* n, const char* name, bool* present = nullptr) {
  XmlCharPtr v(xmlGetNoNsProp(n, reinterpret_cast<const xmlChar*>(name)));
  if (present != nullptr) *present = v != nullptr;
  return v ? reinterpret_cast<const char*>(v.get()) : "";
}

std::string text(const xmlNode* n) {
  XmlCharPtr v(xmlNodeGetContent(n));
  return v ? reinterpret_cast<const char*>(v.get()) : "";
}

std::string digest_name(const std::string& uri) {
  if (uri == "http://www.w3.org/2000/09/xmldsig#sha1") return "sha1";
  if (uri == kSha256) return "sha256";
  if (uri == "http://www.w3.org/2001/04/xmldsig-more#sha384") return "sha384";
  if (uri == "http://www.w3.org/2001/04/xmlenc#sha512") return "sha512";
  return uri;
}

X509Ptr decode_certificate(const std::string& b64) {
  std::string clean;
  for (char c : b64) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') clean += c;
  }
  if (clean.empty() || clean.size() % 4 != 0) return nullptr;
  std::vector<uint8_t> der(clean.size() / 4 * 3);
  int n = EVP_DecodeBlock(der.data(), reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return nullptr;
  size_t len =
      static_cast<size_t>(n) - (clean.back() == '=' ? 1 : 0) - (clean[clean.size() - 2] == '=' ? 1 : 0);
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(len)));
  if (cert && p != der.data() + len) return nullptr;
  return cert;
}

std::string subject_cn(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i >= 0) {
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (n >= 0) {
      std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
      OPENSSL_free(utf8);
      return cn;
    }
  }
  char buf[512];
  X509_NAME_oneline(name, buf, sizeof buf);
  return buf;
}

enum class Outcome { valid, bad_reference, bad_signature, error };

struct Attempt {
  Outcome outcome = Outcome::error;
  std::string message;
};

// The transforms an enveloped whole-document signature can need; anything else (XPath, XSLT,
// base64, external URIs) is refused, so a valid result always means "this document".
int enable_transforms(xmlSecDSigCtx* ctx) {
  const xmlSecTransformId c14n[] = {xmlSecTransformExclC14NId,   xmlSecTransformExclC14NWithCommentsId,
                                    xmlSecTransformInclC14NId,   xmlSecTransformInclC14NWithCommentsId,
                                    xmlSecTransformInclC14N11Id, xmlSecTransformInclC14N11WithCommentsId};
  const xmlSecTransformId digests[] = {xmlSecTransformSha1Id, xmlSecTransformSha256Id,
                                       xmlSecTransformSha384Id, xmlSecTransformSha512Id};
  const xmlSecTransformId signatures[] = {xmlSecTransformRsaSha1Id,     xmlSecTransformRsaSha256Id,
                                          xmlSecTransformRsaSha384Id,   xmlSecTransformRsaSha512Id,
                                          xmlSecTransformEcdsaSha1Id,   xmlSecTransformEcdsaSha256Id,
                                          xmlSecTransformEcdsaSha384Id, xmlSecTransformEcdsaSha512Id};
  int rc = xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId);
  for (auto id : c14n) {
    rc |= xmlSecDSigCtxEnableReferenceTransform(ctx, id);
    rc |= xmlSecDSigCtxEnableSignatureTransform(ctx, id);
  }
  for (auto id : digests) rc |= xmlSecDSigCtxEnableReferenceTransform(ctx, id);
  for (auto id : signatures) rc |= xmlSecDSigCtxEnableSignatureTransform(ctx, id);
  return rc;
}

// One xmlsec verification of `sig` with `key` (KeyInfo is not consulted: we choose the key).
Attempt verify_with_key(xmlNode* sig, EVP_PKEY* key) {
  std::unique_ptr<xmlSecDSigCtx, DsigCtxDeleter> ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) return {Outcome::error, "xmlsec: cannot create a signature context"};
  ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument;
  if (enable_transforms(ctx.get()) < 0) return {Outcome::error, "xmlsec: cannot restrict transforms"};

  EVP_PKEY_up_ref(key);
  xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(key);
  if (data == nullptr) {
    EVP_PKEY_free(key);
    return {Outcome::error, "xmlsec: unsupported public key type"};
  }
  xmlSecKeyPtr k = xmlSecKeyCreate();
  if (k == nullptr || xmlSecKeySetValue(k, data) < 0) {
    xmlSecKeyDataDestroy(data);
    if (k != nullptr) xmlSecKeyDestroy(k);
    return {Outcome::error, "xmlsec: cannot create a key"};
  }
  ctx->signKey = k;  // owned by the context from here

  t_xmlsec_error.clear();
  if (xmlSecDSigCtxVerify(ctx.get(), sig) < 0) {
    return {Outcome::error,
            t_xmlsec_error.empty() ? "xmlsec could not process the signature" : t_xmlsec_error};
  }
  if (ctx->status == xmlSecDSigStatusSucceeded) return {Outcome::valid, {}};
  xmlSecSize refs = xmlSecPtrListGetSize(&ctx->signedInfoReferences);
  for (xmlSecSize i = 0; i < refs; ++i) {
    auto* ref = static_cast<xmlSecDSigReferenceCtxPtr>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, i));
    if (ref != nullptr && ref->status != xmlSecDSigStatusSucceeded) {
      return {Outcome::bad_reference, "digest mismatch: the signed content was modified"};
    }
  }
  return {Outcome::bad_signature, "SignatureValue does not verify with the certificate's key"};
}

std::string check_chain(X509* leaf, const std::vector<X509Ptr>& intermediates,
                        const std::vector<X509Ptr>& anchors) {
  std::unique_ptr<X509_STORE, StoreDeleter> store(X509_STORE_new());
  std::unique_ptr<STACK_OF(X509), StackDeleter> untrusted(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) return "out of memory";
  for (const auto& a : anchors) X509_STORE_add_cert(store.get(), a.get());
  // An anchor is trusted as given, even when it is an intermediate rather than a root.
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  for (const auto& c : intermediates) sk_X509_push(untrusted.get(), c.get());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) != 1)
    return "cannot build the chain";
  if (X509_verify_cert(ctx.get()) == 1) return {};
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

crypto::VerifyResult verify_one(xmlDoc* doc, xmlNode* sig, const std::vector<X509Ptr>& anchors) {
  crypto::VerifyResult r;
  r.kind = "XML-DSig";
  xmlNode* root = xmlDocGetRootElement(doc);

  // The signature must cover the whole document, not just some element of it.
  xmlNode* signed_info = dsig_child(sig, "SignedInfo");
  bool whole = false;
  for (xmlNode* ref : dsig_children(signed_info, "Reference")) {
    bool has_uri = false;
    std::string uri = attribute(ref, "URI", &has_uri);
    bool covers = has_uri && uri.empty();
    for (const char* id_name : {"Id", "ID", "id"}) {
      xmlAttr* id = xmlHasNsProp(root, reinterpret_cast<const xmlChar*>(id_name), nullptr);
      if (!covers && has_uri && id != nullptr && uri == "#" + attribute(root, id_name)) {
        covers = true;
        if (xmlGetID(doc, reinterpret_cast<const xmlChar*>(uri.c_str() + 1)) == nullptr) {
          xmlAddID(nullptr, doc, reinterpret_cast<const xmlChar*>(uri.c_str() + 1), id);
        }
      }
    }
    if (covers && !whole) {
      whole = true;
      r.digest = digest_name(attribute(dsig_child(ref, "DigestMethod"), "Algorithm"));
    }
  }
  if (!whole) {
    r.detail = "the signature does not cover the whole document (no Reference URI=\"\")";
    return r;
  }

  std::vector<X509Ptr> certs;
  for (xmlNode* data : dsig_children(dsig_child(sig, "KeyInfo"), "X509Data")) {
    for (xmlNode* c : dsig_children(data, "X509Certificate")) {
      X509Ptr cert = decode_certificate(text(c));
      if (!cert) {
        r.detail = "KeyInfo holds an unreadable X509Certificate";
        return r;
      }
      certs.push_back(std::move(cert));
    }
  }

  // Candidate signing certificates: KeyInfo certificates that issued none of the others (the leaf),
  // or, without KeyInfo certificates, the anchors themselves.
  std::vector<X509*> candidates;
  for (const auto& c : certs) {
    bool issuer_of_other = false;
    for (const auto& d : certs) {
      if (d != c && X509_check_issued(c.get(), d.get()) == X509_V_OK) issuer_of_other = true;
    }
    if (!issuer_of_other) candidates.push_back(c.get());
  }
  const bool from_keyinfo = !certs.empty();
  if (!from_keyinfo) {
    for (const auto& a : anchors) candidates.push_back(a.get());
    if (candidates.empty()) {
      r.detail = "no certificate in KeyInfo: give the signer's certificate to verify this signature";
      return r;
    }
  }

  Attempt best;
  X509* signer = nullptr;
  for (X509* cand : candidates) {
    PkeyPtr key(X509_get_pubkey(cand));
    if (!key) continue;
    Attempt a = verify_with_key(sig, key.get());
    if (a.outcome == Outcome::valid) {
      signer = cand;
      break;
    }
    if (best.message.empty() || a.outcome == Outcome::bad_reference ||
        (a.outcome == Outcome::bad_signature && best.outcome == Outcome::error)) {
      best = a;
    }
  }
  if (signer == nullptr) {
    r.detail = best.message.empty() ? "no usable signing certificate" : best.message;
    if (!from_keyinfo && best.outcome != Outcome::bad_reference) {
      r.detail += " (tried the key of each given certificate)";
    }
    return r;
  }
  r.signer = subject_cn(signer);

  if (!from_keyinfo) {
    r.valid = true;
    r.detail = "signed with the key of a given certificate (no certificate in KeyInfo)";
  } else if (anchors.empty()) {
    r.valid = true;
    r.detail = "chain not checked: no trust anchors given";
  } else if (std::string why = check_chain(signer, certs, anchors); why.empty()) {
    r.valid = true;
    r.detail = "certificate chain trusted";
  } else {
    r.detail = "certificate chain not trusted: " + why;
  }
  return r;
}

}  // namespace

void ensure_xmlsec() {
  static std::once_flag once;
  static std::string failure = "not initialised";
  std::call_once(once, [] {
    xmlInitParser();
    xmlSecErrorsSetCallback(on_xmlsec_error);
    if (xmlSecInit() < 0) {
      failure = "xmlSecInit failed";
    } else if (xmlSecCheckVersion() != 1) {
      failure = "the loaded xmlsec library does not match the headers";
    } else if (xmlSecCryptoAppInit(nullptr) < 0) {
      failure = "xmlSecCryptoAppInit (OpenSSL) failed";
    } else if (xmlSecCryptoInit() < 0) {
      failure = "xmlSecCryptoInit (OpenSSL) failed";
    } else {
      failure.clear();
    }
    xmlSecErrorsSetCallback(on_xmlsec_error);
  });
  if (!failure.empty()) throw io::Error("cannot initialise the xmlsec library: " + failure);
}

crypto::VerifyResult xmldsig_verify(std::span<const uint8_t> xml, const std::vector<crypto::CertDer>& anchors,
                                    const std::string& name) {
  ensure_xmlsec();
  std::vector<X509Ptr> trusted;
  for (const auto& der : anchors) {
    const unsigned char* p = der.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert) throw io::Error("a trust anchor is not a DER X.509 certificate");
    trusted.push_back(std::move(cert));
  }

  DocPtr doc = parse(xml, name);
  std::vector<xmlNode*> signatures;
  find_signatures(xmlDocGetRootElement(doc.get()), signatures);

  crypto::VerifyResult result;
  result.kind = "XML-DSig";
  if (signatures.empty()) {
    result.detail = "not signed: no ds:Signature element";
    return result;
  }
  result.valid = true;
  for (size_t i = 0; i < signatures.size(); ++i) {
    crypto::VerifyResult one = verify_one(doc.get(), signatures[i], trusted);
    result.valid = result.valid && one.valid;
    if (result.digest.empty()) result.digest = one.digest;
    if (!one.signer.empty() && result.signer.find(one.signer) == std::string::npos) {
      result.signer += (result.signer.empty() ? "" : ", ") + one.signer;
    }
    std::string detail = signatures.size() == 1 ? one.detail
                                                : "signature " + std::to_string(i + 1) + ": " +
                                                      (one.valid ? "valid, " : "INVALID, ") + one.detail;
    result.detail += (result.detail.empty() ? "" : "; ") + detail;
  }
  return result;
}

}  // namespace signet::formats::xml
