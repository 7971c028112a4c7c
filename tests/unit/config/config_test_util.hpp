// Helpers for the config tests: load a configuration and collect its errors.
#pragma once
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace signet::config::test {

inline constexpr const char* kOpen =
    "<artifact-configuration xmlns=\"http://signpath.io/artifact-configuration/v1\">";

struct Loaded {
  std::optional<ArtifactConfiguration> cfg;
  std::vector<io::Error> errors;
};

inline Loaded try_load(std::string_view xml, const LoadOptions& options = {}) {
  Loaded out;
  try {
    out.cfg = load_string(xml, "test.xml", options);
  } catch (const io::ErrorList& e) {
    out.errors = e.errors();
  }
  return out;
}

// The root element on line 1, `body` from line 2 on.
inline std::string doc(std::string_view body) {
  return std::string(kOpen) + "\n" + std::string(body) + "\n</artifact-configuration>\n";
}

inline std::string describe(const std::vector<io::Error>& errors) {
  std::string s;
  for (const auto& e : errors) s += std::string("\n  ") + e.what();
  return s;
}

// Exactly one error, with this message at line:col.
inline void expect_error(std::string_view xml, const std::string& message, int line, int col,
                         const LoadOptions& options = {}) {
  auto r = try_load(xml, options);
  ASSERT_FALSE(r.cfg) << "loaded, expected: " << message;
  ASSERT_EQ(r.errors.size(), 1u) << "errors:" << describe(r.errors);
  EXPECT_EQ(r.errors[0].message(), message);
  EXPECT_EQ(r.errors[0].where().file, "test.xml");
  EXPECT_EQ(r.errors[0].where().line, line) << r.errors[0].what();
  EXPECT_EQ(r.errors[0].where().column, col) << r.errors[0].what();
}

// Among several errors, one has this message at line:col.
inline void expect_some_error(std::string_view xml, const std::string& message, int line, int col,
                              const LoadOptions& options = {}) {
  auto r = try_load(xml, options);
  ASSERT_FALSE(r.cfg);
  for (const auto& e : r.errors) {
    if (e.message() == message) {
      EXPECT_EQ(e.where().line, line) << e.what();
      EXPECT_EQ(e.where().column, col) << e.what();
      return;
    }
  }
  ADD_FAILURE() << "no error '" << message << "' among:" << describe(r.errors);
}

inline ArtifactConfiguration expect_load(std::string_view xml, const LoadOptions& options = {}) {
  auto r = try_load(xml, options);
  EXPECT_TRUE(r.cfg) << "errors:" << describe(r.errors);
  return r.cfg ? *r.cfg : ArtifactConfiguration{};
}

}  // namespace signet::config::test
