// Streaming message digests (OpenSSL EVP), one pass over the bytes.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/source.hpp"

namespace signet::io {

enum class HashAlg { sha1, sha256, sha384, sha512 };

// "sha256" -> HashAlg; throws Error for anything else (message lists the allowed names).
HashAlg parse_hash_alg(std::string_view name);
std::string_view hash_alg_name(HashAlg alg);  // "sha256"
size_t hash_size(HashAlg alg);

class Hasher {
 public:
  explicit Hasher(HashAlg alg);
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  ~Hasher();
  void update(std::span<const uint8_t> data);
  std::vector<uint8_t> finish();  // the hasher cannot be used afterwards
  HashAlg alg() const { return alg_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  HashAlg alg_;
};

std::vector<uint8_t> digest(HashAlg alg, std::span<const uint8_t> data);
std::vector<uint8_t> digest(HashAlg alg, const Source& src);  // streams the source
std::string to_hex(std::span<const uint8_t> data);

}  // namespace signet::io
