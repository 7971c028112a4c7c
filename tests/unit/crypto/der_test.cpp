#include "crypto/der.hpp"

#include <gtest/gtest.h>

#include "io/error.hpp"
#include "io/hash.hpp"

using namespace signet::crypto;
using signet::io::to_hex;

namespace {
std::string hex(const der::Bytes& b) {
  return to_hex(b);
}
der::Bytes bytes(std::initializer_list<uint8_t> b) {
  return der::Bytes(b);
}
}  // namespace

TEST(Der, Integers) {
  EXPECT_EQ(hex(der::integer(0)), "020100");
  EXPECT_EQ(hex(der::integer(1)), "020101");
  EXPECT_EQ(hex(der::integer(127)), "02017f");
  EXPECT_EQ(hex(der::integer(128)), "02020080");
  EXPECT_EQ(hex(der::integer(256)), "02020100");
  EXPECT_EQ(hex(der::integer(-1)), "0201ff");
  EXPECT_EQ(hex(der::integer(-128)), "020180");
  EXPECT_EQ(hex(der::integer(-129)), "0202ff7f");
  EXPECT_EQ(hex(der::integer_unsigned(bytes({0x00, 0x00, 0x80}))), "02020080");
  EXPECT_EQ(hex(der::integer_unsigned(bytes({0x01, 0x02}))), "02020102");
  EXPECT_EQ(hex(der::integer_unsigned({})), "020100");
  for (int64_t v : std::initializer_list<int64_t>{0, 1, -1, 300, -300, int64_t{1} << 40, -(int64_t{1} << 40),
                                                  INT64_MAX, INT64_MIN}) {
    der::Bytes e = der::integer(v);
    der::Reader r(e);
    EXPECT_EQ(der::decode_small_integer(r.expect(der::tag::integer).content), v);
  }
}

TEST(Der, OidsRoundTrip) {
  EXPECT_EQ(hex(der::oid("1.2.840.113549")), "06062a864886f70d");
  EXPECT_EQ(hex(der::oid("2.16.840.1.101.3.4.2.1")), "0609608648016503040201");
  EXPECT_EQ(hex(der::oid("2.999.3")), "0603883703");
  for (const char* o :
       {"1.2.840.113549.1.7.2", "1.3.6.1.4.1.311.2.1.4", "2.5.4.3", "0.9.2342.19200300.100.1.25"}) {
    der::Bytes e = der::oid(o);
    EXPECT_EQ(der::decode_oid(der::Reader(e).expect(der::tag::oid).content), o);
  }
  EXPECT_THROW(der::oid("1"), std::invalid_argument);
  EXPECT_THROW(der::oid("1.40"), std::invalid_argument);
  EXPECT_THROW(der::oid("1.2.x"), std::invalid_argument);
  EXPECT_THROW(der::decode_oid(bytes({0x2a, 0x86})), signet::io::Error);        // truncated arc
  EXPECT_THROW(der::decode_oid(bytes({0x2a, 0x80, 0x01})), signet::io::Error);  // non-minimal
}

TEST(Der, LengthForms) {
  der::Bytes small(127, 0xaa), mid(200, 0xbb), big(300, 0xcc), huge(70000, 0);
  EXPECT_EQ(hex(der::octet_string(small)).substr(0, 4), "047f");
  EXPECT_EQ(hex(der::octet_string(mid)).substr(0, 6), "0481c8");
  EXPECT_EQ(hex(der::octet_string(big)).substr(0, 8), "0482012c");
  EXPECT_EQ(hex(der::octet_string(huge)).substr(0, 10), "0483011170");
  der::Bytes e = der::octet_string(big);
  der::Reader r(e);
  der::Tlv t = r.next();
  EXPECT_EQ(t.content.size(), 300u);
  EXPECT_EQ(t.whole.size(), e.size());
  EXPECT_TRUE(r.at_end());
}

TEST(Der, SetOfIsSortedAsDerRequires) {
  // Elements compare as octet strings; the shorter one is padded with zero octets.
  der::Bytes a = der::octet_string(bytes({0x05}));        // 04 01 05
  der::Bytes b = der::integer(7);                         // 02 01 07
  der::Bytes c = der::octet_string(bytes({0x01, 0x02}));  // 04 02 01 02
  EXPECT_EQ(hex(der::set_of({a, c, b})),
            "310a"
            "020107"
            "040105"
            "04020102");
  EXPECT_EQ(hex(der::set({a, b})),
            "3106"
            "040105"
            "020107");  // SET keeps the given order
  EXPECT_TRUE(der::der_less(bytes({1, 2}), bytes({1, 2, 1})));
  EXPECT_FALSE(der::der_less(bytes({1, 2}), bytes({1, 2, 0})));
  EXPECT_FALSE(der::der_less(bytes({1, 2, 0}), bytes({1, 2})));
  EXPECT_TRUE(der::der_less(bytes({1, 1, 9}), bytes({1, 2})));
}

TEST(Der, TaggingAndStructures) {
  der::Bytes alg = der::algorithm("2.16.840.1.101.3.4.2.1");
  EXPECT_EQ(hex(alg), "300b0609608648016503040201");
  EXPECT_EQ(hex(der::algorithm("1.2.840.113549.1.1.1", der::null())), "300d06092a864886f70d0101010500");
  EXPECT_EQ(hex(der::retag(der::tag::ctx_cons(1), alg)), "a10b0609608648016503040201");
  EXPECT_EQ(hex(der::explicit_tag(0, der::integer(5))), "a003020105");
  EXPECT_EQ(hex(der::boolean(true)), "0101ff");
  EXPECT_EQ(hex(der::bit_string(bytes({0xf0}), 4)), "030204f0");
  EXPECT_EQ(hex(der::bmp_string(u"Ab")), "1e0400410062");
  EXPECT_EQ(hex(der::utf8_string("hi")), "0c026869");
  EXPECT_THROW(der::retag(0x31, der::concat({der::null(), der::null()})), signet::io::Error);
}

TEST(Der, Times) {
  der::Bytes epoch = der::utc_time(0);
  EXPECT_EQ(hex(der::Bytes(epoch.begin(), epoch.begin() + 2)), "170d");
  EXPECT_EQ(std::string(epoch.begin() + 2, epoch.end()), "700101000000Z");
  // 2049-12-31T23:59:59Z is still UTCTime; 2050-01-01 switches to GeneralizedTime.
  der::Bytes last = der::time(2524607999);
  der::Bytes next = der::time(2524608000);
  EXPECT_EQ(last[0], der::tag::utc_time);
  EXPECT_EQ(std::string(last.begin() + 2, last.end()), "491231235959Z");
  EXPECT_EQ(next[0], der::tag::generalized_time);
  EXPECT_EQ(std::string(next.begin() + 2, next.end()), "20500101000000Z");
}

TEST(Der, ReaderNavigatesAndRejectsMalformedInput) {
  der::Bytes s = der::sequence({der::integer(1), der::explicit_tag(0, der::null()), der::oid("2.5.4.3")});
  der::Reader top(s);
  der::Reader in = top.enter(der::tag::sequence);
  top.expect_end();
  EXPECT_EQ(der::decode_small_integer(in.expect(der::tag::integer).content), 1);
  EXPECT_FALSE(in.optional(der::tag::ctx_cons(1)));
  EXPECT_TRUE(in.optional(der::tag::ctx_cons(0)));
  EXPECT_THROW(in.expect(der::tag::integer), signet::io::Error);
  EXPECT_EQ(der::decode_oid(in.expect(der::tag::oid).content), "2.5.4.3");
  EXPECT_TRUE(in.at_end());

  auto bad = [](der::Bytes b) {
    der::Reader r(b, "test data");
    try {
      r.next();
      r.expect_end();
    } catch (const signet::io::Error& e) {
      EXPECT_NE(std::string(e.what()).find("test data is malformed"), std::string::npos) << e.what();
      return true;
    }
    return false;
  };
  EXPECT_TRUE(bad(bytes({0x30})));                                   // truncated
  EXPECT_TRUE(bad(bytes({0x30, 0x80, 0x00, 0x00})));                 // indefinite length
  EXPECT_TRUE(bad(bytes({0x04, 0x81, 0x05, 1, 2, 3, 4, 5})));        // non-minimal long form
  EXPECT_TRUE(bad(bytes({0x04, 0x82, 0x00, 0x80})));                 // leading zero length octet
  EXPECT_TRUE(bad(bytes({0x04, 0x05, 1, 2})));                       // longer than the buffer
  EXPECT_TRUE(bad(bytes({0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 1})));  // huge length
  EXPECT_TRUE(bad(bytes({0x1f, 0x81, 0x00})));                       // high tag number
  EXPECT_TRUE(bad(bytes({0x05, 0x00, 0x05})));                       // trailing data
  EXPECT_FALSE(bad(bytes({0x05, 0x00})));
}

TEST(Der, Base64AndPem) {
  auto b = [](std::string_view s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  EXPECT_EQ(der::base64_encode(b("Man")), "TWFu");
  EXPECT_EQ(der::base64_encode(b("Ma")), "TWE=");
  EXPECT_EQ(der::base64_encode(b("M")), "TQ==");
  EXPECT_EQ(der::base64_encode(b("")), "");
  der::Bytes m = der::base64_decode("TW\nFu TWE=");
  EXPECT_EQ(std::string(m.begin(), m.end()), "ManMa");
  EXPECT_THROW(der::base64_decode("TWF"), signet::io::Error);
  EXPECT_THROW(der::base64_decode("TW=u"), signet::io::Error);
  EXPECT_THROW(der::base64_decode("T*Fu"), signet::io::Error);

  der::Bytes data(100);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  std::string pem = der::pem_encode("CMS", data);
  EXPECT_EQ(pem.rfind("-----BEGIN CMS-----\n", 0), 0u);
  EXPECT_NE(pem.find("\n-----END CMS-----\n"), std::string::npos);
  size_t first_nl = pem.find('\n');
  EXPECT_EQ(pem.find('\n', first_nl + 1) - first_nl - 1, 64u);  // 64-character lines
  std::string two = "junk\n" + der::pem_encode("CERTIFICATE", bytes({1, 2, 3})) + pem;
  auto block = der::pem_decode(two, {"CMS", "PKCS7"});
  ASSERT_TRUE(block);
  EXPECT_EQ(block->label, "CMS");
  EXPECT_EQ(block->der, data);
  EXPECT_EQ(der::pem_decode(two)->label, "CERTIFICATE");
  EXPECT_FALSE(der::pem_decode(two, {"PKCS7"}));
  EXPECT_TRUE(der::looks_like_pem(b(two)));
  EXPECT_FALSE(der::looks_like_pem(data));
}
