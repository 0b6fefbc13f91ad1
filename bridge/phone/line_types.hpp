#pragma once
// The line type of a number given as country code and national number, decided as
// libphonenumber's PhoneNumberUtil::GetNumberType decides it, from the same metadata, with
// the patterns compiled once (Boost.Regex) instead of through libphonenumber's regular
// expression cache (ICU, a matcher and a UTF-16 copy of the number per pattern): about a
// fifth of the time. Internal to bridge/phone; parse_through_parser in phone.cpp is the
// reference it is tested against.

#include <phonenumbers/phonenumberutil.h>

#include <memory>
#include <optional>
#include <string_view>

namespace passerelle::phone_detail {

class LineTypes {
 public:
  // Built on first use (the whole metadata: tens of milliseconds); thread-safe after.
  static const LineTypes& instance();

  // GetNumberType of +<country_code><national>, `national` being the national significant
  // number (digits, no leading zero). UNKNOWN is "not a valid number". nullopt where this
  // cannot answer (metadata that did not load, a pattern that did not compile or failed
  // to run): ask libphonenumber.
  std::optional<i18n::phonenumbers::PhoneNumberUtil::PhoneNumberType> type(
      int country_code, std::string_view national) const;

  ~LineTypes();
  LineTypes(const LineTypes&) = delete;
  LineTypes& operator=(const LineTypes&) = delete;

 private:
  LineTypes();
  struct Tables;
  std::unique_ptr<Tables> tables_;  // null when the metadata could not be used
};

}  // namespace passerelle::phone_detail
