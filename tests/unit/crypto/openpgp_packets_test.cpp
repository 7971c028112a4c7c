// Packet framing, MPIs, subpackets and ASCII armor, against hand-made inputs.
#include <gtest/gtest.h>

#include "crypto/openpgp/armor.hpp"
#include "crypto/openpgp/openpgp.hpp"
#include "crypto/openpgp/packets.hpp"

namespace pgp = signet::crypto::openpgp;
using signet::io::Error;
using Bytes = std::vector<uint8_t>;

namespace {

Bytes to_bytes(const std::string& s) {
  return Bytes(s.begin(), s.end());
}
Bytes plain(const pgp::SecureBytes& b) {
  return Bytes(b.begin(), b.end());
}

}  // namespace

TEST(OpenPgpArmor, Crc24CheckValue) {
  EXPECT_EQ(pgp::crc24({}), 0xB704CEu);
  EXPECT_EQ(pgp::crc24(to_bytes("123456789")), 0x21CF02u);  // CRC-24/OpenPGP check value
}

TEST(OpenPgpArmor, RoundTripAllLengths) {
  for (size_t n : {0, 1, 2, 3, 56, 57, 58, 200}) {
    Bytes data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 31 + 7);
    std::string a = pgp::armor(data, "SIGNATURE");
    ASSERT_EQ(a.rfind("-----BEGIN PGP SIGNATURE-----\n\n", 0), 0u);
    for (size_t pos = 0, nl; (nl = a.find('\n', pos)) != std::string::npos; pos = nl + 1) {
      EXPECT_LE(nl - pos, 76u);
    }
    auto blocks = pgp::dearmor(to_bytes(a), {});
    ASSERT_EQ(blocks.size(), 1u);
    EXPECT_EQ(blocks[0].type, "SIGNATURE");
    EXPECT_EQ(plain(blocks[0].data), data);
  }
}

TEST(OpenPgpArmor, ToleratesHeadersCrlfAndNoChecksum) {
  std::string a =
      "junk before\r\n-----BEGIN PGP SIGNATURE-----\r\nVersion: Test 1.0\r\nComment: x\r\n\r\n"
      "AQID\r\n-----END PGP SIGNATURE-----  \r\n";
  auto blocks = pgp::dearmor(to_bytes(a), {});
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(plain(blocks[0].data), (Bytes{1, 2, 3}));
  EXPECT_TRUE(pgp::looks_armored(to_bytes("\n  " + a.substr(13))));
  EXPECT_FALSE(pgp::looks_armored(Bytes{0x89, 0x01}));
}

TEST(OpenPgpArmor, RejectsBadChecksumTypeMismatchAndGarbage) {
  std::string good = pgp::armor(Bytes{1, 2, 3, 4}, "SIGNATURE");
  std::string bad_crc = good;
  bad_crc[bad_crc.find("\n=") + 2] ^= 1;
  EXPECT_THROW(pgp::dearmor(to_bytes(bad_crc), {}), Error);
  std::string bad_data = good;
  bad_data[bad_data.find("\n\n") + 2] = bad_data[bad_data.find("\n\n") + 2] == 'A' ? 'B' : 'A';
  EXPECT_THROW(pgp::dearmor(to_bytes(bad_data), {}), Error);
  std::string mismatch = good;
  mismatch.replace(mismatch.find("END PGP SIGNATURE"), 17, "END PGP MESSAGE");
  EXPECT_THROW(pgp::dearmor(to_bytes(mismatch), {}), Error);
  std::string unterminated = good.substr(0, good.find("-----END"));
  EXPECT_THROW(pgp::dearmor(to_bytes(unterminated), {}), Error);
  std::string bad_char = good;
  bad_char[bad_char.find("\n\n") + 3] = '!';
  EXPECT_THROW(pgp::dearmor(to_bytes(bad_char), {}), Error);
  EXPECT_THROW(pgp::dearmor(to_bytes("no armor here"), {}), Error);
}

TEST(OpenPgpPackets, OldAndNewHeaderFormats) {
  Bytes stream = {
      0x88, 0x02, 'a',  'b',                    // old, tag 2, 1-octet length
      0xB5, 0x00, 0x01, 'c',                    // old, tag 13, 2-octet length
      0xB6, 0x00, 0x00, 0x00, 0x01, 'd',        // old, tag 13, 4-octet length
      0xCD, 0x01, 'e',                          // new, tag 13, 1-octet length
      0xCB, 0xE1, 'f',  'g',  0x01, 'h',        // new, tag 11, partial 2 octets then 1 octet
      0xCD, 0xFF, 0x00, 0x00, 0x00, 0x01, 'i',  // new, 5-octet length
      0xAF, 'r',  'e',  's',  't',              // old, tag 11, indeterminate length
  };
  auto p = pgp::split_packets(stream, {});
  ASSERT_EQ(p.size(), 7u);
  EXPECT_EQ(p[0].tag, 2);
  EXPECT_EQ(plain(p[0].body), to_bytes("ab"));
  EXPECT_EQ(plain(p[1].body), to_bytes("c"));
  EXPECT_EQ(plain(p[2].body), to_bytes("d"));
  EXPECT_EQ(p[3].tag, 13);
  EXPECT_EQ(p[4].tag, 11);
  EXPECT_EQ(plain(p[4].body), to_bytes("fgh"));
  EXPECT_EQ(plain(p[5].body), to_bytes("i"));
  EXPECT_EQ(plain(p[6].body), to_bytes("rest"));
}

TEST(OpenPgpPackets, RejectsMalformedStreams) {
  EXPECT_THROW(pgp::split_packets(Bytes{0x08, 0x00}, {}), Error);                  // no high bit
  EXPECT_THROW(pgp::split_packets(Bytes{0x88, 0x05, 'a'}, {}), Error);             // truncated body
  EXPECT_THROW(pgp::split_packets(Bytes{0xC2, 0xE1, 'a', 'b', 0x00}, {}), Error);  // partial in a signature
  EXPECT_THROW(pgp::split_packets(Bytes{0xC2, 0xFF, 0x00}, {}), Error);            // truncated length
  EXPECT_THROW(pgp::split_packets(Bytes{0xC0, 0x00}, {}), Error);                  // reserved tag 0
}

TEST(OpenPgpPackets, AppendPacketRoundTripsEveryLengthForm) {
  for (size_t n : {0, 1, 191, 192, 193, 8383, 8384, 70000}) {
    Bytes body(n, 0x5A), out;
    pgp::append_packet(out, 2, body);
    auto p = pgp::split_packets(out, {});
    ASSERT_EQ(p.size(), 1u) << n;
    EXPECT_EQ(p[0].tag, 2);
    EXPECT_EQ(p[0].body.size(), n);
  }
}

TEST(OpenPgpPackets, MpiEncoding) {
  Bytes out;
  pgp::append_mpi(out, Bytes{0x00, 0x00, 0x01});
  EXPECT_EQ(out, (Bytes{0x00, 0x01, 0x01}));
  out.clear();
  pgp::append_mpi(out, Bytes{0x80, 0x00});
  EXPECT_EQ(out, (Bytes{0x00, 0x10, 0x80, 0x00}));
  out.clear();
  pgp::append_mpi(out, Bytes{0x00});
  EXPECT_EQ(out, (Bytes{0x00, 0x00}));
  EXPECT_EQ(*pgp::left_pad(Bytes{0x01, 0x02}, 4), (Bytes{0, 0, 1, 2}));
  EXPECT_FALSE(pgp::left_pad(Bytes{1, 2, 3}, 2).has_value());
  Bytes nine_bits{0x00, 0x09, 0x01, 0xFF}, short_mpi{0x00, 0x11, 0x01};
  pgp::ByteReader r(nine_bits, {}, "test");
  EXPECT_EQ(r.mpi().size(), 2u);
  EXPECT_TRUE(r.empty());
  pgp::ByteReader t(short_mpi, {}, "test");
  EXPECT_THROW(t.mpi(), Error);
}

TEST(OpenPgpPackets, SubpacketsRoundTrip) {
  Bytes area;
  pgp::append_subpacket(area, 2, Bytes{1, 2, 3, 4});
  pgp::append_subpacket(area, 20, Bytes(300, 7));   // two-octet length
  pgp::append_subpacket(area, 20, Bytes(9000, 8));  // five-octet length
  auto subs = pgp::parse_subpackets(area, {});
  ASSERT_EQ(subs.size(), 3u);
  EXPECT_EQ(subs[0].type, 2);
  EXPECT_EQ(subs[1].data.size(), 300u);
  EXPECT_EQ(subs[2].data.size(), 9000u);
  EXPECT_THROW(pgp::parse_subpackets(Bytes{0x05, 0x02, 0x00}, {}), Error);
  EXPECT_THROW(pgp::parse_subpackets(Bytes{0x00}, {}), Error);
}
