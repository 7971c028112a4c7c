// Matching and planning: which element governs which entry, and every violation reported at once.
#include "engine/plan.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/model.hpp"
#include "io/error.hpp"
#include "io/file.hpp"

using namespace signet;
namespace fs = std::filesystem;

namespace {

class PlanTest : public ::testing::Test {
 protected:
  // A zip with the given entries (each holding its own name), built with the `zip` tool.
  fs::path make_zip(const std::vector<std::string>& names) {
    auto root = dir_.path() / "content";
    for (const auto& n : names) {
      fs::create_directories((root / n).parent_path());
      std::ofstream(root / n) << n;
    }
    auto zip = dir_.path() / "app.zip";
    std::string cmd = "cd '" + root.string() + "' && zip -q -r '" + zip.string() + "' .";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return zip;
  }

  config::ArtifactConfiguration config(const std::string& body) {
    std::string xml =
        "<?xml version=\"1.0\"?>\n<artifact-configuration "
        "xmlns=\"http://signpath.io/artifact-configuration/v1\">\n" +
        body + "\n</artifact-configuration>\n";
    return config::load_string(xml, "ac.xml");
  }

  engine::Node plan(const config::ArtifactConfiguration& cfg, const fs::path& zip) {
    engine::PlanOptions opt;
    opt.check_keys = false;
    return engine::build_plan(cfg, io::file_source(zip), zip.filename().string(), {}, opt);
  }

  std::vector<std::string> problems(const config::ArtifactConfiguration& cfg, const fs::path& zip) {
    engine::PlanOptions opt;
    opt.check_keys = false;
    std::vector<io::Error> errors;
    engine::build_plan(cfg, io::file_source(zip), zip.filename().string(), {}, opt, &errors);
    std::vector<std::string> out;
    for (const auto& e : errors) out.push_back(e.what());
    return out;
  }

  static std::vector<std::string> matched(const engine::Node& n) {
    std::vector<std::string> out;
    for (const auto& c : n.children) out.push_back(c.path);
    return out;
  }

  io::TempDir dir_;
};

const char* kCms =
    "<create-cms-signature output-encoding=\"der\" output-file-name=\"${file.name}.p7s\" "
    "rsa-padding=\"pkcs1\"/>";

}  // namespace

TEST_F(PlanTest, DirectoryNestingEqualsPathWithDirectories) {
  auto zip = make_zip({"bin/a.txt", "bin/b.txt", "c.txt"});
  auto nested = plan(config(std::string("<zip-file><directory path=\"bin\"><file path=\"a.txt\">") + kCms +
                            "</file></directory></zip-file>"),
                     zip);
  auto flat =
      plan(config(std::string("<zip-file><file path=\"bin/a.txt\">") + kCms + "</file></zip-file>"), zip);
  EXPECT_EQ(matched(nested), std::vector<std::string>{"app.zip/bin/a.txt"});
  EXPECT_EQ(matched(nested), matched(flat));
  ASSERT_EQ(nested.children.size(), 1u);
  ASSERT_EQ(nested.children[0].added.size(), 1u);
  EXPECT_EQ(nested.children[0].added[0].path, "bin/a.txt.p7s");
}

TEST_F(PlanTest, MatchingIsCaseInsensitiveAndAcceptsBackslashes) {
  auto zip = make_zip({"Bin/App.TXT"});
  auto n =
      plan(config(std::string("<zip-file><file path=\"bin\\app.txt\">") + kCms + "</file></zip-file>"), zip);
  EXPECT_EQ(matched(n), std::vector<std::string>{"app.zip/Bin/App.TXT"});
}

TEST_F(PlanTest, DoubleStarMatchesAnyDepthAndSetsExpand) {
  auto zip = make_zip({"a.bin", "x/b.bin", "x/y/c.bin", "x/y/c.txt"});
  auto n =
      plan(config(std::string("<zip-file><file-set><include path=\"**/*.bin\" max-matches=\"unbounded\"/>"
                              "<for-each>") +
                  kCms + "</for-each></file-set></zip-file>"),
           zip);
  EXPECT_EQ(matched(n), (std::vector<std::string>{"app.zip/a.bin", "app.zip/x/b.bin", "app.zip/x/y/c.bin"}));
  EXPECT_EQ(n.unmatched.size(), n.opened->entries().size() - 3);
  EXPECT_TRUE(n.changes);
}

TEST_F(PlanTest, WildcardDirectoriesCountPerInstance) {
  auto zip = make_zip({"c1/main.txt", "c2/main.txt", "c3/other.txt"});
  auto cfg = config(
      std::string("<zip-file><directory path=\"c?\" max-matches=\"unbounded\"><file path=\"main.txt\">") +
      kCms + "</file></directory></zip-file>");
  auto p = problems(cfg, zip);
  ASSERT_EQ(p.size(), 1u) << p[0];
  EXPECT_NE(p[0].find("matched 0 files in 'app.zip/c3'"), std::string::npos) << p[0];
}

TEST_F(PlanTest, EveryViolationIsReportedWithElementAndLine) {
  auto zip = make_zip({"a.txt", "b.txt"});
  auto cfg = config(std::string("<zip-file>\n<file path=\"missing.txt\">") + kCms +
                    "</file>\n<file path=\"*.txt\">" + kCms + "</file>\n</zip-file>");
  auto p = problems(cfg, zip);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_NE(p[0].find("ac.xml:4:"), std::string::npos) << p[0];
  EXPECT_NE(p[0].find("matched 0 files"), std::string::npos) << p[0];
  EXPECT_NE(p[1].find("ac.xml:5:"), std::string::npos) << p[1];
  EXPECT_NE(p[1].find("matched 2 files"), std::string::npos) << p[1];
  EXPECT_THROW(plan(cfg, zip), io::ErrorList);
}

TEST_F(PlanTest, AnEntryMatchedByTwoElementsIsAnError) {
  auto zip = make_zip({"a.txt"});
  auto cfg = config(std::string("<zip-file><file path=\"a.txt\">") + kCms + "</file><file path=\"*.txt\">" +
                    kCms + "</file></zip-file>");
  auto p = problems(cfg, zip);
  ASSERT_FALSE(p.empty());
  EXPECT_NE(p[0].find("matched by both"), std::string::npos) << p[0];
}

TEST_F(PlanTest, RootPathMustMatchTheInputName) {
  auto zip = make_zip({"a.txt"});
  auto cfg = config(std::string("<zip-file path=\"release-*.zip\"><file path=\"a.txt\">") + kCms +
                    "</file></zip-file>");
  auto p = problems(cfg, zip);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("does not match the input file name 'app.zip'"), std::string::npos) << p[0];
}

TEST_F(PlanTest, DetachedOutputMayNotOverwriteAnEntry) {
  auto zip = make_zip({"a.txt", "a.txt.p7s"});
  auto cfg = config(std::string("<zip-file><file path=\"a.txt\">") + kCms + "</file></zip-file>");
  auto p = problems(cfg, zip);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("collides"), std::string::npos) << p[0];
}

TEST_F(PlanTest, MissingKeysAreReportedOnceBeforeSigning) {
  auto zip = make_zip({"a.txt", "b.txt"});
  auto cfg =
      config(std::string("<zip-file><file path=\"*.txt\" max-matches=\"2\">") + kCms + "</file></zip-file>");
  engine::PlanOptions opt;  // check_keys on, no keys given
  std::vector<io::Error> errors;
  engine::build_plan(cfg, io::file_source(zip), "app.zip", {}, opt, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(std::string(errors[0].what()).find("--key"), std::string::npos);
}
