// STUB: replaced by the real implementation.
#include "methods/factories.hpp"

namespace signet::methods {

std::unique_ptr<Method> make_xml_sign(const config::Directive& d) {
  throw io::Error("<" + d.name + "> is not supported yet", d.where);
}

}  // namespace signet::methods
