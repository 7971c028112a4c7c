#include "engine/verify.hpp"

#include <algorithm>
#include <functional>
#include <map>

#include "crypto/authenticode.hpp"
#include "crypto/cms.hpp"
#include "crypto/openpgp/openpgp.hpp"
#include "crypto/raw_signature.hpp"
#include "formats/authenticode.hpp"
#include "formats/factories.hpp"
#include "formats/pe/pe.hpp"
#include "formats/xml/xmldsig_verify.hpp"
#include "io/ascii.hpp"
#include "io/error.hpp"
#include "io/source.hpp"

namespace signet::engine {

namespace {

constexpr uint64_t kMaxSignatureSize = 1 << 20;  // detached signatures are small
constexpr uint64_t kMaxXmlSize = 16 << 20;

enum class SigKind { none, cms, openpgp, raw, zip, xml, pe };

bool starts_with(std::span<const uint8_t> d, std::string_view s) {
  return d.size() >= s.size() && std::equal(s.begin(), s.end(), d.begin());
}

bool contains(std::span<const uint8_t> d, std::string_view s) {
  return std::search(d.begin(), d.end(), s.begin(), s.end()) != d.end();
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && io::ascii_lower(s.substr(s.size() - suffix.size())) == suffix;
}

// What a file is, judged by its first bytes (and, for raw signatures, its name).
SigKind classify(std::span<const uint8_t> head, const std::string& name) {
  static const uint8_t signed_data_oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
  if (formats::pe::looks_like_pe(head)) return SigKind::pe;
  if (starts_with(head, "PK\x03\x04") || starts_with(head, "PK\x05\x06")) return SigKind::zip;
  if (starts_with(head, "-----BEGIN CMS-----") || starts_with(head, "-----BEGIN PKCS7-----"))
    return SigKind::cms;
  if (starts_with(head, "-----BEGIN PGP SIGNATURE-----")) return SigKind::openpgp;
  if (head.size() > 16 && head[0] == 0x30 &&
      std::search(head.begin(), head.begin() + std::min<size_t>(head.size(), 32), std::begin(signed_data_oid),
                  std::end(signed_data_oid)) != head.begin() + std::min<size_t>(head.size(), 32)) {
    return SigKind::cms;
  }
  bool pgp_ext = ends_with(name, ".sig") || ends_with(name, ".gpg") || ends_with(name, ".asc");
  // An OpenPGP signature packet: old format tag 2 (0x88..0x8b) or new format 0xc2.
  if (pgp_ext && !head.empty() && ((head[0] & 0xfc) == 0x88 || head[0] == 0xc2) && head.size() > 3) {
    return SigKind::openpgp;
  }
  if (ends_with(name, ".sig")) return SigKind::raw;
  if (ends_with(name, ".xml") || (starts_with(head, "<?xml") && contains(head, "xmldsig")))
    return SigKind::xml;
  return SigKind::none;
}

std::vector<uint8_t> head_of(const io::Source& src) {
  std::vector<uint8_t> buf(static_cast<size_t>(std::min<uint64_t>(src.size(), 4096)));
  auto r = src.open();
  size_t done = 0;
  while (done < buf.size()) {
    size_t n = r->read(std::span<uint8_t>(buf).subspan(done));
    if (n == 0) break;
    done += n;
  }
  buf.resize(done);
  return buf;
}

class Walker {
 public:
  explicit Walker(const VerifyOptions& opt) : opt_(opt) {
    for (const auto& p : opt.pgp_keys) {
      auto keys = crypto::openpgp::load_public_keys(p);
      pgp_keys_.insert(pgp_keys_.end(), keys.begin(), keys.end());
    }
  }

  std::vector<Finding> findings;

  // A file in a container (or on disk) whose siblings are `siblings` (name -> source).
  void visit(const std::string& path, const std::string& name, const io::SourcePtr& src,
             const std::function<io::SourcePtr(const std::string&)>& sibling, uint64_t depth) {
    auto head = head_of(*src);
    switch (classify(head, name)) {
      case SigKind::zip:
        visit_zip(path, src, depth);
        break;
      case SigKind::xml:
        visit_xml(path, src);
        break;
      case SigKind::pe:
        visit_pe(path, src);
        break;
      case SigKind::cms:
      case SigKind::openpgp:
      case SigKind::raw:
        visit_detached(path, name, src, sibling, classify(head, name));
        break;
      case SigKind::none:
        break;
    }
  }

 private:
  void visit_zip(const std::string& path, const io::SourcePtr& src, uint64_t depth) {
    if (depth >= opt_.limits.max_depth) throw io::Error("containers nested too deeply", io::Location{path});
    auto zip = formats::zip_format().open(src, opt_.limits);
    const auto& entries = zip->entries();
    std::map<std::string, size_t> by_name;
    for (size_t i = 0; i < entries.size(); ++i) by_name[io::ascii_lower(entries[i].path)] = i;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].directory) continue;
      const std::string& ep = entries[i].path;
      auto slash = ep.find_last_of('/');
      std::string dir = slash == std::string::npos ? "" : ep.substr(0, slash + 1);
      std::string name = slash == std::string::npos ? ep : ep.substr(slash + 1);
      auto sibling = [&, dir](const std::string& n) -> io::SourcePtr {
        auto it = by_name.find(io::ascii_lower(dir + n));
        return it == by_name.end() ? nullptr : zip->entry_source(it->second);
      };
      visit(path + "/" + ep, name, zip->entry_source(i), sibling, depth + 1);
    }
  }

  void visit_xml(const std::string& path, const io::SourcePtr& src) {
    if (src->size() > kMaxXmlSize) return;
    auto bytes = io::read_all(*src, kMaxXmlSize);
    if (!contains(bytes, "http://www.w3.org/2000/09/xmldsig#")) return;
    findings.push_back({path, path, formats::xml::xmldsig_verify(bytes, opt_.anchors, path)});
  }

  // Every Authenticode signature of a PE file: each certificate-table entry and the signatures
  // nested in it, with timestamp and trust (--ca for signers, --tsa-ca for timestamps).
  void visit_pe(const std::string& path, const io::SourcePtr& src) {
    try {
      auto pe = formats::pe_format().open(src, opt_.limits);
      const auto& file = dynamic_cast<const formats::AuthenticodeSignable&>(*pe);
      auto signatures = dynamic_cast<const formats::pe::CertificateTable&>(*pe).all_signatures();
      crypto::authenticode::VerifyOptions vo;
      vo.anchors = opt_.anchors;
      vo.tsa_anchors = opt_.tsa_anchors;
      auto digest = [&file](io::HashAlg alg) { return file.authenticode_digest(alg); };
      const bool tsa_checked = !opt_.tsa_anchors.empty() || !opt_.anchors.empty();
      for (size_t t = 0; t < signatures.size(); ++t) {
        for (const auto& v : crypto::authenticode::verify(signatures[t], digest, vo)) {
          crypto::VerifyResult r = v.result;
          if (signatures.size() > 1) r.kind += " (entry " + std::to_string(t + 1) + ")";
          std::string ts = "not timestamped";
          if (v.timestamp) {
            ts = "timestamp " + (v.timestamp->time_text.empty() ? std::string("?") : v.timestamp->time_text);
            if (!v.timestamp->signer.empty()) ts += " by " + v.timestamp->signer;
            if (!v.timestamp_valid) {
              ts += " (invalid: " + v.timestamp_detail + ")";
            } else {
              ts += tsa_checked ? " (trusted)" : " (TSA chain not checked)";
            }
          }
          r.detail = ts + "; " + r.detail;
          findings.push_back({path, path, r});
        }
      }
    } catch (const io::Error& e) {
      findings.push_back({path, path, {false, "Authenticode", "", "", e.message()}});
    }
  }

  void visit_detached(const std::string& path, const std::string& name, const io::SourcePtr& src,
                      const std::function<io::SourcePtr(const std::string&)>& sibling, SigKind kind) {
    // The signed file is the signature's name less one or more extensions: a.bin.cms.pem -> a.bin.
    std::string subject_name = name;
    io::SourcePtr subject;
    for (;;) {
      auto dot = subject_name.find_last_of('.');
      if (dot == std::string::npos || dot == 0) break;
      subject_name = subject_name.substr(0, dot);
      if ((subject = sibling(subject_name))) break;
    }
    if (!subject) {
      if (kind == SigKind::raw) return;  // a .sig file with no subject is just a file
      findings.push_back({path,
                          "",
                          {false, kind == SigKind::cms ? "CMS" : "OpenPGP", "", "",
                           "no signed file found beside the signature"}});
      return;
    }
    std::string subject_path = path.substr(0, path.size() - name.size()) + subject_name;
    auto sig = io::read_all(*src, kMaxSignatureSize);
    crypto::VerifyResult r;
    if (kind == SigKind::cms) {
      r = crypto::cms_verify_detached(sig, *subject, opt_.anchors);
    } else if (kind == SigKind::openpgp) {
      r = crypto::openpgp::verify_detached(sig, *subject, pgp_keys_);
    } else {
      r = verify_raw(sig, *subject);
    }
    findings.push_back({path, subject_path, r});
  }

  // A raw signature carries no certificate: try each certificate given with --cert or --ca.
  crypto::VerifyResult verify_raw(std::span<const uint8_t> sig, const io::Source& subject) {
    crypto::VerifyResult last{false, "raw", "", "",
                              "no certificate to check a raw signature with (pass --cert CERT)"};
    std::vector<crypto::CertDer> certs = opt_.signer_certs;
    certs.insert(certs.end(), opt_.anchors.begin(), opt_.anchors.end());
    for (const auto& cert : certs) {
      auto r = crypto::raw_verify(sig, subject, cert);
      if (r.valid) return r;
      last = r;
    }
    return last;
  }

  const VerifyOptions& opt_;
  std::vector<crypto::openpgp::PublicKey> pgp_keys_;
};

}  // namespace

std::vector<Finding> verify_file(const std::filesystem::path& file, const VerifyOptions& options) {
  Walker w(options);
  auto src = io::file_source(file);
  std::string name = file.filename().string();
  auto dir = file.parent_path();
  auto sibling = [dir](const std::string& n) -> io::SourcePtr {
    std::error_code ec;
    auto p = dir / n;
    return std::filesystem::is_regular_file(p, ec) ? io::file_source(p) : nullptr;
  };
  w.visit(file.string(), name, src, sibling, 0);
  return std::move(w.findings);
}

}  // namespace signet::engine
