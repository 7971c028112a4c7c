// <xml-file>: root metadata for restrictions, the 2 MB limit, malformed input and hostile DTDs.
#include <gtest/gtest.h>

#include <fstream>

#include "formats/factories.hpp"
#include "formats/xml/xml_doc.hpp"
#include "io/error.hpp"
#include "io/file.hpp"

namespace signet::formats {
namespace {

std::unique_ptr<OpenedFile> open_xml(const std::string& xml, const std::string& name = "doc.xml") {
  return xml_format().open(io::memory_source(std::vector<uint8_t>(xml.begin(), xml.end()), name), Limits{});
}

TEST(XmlFormat, IsRegisteredAsXmlFile) {
  EXPECT_EQ(xml_format().element(), "xml-file");
  EXPECT_FALSE(xml_format().is_container());
  EXPECT_EQ(find_format("xml-file"), &xml_format());
}

TEST(XmlFormat, RootMetadata) {
  auto bom = open_xml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\" version=\"1\"><components/></bom>");
  EXPECT_EQ(bom->metadata("root-element-name"), "bom");
  EXPECT_EQ(bom->metadata("root-element-namespace"), "http://cyclonedx.org/schema/bom/1.5");
  EXPECT_EQ(bom->metadata("product-name"), std::nullopt);
  EXPECT_FALSE(bom->is_container());

  auto prefixed = open_xml("<p:root xmlns:p=\"urn:p\" xmlns=\"urn:default\"><child/></p:root>");
  EXPECT_EQ(prefixed->metadata("root-element-name"), "root");
  EXPECT_EQ(prefixed->metadata("root-element-namespace"), "urn:p");

  auto plain = open_xml("<!-- c --><config><a xmlns=\"urn:inner\"/></config>");
  EXPECT_EQ(plain->metadata("root-element-name"), "config");
  EXPECT_EQ(plain->metadata("root-element-namespace"), "");
}

TEST(XmlFormat, TwoMegabyteLimit) {
  const size_t limit = 2u << 20;
  std::string at_limit = "<r>" + std::string(limit - 7, 'x') + "</r>";
  ASSERT_EQ(at_limit.size(), limit);
  EXPECT_EQ(open_xml(at_limit)->metadata("root-element-name"), "r");
  std::string over = "<r>" + std::string(limit - 6, 'x') + "</r>";
  try {
    open_xml(over, "big.xml");
    FAIL() << "accepted a document over 2 MB";
  } catch (const io::Error& e) {
    EXPECT_EQ(e.where().file, "big.xml");
    EXPECT_NE(std::string(e.what()).find("2 MB"), std::string::npos) << e.what();
  }
}

TEST(XmlFormat, MalformedNamesFileLineAndColumn) {
  try {
    open_xml("<?xml version=\"1.0\"?>\n<root>\n  <a>\n  </b>\n</root>\n", "sub/bad.xml");
    FAIL();
  } catch (const io::Error& e) {
    EXPECT_EQ(e.where().file, "sub/bad.xml");
    EXPECT_EQ(e.where().line, 4);
    EXPECT_GT(e.where().column, 0);
    EXPECT_EQ(std::string(e.what()).rfind("sub/bad.xml:4:", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("malformed XML"), std::string::npos);
  }
  EXPECT_THROW(open_xml(""), io::Error);
  EXPECT_THROW(open_xml("just text"), io::Error);
  EXPECT_THROW(open_xml("<a></a><b/>"), io::Error);
}

TEST(XmlFormat, ExternalEntitiesAreNotResolved) {
  // XXE: the entity stays a reference; nothing is read from the file system.
  std::string xxe = "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
  auto opened = open_xml(xxe);
  EXPECT_EQ(opened->metadata("root-element-name"), "r");
  auto doc = xml::parse(std::vector<uint8_t>(xxe.begin(), xxe.end()), "xxe.xml");
  xml::XmlCharPtr content(xmlNodeGetContent(xmlDocGetRootElement(doc.get())));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(content.get())).find("root:"), std::string::npos);
  EXPECT_TRUE(xml::has_entity_references(doc->children));

  // Billion laughs: libxml2's amplification check refuses it (an io::Error, not a hang or a crash).
  std::string lol = "<!DOCTYPE r [<!ENTITY a0 \"lol\">";
  for (int i = 1; i <= 9; ++i) {
    lol += "<!ENTITY a" + std::to_string(i) + " \"";
    for (int j = 0; j < 10; ++j) lol += "&a" + std::to_string(i - 1) + ";";
    lol += "\">";
  }
  lol += "]><r>&a9;</r>";
  EXPECT_THROW(open_xml(lol), io::Error);
}

TEST(XmlFormat, ExternalDtdIsNotLoaded) {
  // The DTD is broken: loading it would make parsing fail.
  io::TempDir dir;
  auto dtd = dir.path() / "broken.dtd";
  { std::ofstream(dtd) << "<!ELEMENT r (((\n<!ATTLIST"; }
  auto opened = open_xml("<!DOCTYPE r SYSTEM \"" + dtd.string() + "\"><r/>");
  EXPECT_EQ(opened->metadata("root-element-name"), "r");
}

}  // namespace
}  // namespace signet::formats
