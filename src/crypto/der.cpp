#include "crypto/der.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "io/error.hpp"

namespace signet::crypto::der {

namespace {

void append_length(Bytes& out, size_t len) {
  if (len < 0x80) {
    out.push_back(static_cast<uint8_t>(len));
    return;
  }
  uint8_t buf[sizeof(size_t)];
  int n = 0;
  for (size_t v = len; v != 0; v >>= 8) buf[n++] = static_cast<uint8_t>(v & 0xff);
  out.push_back(static_cast<uint8_t>(0x80 | n));
  while (n > 0) out.push_back(buf[--n]);
}

Bytes wrap(uint8_t tag, const std::vector<Bytes>& parts) {
  size_t total = 0;
  for (const auto& p : parts) total += p.size();
  Bytes out;
  out.reserve(total + 10);
  out.push_back(tag);
  append_length(out, total);
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes wrap(uint8_t tag, std::initializer_list<std::span<const uint8_t>> parts) {
  size_t total = 0;
  for (const auto& p : parts) total += p.size();
  Bytes out;
  out.reserve(total + 10);
  out.push_back(tag);
  append_length(out, total);
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::tm utc(std::time_t t) {
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) throw std::invalid_argument("time out of range");
  return tm;
}

Bytes time_string(uint8_t tag, const char* fmt, std::time_t t) {
  std::tm tm = utc(t);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, fmt, &tm);
  return tlv(tag, as_bytes(std::string_view(buf, n)));
}

}  // namespace

Bytes tlv(uint8_t tag, std::span<const uint8_t> content) {
  return wrap(tag, {content});
}

Bytes concat(std::initializer_list<std::span<const uint8_t>> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes sequence(std::initializer_list<std::span<const uint8_t>> parts) {
  return wrap(tag::sequence, parts);
}
Bytes sequence(const std::vector<Bytes>& parts) {
  return wrap(tag::sequence, parts);
}
Bytes set(const std::vector<Bytes>& parts) {
  return wrap(tag::set, parts);
}

bool der_less(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return a[i] < b[i];
  }
  // Equal prefix: the shorter is padded with zeros, so it is smaller only if the longer has a
  // non-zero octet after the prefix.
  if (a.size() < b.size()) return std::any_of(b.begin() + n, b.end(), [](uint8_t c) { return c != 0; });
  return false;
}

Bytes set_of_content(std::vector<Bytes> parts) {
  std::stable_sort(parts.begin(), parts.end(), [](const Bytes& a, const Bytes& b) { return der_less(a, b); });
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes set_of(std::vector<Bytes> parts) {
  return tlv(tag::set, set_of_content(std::move(parts)));
}

Bytes retag(uint8_t new_tag, std::span<const uint8_t> encoding) {
  Reader r(encoding, "encoding to retag");
  Tlv t = r.next();
  r.expect_end();
  return tlv(new_tag, t.content);
}

Bytes explicit_tag(unsigned n, std::span<const uint8_t> inner) {
  return tlv(tag::ctx_cons(n), inner);
}

Bytes integer(int64_t value) {
  // Two's complement, big-endian, minimal: drop leading octets that only repeat the sign.
  uint8_t buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<uint8_t>(static_cast<uint64_t>(value) >> (56 - 8 * i));
  int start = 0;
  while (start < 7 && ((buf[start] == 0x00 && !(buf[start + 1] & 0x80)) ||
                       (buf[start] == 0xff && (buf[start + 1] & 0x80)))) {
    ++start;
  }
  return tlv(tag::integer, std::span<const uint8_t>(buf + start, 8 - start));
}

Bytes integer_unsigned(std::span<const uint8_t> magnitude) {
  size_t start = 0;
  while (start < magnitude.size() && magnitude[start] == 0) ++start;
  Bytes content;
  if (start == magnitude.size() || (magnitude[start] & 0x80)) content.push_back(0);
  content.insert(content.end(), magnitude.begin() + static_cast<std::ptrdiff_t>(start), magnitude.end());
  return tlv(tag::integer, content);
}

Bytes boolean(bool value) {
  uint8_t v = value ? 0xff : 0x00;
  return tlv(tag::boolean, std::span<const uint8_t>(&v, 1));
}

Bytes null() {
  return Bytes{tag::null, 0x00};
}

Bytes oid(std::string_view dotted) {
  std::vector<uint64_t> arcs;
  size_t i = 0;
  while (i <= dotted.size()) {
    size_t dot = dotted.find('.', i);
    if (dot == std::string_view::npos) dot = dotted.size();
    std::string_view part = dotted.substr(i, dot - i);
    if (part.empty() || part.size() > 19 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      throw std::invalid_argument("bad OID '" + std::string(dotted) + "'");
    }
    arcs.push_back(std::stoull(std::string(part)));
    i = dot + 1;
  }
  if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40)) {
    throw std::invalid_argument("bad OID '" + std::string(dotted) + "'");
  }
  Bytes content;
  auto put = [&](uint64_t v) {
    uint8_t buf[10];
    int n = 0;
    do {
      buf[n++] = static_cast<uint8_t>(v & 0x7f);
      v >>= 7;
    } while (v != 0);
    while (n > 1) content.push_back(static_cast<uint8_t>(buf[--n] | 0x80));
    content.push_back(buf[0]);
  };
  put(arcs[0] * 40 + arcs[1]);
  for (size_t k = 2; k < arcs.size(); ++k) put(arcs[k]);
  return tlv(tag::oid, content);
}

Bytes octet_string(std::span<const uint8_t> content) {
  return tlv(tag::octet_string, content);
}

Bytes bit_string(std::span<const uint8_t> content, unsigned unused_bits) {
  Bytes c;
  c.reserve(content.size() + 1);
  c.push_back(static_cast<uint8_t>(unused_bits));
  c.insert(c.end(), content.begin(), content.end());
  return tlv(tag::bit_string, c);
}

Bytes utf8_string(std::string_view s) {
  return tlv(tag::utf8_string, as_bytes(s));
}
Bytes ia5_string(std::string_view s) {
  return tlv(tag::ia5_string, as_bytes(s));
}

Bytes bmp_string(std::u16string_view s) {
  Bytes c;
  c.reserve(s.size() * 2);
  for (char16_t ch : s) {
    c.push_back(static_cast<uint8_t>(ch >> 8));
    c.push_back(static_cast<uint8_t>(ch & 0xff));
  }
  return tlv(tag::bmp_string, c);
}

Bytes utc_time(std::time_t t) {
  return time_string(tag::utc_time, "%y%m%d%H%M%SZ", t);
}
Bytes generalized_time(std::time_t t) {
  return time_string(tag::generalized_time, "%Y%m%d%H%M%SZ", t);
}

Bytes time(std::time_t t) {
  int year = utc(t).tm_year + 1900;
  return (year >= 1950 && year < 2050) ? utc_time(t) : generalized_time(t);
}

Bytes algorithm(std::string_view oid_dotted) {
  return sequence({oid(oid_dotted)});
}

Bytes algorithm(std::string_view oid_dotted, std::span<const uint8_t> parameters) {
  return sequence({oid(oid_dotted), parameters});
}

// ---- reader ----------------------------------------------------------------------------------

Reader::Reader(std::span<const uint8_t> data, std::string what) : data_(data), what_(std::move(what)) {}

void Reader::fail(const std::string& why) const {
  throw io::Error(what_ + " is malformed: " + why + " (at byte " + std::to_string(pos_) + ")");
}

std::optional<uint8_t> Reader::peek_tag() const {
  if (at_end()) return std::nullopt;
  return data_[pos_];
}

Tlv Reader::next() {
  size_t start = pos_;
  size_t left = data_.size() - pos_;
  if (left < 2) fail("truncated element");
  uint8_t t = data_[pos_];
  if ((t & 0x1f) == 0x1f) fail("unsupported high tag number");
  uint8_t first = data_[pos_ + 1];
  size_t header = 2;
  size_t len = 0;
  if (first < 0x80) {
    len = first;
  } else {
    size_t n = first & 0x7f;
    if (n == 0) fail("indefinite length is not DER");
    if (n > sizeof(size_t)) fail("length too large");
    if (left < 2 + n) fail("truncated length");
    if (data_[pos_ + 2] == 0) fail("non-minimal length");
    for (size_t i = 0; i < n; ++i) len = (len << 8) | data_[pos_ + 2 + i];
    if (len < 0x80) fail("non-minimal length");
    header += n;
  }
  if (len > left - header) fail("element longer than its container");
  pos_ += header + len;
  return Tlv{t, data_.subspan(start + header, len), data_.subspan(start, header + len)};
}

Tlv Reader::expect(uint8_t t) {
  auto p = peek_tag();
  if (!p) fail("missing element");
  if (*p != t) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "expected tag 0x%02x, found 0x%02x", t, *p);
    fail(buf);
  }
  return next();
}

std::optional<Tlv> Reader::optional(uint8_t t) {
  if (peek_tag() != t) return std::nullopt;
  return next();
}

Reader Reader::enter(uint8_t t) {
  return Reader(expect(t).content, what_);
}

void Reader::expect_end() const {
  if (!at_end()) fail("unexpected trailing data");
}

std::string decode_oid(std::span<const uint8_t> content) {
  if (content.empty()) throw io::Error("malformed OID: empty");
  std::string out;
  uint64_t v = 0;
  bool first = true;
  bool fresh = true;
  for (size_t i = 0; i < content.size(); ++i) {
    uint8_t c = content[i];
    if (fresh && c == 0x80) throw io::Error("malformed OID: non-minimal arc");
    if (v >> 57) throw io::Error("malformed OID: arc too large");
    v = (v << 7) | (c & 0x7f);
    fresh = false;
    if (c & 0x80) continue;
    if (first) {
      uint64_t a = v < 40 ? 0 : (v < 80 ? 1 : 2);
      out = std::to_string(a) + "." + std::to_string(v - 40 * a);
      first = false;
    } else {
      out += "." + std::to_string(v);
    }
    v = 0;
    fresh = true;
  }
  if (!fresh) throw io::Error("malformed OID: truncated arc");
  return out;
}

int64_t decode_small_integer(std::span<const uint8_t> content) {
  if (content.empty() || content.size() > 8) throw io::Error("malformed or too large INTEGER");
  if (content.size() > 1 &&
      ((content[0] == 0x00 && !(content[1] & 0x80)) || (content[0] == 0xff && (content[1] & 0x80)))) {
    throw io::Error("malformed INTEGER: non-minimal encoding");
  }
  uint64_t v = (content[0] & 0x80) ? ~uint64_t{0} : 0;
  for (uint8_t c : content) v = (v << 8) | c;
  return static_cast<int64_t>(v);
}

// ---- base64 and PEM --------------------------------------------------------------------------

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string base64_encode(std::span<const uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (size_t rest = data.size() - i; rest > 0) {
    uint32_t v = uint32_t{data[i]} << 16;
    if (rest == 2) v |= uint32_t{data[i + 1]} << 8;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += rest == 2 ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Bytes base64_decode(std::string_view text) {
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  int pad = 0;
  size_t symbols = 0;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++pad;
      ++symbols;
      continue;
    }
    int v = b64_value(c);
    if (v < 0 || pad > 0) throw io::Error("invalid base64 data");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    ++symbols;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  if (symbols % 4 != 0 || pad > 2) throw io::Error("invalid base64 data: bad length or padding");
  return out;
}

std::string pem_encode(std::string_view label, std::span<const uint8_t> der) {
  std::string b64 = base64_encode(der);
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64);
    out += '\n';
  }
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

std::optional<PemBlock> pem_decode(std::string_view text, std::initializer_list<std::string_view> labels) {
  size_t pos = 0;
  for (;;) {
    size_t begin = text.find("-----BEGIN ", pos);
    if (begin == std::string_view::npos) return std::nullopt;
    size_t label_start = begin + 11;
    size_t label_end = text.find("-----", label_start);
    if (label_end == std::string_view::npos) return std::nullopt;
    std::string label(text.substr(label_start, label_end - label_start));
    std::string end_marker = "-----END " + label + "-----";
    size_t body_start = label_end + 5;
    size_t end = text.find(end_marker, body_start);
    if (end == std::string_view::npos) throw io::Error("PEM block '" + label + "' has no END line");
    pos = end + end_marker.size();
    bool wanted = labels.size() == 0 ||
                  std::any_of(labels.begin(), labels.end(), [&](std::string_view l) { return l == label; });
    if (!wanted) continue;
    // Skip RFC 1421 header lines ("Proc-Type: ...") if any.
    std::string body;
    std::string_view rest = text.substr(body_start, end - body_start);
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      if (line.find(':') == std::string_view::npos) body.append(line);
      if (nl == std::string_view::npos) break;
      rest.remove_prefix(nl + 1);
    }
    return PemBlock{label, base64_decode(body)};
  }
}

bool looks_like_pem(std::span<const uint8_t> data) {
  std::string_view head(reinterpret_cast<const char*>(data.data()), std::min<size_t>(data.size(), 4096));
  return head.find("-----BEGIN ") != std::string_view::npos;
}

}  // namespace signet::crypto::der
