#pragma once
// Number portability (DESIGN.md §3, "Between carriers"): a subscriber who moved to another
// carrier keeps their number, so the prefix no longer says who serves it. The table is a
// CSV file the operator keeps up to date, one ported number per line:
//
//   # number,platform,smsc          (either of the last two may be empty)
//   +33611111111,carrier-b,smsc-b
//   +33622222222,,smsc-b
//
// Blank lines and lines starting with '#' are skipped; a first line "number,..." is a
// header. Entries override the prefix routes: a listed number is served by RCS only on the
// platform it names (none when empty: its carrier has no platform here), and by SMS through
// the SMSC it names (the [[sms.smsc]] prefixes when empty). Pure: no file I/O.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"

namespace passerelle {

struct PortedNumber {
  std::string platform;  // [[rcs.platform]] name, "" for none
  std::string smsc;      // [[sms.smsc]] name, "" for none
};

class PortabilityTable {
 public:
  // At most this many entries (a national table is a few million numbers; past this the
  // operator should use the ranges).
  static constexpr std::size_t kMaxEntries = 5'000'000;

  // Parses the whole text; the first problem is an invalid_input Error "name:line: ..."
  // naming the line. Known platform and SMSC names are checked by `known` (nullptr: any).
  using KnownName = bool (*)(const void* ctx, std::string_view kind, std::string_view name);
  static Result<PortabilityTable> parse(std::string_view text, std::string_view name_for_errors,
                                        KnownName known = nullptr, const void* ctx = nullptr);

  std::optional<PortedNumber> find(const std::string& e164) const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::unordered_map<std::string, PortedNumber> entries_;
};

}  // namespace passerelle
