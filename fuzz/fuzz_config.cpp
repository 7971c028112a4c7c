// libFuzzer target for the configuration loader: any input must either load or fail with
// io::Error / io::ErrorList; nothing else may escape, nothing may crash or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/model.hpp"
#include "config/path_pattern.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  signet::config::LoadOptions options;
  options.parameters["version"] = "1.0";  // exercises substitution when the input declares it
  options.require_parameters = (size % 2) == 0;
  try {
    auto cfg = signet::config::load_string(text, "fuzz.xml", options);
    // Whatever loaded must hold valid patterns: the loader validated them.
    if (cfg.root.path)
      signet::config::PathPattern::parse(*cfg.root.path, cfg.root.where).matches(text.substr(0, 64));
  } catch (const signet::io::ErrorList&) {
  } catch (const signet::io::Error&) {
  }
  // The pattern parser and matcher on their own: the first line is the pattern, the rest a path.
  auto nl = text.find('\n');
  if (nl != std::string_view::npos) {
    try {
      auto p = signet::config::PathPattern::parse(text.substr(0, nl), {});
      p.matches(text.substr(nl + 1));
    } catch (const signet::io::Error&) {
    }
  }
  return 0;
}
