#include "config/path_pattern.hpp"

namespace signet::config {

namespace {

constexpr char32_t kInvalidByteBase = 0x110000;  // invalid UTF-8 bytes decode above Unicode

bool is_separator(char c) {
  return c == '/' || c == '\\';
}

// Decodes one UTF-8 code point at s[i] and advances i. A byte that does not start a valid
// sequence decodes to kInvalidByteBase + byte, so it still compares equal only to itself.
char32_t next_code_point(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return kInvalidByteBase + b;
  }
  char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) {
      ++i;
      return kInvalidByteBase + b;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  i += len;
  return cp;
}

char32_t fold(char32_t c) {
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}
char32_t upper(char32_t c) {
  return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c;
}

std::vector<std::string_view> split_views(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || is_separator(path[i])) {
      out.push_back(path.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  for (auto v : split_views(path)) {
    if (!v.empty()) out.emplace_back(v);
  }
  return out;
}

PathPattern PathPattern::parse(std::string_view pattern, const io::Location& where) {
  auto fail = [&](const std::string& why) -> PathPattern {
    throw io::Error("invalid path pattern '" + std::string(pattern) + "': " + why, where);
  };
  PathPattern p;
  p.text_ = std::string(pattern);
  if (pattern.empty()) return fail("the path is empty");
  if (pattern == ".") return p;
  for (auto seg : split_views(pattern)) {
    if (seg.empty()) return fail("empty path segment (leading, trailing or doubled separator)");
    if (seg == ".") continue;  // "./a" is "a"
    if (seg == "..") return fail("'..' is not allowed");
    Segment s;
    if (seg == "**") {
      s.double_star = true;
      p.segments_.push_back(std::move(s));
      continue;
    }
    if (seg.find("**") != std::string_view::npos) {
      return fail("'**' must be a whole path segment (as in '**/*.dll'), not part of '" + std::string(seg) +
                  "'");
    }
    size_t i = 0;
    while (i < seg.size()) {
      Item item;
      if (seg[i] == '*') {
        item.kind = Item::Kind::star;
        ++i;
      } else if (seg[i] == '?') {
        item.kind = Item::Kind::any_char;
        ++i;
      } else if (seg[i] == '[') {
        item.kind = Item::Kind::set;
        size_t j = i + 1;
        if (j < seg.size() && seg[j] == '!') {
          item.negated = true;
          ++j;
        }
        bool first = true;  // a ']' right after '[' or '[!' is a literal member
        bool closed = false;
        while (j < seg.size()) {
          if (seg[j] == ']' && !first) {
            closed = true;
            ++j;
            break;
          }
          first = false;
          char32_t lo = next_code_point(seg, j);
          char32_t hi = lo;
          if (j + 1 < seg.size() && seg[j] == '-' && seg[j + 1] != ']') {
            ++j;
            hi = next_code_point(seg, j);
            if (hi < lo) return fail("reversed range in '" + std::string(seg.substr(i, j - i)) + "'");
          }
          item.ranges.emplace_back(lo, hi);
        }
        if (!closed) return fail("unterminated '[' in '" + std::string(seg) + "'");
        i = j;
      } else {
        item.ch = fold(next_code_point(seg, i));
      }
      s.items.push_back(std::move(item));
    }
    p.segments_.push_back(std::move(s));
  }
  return p;
}

bool PathPattern::match_item(const Item& item, char32_t c) {
  switch (item.kind) {
    case Item::Kind::literal:
      return item.ch == fold(c);
    case Item::Kind::any_char:
      return true;
    case Item::Kind::set: {
      bool in = false;
      for (char32_t v : {c, fold(c), upper(c)}) {
        for (const auto& [lo, hi] : item.ranges) {
          if (v >= lo && v <= hi) in = true;
        }
      }
      return in != item.negated;
    }
    case Item::Kind::star:
      break;
  }
  return false;
}

// Glob match of one segment; '*' backtracks to its last position (linear for one star kind).
bool PathPattern::match_segment(const Segment& seg, std::string_view text) {
  std::vector<char32_t> cps;
  for (size_t i = 0; i < text.size();) cps.push_back(next_code_point(text, i));
  const auto& items = seg.items;
  size_t p = 0, s = 0, star_p = SIZE_MAX, star_s = 0;
  while (s < cps.size()) {
    if (p < items.size() && items[p].kind == Item::Kind::star) {
      star_p = p++;
      star_s = s;
    } else if (p < items.size() && match_item(items[p], cps[s])) {
      ++p;
      ++s;
    } else if (star_p != SIZE_MAX) {
      p = star_p + 1;
      s = ++star_s;
    } else {
      return false;
    }
  }
  while (p < items.size() && items[p].kind == Item::Kind::star) ++p;
  return p == items.size();
}

// The same backtracking over segments, with '**' as the star.
bool PathPattern::matches_segments(std::span<const std::string> segs) const {
  size_t p = 0, s = 0, star_p = SIZE_MAX, star_s = 0;
  while (s < segs.size()) {
    if (p < segments_.size() && segments_[p].double_star) {
      star_p = p++;
      star_s = s;
    } else if (p < segments_.size() && match_segment(segments_[p], segs[s])) {
      ++p;
      ++s;
    } else if (star_p != SIZE_MAX) {
      p = star_p + 1;
      s = ++star_s;
    } else {
      return false;
    }
  }
  while (p < segments_.size() && segments_[p].double_star) ++p;
  return p == segments_.size();
}

bool PathPattern::matches(std::string_view path) const {
  auto segs = split_path(path);
  std::erase(segs, ".");
  return matches_segments(segs);
}

std::vector<size_t> PathPattern::matching_prefixes(std::span<const std::string> segments) const {
  std::vector<size_t> out;
  for (size_t k = 0; k <= segments.size(); ++k) {
    if (matches_segments(segments.first(k))) out.push_back(k);
  }
  return out;
}

bool PathPattern::has_double_star() const {
  for (const auto& s : segments_) {
    if (s.double_star) return true;
  }
  return false;
}

bool PathPattern::has_wildcards() const {
  for (const auto& s : segments_) {
    if (s.double_star) return true;
    for (const auto& i : s.items) {
      if (i.kind != Item::Kind::literal) return true;
    }
  }
  return false;
}

}  // namespace signet::config
