#include "config/path_pattern.hpp"

#include <gtest/gtest.h>

using signet::config::PathPattern;
using signet::config::split_path;

namespace {

struct Case {
  const char* pattern;
  const char* path;
  bool expected;
};

// SIGNPATH.md §1.2 and the *Syntax* page's wildcard table.
const Case kCases[] = {
    // literals, case-insensitive, both separators
    {"main.exe", "main.exe", true},
    {"main.exe", "MAIN.EXE", true},
    {"Main.Exe", "main.exe", true},
    {"main.exe", "main.ex", false},
    {"main.exe", "main.exe2", false},
    {"main.exe", "bin/main.exe", false},
    {"bin/program.exe", "bin/program.exe", true},
    {"bin/program.exe", "bin\\program.exe", true},
    {"bin\\program.exe", "BIN/Program.EXE", true},
    {"bin/program.exe", "program.exe", false},
    {"./bin/a.exe", "bin/a.exe", true},
    // '*': any characters except a separator (the documented "m*y" example)
    {"m*y", "my", true},
    {"m*y", "mary", true},
    {"m*y", "my first pony", true},
    {"m*y", "m/y", false},
    {"m*y", "mx", false},
    {"*.dll", "a.dll", true},
    {"*.dll", ".dll", true},
    {"*.dll", "sub/a.dll", false},
    {"*", "anything", true},
    {"*", "a/b", false},
    {"myapp.*", "myapp.exe", true},
    {"myapp.*", "myapp.", true},
    {"*a*b*", "xxaxxbxx", true},
    {"*a*b*", "xxbxxaxx", false},
    {"resources*.resource.dll", "resources.de.resource.dll", true},
    // '?': exactly one character (one code point)
    {"th?s", "this", true},
    {"th?s", "th$s", true},
    {"th?s", "ths", false},
    {"th?s", "thiis", false},
    {"th?s", "th/s", false},
    {"?.txt", "\xC3\xA9.txt", true},  // é is one character
    {"??.txt", "\xC3\xA9.txt", false},
    // sets and ranges
    {"[fb]oo", "foo", true},
    {"[fb]oo", "boo", true},
    {"[fb]oo", "zoo", false},
    {"[FB]oo", "foo", true},
    {"[0-9]", "7", true},
    {"[0-9]", "a", false},
    {"[a-c]x", "Bx", true},
    {"[A-C]x", "bx", true},
    {"[!f]oo", "boo", true},
    {"[!f]oo", "$oo", true},
    {"[!f]oo", "foo", false},
    {"[!f]oo", "Foo", false},
    {"[!0-9]", "x", true},
    {"[!0-9]", "5", false},
    {"[]a]", "]", true},
    {"[a-]", "-", true},
    {"v[0-9].[0-9]*", "v1.2.3", true},
    // '**': whole segments, zero or more directory levels
    {"**/*.dll", "a.dll", true},
    {"**/*.dll", "x/a.dll", true},
    {"**/*.dll", "x/y/z/a.dll", true},
    {"**/*.dll", "x/y/a.exe", false},
    {"a/**/b", "a/b", true},
    {"a/**/b", "a/x/b", true},
    {"a/**/b", "a/x/y/b", true},
    {"a/**/b", "a/x/y/c", false},
    {"a/**/b", "b", false},
    {"**", "a/b/c", true},
    {"**", "", true},
    {"a/**", "a", true},
    {"a/**", "a/b/c", true},
    {"**/bin/**/*.exe", "x/bin/y/z/app.exe", true},
    {"**/bin/**/*.exe", "bin/app.exe", true},
    {"**/bin/**/*.exe", "x/lib/app.exe", false},
    // the container root
    {".", "", true},
    {".", "a", false},
};

}  // namespace

TEST(PathPattern, Table) {
  for (const auto& c : kCases) {
    auto p = PathPattern::parse(c.pattern, {"t.xml", 1, 1});
    EXPECT_EQ(p.matches(c.path), c.expected) << "pattern '" << c.pattern << "' path '" << c.path << "'";
  }
}

TEST(PathPattern, InvalidPatternsThrowAtTheGivenLocation) {
  const std::pair<const char*, const char*> bad[] = {
      {"a**", "'**' must be a whole path segment (as in '**/*.dll'), not part of 'a**'"},
      {"**a/b", "'**' must be a whole path segment (as in '**/*.dll'), not part of '**a'"},
      {"x/a**b", "'**' must be a whole path segment (as in '**/*.dll'), not part of 'a**b'"},
      {"[abc", "unterminated '[' in '[abc'"},
      {"a[!]", "unterminated '[' in 'a[!]'"},
      {"[z-a]", "reversed range in '[z-a'"},
      {"a//b", "empty path segment (leading, trailing or doubled separator)"},
      {"/a", "empty path segment (leading, trailing or doubled separator)"},
      {"a/", "empty path segment (leading, trailing or doubled separator)"},
      {"", "the path is empty"},
      {"../a", "'..' is not allowed"},
  };
  for (const auto& [pattern, why] : bad) {
    try {
      PathPattern::parse(pattern, {"cfg.xml", 7, 9});
      ADD_FAILURE() << "accepted '" << pattern << "'";
    } catch (const signet::io::Error& e) {
      EXPECT_EQ(e.message(), std::string("invalid path pattern '") + pattern + "': " + why);
      EXPECT_EQ(e.where().to_string(), "cfg.xml:7:9");
    }
  }
}

TEST(PathPattern, Properties) {
  auto p = PathPattern::parse("bin/**/*.dll", {});
  EXPECT_EQ(p.segment_count(), 3u);
  EXPECT_TRUE(p.has_double_star());
  EXPECT_TRUE(p.has_wildcards());
  EXPECT_EQ(p.text(), "bin/**/*.dll");
  auto lit = PathPattern::parse("bin\\app.exe", {});
  EXPECT_FALSE(lit.has_wildcards());
  EXPECT_FALSE(lit.has_double_star());
  EXPECT_EQ(lit.segment_count(), 2u);
  EXPECT_TRUE(PathPattern::parse(".", {}).is_root());
  PathPattern empty;  // default-constructible for callers that assign later
  EXPECT_TRUE(empty.matches(""));
  EXPECT_FALSE(empty.matches("a"));
}

TEST(PathPattern, MatchingPrefixesFindsDirectories) {
  std::vector<std::string> segs = {"component1", "resources", "de.resource.dll"};
  EXPECT_EQ(PathPattern::parse("component*", {}).matching_prefixes(segs), (std::vector<size_t>{1}));
  EXPECT_EQ(PathPattern::parse("**", {}).matching_prefixes(segs), (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(PathPattern::parse("*/resources", {}).matching_prefixes(segs), (std::vector<size_t>{2}));
  EXPECT_TRUE(PathPattern::parse("x", {}).matching_prefixes(segs).empty());
  EXPECT_TRUE(PathPattern::parse("component1/resources/*.dll", {}).matches_segments(segs));
}

TEST(SplitPath, SplitsOnBothSeparatorsAndDropsEmptySegments) {
  EXPECT_EQ(split_path("a/b\\c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split_path("/a//b/"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(split_path("").empty());
  EXPECT_TRUE(split_path("//\\").empty());
}
