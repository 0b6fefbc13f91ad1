#include "msn/codec/command.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace passerelle::msn {

namespace {

constexpr int kAny = 99;
constexpr auto S = Direction::from_server;
constexpr auto C = Direction::from_client;

// Sources: the MSNPiki / NINA wiki command pages for MSNP8..MSNP15, checked against the
// captures in tests/vectors/msnp.json for MSNP8 and MSNP12. Only verbs whose framing
// differs from the generic rule are listed.
constexpr std::array<VerbRule, 33> kRules{{
    // Server -> client, payload commands.
    {"MSG", S, 2, kAny, PayloadRule::always, false},      // MSG sender friendly len
    {"NOT", S, 8, kAny, PayloadRule::always, false},      // NOT len (alerts XML)
    {"IPG", S, 8, kAny, PayloadRule::always, false},      // IPG len (mobile page)
    {"UBX", S, 11, kAny, PayloadRule::always, false},     // UBX email [network] len (PSM)
    {"UBM", S, 14, kAny, PayloadRule::always, false},     // UBM email network type len
    {"UBN", S, 16, kAny, PayloadRule::always, false},     // UBN email type len
    {"GCF", S, 11, kAny, PayloadRule::always, true},      // GCF trid [file] len
    {"UUX", S, 11, kAny, PayloadRule::always, true},      // UUX trid 0 (an empty payload)
    {"ADL", S, 13, kAny, PayloadRule::if_numeric, true},  // ADL 0 len / ADL trid OK
    {"RML", S, 13, kAny, PayloadRule::if_numeric, true},  // RML 0 len / RML trid OK
    {"FQY", S, 14, kAny, PayloadRule::if_numeric, true},
    // Server -> client, never a trid although the first argument may be a number.
    {"QNG", S, 2, kAny, PayloadRule::none, false},  // QNG seconds-to-next-ping (MSNP9+)
    {"RNG", S, 2, kAny, PayloadRule::none, false},  // RNG session-id host:port CKI ...
    {"LSG", S, 8, kAny, PayloadRule::none, false},  // MSNP8: LSG group-id name 0
    {"LST", S, 8, kAny, PayloadRule::none, false},
    {"NLN", S, 2, kAny, PayloadRule::none, false},
    {"FLN", S, 2, kAny, PayloadRule::none, false},
    {"JOI", S, 2, kAny, PayloadRule::none, false},
    {"BYE", S, 2, kAny, PayloadRule::none, false},
    {"BPR", S, 8, kAny, PayloadRule::none, false},
    // Client -> server, payload commands (all with a trid).
    {"MSG", C, 2, kAny, PayloadRule::always, true},   // MSG trid ack-mode len
    {"QRY", C, 6, kAny, PayloadRule::always, true},   // QRY trid product-id 32
    {"PGD", C, 8, kAny, PayloadRule::always, true},   // PGD trid email 1 len
    {"UUX", C, 11, kAny, PayloadRule::always, true},  // UUX trid len
    {"SDC", C, 11, kAny, PayloadRule::always, true},
    {"ADL", C, 13, kAny, PayloadRule::always, true},  // ADL trid len
    {"RML", C, 13, kAny, PayloadRule::always, true},
    {"UUN", C, 13, kAny, PayloadRule::always, true},  // UUN trid email type len
    {"FQY", C, 14, kAny, PayloadRule::always, true},
    {"UUM", C, 14, kAny, PayloadRule::always, true},  // UUM trid email network type len
    // Client -> server commands without a trid.
    {"PNG", C, 2, kAny, PayloadRule::none, false},
    {"OUT", C, 2, kAny, PayloadRule::none, false},
    {"OUT", S, 2, kAny, PayloadRule::none, false},  // OUT [OTH|SSD]
}};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A byte count: 1..10 decimal digits, nothing else (no sign, no hex, no spaces).
std::optional<std::uint64_t> parse_count(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

Error bad(std::string m) {
  return Error::invalid(std::move(m));
}

Error refuse(DecodeErrc* why, DecodeErrc code, std::string m) {
  if (why) *why = code;
  return code == DecodeErrc::payload_too_large ? Error::limit(std::move(m))
                                               : Error::invalid(std::move(m));
}

}  // namespace

const char* decode_errc_name(DecodeErrc c) {
  switch (c) {
    case DecodeErrc::line_too_long:
      return "line_too_long";
    case DecodeErrc::bare_cr:
      return "bare_cr";
    case DecodeErrc::bare_lf:
      return "bare_lf";
    case DecodeErrc::empty_line:
      return "empty_line";
    case DecodeErrc::bad_verb:
      return "bad_verb";
    case DecodeErrc::bad_payload_length:
      return "bad_payload_length";
    case DecodeErrc::payload_too_large:
      return "payload_too_large";
    case DecodeErrc::too_many_args:
      return "too_many_args";
  }
  return "?";
}

bool Command::is_error() const {
  return verb.size() == 3 && std::all_of(verb.begin(), verb.end(), is_digit);
}

int Command::error_code() const {
  if (!is_error()) return 0;
  return (verb[0] - '0') * 100 + (verb[1] - '0') * 10 + (verb[2] - '0');
}

const std::string& Command::arg(std::size_t i) const {
  static const std::string empty;
  return i < args.size() ? args[i] : empty;
}

Grammar::Grammar(Direction direction, int version) : direction_(direction), version_(version) {}

std::span<const VerbRule> Grammar::rules() {
  return kRules;
}

const VerbRule* Grammar::find(std::string_view verb) const {
  for (const auto& r : kRules) {
    if (r.direction == direction_ && version_ >= r.min_version && version_ <= r.max_version &&
        verb == std::string_view(r.verb, 3)) {
      return &r;
    }
  }
  return nullptr;
}

PayloadRule Grammar::payload_rule(std::string_view verb) const {
  const VerbRule* r = find(verb);
  return r ? r->payload : PayloadRule::none;
}

bool Grammar::may_have_trid(std::string_view verb) const {
  const VerbRule* r = find(verb);
  return r ? r->trid : true;
}

bool is_valid_verb(std::string_view v) {
  if (v.size() != 3) return false;
  const bool upper = std::all_of(v.begin(), v.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  return upper || std::all_of(v.begin(), v.end(), is_digit);
}

std::optional<std::uint32_t> parse_trid(std::string_view s) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Result<Command> parse_line(std::string_view line, const Grammar& grammar, const Limits& limits,
                           std::size_t* payload_length, DecodeErrc* why) {
  *payload_length = 0;
  if (line.empty()) return refuse(why, DecodeErrc::empty_line, "empty line");
  if (line.size() > limits.max_line) {
    return refuse(why, DecodeErrc::line_too_long, "line longer than the limit");
  }
  if (line.find_first_of("\r\n") != std::string_view::npos) {
    return refuse(why, DecodeErrc::bare_cr, "CR or LF inside a line");
  }
  const std::string_view verb = line.substr(0, 3);
  if (!is_valid_verb(verb) || (line.size() > 3 && line[3] != ' ')) {
    return refuse(why, DecodeErrc::bad_verb,
                  "not an MSNP verb (three upper-case letters or digits)");
  }
  Command cmd;
  cmd.verb.assign(verb);
  std::string_view rest = line.size() > 3 ? line.substr(4) : std::string_view{};
  const bool has_args = line.size() > 3;

  // Split on single spaces; empty pieces are kept (see Command::args). The pieces live on
  // the stack for ordinary lines; only a line with many arguments allocates for them.
  const std::size_t n_parts =
      has_args ? 1 + static_cast<std::size_t>(std::count(rest.begin(), rest.end(), ' ')) : 0;
  if (n_parts > limits.max_args + 2) {  // + trid + byte count
    return refuse(why, DecodeErrc::too_many_args, "too many arguments");
  }
  std::array<std::string_view, 16> small;
  std::vector<std::string_view> big;
  std::string_view* parts = small.data();
  if (n_parts > small.size()) {
    big.resize(n_parts);
    parts = big.data();
  }
  for (std::size_t i = 0; i < n_parts; ++i) {
    const auto sp = rest.find(' ');
    parts[i] = rest.substr(0, sp);
    if (sp != std::string_view::npos) rest.remove_prefix(sp + 1);
  }
  // A payload command that takes a trid has it before its byte count: a lone number is
  // refused whatever it looks like ("MSG 018" would otherwise be a count and its
  // re-encoding "MSG 18" a trid without a count).
  if (n_parts == 1 && grammar.payload_rule(cmd.verb) == PayloadRule::always &&
      grammar.may_have_trid(cmd.verb)) {
    return refuse(why, DecodeErrc::bad_payload_length,
                  cmd.verb + " without its transaction id or byte count");
  }
  std::size_t first = 0;
  if (n_parts > 0 && grammar.may_have_trid(cmd.verb)) {
    if (auto t = parse_trid(parts[0])) {
      cmd.trid = *t;
      first = 1;
    }
  }
  std::size_t last = n_parts;  // one past the last argument kept in args
  switch (grammar.payload_rule(cmd.verb)) {
    case PayloadRule::none:
      break;
    case PayloadRule::if_numeric:
      if (last == first || !parse_count(parts[last - 1])) break;
      [[fallthrough]];
    case PayloadRule::always: {
      if (last == first) {
        return refuse(why, DecodeErrc::bad_payload_length, cmd.verb + " without its byte count");
      }
      const auto n = parse_count(parts[last - 1]);
      if (!n) {
        return refuse(why, DecodeErrc::bad_payload_length,
                      cmd.verb + ": byte count is not a decimal number");
      }
      if (*n > limits.max_payload) {
        return refuse(why, DecodeErrc::payload_too_large,
                      cmd.verb + ": payload of " + std::to_string(*n) +
                          " bytes is over the limit of " + std::to_string(limits.max_payload));
      }
      *payload_length = static_cast<std::size_t>(*n);
      cmd.payload.emplace();
      --last;
      break;
    }
  }
  if (last - first > limits.max_args) {
    return refuse(why, DecodeErrc::too_many_args, "too many arguments");
  }
  cmd.args.reserve(last - first);
  for (std::size_t i = first; i < last; ++i) cmd.args.emplace_back(parts[i]);
  return cmd;
}

Status encode(const Command& cmd, std::string& out, const Limits& limits) {
  if (!is_valid_verb(cmd.verb)) return bad("not an MSNP verb: '" + cmd.verb + "'");
  if (cmd.args.size() > limits.max_args) return Error::limit("too many arguments");
  std::size_t len = 3;
  if (cmd.trid) len += 11;
  for (const auto& a : cmd.args) {
    if (a.find_first_of(" \r\n") != std::string::npos) {
      return bad(cmd.verb + ": an argument holds a space, CR or LF; URL-encode it");
    }
    len += 1 + a.size();
  }
  if (cmd.payload) {
    if (cmd.payload->size() > limits.max_payload) {
      return Error::limit(cmd.verb + ": payload over the limit of " +
                          std::to_string(limits.max_payload) + " bytes");
    }
    len += 11;
  }
  const std::size_t start = out.size();
  out.reserve(start + len + 2 + (cmd.payload ? cmd.payload->size() : 0));
  out += cmd.verb;
  char num[16];
  if (cmd.trid) {
    out += ' ';
    auto r = std::to_chars(num, num + sizeof num, *cmd.trid);
    out.append(num, r.ptr);
  }
  for (const auto& a : cmd.args) {
    out += ' ';
    out += a;
  }
  if (cmd.payload) {
    out += ' ';
    auto r = std::to_chars(num, num + sizeof num, cmd.payload->size());
    out.append(num, r.ptr);
  }
  if (out.size() - start > limits.max_line) {
    out.resize(start);
    return Error::limit(cmd.verb + ": line longer than " + std::to_string(limits.max_line) +
                        " bytes");
  }
  out += "\r\n";
  if (cmd.payload) out += *cmd.payload;
  return {};
}

Result<std::string> encode(const Command& cmd, const Limits& limits) {
  std::string out;
  auto st = encode(cmd, out, limits);
  if (!st) return st.error();
  return out;
}

Command make_msg(std::uint32_t trid, AckMode mode, std::string mime) {
  Command c;
  c.verb = "MSG";
  c.trid = trid;
  c.args.emplace_back(1, static_cast<char>(mode));
  c.payload = std::move(mime);
  return c;
}

}  // namespace passerelle::msn
