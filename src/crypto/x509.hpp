// X.509 certificates: loading, names, keys, IssuerAndSerialNumber and chain checks. Also the
// RAII handles for OpenSSL objects that the crypto layer shares.
#pragma once
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crypto/signer.hpp"
#include "io/hash.hpp"

namespace signet::crypto {

// unique_ptr deleter calling an OpenSSL free function.
template <auto FreeFn>
struct OsslDeleter {
  template <class T>
  void operator()(T* p) const {
    FreeFn(p);
  }
};
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO_free_all>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OsslDeleter<X509_STORE_CTX_free>>;

// Drains OpenSSL's error queue of this thread into one line ("" if empty). Call it right after a
// failing OpenSSL call so the message explains the failure.
std::string openssl_errors();

// EVP digest for a hash algorithm.
const EVP_MD* evp_md(io::HashAlg alg);

// A memory BIO over bytes (read-only, no copy: `data` must outlive the BIO).
BioPtr memory_bio(std::span<const uint8_t> data);

// Whole small file (key, certificate, PKCS#12), refusing more than max_bytes; errors name the path.
std::vector<uint8_t> read_small_file(const std::filesystem::path& path, uint64_t max_bytes = 16u << 20);

// Parse one DER certificate; throws io::Error ("not a valid X.509 certificate").
X509Ptr parse_certificate(std::span<const uint8_t> der);
CertDer certificate_der(const X509* cert);

// Certificates from a PEM bundle (any number of "CERTIFICATE" blocks), a single DER certificate
// or a DER/PEM PKCS#7 certificate bundle (.p7b). Throws io::Error naming the file when it cannot
// be read or holds no certificate.
std::vector<CertDer> load_certificates(const std::filesystem::path& path);
std::vector<CertDer> parse_certificates(std::span<const uint8_t> data, const std::string& name);

// Display names, most specific first: "CN=Test Code Signer, O=ACME Inc., C=DE".
std::string subject_name(const CertDer& cert);
std::string issuer_name(const CertDer& cert);
// The subject's commonName, or the whole subject when it has none.
std::string common_name(const CertDer& cert);
// Lowercase hex of the hash of the certificate's DER (thumbprint; SHA-1 for Windows-style).
std::string fingerprint(const CertDer& cert, io::HashAlg alg);

// The certificate's SubjectPublicKeyInfo, DER; and as an EVP_PKEY.
std::vector<uint8_t> certificate_public_key(const CertDer& cert);
EvpPkeyPtr certificate_pkey(const CertDer& cert);

// IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER }, DER, with the
// issuer and serial octets exactly as they appear in the certificate.
std::vector<uint8_t> issuer_and_serial(const CertDer& cert);

// Does `leaf` chain to one of `anchors` through `intermediates`? Purpose "any", OpenSSL's
// default time check. On failure `why` (if given) receives OpenSSL's reason.
bool verify_chain(const CertDer& leaf, const std::vector<CertDer>& intermediates,
                  const std::vector<CertDer>& anchors, std::string* why);

}  // namespace signet::crypto
