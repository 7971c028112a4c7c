// Key packets (RFC 4880 §5.5.2, RFC 6637 §9, EdDSA draft §4), v4 fingerprints (§12.2), OpenSSL keys
// from their MPIs, and transferable keys split into primary key, user IDs and subkeys (§11.1-2).
#pragma once
#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crypto/openpgp/openpgp.hpp"
#include "crypto/openpgp/ossl.hpp"
#include "crypto/openpgp/packets.hpp"

namespace signet::crypto::openpgp {

using Fingerprint = std::array<uint8_t, 20>;

// The public part of a key packet body.
struct KeyMaterial {
  uint8_t version = 0;
  uint32_t created = 0;
  uint8_t algo = 0;
  std::vector<std::vector<uint8_t>> mpis;  // RSA: n, e; EC: the point; DSA/ElGamal: all values
  std::vector<uint8_t> oid;                // EC curve OID (without the length octet)
  size_t public_length = 0;                // octets of the public part; 0 when the layout is unknown
};

// Parses the public part of a version 4 key packet (public or secret). Unknown algorithms give
// public_length 0; other versions give version != 4 and nothing else.
KeyMaterial parse_key_material(std::span<const uint8_t> body, const io::Location& where);

Fingerprint v4_fingerprint(std::span<const uint8_t> public_body);
uint64_t key_id_of(const Fingerprint& fpr);
std::string key_id_hex(uint64_t id);

// "Ed25519", "P-256", ... or "" for a curve we do not know.
std::string curve_name(std::span<const uint8_t> oid);
// "RSA 3072", "EdDSA Ed25519", "ECDSA P-384", "unsupported (17)".
std::string algorithm_name(const KeyMaterial& m);
// Whether we can sign and verify with this key's algorithm and curve.
bool supported_signing_algorithm(const KeyMaterial& m);

// The shortest hash GnuPG accepts with this key, in octets: ECDSA needs at least the curve's size
// (capped at SHA-512); 0 for no constraint beyond our sha256 minimum.
size_t min_hash_size(const KeyMaterial& m);

// OpenSSL key from the public material; with `secret` (the algorithm's secret MPIs in packet
// order) a key pair, checked for consistency with the public part. Throws io::Error at `where`.
ossl::Pkey make_pkey(const KeyMaterial& m, const std::vector<SecureBytes>* secret, const io::Location& where);

// One key of a transferable key, with what its self-signatures say (not verified cryptographically:
// the file is the user's own key or trusted certificate).
struct CertKey {
  Packet packet;  // tag 5/6 (primary) or 7/14 (subkey); may hold secret material
  KeyMaterial material;
  Fingerprint fpr{};
  std::optional<uint8_t> flags;        // key flags (subpacket 27) of the newest self/binding signature
  std::optional<std::time_t> expires;  // absolute expiry time
  bool revoked = false;
  bool bound = true;                  // a subkey with a binding signature by the primary
  std::vector<SignaturePacket> sigs;  // signatures directly on this key
};

struct UserId {
  std::string text;
  std::vector<SignaturePacket> sigs;
};

struct Certificate {
  CertKey primary;
  std::vector<UserId> user_ids;
  std::vector<CertKey> subkeys;
  std::vector<Packet> packets;  // everything as read, for exporting the public certificate
  std::string primary_user_id;
};

// Splits a packet stream into transferable keys (each starts at a primary key packet) and derives
// flags, expiry and revocation from the self-signatures. Keys other than version 4 are skipped.
std::vector<Certificate> split_certificates(std::vector<Packet> packets, const io::Location& where);

// The PublicKey record of one key of a certificate.
PublicKey describe_key(const Certificate& cert, const CertKey& key);

// The transferable public key of a certificate (secret parts dropped, trust packets skipped).
std::vector<uint8_t> public_certificate(const Certificate& cert);

}  // namespace signet::crypto::openpgp
