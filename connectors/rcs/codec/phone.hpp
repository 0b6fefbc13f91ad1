#pragma once
// Phone numbers in messageContact.userContact. The MaaP API writes them in E.164 with
// the leading '+' ("+14251234567"), as passerelle's addresses do (rcs:+14251234567,
// DESIGN.md §2). Nothing else is accepted either way: no spaces, dashes, "tel:" URIs or
// national forms (the core's PhoneNumbers turns user input into E.164 before it gets
// here). The rule is the core's: '+', a first digit 1-9, 8 to 15 digits in all.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace passerelle::rcs {

// A userContact from the platform -> E.164 (the same string once checked).
Result<std::string> e164_from_user_contact(std::string_view user_contact);

// An E.164 number -> userContact (the same string once checked).
Result<std::string> user_contact_from_e164(std::string_view e164);

}  // namespace passerelle::rcs
