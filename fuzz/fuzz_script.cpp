// libFuzzer target for the script formats (PowerShell, PowerShell XML, JScript, VBScript, WSF)
// and the catalog format: open the input under each file name, compute its digest and read its
// signature. Hostile input may only produce io::Error. For a script that opened, embedding a
// signature must give a file that opens again, holds exactly that signature and has the same
// digest (the block is excluded from the hash), and embedding again must give the same bytes.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "crypto/der.hpp"
#include "formats/authenticode.hpp"
#include "formats/catalog/catalog.hpp"
#include "formats/factories.hpp"
#include "io/error.hpp"
#include "io/file.hpp"
#include "io/source.hpp"

namespace {

using namespace signet;
namespace der = crypto::der;

const std::vector<uint8_t>& stand_in_signature() {
  static const std::vector<uint8_t> sig = der::sequence(
      {der::oid("1.2.840.113549.1.7.2"),
       der::explicit_tag(0, der::sequence({der::octet_string(std::vector<uint8_t>(100, 0x42))}))});
  return sig;
}

std::vector<uint8_t> bytes_of(const io::Source& s) {
  return io::read_all(s, 1ull << 30);
}

void fuzz_script(const formats::Format& format, const char* name, const uint8_t* data, size_t size,
                 io::TempDir& temp) {
  std::unique_ptr<formats::OpenedFile> opened;
  try {
    opened = format.open(io::memory_source(std::vector<uint8_t>(data, data + size), name), {});
  } catch (const io::Error&) {
    return;
  }
  const auto* a = dynamic_cast<const formats::AuthenticodeSignable*>(opened.get());
  if (!a) std::abort();
  std::vector<uint8_t> digest;
  try {
    digest = a->authenticode_digest(io::HashAlg::sha256);
  } catch (const io::Error&) {
    return;  // e.g. a script too large to sign
  }
  (void)a->signature();
  (void)a->indirect_data_attribute();

  const auto& sig = stand_in_signature();
  std::vector<uint8_t> signed_bytes = bytes_of(*a->embed(sig, temp));
  try {
    auto again = format.open(io::memory_source(signed_bytes, name), {});
    const auto* b = dynamic_cast<const formats::AuthenticodeSignable*>(again.get());
    if (b->signature() != sig) std::abort();
    if (b->authenticode_digest(io::HashAlg::sha256) != digest) std::abort();
    if (bytes_of(*b->embed(sig, temp)) != signed_bytes) std::abort();
  } catch (const io::Error&) {
    std::abort();  // we wrote a script we cannot read back
  }
}

void fuzz_catalog(const uint8_t* data, size_t size) {
  try {
    auto opened = formats::catalog_format().open(
        io::memory_source(std::vector<uint8_t>(data, data + size), "f.cat"), {});
    const auto* c = dynamic_cast<const formats::CatalogSignable*>(opened.get());
    if (!c) std::abort();
    (void)c->content_digest(io::HashAlg::sha256);
    (void)c->signature();
  } catch (const io::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static io::TempDir temp;
  for (const char* name : {"f.ps1", "f.ps1xml", "f.psm1"})
    fuzz_script(formats::powershell_format(), name, data, size, temp);
  for (const char* name : {"f.js", "f.vbs", "f.wsf"})
    fuzz_script(formats::windows_script_format(), name, data, size, temp);
  fuzz_catalog(data, size);
  return 0;
}
