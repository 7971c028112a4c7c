// The Authenticode-signable contract: formats whose files carry embedded Authenticode signatures
// (PE, CAB, MSI, PowerShell and Windows scripts) implement it on their OpenedFile, and the
// authenticode methods use it through dynamic_cast; the engine never needs to know.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "io/file.hpp"
#include "io/hash.hpp"
#include "io/source.hpp"

namespace signet::formats {

class AuthenticodeSignable {
 public:
  virtual ~AuthenticodeSignable() = default;
  // The file's Authenticode digest as its format defines it (signature and its slot excluded).
  // Streams the file once; bounded memory.
  virtual std::vector<uint8_t> authenticode_digest(io::HashAlg alg) const = 0;
  // DER of the SpcAttributeTypeAndOptionalValue that goes into SpcIndirectDataContent.data
  // (SpcPeImageData for PE, SpcSipInfo for MSI and scripts, SpcLink-based for CAB).
  virtual std::vector<uint8_t> indirect_data_attribute() const = 0;
  // The embedded signature (DER ContentInfo of a SignedData), empty when unsigned. Nested
  // signatures live inside it (unsigned attribute 1.3.6.1.4.1.311.2.4.1).
  virtual std::vector<uint8_t> signature() const = 0;
  // The file with `signature` (DER ContentInfo) as its one embedded signature, replacing any
  // existing one. Large outputs go to a file in `temp`.
  virtual io::SourcePtr embed(std::span<const uint8_t> signature, io::TempDir& temp) const = 0;
  // Whether append="true" (a nested signature) is allowed for this format.
  virtual bool supports_append() const { return false; }
};

}  // namespace signet::formats
