// Phone number parsing, per number, each one different (as when every message goes to a
// new number, before the router's cache knows it):
//   passerelle: PhoneNumbers::parse (parse, validity and line type, E.164);
//   reference: libphonenumber's usual validation of the same text, in the same run:
//              Parse, IsValidNumber, GetNumberType, Format(E164).
// Argument 0: French mobile numbers (+33, one region); 1: Canadian numbers (+1 416), and
// 2: US numbers (+1 650). +1 is shared by 25 regions, tried in libphonenumber's order: the
// US first, then small regions with cheap leading-digit checks, Canada after them.
#include <benchmark/benchmark.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstdio>
#include <string>
#include <vector>

#include "phone/phone.hpp"

namespace {

using i18n::phonenumbers::PhoneNumberUtil;

std::vector<std::string> numbers(int kind) {
  std::vector<std::string> out;
  for (int i = 0; i < 10000; ++i) {
    char buf[32];
    if (kind == 0)
      std::snprintf(buf, sizeof buf, "+3361%04d%03d", i, i % 1000);
    else if (kind == 1)
      std::snprintf(buf, sizeof buf, "+1416555%04d", i);
    else
      std::snprintf(buf, sizeof buf, "+1650253%04d", i);
    out.emplace_back(buf);
  }
  return out;
}

void BM_Passerelle(benchmark::State& state) {
  const auto list = numbers(static_cast<int>(state.range(0)));
  const passerelle::PhoneNumbers phones("FR");
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = phones.parse(list[i++ % list.size()]);
    if (!r.ok()) {
      state.SkipWithError("a number was refused");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Reference(benchmark::State& state) {
  const auto list = numbers(static_cast<int>(state.range(0)));
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::size_t i = 0;
  for (auto _ : state) {
    i18n::phonenumbers::PhoneNumber n;
    std::string e164;
    const bool ok =
        util.Parse(list[i++ % list.size()], "FR", &n) == PhoneNumberUtil::NO_PARSING_ERROR &&
        util.IsValidNumber(n);
    if (!ok) {
      state.SkipWithError("a number was refused");
      break;
    }
    benchmark::DoNotOptimize(util.GetNumberType(n));
    util.Format(n, PhoneNumberUtil::E164, &e164);
    benchmark::DoNotOptimize(e164);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Passerelle)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_Reference)->Arg(0)->Arg(1)->Arg(2);

}  // namespace

BENCHMARK_MAIN();
