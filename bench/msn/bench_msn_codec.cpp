// MSNP codec throughput (bench/RESULTS.md, "MSNP codec"): commands parsed per second and
// built per second over a realistic mix a notification server and a switchboard send to
// the bridge: MSG with a formatted text body, NLN, ILN and UBX (personal message), in
// equal numbers, 4000 commands per pass with distinct contacts.
//
//   bench_msn_codec [--benchmark_repetitions=5 ...]
//
// The reference, measured in the same run: a plain memchr split of the same bytes into
// CR LF lines (no verbs, no arguments, no payload counts, no copies): the cost of just
// finding the line ends. decode / reference is the price of real parsing.

#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "msn/codec/decoder.hpp"
#include "msn/codec/mime.hpp"
#include "msn/codec/names.hpp"

using namespace passerelle::msn;

namespace {

constexpr int kRounds = 1000;  // x 4 commands

std::vector<Command> mix() {
  std::vector<Command> out;
  TextFormat f;
  f.font = "Segoe UI";
  for (int i = 0; i < kRounds; ++i) {
    const std::string who = "contact" + std::to_string(i) + "@example.com";
    const std::string name = url_encode("Contact " + std::to_string(i) + " \xE2\x98\x85");
    Command msg{"MSG", std::nullopt, {who, name}, std::nullopt};
    msg.payload = build_text("Salut, tu es l\xC3\xA0 ? On se voit ce soir vers 20h.", f);
    out.push_back(std::move(msg));
    out.push_back(Command{
        "NLN", std::nullopt, {"AWY", who, name, "1342177312", "%3Cmsnobj%2F%3E"}, std::nullopt});
    out.push_back(Command{"ILN",
                          static_cast<std::uint32_t>(i),
                          {"NLN", who, name, "1342177312", "%3Cmsnobj%2F%3E"},
                          std::nullopt});
    Command ubx{"UBX", std::nullopt, {who}, std::nullopt};
    ubx.payload = build_personal_message({"en vacances jusqu'au 3", ""});
    out.push_back(std::move(ubx));
  }
  return out;
}

const std::vector<Command>& commands() {
  static const std::vector<Command> c = mix();
  return c;
}

const std::string& wire() {
  static const std::string w = [] {
    std::string out;
    for (const auto& c : commands()) (void)encode(c, out);
    return out;
  }();
  return w;
}

void BM_Decode(benchmark::State& state) {
  const std::string& w = wire();
  std::size_t n = 0;
  for (auto _ : state) {
    Decoder d(Grammar::server(12));
    std::string_view in(w);
    while (!in.empty()) {
      auto step = d.decode(in);
      in.remove_prefix(step.consumed);
      if (std::holds_alternative<Command>(step.outcome)) ++n;
      benchmark::DoNotOptimize(step);
    }
  }
  if (n != commands().size() * state.iterations()) state.SkipWithError("lost commands");
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(w.size() * state.iterations()));
}
BENCHMARK(BM_Decode);

// Decoding plus the meaning of each payload (MIME text, personal message XML).
void BM_DecodeAndParsePayloads(benchmark::State& state) {
  const std::string& w = wire();
  std::size_t n = 0;
  for (auto _ : state) {
    Decoder d(Grammar::server(12));
    std::string_view in(w);
    while (!in.empty()) {
      auto step = d.decode(in);
      in.remove_prefix(step.consumed);
      if (auto* c = std::get_if<Command>(&step.outcome)) {
        ++n;
        if (c->verb == "MSG") {
          auto m = parse_message(*c->payload);
          benchmark::DoNotOptimize(m);
        } else if (c->verb == "UBX") {
          auto p = parse_personal_message(*c->payload);
          benchmark::DoNotOptimize(p);
        }
      }
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(w.size() * state.iterations()));
}
BENCHMARK(BM_DecodeAndParsePayloads);

// Building: the MIME body (for MSG) or XML (for UBX) and the command line, appended to one
// output buffer as a session would before a write.
void BM_Build(benchmark::State& state) {
  const auto& cs = commands();
  TextFormat f;
  f.font = "Segoe UI";
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (const auto& c : cs) {
      if (c.verb == "MSG") {
        Command m{"MSG", std::nullopt, c.args,
                  build_text("Salut, tu es l\xC3\xA0 ? On se voit ce soir vers 20h.", f)};
        (void)encode(m, out);
      } else if (c.verb == "UBX") {
        Command u{"UBX", std::nullopt, c.args,
                  build_personal_message({"en vacances jusqu'au 3", ""})};
        (void)encode(u, out);
      } else {
        (void)encode(c, out);
      }
    }
    benchmark::DoNotOptimize(out.data());
  }
  if (out != wire()) state.SkipWithError("built bytes differ");
  state.SetItemsProcessed(static_cast<std::int64_t>(cs.size() * state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(wire().size() * state.iterations()));
}
BENCHMARK(BM_Build);

// Reference: find every CR LF with memchr, nothing else.
void BM_Reference_MemchrLineSplit(benchmark::State& state) {
  const std::string& w = wire();
  std::size_t lines = 0;
  for (auto _ : state) {
    const char* p = w.data();
    const char* end = p + w.size();
    while (p < end) {
      const void* lf = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
      if (lf == nullptr) break;
      std::string_view line(p, static_cast<std::size_t>(static_cast<const char*>(lf) - p));
      benchmark::DoNotOptimize(line);
      ++lines;
      p = static_cast<const char*>(lf) + 1;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(lines));
  state.SetBytesProcessed(static_cast<std::int64_t>(w.size() * state.iterations()));
  state.counters["lines_per_pass"] =
      static_cast<double>(lines) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Reference_MemchrLineSplit);

}  // namespace

BENCHMARK_MAIN();
