// RAII owners for the OpenSSL handles the OpenPGP code uses.
#pragma once
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include <memory>

namespace signet::crypto::openpgp::ossl {

template <auto Fn>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Fn(p);
  }
};

using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using Md = std::unique_ptr<EVP_MD, Deleter<EVP_MD_free>>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX_free>>;
using Cipher = std::unique_ptr<EVP_CIPHER, Deleter<EVP_CIPHER_free>>;
using Bn = std::unique_ptr<BIGNUM, Deleter<BN_clear_free>>;  // cleared: may hold secrets
using BnCtx = std::unique_ptr<BN_CTX, Deleter<BN_CTX_free>>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
// OpenSSL 3.0 has no OSSL_PARAM_clear_free; these may hold secret key values.
inline void params_clear_free(OSSL_PARAM* params) {
  for (OSSL_PARAM* p = params; p && p->key; ++p) {
    if (p->data) OPENSSL_cleanse(p->data, p->data_size);
  }
  OSSL_PARAM_free(params);
}
using Params = std::unique_ptr<OSSL_PARAM, Deleter<params_clear_free>>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;

}  // namespace signet::crypto::openpgp::ossl
