#include "phone/line_types.hpp"

#include <phonenumbers/phonemetadata.pb.h>

#include <algorithm>
#include <boost/regex.hpp>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace i18n::phonenumbers {
// libphonenumber's metadata, as the library itself reads it (a serialized
// PhoneMetadataCollection, exported by libphonenumber.so; not in its public headers).
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace passerelle::phone_detail {
namespace {

namespace pn = i18n::phonenumbers;
using Type = pn::PhoneNumberUtil::PhoneNumberType;

// One number type of one region, as the metadata gives it: the lengths its numbers may
// have (none listed: those of the region) and their pattern ("": the region has no
// numbers of that type).
struct DescText {
  std::vector<int> lengths;
  std::string pattern;
  Type type = pn::PhoneNumberUtil::UNKNOWN;  // what a number it takes is

  explicit DescText(const pn::PhoneNumberDesc& d, Type t = pn::PhoneNumberUtil::UNKNOWN)
      : lengths(d.possible_length().begin(), d.possible_length().end()),
        pattern(d.national_number_pattern()),
        type(t) {}
};

// The types other than fixed line and mobile, in the order libphonenumber tests them,
// each with where the metadata keeps it.
struct SpecialType {
  Type type;
  const pn::PhoneNumberDesc& (pn::PhoneMetadata::*desc)() const;
};
constexpr SpecialType kSpecial[] = {
    {pn::PhoneNumberUtil::PREMIUM_RATE, &pn::PhoneMetadata::premium_rate},
    {pn::PhoneNumberUtil::TOLL_FREE, &pn::PhoneMetadata::toll_free},
    {pn::PhoneNumberUtil::SHARED_COST, &pn::PhoneMetadata::shared_cost},
    {pn::PhoneNumberUtil::VOIP, &pn::PhoneMetadata::voip},
    {pn::PhoneNumberUtil::PERSONAL_NUMBER, &pn::PhoneMetadata::personal_number},
    {pn::PhoneNumberUtil::PAGER, &pn::PhoneMetadata::pager},
    {pn::PhoneNumberUtil::UAN, &pn::PhoneMetadata::uan},
    {pn::PhoneNumberUtil::VOICEMAIL, &pn::PhoneMetadata::voicemail}};

// A region's part of the metadata, kept as text (a few hundred bytes) until a number of
// its country code is first asked about.
struct RegionText {
  std::optional<std::string> leading_digits;  // which numbers of a shared code are its own
  DescText general;
  std::vector<DescText> special;  // kSpecial's, in its order
  DescText fixed_line;
  DescText mobile;
  bool same_mobile_and_fixed_line;

  explicit RegionText(const pn::PhoneMetadata& m)
      : general(m.general_desc()),
        fixed_line(m.fixed_line()),
        mobile(m.mobile()),
        same_mobile_and_fixed_line(m.same_mobile_and_fixed_line_pattern()) {
    if (m.has_leading_digits()) leading_digits = m.leading_digits();
    special.reserve(std::size(kSpecial));
    for (const auto& s : kSpecial) special.emplace_back((m.*s.desc)(), s.type);
  }
};

struct Desc {
  std::vector<int> lengths;
  std::optional<boost::regex> pattern;
  Type type;

  explicit Desc(const DescText& d) : lengths(d.lengths), type(d.type) {
    if (!d.pattern.empty()) pattern.emplace(d.pattern);
  }

  bool matches(std::string_view n) const {
    if (!lengths.empty() &&
        std::find(lengths.begin(), lengths.end(), static_cast<int>(n.size())) == lengths.end())
      return false;
    return pattern && boost::regex_match(n.begin(), n.end(), *pattern);
  }
};

// A region with its patterns compiled (tens of KiB: compiled on first use of its code).
struct Region {
  std::optional<boost::regex> leading_digits;
  Desc general;
  std::vector<Desc> special;
  Desc fixed_line;
  Desc mobile;
  bool same_mobile_and_fixed_line;

  explicit Region(const RegionText& t)
      : general(t.general),
        special(t.special.begin(), t.special.end()),
        fixed_line(t.fixed_line),
        mobile(t.mobile),
        same_mobile_and_fixed_line(t.same_mobile_and_fixed_line) {
    if (t.leading_digits) leading_digits.emplace(*t.leading_digits);
  }

  Type type(std::string_view n) const {
    if (!general.matches(n)) return pn::PhoneNumberUtil::UNKNOWN;
    for (const auto& d : special)
      if (d.matches(n)) return d.type;
    if (fixed_line.matches(n))
      return same_mobile_and_fixed_line || mobile.matches(n)
                 ? pn::PhoneNumberUtil::FIXED_LINE_OR_MOBILE
                 : pn::PhoneNumberUtil::FIXED_LINE;
    if (!same_mobile_and_fixed_line && mobile.matches(n)) return pn::PhoneNumberUtil::MOBILE;
    return pn::PhoneNumberUtil::UNKNOWN;
  }
};

using Regions = std::vector<Region>;

}  // namespace

struct LineTypes::Tables {
  // The regions of each country code, in libphonenumber's order (the main country first).
  std::unordered_map<int, std::vector<RegionText>> text;
  std::shared_mutex mutex;  // guards `compiled`; what it points to never changes
  std::unordered_map<int, std::unique_ptr<const Regions>> compiled;

  // The regions of `code` compiled, on first use. None where a pattern does not compile:
  // that code stays libphonenumber's.
  const Regions& compiled_for(int code, const std::vector<RegionText>& regions) {
    {
      std::shared_lock lock(mutex);
      if (auto it = compiled.find(code); it != compiled.end()) return *it->second;
    }
    std::unique_lock lock(mutex);
    auto& slot = compiled[code];
    if (!slot) {
      try {
        slot = std::make_unique<const Regions>(regions.begin(), regions.end());
      } catch (const boost::regex_error&) {
        slot = std::make_unique<const Regions>();
      }
    }
    return *slot;
  }
};

LineTypes::LineTypes() {
  pn::PhoneMetadataCollection collection;
  if (!collection.ParseFromArray(pn::metadata_get(), pn::metadata_size())) return;
  std::unordered_map<std::string, const pn::PhoneMetadata*> by_region;
  std::unordered_map<int, const pn::PhoneMetadata*> non_geographic;
  for (const auto& m : collection.metadata()) {
    if (m.id() == "001")
      non_geographic[m.country_code()] = &m;
    else
      by_region[m.id()] = &m;
  }
  const pn::PhoneNumberUtil& util = *pn::PhoneNumberUtil::GetInstance();
  std::set<int> codes;
  util.GetSupportedCallingCodes(&codes);
  auto tables = std::make_unique<Tables>();
  for (const int code : codes) {
    std::list<std::string> regions;
    util.GetRegionCodesForCountryCallingCode(code, &regions);
    auto& list = tables->text[code];
    for (const auto& region : regions) {
      const pn::PhoneMetadata* m = nullptr;
      if (region == "001") {
        if (auto it = non_geographic.find(code); it != non_geographic.end()) m = it->second;
      } else if (auto it = by_region.find(region); it != by_region.end()) {
        m = it->second;
      }
      if (m == nullptr) return;  // metadata that does not match the library: it answers
      list.emplace_back(*m);
    }
  }
  tables_ = std::move(tables);
}

LineTypes::~LineTypes() = default;

const LineTypes& LineTypes::instance() {
  // Never destroyed, like libphonenumber's own instance: a thread still parsing at exit
  // must not meet it torn down.
  static const LineTypes* const kInstance = new LineTypes();
  return *kInstance;
}

std::optional<Type> LineTypes::type(int country_code, std::string_view national) const {
  if (!tables_) return std::nullopt;
  const auto text = tables_->text.find(country_code);
  if (text == tables_->text.end() || text->second.empty()) return pn::PhoneNumberUtil::UNKNOWN;
  try {
    const Regions& regions = tables_->compiled_for(country_code, text->second);
    if (regions.empty()) return std::nullopt;  // this code stays libphonenumber's
    // A code of one region is that region's. Of several, the number is the first region's
    // whose leading digits start it, or, for a region without them, whose patterns take it.
    if (regions.size() == 1) return regions.front().type(national);
    for (const auto& region : regions) {
      if (region.leading_digits) {
        if (boost::regex_search(national.begin(), national.end(), *region.leading_digits,
                                boost::match_continuous))
          return region.type(national);
      } else if (const Type t = region.type(national); t != pn::PhoneNumberUtil::UNKNOWN) {
        return t;
      }
    }
    return pn::PhoneNumberUtil::UNKNOWN;
  } catch (const std::exception&) {
    return std::nullopt;  // a match Boost.Regex gave up on (too complex): ask libphonenumber
  }
}

}  // namespace passerelle::phone_detail
