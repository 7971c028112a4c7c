// One accessor per implemented format; registry.cpp maps element names to these.
#pragma once
#include "formats/format.hpp"

namespace signet::formats {

const Format& zip_format();
const Format& plain_file_format();  // <file>: any bytes, no metadata
const Format& xml_format();         // <xml-file>: root-element-name / root-element-namespace

}  // namespace signet::formats
