// Helpers shared by the method tests: directives as the configuration loader builds them.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "config/model.hpp"

namespace methodtest {

// A directive at config.xml:10:5 with its attributes at columns 35, 50, 65, ... (so that tests can
// check that an error names the attribute at fault).
inline signet::config::Directive directive(const std::string& name,
                                           std::vector<std::pair<std::string, std::string>> attrs = {}) {
  signet::config::Directive d;
  d.name = name;
  d.where = signet::io::Location{"config.xml", 10, 5};
  int col = 20;
  for (auto& [n, v] : attrs)
    d.attributes.push_back(
        signet::config::Attribute{n, v, signet::io::Location{"config.xml", 10, col += 15}});
  return d;
}

}  // namespace methodtest
