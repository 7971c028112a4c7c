// xmldsig_verify (used by `signet verify`): positive and negative results on <xml-sign> output and
// on documents signed by the xmlsec1 CLI itself.
#include <gtest/gtest.h>

#include <thread>

#include "formats/xml/xmldsig_verify.hpp"
#include "io/error.hpp"
#include "methods/factories.hpp"
#include "methods/xml_test_signer.hpp"

namespace signet::methods {
namespace {

using formats::xml::xmldsig_verify;
using signet::test::Pki;
using signet::test::run;

const std::string kDoc =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\" version=\"1\">\n"
    "  <components><component type=\"library\"><name>MARK</name></component></components>\n</bom>\n";

std::vector<uint8_t> sign(const std::string& xml, const std::string& key_info, crypto::SignerPtr signer) {
  config::Directive d;
  d.name = "xml-sign";
  d.attributes.push_back({"key-info-x509-data", key_info, {}});
  Input in;
  in.bytes = io::memory_source(test::bytes_of(xml), "doc.xml");
  in.file_name = "doc.xml";
  Context ctx;
  ctx.x509 = std::move(signer);
  return io::read_all(*make_xml_sign(d)->apply(in, ctx).bytes, 16 << 20);
}

std::vector<uint8_t> tamper(std::vector<uint8_t> xml, const std::string& what = "MARK") {
  std::string s(xml.begin(), xml.end());
  auto at = s.find(what);
  EXPECT_NE(at, std::string::npos) << what;
  if (at != std::string::npos) xml[at] ^= 0x01;
  return xml;
}

std::vector<crypto::CertDer> certs(std::initializer_list<const char*> names) {
  std::vector<crypto::CertDer> out;
  for (const char* n : names) out.push_back(test::pem_to_der(Pki::get() / n));
  return out;
}

TEST(XmlDsigVerify, OwnOutputWithAnchors) {
  for (const char* mode : {"leaf", "whole-chain", "exclude-root"}) {
    SCOPED_TRACE(mode);
    auto signed_xml = sign(kDoc, mode, test::rsa_signer());
    auto ok = xmldsig_verify(signed_xml, certs({"ca.crt"}));
    EXPECT_TRUE(ok.valid) << ok.detail;
    EXPECT_EQ(ok.kind, "XML-DSig");
    EXPECT_EQ(ok.signer, "Test Code Signer");
    EXPECT_EQ(ok.digest, "sha256");
    EXPECT_EQ(ok.detail, "certificate chain trusted");

    auto bad = xmldsig_verify(tamper(signed_xml), certs({"ca.crt"}));
    EXPECT_FALSE(bad.valid);
    EXPECT_NE(bad.detail.find("digest mismatch"), std::string::npos) << bad.detail;

    auto untrusted = xmldsig_verify(signed_xml, certs({"other.crt"}));
    EXPECT_FALSE(untrusted.valid);
    EXPECT_NE(untrusted.detail.find("not trusted"), std::string::npos) << untrusted.detail;
  }
}

TEST(XmlDsigVerify, EcChainNeedsTheIntermediate) {
  auto whole = sign(kDoc, "exclude-root", test::ec_signer());
  auto r = xmldsig_verify(whole, certs({"ca.crt"}));
  EXPECT_TRUE(r.valid) << r.detail;
  EXPECT_EQ(r.signer, "Test EC Signer");
  EXPECT_FALSE(xmldsig_verify(tamper(whole), certs({"ca.crt"})).valid);

  // Leaf only: the root alone cannot build the chain, the intermediate as anchor can.
  auto leaf = sign(kDoc, "leaf", test::ec_signer());
  auto no_chain = xmldsig_verify(leaf, certs({"ca.crt"}));
  EXPECT_FALSE(no_chain.valid);
  EXPECT_NE(no_chain.detail.find("not trusted"), std::string::npos) << no_chain.detail;
  EXPECT_TRUE(xmldsig_verify(leaf, certs({"inter.crt"})).valid);
}

TEST(XmlDsigVerify, WithoutAnchorsTheChainIsNotChecked) {
  auto signed_xml = sign(kDoc, "leaf", test::ec_signer());
  auto r = xmldsig_verify(signed_xml, {});
  EXPECT_TRUE(r.valid) << r.detail;
  EXPECT_NE(r.detail.find("chain not checked"), std::string::npos);
  EXPECT_FALSE(xmldsig_verify(tamper(signed_xml), {}).valid);
}

TEST(XmlDsigVerify, KeyInfoNoneNeedsTheSignerCertificate) {
  auto signed_xml = sign(kDoc, "none", test::rsa_signer());
  auto no_cert = xmldsig_verify(signed_xml, {});
  EXPECT_FALSE(no_cert.valid);
  EXPECT_NE(no_cert.detail.find("no certificate in KeyInfo"), std::string::npos) << no_cert.detail;
  auto r = xmldsig_verify(signed_xml, certs({"ec.crt", "cs.crt"}));
  EXPECT_TRUE(r.valid) << r.detail;
  EXPECT_EQ(r.signer, "Test Code Signer");
  EXPECT_FALSE(xmldsig_verify(signed_xml, certs({"ec.crt", "other.crt"})).valid);
  EXPECT_FALSE(xmldsig_verify(tamper(signed_xml), certs({"cs.crt"})).valid);
}

TEST(XmlDsigVerify, TamperedSignatureValueOrSwappedCertificate) {
  auto signed_xml = sign(kDoc, "leaf", test::rsa_signer());
  std::string s(signed_xml.begin(), signed_xml.end());
  auto at = s.find("<SignatureValue>") + 20;
  auto sig_tampered = signed_xml;
  sig_tampered[at] = sig_tampered[at] == 'A' ? 'B' : 'A';
  auto r = xmldsig_verify(sig_tampered, {});
  EXPECT_FALSE(r.valid);
  EXPECT_NE(r.detail.find("SignatureValue"), std::string::npos) << r.detail;

  // Replace the certificate with another signer's: the signature no longer verifies.
  auto other = sign(kDoc, "leaf", test::ec_signer());
  std::string o(other.begin(), other.end());
  auto cert = [](const std::string& x) {
    auto b = x.find("<X509Certificate>");
    auto e = x.find("</X509Certificate>");
    return std::make_pair(b, e);
  };
  auto [b1, e1] = cert(s);
  auto [b2, e2] = cert(o);
  std::string swapped = s.substr(0, b1) + o.substr(b2, e2 - b2) + s.substr(e1);
  EXPECT_FALSE(xmldsig_verify(test::bytes_of(swapped), {}).valid);
}

TEST(XmlDsigVerify, UnsignedAndMalformed) {
  auto r = xmldsig_verify(test::bytes_of(kDoc), certs({"ca.crt"}));
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.detail.rfind("not signed", 0), 0u) << r.detail;
  try {
    xmldsig_verify(test::bytes_of("<a>\n<b></a>"), {}, "bad.xml");
    FAIL();
  } catch (const io::Error& e) {
    EXPECT_EQ(e.where().file, "bad.xml");
    EXPECT_EQ(e.where().line, 2);
  }
}

// A document signed by the xmlsec1 CLI from a template (TOOLBOX.md §4.3).
std::string xmlsec1_sign(const std::string& tmpl, const std::string& tag, const std::string& extra = {}) {
  const auto& pki = Pki::get();
  auto in = pki / (tag + "-tmpl.xml");
  auto out = pki / (tag + "-signed.xml");
  test::write_bytes(in, tmpl);
  int rc = run("cd " + pki.dir().string() + " && xmlsec1 --sign --crypto openssl " + extra +
               " --privkey-pem cs.key,cs.crt --output " + out.string() + " " + in.string() + " > " + tag +
               "-sign.log 2>&1");
  EXPECT_EQ(rc, 0) << "xmlsec1 --sign failed";
  return test::read_text(out);
}

const std::string kSignatureTemplate =
    "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n"
    "  <ds:SignedInfo>\n"
    "    <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\n"
    "    <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\n"
    "    <ds:Reference URI=\"@URI@\">\n"
    "      <ds:Transforms>\n"
    "        <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\n"
    "        <ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\n"
    "      </ds:Transforms>\n"
    "      <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\n"
    "      <ds:DigestValue/>\n"
    "    </ds:Reference>\n"
    "  </ds:SignedInfo>\n"
    "  <ds:SignatureValue/>\n"
    "  <ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>\n"
    "</ds:Signature>\n";

std::string with_uri(const std::string& uri) {
  std::string t = kSignatureTemplate;
  t.replace(t.find("@URI@"), 5, uri);
  return t;
}

TEST(XmlDsigVerify, DocumentSignedByXmlsec1) {
  std::string tmpl = "<?xml version=\"1.0\"?>\n<doc xmlns=\"urn:example\">\n  <item a=\"1\">MARK</item>\n" +
                     with_uri("") + "</doc>\n";
  auto signed_xml = test::bytes_of(xmlsec1_sign(tmpl, "cli"));
  auto r = xmldsig_verify(signed_xml, certs({"ca.crt"}));
  EXPECT_TRUE(r.valid) << r.detail;
  EXPECT_EQ(r.signer, "Test Code Signer");
  EXPECT_EQ(r.digest, "sha256");
  EXPECT_FALSE(xmldsig_verify(tamper(signed_xml), certs({"ca.crt"})).valid);
  EXPECT_FALSE(xmldsig_verify(signed_xml, certs({"other.crt"})).valid);

  // Signature over the root by Id also covers the whole document.
  std::string by_id =
      "<doc xmlns=\"urn:example\" Id=\"root\"><item>MARK</item>" + with_uri("#root") + "</doc>";
  auto signed_by_id = test::bytes_of(xmlsec1_sign(by_id, "cli-id", "--id-attr:Id doc"));
  auto ri = xmldsig_verify(signed_by_id, certs({"ca.crt"}));
  EXPECT_TRUE(ri.valid) << ri.detail;
  EXPECT_FALSE(xmldsig_verify(tamper(signed_by_id), certs({"ca.crt"})).valid);
}

TEST(XmlDsigVerify, PartialSignatureIsNotAWholeDocumentSignature) {
  // xmlsec1 signs only <part Id="p">; the rest of the document is not covered.
  std::string tmpl = "<doc><part Id=\"p\">MARK</part><other>unsigned</other>" + with_uri("#p") + "</doc>";
  auto signed_xml = test::bytes_of(xmlsec1_sign(tmpl, "cli-part", "--id-attr:Id part"));
  auto r = xmldsig_verify(signed_xml, certs({"ca.crt"}));
  EXPECT_FALSE(r.valid);
  EXPECT_NE(r.detail.find("whole document"), std::string::npos) << r.detail;
}

TEST(XmlDsigVerify, SecondSignatureMustAlsoVerify) {
  // Signing an already signed document appends a second Signature; the first no longer matches
  // (the enveloped transform removes only its own Signature), which verify must report.
  auto once = sign(kDoc, "leaf", test::rsa_signer());
  auto twice = sign(std::string(once.begin(), once.end()), "leaf", test::rsa_signer());
  auto r = xmldsig_verify(twice, certs({"ca.crt"}));
  EXPECT_FALSE(r.valid);
  EXPECT_NE(r.detail.find("signature 1: INVALID"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("signature 2: valid"), std::string::npos) << r.detail;
}

TEST(XmlDsigVerify, ParallelSigningAndVerifying) {
  // The engine signs files on a thread pool: libxml2 and xmlsec state must not leak between threads.
  std::vector<int> valid(4, 0);
  std::vector<int> tampered_valid(4, 0);
  auto anchors = certs({"ca.crt"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto signer = t % 2 == 0 ? test::rsa_signer() : test::ec_signer();
      for (int i = 0; i < 5; ++i) {
        auto signed_xml = sign(kDoc, "whole-chain", signer);
        valid[t] += xmldsig_verify(signed_xml, anchors).valid ? 1 : 0;
        tampered_valid[t] += xmldsig_verify(tamper(signed_xml), anchors).valid ? 1 : 0;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(valid, std::vector<int>(4, 5));
  EXPECT_EQ(tampered_valid, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace signet::methods
