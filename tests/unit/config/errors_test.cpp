// One test per configuration error: the message names the element or attribute, the location
// points at it (line:col of its '<' or of the attribute name). Each expects exactly one error,
// which also proves the XSD pass adds no duplicate for a problem the semantic checks reported.
#include "config_test_util.hpp"

using namespace signet::config;
using namespace signet::config::test;

// --- document and root -----------------------------------------------------------------------

TEST(Errors, WrongNamespace) {
  expect_error(
      "<artifact-configuration xmlns=\"http://signpath.io/artifact-configuration/v2\">\n"
      "  <pe-file><authenticode-sign/></pe-file>\n</artifact-configuration>",
      "<artifact-configuration> is in namespace 'http://signpath.io/artifact-configuration/v2'; expected "
      "exactly "
      "'http://signpath.io/artifact-configuration/v1'",
      1, 1);
}

TEST(Errors, MissingNamespace) {
  expect_error(
      "<?xml version=\"1.0\"?>\n<artifact-configuration>\n  <pe-file/>\n</artifact-configuration>",
      "<artifact-configuration> has no namespace: add xmlns=\"http://signpath.io/artifact-configuration/v1\"",
      2, 1);
}

TEST(Errors, NamespaceTrailingQuoteTypo) {  // SIGNPATH.md §8 row 9
  expect_error(
      "<artifact-configuration xmlns='http://signpath.io/artifact-configuration/v1\"'><pe-file/>"
      "</artifact-configuration>",
      "<artifact-configuration> is in namespace 'http://signpath.io/artifact-configuration/v1\"'; expected "
      "exactly "
      "'http://signpath.io/artifact-configuration/v1'",
      1, 1);
}

TEST(Errors, ChildInAnotherNamespace) {
  expect_error(doc("  <zip-file>\n    <pe-file xmlns=\"urn:other\" path=\"a.exe\"/>\n  </zip-file>"),
               "element <pe-file> is in namespace 'urn:other'; every element must be in "
               "http://signpath.io/artifact-configuration/v1",
               3, 5);
}

TEST(Errors, RootMustBeArtifactConfiguration) {
  expect_error(
      "<pe-file xmlns=\"http://signpath.io/artifact-configuration/v1\"><authenticode-sign/></pe-file>",
      "the root element must be <artifact-configuration "
      "xmlns=\"http://signpath.io/artifact-configuration/v1\">, "
      "not <pe-file>",
      1, 1);
}

TEST(Errors, UnknownRootAttribute) {
  expect_error(
      "<artifact-configuration xmlns=\"http://signpath.io/artifact-configuration/v1\" version=\"1\">\n"
      "  <pe-file/>\n</artifact-configuration>",
      "unknown attribute 'version' on <artifact-configuration> (it takes no attributes)", 1, 78);
}

TEST(Errors, SchemaLocationIsAccepted) {
  expect_load(
      "<artifact-configuration xmlns=\"http://signpath.io/artifact-configuration/v1\"\n"
      "    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
      "    xsi:schemaLocation=\"http://signpath.io/artifact-configuration/v1 "
      "https://app.signpath.io/Web/artifact-configuration/v1.xsd\">\n"
      "  <pe-file><authenticode-sign/></pe-file>\n</artifact-configuration>");
}

TEST(Errors, ParametersMustBeFirst) {
  expect_error(doc("  <pe-file path=\"a.exe\"/>\n  <parameters/>"),
               "<parameters> must be the first child of <artifact-configuration>", 3, 3);
}

TEST(Errors, ParametersOnlyOnce) {
  expect_error(doc("  <parameters/>\n  <parameters/>\n  <pe-file/>"), "<parameters> may appear only once", 3,
               3);
}

TEST(Errors, NoRootFileElement) {
  expect_error(
      doc("  <parameters/>"),
      "<artifact-configuration> needs exactly one root file element (such as <pe-file> or <zip-file>) "
      "describing the artifact",
      1, 1);
}

TEST(Errors, TwoRootFileElements) {
  expect_error(
      doc("  <pe-file path=\"first.dll\"/>\n  <pe-file path=\"second.dll\"/>"),
      "a second root file element <pe-file> (the first is <pe-file> on line 2): a configuration describes "
      "exactly one artifact; use a <zip-file> root to sign several files",
      3, 3);
}

TEST(Errors, SetAsRoot) {
  expect_error(
      doc("  <pe-file-set>\n    <include path=\"a.dll\"/>\n    <for-each/>\n  </pe-file-set>"),
      "a set (<pe-file-set>) cannot be the root element: the root is exactly one file element; put the set "
      "inside a container such as <zip-file>",
      2, 3);
}

TEST(Errors, DirectoryAsRoot) {
  expect_error(
      doc("  <directory path=\".\"/>"),
      "<directory> cannot be the root element: the root is the artifact's file element (such as <zip-file>)",
      2, 3);
}

TEST(Errors, RootPathWithDirectory) {
  expect_error(
      doc("  <pe-file path=\"bin/app.exe\"/>"),
      "the root element's path 'bin/app.exe' cannot contain directories: it names the artifact file itself",
      2, 12);
  expect_error(
      doc("  <pe-file path=\"bin\\app.exe\"/>"),
      "the root element's path 'bin\\app.exe' cannot contain directories: it names the artifact file itself",
      2, 12);
}

// --- unknown elements and attributes -------------------------------------------------------------

TEST(Errors, UnknownElementWithSuggestion) {
  expect_error(doc("  <zip-file>\n    <pe-flie path=\"a.exe\"/>\n  </zip-file>"),
               "unknown element <pe-flie> in <zip-file>; did you mean <pe-file>?", 3, 5);
}

TEST(Errors, UnknownElementWithoutSuggestion) {
  expect_error(doc("  <pe-file>\n    <frobnicate/>\n  </pe-file>"),
               "unknown element <frobnicate> in <pe-file>", 3, 5);
}

TEST(Errors, UnknownAttributeWithSuggestion) {
  expect_error(doc("  <pe-file>\n    <authenticode-sign hash-algoritm=\"sha256\"/>\n  </pe-file>"),
               "unknown attribute 'hash-algoritm' on <authenticode-sign>; did you mean 'hash-algorithm'?", 3,
               24);
}

TEST(Errors, UnknownAttributeListsAllowed) {
  expect_error(doc("  <zip-file>\n    <pe-file path=\"a.exe\" color=\"red\"/>\n  </zip-file>"),
               "unknown attribute 'color' on <pe-file> (allowed: path, min-matches or max-matches)", 3, 27);
}

TEST(Errors, AttributeOnDirectiveWithoutAttributes) {
  expect_error(doc("  <pe-file>\n    <authenticode-verify strict=\"true\"/>\n  </pe-file>"),
               "unknown attribute 'strict' on <authenticode-verify> (it takes no attributes)", 3, 26);
}

TEST(Errors, UnexpectedText) {
  expect_error(doc("  <pe-file>\n    sign me\n  </pe-file>"),
               "unexpected text 'sign me' inside <pe-file> (only elements and attributes are allowed)", 2, 3);
}

// --- required attributes ---------------------------------------------------------------------------

namespace {
std::string in_zip_file(const std::string& directive) {
  return doc("  <zip-file>\n    <file path=\"myfile.bin\">\n      " + directive +
             "\n    </file>\n  </zip-file>");
}
}  // namespace

TEST(Errors, CmsRequiresOutputFileName) {
  expect_error(in_zip_file("<create-cms-signature output-encoding=\"pem\"/>"),
               "<create-cms-signature> requires attribute 'output-file-name'", 4, 7);
}

TEST(Errors, CmsRequiresOutputEncoding) {
  expect_error(in_zip_file("<create-cms-signature output-file-name=\"${file.name}.p7s\"/>"),
               "<create-cms-signature> requires attribute 'output-encoding' (pem or der)", 4, 7);
}

TEST(Errors, RawRequiresHashAlgorithm) {
  expect_error(in_zip_file("<create-raw-signature output-file-name=\"${file.name}.sig\"/>"),
               "<create-raw-signature> requires attribute 'hash-algorithm' (sha256, sha384 or sha512)", 4, 7);
}

TEST(Errors, RawLegacyFileName) {
  auto r = try_load(in_zip_file("<create-raw-signature file-name=\"a.sig\" hash-algorithm=\"sha256\"/>"));
  ASSERT_EQ(r.errors.size(), 2u) << describe(r.errors);
  EXPECT_EQ(r.errors[0].message(), "<create-raw-signature> requires attribute 'output-file-name'");
  EXPECT_EQ(r.errors[0].where().to_string(), "test.xml:4:7");
  EXPECT_EQ(r.errors[1].message(),
            "attribute 'file-name' of <create-raw-signature> is no longer supported: use 'output-file-name'");
  EXPECT_EQ(r.errors[1].where().to_string(), "test.xml:4:29");
}

TEST(Errors, DsseRequiresPayloadType) {
  expect_error(in_zip_file("<dsse-sign output-file-name=\"${file.name}.dsse\"/>"),
               "<dsse-sign> requires attribute 'payload-type'", 4, 7);
}

TEST(Errors, SmimeAndGpgRequireOutputFileName) {
  expect_error(in_zip_file("<smime-sign/>"), "<smime-sign> requires attribute 'output-file-name'", 4, 7);
  expect_error(in_zip_file("<create-gpg-signature/>"),
               "<create-gpg-signature> requires attribute 'output-file-name'", 4, 7);
}

TEST(Errors, EmptyOutputFileName) {
  expect_error(in_zip_file("<create-gpg-signature output-file-name=\"  \"/>"),
               "attribute 'output-file-name' of <create-gpg-signature> must not be empty", 4, 29);
}

TEST(Errors, DebsigsRequiresSignatureType) {
  expect_error(doc("  <deb-file>\n    <debsigs-sign/>\n  </deb-file>"),
               "<debsigs-sign> requires attribute 'signature-type'", 3, 5);
}

TEST(Errors, NotationAndCosignRequireTag) {
  expect_error(
      doc("  <oci-image-layout-archive-file>\n    <notation-sign/>\n  </oci-image-layout-archive-file>"),
      "<notation-sign> requires attribute 'tag'", 3, 5);
  expect_error(doc("  <oci-image-layout-archive-file>\n    <cosign-sign tag=\"\"/>\n  "
                   "</oci-image-layout-archive-file>"),
               "attribute 'tag' of <cosign-sign> must not be empty", 3, 18);
}

TEST(Errors, NestedElementRequiresPath) {
  expect_error(doc("  <msi-file>\n    <pe-file>\n      <authenticode-sign/>\n    </pe-file>\n  </msi-file>"),
               "<pe-file> requires attribute 'path' (only the root element may omit it)", 3, 5);
}

TEST(Errors, DirectoryRequiresPath) {
  expect_error(doc("  <zip-file>\n    <directory/>\n  </zip-file>"),
               "<directory> requires attribute 'path' (only the root element may omit it)", 3, 5);
}

TEST(Errors, IncludeRequiresPath) {
  expect_error(doc("  <zip-file>\n    <pe-file-set>\n      <include/>\n      <for-each/>\n    "
                   "</pe-file-set>\n  </zip-file>"),
               "<include> requires attribute 'path'", 4, 7);
}

TEST(Errors, ParameterRequiresName) {
  expect_error(doc("  <parameters>\n    <parameter default-value=\"1\"/>\n  </parameters>\n  <pe-file/>"),
               "<parameter> requires attribute 'name'", 3, 5);
}

TEST(Errors, AttestationSignatureRequiresType) {
  expect_error(doc("  <zip-file>\n    <create-provenance-file output-file-name=\"p.jsonl\">\n"
                   "      <create-attestation-signature output-file-name=\"p.cms\"/>\n"
                   "    </create-provenance-file>\n  </zip-file>"),
               "<create-attestation-signature> requires attribute 'type' (cms or dsse)", 4, 7);
}

// --- enumerated values -------------------------------------------------------------------------------

TEST(Errors, AuthenticodeHashAlgorithm) {
  expect_error(
      doc("  <pe-file>\n    <authenticode-sign hash-algorithm=\"md5\"/>\n  </pe-file>"),
      "invalid value 'md5' for attribute 'hash-algorithm' of <authenticode-sign>: expected sha1, sha256, "
      "sha384 or sha512",
      3, 24);
  expect_error(
      doc("  <pe-file>\n    <authenticode-sign hash-algorithm=\"sha-256\"/>\n  </pe-file>"),  // §8 row 2
      "invalid value 'sha-256' for attribute 'hash-algorithm' of <authenticode-sign>: expected sha1, sha256, "
      "sha384 or sha512",
      3, 24);
}

TEST(Errors, Sha1OnlyForAuthenticode) {
  const char* expected = ": expected sha256, sha384 or sha512";
  expect_error(
      in_zip_file(
          "<create-cms-signature output-file-name=\"a\" output-encoding=\"der\" hash-algorithm=\"sha1\"/>"),
      std::string("invalid value 'sha1' for attribute 'hash-algorithm' of <create-cms-signature>") + expected,
      4, 72);
  expect_error(
      in_zip_file("<create-gpg-signature output-file-name=\"a\" hash-algorithm=\"sha1\"/>"),
      std::string("invalid value 'sha1' for attribute 'hash-algorithm' of <create-gpg-signature>") + expected,
      4, 50);
  expect_error(
      in_zip_file("<create-raw-signature output-file-name=\"a\" hash-algorithm=\"sha1\"/>"),
      std::string("invalid value 'sha1' for attribute 'hash-algorithm' of <create-raw-signature>") + expected,
      4, 50);
  expect_error(in_zip_file("<dsse-sign output-file-name=\"a\" payload-type=\"t\" hash-algorithm=\"sha1\"/>"),
               std::string("invalid value 'sha1' for attribute 'hash-algorithm' of <dsse-sign>") + expected,
               4, 56);
  expect_error(in_zip_file("<smime-sign output-file-name=\"a\" hash-algorithm=\"sha1\"/>"),
               std::string("invalid value 'sha1' for attribute 'hash-algorithm' of <smime-sign>") + expected,
               4, 40);
}

TEST(Errors, OutputEncodings) {
  expect_error(
      in_zip_file("<create-cms-signature output-file-name=\"a\" output-encoding=\"base64\"/>"),
      "invalid value 'base64' for attribute 'output-encoding' of <create-cms-signature>: expected pem or der",
      4, 50);
  expect_error(
      in_zip_file("<create-gpg-signature output-file-name=\"a\" output-encoding=\"pem\"/>"),
      "invalid value 'pem' for attribute 'output-encoding' of <create-gpg-signature>: expected ascii-armored "
      "or binary",
      4, 50);
}

TEST(Errors, RsaPadding) {
  expect_error(
      in_zip_file(
          "<create-raw-signature output-file-name=\"a\" hash-algorithm=\"sha256\" rsa-padding=\"oaep\"/>"),
      "invalid value 'oaep' for attribute 'rsa-padding' of <create-raw-signature>: expected pkcs1 or pss", 4,
      74);
}

TEST(Errors, KeyInfoX509Data) {
  expect_error(doc("  <xml-file>\n    <xml-sign key-info-x509-data=\"all\"/>\n  </xml-file>"),
               "invalid value 'all' for attribute 'key-info-x509-data' of <xml-sign>: expected none, leaf, "
               "whole-chain "
               "or exclude-root",
               3, 15);
}

TEST(Errors, AppendBoolean) {
  expect_error(doc("  <pe-file>\n    <authenticode-sign append=\"yes\"/>\n  </pe-file>"),
               "invalid value 'yes' for attribute 'append' of <authenticode-sign>: expected true or false", 3,
               24);
}

TEST(Errors, AppendOnlyOnPeCabCatalog) {
  expect_error(
      doc("  <msi-file>\n    <authenticode-sign append=\"true\"/>\n  </msi-file>"),
      "append=\"true\" is only supported on <pe-file>, <cab-file> and <catalog-file>, not <msi-file>", 3, 24);
}

TEST(Errors, AppxRejectsSha1) {
  expect_error(
      doc("  <appx-file>\n    <authenticode-sign hash-algorithm=\"sha1\"/>\n  </appx-file>"),
      "<appx-file> does not accept hash-algorithm 'sha1': use sha256, sha384 or sha512 (the package's block "
      "map hash)",
      3, 24);
}

TEST(Errors, GpgVersion) {
  expect_error(in_zip_file("<create-gpg-signature output-file-name=\"a\" version=\"5\"/>"),
               "invalid value '5' for attribute 'version' of <create-gpg-signature>: expected 4", 4, 50);
}

TEST(Errors, SmimeNormalization) {
  expect_error(
      in_zip_file("<smime-sign output-file-name=\"a\" normalization=\"crlf\"/>"),
      "invalid value 'crlf' for attribute 'normalization' of <smime-sign>: expected line-endings or none", 4,
      40);
}

TEST(Errors, AttestationType) {
  expect_error(
      doc("  <zip-file>\n    <create-provenance-file output-file-name=\"p.jsonl\">\n"
          "      <create-attestation-signature type=\"gpg\" output-file-name=\"p.sig\"/>\n"
          "    </create-provenance-file>\n  </zip-file>"),
      "invalid value 'gpg' for attribute 'type' of <create-attestation-signature>: expected cms or dsse", 4,
      37);
}

TEST(Errors, SignatureTypeToken) {
  expect_error(doc("  <deb-file>\n    <debsigs-sign signature-type=\"my origin\"/>\n  </deb-file>"),
               "invalid value 'my origin' for attribute 'signature-type' of <debsigs-sign>: expected a name "
               "of letters, "
               "digits, '-' or '_' (such as origin)",
               3, 19);
}

TEST(Errors, ApkSdkVersion) {
  expect_error(
      doc("  <apk-file>\n    <apk-sign min-sdk-version=\"twenty\"/>\n  </apk-file>"),
      "invalid value 'twenty' for attribute 'min-sdk-version' of <apk-sign>: expected a non-negative integer",
      3, 15);
}

TEST(Errors, ParameterRequiredBoolean) {
  expect_error(
      doc("  <parameters>\n    <parameter name=\"v\" required=\"yes\"/>\n  </parameters>\n  <pe-file/>"),
      "invalid value 'yes' for attribute 'required' of <parameter>: expected true or false", 3, 25);
}

TEST(Errors, EnumeratedValueAfterSubstitution) {
  LoadOptions o;
  o.parameters["alg"] = "md5";
  expect_error(
      doc("  <parameters>\n    <parameter name=\"alg\" default-value=\"sha256\"/>\n  </parameters>\n"
          "  <pe-file>\n    <authenticode-sign hash-algorithm=\"${alg}\"/>\n  </pe-file>"),
      "invalid value 'md5' (from '${alg}') for attribute 'hash-algorithm' of <authenticode-sign>: expected "
      "sha1, sha256, sha384 or sha512",
      6, 24, o);
}

// --- min-matches / max-matches -----------------------------------------------------------------------

TEST(Errors, MinMatchesNotANumber) {
  expect_error(doc("  <zip-file>\n    <pe-file path=\"a\" min-matches=\"-1\"/>\n  </zip-file>"),
               "invalid value '-1' for attribute 'min-matches' of <pe-file>: expected a non-negative integer",
               3, 23);
  expect_error(
      doc("  <zip-file>\n    <pe-file path=\"a\" min-matches=\"unbounded\"/>\n  </zip-file>"),
      "invalid value 'unbounded' for attribute 'min-matches' of <pe-file>: expected a non-negative integer",
      3, 23);
}

TEST(Errors, MaxMatchesNotANumber) {
  expect_error(
      doc("  <zip-file>\n    <pe-file path=\"a\" max-matches=\"many\"/>\n  </zip-file>"),
      "invalid value 'many' for attribute 'max-matches' of <pe-file>: expected a non-negative integer or "
      "'unbounded'",
      3, 23);
  expect_error(
      doc("  <zip-file>\n    <pe-file path=\"a\" max-matches=\"99999999999999999999999\"/>\n  </zip-file>"),
      "invalid value '99999999999999999999999' for attribute 'max-matches' of <pe-file>: expected a "
      "non-negative integer or 'unbounded'",
      3, 23);
}

TEST(Errors, MinGreaterThanMax) {
  expect_error(
      doc("  <zip-file>\n    <pe-file path=\"a\" min-matches=\"3\" max-matches=\"2\"/>\n  </zip-file>"),
      "min-matches (3) is greater than max-matches (2)", 3, 23);
  expect_error(doc("  <zip-file>\n    <pe-file path=\"a\" min-matches=\"2\"/>\n  </zip-file>"),
               "min-matches (2) is greater than max-matches (1, the default)", 3, 23);
}

TEST(Errors, MaxOccurencesHint) {  // SIGNPATH.md §1.3 and §8 row 1
  expect_error(
      doc("  <zip-file>\n    <pe-file path=\"myapp.*\" max-occurences=\"unbounded\"/>\n  </zip-file>"),
      "'max-occurences' is not supported: use 'max-matches' (for example max-matches=\"unbounded\")", 3, 29);
  expect_error(doc("  <zip-file>\n    <pe-file path=\"myapp.*\" max-occurs=\"unbounded\"/>\n  </zip-file>"),
               "'max-occurs' is not supported: use 'max-matches' (for example max-matches=\"unbounded\")", 3,
               29);
  expect_error(doc("  <zip-file>\n    <pe-file path=\"myapp.*\" min-occurs=\"0\"/>\n  </zip-file>"),
               "'min-occurs' is not supported: use 'min-matches'", 3, 29);
}

// --- ui-multifile-upload ---------------------------------------------------------------------------

TEST(Errors, MultifileUploadValue) {
  expect_error(doc("  <zip-file ui-multifile-upload=\"yes\"/>"),
               "invalid value 'yes' for attribute 'ui-multifile-upload': the only value is 'on'", 2, 13);
}

TEST(Errors, MultifileUploadOnlyOnRootZip) {
  expect_error(doc("  <msi-file>\n    <zip-file path=\"a.zip\" ui-multifile-upload=\"on\"/>\n  </msi-file>"),
               "ui-multifile-upload is only allowed on the root <zip-file>", 3, 28);
  expect_error(doc("  <pe-file ui-multifile-upload=\"on\"/>"),
               "ui-multifile-upload is only allowed on the root <zip-file>", 2, 12);
}
