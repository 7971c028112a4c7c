#include "config/language.hpp"

#include <algorithm>

namespace signet::config::lang {

namespace {

const std::vector<std::string_view> kAuthenticodeHashes = {"sha1", "sha256", "sha384", "sha512"};
const std::vector<std::string_view> kHashes = {"sha256", "sha384", "sha512"};
const std::vector<std::string_view> kPaddings = {"pkcs1", "pss"};
const std::vector<std::string_view> kBoolean = {"true", "false"};

AttrSpec free_text(std::string_view name) {
  return AttrSpec{name, false, {}, Check::text};
}
AttrSpec fixed(std::string_view name, std::vector<std::string_view> values, bool required = false) {
  return AttrSpec{name, required, std::move(values), Check::text};
}
AttrSpec checked(std::string_view name, Check check, bool required) {
  return AttrSpec{name, required, {}, check};
}

const std::vector<DirectiveSpec>& directive_table() {
  static const std::vector<DirectiveSpec> table = {
      {"authenticode-sign",
       Category::embedded,
       {fixed("hash-algorithm", kAuthenticodeHashes), free_text("description"), free_text("description-url"),
        fixed("append", kBoolean)},
       {}},
      {"authenticode-verify", Category::verify, {}, {}},
      {"opc-sign", Category::embedded, {}, {}},
      {"nuget-sign", Category::embedded, {}, {}},
      {"jar-sign", Category::embedded, {}, {}},
      {"apk-sign",
       Category::embedded,
       {checked("min-sdk-version", Check::count, false), checked("max-sdk-version", Check::count, false)},
       {}},
      {"rpm-sign", Category::embedded, {}, {}},
      {"debsigs-sign", Category::embedded, {checked("signature-type", Check::token, true)}, {}},
      {"office-macro-sign", Category::embedded, {}, {}},
      {"xml-sign",
       Category::embedded,
       {fixed("key-info-x509-data", {"none", "leaf", "whole-chain", "exclude-root"})},
       {}},
      {"notation-sign", Category::embedded, {checked("tag", Check::non_empty, true)}, {}},
      {"cosign-sign", Category::embedded, {checked("tag", Check::non_empty, true)}, {}},
      {"clickonce-sign", Category::other, {}, {}},
      {"dsse-sign",
       Category::enveloped,
       {checked("output-file-name", Check::non_empty, true), checked("payload-type", Check::non_empty, true),
        fixed("hash-algorithm", kHashes), fixed("rsa-padding", kPaddings)},
       {}},
      {"smime-sign",
       Category::enveloped,
       {checked("output-file-name", Check::non_empty, true), fixed("normalization", {"line-endings", "none"}),
        fixed("hash-algorithm", kHashes), fixed("rsa-padding", kPaddings)},
       {}},
      {"create-cms-signature",
       Category::detached,
       {checked("output-file-name", Check::non_empty, true), fixed("output-encoding", {"pem", "der"}, true),
        fixed("hash-algorithm", kHashes), fixed("rsa-padding", kPaddings)},
       {}},
      {"create-gpg-signature",
       Category::detached,
       {checked("output-file-name", Check::non_empty, true),
        fixed("output-encoding", {"ascii-armored", "binary"}), fixed("hash-algorithm", kHashes),
        fixed("version", {"4"})},
       {}},
      {"create-raw-signature",
       Category::detached,
       {checked("output-file-name", Check::non_empty, true), fixed("hash-algorithm", kHashes, true),
        fixed("rsa-padding", kPaddings)},
       {}},
      {"include-in-provenance", Category::provenance, {}, {}},
      {"create-provenance-file",
       Category::provenance,
       {checked("output-file-name", Check::non_empty, true)},
       {"create-verification-summary-file", "create-attestation-signature"}},
      {"create-verification-summary-file",
       Category::provenance,
       {checked("output-file-name", Check::non_empty, true)},
       {"create-attestation-signature"}},
      {"create-attestation-signature",
       Category::provenance,
       {fixed("type", {"cms", "dsse"}, true), checked("output-file-name", Check::non_empty, true)},
       {}},
  };
  return table;
}

std::vector<KindSpec> make_kinds() {
  const std::vector<std::string_view> authenticode = {"authenticode-verify", "authenticode-sign"};
  std::vector<KindSpec> k = {
      {"pe-file", false, authenticode, "pe"},
      {"powershell-file", false, authenticode, ""},
      {"windows-script-file", false, authenticode, ""},
      {"msi-file", true, authenticode, "msi"},
      {"cab-file", true, authenticode, ""},
      {"catalog-file", false, authenticode, ""},
      {"appx-file", true, authenticode, ""},
      {"msix-file", true, authenticode, ""},
      {"opc-file", true, {"opc-sign"}, ""},
      {"nupkg-file", true, {"nuget-sign"}, ""},
      {"jar-file", true, {"jar-sign"}, ""},
      {"apk-file", true, {"apk-sign"}, ""},
      {"rpm-file", true, {"rpm-sign"}, ""},
      {"deb-file", true, {"debsigs-sign"}, ""},
      {"zip-file", true, {"jar-sign", "create-provenance-file"}, ""},
      {"office-oxml-file", false, {"office-macro-sign"}, ""},
      {"office-binary-file", false, {"office-macro-sign"}, ""},
      {"xml-file", false, {"xml-sign"}, "xml"},
      {"oci-image-layout-archive-file", false, {"notation-sign", "cosign-sign"}, ""},
      {"file",
       false,
       {"dsse-sign", "smime-sign", "create-cms-signature", "create-gpg-signature", "create-raw-signature"},
       ""},
  };
  for (auto& kind : k) kind.directives.push_back("include-in-provenance");  // any file element
  k.push_back({"directory", true, {"clickonce-sign"}, ""});
  return k;
}

struct Restriction {
  std::string_view name;
  std::string_view canonical;
  std::string_view group;
};

const std::vector<Restriction> kRestrictions = {
    {"product-name", "product-name", "pe"},
    {"product-version", "product-version", "pe"},
    {"file-version", "file-version", "pe"},
    {"company-name", "company-name", "pe"},
    {"copyright", "copyright", "pe"},
    {"original-filename", "original-filename", "pe"},
    {"productName", "product-name", "pe"},  // schema v1 legacy spellings [changelog 1.148.2]
    {"productVersion", "product-version", "pe"},
    {"subject", "subject", "msi"},
    {"author", "author", "msi"},
    {"root-element-name", "root-element-name", "xml"},
    {"root-element-namespace", "root-element-namespace", "xml"},
};

}  // namespace

const AttrSpec* DirectiveSpec::find(std::string_view attribute) const {
  for (const auto& a : attributes) {
    if (a.name == attribute) return &a;
  }
  return nullptr;
}

const std::vector<KindSpec>& kinds() {
  static const std::vector<KindSpec> table = make_kinds();
  return table;
}

const KindSpec* find_kind(std::string_view element) {
  for (const auto& k : kinds()) {
    if (k.name == element) return &k;
  }
  return nullptr;
}

const KindSpec* find_set_kind(std::string_view element) {
  if (!element.ends_with("-set")) return nullptr;
  return find_kind(element.substr(0, element.size() - 4));
}

const DirectiveSpec* find_directive(std::string_view element) {
  for (const auto& d : directive_table()) {
    if (d.name == element) return &d;
  }
  return nullptr;
}

std::string_view restriction_group(std::string_view attribute) {
  for (const auto& r : kRestrictions) {
    if (r.name == attribute) return r.group;
  }
  return {};
}

std::string_view canonical_restriction(std::string_view attribute) {
  for (const auto& r : kRestrictions) {
    if (r.name == attribute) return r.canonical;
  }
  return attribute;
}

std::string_view restriction_hosts(std::string_view group) {
  if (group == "pe") return "<pe-file>, <pe-file-set> and its <include>";
  if (group == "msi") return "<msi-file>, <msi-file-set> and its <include>";
  if (group == "xml") return "<xml-file>, <xml-file-set> and its <include>";
  return "";
}

std::vector<std::string> element_names() {
  std::vector<std::string> names = {"artifact-configuration", "parameters", "parameter", "include",
                                    "for-each"};
  for (const auto& k : kinds()) {
    names.emplace_back(k.name);
    names.push_back(std::string(k.name) + "-set");
  }
  for (const auto& d : directive_table()) names.emplace_back(d.name);
  return names;
}

std::string join_alternatives(const std::vector<std::string_view>& items, std::string_view open,
                              std::string_view close) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += i + 1 == items.size() ? " or " : ", ";
    s += std::string(open) + std::string(items[i]) + std::string(close);
  }
  return s;
}

}  // namespace signet::config::lang
