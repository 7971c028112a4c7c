#include <map>
#include <string>

#include "formats/factories.hpp"

namespace signet::formats {

const Format* find_format(std::string_view element) {
  static const std::map<std::string, const Format*, std::less<>> table = {
      {"zip-file", &zip_format()},
      {"file", &plain_file_format()},
      {"xml-file", &xml_format()},
      {"pe-file", &pe_format()},
      {"powershell-file", &powershell_format()},
      {"windows-script-file", &windows_script_format()},
      {"catalog-file", &catalog_format()},
      {"cab-file", &cab_format()},
      {"msi-file", &msi_format()},
  };
  auto it = table.find(element);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace signet::formats
