// PhoneNumbers::parse takes numbers already in E.164 apart without libphonenumber's parser.
// This holds that shortcut to the parser: for every region and non-geographic code the
// library knows, its example numbers of every type and variants of them (other last
// digits, one digit more, one less, a trunk prefix after the country code) give the same
// answer both ways: valid or not, the same E.164 and the same line type.
#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "phone/phone.hpp"

namespace passerelle {
namespace {

using i18n::phonenumbers::PhoneNumberUtil;

struct Example {
  std::string e164;
  std::size_t code_end = 0;  // where the country code ends in e164 ("+33...": 3)
};

std::vector<Example> example_numbers() {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::vector<Example> out;
  auto add = [&](const i18n::phonenumbers::PhoneNumber& n) {
    std::string e164;
    util.Format(n, PhoneNumberUtil::E164, &e164);
    out.push_back({e164, 1 + std::to_string(n.country_code()).size()});
  };
  std::set<std::string> regions;
  util.GetSupportedRegions(&regions);
  for (const auto& region : regions) {
    std::set<PhoneNumberUtil::PhoneNumberType> types;
    util.GetSupportedTypesForRegion(region, &types);
    for (const auto type : types) {
      i18n::phonenumbers::PhoneNumber n;
      if (util.GetExampleNumberForType(region, type, &n)) add(n);
    }
  }
  std::set<int> codes;
  util.GetSupportedGlobalNetworkCallingCodes(&codes);
  for (const int code : codes) {
    i18n::phonenumbers::PhoneNumber n;
    if (util.GetExampleNumberForNonGeoEntity(code, &n)) add(n);
  }
  return out;
}

TEST(E164Split, AgreesWithTheParserOnEveryRegionsNumbers) {
  const PhoneNumbers phones("FR");
  const auto examples = example_numbers();
  ASSERT_GT(examples.size(), 1000u);  // about 240 regions, several types each
  std::mt19937 rng(20261125);
  std::uniform_int_distribution<int> digit(0, 9);
  std::size_t checked = 0, valid = 0;
  auto check = [&](const std::string& text) {
    const auto want = phones.parse_through_parser(text);
    const auto got = phones.parse(text);
    ++checked;
    ASSERT_EQ(got.ok(), want.ok()) << text;
    if (!want.ok()) return;
    ++valid;
    EXPECT_EQ(got->e164, want->e164) << text;
    EXPECT_EQ(got->type, want->type) << text;
  };
  for (const auto& [e164, code_end] : examples) {
    check(e164);
    for (int variant = 0; variant < 20; ++variant) {
      std::string other = e164;
      // Change the last 1 to 4 digits, keeping the country code.
      const std::size_t change = 1 + static_cast<std::size_t>(variant % 4);
      for (std::size_t k = 0; k < change && other.size() - 1 - k > 4; ++k)
        other[other.size() - 1 - k] = static_cast<char>('0' + digit(rng));
      check(other);
    }
    check(e164 + static_cast<char>('0' + digit(rng)));
    check(e164.substr(0, e164.size() - 1));
    // A trunk prefix written after the country code, as people do ("+33 0 6...", Mexico's
    // old mobile "+52 1 ..."): the parser drops it where the region has one. Every prefix
    // of one or two digits.
    for (int prefix = 0; prefix < 100; ++prefix) {
      check(e164.substr(0, code_end) + std::to_string(prefix) + e164.substr(code_end));
      if (prefix < 10)
        check(e164.substr(0, code_end) + "0" + std::to_string(prefix) + e164.substr(code_end));
    }
  }
  // Found by inserting prefixes: the parser drops the trunk prefix of these E.164 texts.
  for (const char* text : {"+5215512345678", "+5213312345678", "+3758101234567", "+78001234567",
                           "+8613812345678", "+611831212345678"})
    check(text);
  EXPECT_GT(valid, checked / 10);  // the variants are not all invalid (about 1 in 5 is valid)
}

}  // namespace
}  // namespace passerelle
