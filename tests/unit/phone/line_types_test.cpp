// LineTypes decides a number's line type as libphonenumber's GetNumberType does, from the
// same metadata with patterns compiled by Boost.Regex. Held to GetNumberType itself, for
// every country calling code the library knows (those shared by several regions, like +1
// and +7, and the non-geographic ones): the example numbers of every type of every region,
// variants of them, and numbers of every length made of random digits.
#include "phone/line_types.hpp"

#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace passerelle::phone_detail {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

struct Tally {
  std::size_t checked = 0;
  std::size_t valid = 0;
};

// `national`: digits, the first not 0 (what the E.164 shortcut hands over).
void expect_same(int code, const std::string& national, Tally& tally) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber n;
  n.set_country_code(code);
  n.set_national_number(std::stoull(national));
  const auto want = util.GetNumberType(n);
  const auto got = LineTypes::instance().type(code, national);
  ++tally.checked;
  if (want != PhoneNumberUtil::UNKNOWN) ++tally.valid;
  ASSERT_TRUE(got.has_value()) << "+" << code << " " << national;
  EXPECT_EQ(*got, want) << "+" << code << " " << national;
}

TEST(LineTypes, AgreesWithGetNumberTypeOnEveryRegionsExamplesAndVariants) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::vector<PhoneNumber> examples;
  std::set<std::string> regions;
  util.GetSupportedRegions(&regions);
  for (const auto& region : regions) {
    std::set<PhoneNumberUtil::PhoneNumberType> types;
    util.GetSupportedTypesForRegion(region, &types);
    for (const auto type : types)
      if (PhoneNumber n; util.GetExampleNumberForType(region, type, &n)) examples.push_back(n);
  }
  std::set<int> global;
  util.GetSupportedGlobalNetworkCallingCodes(&global);
  for (const int code : global)
    if (PhoneNumber n; util.GetExampleNumberForNonGeoEntity(code, &n)) examples.push_back(n);
  ASSERT_GT(examples.size(), 1000u);

  std::mt19937 rng(20261125);
  std::uniform_int_distribution<int> digit(0, 9);
  Tally tally;
  for (const auto& n : examples) {
    if (n.italian_leading_zero()) continue;  // not what the shortcut hands over
    const std::string national = std::to_string(n.national_number());
    expect_same(n.country_code(), national, tally);
    for (int variant = 0; variant < 40; ++variant) {
      // Other last 1 to 5 digits; one digit more; one less.
      std::string other = national;
      const std::size_t change = 1 + static_cast<std::size_t>(variant % 5);
      for (std::size_t k = 0; k < change && other.size() - k > 1; ++k)
        other[other.size() - 1 - k] = static_cast<char>('0' + digit(rng));
      expect_same(n.country_code(), other, tally);
    }
    expect_same(n.country_code(), national + static_cast<char>('0' + digit(rng)), tally);
    if (national.size() > 1)
      expect_same(n.country_code(), national.substr(0, national.size() - 1), tally);
  }
  EXPECT_GT(tally.valid, tally.checked / 5);  // not only invalid numbers
}

TEST(LineTypes, AgreesWithGetNumberTypeOnRandomDigitsOfEveryLengthForEveryCode) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::set<int> codes;
  util.GetSupportedCallingCodes(&codes);
  ASSERT_GT(codes.size(), 200u);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> first(1, 9), digit(0, 9);
  Tally tally;
  for (const int code : codes)
    for (std::size_t length = 1; length <= 17; ++length)
      for (int k = 0; k < 12; ++k) {
        std::string national(1, static_cast<char>('0' + first(rng)));
        while (national.size() < length) national += static_cast<char>('0' + digit(rng));
        expect_same(code, national, tally);
      }
  EXPECT_GT(tally.valid, 0u);
}

TEST(LineTypes, AnUnknownCountryCodeIsNotValid) {
  EXPECT_EQ(LineTypes::instance().type(999, "612345678"), PhoneNumberUtil::UNKNOWN);
  EXPECT_EQ(LineTypes::instance().type(0, "612345678"), PhoneNumberUtil::UNKNOWN);
}

}  // namespace
}  // namespace passerelle::phone_detail
