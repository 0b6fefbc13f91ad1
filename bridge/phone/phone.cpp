#include "phone/phone.hpp"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <set>

namespace passerelle {
namespace {

using i18n::phonenumbers::PhoneNumberUtil;

LineType map_type(PhoneNumberUtil::PhoneNumberType t) {
  switch (t) {
    case PhoneNumberUtil::MOBILE:
      return LineType::mobile;
    case PhoneNumberUtil::FIXED_LINE:
      return LineType::fixed_line;
    case PhoneNumberUtil::FIXED_LINE_OR_MOBILE:
      return LineType::fixed_or_mobile;
    case PhoneNumberUtil::VOIP:
      return LineType::voip;
    case PhoneNumberUtil::UNKNOWN:
      return LineType::unknown;
    default:
      return LineType::other;
  }
}

}  // namespace

PhoneNumbers::PhoneNumbers(std::string default_region)
    : default_region_(std::move(default_region)) {
  std::transform(default_region_.begin(), default_region_.end(), default_region_.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
}

bool PhoneNumbers::known_region(std::string_view region) {
  std::set<std::string> regions;
  PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
  return regions.count(std::string(region)) > 0;
}

std::chrono::microseconds PhoneNumbers::warm_up() const {
  const auto t0 = std::chrono::steady_clock::now();
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  // A mobile and a fixed-line number of the region: together they go through the
  // patterns a message's number meets (parse, type, E.164).
  for (const auto type : {PhoneNumberUtil::MOBILE, PhoneNumberUtil::FIXED_LINE}) {
    i18n::phonenumbers::PhoneNumber example;
    if (!util.GetExampleNumberForType(default_region_, type, &example)) continue;
    std::string e164;
    util.Format(example, PhoneNumberUtil::E164, &e164);
    (void)parse(e164);
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               t0);
}

Result<PhoneNumber> PhoneNumbers::parse(std::string_view text) const {
  // Bound the work libphonenumber does on untrusted input (it caps at 250 itself).
  if (text.empty()) return Error::invalid("empty phone number");
  if (text.size() > 64) return Error::invalid("phone number too long");
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  i18n::phonenumbers::PhoneNumber number;
  const auto err = util.Parse(std::string(text), default_region_, &number);
  if (err != PhoneNumberUtil::NO_PARSING_ERROR)
    return Error::invalid("'" + std::string(text) + "' is not a phone number");
  // A number is valid exactly when its type is known (libphonenumber's IsValidNumber is
  // that same test, which would match the region's patterns a second time).
  const auto type = util.GetNumberType(number);
  if (type == PhoneNumberUtil::UNKNOWN)
    return Error::invalid("'" + std::string(text) +
                          "' is not a valid phone number (check the digits and the country code)");
  PhoneNumber out;
  util.Format(number, PhoneNumberUtil::E164, &out.e164);
  out.type = map_type(type);
  return out;
}

Result<PhoneNumber> PhoneNumbers::parse_for_sms(std::string_view text,
                                                bool allow_fixed_line) const {
  auto parsed = parse(text);
  if (!parsed.ok()) return parsed;
  if (parsed->type == LineType::fixed_line && !allow_fixed_line)
    return Error::forbidden(parsed->e164 + " is a fixed-line number and cannot receive SMS");
  return parsed;
}

}  // namespace passerelle
