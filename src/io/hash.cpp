#include "io/hash.hpp"

#include <openssl/evp.h>

#include "io/error.hpp"

namespace signet::io {

HashAlg parse_hash_alg(std::string_view name) {
  if (name == "sha1") return HashAlg::sha1;
  if (name == "sha256") return HashAlg::sha256;
  if (name == "sha384") return HashAlg::sha384;
  if (name == "sha512") return HashAlg::sha512;
  throw Error("unknown hash algorithm '" + std::string(name) + "' (expected sha1, sha256, sha384 or sha512)");
}

std::string_view hash_alg_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha1:
      return "sha1";
    case HashAlg::sha256:
      return "sha256";
    case HashAlg::sha384:
      return "sha384";
    case HashAlg::sha512:
      return "sha512";
  }
  return "?";
}

size_t hash_size(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha1:
      return 20;
    case HashAlg::sha256:
      return 32;
    case HashAlg::sha384:
      return 48;
    case HashAlg::sha512:
      return 64;
  }
  return 0;
}

static const EVP_MD* evp_md(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha1:
      return EVP_sha1();
    case HashAlg::sha256:
      return EVP_sha256();
    case HashAlg::sha384:
      return EVP_sha384();
    case HashAlg::sha512:
      return EVP_sha512();
  }
  return nullptr;
}

struct Hasher::Impl {
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx{EVP_MD_CTX_new()};
};

Hasher::Hasher(HashAlg alg) : impl_(std::make_unique<Impl>()), alg_(alg) {
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx.get(), evp_md(alg), nullptr) != 1) {
    throw Error("cannot initialise " + std::string(hash_alg_name(alg)));
  }
}
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;
Hasher::~Hasher() = default;

void Hasher::update(std::span<const uint8_t> data) {
  EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size());
}

std::vector<uint8_t> Hasher::finish() {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EVP_DigestFinal_ex(impl_->ctx.get(), out.data(), &n);
  out.resize(n);
  return out;
}

std::vector<uint8_t> digest(HashAlg alg, std::span<const uint8_t> data) {
  Hasher h(alg);
  h.update(data);
  return h.finish();
}

std::vector<uint8_t> digest(HashAlg alg, const Source& src) {
  Hasher h(alg);
  for_each_chunk(src, [&](std::span<const uint8_t> c) { h.update(c); });
  return h.finish();
}

std::string to_hex(std::span<const uint8_t> data) {
  static const char* k = "0123456789abcdef";
  std::string s;
  s.reserve(data.size() * 2);
  for (uint8_t b : data) {
    s += k[b >> 4];
    s += k[b & 15];
  }
  return s;
}

}  // namespace signet::io
