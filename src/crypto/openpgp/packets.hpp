// OpenPGP packet framing (RFC 4880 §4.2), MPIs (§3.2), signature subpackets (§5.2.3.1) and the
// v4 signature packet layout (§5.2.3). Internal to the crypto layer.
#pragma once
#include <openssl/crypto.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/error.hpp"
#include "io/hash.hpp"

namespace signet::crypto::openpgp {

// Zeroised when released: every buffer that may hold secret key material uses this allocator, so
// reallocation and destruction never leave a copy behind.
template <class T>
struct CleansingAllocator {
  using value_type = T;
  CleansingAllocator() = default;
  template <class U>
  CleansingAllocator(const CleansingAllocator<U>&) {}
  T* allocate(size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, size_t n) {
    OPENSSL_cleanse(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const CleansingAllocator<U>&) const {
    return true;
  }
};
using SecureBytes = std::vector<uint8_t, CleansingAllocator<uint8_t>>;
using SecureString = std::basic_string<char, std::char_traits<char>, CleansingAllocator<char>>;

namespace tag {
constexpr uint8_t signature = 2, secret_key = 5, public_key = 6, secret_subkey = 7, compressed = 8,
                  marker = 10, literal = 11, trust = 12, user_id = 13, public_subkey = 14,
                  user_attribute = 17;
}

namespace pk {
constexpr uint8_t rsa = 1, rsa_encrypt = 2, rsa_sign = 3, elgamal = 16, dsa = 17, ecdh = 18, ecdsa = 19,
                  eddsa = 22;
}

namespace sub {
constexpr uint8_t creation_time = 2, key_expiration = 9, issuer = 16, primary_user_id = 25, key_flags = 27,
                  issuer_fingerprint = 33;
}

struct Packet {
  uint8_t tag = 0;
  SecureBytes body;
};

// Bounds-checked big-endian reader; every overrun is an io::Error "malformed <what>" at `where`.
class ByteReader {
 public:
  ByteReader(std::span<const uint8_t> data, io::Location where, std::string what)
      : d_(data), where_(std::move(where)), what_(std::move(what)) {}
  uint8_t u8();
  uint16_t u16();
  uint32_t u32();
  std::span<const uint8_t> take(size_t n);
  std::span<const uint8_t> mpi();  // the magnitude octets as stored
  std::span<const uint8_t> rest();
  size_t pos() const { return pos_; }
  size_t left() const { return d_.size() - pos_; }
  bool empty() const { return pos_ == d_.size(); }
  [[noreturn]] void fail(const std::string& why) const;

 private:
  std::span<const uint8_t> d_;
  size_t pos_ = 0;
  io::Location where_;
  std::string what_;
};

// Splits a binary packet stream (old and new header formats; partial body lengths only for the
// data packets that may use them).
std::vector<Packet> split_packets(std::span<const uint8_t> data, const io::Location& where);
// New-format header (tag | 0xC0) with the shortest length encoding.
void append_packet(std::vector<uint8_t>& out, uint8_t tag, std::span<const uint8_t> body);

// MPI of a big-endian magnitude: leading zero octets stripped, bit count of the rest.
void append_mpi(std::vector<uint8_t>& out, std::span<const uint8_t> magnitude);
// A magnitude left-padded with zeros to `size` octets; nullopt if it does not fit.
std::optional<std::vector<uint8_t>> left_pad(std::span<const uint8_t> magnitude, size_t size);

void put_u16(std::vector<uint8_t>& out, uint32_t v);
void put_u32(std::vector<uint8_t>& out, uint32_t v);

struct Subpacket {
  uint8_t type = 0;
  bool critical = false;
  std::vector<uint8_t> data;
};
std::vector<Subpacket> parse_subpackets(std::span<const uint8_t> area, const io::Location& where);
void append_subpacket(std::vector<uint8_t>& out, uint8_t type, std::span<const uint8_t> data);

// A parsed v4 signature packet.
struct SignaturePacket {
  uint8_t type = 0, pk_algo = 0, hash_algo = 0;
  std::vector<uint8_t> hashed_prefix;  // version .. end of hashed subpackets: what the trailer hashes
  std::vector<Subpacket> hashed, unhashed;
  uint8_t left16[2] = {0, 0};
  std::vector<std::vector<uint8_t>> mpis;  // algorithm-specific signature values

  std::optional<uint32_t> created() const;
  std::optional<uint32_t> key_expiration() const;  // seconds after key creation
  std::optional<uint8_t> key_flags() const;
  bool primary_user_id() const;
  std::vector<uint8_t> issuer_fingerprint() const;  // 20 octets, or empty
  std::optional<uint64_t> issuer_key_id() const;    // from subpacket 16, or the fingerprint
};
// Throws io::Error for anything but a well-formed version 4 signature.
SignaturePacket parse_signature(std::span<const uint8_t> body, const io::Location& where);

// The v4 signature trailer hashed after the data: 0x04 0xFF and the 4-octet length of the prefix.
std::vector<uint8_t> signature_trailer(std::span<const uint8_t> hashed_prefix);

// OpenPGP hash algorithm IDs (RFC 4880 §9.4) and OpenSSL names.
uint8_t hash_id(io::HashAlg alg);
std::optional<io::HashAlg> hash_alg(uint8_t id);  // sha1/sha256/sha384/sha512 only
std::string hash_display(uint8_t id);             // "sha256" or "hash algorithm N"

std::string upper_hex(std::span<const uint8_t> data);

}  // namespace signet::crypto::openpgp
