// One factory per implemented directive; registry.cpp maps directive names to these.
#pragma once
#include <memory>

#include "methods/method.hpp"

namespace signet::methods {

std::unique_ptr<Method> make_create_cms_signature(const config::Directive& d);
std::unique_ptr<Method> make_create_raw_signature(const config::Directive& d);
std::unique_ptr<Method> make_create_gpg_signature(const config::Directive& d);
std::unique_ptr<Method> make_xml_sign(const config::Directive& d);
std::unique_ptr<Method> make_authenticode_sign(const config::Directive& d);
std::unique_ptr<Method> make_authenticode_verify(const config::Directive& d);

}  // namespace signet::methods
