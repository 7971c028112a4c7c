#include "service/keys.hpp"

#include <cstdlib>
#include <filesystem>

#include "crypto/key_file_signer.hpp"
#include "crypto/openpgp/openpgp.hpp"
#include "io/error.hpp"
#include "service/util.hpp"

namespace signet::service {

namespace fs = std::filesystem;

namespace {

std::string password(const std::string& env, const std::string& file, const std::string& slug) {
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (!v)
      throw io::Error("certificate '" + slug + "': environment variable " + env +
                      " (its password) is not set");
    return v;
  }
  if (!file.empty()) {
    std::string p = read_text_file(file, 64 * 1024);
    while (!p.empty() && (p.back() == '\n' || p.back() == '\r')) p.pop_back();
    return p;
  }
  return {};
}

std::string stamp(const std::string& path) {
  if (path.empty()) return "-";
  std::error_code ec;
  auto t = fs::last_write_time(path, ec);
  return path + "@" + std::to_string(ec ? 0 : t.time_since_epoch().count());
}

}  // namespace

engine::Keys KeyCache::load(const Certificate& c) {
  engine::Keys keys;
  try {
    if (c.has_x509()) {
      std::optional<fs::path> cert, chain;
      if (!c.cert_path.empty()) cert = c.cert_path;
      if (!c.chain_path.empty()) chain = c.chain_path;
      keys.x509 = crypto::load_key_file_signer(c.key_path, password(c.password_env, c.password_file, c.slug),
                                               cert, chain);
    }
    if (c.has_pgp()) {
      std::string pass = password(c.pgp_password_env, c.pgp_password_file, c.slug);
      if (pass.empty() && c.pgp_password_env.empty() && c.pgp_password_file.empty()) {
        pass = password(c.password_env, c.password_file, c.slug);
      }
      keys.pgp = crypto::openpgp::load_secret_key(c.pgp_key_path, pass);
    }
  } catch (const io::Error& e) {
    throw io::Error("certificate '" + c.slug + "': " + e.what());
  }
  return keys;
}

engine::Keys KeyCache::keys_for(const Certificate& c) {
  std::string fp =
      stamp(c.key_path) + "|" + stamp(c.cert_path) + "|" + stamp(c.chain_path) + "|" + stamp(c.pgp_key_path);
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(c.id);
    if (it != cache_.end() && it->second.fingerprint == fp) return it->second.keys;
  }
  engine::Keys keys = load(c);
  std::lock_guard lock(mu_);
  cache_[c.id] = Entry{fp, keys};
  return keys;
}

std::vector<std::vector<uint8_t>> KeyCache::x509_chain(const Certificate& c) {
  if (!c.has_x509()) return {};
  auto keys = keys_for(c);
  return keys.x509 ? keys.x509->certificates() : std::vector<std::vector<uint8_t>>{};
}

}  // namespace signet::service
