// Configuration errors, continued (errors_test.cpp has the document, attribute and value errors):
// placement, restrictions, sets, paths, parameters and malformed input. Same conventions: one
// test per error, exact message, location of the element's '<' or of the attribute name.
#include "config_test_util.hpp"

using namespace signet::config;
using namespace signet::config::test;

// --- placement of directives and elements ------------------------------------------------------------

TEST(Errors, AuthenticodeOnZip) {
  expect_error(
      doc("  <zip-file>\n    <authenticode-sign/>\n  </zip-file>"),
      "<authenticode-sign> is not allowed in <zip-file> (allowed: <jar-sign>, <create-provenance-file> or "
      "<include-in-provenance>)",
      3, 5);
}

TEST(Errors, XmlSignOnPe) {
  expect_error(
      doc("  <pe-file>\n    <xml-sign/>\n  </pe-file>"),
      "<xml-sign> is not allowed in <pe-file> (allowed: <authenticode-verify>, <authenticode-sign> or "
      "<include-in-provenance>)",
      3, 5);
}

TEST(Errors, DetachedDirectiveOnPeFile) {
  expect_error(
      doc("  <zip-file>\n    <pe-file path=\"a.exe\">\n      <create-cms-signature output-file-name=\"a\" "
          "output-encoding=\"pem\"/>\n    </pe-file>\n  </zip-file>"),
      "<create-cms-signature> is not allowed in <pe-file>: it adds a file, so it is only allowed on <file> "
      "or "
      "in the <for-each> of <file-set>, inside a <zip-file>",
      4, 7);
}

TEST(Errors, EnvelopedDirectiveOnZip) {
  expect_error(
      doc("  <zip-file>\n    <dsse-sign output-file-name=\"a\" payload-type=\"t\"/>\n  </zip-file>"),
      "<dsse-sign> is not allowed in <zip-file>: it adds a file, so it is only allowed on <file> or in the "
      "<for-each> of <file-set>, inside a <zip-file>",
      3, 5);
}

TEST(Errors, DirectiveInForEachOfTheWrongSet) {
  expect_error(doc("  <zip-file>\n    <pe-file-set>\n      <include path=\"a.dll\"/>\n      <for-each>\n"
                   "        <jar-sign/>\n      </for-each>\n    </pe-file-set>\n  </zip-file>"),
               "<jar-sign> is not allowed in <for-each> of <pe-file-set> (allowed: <authenticode-verify>, "
               "<authenticode-sign> or <include-in-provenance>)",
               6, 9);
}

TEST(Errors, FileOutsideZip) {
  expect_error(doc("  <msi-file>\n    <file path=\"readme.txt\"/>\n  </msi-file>"),
               "<file> is only allowed inside a <zip-file> (directly or via <directory>), not in <msi-file>",
               3, 5);
  expect_error(
      doc("  <msi-file>\n    <directory path=\"docs\">\n      <file path=\"readme.txt\"/>\n    </directory>\n"
          "  </msi-file>"),
      "<file> is only allowed inside a <zip-file> (directly or via <directory>), not in <msi-file>", 4, 7);
  expect_error(doc("  <file path=\"a.bin\"/>"),
               "<file> cannot be the root element: it is only allowed inside a <zip-file>", 2, 3);
}

TEST(Errors, FileSetOutsideZip) {
  expect_error(
      doc("  <jar-file>\n    <file-set>\n      <include path=\"*.txt\"/>\n      <for-each/>\n    "
          "</file-set>\n"
          "  </jar-file>"),
      "<file-set> is only allowed inside a <zip-file> (directly or via <directory>), not in <jar-file>", 3,
      5);
}

TEST(Errors, FileInsideZipViaDirectoriesIsFine) {
  auto cfg =
      expect_load(doc("  <zip-file>\n    <directory path=\"a\">\n      <directory-set>\n"
                      "        <include path=\"b\"/>\n        <for-each>\n          <file path=\"x.bin\">\n"
                      "            <create-gpg-signature output-file-name=\"${file.name}.asc\"/>\n"
                      "          </file>\n        </for-each>\n      </directory-set>\n    </directory>\n"
                      "  </zip-file>"));
  ASSERT_EQ(cfg.root.children.size(), 1u);
  ASSERT_EQ(cfg.root.children[0].children.size(), 1u);
  EXPECT_EQ(cfg.root.children[0].children[0].children[0].kind, "file");
}

TEST(Errors, OutputFileNameOnlyInsideZip) {
  auto xml =
      doc("  <msi-file>\n    <file path=\"a.bin\">\n      <create-cms-signature output-file-name=\"a.p7s\" "
          "output-encoding=\"der\"/>\n    </file>\n  </msi-file>");
  auto r = try_load(xml);
  ASSERT_EQ(r.errors.size(), 2u) << describe(r.errors);
  EXPECT_EQ(r.errors[0].message(),
            "<file> is only allowed inside a <zip-file> (directly or via <directory>), not in <msi-file>");
  EXPECT_EQ(r.errors[0].where().to_string(), "test.xml:3:5");
  EXPECT_EQ(r.errors[1].message(),
            "output-file-name adds a file, which is only possible inside a <zip-file>, not in <msi-file>");
  EXPECT_EQ(r.errors[1].where().to_string(), "test.xml:4:29");
}

TEST(Errors, ClickOnceOnlyOnDirectory) {
  expect_error(doc("  <pe-file>\n    <clickonce-sign/>\n  </pe-file>"),
               "<clickonce-sign> is not allowed in <pe-file>: it is only allowed on <directory>", 3, 5);
}

TEST(Errors, ProvenanceFileOnlyOnRootZip) {
  expect_error(
      doc("  <msi-file>\n    <zip-file path=\"inner.zip\">\n"
          "      <create-provenance-file output-file-name=\"p.jsonl\"/>\n    </zip-file>\n  </msi-file>"),
      "<create-provenance-file> is only allowed directly in the root <zip-file>", 4, 7);
  expect_error(doc("  <zip-file>\n    <create-attestation-signature type=\"cms\" output-file-name=\"a\"/>\n  "
                   "</zip-file>"),
               "<create-attestation-signature> is not allowed in <zip-file>: it is only allowed inside "
               "<create-provenance-file>",
               3, 5);
}

TEST(Errors, ProvenanceChildren) {
  expect_error(doc("  <zip-file>\n    <create-provenance-file output-file-name=\"p\">\n"
                   "      <authenticode-sign/>\n    </create-provenance-file>\n  </zip-file>"),
               "<authenticode-sign> is not allowed in <create-provenance-file> (allowed: "
               "<create-verification-summary-file> or <create-attestation-signature>)",
               4, 7);
  expect_error(
      doc("  <pe-file>\n    <authenticode-sign>\n      <authenticode-verify/>\n    </authenticode-sign>\n"
          "  </pe-file>"),
      "<authenticode-verify> is not allowed in <authenticode-sign> (it cannot contain elements)", 4, 7);
}

TEST(Errors, VerifyAfterSign) {
  expect_error(
      doc("  <pe-file>\n    <authenticode-sign/>\n    <authenticode-verify/>\n  </pe-file>"),
      "<authenticode-verify> must come before <authenticode-sign> (line 3): verify directives must precede "
      "sign directives",
      4, 5);
  expect_load(
      doc("  <pe-file>\n    <authenticode-verify/>\n    <authenticode-sign append=\"true\"/>\n  </pe-file>"));
}

TEST(Errors, VerifyAfterSignInForEach) {
  expect_error(
      doc("  <msi-file>\n    <pe-file-set>\n      <include path=\"*.dll\" max-matches=\"unbounded\"/>\n"
          "      <for-each>\n        <authenticode-sign/>\n        <authenticode-verify/>\n      "
          "</for-each>\n"
          "    </pe-file-set>\n  </msi-file>"),
      "<authenticode-verify> must come before <authenticode-sign> (line 6): verify directives must precede "
      "sign directives",
      7, 9);
}

TEST(Errors, NotAContainer) {
  expect_error(doc("  <pe-file>\n    <pe-file path=\"inner.exe\"/>\n  </pe-file>"),
               "<pe-file> is not a container: it cannot contain <pe-file>", 3, 5);
  expect_error(doc("  <xml-file>\n    <directory path=\"x\"/>\n  </xml-file>"),
               "<xml-file> is not a container: it cannot contain <directory>", 3, 5);
}

// --- restrictions ---------------------------------------------------------------------------------

TEST(Errors, PeRestrictionOnMsi) {
  expect_error(doc("  <msi-file product-name=\"X\"/>"),
               "restriction 'product-name' is not allowed on <msi-file>: it is allowed only on <pe-file>, "
               "<pe-file-set> "
               "and its <include>",
               2, 13);
}

TEST(Errors, MsiRestrictionOnPe) {
  expect_error(doc("  <pe-file subject=\"X\"/>"),
               "restriction 'subject' is not allowed on <pe-file>: it is allowed only on <msi-file>, "
               "<msi-file-set> and "
               "its <include>",
               2, 12);
}

TEST(Errors, XmlRestrictionOnPe) {
  expect_error(
      doc("  <pe-file root-element-name=\"bom\"/>"),
      "restriction 'root-element-name' is not allowed on <pe-file>: it is allowed only on <xml-file>, "
      "<xml-file-set> and its <include>",
      2, 12);
}

TEST(Errors, RestrictionOnIncludeOfTheWrongSet) {
  expect_error(doc("  <msi-file>\n    <cab-file-set>\n      <include path=\"a.cab\" product-version=\"1\"/>\n"
                   "      <for-each/>\n    </cab-file-set>\n  </msi-file>"),
               "restriction 'product-version' is not allowed on <include>: it is allowed only on <pe-file>, "
               "<pe-file-set> and its <include>",
               4, 29);
}

TEST(Errors, LegacyAndCanonicalSpellingTogether) {
  expect_error(
      doc("  <pe-file product-name=\"A\" productName=\"B\"/>"),
      "restriction 'product-name' is given twice on <pe-file> ('productName' is its legacy spelling)", 2, 29);
}

// --- sets -----------------------------------------------------------------------------------------

TEST(Errors, SetWithoutForEach) {
  expect_error(doc("  <zip-file>\n    <pe-file-set>\n      <include path=\"a.dll\"/>\n    </pe-file-set>\n  "
                   "</zip-file>"),
               "<pe-file-set> requires a <for-each> (after its <include> elements)", 3, 5);
}

TEST(Errors, SetWithoutInclude) {
  expect_error(doc("  <zip-file>\n    <pe-file-set>\n      <for-each/>\n    </pe-file-set>\n  </zip-file>"),
               "<pe-file-set> requires at least one <include path=\"...\"/>", 3, 5);
}

TEST(Errors, IncludeAfterForEach) {
  expect_error(doc("  <zip-file>\n    <pe-file-set>\n      <for-each/>\n      <include path=\"a.dll\"/>\n"
                   "    </pe-file-set>\n  </zip-file>"),
               "<include> must come before the <for-each> of <pe-file-set>", 5, 7);
}

TEST(Errors, TwoForEach) {
  expect_error(doc("  <zip-file>\n    <pe-file-set>\n      <include path=\"a.dll\"/>\n      <for-each/>\n"
                   "      <for-each/>\n    </pe-file-set>\n  </zip-file>"),
               "<pe-file-set> has more than one <for-each>", 6, 7);
}

TEST(Errors, DirectiveDirectlyInSet) {
  expect_error(
      doc("  <zip-file>\n    <pe-file-set>\n      <include path=\"a.dll\"/>\n      <authenticode-sign/>\n"
          "      <for-each/>\n    </pe-file-set>\n  </zip-file>"),
      "<authenticode-sign> is not allowed directly in <pe-file-set>: put it in its <for-each>", 5, 7);
}

TEST(Errors, PathOnSet) {
  expect_error(doc("  <zip-file>\n    <pe-file-set path=\"*.dll\">\n      <include path=\"a.dll\"/>\n      "
                   "<for-each/>\n"
                   "    </pe-file-set>\n  </zip-file>"),
               "'path' is not allowed on <pe-file-set>: put it on each <include>", 3, 18);
}

TEST(Errors, IncludeOutsideSet) {
  expect_error(doc("  <zip-file>\n    <include path=\"a.dll\"/>\n  </zip-file>"),
               "<include> is only allowed directly in a set element such as <pe-file-set>", 3, 5);
  expect_error(doc("  <zip-file>\n    <for-each/>\n  </zip-file>"),
               "<for-each> is only allowed directly in a set element such as <pe-file-set>", 3, 5);
}

TEST(Errors, ParametersNested) {
  expect_error(doc("  <zip-file>\n    <parameters/>\n  </zip-file>"),
               "<parameters> is only allowed as the first child of <artifact-configuration>", 3, 5);
}

// --- paths ------------------------------------------------------------------------------------------

TEST(Errors, DoubleStarInsideSegment) {
  expect_error(
      doc("  <zip-file>\n    <pe-file path=\"bin/a**.dll\"/>\n  </zip-file>"),
      "invalid path pattern 'bin/a**.dll': '**' must be a whole path segment (as in '**/*.dll'), not part of "
      "'a**.dll'",
      3, 14);
}

TEST(Errors, UnterminatedBracket) {
  expect_error(doc("  <zip-file>\n    <pe-file path=\"[ab.dll\"/>\n  </zip-file>"),
               "invalid path pattern '[ab.dll': unterminated '[' in '[ab.dll'", 3, 14);
}

TEST(Errors, EmptySegment) {
  expect_error(
      doc("  <zip-file>\n    <pe-file path=\"bin//a.dll\"/>\n  </zip-file>"),
      "invalid path pattern 'bin//a.dll': empty path segment (leading, trailing or doubled separator)", 3,
      14);
  expect_error(doc("  <zip-file>\n    <pe-file path=\"\"/>\n  </zip-file>"),
               "invalid path pattern '': the path is empty", 3, 14);
}

TEST(Errors, InvalidPatternInInclude) {
  expect_error(
      doc("  <zip-file>\n    <pe-file-set>\n      <include path=\"**x\"/>\n      <for-each/>\n"
          "    </pe-file-set>\n  </zip-file>"),
      "invalid path pattern '**x': '**' must be a whole path segment (as in '**/*.dll'), not part of '**x'",
      4, 16);
}

// --- parameters -------------------------------------------------------------------------------------

TEST(Errors, UnknownParameterReference) {
  expect_error(doc("  <parameters>\n    <parameter name=\"version\" default-value=\"1\"/>\n  </parameters>\n"
                   "  <pe-file path=\"app-${versoin}.exe\"/>"),
               "attribute 'path': unknown parameter '${versoin}' (declared: version)", 5, 12);
  expect_error(doc("  <pe-file path=\"app-${version}.exe\"/>"),
               "attribute 'path': unknown parameter '${version}': the configuration declares no <parameters>",
               2, 12);
}

TEST(Errors, MalformedParameterReference) {
  expect_error(doc("  <pe-file path=\"app-${version.exe\"/>"),
               "attribute 'path': unterminated parameter reference '${version.exe' (expected ${name})", 2,
               12);
  expect_error(
      doc("  <pe-file path=\"app-${my version}.exe\"/>"),
      "attribute 'path': invalid parameter reference '${my version}': names use letters, digits, '.', '-' "
      "and '_'",
      2, 12);
}

TEST(Errors, RequiredParameterWithoutValue) {
  expect_error(doc("  <parameters>\n    <parameter name=\"version\" required=\"true\"/>\n  </parameters>\n"
                   "  <pe-file path=\"app-${version}.exe\"/>"),
               "required parameter 'version' has no value and no default-value", 3, 5);
}

TEST(Errors, UndeclaredParameterValue) {
  LoadOptions o;
  o.parameters["verison"] = "1";
  expect_error(
      doc("  <parameters>\n    <parameter name=\"version\" default-value=\"1\"/>\n  </parameters>\n  "
          "<pe-file/>"),
      "parameter 'verison' was given a value but is not declared in <parameters> (declared: version)", 2, 3,
      o);
  expect_error(
      doc("  <pe-file/>"),
      "parameter 'verison' was given a value but is not declared in <parameters> (the configuration declares "
      "no parameters)",
      1, 1, o);
}

TEST(Errors, ParameterDeclaredTwice) {
  expect_error(
      doc("  <parameters>\n    <parameter name=\"v\"/>\n    <parameter name=\"v\"/>\n  </parameters>\n"
          "  <pe-file/>"),
      "parameter 'v' is declared twice", 4, 5);
}

TEST(Errors, ParameterNames) {
  expect_error(doc("  <parameters>\n    <parameter name=\"file.name\"/>\n  </parameters>\n  <pe-file/>"),
               "parameter name 'file.name' is reserved for the built-in ${file.name}", 3, 16);
  expect_error(doc("  <parameters>\n    <parameter name=\"my version\"/>\n  </parameters>\n  <pe-file/>"),
               "invalid parameter name 'my version': use letters, digits, '.', '-' and '_' (and at least one "
               "character)",
               3, 16);
}

// --- malformed input --------------------------------------------------------------------------------

TEST(Errors, MalformedXmlHasLocation) {
  expect_error(doc("  <pe-file path=\"a.exe>\n  </pe-file>"),
               "malformed XML: Unescaped '<' not allowed in attributes values", 3, 3);
  expect_error(
      doc("  <pe-file>\n    <authenticode-sign>\n  </pe-file>"),
      "malformed XML: end tag </pe-file> does not match the open start tag <authenticode-sign> (line 3): "
      "close <authenticode-sign> with </authenticode-sign>",
      4, 3);
  expect_error("", "the configuration is empty", 1, 1);
  expect_error("  \n", "malformed XML: Start tag expected, '<' not found", 2, 1);
}

TEST(Errors, DoctypeIsRejected) {
  expect_error(
      "<?xml version=\"1.0\"?>\n<!DOCTYPE artifact-configuration [\n  <!ENTITY a \"aaaaaaaaaa\">\n"
      "  <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n]>\n"
      "<artifact-configuration xmlns=\"http://signpath.io/artifact-configuration/v1\">\n"
      "  <pe-file path=\"&b;\"/>\n</artifact-configuration>",
      "a DOCTYPE declaration is not allowed in an artifact configuration", 2, 1);
  expect_error("<!DOCTYPE x SYSTEM \"http://example.invalid/x.dtd\"><x/>",
               "a DOCTYPE declaration is not allowed in an artifact configuration", 1, 1);
}

TEST(Errors, UndefinedEntity) {
  expect_error(doc("  <pe-file path=\"&xxe;\"/>"), "malformed XML: Entity 'xxe' not defined", 2, 23);
}

TEST(Errors, TooLarge) {
  std::string big = doc("  <pe-file/>") + "<!--" + std::string(4 * 1024 * 1024, 'x') + "-->";
  auto r = try_load(big);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message(), "the configuration is larger than 4 MiB");
}

TEST(Errors, NotUtf8) {
  expect_error("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" + doc("  <pe-file/>"),
               "the configuration must be encoded in UTF-8, not 'ISO-8859-1'", 1, 1);
  expect_error(std::string("\xFF\xFE<\0a\0/\0>\0", 10),
               "the configuration must be encoded in UTF-8 (found UTF-16 or UTF-32)", 1, 1);
}

TEST(Errors, MissingFileIsAnError) {
  try {
    load_file("/nonexistent/signet-config.xml");
    ADD_FAILURE();
  } catch (const signet::io::ErrorList& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].message(), "cannot open the configuration file");
    EXPECT_EQ(e.errors()[0].where().file, "/nonexistent/signet-config.xml");
  }
}

// --- all errors are collected ------------------------------------------------------------------------

TEST(Errors, EveryProblemIsReportedInDocumentOrder) {
  auto r =
      try_load(doc("  <zip-file>\n"                                              // 2
                   "    <pe-file path=\"a.exe\" max-occurs=\"2\">\n"             // 3
                   "      <authenticode-sign hash-algorithm=\"md4\"/>\n"         // 4
                   "    </pe-file>\n"                                            // 5
                   "    <file path=\"b.bin\">\n"                                 // 6
                   "      <create-cms-signature output-file-name=\"b.p7s\"/>\n"  // 7
                   "    </file>\n"                                               // 8
                   "    <pe-flie path=\"c.exe\"/>\n"                             // 9
                   "  </zip-file>"));
  ASSERT_EQ(r.errors.size(), 4u) << describe(r.errors);
  EXPECT_EQ(r.errors[0].where().to_string(), "test.xml:3:27");
  EXPECT_EQ(r.errors[1].where().to_string(), "test.xml:4:26");
  EXPECT_EQ(r.errors[2].where().to_string(), "test.xml:7:7");
  EXPECT_EQ(r.errors[3].where().to_string(), "test.xml:9:5");
  EXPECT_EQ(r.errors[2].message(),
            "<create-cms-signature> requires attribute 'output-encoding' (pem or der)");
}
