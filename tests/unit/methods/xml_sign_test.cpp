// <xml-sign>: signed output is checked by the independent xmlsec1 CLI for every key-info mode and
// key type, on documents that exercise canonicalization; each positive check has a tampered
// negative control.
#include <gtest/gtest.h>
#include <libxml/tree.h>

#include <algorithm>

#include "formats/xml/xml_doc.hpp"
#include "formats/xml/xmldsig_sign.hpp"
#include "methods/factories.hpp"
#include "methods/xml_test_signer.hpp"

namespace signet::methods {
namespace {

using signet::test::Pki;
using signet::test::run;

struct Sample {
  std::string name;
  std::string xml;
};

// Every sample carries "MARK" in signed content: replacing it must break the signature.
const std::vector<Sample>& samples() {
  static const std::vector<Sample> all = {
      {"namespaces",
       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
       "<a:root xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" xmlns:unused=\"urn:unused\">\n"
       "  <b:child b:attr=\"1\" a:x=\"2\">MARK</b:child>\n  <a:child/>\n</a:root>\n"},
      {"default-namespace",
       "<root xmlns=\"urn:default\"><child>MARK</child><other xmlns=\"\">plain</other>"
       "<p:x xmlns:p=\"urn:p\" xmlns=\"urn:inner\"><y/></p:x></root>"},
      {"comments",
       "<?xml version=\"1.0\"?>\n<!-- leading -->\n<root><!-- inside -->MARK<x/><!--tail--></root>\n"
       "<!-- trailing -->\n"},
      {"attributes",
       "<root z=\"1\" a=\"2\" xmlns:p=\"urn:p\" p:b=\"3\" m='single \"quoted\" MARK' t=\"tab&#9;nl&#10;\" "
       "xmlns:q=\"urn:q\" q:a=\"4\"><e  b = \"x\"   a=\"y\" ></e></root>"},
      {"cdata", "<root><![CDATA[<not>&markup MARK]]><v>&lt;&amp;&gt;&quot;</v></root>"},
      {"latin1",
       "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<root>caf\xe9 na\xefve MARK &#x20AC;</root>\n"},
      {"standalone-crlf",
       "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\r\n<root>\r\n"
       "  <a>MARK</a>\r\n  <b>\xC3\xA9\xE2\x82\xAC</b>\r\n</root>\r\n"},
      {"cyclonedx",
       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
       "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\" "
       "serialNumber=\"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79\" version=\"1\">\n"
       "  <metadata>\n    <timestamp>2026-11-01T10:00:00Z</timestamp>\n"
       "    <component type=\"application\"><name>signet</name><version>0.1.0</version></component>\n"
       "  </metadata>\n  <components>\n"
       "    <component type=\"library\" bom-ref=\"pkg:generic/zlib@1.2.13\">\n"
       "      <name>zlib</name><version>1.2.13</version>\n"
       "      <hashes><hash alg=\"SHA-256\">MARK</hash></hashes>\n"
       "      <licenses><license><id>Zlib</id></license></licenses>\n"
       "      <purl>pkg:generic/zlib@1.2.13</purl>\n    </component>\n  </components>\n</bom>\n"},
  };
  return all;
}

config::Directive directive(const std::string& key_info) {
  config::Directive d;
  d.name = "xml-sign";
  d.where = {"config.xml", 4, 7};
  if (!key_info.empty()) d.attributes.push_back({"key-info-x509-data", key_info, {"config.xml", 4, 16}});
  return d;
}

std::string sign(const std::string& xml, const std::string& key_info, crypto::SignerPtr signer,
                 std::string* description = nullptr) {
  auto method = make_xml_sign(directive(key_info));
  Input in;
  in.bytes = io::memory_source(test::bytes_of(xml), "doc.xml");
  in.file_name = "doc.xml";
  in.path = "dir/doc.xml";
  Context ctx;
  ctx.x509 = std::move(signer);
  Output out = method->apply(in, ctx);
  if (description != nullptr) *description = out.description;
  auto bytes = io::read_all(*out.bytes, 16 << 20);
  return std::string(bytes.begin(), bytes.end());
}

std::string replace_mark(std::string s) {
  auto at = s.find("MARK");
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos) s[at + 3] = 'X';
  return s;
}

// Independent check: xmlsec1's exit code on `xml`.
int xmlsec1_verify(const std::string& xml, const std::string& args, const std::string& tag) {
  const auto& pki = Pki::get();
  auto file = pki / ("signed-" + tag + ".xml");
  test::write_bytes(file, xml);
  return run("cd " + pki.dir().string() + " && xmlsec1 --verify " + args + " " + file.string() + " > " +
             file.string() + ".log 2>&1");
}

std::string xmlsec1_args(const std::string& mode, bool ec) {
  std::string leaf = ec ? "ec.crt" : "cs.crt";
  if (mode == "none") return "--pubkey-cert-pem " + leaf;
  std::string args = "--trusted-pem ca.crt";
  if (ec && (mode == "leaf" || mode.empty())) args += " --untrusted-pem inter.crt";
  return args;
}

struct Case {
  std::string mode;  // "" = attribute absent (default leaf)
  bool ec;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << (c.mode.empty() ? "default" : c.mode) << (c.ec ? "/ec" : "/rsa");
}

class XmlSignInterop : public ::testing::TestWithParam<Case> {};

TEST_P(XmlSignInterop, Xmlsec1VerifiesAndRejectsTampering) {
  const auto& [mode, ec] = GetParam();
  auto signer = ec ? test::ec_signer() : test::rsa_signer();
  std::string args = xmlsec1_args(mode, ec);
  for (const auto& s : samples()) {
    SCOPED_TRACE(s.name);
    std::string signed_xml = sign(s.xml, mode, signer);
    std::string tag = s.name + "-" + (mode.empty() ? "default" : mode) + (ec ? "-ec" : "-rsa");
    EXPECT_EQ(xmlsec1_verify(signed_xml, args, tag), 0) << signed_xml;
    EXPECT_EQ(xmlsec1_verify(replace_mark(signed_xml), args, tag + "-tampered"), 1);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, XmlSignInterop,
                         ::testing::Values(Case{"", false}, Case{"none", false}, Case{"leaf", false},
                                           Case{"whole-chain", false}, Case{"exclude-root", false},
                                           Case{"", true}, Case{"none", true}, Case{"leaf", true},
                                           Case{"whole-chain", true}, Case{"exclude-root", true}),
                         [](const auto& info) {
                           std::string m = info.param.mode.empty() ? "default" : info.param.mode;
                           std::replace(m.begin(), m.end(), '-', '_');
                           return m + (info.param.ec ? "_ec" : "_rsa");
                         });

TEST(XmlSign, CommentEditsDoNotBreakTheSignature) {
  // Reference URI="" excludes comments, so a changed comment still verifies (xmlsec1 agrees).
  std::string signed_xml = sign(samples()[2].xml, "leaf", test::rsa_signer());
  auto at = signed_xml.find("inside");
  ASSERT_NE(at, std::string::npos);
  signed_xml.replace(at, 6, "edited");
  EXPECT_EQ(xmlsec1_verify(signed_xml, "--trusted-pem ca.crt", "comment-edit"), 0);
  EXPECT_EQ(xmlsec1_verify(replace_mark(signed_xml), "--trusted-pem ca.crt", "comment-edit-tampered"), 1);
}

TEST(XmlSign, WrongTrustAnchorFails) {
  std::string signed_xml = sign(samples()[0].xml, "whole-chain", test::rsa_signer());
  EXPECT_EQ(xmlsec1_verify(signed_xml, "--trusted-pem ca.crt", "anchor-right"), 0);
  EXPECT_EQ(xmlsec1_verify(signed_xml, "--trusted-pem other.crt", "anchor-wrong"), 1);
}

// Structure: the fixed SignPath output.
xmlNode* element_child(xmlNode* n, const char* name) {
  for (xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && formats::xml::local_name(c) == name) return c;
  }
  return nullptr;
}

std::string attr(xmlNode* n, const char* name) {
  formats::xml::XmlCharPtr v(xmlGetProp(n, reinterpret_cast<const xmlChar*>(name)));
  return v ? reinterpret_cast<const char*>(v.get()) : "<absent>";
}

int count_elements(xmlNode* n, const char* name) {
  int count = 0;
  for (xmlNode* c = n; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && formats::xml::local_name(c) == name) ++count;
    count += count_elements(c->children, name);
  }
  return count;
}

TEST(XmlSign, StructureMatchesSignPath) {
  struct Expect {
    std::string mode;
    bool ec;
    int certs;
  };
  // RSA chain: cs, ca (self-signed). EC chain: ec, intermediate, ca.
  for (const auto& e :
       {Expect{"none", false, 0}, Expect{"leaf", false, 1}, Expect{"", false, 1},
        Expect{"whole-chain", false, 2}, Expect{"exclude-root", false, 1}, Expect{"none", true, 0},
        Expect{"leaf", true, 1}, Expect{"whole-chain", true, 3}, Expect{"exclude-root", true, 2}}) {
    SCOPED_TRACE(e.mode + (e.ec ? " ec" : " rsa"));
    std::string description;
    std::string signed_xml =
        sign(samples()[7].xml, e.mode, e.ec ? test::ec_signer() : test::rsa_signer(), &description);
    auto doc = formats::xml::parse(test::bytes_of(signed_xml), "signed.xml");
    xmlNode* root = xmlDocGetRootElement(doc.get());
    EXPECT_EQ(formats::xml::local_name(root), "bom");
    xmlNode* sig = root->last;  // the root's last child, not just its last element
    ASSERT_NE(sig, nullptr);
    ASSERT_EQ(sig->type, XML_ELEMENT_NODE);
    EXPECT_EQ(formats::xml::local_name(sig), "Signature");
    EXPECT_EQ(formats::xml::namespace_uri(sig), "http://www.w3.org/2000/09/xmldsig#");
    EXPECT_EQ(count_elements(root->children, "Signature"), 1);

    xmlNode* si = element_child(sig, "SignedInfo");
    ASSERT_NE(si, nullptr);
    EXPECT_EQ(attr(element_child(si, "CanonicalizationMethod"), "Algorithm"),
              "http://www.w3.org/2001/10/xml-exc-c14n#");
    EXPECT_EQ(attr(element_child(si, "SignatureMethod"), "Algorithm"),
              e.ec ? "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
                   : "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    xmlNode* ref = element_child(si, "Reference");
    ASSERT_NE(ref, nullptr);
    EXPECT_EQ(attr(ref, "URI"), "");
    std::vector<std::string> transforms;
    for (xmlNode* t = element_child(ref, "Transforms")->children; t != nullptr; t = t->next) {
      if (t->type == XML_ELEMENT_NODE) transforms.push_back(attr(t, "Algorithm"));
    }
    EXPECT_EQ(transforms, (std::vector<std::string>{"http://www.w3.org/2000/09/xmldsig#enveloped-signature",
                                                    "http://www.w3.org/2001/10/xml-exc-c14n#"}));
    EXPECT_EQ(attr(element_child(ref, "DigestMethod"), "Algorithm"),
              "http://www.w3.org/2001/04/xmlenc#sha256");

    xmlNode* value = element_child(sig, "SignatureValue");
    ASSERT_NE(value, nullptr);
    formats::xml::XmlCharPtr b64(xmlNodeGetContent(value));
    size_t b64_len = std::string(reinterpret_cast<const char*>(b64.get())).size();
    EXPECT_EQ(b64_len, e.ec ? 88u : 344u);  // r||s of 2x32 bytes; 2048-bit RSA
    EXPECT_EQ(element_child(sig, "KeyInfo") != nullptr, e.certs > 0);
    EXPECT_EQ(count_elements(sig->children, "X509Certificate"), e.certs);
    EXPECT_EQ(description, std::string("XML-DSig enveloped ") + (e.ec ? "ecdsa-sha256" : "rsa-sha256") +
                               ", key info " + (e.mode.empty() ? "leaf" : e.mode));
  }
}

TEST(XmlSign, KeepsDeclarationAndEncoding) {
  std::string latin1 = sign(samples()[5].xml, "leaf", test::rsa_signer());
  EXPECT_EQ(latin1.rfind("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>", 0), 0u) << latin1.substr(0, 80);
  EXPECT_NE(latin1.find("caf\xe9"), std::string::npos);  // still Latin-1 bytes
  std::string bare = sign(samples()[1].xml, "leaf", test::rsa_signer());
  EXPECT_EQ(bare.rfind("<root xmlns=\"urn:default\">", 0), 0u) << bare.substr(0, 80);
  std::string bom = sign(samples()[6].xml, "leaf", test::rsa_signer());
  EXPECT_EQ(bom.rfind("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>", 0), 0u);
  std::string cdata = sign(samples()[4].xml, "leaf", test::rsa_signer());
  EXPECT_NE(cdata.find("<![CDATA[<not>&markup MARK]]>"), std::string::npos);
}

TEST(XmlSign, OnlyTheSignedInfoDigestReachesTheSigner) {
  auto signer = test::rsa_signer();
  sign(samples()[0].xml, "leaf", signer);
  EXPECT_EQ(signer->calls, 1);
  EXPECT_EQ(signer->last_digest.size(), 32u);
}

TEST(XmlSign, RejectsBadAttributes) {
  try {
    make_xml_sign(directive("full"));
    FAIL() << "accepted key-info-x509-data=full";
  } catch (const io::Error& e) {
    EXPECT_EQ(e.where().line, 4);
    EXPECT_EQ(e.where().column, 16);
    EXPECT_NE(std::string(e.what()).find("whole-chain"), std::string::npos);
  }
  auto d = directive("");
  d.attributes.push_back({"hash-algorithm", "sha256", {"config.xml", 5, 3}});
  EXPECT_THROW(make_xml_sign(d), io::Error);
  auto m = make_xml_sign(directive(""));
  EXPECT_EQ(m->directive(), "xml-sign");
  EXPECT_EQ(m->category(), Category::embedded);
  EXPECT_EQ(m->key_need(), KeyNeed::x509);
}

TEST(XmlSign, FailsClearly) {
  // No X.509 key.
  try {
    sign(samples()[0].xml, "leaf", nullptr);
    FAIL();
  } catch (const io::Error& e) {
    EXPECT_NE(std::string(e.what()).find("X.509"), std::string::npos) << e.what();
    EXPECT_EQ(e.where().file, "dir/doc.xml");
  }
  // A key without certificate is fine for "none" only.
  auto bare = std::make_shared<test::TestSigner>(Pki::get() / "cs.key", std::vector<std::filesystem::path>{});
  EXPECT_NO_THROW(sign(samples()[0].xml, "none", bare));
  EXPECT_THROW(sign(samples()[0].xml, "leaf", bare), io::Error);
  // Ed25519 has no XML-DSig algorithm here.
  auto ed = std::make_shared<test::TestSigner>(Pki::get() / "ed.key", std::vector<std::filesystem::path>{});
  EXPECT_THROW(sign(samples()[0].xml, "none", ed), io::Error);
  // Malformed input names the file and line.
  try {
    sign("<root>\n<a>\n</root>", "leaf", test::rsa_signer());
    FAIL();
  } catch (const io::Error& e) {
    EXPECT_EQ(e.where().file, "dir/doc.xml");
    EXPECT_EQ(e.where().line, 3);
  }
  // Over 2 MB.
  std::string big = "<r>" + std::string(2u << 20, 'x') + "</r>";
  EXPECT_THROW(sign(big, "leaf", test::rsa_signer()), io::Error);
  // DTD entities are neither expanded nor signable.
  try {
    sign("<!DOCTYPE r [<!ENTITY e \"expanded\">]><r>&e;</r>", "leaf", test::rsa_signer());
    FAIL();
  } catch (const io::Error& e) {
    EXPECT_NE(std::string(e.what()).find("entity"), std::string::npos) << e.what();
  }
}

TEST(XmlSign, EcdsaDerToRaw) {
  // SEQUENCE { INTEGER 0x00ff (positive, leading zero), INTEGER 0x01 }
  std::vector<uint8_t> der = {0x30, 0x07, 0x02, 0x02, 0x00, 0xff, 0x02, 0x01, 0x01};
  auto raw = formats::xml::ecdsa_der_to_raw(der, 4);
  EXPECT_EQ(raw, (std::vector<uint8_t>{0, 0, 0, 0xff, 0, 0, 0, 1}));
  EXPECT_THROW(formats::xml::ecdsa_der_to_raw(std::vector<uint8_t>{0x30, 0x00, 0x00}, 4), io::Error);
}

}  // namespace
}  // namespace signet::methods
