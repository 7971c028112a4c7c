// Authenticode for MSI packages (the MSI SIP). The digest covers the content of every stream, in
// each storage's children ordered by their UTF-16LE names compared bytewise (a name that is a
// prefix of another sorts first), storages recursively, each storage's CLSID after its
// children; the root's \005DigitalSignature and \005MsiDigitalSignatureEx are left out. With
// MsiDigitalSignatureEx the digest first takes a pre-hash of the directory metadata, which the
// package also stores in that stream: the root's CLSID and state bits, then in the same order each
// stream's name, size (8 bytes) and creation/modification times, each storage's name, CLSID,
// state bits and times followed by its own children.
#include <algorithm>
#include <cstring>

#include "crypto/der.hpp"
#include "formats/msi/msi_internal.hpp"
#include "io/error.hpp"

namespace signet::formats::msi {

namespace {

std::vector<uint8_t> name_bytes(std::u16string_view n) {
  std::vector<uint8_t> b;
  for (char16_t c : n) {
    b.push_back(static_cast<uint8_t>(c));
    b.push_back(static_cast<uint8_t>(c >> 8));
  }
  return b;
}

bool sip_less(std::u16string_view a, std::u16string_view b) {
  auto x = name_bytes(a), y = name_bytes(b);
  size_t n = std::min(x.size(), y.size());
  int c = n ? std::memcmp(x.data(), y.data(), n) : 0;
  if (c != 0) return c < 0;
  return x.size() < y.size();
}

bool is_signature(std::u16string_view n) {
  return n == kDigitalSignature || n == kDigitalSignatureEx;
}

std::vector<size_t> sorted_children(const cfb::CompoundFile& cf, size_t index) {
  std::vector<size_t> kids;
  for (size_t c : cf.entries()[index].children) {
    if (index == 0 && is_signature(cf.entries()[c].name)) continue;
    kids.push_back(c);
  }
  std::sort(kids.begin(), kids.end(),
            [&](size_t a, size_t b) { return sip_less(cf.entries()[a].name, cf.entries()[b].name); });
  return kids;
}

void hash_content(io::Hasher& h, const cfb::CompoundFile& cf, size_t index) {
  for (size_t c : sorted_children(cf, index)) {
    const auto& e = cf.entries()[c];
    if (e.type == cfb::Type::stream) {
      io::for_each_chunk(*cf.stream(c), [&](std::span<const uint8_t> d) { h.update(d); });
    } else {
      hash_content(h, cf, c);
    }
  }
  h.update(cf.entries()[index].clsid);
}

void update32(io::Hasher& h, uint32_t v) {
  uint8_t b[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
                  static_cast<uint8_t>(v >> 24)};
  h.update(b);
}

// The children of a storage: streams as name, size, times; storages as name, CLSID, state bits,
// times, then their own children.
void hash_metadata(io::Hasher& h, const cfb::CompoundFile& cf, size_t index) {
  for (size_t c : sorted_children(cf, index)) {
    const auto& e = cf.entries()[c];
    h.update(name_bytes(e.name));
    if (e.type == cfb::Type::stream) {
      update32(h, static_cast<uint32_t>(e.size));
      update32(h, static_cast<uint32_t>(e.size >> 32));
      h.update(e.times);
    } else {
      h.update(e.clsid);
      update32(h, e.state_bits);
      h.update(e.times);
      hash_metadata(h, cf, c);
    }
  }
}

}  // namespace

std::vector<uint8_t> metadata_prehash(const cfb::CompoundFile& cf, io::HashAlg alg) {
  io::Hasher h(alg);
  h.update(cf.entries()[0].clsid);  // the root: CLSID and state bits only
  update32(h, cf.entries()[0].state_bits);
  hash_metadata(h, cf, 0);
  return h.finish();
}

std::vector<uint8_t> content_digest(const cfb::CompoundFile& cf, io::HashAlg alg, bool ex) {
  io::Hasher h(alg);
  if (ex) h.update(metadata_prehash(cf, alg));
  hash_content(h, cf, 0);
  return h.finish();
}

std::vector<uint8_t> sip_info_attribute() {
  namespace der = crypto::der;
  // { SPC_SIPINFO_OBJID, SpcSipInfo { 1, MSI SIP GUID {000C10F1-0000-0000-C000-000000000046}, 0 x 5 } }
  static const uint8_t guid[16] = {0xF1, 0x10, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46};
  der::Bytes info = der::sequence({der::integer(1), der::octet_string(guid), der::integer(0), der::integer(0),
                                   der::integer(0), der::integer(0), der::integer(0)});
  return der::sequence({der::oid("1.3.6.1.4.1.311.2.1.30"), info});
}

io::HashAlg signature_hash_alg(std::span<const uint8_t> content_info, const std::string& name) {
  namespace der = crypto::der;
  namespace tag = der::tag;
  der::Reader ci(content_info, name + ": signature");
  auto outer = ci.enter(tag::sequence);
  outer.expect(tag::oid);
  auto signed_data = outer.enter(tag::ctx_cons(0)).enter(tag::sequence);
  signed_data.expect(tag::integer);
  signed_data.expect(tag::set);
  auto encap = signed_data.enter(tag::sequence);
  encap.expect(tag::oid);
  auto indirect = encap.enter(tag::ctx_cons(0)).enter(tag::sequence);
  indirect.expect(tag::sequence);  // SpcAttributeTypeAndOptionalValue
  auto digest_info = indirect.enter(tag::sequence);
  auto alg = digest_info.enter(tag::sequence);
  std::string oid = der::decode_oid(alg.expect(tag::oid).content);
  if (oid == "1.3.14.3.2.26") return io::HashAlg::sha1;
  if (oid == "2.16.840.1.101.3.4.2.1") return io::HashAlg::sha256;
  if (oid == "2.16.840.1.101.3.4.2.2") return io::HashAlg::sha384;
  if (oid == "2.16.840.1.101.3.4.2.3") return io::HashAlg::sha512;
  fail(name, "the signature uses an unsupported digest algorithm " + oid);
}

}  // namespace signet::formats::msi
