// STUB: replaced by the real implementation.
#include "formats/factories.hpp"

namespace signet::formats {
const Format& zip_format() { return plain_file_format(); }
}  // namespace signet::formats
