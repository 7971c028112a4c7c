#include "service/form.hpp"

#include <algorithm>
#include <cctype>

#include "service/http_server.hpp"
#include "service/util.hpp"

namespace signet::service {

std::optional<std::string> canonical_field(std::string_view name) {
  if (name.empty() || name.size() > 1024) return std::nullopt;
  std::vector<std::string> segments;
  std::string cur;
  size_t i = 0;
  auto push = [&](std::string s) -> bool {
    if (s.empty()) return false;
    segments.push_back(std::move(s));
    return true;
  };
  while (i < name.size()) {
    char c = name[i];
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
    if (c == '.') {
      if (!push(std::move(cur))) return std::nullopt;
      cur.clear();
      ++i;
    } else if (c == '[') {
      if (!cur.empty() && !push(std::move(cur))) return std::nullopt;
      cur.clear();
      size_t close = name.find(']', i + 1);
      if (close == std::string_view::npos || close == i + 1) return std::nullopt;
      std::string inner(name.substr(i + 1, close - i - 1));
      if (inner.find('[') != std::string::npos) return std::nullopt;
      if (!push(std::move(inner))) return std::nullopt;
      i = close + 1;
      if (i < name.size() && name[i] == '.') {
        ++i;
        if (i == name.size()) return std::nullopt;
      } else if (i < name.size() && name[i] != '[') {
        return std::nullopt;
      }
    } else if (c == ']') {
      return std::nullopt;
    } else {
      cur += c;
      ++i;
    }
  }
  if (!cur.empty())
    segments.push_back(std::move(cur));
  else if (name.back() == '.')
    return std::nullopt;
  if (segments.empty()) return std::nullopt;
  // Lowercase every segment except dictionary keys (the segment after "parameters").
  std::string out;
  bool dictionary = false;
  for (size_t s = 0; s < segments.size(); ++s) {
    std::string seg = dictionary && s == 1 ? segments[s] : to_lower(segments[s]);
    if (s == 0 && seg == "parameters") dictionary = true;
    out += (s ? "." : "") + seg;
  }
  if (dictionary && segments.size() != 2) return std::nullopt;  // parameters.a.b is not a dictionary entry
  return out;
}

std::map<std::string, std::string> FormData::dictionary(const std::string& prefix) const {
  std::map<std::string, std::string> out;
  std::string p = prefix + ".";
  for (auto it = fields.lower_bound(p); it != fields.end() && it->first.compare(0, p.size(), p) == 0; ++it) {
    out[it->first.substr(p.size())] = it->second;
  }
  return out;
}

FormCollector::FormCollector(ArtifactStore& store, std::vector<std::string> file_fields, FormData& out)
    : store_(store), file_fields_(std::move(file_fields)), out_(out) {}

void FormCollector::on_part_begin(const PartHeaders& headers) {
  auto key = canonical_field(headers.name);
  value_.clear();
  if (!key) {
    out_.problems.push_back("invalid form field name '" + headers.name.substr(0, 100) + "'");
    kind_ = Kind::discard;
    return;
  }
  key_ = *key;
  bool is_file = std::find(file_fields_.begin(), file_fields_.end(), key_) != file_fields_.end();
  if (is_file) {
    if (out_.files.count(key_)) {
      out_.problems.push_back("form field '" + headers.name + "' is given more than once");
      kind_ = Kind::discard;
      return;
    }
    kind_ = Kind::file;
    file_.data = store_.incoming();
    file_.filename = headers.filename.value_or("");
  } else if (headers.filename && !headers.filename->empty()) {
    kind_ = Kind::discard;  // an unexpected file: not kept
  } else {
    kind_ = Kind::field;
  }
}

void FormCollector::on_part_data(std::span<const uint8_t> data) {
  switch (kind_) {
    case Kind::file:
      file_.data->write(data);
      break;
    case Kind::field:
      if (value_.size() + data.size() > kMaxFieldBytes) {
        throw MultipartError("form field '" + key_ + "' is longer than " + std::to_string(kMaxFieldBytes) +
                             " bytes");
      }
      total_field_bytes_ += data.size();
      if (total_field_bytes_ > kMaxTotalFieldBytes) throw MultipartError("form fields exceed 1 MiB in total");
      value_.append(reinterpret_cast<const char*>(data.data()), data.size());
      break;
    case Kind::discard:
      break;
  }
}

void FormCollector::on_part_end() {
  if (kind_ == Kind::file) {
    out_.files.emplace(key_, std::move(file_));
    file_ = UploadedFile{};
  } else if (kind_ == Kind::field) {
    if (!out_.fields.emplace(key_, value_).second) {
      out_.problems.push_back("form field '" + key_ + "' is given more than once");
    }
  }
  kind_ = Kind::discard;
}

void parse_urlencoded(std::string_view body, FormData& out) {
  for (const auto& item : split(body, '&')) {
    if (item.empty()) continue;
    auto eq = item.find('=');
    std::string name = http::percent_decode(std::string_view(item).substr(0, eq), true);
    std::string value =
        eq == std::string::npos ? "" : http::percent_decode(std::string_view(item).substr(eq + 1), true);
    auto key = canonical_field(name);
    if (!key) {
      out.problems.push_back("invalid form field name '" + name.substr(0, 100) + "'");
    } else if (!out.fields.emplace(*key, value).second) {
      out.problems.push_back("form field '" + *key + "' is given more than once");
    }
  }
}

}  // namespace signet::service
