#pragma once
// Phone numbers: parsing, validation and E.164 normalisation. The one adapter over
// libphonenumber; its types never leave bridge/phone (phone.cpp, and line_types.hpp,
// which decides line types from libphonenumber's metadata).

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace passerelle {

enum class LineType { mobile, fixed_line, fixed_or_mobile, voip, other, unknown };

struct PhoneNumber {
  std::string e164;  // "+33612345678"
  LineType type = LineType::unknown;
};

class PhoneNumbers {
 public:
  // `default_region`: ISO 3166 alpha-2 code for numbers written without +country.
  explicit PhoneNumbers(std::string default_region);

  // Parses what a person typed ("06 12 34 56 78", "+33612345678", "0033 6 ..."), checks
  // it is a valid number of its region, and returns it in E.164. Thread-safe.
  Result<PhoneNumber> parse(std::string_view text) const;

  // parse() without its shortcut for text already in E.164: every text through
  // libphonenumber's parser. What parse() must always agree with (tests, fuzzer).
  Result<PhoneNumber> parse_through_parser(std::string_view text) const;

  // parse() plus the SMS rule: numbers known to be fixed-line only are refused unless
  // `allow_fixed_line`.
  Result<PhoneNumber> parse_for_sms(std::string_view text, bool allow_fixed_line) const;

  // Loads libphonenumber's metadata and compiles the patterns of the default region's
  // country code, so that the first number parsed after start does not pay for it
  // (10-20 ms). Returns how long that took. Another country code's patterns are compiled
  // when a number of it is first parsed (+44: 0.6 ms; +1, shared by 25 regions: 5 ms).
  std::chrono::microseconds warm_up() const;

  static bool known_region(std::string_view region);
  const std::string& default_region() const { return default_region_; }

 private:
  std::string default_region_;
};

}  // namespace passerelle
