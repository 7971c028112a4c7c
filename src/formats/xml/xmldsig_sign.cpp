#include "formats/xml/xmldsig_sign.hpp"

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlsave.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

#include "formats/xml/xml_doc.hpp"
#include "io/error.hpp"
#include "io/hash.hpp"

namespace signet::formats::xml {

namespace {

struct OutputBufferDeleter {
  void operator()(xmlOutputBuffer* b) const { xmlOutputBufferClose(b); }
};
struct BufferDeleter {
  void operator()(xmlBuffer* b) const { xmlBufferFree(b); }
};
struct NodeDeleter {
  void operator()(xmlNode* n) const { xmlFreeNode(n); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};

const xmlChar* X(std::string_view s) {
  return reinterpret_cast<const xmlChar*>(s.data());
}

// C14N visibility for "the subtree rooted at user_data". Namespace and attribute nodes are judged
// by their element (libxml2 passes it as `parent`).
int in_subtree(void* user_data, xmlNodePtr node, xmlNodePtr parent) {
  const auto* top = static_cast<const xmlNode*>(user_data);
  const xmlNode* n = node;
  if (node == nullptr || node->type == XML_NAMESPACE_DECL || node->type == XML_ATTRIBUTE_NODE) n = parent;
  for (; n != nullptr; n = n->parent) {
    if (n == top) return 1;
  }
  return 0;
}

// Exclusive C14N 1.0 without comments, of the whole document (subtree == nullptr) or of a subtree.
std::vector<uint8_t> exc_c14n(xmlDoc* doc, xmlNode* subtree, const std::string& name) {
  std::unique_ptr<xmlOutputBuffer, OutputBufferDeleter> out(xmlAllocOutputBuffer(nullptr));
  if (!out) throw io::Error("out of memory canonicalizing XML", io::Location{name});
  int rc = xmlC14NExecute(doc, subtree != nullptr ? in_subtree : nullptr, subtree, XML_C14N_EXCLUSIVE_1_0,
                          nullptr, 0, out.get());
  if (rc < 0) throw io::Error("cannot canonicalize the XML document (exclusive C14N)", io::Location{name});
  const xmlChar* content = xmlOutputBufferGetContent(out.get());
  size_t size = xmlOutputBufferGetSize(out.get());
  return std::vector<uint8_t>(content, content + size);
}

std::string base64(std::span<const uint8_t> data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                          static_cast<int>(data.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

bool is_self_signed(const crypto::CertDer& der) {
  const unsigned char* p = der.data();
  std::unique_ptr<X509, X509Deleter> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) throw io::Error("the signer's certificate chain contains an unreadable certificate");
  return (X509_get_extension_flags(cert.get()) & EXFLAG_SS) != 0;
}

std::vector<const crypto::CertDer*> select_certificates(const std::vector<crypto::CertDer>& certs,
                                                        KeyInfoX509 mode) {
  std::vector<const crypto::CertDer*> out;
  if (mode == KeyInfoX509::none) return out;
  for (size_t i = 0; i < certs.size(); ++i) {
    if (i > 0 && mode == KeyInfoX509::leaf) break;
    if (i > 0 && mode == KeyInfoX509::exclude_root && is_self_signed(certs[i])) continue;
    out.push_back(&certs[i]);
  }
  return out;
}

// Builds the dsig elements in the default namespace on <Signature>, as .NET's SignedXml does.
class Builder {
 public:
  Builder(xmlDoc* doc, const std::string& name) : name_(name) {
    sig_.reset(check(xmlNewDocNode(doc, nullptr, X("Signature"), nullptr)));
    ns_ = check(xmlNewNs(sig_.get(), X(kDsigNs), nullptr));
    xmlSetNs(sig_.get(), ns_);
  }
  xmlNode* signature() const { return sig_.get(); }
  xmlNode* add(xmlNode* parent, const char* element, const std::string& text = {}) {
    return check(xmlNewTextChild(parent, ns_, X(element), text.empty() ? nullptr : X(text)));
  }
  xmlNode* add_algorithm(xmlNode* parent, const char* element, std::string_view uri) {
    xmlNode* n = add(parent, element);
    check(xmlNewProp(n, X("Algorithm"), X(std::string(uri))));
    return n;
  }
  // Hands the Signature to the document as the root's last child.
  void append_to(xmlNode* root) {
    if (xmlAddChild(root, sig_.get()) == nullptr)
      throw io::Error("cannot insert the Signature", io::Location{name_});
    static_cast<void>(sig_.release());
  }

 private:
  template <typename T>
  T* check(T* p) const {
    if (p == nullptr) throw io::Error("out of memory building the XML signature", io::Location{name_});
    return p;
  }
  std::string name_;
  std::unique_ptr<xmlNode, NodeDeleter> sig_;
  xmlNs* ns_ = nullptr;
};

bool had_xml_declaration(std::span<const uint8_t> xml) {
  if (xml.size() >= 2 && ((xml[0] == 0xFF && xml[1] == 0xFE) || (xml[0] == 0xFE && xml[1] == 0xFF)))
    return true;
  size_t start = (xml.size() >= 3 && xml[0] == 0xEF && xml[1] == 0xBB && xml[2] == 0xBF) ? 3 : 0;
  static constexpr std::string_view decl = "<?xml";
  return xml.size() >= start + decl.size() && std::memcmp(xml.data() + start, decl.data(), decl.size()) == 0;
}

bool is_utf8_name(const char* encoding) {
  if (encoding == nullptr) return true;
  std::string e(encoding);
  std::transform(e.begin(), e.end(), e.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e == "utf-8" || e == "utf8";
}

// Serialize keeping the declaration (version, encoding, standalone) when the input had one.
std::vector<uint8_t> serialize(xmlDoc* doc, std::span<const uint8_t> original, const std::string& name) {
  std::unique_ptr<xmlBuffer, BufferDeleter> buf(xmlBufferCreate());
  if (!buf) throw io::Error("out of memory writing XML", io::Location{name});
  const char* encoding = doc->encoding != nullptr ? reinterpret_cast<const char*>(doc->encoding) : nullptr;
  xmlSaveCtxtPtr save =
      xmlSaveToBuffer(buf.get(), encoding, had_xml_declaration(original) ? 0 : XML_SAVE_NO_DECL);
  if (save == nullptr) {
    throw io::Error(std::string("cannot write XML in encoding ") + (encoding ? encoding : "UTF-8"),
                    io::Location{name});
  }
  long saved = xmlSaveDoc(save, doc);
  int closed = xmlSaveClose(save);
  if (saved < 0 || closed < 0)
    throw io::Error("cannot serialize the signed XML document", io::Location{name});
  std::vector<uint8_t> out;
  if (original.size() >= 3 && original[0] == 0xEF && original[1] == 0xBB && original[2] == 0xBF &&
      is_utf8_name(encoding)) {
    out = {0xEF, 0xBB, 0xBF};  // keep a UTF-8 byte order mark
  }
  const xmlChar* content = xmlBufferContent(buf.get());
  out.insert(out.end(), content, content + xmlBufferLength(buf.get()));
  return out;
}

}  // namespace

bool parse_key_info_x509(std::string_view value, KeyInfoX509& out) {
  if (value == "none")
    out = KeyInfoX509::none;
  else if (value == "leaf")
    out = KeyInfoX509::leaf;
  else if (value == "whole-chain")
    out = KeyInfoX509::whole_chain;
  else if (value == "exclude-root")
    out = KeyInfoX509::exclude_root;
  else
    return false;
  return true;
}

std::string_view key_info_x509_name(KeyInfoX509 mode) {
  switch (mode) {
    case KeyInfoX509::none:
      return "none";
    case KeyInfoX509::leaf:
      return "leaf";
    case KeyInfoX509::whole_chain:
      return "whole-chain";
    case KeyInfoX509::exclude_root:
      return "exclude-root";
  }
  return "leaf";
}

std::vector<uint8_t> ecdsa_der_to_raw(std::span<const uint8_t> der, size_t field_bytes) {
  const unsigned char* p = der.data();
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != der.data() + der.size())
    throw io::Error("the signer returned a malformed ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  if (static_cast<size_t>(BN_num_bytes(r)) > field_bytes ||
      static_cast<size_t>(BN_num_bytes(s)) > field_bytes) {
    throw io::Error("the signer's ECDSA signature does not fit its key size");
  }
  std::vector<uint8_t> raw(2 * field_bytes);
  BN_bn2binpad(r, raw.data(), static_cast<int>(field_bytes));
  BN_bn2binpad(s, raw.data() + field_bytes, static_cast<int>(field_bytes));
  return raw;
}

SignedXml sign_enveloped(std::span<const uint8_t> xml, const std::string& name, const crypto::Signer& signer,
                         KeyInfoX509 mode) {
  std::string_view method_uri;
  std::string method_name;
  switch (signer.key_type()) {
    case crypto::KeyType::rsa:
      method_uri = kRsaSha256;
      method_name = "rsa-sha256";
      break;
    case crypto::KeyType::ec:
      method_uri = kEcdsaSha256;
      method_name = "ecdsa-sha256";
      break;
    default:
      throw io::Error("<xml-sign> needs an RSA or EC key; " + signer.describe() + " is neither",
                      io::Location{name});
  }
  const auto& chain = signer.certificates();
  if (mode != KeyInfoX509::none && chain.empty()) {
    throw io::Error("<xml-sign> with key-info-x509-data=\"" + std::string(key_info_x509_name(mode)) +
                        "\" needs a certificate, but " + signer.describe() + " has none",
                    io::Location{name});
  }

  DocPtr doc = parse(xml, name);
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (has_entity_references(doc->children)) {
    throw io::Error(
        "cannot sign XML that uses DTD-declared entity references (&name;): they are not expanded",
        io::Location{name});
  }

  // Reference URI="" with enveloped-signature + exc-c14n: the document as it is now, before the
  // Signature exists, canonicalized without comments.
  auto doc_digest = io::digest(io::HashAlg::sha256, exc_c14n(doc.get(), nullptr, name));

  Builder b(doc.get(), name);
  xmlNode* signed_info = b.add(b.signature(), "SignedInfo");
  b.add_algorithm(signed_info, "CanonicalizationMethod", kExcC14n);
  b.add_algorithm(signed_info, "SignatureMethod", method_uri);
  xmlNode* reference = b.add(signed_info, "Reference");
  if (xmlNewProp(reference, X("URI"), X("")) == nullptr) throw io::Error("out of memory", io::Location{name});
  xmlNode* transforms = b.add(reference, "Transforms");
  b.add_algorithm(transforms, "Transform", kEnvelopedSignature);
  b.add_algorithm(transforms, "Transform", kExcC14n);
  b.add_algorithm(reference, "DigestMethod", kSha256);
  b.add(reference, "DigestValue", base64(doc_digest));
  xmlNode* signature_value = b.add(b.signature(), "SignatureValue");
  auto certs = select_certificates(chain, mode);
  if (!certs.empty()) {
    xmlNode* x509_data = b.add(b.add(b.signature(), "KeyInfo"), "X509Data");
    for (const auto* der : certs) b.add(x509_data, "X509Certificate", base64(*der));
  }
  b.append_to(root);

  // SignedInfo is canonicalized in place, so its namespace context is the final one.
  auto si_digest = io::digest(io::HashAlg::sha256, exc_c14n(doc.get(), signed_info, name));
  auto value = signer.sign_digest(io::HashAlg::sha256, si_digest, crypto::RsaPadding::pkcs1);
  if (signer.key_type() == crypto::KeyType::ec) {
    value = ecdsa_der_to_raw(value, static_cast<size_t>(signer.key_bits() + 7) / 8);
  }
  std::string value_b64 = base64(value);
  xmlNodeAddContent(signature_value, X(value_b64));

  return SignedXml{serialize(doc.get(), xml, name), method_name};
}

}  // namespace signet::formats::xml
