// Helpers for the script format tests: open a script by name, build stand-in signatures, and
// compute expected digests independently of the format code.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "crypto/der.hpp"
#include "formats/authenticode.hpp"
#include "formats/factories.hpp"
#include "io/error.hpp"
#include "io/hash.hpp"
#include "io/source.hpp"

namespace scripttest {

using Bytes = std::vector<uint8_t>;
namespace der = signet::crypto::der;

inline Bytes bytes(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

inline Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ASCII/Latin-1 text as UTF-16LE (each char one code unit).
inline Bytes utf16(const std::string& latin1) {
  Bytes out;
  for (unsigned char c : latin1) {
    out.push_back(c);
    out.push_back(0);
  }
  return out;
}

inline Bytes utf16(const std::u16string& s) {
  Bytes out;
  for (char16_t c : s) {
    out.push_back(static_cast<uint8_t>(c & 0xff));
    out.push_back(static_cast<uint8_t>(c >> 8));
  }
  return out;
}

inline Bytes le32(uint32_t v) {
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}

inline Bytes sha256(const Bytes& b) {
  return signet::io::digest(signet::io::HashAlg::sha256, b);
}

// A structurally valid stand-in for a signature: ContentInfo { signedData, [0] { payload } }.
inline Bytes fake_signature(size_t payload, uint8_t fill = 0x5a) {
  Bytes inner = der::sequence({der::octet_string(Bytes(payload, fill))});
  return der::sequence({der::oid("1.2.840.113549.1.7.2"), der::explicit_tag(0, inner)});
}

inline Bytes read_source(const signet::io::Source& s) {
  return signet::io::read_all(s, 1ull << 30);
}

// An opened script and its Authenticode view; the format is chosen from the extension.
struct Opened {
  std::unique_ptr<signet::formats::OpenedFile> file;
  const signet::formats::AuthenticodeSignable* auth = nullptr;
};

inline const signet::formats::Format& format_for(const std::string& name) {
  for (const char* ext : {".js", ".vbs", ".wsf", ".txt"}) {
    std::string e(ext);
    if (name.size() >= e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      return signet::formats::windows_script_format();
    }
  }
  return signet::formats::powershell_format();
}

inline Opened open_script(const std::string& name, const Bytes& data) {
  Opened o;
  o.file = format_for(name).open(signet::io::memory_source(data, name), {});
  o.auth = dynamic_cast<const signet::formats::AuthenticodeSignable*>(o.file.get());
  if (!o.auth) throw std::runtime_error("not AuthenticodeSignable");
  return o;
}

inline Bytes embed(const Opened& o, const Bytes& sig) {
  signet::io::TempDir temp;
  return read_source(*o.auth->embed(sig, temp));
}

// The signature block text that Windows writes (CRLF, 64 base64 characters a line).
inline std::string block_text(const std::string& begin, const std::string& end, const std::string& prefix,
                              const std::string& suffix, const Bytes& sig) {
  std::string b64 = der::base64_encode(sig);
  std::string t = "\r\n" + begin + "\r\n";
  for (size_t i = 0; i < b64.size(); i += 64) t += prefix + b64.substr(i, 64) + suffix + "\r\n";
  return t + end + "\r\n";
}

}  // namespace scripttest
