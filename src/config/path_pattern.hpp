// Path patterns of the artifact configuration language (SIGNPATH.md §1.2): case-insensitive, '/'
// and '\' both separate segments, '*' any characters within a segment, '?' one character,
// [abc] [a-z] [!abc] [!a-z] one character from (or not from) a set, '**' as a whole segment any
// number of directory levels (zero included). "." alone is the container root.
#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/error.hpp"

namespace signet::config {

// Splits on '/' and '\', dropping empty segments ("a//b\c/" -> a, b, c).
std::vector<std::string> split_path(std::string_view path);

class PathPattern {
 public:
  PathPattern() = default;  // matches only the empty path (like ".")

  // Throws io::Error at `where` for invalid syntax: empty pattern or segment, '**' inside a
  // segment (`a**`), unterminated or empty '[', reversed range, '..' segment.
  static PathPattern parse(std::string_view pattern, const io::Location& where);

  // Whole-path match; the path is split like split_path.
  bool matches(std::string_view path) const;
  bool matches_segments(std::span<const std::string> segments) const;
  // Every k such that the first k segments match the pattern (ascending). Lets a caller find
  // the directories a pattern selects among the prefixes of an entry path.
  std::vector<size_t> matching_prefixes(std::span<const std::string> segments) const;

  size_t segment_count() const { return segments_.size(); }
  bool has_double_star() const;
  bool has_wildcards() const;  // any of * ? [ ** (a literal pattern matches at most one path)
  bool is_root() const { return segments_.empty(); }  // "."
  const std::string& text() const { return text_; }

 private:
  struct Item {
    enum class Kind { literal, any_char, star, set } kind = Kind::literal;
    char32_t ch = 0;                                    // literal
    bool negated = false;                               // set
    std::vector<std::pair<char32_t, char32_t>> ranges;  // set
  };
  struct Segment {
    bool double_star = false;
    std::vector<Item> items;
  };
  static bool match_segment(const Segment& seg, std::string_view text);
  static bool match_item(const Item& item, char32_t c);

  std::string text_;
  std::vector<Segment> segments_;
};

}  // namespace signet::config
