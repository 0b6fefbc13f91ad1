// Phone numbers as strangers write them (a JID's local part, an SMS sender, a number typed
// after '@'): PhoneNumbers::parse must never crash, and must answer exactly as
// libphonenumber's parser does (parse_through_parser: its E.164 shortcut left out): valid
// or not, the same E.164, the same line type. The first byte picks the default region.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "phone/phone.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const passerelle::PhoneNumbers kPhones[] = {
      passerelle::PhoneNumbers("FR"), passerelle::PhoneNumbers("US"),
      passerelle::PhoneNumbers("IT"), passerelle::PhoneNumbers("DE"),
      passerelle::PhoneNumbers("GB"), passerelle::PhoneNumbers("RU"),
      passerelle::PhoneNumbers("BR"), passerelle::PhoneNumbers("IN")};
  const auto& phones = kPhones[data[0] % (sizeof kPhones / sizeof kPhones[0])];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto got = phones.parse(text);
  const auto want = phones.parse_through_parser(text);
  if (got.ok() != want.ok()) std::abort();
  if (want.ok() && (got->e164 != want->e164 || got->type != want->type)) std::abort();
  return 0;
}
