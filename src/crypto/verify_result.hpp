// The outcome of checking one signature, as `signet verify` prints it.
#pragma once
#include <string>

namespace signet::crypto {

struct VerifyResult {
  bool valid = false;      // cryptographically valid and, where anchors were given, trusted
  std::string kind;        // "CMS", "raw", "OpenPGP", "XML-DSig", ...
  std::string signer;      // subject CN / user ID / key fingerprint
  std::string digest;      // "sha256"
  std::string detail;      // why it failed, or trust notes ("chain not checked: no --ca")
};

}  // namespace signet::crypto
