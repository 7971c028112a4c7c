#include "io/utf16.hpp"

#include <gtest/gtest.h>

namespace signet::io {
namespace {

TEST(Utf16, RoundTripsBmpAndSupplementaryCharacters) {
  const std::string s = "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";  // A é € 😀
  const std::u16string u = utf8_to_utf16(s);
  EXPECT_EQ(u, (std::u16string{u'A', 0x00e9, 0x20ac, 0xd83d, 0xde00}));
  EXPECT_EQ(utf16_to_utf8(u), s);
}

TEST(Utf16, MalformedInputBecomesReplacementCharacter) {
  EXPECT_EQ(utf8_to_utf16("\xff"
                          "a"),
            (std::u16string{0xfffd, u'a'}));
  EXPECT_EQ(utf8_to_utf16("\xe2\x82"), (std::u16string{0xfffd, 0xfffd}));  // truncated sequence
  EXPECT_EQ(utf16_to_utf8(std::u16string{0xd800, u'a'}),
            "\xef\xbf\xbd"
            "a");                                                    // lone high surrogate
  EXPECT_EQ(utf16_to_utf8(std::u16string{0xdc00}), "\xef\xbf\xbd");  // lone low surrogate
}

}  // namespace
}  // namespace signet::io
