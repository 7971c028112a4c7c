// libFuzzer target for the PE format: open the input, read its version-resource metadata, compute
// its Authenticode digest and parse its embedded signatures. Hostile input may only ever produce
// io::Error. A file that opened and hashed must, with a signature embedded, open again with the
// same Authenticode digest and that signature as its only one.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "crypto/authenticode.hpp"
#include "formats/authenticode.hpp"
#include "formats/factories.hpp"
#include "formats/pe/pe.hpp"
#include "io/error.hpp"
#include "io/file.hpp"
#include "io/source.hpp"

using namespace signet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static io::TempDir dir;
  static const auto in_path = dir.path() / "in.exe";
  {
    auto f = io::File::create(in_path);
    f.write_all(std::span<const uint8_t>(data, size));
  }
  std::unique_ptr<formats::OpenedFile> pe;
  std::vector<uint8_t> digest;
  try {
    pe = formats::pe_format().open(io::file_source(in_path), {});
    for (auto key : {"product-name", "product-version", "file-version", "company-name", "copyright",
                     "original-filename"}) {
      (void)pe->metadata(key);
    }
    for (const auto& sig : dynamic_cast<const formats::pe::CertificateTable&>(*pe).all_signatures()) {
      try {
        (void)crypto::authenticode::parse(sig);
      } catch (const io::Error&) {
      }
    }
    digest = dynamic_cast<const formats::AuthenticodeSignable&>(*pe).authenticode_digest(io::HashAlg::sha256);
  } catch (const io::Error&) {
    return 0;
  }

  // A minimal DER SEQUENCE stands in for a signature: embedding must not change the digest.
  static const std::vector<uint8_t> fake_sig{0x30, 0x03, 0x02, 0x01, 0x01};
  io::TempDir temp;
  io::SourcePtr out;
  try {
    out = dynamic_cast<const formats::AuthenticodeSignable&>(*pe).embed(fake_sig, temp);
  } catch (const io::Error&) {
    return 0;  // e.g. too large for a certificate table
  }
  try {
    auto again = formats::pe_format().open(out, {});
    const auto& s = dynamic_cast<const formats::AuthenticodeSignable&>(*again);
    if (s.authenticode_digest(io::HashAlg::sha256) != digest) std::abort();
    if (s.signature() != fake_sig) std::abort();
    if (dynamic_cast<const formats::pe::CertificateTable&>(*again).all_signatures().size() != 1) std::abort();
  } catch (const io::Error&) {
    std::abort();  // we wrote a file we cannot read back
  }
  return 0;
}
