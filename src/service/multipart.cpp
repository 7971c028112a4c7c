#include "service/multipart.hpp"

#include <algorithm>
#include <cctype>

#include "service/util.hpp"

namespace signet::service {

namespace {

bool is_bchar(char c) {
  // RFC 2046 bcharsnospace plus space (not last).
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

// Splits "a; b=c; d=\"e;f\"" at semicolons outside quotes.
std::vector<std::string> split_params(std::string_view v) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (quoted && c == '\\' && i + 1 < v.size()) {
      cur += c;
      cur += v[++i];
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (c == ';' && !quoted) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (quoted) throw MultipartError("unterminated quoted string in header parameter");
  out.push_back(trim(cur));
  return out;
}

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    std::string out;
    for (size_t i = 1; i + 1 < v.size(); ++i) {
      if (v[i] == '\\' && i + 2 < v.size()) ++i;
      out += v[i];
    }
    return out;
  }
  return std::string(v);
}

// RFC 5987 ext-value: charset'lang'pct-encoded (UTF-8 assumed).
std::string decode_ext_value(std::string_view v) {
  size_t q1 = v.find('\''), q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) throw MultipartError("malformed extended header parameter");
  std::string out;
  for (size_t i = q2 + 1; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size() && std::isxdigit(static_cast<unsigned char>(v[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(v[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(v.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (v[i] == '%') {
      throw MultipartError("malformed percent-encoding in extended header parameter");
    } else {
      out += v[i];
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> header_param(std::string_view header_value, std::string_view param) {
  auto items = split_params(header_value);
  std::optional<std::string> plain, ext;
  for (size_t i = 1; i < items.size(); ++i) {
    auto eq = items[i].find('=');
    if (eq == std::string::npos) continue;
    std::string key = to_lower(trim(std::string_view(items[i]).substr(0, eq)));
    std::string value = trim(std::string_view(items[i]).substr(eq + 1));
    if (key == param) plain = unquote(value);
    if (key == std::string(param) + "*") ext = decode_ext_value(unquote(value));
  }
  return ext ? ext : plain;
}

std::string multipart_boundary(std::string_view content_type) {
  auto items = split_params(content_type);
  if (items.empty() || !iequals(items[0], "multipart/form-data")) {
    throw MultipartError("Content-Type must be multipart/form-data (got '" +
                         std::string(content_type.substr(0, 100)) + "')");
  }
  auto b = header_param(content_type, "boundary");
  if (!b || b->empty()) throw MultipartError("multipart/form-data Content-Type has no boundary parameter");
  if (b->size() > 70 || b->back() == ' ' || !std::all_of(b->begin(), b->end(), is_bchar)) {
    throw MultipartError("multipart boundary is invalid (RFC 2046: 1 to 70 characters from a limited set)");
  }
  return *b;
}

MultipartParser::MultipartParser(std::string boundary, MultipartHandler& handler, MultipartLimits limits)
    : delimiter_("\r\n--" + boundary), handler_(handler), limits_(limits) {
  buf_ = "\r\n";  // so the first delimiter (at the very start) looks like every other one
}

void MultipartParser::feed(std::span<const uint8_t> data) {
  if (state_ == State::done) return;  // epilogue is ignored
  buf_.append(reinterpret_cast<const char*>(data.data()), data.size());
  process();
}

void MultipartParser::finish() {
  if (state_ == State::done) return;
  switch (state_) {
    case State::preamble:
      throw MultipartError("multipart body has no part (boundary not found)");
    case State::headers:
      throw MultipartError("multipart body ends inside the headers of part " + std::to_string(parts_));
    case State::body:
      throw MultipartError("multipart body ends inside part " + std::to_string(parts_) +
                           " (closing boundary missing)");
    default:
      throw MultipartError("multipart body ends before the closing boundary");
  }
}

void MultipartParser::process() {
  size_t pos = 0;  // consumed prefix of buf_
  for (;;) {
    std::string_view rest(buf_.data() + pos, buf_.size() - pos);
    if (state_ == State::preamble) {
      size_t p = rest.find(delimiter_);
      if (p == std::string_view::npos) {
        // Keep only what could still be the start of a delimiter.
        if (rest.size() >= delimiter_.size()) pos += rest.size() - (delimiter_.size() - 1);
        break;
      }
      pos += p + delimiter_.size();
      state_ = State::after_delimiter;
    } else if (state_ == State::after_delimiter) {
      if (rest.size() < 2) break;
      if (rest.substr(0, 2) == "--") {
        state_ = State::done;
        pos = buf_.size();
        break;
      }
      size_t i = 0;
      while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;  // transport padding
      if (i > 256) throw MultipartError("too much whitespace after a multipart boundary");
      if (rest.size() < i + 2) break;
      if (rest.substr(i, 2) != "\r\n") throw MultipartError("multipart boundary is not followed by CRLF");
      pos += i + 2;
      if (++parts_ > limits_.max_parts) {
        throw MultipartError("too many multipart parts (limit " + std::to_string(limits_.max_parts) + ")");
      }
      state_ = State::headers;
    } else if (state_ == State::headers) {
      size_t end;
      size_t skip;
      if (rest.substr(0, 2) == "\r\n") {
        end = 0;
        skip = 2;
      } else {
        end = rest.find("\r\n\r\n");
        skip = 4;
      }
      if (end == std::string_view::npos || (end == 0 && rest.size() < 2)) {
        if (rest.size() > limits_.max_header_bytes) {
          throw MultipartError("headers of multipart part " + std::to_string(parts_) + " exceed " +
                               std::to_string(limits_.max_header_bytes) + " bytes");
        }
        break;
      }
      if (end > limits_.max_header_bytes) {
        throw MultipartError("headers of multipart part " + std::to_string(parts_) + " exceed " +
                             std::to_string(limits_.max_header_bytes) + " bytes");
      }
      parse_headers(rest.substr(0, end));
      pos += end + skip;
      state_ = State::body;
    } else if (state_ == State::body) {
      size_t p = rest.find(delimiter_);
      if (p == std::string_view::npos) {
        if (rest.size() >= delimiter_.size()) {
          size_t safe = rest.size() - (delimiter_.size() - 1);
          handler_.on_part_data(
              std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(rest.data()), safe));
          pos += safe;
        }
        break;
      }
      if (p > 0)
        handler_.on_part_data(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(rest.data()), p));
      handler_.on_part_end();
      pos += p + delimiter_.size();
      state_ = State::after_delimiter;
    } else {
      pos = buf_.size();
      break;
    }
  }
  buf_.erase(0, pos);
}

void MultipartParser::parse_headers(std::string_view block) {
  PartHeaders h;
  bool have_disposition = false;
  std::string part = "multipart part " + std::to_string(parts_);
  for (const auto& raw : split(block, '\n')) {
    std::string_view line(raw);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t')
      throw MultipartError(part + ": folded header lines are not allowed");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) throw MultipartError(part + ": malformed header line");
    std::string name = to_lower(trim(line.substr(0, colon)));
    std::string value = trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (have_disposition) throw MultipartError(part + ": Content-Disposition given twice");
      have_disposition = true;
      auto items = split_params(value);
      if (!iequals(items[0], "form-data"))
        throw MultipartError(part + ": Content-Disposition must be form-data");
      auto n = header_param(value, "name");
      if (!n) throw MultipartError(part + ": Content-Disposition has no name");
      h.name = *n;
      h.filename = header_param(value, "filename");
    } else if (name == "content-type") {
      h.content_type = value;
    }
  }
  if (!have_disposition) throw MultipartError(part + ": Content-Disposition header missing");
  if (h.name.empty()) throw MultipartError(part + ": empty field name");
  handler_.on_part_begin(h);
}

}  // namespace signet::service
