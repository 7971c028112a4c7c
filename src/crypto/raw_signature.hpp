// Raw signatures: the bare signature value over a digest (RSA PKCS#1 v1.5 or PSS; ECDSA as a DER
// ECDSA-Sig-Value), as `openssl pkeyutl -verify` and `openssl dgst -verify` accept them.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/signer.hpp"
#include "crypto/verify_result.hpp"
#include "io/hash.hpp"
#include "io/source.hpp"

namespace signet::crypto {

// The signature value over `digest` (a digest of `alg`). Throws io::Error on a digest of the
// wrong length or a signing failure.
std::vector<uint8_t> raw_sign(const Signer& signer, io::HashAlg alg, std::span<const uint8_t> digest,
                              RsaPadding padding);

// Check `sig` over `content` with the certificate's public key, trying sha256, sha384 and sha512
// (and PKCS#1 v1.5 and PSS for RSA) in one pass over the content. The certificate itself is not
// validated. Never throws for a bad signature; io errors reading the content do throw.
VerifyResult raw_verify(std::span<const uint8_t> sig, const io::Source& content, const CertDer& cert);

}  // namespace signet::crypto
