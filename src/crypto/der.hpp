// A small DER (ITU-T X.690) writer and reader, plus PEM armor. Enough for CMS SignedData and
// Authenticode structures: single-byte tags (tag numbers < 31), definite lengths only.
#pragma once
#include <cstdint>
#include <ctime>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace signet::crypto::der {

using Bytes = std::vector<uint8_t>;

// Universal tags and the class/constructed bits.
namespace tag {
constexpr uint8_t boolean = 0x01;
constexpr uint8_t integer = 0x02;
constexpr uint8_t bit_string = 0x03;
constexpr uint8_t octet_string = 0x04;
constexpr uint8_t null = 0x05;
constexpr uint8_t oid = 0x06;
constexpr uint8_t utf8_string = 0x0c;
constexpr uint8_t printable_string = 0x13;
constexpr uint8_t ia5_string = 0x16;
constexpr uint8_t utc_time = 0x17;
constexpr uint8_t generalized_time = 0x18;
constexpr uint8_t bmp_string = 0x1e;
constexpr uint8_t sequence = 0x30;
constexpr uint8_t set = 0x31;
constexpr uint8_t constructed = 0x20;
constexpr uint8_t context = 0x80;
// [n] constructed (EXPLICIT, or IMPLICIT of a constructed type) and [n] primitive.
constexpr uint8_t ctx_cons(unsigned n) {
  return static_cast<uint8_t>(context | constructed | n);
}
constexpr uint8_t ctx_prim(unsigned n) {
  return static_cast<uint8_t>(context | n);
}
}  // namespace tag

// ---- writer: every function returns one complete encoding ------------------------------------

Bytes tlv(uint8_t tag, std::span<const uint8_t> content);
Bytes concat(std::initializer_list<std::span<const uint8_t>> parts);
Bytes sequence(std::initializer_list<std::span<const uint8_t>> parts);
Bytes sequence(const std::vector<Bytes>& parts);
// SET with the elements in the given order (for SET types with distinct members).
Bytes set(const std::vector<Bytes>& parts);
// SET OF: elements sorted as DER requires (X.690 11.6).
Bytes set_of(std::vector<Bytes> parts);
// The sorted, concatenated contents of a SET OF without its tag (for IMPLICIT [n] SET OF).
Bytes set_of_content(std::vector<Bytes> parts);
// Replace the tag of a complete encoding (IMPLICIT tagging); throws if `encoding` is not one TLV.
Bytes retag(uint8_t tag, std::span<const uint8_t> encoding);
// [n] EXPLICIT: a constructed context tag around one complete encoding.
Bytes explicit_tag(unsigned n, std::span<const uint8_t> inner);

Bytes integer(int64_t value);
// Non-negative integer from big-endian magnitude bytes (leading zeros trimmed, 0x00 added if
// the top bit is set).
Bytes integer_unsigned(std::span<const uint8_t> magnitude);
Bytes boolean(bool value);
Bytes null();
Bytes oid(std::string_view dotted);  // "1.2.840.113549.1.7.2"; throws std::invalid_argument
Bytes octet_string(std::span<const uint8_t> content);
Bytes bit_string(std::span<const uint8_t> content, unsigned unused_bits = 0);
Bytes utf8_string(std::string_view s);
Bytes ia5_string(std::string_view s);
Bytes bmp_string(std::u16string_view s);
Bytes utc_time(std::time_t t);          // YYMMDDHHMMSSZ
Bytes generalized_time(std::time_t t);  // YYYYMMDDHHMMSSZ
// X.509/CMS Time rule: UTCTime for 1950..2049, GeneralizedTime otherwise.
Bytes time(std::time_t t);
// AlgorithmIdentifier { oid, parameters } with absent parameters, or with the given encoding.
Bytes algorithm(std::string_view oid_dotted);
Bytes algorithm(std::string_view oid_dotted, std::span<const uint8_t> parameters);

// X.690 DER ordering of two encodings (shorter one padded with zero octets).
bool der_less(std::span<const uint8_t> a, std::span<const uint8_t> b);

// ---- reader ----------------------------------------------------------------------------------

struct Tlv {
  uint8_t tag = 0;
  std::span<const uint8_t> content;  // the value octets
  std::span<const uint8_t> whole;    // tag + length + value
};

// Reads consecutive TLVs from a buffer. Malformed input (truncation, indefinite or non-minimal
// lengths, high tag numbers, lengths beyond the buffer) throws io::Error naming `what`.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data, std::string what = "DER data");
  bool at_end() const { return pos_ >= data_.size(); }
  std::optional<uint8_t> peek_tag() const;
  Tlv next();
  Tlv expect(uint8_t tag);                   // next() and check its tag
  std::optional<Tlv> optional(uint8_t tag);  // next() only if the tag matches
  Reader enter(uint8_t tag);                 // expect(tag) and read its content
  void expect_end() const;                   // throw if bytes remain
  std::span<const uint8_t> remaining() const { return data_.subspan(pos_); }

  [[noreturn]] void fail(const std::string& why) const;

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  std::string what_;
};

// Decoders for primitive contents (the `content` of a Tlv).
std::string decode_oid(std::span<const uint8_t> content);        // "1.2.840..."; throws io::Error
int64_t decode_small_integer(std::span<const uint8_t> content);  // throws if it does not fit

// ---- PEM and base64 --------------------------------------------------------------------------

std::string base64_encode(std::span<const uint8_t> data);
// Ignores whitespace; throws io::Error on invalid characters or padding.
Bytes base64_decode(std::string_view text);
// "-----BEGIN label-----\n" + base64 in 64-character lines + "-----END label-----\n".
std::string pem_encode(std::string_view label, std::span<const uint8_t> der);
// The first PEM block whose label is one of `labels` (any label when empty); nullopt if none.
struct PemBlock {
  std::string label;
  Bytes der;
};
std::optional<PemBlock> pem_decode(std::string_view text,
                                   std::initializer_list<std::string_view> labels = {});
bool looks_like_pem(std::span<const uint8_t> data);

}  // namespace signet::crypto::der
