#include "crypto/x509.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <climits>

#include "crypto/der.hpp"
#include "io/error.hpp"
#include "io/source.hpp"

namespace signet::crypto {

namespace {

struct CertStackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using CertStack = std::unique_ptr<STACK_OF(X509), CertStackFree>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, OsslDeleter<PKCS7_free>>;

std::string name_string(const X509_NAME* name) {
  BioPtr out(BIO_new(BIO_s_mem()));
  // RFC 2253 order (most specific first) with ", " separators; UTF-8 kept readable.
  unsigned long flags = (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) | XN_FLAG_SEP_CPLUS_SPC |
                        XN_FLAG_DN_REV | XN_FLAG_FN_SN | XN_FLAG_DUMP_UNKNOWN_FIELDS;
  if (!out || X509_NAME_print_ex(out.get(), name, 0, flags) < 0) return "?";
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

void append_pkcs7_certs(PKCS7* p7, std::vector<CertDer>& out) {
  if (!p7 || OBJ_obj2nid(p7->type) != NID_pkcs7_signed || !p7->d.sign) return;
  STACK_OF(X509)* certs = p7->d.sign->cert;
  for (int i = 0; i < sk_X509_num(certs); ++i) out.push_back(certificate_der(sk_X509_value(certs, i)));
}

}  // namespace

std::string openssl_errors() {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    const char* reason = ERR_reason_error_string(e);
    std::string item = reason ? reason : ("error " + std::to_string(ERR_GET_REASON(e)));
    if (data && (flags & ERR_TXT_STRING) && *data) item += std::string(" (") + data + ")";
    if (out.find(item) == std::string::npos) out += (out.empty() ? "" : "; ") + item;
  }
  return out;
}

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

BioPtr memory_bio(std::span<const uint8_t> data) {
  if (data.size() > static_cast<size_t>(INT_MAX)) throw io::Error("data too large for a memory BIO");
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) throw io::Error("out of memory");
  return bio;
}

std::vector<uint8_t> read_small_file(const std::filesystem::path& path, uint64_t max_bytes) {
  auto src = io::file_source(path);
  if (src->size() > max_bytes) {
    throw io::Error("file is too large (" + std::to_string(src->size()) + " bytes, limit " +
                        std::to_string(max_bytes) + ")",
                    io::Location{path.string()});
  }
  return io::read_all(*src, max_bytes);
}

X509Ptr parse_certificate(std::span<const uint8_t> der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) {
    ERR_clear_error();
    throw io::Error("not a valid X.509 certificate");
  }
  return cert;
}

CertDer certificate_der(const X509* cert) {
  int n = i2d_X509(cert, nullptr);
  if (n <= 0) throw io::Error("cannot encode certificate: " + openssl_errors());
  CertDer out(static_cast<size_t>(n));
  unsigned char* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

std::vector<CertDer> parse_certificates(std::span<const uint8_t> data, const std::string& name) {
  std::vector<CertDer> out;
  ERR_clear_error();
  if (der::looks_like_pem(data)) {
    BioPtr bio = memory_bio(data);
    for (;;) {
      X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
      if (!cert) break;
      out.push_back(certificate_der(cert.get()));
    }
    unsigned long err = ERR_peek_last_error();
    if (err != 0 && !(ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)) {
      throw io::Error("cannot read certificates: " + openssl_errors(), io::Location{name});
    }
    ERR_clear_error();
    if (out.empty()) {
      BioPtr again = memory_bio(data);
      Pkcs7Ptr p7(PEM_read_bio_PKCS7(again.get(), nullptr, nullptr, nullptr));
      append_pkcs7_certs(p7.get(), out);
      ERR_clear_error();
    }
  } else {
    const unsigned char* p = data.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(data.size())));
    if (cert && p == data.data() + data.size()) {
      out.push_back(certificate_der(cert.get()));
    } else {
      p = data.data();
      Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(data.size())));
      append_pkcs7_certs(p7.get(), out);
    }
    ERR_clear_error();
  }
  if (out.empty()) throw io::Error("no certificate found (expected PEM, DER or PKCS#7)", io::Location{name});
  return out;
}

std::vector<CertDer> load_certificates(const std::filesystem::path& path) {
  return parse_certificates(read_small_file(path), path.string());
}

std::string subject_name(const CertDer& cert) {
  return name_string(X509_get_subject_name(parse_certificate(cert).get()));
}

std::string issuer_name(const CertDer& cert) {
  return name_string(X509_get_issuer_name(parse_certificate(cert).get()));
}

std::string common_name(const CertDer& cert) {
  X509Ptr x = parse_certificate(cert);
  X509_NAME* name = X509_get_subject_name(x.get());
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return name_string(name);
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
  if (n < 0) return name_string(name);
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::string fingerprint(const CertDer& cert, io::HashAlg alg) {
  return io::to_hex(io::digest(alg, cert));
}

EvpPkeyPtr certificate_pkey(const CertDer& cert) {
  X509Ptr x = parse_certificate(cert);
  EvpPkeyPtr key(X509_get_pubkey(x.get()));
  if (!key) throw io::Error("cannot read the certificate's public key: " + openssl_errors());
  return key;
}

std::vector<uint8_t> certificate_public_key(const CertDer& cert) {
  X509Ptr x = parse_certificate(cert);
  X509_PUBKEY* pub = X509_get_X509_PUBKEY(x.get());
  int n = i2d_X509_PUBKEY(pub, nullptr);
  if (n <= 0) throw io::Error("cannot encode the certificate's public key: " + openssl_errors());
  std::vector<uint8_t> out(static_cast<size_t>(n));
  unsigned char* p = out.data();
  i2d_X509_PUBKEY(pub, &p);
  return out;
}

std::vector<uint8_t> issuer_and_serial(const CertDer& cert) {
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
  // signature, issuer, ... }, ... }
  der::Reader top(cert, "certificate");
  der::Reader c = top.enter(der::tag::sequence);
  der::Reader tbs = c.enter(der::tag::sequence);
  tbs.optional(der::tag::ctx_cons(0));
  der::Tlv serial = tbs.expect(der::tag::integer);
  tbs.expect(der::tag::sequence);  // signature AlgorithmIdentifier
  der::Tlv issuer = tbs.expect(der::tag::sequence);
  return der::sequence({issuer.whole, serial.whole});
}

bool verify_chain(const CertDer& leaf, const std::vector<CertDer>& intermediates,
                  const std::vector<CertDer>& anchors, std::string* why) {
  auto fail = [&](const std::string& reason) {
    if (why) *why = reason;
    return false;
  };
  X509StorePtr store(X509_STORE_new());
  CertStack untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) return fail("out of memory");
  for (const auto& a : anchors) {
    X509Ptr x = parse_certificate(a);
    if (X509_STORE_add_cert(store.get(), x.get()) != 1) ERR_clear_error();  // duplicates are harmless
  }
  for (const auto& i : intermediates) {
    X509Ptr x = parse_certificate(i);
    if (!sk_X509_push(untrusted.get(), x.get())) return fail("out of memory");
    x.release();  // owned by the stack now
  }
  X509Ptr leaf_x = parse_certificate(leaf);
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf_x.get(), untrusted.get()) != 1) {
    return fail("cannot initialise verification: " + openssl_errors());
  }
  X509_VERIFY_PARAM_set_purpose(X509_STORE_CTX_get0_param(ctx.get()), X509_PURPOSE_ANY);
  int rc = X509_verify_cert(ctx.get());
  ERR_clear_error();
  if (rc == 1) return true;
  return fail(X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
}

}  // namespace signet::crypto
