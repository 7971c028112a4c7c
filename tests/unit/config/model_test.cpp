// The loaded model: set expansion and include overrides, directories, parameters, locations.
#include <filesystem>

#include "config_test_util.hpp"

using namespace signet::config;
using namespace signet::config::test;

namespace {
const std::filesystem::path kExamples = std::filesystem::path(SIGNET_TEST_DATA) / "config" / "examples";

const Attribute* restriction(const Element& e, const std::string& name) {
  for (const auto& r : e.restrictions) {
    if (r.name == name) return &r;
  }
  return nullptr;
}
}  // namespace

TEST(Model, RootWithoutPath) {
  auto cfg = expect_load(doc("  <pe-file>\n    <authenticode-sign/>\n  </pe-file>"));
  EXPECT_EQ(cfg.file, "test.xml");
  EXPECT_EQ(cfg.root.kind, "pe-file");
  EXPECT_FALSE(cfg.root.path);
  EXPECT_EQ(cfg.root.min_matches, 1u);
  EXPECT_EQ(cfg.root.max_matches, std::optional<uint64_t>(1));
  EXPECT_EQ(cfg.root.where.to_string(), "test.xml:2:3");
  EXPECT_EQ(cfg.root.label, "<pe-file>");
  ASSERT_EQ(cfg.root.directives.size(), 1u);
  EXPECT_EQ(cfg.root.directives[0].name, "authenticode-sign");
  EXPECT_EQ(cfg.root.directives[0].where.to_string(), "test.xml:3:5");
  EXPECT_TRUE(cfg.root.directives[0].attributes.empty());
}

TEST(Model, DirectiveAttributesKeepOrderAndPointAtTheAttribute) {
  auto cfg = load_file(kExamples / "s002-02-sha1-then-sha256.xml");
  ASSERT_EQ(cfg.root.directives.size(), 2u);
  const auto& first = cfg.root.directives[0];
  const auto& second = cfg.root.directives[1];
  ASSERT_TRUE(first.find("hash-algorithm"));
  EXPECT_EQ(first.find("hash-algorithm")->value, "sha1");
  EXPECT_EQ(second.find("hash-algorithm")->value, "sha256");
  EXPECT_EQ(second.find("append")->value, "true");
  EXPECT_FALSE(second.find("description"));
  // Line 5: `    <authenticode-sign hash-algorithm="sha256" append="true" />`
  EXPECT_EQ(second.find("hash-algorithm")->where.line, 6);
  EXPECT_EQ(second.find("hash-algorithm")->where.column, 24);
  EXPECT_EQ(second.find("append")->where.column, 48);
}

TEST(Model, MultiLineStartTagLocations) {
  auto cfg = load_file(kExamples / "e18-smime.xml");
  const auto& file = cfg.root.children.at(0);
  const auto& d = file.directives.at(0);
  EXPECT_EQ(d.where.line, 6);  // the '<' of <smime-sign, not the line of its '>'
  EXPECT_EQ(d.where.column, 7);
  EXPECT_EQ(d.find("normalization")->where.to_string(), kExamples.string() + "/e18-smime.xml:7:9");
  EXPECT_EQ(d.find("output-file-name")->where.line, 10);
}

TEST(Model, ValuesAreTrimmed) {  // E17's output-file-name=" ${file.name}.dsse"
  auto cfg = load_file(kExamples / "e17-dsse.xml");
  const auto& d = cfg.root.children.at(0).directives.at(0);
  EXPECT_EQ(d.find("output-file-name")->value, "${file.name}.dsse");
  EXPECT_EQ(d.find("payload-type")->value, "application/vnd.in-toto+json");
}

TEST(Model, FileSetExpandsToOneElementPerInclude) {
  auto cfg = load_file(kExamples / "s001-12b-pe-file-set.xml");
  auto plain = load_file(kExamples / "s001-12a-two-pe-files.xml");
  ASSERT_EQ(cfg.root.children.size(), 2u);
  ASSERT_EQ(plain.root.children.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const auto& a = cfg.root.children[i];
    const auto& b = plain.root.children[i];
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.path, b.path);
    EXPECT_EQ(a.min_matches, b.min_matches);
    EXPECT_EQ(a.max_matches, b.max_matches);
    ASSERT_EQ(a.directives.size(), 1u);
    EXPECT_EQ(a.directives[0].name, b.directives[0].name);
  }
  EXPECT_EQ(cfg.root.children[0].label, "<pe-file-set> include \"first.dll\"");
  EXPECT_EQ(cfg.root.children[1].where.line, 7);  // the <include>
  EXPECT_EQ(cfg.root.children[1].where.column, 7);
  EXPECT_EQ(plain.root.children[1].label, "<pe-file path=\"second.dll\">");
}

TEST(Model, DirectoryEquivalence) {
  auto in_path = load_file(kExamples / "s001-09a-directory-in-path.xml");
  auto nested = load_file(kExamples / "s001-09b-directory-element.xml");
  EXPECT_EQ(in_path.root.children.at(0).path, "bin/program.exe");
  const auto& dir = nested.root.children.at(0);
  EXPECT_EQ(dir.kind, "directory");
  EXPECT_EQ(dir.path, "bin");
  ASSERT_EQ(dir.children.size(), 1u);
  EXPECT_EQ(dir.children[0].kind, "pe-file");
  EXPECT_EQ(dir.children[0].path, "program.exe");
  EXPECT_EQ(dir.children[0].directives.at(0).name, "authenticode-sign");
}

TEST(Model, NestedSetsE4) {
  auto cfg = load_file(kExamples / "e04-similar-directories.xml");
  const auto& msi = cfg.root;
  EXPECT_EQ(msi.kind, "msi-file");
  ASSERT_EQ(msi.children.size(), 3u);
  ASSERT_EQ(msi.directives.size(), 1u);  // the MSI is signed after its content
  for (size_t i = 0; i < 3; ++i) {
    const auto& dir = msi.children[i];
    EXPECT_EQ(dir.kind, "directory");
    EXPECT_EQ(dir.path, "component" + std::to_string(i + 1));
    EXPECT_EQ(dir.label, "<directory-set> include \"component" + std::to_string(i + 1) + "\"");
    EXPECT_EQ(dir.where.line, 6 + static_cast<int>(i));
    ASSERT_EQ(dir.children.size(), 2u);
    const auto& main = dir.children[0];
    const auto& res = dir.children[1];
    EXPECT_EQ(main.kind, "pe-file");
    EXPECT_EQ(main.path, "main.exe");
    EXPECT_EQ(main.min_matches, 1u);
    EXPECT_EQ(main.max_matches, std::optional<uint64_t>(1));
    EXPECT_EQ(res.path, "resources/*.resource.dll");
    EXPECT_EQ(res.min_matches, 0u);
    EXPECT_FALSE(res.max_matches);  // unbounded
    EXPECT_EQ(res.label, "<pe-file-set> include \"resources/*.resource.dll\"");
    ASSERT_EQ(res.directives.size(), 1u);
    EXPECT_EQ(res.directives[0].name, "authenticode-sign");
  }
}

TEST(Model, IncludeOverridesSetRestrictionsE5) {
  LoadOptions o;
  o.parameters["version"] = "2.0.1.0";
  auto cfg = load_file(kExamples / "e05-msi-pe-restrictions.xml", o);
  EXPECT_EQ(cfg.parameter_values.at("version"), "2.0.1.0");
  ASSERT_EQ(restriction(cfg.root, "subject")->value, "MyProduct");
  EXPECT_EQ(restriction(cfg.root, "author")->value, "ACME Inc.");
  ASSERT_EQ(cfg.root.children.size(), 2u);
  const auto& main = cfg.root.children[0];
  const auto& lib = cfg.root.children[1];
  EXPECT_EQ(restriction(main, "product-name")->value, "MyProduct");
  EXPECT_EQ(restriction(lib, "product-name")->value, "MyLibrary");  // overridden by the include
  EXPECT_EQ(restriction(lib, "product-name")->where.line, 13);
  for (const auto* e : {&main, &lib}) {
    EXPECT_EQ(restriction(*e, "product-version")->value, "2.0.1.0");
    EXPECT_EQ(restriction(*e, "file-version")->value, "2.0.1.0");
    EXPECT_EQ(restriction(*e, "company-name")->value, "ACME Inc.");
    EXPECT_EQ(restriction(*e, "copyright")->value, "Copyright ACME Inc.");
    EXPECT_EQ(restriction(*e, "original-filename")->value, "${file.name}");  // left for the engine
    EXPECT_EQ(restriction(*e, "product-version")->where.line, 9);            // inherited from the set
    EXPECT_EQ(e->restrictions.size(), 6u);
  }
  EXPECT_FALSE(lib.max_matches);
  EXPECT_EQ(main.max_matches, std::optional<uint64_t>(1));
}

TEST(Model, LegacyCamelCaseRestrictionsAreMapped) {
  auto cfg = load_file(kExamples / "e27b-2019-pe-file-set-corrected.xml");
  const auto& main = cfg.root.children.at(0);
  const auto& res = cfg.root.children.at(1);
  EXPECT_EQ(restriction(main, "product-name")->value, "YourProductName");
  EXPECT_EQ(restriction(main, "product-version")->value, "1.0.0.0");
  EXPECT_EQ(restriction(res, "product-version")->value, "1.0.1.0");
  EXPECT_FALSE(restriction(res, "productVersion"));
}

TEST(Model, XmlRestrictionsAndOptions) {
  auto sbom = load_file(kExamples / "e06-cyclonedx-sbom.xml");
  EXPECT_EQ(restriction(sbom.root, "root-element-name")->value, "bom");
  EXPECT_EQ(restriction(sbom.root, "root-element-namespace")->value, "http://cyclonedx.org/schema/bom/1.5");
  auto multi = load_file(kExamples / "s001-10-multifile-upload.xml");
  ASSERT_TRUE(multi.root.options.count("ui-multifile-upload"));
  EXPECT_EQ(multi.root.options.at("ui-multifile-upload").value, "on");
  EXPECT_FALSE(multi.root.children.at(0).max_matches);
}

TEST(Model, ProvenanceDirectivesNest) {
  auto cfg = load_file(kExamples / "e24-slsa-provenance.xml");
  ASSERT_EQ(cfg.root.children.at(0).directives.at(0).name, "include-in-provenance");
  ASSERT_EQ(cfg.root.directives.size(), 1u);
  const auto& prov = cfg.root.directives[0];
  EXPECT_EQ(prov.name, "create-provenance-file");
  ASSERT_EQ(prov.children.size(), 2u);
  EXPECT_EQ(prov.children[0].name, "create-attestation-signature");
  EXPECT_EQ(prov.children[0].find("type")->value, "cms");
  EXPECT_EQ(prov.children[1].name, "create-verification-summary-file");
  ASSERT_EQ(prov.children[1].children.size(), 1u);
  EXPECT_EQ(prov.children[1].children[0].find("type")->value, "dsse");
}

TEST(Model, DirectoryDotAndWildcard) {
  auto click = load_file(kExamples / "s002-04-clickonce.xml");
  EXPECT_EQ(click.root.children.at(0).path, ".");
  EXPECT_EQ(click.root.children.at(0).directives.at(0).name, "clickonce-sign");
  auto ado = load_file(kExamples / "e25b-azure-devops.xml");
  EXPECT_EQ(ado.root.children.at(0).path, "*");
  EXPECT_EQ(ado.root.children.at(0).children.at(0).path, "**/*.exe");
}

// --- parameters ------------------------------------------------------------------------------------

namespace {
const char* kParams =
    "  <parameters>\n"
    "    <parameter name=\"version\" default-value=\"1.0.0\" required=\"true\"/>\n"
    "    <parameter name=\"tag\"/>\n"
    "  </parameters>\n"
    "  <zip-file path=\"app-${version}.zip\">\n"
    "    <pe-file path=\"app-${version}.exe\" product-version=\"${version}\" "
    "original-filename=\"${file.name}\">\n"
    "      <authenticode-sign description=\"build ${version}${tag}\"/>\n"
    "    </pe-file>\n"
    "  </zip-file>";
}  // namespace

TEST(Parameters, DefaultValue) {
  auto cfg = expect_load(doc(kParams));
  EXPECT_EQ(cfg.root.path, "app-1.0.0.zip");
  const auto& pe = cfg.root.children.at(0);
  EXPECT_EQ(pe.path, "app-1.0.0.exe");
  EXPECT_EQ(restriction(pe, "product-version")->value, "1.0.0");
  EXPECT_EQ(pe.directives.at(0).find("description")->value, "build 1.0.0");  // optional, no value: empty
  EXPECT_EQ(cfg.parameter_values, (std::map<std::string, std::string>{{"tag", ""}, {"version", "1.0.0"}}));
  ASSERT_EQ(cfg.parameters.size(), 2u);
  EXPECT_EQ(cfg.parameters[0].name, "version");
  EXPECT_EQ(cfg.parameters[0].default_value, "1.0.0");
  EXPECT_TRUE(cfg.parameters[0].required);
  EXPECT_EQ(cfg.parameters[0].where.to_string(), "test.xml:3:5");
  EXPECT_FALSE(cfg.parameters[1].required);
  EXPECT_FALSE(cfg.parameters[1].default_value);
}

TEST(Parameters, SuppliedValueOverridesDefault) {
  LoadOptions o;
  o.parameters = {{"version", "2.5"}, {"tag", "-rc1"}};
  auto cfg = expect_load(doc(kParams), o);
  const auto& pe = cfg.root.children.at(0);
  EXPECT_EQ(pe.path, "app-2.5.exe");
  EXPECT_EQ(pe.directives.at(0).find("description")->value, "build 2.5-rc1");
  EXPECT_EQ(cfg.parameter_values.at("version"), "2.5");
}

TEST(Parameters, FileNameIsLeftForTheEngine) {
  auto cfg = expect_load(doc(kParams));
  EXPECT_EQ(restriction(cfg.root.children.at(0), "original-filename")->value, "${file.name}");
  EXPECT_EQ(substitute_file_name("${file.name}.asc", "myfile.bin"), "myfile.bin.asc");
  EXPECT_EQ(substitute_file_name("${file.name}", "a.exe"), "a.exe");
  EXPECT_EQ(substitute_file_name("x-${file.name}-${file.name}", "f"), "x-f-f");
  EXPECT_EQ(substitute_file_name("no reference", "f"), "no reference");
  EXPECT_EQ(substitute_file_name("${file.nam}", "f"), "${file.nam}");
}

TEST(Parameters, RequiredWithoutValueCanBeDeferred) {
  const char* xml =
      "  <parameters>\n    <parameter name=\"version\" required=\"true\"/>\n  </parameters>\n"
      "  <zip-file>\n    <file path=\"a-${version}.bin\">\n"
      "      <create-raw-signature output-file-name=\"${file.name}.sig\" hash-algorithm=\"${version}\"/>\n"
      "    </file>\n  </zip-file>";
  auto strict = try_load(doc(xml));
  ASSERT_EQ(strict.errors.size(), 1u) << describe(strict.errors);
  EXPECT_EQ(strict.errors[0].message(), "required parameter 'version' has no value and no default-value");
  EXPECT_EQ(strict.errors[0].where().to_string(), "test.xml:3:5");
  LoadOptions lenient;
  lenient.require_parameters = false;  // `config validate`: references stay, value checks wait
  auto cfg = expect_load(doc(xml), lenient);
  EXPECT_EQ(cfg.root.children.at(0).path, "a-${version}.bin");
  EXPECT_EQ(cfg.root.children.at(0).directives.at(0).find("hash-algorithm")->value, "${version}");
  EXPECT_FALSE(cfg.parameter_values.count("version"));
}

TEST(Parameters, ValueChecksApplyAfterSubstitution) {
  const char* xml =
      "  <parameters>\n    <parameter name=\"max\" default-value=\"unbounded\"/>\n  </parameters>\n"
      "  <zip-file>\n    <pe-file path=\"*.exe\" max-matches=\"${max}\"/>\n  </zip-file>";
  auto cfg = expect_load(doc(xml));
  EXPECT_FALSE(cfg.root.children.at(0).max_matches);
  LoadOptions o;
  o.parameters["max"] = "3";
  EXPECT_EQ(expect_load(doc(xml), o).root.children.at(0).max_matches, std::optional<uint64_t>(3));
  o.parameters["max"] = "lots";
  expect_error(doc(xml),
               "invalid value 'lots' (from '${max}') for attribute 'max-matches' of <pe-file>: expected a "
               "non-negative integer or 'unbounded'",
               6, 27, o);
}

TEST(Parameters, SubstitutedPathIsValidated) {
  LoadOptions o;
  o.parameters["dir"] = "a**";
  expect_error(
      doc("  <parameters>\n    <parameter name=\"dir\" default-value=\"bin\"/>\n  </parameters>\n"
          "  <zip-file>\n    <pe-file path=\"${dir}/x.exe\"/>\n  </zip-file>"),
      "invalid path pattern 'a**/x.exe': '**' must be a whole path segment (as in '**/*.dll'), not part of "
      "'a**'",
      6, 14, o);
}

TEST(Parameters, ValuesAreNotSubstitutedRecursively) {
  LoadOptions o;
  o.parameters["a"] = "${b}";
  auto cfg = expect_load(
      doc("  <parameters>\n    <parameter name=\"a\"/>\n    <parameter name=\"b\" default-value=\"x\"/>\n"
          "  </parameters>\n  <pe-file>\n    <authenticode-sign description=\"${a}\"/>\n  </pe-file>"),
      o);
  EXPECT_EQ(cfg.root.directives.at(0).find("description")->value, "${b}");
}

TEST(Model, LocationsSurviveCommentsQuotesAndMultibyteText) {
  auto cfg = expect_load(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<?editor hint=\"<pe-file>\"?>\n"
      "<!-- <zip-file path=\"decoy\"> -->\n"
      "<artifact-configuration xmlns='http://signpath.io/artifact-configuration/v1'>\n"
      "  <zip-file><!-- <pe-file/> --><pe-file path='a > b/>.exe' min-matches=\"0\">\n"
      "\t<authenticode-sign description=\"Gr\xC3\xBC\xC3\x9F"
      "e\" description-url='x'/>\n"
      "  </pe-file></zip-file>\n"
      "</artifact-configuration>\n");
  const auto& pe = cfg.root.children.at(0);
  EXPECT_EQ(cfg.root.where.to_string(), "test.xml:5:3");
  EXPECT_EQ(pe.where.to_string(), "test.xml:5:32");
  EXPECT_EQ(pe.path, "a > b/>.exe");
  const auto& d = pe.directives.at(0);
  EXPECT_EQ(d.where.to_string(), "test.xml:6:2");  // a tab is one column
  EXPECT_EQ(d.find("description")->where.to_string(), "test.xml:6:21");
  // "Grüße" is five characters: the next attribute's column counts characters, not bytes.
  EXPECT_EQ(d.find("description-url")->where.to_string(), "test.xml:6:41");
  EXPECT_EQ(d.find("description")->value,
            "Gr\xC3\xBC\xC3\x9F"
            "e");
}
