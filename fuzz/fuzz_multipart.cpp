// libFuzzer target for the service's streaming multipart/form-data parser and form field binding.
// The input is split into chunks at fuzzer-chosen points (the parser must not care where), parts
// are recorded and checked: callbacks come in order, no part sees more bytes than the input has,
// and the same input fed whole gives the same parts. Hostile input may only throw MultipartError.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "service/form.hpp"
#include "service/multipart.hpp"

namespace {

using namespace signet::service;

struct Recorder : MultipartHandler {
  std::vector<std::string> names, data;
  bool open = false;
  void on_part_begin(const PartHeaders& h) override {
    if (open) std::abort();
    open = true;
    names.push_back(h.name);
    data.emplace_back();
    (void)canonical_field(h.name);
  }
  void on_part_data(std::span<const uint8_t> d) override {
    if (!open) std::abort();
    data.back().append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  void on_part_end() override {
    if (!open) std::abort();
    open = false;
  }
};

bool parse(const std::string& boundary, std::string_view body, const std::vector<size_t>& cuts, Recorder& r) {
  try {
    MultipartParser p(boundary, r, MultipartLimits{4096, 200});
    size_t at = 0;
    for (size_t cut : cuts) {
      if (cut < at || cut > body.size()) continue;
      p.feed(body.substr(at, cut - at));
      at = cut;
    }
    p.feed(body.substr(at));
    p.finish();
    return true;
  } catch (const MultipartError&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // First byte: boundary length (1..16), taken from the input; the rest is the body.
  size_t blen = 1 + data[0] % 16;
  if (size < 1 + blen) return 0;
  std::string boundary(reinterpret_cast<const char*>(data + 1), blen);
  try {
    boundary = multipart_boundary("multipart/form-data; boundary=\"" + boundary + "\"");
  } catch (const MultipartError&) {
    boundary = "B";
  }
  std::string_view body(reinterpret_cast<const char*>(data + 1 + blen), size - 1 - blen);
  std::vector<size_t> cuts;
  for (size_t i = 0; i < blen && i + 1 < body.size(); ++i)
    cuts.push_back((static_cast<size_t>(data[1 + i]) * 131 + i) % body.size());
  std::sort(cuts.begin(), cuts.end());

  Recorder split, whole;
  bool ok_split = parse(boundary, body, cuts, split);
  bool ok_whole = parse(boundary, body, {}, whole);
  size_t total = 0;
  for (const auto& d : whole.data) total += d.size();
  if (total > body.size()) std::abort();
  if (ok_split != ok_whole) std::abort();
  if (ok_whole && (split.names != whole.names || split.data != whole.data)) std::abort();

  FormData form;
  parse_urlencoded(body.substr(0, std::min<size_t>(body.size(), 4096)), form);
  return 0;
}
