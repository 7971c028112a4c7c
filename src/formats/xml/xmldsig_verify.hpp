// XML-DSig verification for `signet verify`: every ds:Signature of a document is checked with the
// xmlsec1 library (OpenSSL backend); the certificate chain is checked against the given anchors.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "crypto/signer.hpp"
#include "crypto/verify_result.hpp"

namespace signet::formats::xml {

// Checks every top-level ds:Signature (signatures nested in another signature are not separate).
// Each must reference the whole document (Reference URI="" or "#<root Id>"), use only
// enveloped-signature / C14N transforms, and verify with the key of its signing certificate:
// - the leaf of KeyInfo/X509Data; when `anchors` is non-empty its chain (KeyInfo certificates as
//   intermediates) must reach one of them (an anchor may be an intermediate), otherwise detail
//   says the chain was not checked;
// - with no certificate in KeyInfo, each anchor's own key is tried (the signer's certificate can be
//   given as anchor for key-info-x509-data="none").
// A document without a Signature gives valid=false, detail "not signed". Malformed XML throws
// io::Error naming `name` with line:col.
crypto::VerifyResult xmldsig_verify(std::span<const uint8_t> xml, const std::vector<crypto::CertDer>& anchors,
                                    const std::string& name = "XML document");

// Initialise xmlsec (and its OpenSSL backend) once per process; thread-safe. Throws io::Error when
// the library cannot be initialised. Other users of xmlsec should call this instead of xmlSecInit.
void ensure_xmlsec();

}  // namespace signet::formats::xml
