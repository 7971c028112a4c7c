// The XSD: it compiles, the library embeds the file in the source tree, every valid example
// validates with xmllint (the schema is usable outside Signet), and it rejects what it should.
#include "config/schema.hpp"

#include <libxml/parser.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/xml.hpp"
#include "config_test_util.hpp"
#include "io/file.hpp"

namespace fs = std::filesystem;
using namespace signet::config;

namespace {

const fs::path kXsd = fs::path(SIGNET_SOURCE_DIR) / "schema" / "artifact-configuration-v1.xsd";
const fs::path kExamples = fs::path(SIGNET_TEST_DATA) / "config" / "examples";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs xmllint on files (one process: compiling the schema dominates); returns its exit status and
// output, in which xmllint reports "<file> validates" or "<file> fails to validate" for each.
std::pair<int, std::string> xmllint(const std::vector<fs::path>& files) {
  std::string cmd = "xmllint --noout --nonet --schema '" + kXsd.string() + "'";
  for (const auto& f : files) cmd += " '" + f.string() + "'";
  cmd += " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int rc = pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

bool has_line(const std::string& out, const std::string& line) {
  return out.find("\n" + line + "\n") != std::string::npos || out.rfind(line + "\n", 0) == 0;
}

bool have_xmllint() {
  return std::system("command -v xmllint >/dev/null 2>&1") == 0;
}

// Well-formed examples the schema must reject (the malformed XML ones are not schema questions).
const char* kSchemaInvalid[] = {
    "s001-01-template-as-printed.xml",
    "s001-04-max-occurences-as-printed.xml",
    "s001-11-authenticode-signing-as-printed.xml",
    "e25a-azure-devops-as-printed.xml",
    "e27-2019-pe-file-set-as-printed.xml",
};
const char* kNotWellFormed[] = {"s001-13-parameters-as-printed.xml", "s002-05-cms-as-printed.xml",
                                "s002-07-raw-as-printed.xml"};

}  // namespace

TEST(Schema, EmbeddedCopyMatchesTheSourceFile) {
  EXPECT_EQ(artifact_configuration_xsd(), read(kXsd));
}

TEST(Schema, DeclaresTheNamespace) {
  auto xsd = artifact_configuration_xsd();
  EXPECT_NE(xsd.find("targetNamespace=\"http://signpath.io/artifact-configuration/v1\""),
            std::string_view::npos);
  EXPECT_NE(xsd.find("elementFormDefault=\"qualified\""), std::string_view::npos);
}

TEST(Schema, EveryElementOfTheLanguageIsDeclared) {
  auto xsd = std::string(artifact_configuration_xsd());
  for (const char* kind : {"pe-file",
                           "powershell-file",
                           "windows-script-file",
                           "msi-file",
                           "cab-file",
                           "catalog-file",
                           "appx-file",
                           "msix-file",
                           "opc-file",
                           "nupkg-file",
                           "jar-file",
                           "apk-file",
                           "rpm-file",
                           "deb-file",
                           "zip-file",
                           "office-oxml-file",
                           "office-binary-file",
                           "xml-file",
                           "oci-image-layout-archive-file",
                           "file",
                           "directory"}) {
    EXPECT_NE(xsd.find("name=\"" + std::string(kind) + "\""), std::string::npos) << kind;
    EXPECT_NE(xsd.find("name=\"" + std::string(kind) + "-set\""), std::string::npos) << kind;
  }
  for (const char* d : {"authenticode-sign",
                        "authenticode-verify",
                        "opc-sign",
                        "nuget-sign",
                        "jar-sign",
                        "apk-sign",
                        "rpm-sign",
                        "debsigs-sign",
                        "office-macro-sign",
                        "xml-sign",
                        "notation-sign",
                        "cosign-sign",
                        "clickonce-sign",
                        "dsse-sign",
                        "smime-sign",
                        "create-cms-signature",
                        "create-gpg-signature",
                        "create-raw-signature",
                        "include-in-provenance",
                        "create-provenance-file",
                        "create-verification-summary-file",
                        "create-attestation-signature",
                        "parameters",
                        "parameter",
                        "include",
                        "for-each"}) {
    EXPECT_NE(xsd.find("name=\"" + std::string(d) + "\""), std::string::npos) << d;
  }
}

TEST(Schema, LibraryValidationFindsAProblemTheLoaderWouldReport) {
  std::string bad = test::doc("  <pe-file>\n    <authenticode-sign hash-algorithm=\"md5\"/>\n  </pe-file>");
  auto doc = detail::parse_xml(bad, "bad.xml");
  auto issues = detail::validate_against_schema(doc.get());
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_NE(issues[0].message.find("'md5' is not a valid value"), std::string::npos) << issues[0].message;
  EXPECT_EQ(issues[0].message.find("{http"), std::string::npos);  // namespace braces removed
  std::string good =
      test::doc("  <pe-file>\n    <authenticode-sign hash-algorithm=\"${alg}\"/>\n  </pe-file>");
  auto ok = detail::parse_xml(good, "good.xml");
  EXPECT_TRUE(detail::validate_against_schema(ok.get()).empty());
}

TEST(Schema, XmllintValidatesEveryValidExample) {
  ASSERT_TRUE(have_xmllint()) << "xmllint is missing: apt-get install libxml2-utils";
  std::vector<fs::path> valid;
  for (const auto& e : fs::directory_iterator(kExamples)) {
    auto name = e.path().filename().string();
    bool invalid = false;
    for (const char* n : kSchemaInvalid) invalid = invalid || name == n;
    for (const char* n : kNotWellFormed) invalid = invalid || name == n;
    if (!invalid && e.path().extension() == ".xml") valid.push_back(e.path());
  }
  ASSERT_GE(valid.size(), 40u);
  auto [rc, out] = xmllint(valid);
  EXPECT_EQ(rc, 0) << out;
  for (const auto& f : valid) EXPECT_TRUE(has_line(out, f.string() + " validates")) << f << ":\n" << out;
}

TEST(Schema, XmllintRejectsTheInvalidExamples) {
  ASSERT_TRUE(have_xmllint()) << "xmllint is missing: apt-get install libxml2-utils";
  std::vector<fs::path> files;
  for (const char* name : kSchemaInvalid) files.push_back(kExamples / name);
  auto [rc, out] = xmllint(files);
  EXPECT_NE(rc, 0);
  for (const auto& f : files)
    EXPECT_TRUE(has_line(out, f.string() + " fails to validate")) << f << ":\n" << out;
  for (const char* name : kNotWellFormed) EXPECT_NE(xmllint({kExamples / name}).first, 0) << name;
}

TEST(Schema, XmllintAndTheLoaderAgreeOnInvalidDocuments) {
  ASSERT_TRUE(have_xmllint()) << "xmllint is missing: apt-get install libxml2-utils";
  const char* bodies[] = {
      "<pe-file><authenticode-sign hash-algorithm=\"md5\"/></pe-file>",
      "<zip-file><file path=\"a\"><create-cms-signature output-file-name=\"x\"/></file></zip-file>",
      "<zip-file><file path=\"a\"><create-raw-signature output-file-name=\"x\" "
      "hash-algorithm=\"sha1\"/></file>"
      "</zip-file>",
      "<zip-file><pe-file/></zip-file>",
      "<zip-file><authenticode-sign/></zip-file>",
      "<msi-file><zip-file path=\"a.zip\" ui-multifile-upload=\"on\"/></msi-file>",
      "<pe-file><xml-sign/></pe-file>",
      "<pe-file><pe-file path=\"x\"/></pe-file>",
      "<zip-file><pe-file-set><for-each/></pe-file-set></zip-file>",
      "<deb-file><debsigs-sign/></deb-file>",
      "<xml-file><xml-sign key-info-x509-data=\"all\"/></xml-file>",
      "<zip-file><pe-file path=\"a\" max-matches=\"many\"/></zip-file>",
      "<msi-file product-name=\"x\"/>",
  };
  signet::io::TempDir dir;
  std::vector<fs::path> files;
  for (const char* body : bodies) {
    auto file = dir.path() / ("bad" + std::to_string(files.size()) + ".xml");
    std::string xml = test::doc(body);
    std::ofstream(file) << xml;
    files.push_back(file);
    EXPECT_FALSE(test::try_load(xml).cfg) << body << " loaded";
  }
  // A valid control in the same run, so a broken xmllint call cannot pass.
  auto good = dir.path() / "good.xml";
  std::ofstream(good) << test::doc("<zip-file><pe-file path=\"a\" max-matches=\"unbounded\"/></zip-file>");
  files.push_back(good);
  auto [rc, out] = xmllint(files);
  EXPECT_NE(rc, 0);
  for (size_t i = 0; i + 1 < files.size(); ++i) {
    EXPECT_TRUE(has_line(out, files[i].string() + " fails to validate")) << bodies[i] << ":\n" << out;
  }
  EXPECT_TRUE(has_line(out, good.string() + " validates")) << out;
}
