// Phone numbers as strangers write them (a JID's local part, an SMS sender, a number typed
// after '@'): PhoneNumbers::parse must never crash, and must answer exactly as
// libphonenumber's parser does (its E.164 shortcut included: valid or not, the same E.164,
// the same line type). The first byte picks the default region.
#include <phonenumbers/phonenumberutil.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "phone/phone.hpp"

using i18n::phonenumbers::PhoneNumberUtil;
using passerelle::LineType;

namespace {

LineType as_line_type(PhoneNumberUtil::PhoneNumberType t) {
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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const char* const kRegions[] = {"FR", "US", "IT", "DE", "GB", "RU", "BR", "IN"};
  const char* region = kRegions[data[0] % (sizeof kRegions / sizeof kRegions[0])];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const passerelle::PhoneNumbers phones(region);
  const auto got = phones.parse(text);

  // The parser's answer, under the same bounds parse() puts on its input.
  bool valid = false;
  std::string e164;
  auto type = PhoneNumberUtil::UNKNOWN;
  if (!text.empty() && text.size() <= 64) {
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    i18n::phonenumbers::PhoneNumber n;
    if (util.Parse(text, region, &n) == PhoneNumberUtil::NO_PARSING_ERROR) {
      type = util.GetNumberType(n);
      valid = type != PhoneNumberUtil::UNKNOWN;
      util.Format(n, PhoneNumberUtil::E164, &e164);
    }
  }
  if (got.ok() != valid) std::abort();
  if (valid && (got->e164 != e164 || got->type != as_line_type(type))) std::abort();
  return 0;
}
