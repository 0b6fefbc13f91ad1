#include "rcs/codec/phone.hpp"

#include "model/address.hpp"
#include "rcs/codec/json_read.hpp"

namespace passerelle::rcs {

namespace {

Result<std::string> check(std::string_view number, std::string_view what) {
  // The core's rule (model/address.cpp), so that every number the codec lets through makes
  // an rcs: address.
  auto a = make_address(Network::rcs, number);
  if (!a) {
    return Error::invalid(std::string(what) + " " + detail::quote(number) +
                          " is not an E.164 number ('+' and 8 to 15 digits, no spaces)");
  }
  return std::move(a.value().id);
}

}  // namespace

Result<std::string> e164_from_user_contact(std::string_view user_contact) {
  return check(user_contact, "userContact");
}

Result<std::string> user_contact_from_e164(std::string_view e164) {
  return check(e164, "number");
}

}  // namespace passerelle::rcs
