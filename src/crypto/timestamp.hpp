// RFC 3161 time-stamping: a client that asks time-stamping authorities (TSAs) over HTTP(S) for a
// token over a digest, and the parsing and checking of tokens found in signatures.
#pragma once
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crypto/der.hpp"
#include "crypto/signer.hpp"
#include "crypto/verify_result.hpp"
#include "io/hash.hpp"

namespace signet::crypto::timestamp {

struct ClientOptions {
  std::vector<std::string> urls;                       // tried in order; http:// or https://
  int attempts_per_url = 2;                            // bounded retries per URL
  std::chrono::milliseconds backoff{300};              // before a retry of the same URL (doubles)
  std::chrono::milliseconds connect_timeout{10'000};   // resolve + connect (+ TLS handshake)
  std::chrono::milliseconds exchange_timeout{30'000};  // send the request and read the reply
  size_t max_response_bytes = 1 << 20;
};

// DER TimeStampReq { version 1, messageImprint { alg (NULL params), digest }, nonce, certReq TRUE }.
der::Bytes make_request(io::HashAlg alg, std::span<const uint8_t> digest, std::span<const uint8_t> nonce);

// Checks a DER TimeStampResp against the request it answers: status granted (or grantedWithMods),
// message imprint and nonce equal, and the token's signature valid with its own certificate (no
// trust anchors). Returns the TimeStampToken (DER ContentInfo, bytes exactly as received).
// Throws io::Error naming `tsa`: "TSA http://...: status rejection: ...", "... nonce mismatch".
der::Bytes check_response(std::span<const uint8_t> response, io::HashAlg alg, std::span<const uint8_t> digest,
                          std::span<const uint8_t> nonce, const std::string& tsa);

// Asks each URL in order (attempts_per_url tries each, with backoff) for a token over `digest`
// (a hash of `alg`), validating every answer with check_response. Returns the first valid token.
// Throws io::Error listing every TSA tried and its cause when none succeeded, e.g.
// "RFC 3161 timestamp failed: http://127.0.0.1:9/: connection refused; http://x/: answered HTTP 500".
// Thread-safe (one connection per call).
der::Bytes request_token(io::HashAlg alg, std::span<const uint8_t> digest, const ClientOptions& options);

// What a token says (TSTInfo and the TSA's certificate); parsing checks nothing cryptographic.
struct TokenInfo {
  std::time_t gen_time = 0;
  std::string gen_time_text;                // "2026-11-02T10:11:12Z"
  std::optional<io::HashAlg> imprint_hash;  // nullopt for unsupported algorithms
  std::string imprint_hash_name;            // "sha256", or the OID
  std::vector<uint8_t> imprint;             // hashedMessage
  std::vector<CertDer> certificates;
  std::optional<CertDer> signer_certificate;  // matched by the SignerInfo's identifier
  std::string tsa_signer;                     // subject of the signer certificate, "" if absent
};
// Throws io::Error when the bytes are not a time-stamp token.
TokenInfo parse_token(std::span<const uint8_t> token);

// Checks a token over `message` (the bytes whose hash was time-stamped, e.g. a signature value):
// the token's signature with its embedded certificate, the imprint against the hash of
// `message`, and, when `anchors` is non-empty, the TSA's chain at genTime. Never throws for a bad
// token (valid = false, detail says why). `info` receives the parsed token when it parsed.
VerifyResult verify_token(std::span<const uint8_t> token, std::span<const uint8_t> message,
                          const std::vector<CertDer>& anchors, TokenInfo* info = nullptr);

// "2026-11-02T10:11:12Z"
std::string format_time(std::time_t t);

}  // namespace signet::crypto::timestamp
