// MSNP stream decoder on arbitrary bytes, fed in chunks whose size comes from the input,
// under the grammar (direction, version) the second byte picks. Every command that decodes
// must re-encode and decode to the same command; its payload and arguments then go through
// the MIME, personal-message, Passport and name parsers, whose own round trips must hold.
//   byte 0: chunk size 1..64; byte 1: bit 0 direction, bits 1-2 version (8, 11, 12, 13)
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "msn/codec/challenge.hpp"
#include "msn/codec/decoder.hpp"
#include "msn/codec/errors.hpp"
#include "msn/codec/mime.hpp"
#include "msn/codec/names.hpp"
#include "msn/codec/passport.hpp"

using namespace passerelle::msn;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void exercise_payload(std::string_view p) {
  auto msg = parse_message(p);
  if (msg.ok()) {
    if (auto* t = std::get_if<Text>(&msg.value())) {
      // Formatting is idempotent after one pass.
      const std::string s1 = format_text_format(t->format);
      const std::string s2 = format_text_format(parse_text_format(s1));
      check(s1 == s2);
    }
  }
  // Any bytes as a chat text come back unchanged.
  auto back = parse_message(build_text(p));
  check(back.ok());
  auto* t = std::get_if<Text>(&back.value());
  check(t != nullptr && t->body == p);

  auto pm = parse_personal_message(p);
  if (pm.ok()) {
    auto again = parse_personal_message(build_personal_message(pm.value()));
    check(again.ok() && again.value() == pm.value());
  }
  (void)parse_passport_outcome(p);
  (void)parse_dalogin(p);
  (void)passerelle::is_valid_utf8(p);
}

void exercise_command(const Command& c, const Grammar& g) {
  auto bytes = encode(c);
  check(bytes.ok());
  Decoder d(g);
  auto step = d.decode(bytes.value());
  auto* again = std::get_if<Command>(&step.outcome);
  check(again != nullptr && step.consumed == bytes.value().size() && *again == c);

  for (const auto& a : c.args) {
    const std::string dec = url_decode(a);
    check(url_decode(url_encode(dec)) == dec);
    (void)parse_status(a);
    (void)parse_caps(a);
  }
  if (c.payload) exercise_payload(*c.payload);
  if (c.is_error()) (void)to_error(c.error_code());
  if (c.verb == "USR") (void)parse_twn_challenge(c);
  if (c.verb == "CHL") {
    auto q = answer_challenge(c, 1, g.version());
    if (q.ok()) check(q.value().payload && q.value().payload->size() == 32);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  static constexpr int kVersions[] = {8, 11, 12, 13};
  const Grammar g(data[1] & 1 ? Direction::from_client : Direction::from_server,
                  kVersions[(data[1] >> 1) & 3]);
  Limits limits;
  limits.max_line = 512;
  limits.max_payload = 2048;
  limits.max_args = 16;
  Decoder dec(g, limits);
  std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
  while (!in.empty()) {
    std::string_view piece = in.substr(0, chunk);
    in.remove_prefix(piece.size());
    while (!piece.empty()) {
      auto step = dec.decode(piece);
      check(step.consumed <= piece.size());
      piece.remove_prefix(step.consumed);
      check(dec.buffered() <= limits.max_line + 2 + limits.max_payload);
      if (auto* c = std::get_if<Command>(&step.outcome)) {
        check(c->args.size() <= limits.max_args);
        exercise_command(*c, g);
      } else if (std::holds_alternative<DecodeError>(step.outcome)) {
        return 0;  // fatal by contract: the connection would be closed
      } else {
        check(piece.empty());  // NeedMore only when the input is used up
      }
    }
  }
  return 0;
}
