// Signing keys of the service's certificates, loaded from their files on first use and cached.
// Passwords come from an environment variable or a file named in the certificate record; they
// are never stored, logged or returned.
#pragma once
#include <map>
#include <mutex>
#include <string>

#include "engine/plan.hpp"
#include "service/model.hpp"

namespace signet::service {

class KeyCache {
 public:
  // Throws io::Error naming the certificate and file when a key cannot be loaded.
  engine::Keys keys_for(const Certificate& cert);
  // Loads without caching (seed validation).
  static engine::Keys load(const Certificate& cert);
  // The certificate's X.509 chain (signing certificate first), DER; empty for GPG-only keys.
  std::vector<std::vector<uint8_t>> x509_chain(const Certificate& cert);

 private:
  struct Entry {
    std::string fingerprint;  // paths and modification times: reload when a file changes
    engine::Keys keys;
  };
  std::mutex mu_;
  std::map<std::string, Entry> cache_;
};

}  // namespace signet::service
