#include "phone/phone.hpp"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <set>

#include "phone/line_types.hpp"

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

// A number written in E.164 ("+", then 8 to 15 digits, no spaces) is split into its
// country code and national number directly, without libphonenumber's parser: Parse is
// made for what people type (spaces, national and international prefixes, extensions),
// and costs about twice the validity check on a number that needs none of it. Returns
// false where the text is not in that form, has no known country code, or the national
// number starts with 0 (Italian-style leading zeros: Parse knows how to keep them).
// `national_digits`: the national number's digits, within `text`.
bool split_e164(const PhoneNumberUtil& util, std::string_view text,
                i18n::phonenumbers::PhoneNumber* number, std::string_view* national_digits) {
  if (text.size() < 9 || text.size() > 16 || text[0] != '+') return false;
  const std::string_view digits = text.substr(1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  if (digits[0] == '0') return false;
  // Country codes are prefix-free: the first 1 to 3 digits that name one are it.
  int code = 0;
  std::string region;
  for (std::size_t i = 0; i < 3; ++i) {
    code = code * 10 + (digits[i] - '0');
    util.GetRegionCodeForCountryCode(code, &region);
    if (region == "ZZ") continue;  // libphonenumber's "unknown region"
    // Where a country's trunk prefix may start with a digit other than 0 (or is optional),
    // the parser takes the first digits after the country code for it even in E.164
    // ("+52 1 55 ...": Mexico's old mobile 1, dropped): those numbers go through it.
    static constexpr int kTrunkNotZero[] = {7,   52,  54,  55,  61,  86, 298,
                                            352, 370, 375, 506, 993, 998};
    if (std::find(std::begin(kTrunkNotZero), std::end(kTrunkNotZero), code) !=
        std::end(kTrunkNotZero))
      return false;
    const std::string_view national = digits.substr(i + 1);
    if (national.size() < 2 || national[0] == '0') return false;
    std::uint64_t value = 0;
    for (const char c : national) value = value * 10 + static_cast<std::uint64_t>(c - '0');
    number->set_country_code(code);
    number->set_national_number(value);
    *national_digits = national;
    return true;
  }
  return false;
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
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  i18n::phonenumbers::PhoneNumber number;
  // A number is valid exactly when its type is known (libphonenumber's IsValidNumber is
  // that same test, which would match the region's patterns a second time). The type is
  // GetNumberType's, through patterns compiled once (line_types.hpp).
  std::string_view national;
  if (split_e164(util, text, &number, &national)) {
    auto type = phone_detail::LineTypes::instance().type(number.country_code(), national);
    if (!type) type = util.GetNumberType(number);
    if (*type != PhoneNumberUtil::UNKNOWN) return PhoneNumber{std::string(text), map_type(*type)};
  }
  // Anything else, and an E.164 text not valid as split ("+330612345678": Parse drops the
  // French trunk 0), goes through the parser.
  return parse_through_parser(text);
}

Result<PhoneNumber> PhoneNumbers::parse_through_parser(std::string_view text) const {
  // Bound the work libphonenumber does on untrusted input (it caps at 250 itself).
  if (text.empty()) return Error::invalid("empty phone number");
  if (text.size() > 64) return Error::invalid("phone number too long");
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  i18n::phonenumbers::PhoneNumber number;
  const auto err = util.Parse(std::string(text), default_region_, &number);
  if (err != PhoneNumberUtil::NO_PARSING_ERROR)
    return Error::invalid("'" + std::string(text) + "' is not a phone number");
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
