// One accessor per implemented format; registry.cpp maps element names to these.
#pragma once
#include "formats/format.hpp"

namespace signet::formats {

const Format& zip_format();
const Format& plain_file_format();  // <file>: any bytes, no metadata
const Format& xml_format();         // <xml-file>: root-element-name / root-element-namespace
const Format& pe_format();          // <pe-file>: PE32/PE32+ images (Authenticode, version-resource metadata)
const Format& powershell_format();  // <powershell-file>: .ps1 .psm1 .psd1 .ps1xml .psc1 .cdxml
const Format& windows_script_format();  // <windows-script-file>: .js .vbs .wsf
const Format& catalog_format();         // <catalog-file>: .cat
const Format& cab_format();             // <cab-file>: .cab (container, Authenticode)
const Format& msi_format();             // <msi-file>: .msi .msm .msp (container, Authenticode)

}  // namespace signet::formats
