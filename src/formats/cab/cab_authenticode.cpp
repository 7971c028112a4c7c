// Authenticode for cabinets. The signature lives after the cabinet's last byte (cbCabinet) and is
// found through a 20-byte header reserve {0x00100000, offset, size, 0, 0}. A cabinet without that
// reserve gets one, which moves everything after the header: the "signable image" is the cabinet
// as it will be once signed (reserve inserted, offsets shifted), produced on the fly from the
// original bytes. Its digest covers the image except reserved1 (bytes 4-7), cbCFHeader (36-37),
// the reserve itself (40-59) and the signature; this is what Windows and osslsigncode compute.
#include <algorithm>

#include "crypto/der.hpp"
#include "formats/cab/cab_internal.hpp"

namespace signet::formats::cab {

namespace {

constexpr uint64_t kChunk = 1 << 20;
constexpr uint64_t kReserveAt = kHeaderFixed + 4;  // abReserve when cbCFHeader is present
constexpr uint32_t kMaxSignature = 64u << 20;

// The signable image: `head` (the CFHEADER with the reserve in place, fields patched) followed by
// the original bytes [tail_from, tail_to) with 4-byte patches (folder data offsets) applied.
struct Image {
  std::vector<uint8_t> head;
  uint64_t tail_from = 0, tail_to = 0;
  std::vector<std::pair<uint64_t, uint32_t>> patches;  // original offset -> new value
  uint64_t size() const { return head.size() + (tail_to - tail_from); }
};

Image signable_image(const Cabinet& cab) {
  Image img;
  img.head = cab.header;
  img.tail_from = cab.header.size();
  img.tail_to = cab.cb_cabinet;
  uint32_t shift = 0;
  bool reserve = cab.flags & kFlagReservePresent;
  if (reserve && cab.header_reserve == kSigReserveSize) {
    // Already laid out for a signature: the image is the cabinet itself.
  } else if (reserve && cab.header_reserve == 0) {
    shift = kSigReserveSize;
    img.head.insert(img.head.begin() + kReserveAt, kSigReserveSize, 0);
  } else if (!reserve) {
    shift = 4 + kSigReserveSize;
    std::vector<uint8_t> ins(shift, 0);
    set16(ins.data(), kSigReserveSize);  // cbCFHeader; cbCFFolder and cbCFData stay 0
    img.head.insert(img.head.begin() + kHeaderFixed, ins.begin(), ins.end());
    set16(img.head.data() + 30, static_cast<uint16_t>(cab.flags | kFlagReservePresent));
  } else {
    fail(cab.name, "cannot carry an Authenticode signature: its header reserve is " +
                       num(cab.header_reserve) + " bytes, a signature needs exactly " + num(kSigReserveSize));
  }
  set16(img.head.data() + kHeaderFixed, kSigReserveSize);
  if (uint64_t{cab.cb_cabinet} + shift > 0xFFFFFFFFull) fail(cab.name, "the cabinet is too large to sign");
  set32(img.head.data() + 8, cab.cb_cabinet + shift);
  set32(img.head.data() + 16, cab.coff_files + shift);
  if (shift) {
    for (const auto& f : cab.folders) {
      if (f.data_offset != 0) img.patches.emplace_back(f.record_offset, f.data_offset + shift);
    }
  }
  return img;
}

// Calls fn with consecutive chunks of the image after its head.
template <class Fn>
void stream_tail(const Cabinet& cab, const Image& img, Fn&& fn) {
  std::vector<uint8_t> buf(
      static_cast<size_t>(std::min<uint64_t>(kChunk, std::max<uint64_t>(img.tail_to - img.tail_from, 1))));
  for (uint64_t at = img.tail_from; at < img.tail_to;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), img.tail_to - at));
    cab.range.file->read_exact(cab.range.offset + at, std::span<uint8_t>(buf.data(), n));
    for (const auto& [pos, value] : img.patches) {
      uint8_t v[4];
      set32(v, value);
      for (uint64_t j = 0; j < 4; ++j) {
        if (pos + j >= at && pos + j < at + n) buf[static_cast<size_t>(pos + j - at)] = v[j];
      }
    }
    fn(std::span<const uint8_t>(buf.data(), n));
    at += n;
  }
}

}  // namespace

std::vector<uint8_t> authenticode_digest(const Cabinet& cab, io::HashAlg alg) {
  Image img = signable_image(cab);
  io::Hasher h(alg);
  std::span<const uint8_t> head = img.head;
  h.update(head.subspan(0, 4));
  h.update(head.subspan(8, 28));
  h.update(head.subspan(38, 2));
  h.update(head.subspan(kReserveAt + kSigReserveSize));
  stream_tail(cab, img, [&](std::span<const uint8_t> d) { h.update(d); });
  return h.finish();
}

std::vector<uint8_t> embedded_signature(const Cabinet& cab) {
  if (!cab.has_sig_reserve || cab.sig_size == 0) return {};
  if (cab.sig_size > kMaxSignature) fail(cab.name, "the Authenticode signature is larger than 64 MiB");
  std::vector<uint8_t> sig(cab.sig_size);
  cab.range.file->read_exact(cab.range.offset + cab.sig_offset, sig);
  // The slot is padded to 8 bytes: keep the DER SEQUENCE only.
  if (sig.size() >= 2 && sig[0] == 0x30) {
    uint64_t len = sig[1], hdr = 2;
    if (sig[1] & 0x80) {
      size_t k = sig[1] & 0x7F;
      if (k == 0 || k > 4 || sig.size() < 2 + k) return sig;
      len = 0;
      for (size_t i = 0; i < k; ++i) len = (len << 8) | sig[2 + i];
      hdr = 2 + k;
    }
    if (hdr + len <= sig.size()) sig.resize(static_cast<size_t>(hdr + len));
  }
  return sig;
}

void write_signed(const Cabinet& cab, std::span<const uint8_t> signature, io::File& out) {
  Image img = signable_image(cab);
  uint64_t padded = (signature.size() + 7) / 8 * 8;
  if (img.size() + padded > 0xFFFFFFFFull) fail(cab.name, "the signed cabinet would exceed 4 GiB");
  uint8_t* r = img.head.data() + kReserveAt;
  std::fill_n(r, kSigReserveSize, 0);
  set32(r, kSigReserveTag);
  set32(r + 4, static_cast<uint32_t>(img.size()));
  set32(r + 8, static_cast<uint32_t>(padded));
  out.write_all(img.head);
  stream_tail(cab, img, [&](std::span<const uint8_t> d) { out.write_all(d); });
  out.write_all(signature);
  std::vector<uint8_t> zeros(static_cast<size_t>(padded - signature.size()), 0);
  out.write_all(zeros);
}

std::vector<uint8_t> cab_data_attribute() {
  namespace der = crypto::der;
  // { SPC_CAB_DATA_OBJID, SpcLink.file [2] { SpcString.unicode [0] "<<<Obsolete>>>" } }
  std::u16string obsolete = u"<<<Obsolete>>>";
  der::Bytes bmp = der::bmp_string(obsolete);
  der::Bytes unicode = der::retag(der::tag::ctx_prim(0), bmp);
  der::Bytes file = der::tlv(der::tag::ctx_cons(2), unicode);
  return der::sequence({der::oid("1.3.6.1.4.1.311.2.1.25"), file});
}

}  // namespace signet::formats::cab
