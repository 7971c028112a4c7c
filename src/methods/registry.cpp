#include <functional>
#include <map>
#include <set>
#include <string>

#include "methods/factories.hpp"

namespace signet::methods {

namespace {

using Factory = std::function<std::unique_ptr<Method>(const config::Directive&)>;

const std::map<std::string, Factory, std::less<>>& factories() {
  static const std::map<std::string, Factory, std::less<>> table = {
      {"create-cms-signature", make_create_cms_signature},
      {"create-raw-signature", make_create_raw_signature},
      {"create-gpg-signature", make_create_gpg_signature},
      {"xml-sign", make_xml_sign},
      {"authenticode-sign", make_authenticode_sign},
      {"authenticode-verify", make_authenticode_verify},
  };
  return table;
}

}  // namespace

std::unique_ptr<Method> create_method(const config::Directive& directive) {
  auto it = factories().find(directive.name);
  if (it == factories().end()) {
    throw io::Error("<" + directive.name + "> is not supported yet by Signet", directive.where);
  }
  return it->second(directive);
}

}  // namespace signet::methods
