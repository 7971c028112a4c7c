// Every XML example of the seed pages (tests/data/config/examples/s001-*, s002-*) and of
// SIGNPATH.md §1.15 (e*) loads, except those printed malformed (SIGNPATH.md §8), which fail with
// a precise message at a precise location.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config_test_util.hpp"

namespace fs = std::filesystem;
using namespace signet::config;
using namespace signet::config::test;

namespace {

const fs::path kDir = fs::path(SIGNET_TEST_DATA) / "config" / "examples";

struct Expected {
  std::vector<std::pair<std::string, std::string>> errors;  // "line:col", message
};

// The malformed examples and exactly what they must report.
const std::map<std::string, Expected> kMalformed = {
    {"s001-01-template-as-printed.xml",
     {{{"4:3", "unknown element <root-file-element> in <artifact-configuration>"}}}},
    {"s001-04-max-occurences-as-printed.xml",  // §8 row 1
     {{{"5:29",
        "'max-occurences' is not supported: use 'max-matches' (for example max-matches=\"unbounded\")"}}}},
    {"s001-11-authenticode-signing-as-printed.xml",  // §8 row 16
     {{{"5:5", "unknown element <authenticode-signing> in <pe-file>; did you mean <authenticode-sign>?"}}}},
    {"s001-13-parameters-as-printed.xml",  // §8 rows 5 and 17 (E9)
     {{{"8:1",
        "malformed XML: end tag </artifact-configuration> does not match the open start tag <pe-file> "
        "(line 7): close <pe-file> with </pe-file>"}}}},
    {"s002-05-cms-as-printed.xml",  // §8 row 15
     {{{"8:5",
        "malformed XML: end tag </pe-file> does not match the open start tag <file> (line 5): close "
        "<file> with </file>"}}}},
    {"s002-07-raw-as-printed.xml",  // §8 row 15
     {{{"7:5",
        "malformed XML: end tag </pe-file> does not match the open start tag <file> (line 5): close "
        "<file> with </file>"}}}},
    {"e25a-azure-devops-as-printed.xml",
     {{{"5:5",
        "unexpected text '... the files you want to sign' inside <directory> (only elements and "
        "attributes are allowed)"}}}},
    {"e27-2019-pe-file-set-as-printed.xml",  // §8 row 1
     {{{"9:47",
        "'max-occurs' is not supported: use 'max-matches' (for example max-matches=\"unbounded\")"}}}},
};

// Parameters some valid examples need.
const std::map<std::string, std::map<std::string, std::string>> kParameters = {
    {"e05-msi-pe-restrictions.xml", {{"version", "1.2.3.4"}}},
};

std::vector<fs::path> examples() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kDir)) {
    if (e.path().extension() == ".xml") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(Examples, AllPresent) {
  auto files = examples();
  std::set<std::string> names;
  for (const auto& f : files) names.insert(f.filename().string());
  for (const auto& [name, _] : kMalformed) EXPECT_TRUE(names.count(name)) << name;
  // Every example number of SIGNPATH.md §1.15 that has its own file (the others are seed files:
  // E7 = s001-03..08, E9 = s001-13, E10 = s001-09, E11 = s001-12, E22 = s002-04, E23 = s002-08).
  for (const char* e :
       {"e01",  "e02", "e03a", "e03b", "e04", "e05", "e06", "e12",  "e13",  "e14", "e15", "e16a",
        "e16b", "e17", "e18",  "e19",  "e20", "e21", "e24", "e25a", "e25b", "e26", "e27"}) {
    bool found = false;
    for (const auto& n : names) found = found || n.rfind(std::string(e) + "-", 0) == 0;
    EXPECT_TRUE(found) << e;
  }
  EXPECT_GE(files.size(), 49u);
}

TEST(Examples, ValidOnesLoad) {
  for (const auto& f : examples()) {
    auto name = f.filename().string();
    if (kMalformed.count(name)) continue;
    LoadOptions options;
    if (auto p = kParameters.find(name); p != kParameters.end()) options.parameters = p->second;
    try {
      auto cfg = load_file(f, options);
      EXPECT_FALSE(cfg.root.kind.empty()) << name;
      EXPECT_EQ(cfg.file, f.string());
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << " failed to load:\n" << e.what();
    }
  }
}

TEST(Examples, MalformedOnesFailPrecisely) {
  for (const auto& [name, expected] : kMalformed) {
    auto path = kDir / name;
    try {
      load_file(path);
      ADD_FAILURE() << name << " loaded";
    } catch (const signet::io::ErrorList& list) {
      ASSERT_EQ(list.errors().size(), expected.errors.size()) << name << ":\n" << list.what();
      for (size_t i = 0; i < expected.errors.size(); ++i) {
        const auto& e = list.errors()[i];
        EXPECT_EQ(e.where().file, path.string());
        EXPECT_EQ(std::to_string(e.where().line) + ":" + std::to_string(e.where().column),
                  expected.errors[i].first)
            << name << ": " << e.what();
        EXPECT_EQ(e.message(), expected.errors[i].second) << name;
      }
    }
  }
}

TEST(Examples, CorrectedVersionsOfTheMalformedOnesLoad) {
  for (const char* name :
       {"s001-04b-max-matches-corrected.xml", "s001-13b-parameters-corrected.xml", "e19-cms.xml",
        "e21-raw.xml", "e25b-azure-devops.xml", "e27b-2019-pe-file-set-corrected.xml"}) {
    EXPECT_NO_THROW(load_file(kDir / name)) << name;
  }
}

TEST(Examples, E5NeedsItsRequiredParameter) {
  try {
    load_file(kDir / "e05-msi-pe-restrictions.xml");
    ADD_FAILURE() << "loaded without a value for 'version'";
  } catch (const signet::io::ErrorList& list) {
    ASSERT_EQ(list.errors().size(), 1u) << list.what();
    EXPECT_EQ(list.errors()[0].message(), "required parameter 'version' has no value and no default-value");
    EXPECT_EQ(list.errors()[0].where().line, 5);
    EXPECT_EQ(list.errors()[0].where().column, 5);
  }
}
