// Executing a plan: when one file fails, the user is told that file and its reason, not the
// cancellation of another file that stopped because of it.
#include "engine/execute.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <thread>

#include "config/model.hpp"
#include "engine/plan.hpp"
#include "io/error.hpp"
#include "io/file.hpp"

using namespace signet;
namespace fs = std::filesystem;

namespace {

// A stand-in directive whose behaviour the test scripts.
class ScriptedMethod final : public methods::Method {
 public:
  ScriptedMethod(methods::Category c, std::function<methods::Output(const methods::Input&)> fn)
      : category_(c), fn_(std::move(fn)) {}
  std::string_view directive() const override { return "scripted"; }
  methods::Category category() const override { return category_; }
  methods::KeyNeed key_need() const override { return methods::KeyNeed::none; }
  methods::Output apply(const methods::Input& in, const methods::Context&) const override { return fn_(in); }

 private:
  methods::Category category_;
  std::function<methods::Output(const methods::Input&)> fn_;
};

std::unique_ptr<methods::Method> scripted(methods::Category c,
                                          std::function<methods::Output(const methods::Input&)> fn) {
  return std::make_unique<ScriptedMethod>(c, std::move(fn));
}

}  // namespace

TEST(Execute, FirstRealFailureIsReportedNotTheCancellationsItCaused) {
  io::TempDir dir;
  auto content = dir.path() / "content";
  fs::create_directories(content);
  for (const char* n : {"a.txt", "b.txt"}) std::ofstream(content / n) << n;
  auto zip = dir.path() / "app.zip";
  ASSERT_EQ(
      std::system(("cd '" + content.string() + "' && zip -q '" + zip.string() + "' a.txt b.txt").c_str()), 0);

  auto cfg = config::load_string(
      "<?xml version=\"1.0\"?>\n<artifact-configuration "
      "xmlns=\"http://signpath.io/artifact-configuration/v1\">\n<zip-file><file path=\"*.txt\" "
      "max-matches=\"unbounded\">"
      "<create-cms-signature output-encoding=\"der\" output-file-name=\"${file.name}.p7s\"/>"
      "</file></zip-file>\n</artifact-configuration>\n",
      "ac.xml");
  engine::PlanOptions po;
  po.check_keys = false;
  engine::Node root = engine::build_plan(cfg, io::file_source(zip), "app.zip", {}, po);
  ASSERT_EQ(root.children.size(), 2u);
  engine::Node& a = root.children[0].name == "a.txt" ? root.children[0] : root.children[1];
  engine::Node& b = &a == &root.children[0] ? root.children[1] : root.children[0];
  ASSERT_EQ(a.added.size(), 1u);

  // a.txt (written first) is still in its first directive when b.txt fails, so its second one is
  // cancelled; the zip writer meets a.txt's cancellation before b.txt's real error.
  std::atomic<bool> b_failed{false};
  a.methods.clear();
  a.methods.push_back(scripted(methods::Category::verify, [&](const methods::Input&) {
    for (int i = 0; i < 500 && !b_failed; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // b's task records its failure
    return methods::Output{};
  }));
  a.methods.push_back(scripted(methods::Category::detached, [](const methods::Input& in) {
    return methods::Output{io::memory_source({1, 2, 3}, "sig"), in.file_name + ".p7s", "scripted"};
  }));
  b.methods.clear();
  b.methods.push_back(scripted(methods::Category::detached, [&](const methods::Input& in) -> methods::Output {
    b_failed = true;
    throw io::Error("the key refused to sign", io::Location{in.path});
  }));

  engine::ExecuteOptions eo;
  eo.threads = 2;
  io::File out = io::File::create(dir.path() / "out.zip");
  try {
    engine::execute(root, {}, out, dir, eo);
    FAIL() << "execute succeeded although b.txt failed";
  } catch (const io::Error& e) {
    EXPECT_EQ(e.message(), "the key refused to sign") << e.what();
    EXPECT_NE(e.where().file.find("b.txt"), std::string::npos) << e.what();
  }
}
