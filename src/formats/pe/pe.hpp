// <pe-file>: PE32 and PE32+ images (exe, dll, sys, efi, ...). What other layers may use beyond
// the Format and AuthenticodeSignable contracts.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace signet::formats::pe {

// True when `head` (the first bytes of a file, ideally 4 KiB) starts like a PE image: "MZ" and
// "PE\0\0" at e_lfanew.
bool looks_like_pe(std::span<const uint8_t> head);

// Implemented by opened PE files next to AuthenticodeSignable: every PKCS#7 entry of the
// attribute certificate table in table order (Debian's shim carries two). signature() is the
// first of them.
class CertificateTable {
 public:
  virtual ~CertificateTable() = default;
  virtual std::vector<std::vector<uint8_t>> all_signatures() const = 0;
};

}  // namespace signet::formats::pe
