#include "msn/codec/passport.hpp"

#include "msn/codec/names.hpp"

namespace passerelle::msn {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const std::string* field(const PassportFields& fs, std::string_view name) {
  for (const auto& [k, v] : fs) {
    if (k == name) return &v;
  }
  return nullptr;
}

Command usr(std::uint32_t trid, const char* step, std::string_view value) {
  Command c;
  c.verb = "USR";
  c.trid = trid;
  c.args = {"TWN", step, std::string(value)};
  return c;
}

}  // namespace

Command make_usr_twn_initial(std::uint32_t trid, std::string_view sign_in) {
  return usr(trid, "I", sign_in);
}

Command make_usr_twn_subsequent(std::uint32_t trid, std::string_view ticket) {
  return usr(trid, "S", ticket);
}

Result<std::string> parse_twn_challenge(const Command& cmd) {
  if (cmd.verb != "USR" || cmd.args.size() != 3 || cmd.args[0] != "TWN" || cmd.args[1] != "S") {
    return Error::invalid("expected 'USR trid TWN S <challenge>'");
  }
  if (cmd.args[2].empty()) return Error::invalid("USR TWN S with an empty challenge");
  return cmd.args[2];
}

std::string passport_authorization(std::string_view sign_in, std::string_view password,
                                   std::string_view challenge, std::string_view org_url) {
  std::string out = "Passport1.4 OrgVerb=GET,OrgURL=";
  out += org_url;
  out += ",sign-in=";
  out += url_encode(sign_in);
  out += ",pwd=";
  out += url_encode(password);
  out += ',';
  out += challenge;
  return out;
}

Result<PassportFields> parse_passport_fields(std::string_view v) {
  v = trim(v);
  constexpr std::string_view kScheme = "Passport1.4";
  if (v.substr(0, kScheme.size()) != kScheme) return Error::invalid("not a Passport1.4 header");
  v.remove_prefix(kScheme.size());
  PassportFields out;
  while (!v.empty()) {
    v = trim(v);
    if (v.empty()) break;
    const auto stop = v.find_first_of("=,");
    std::string key(trim(v.substr(0, stop)));
    std::string value;
    if (stop == std::string_view::npos) {
      v = {};
    } else if (v[stop] == ',') {
      v.remove_prefix(stop + 1);
    } else {
      v.remove_prefix(stop + 1);
      if (!v.empty() && v.front() == '\'') {
        const auto close = v.find('\'', 1);
        if (close == std::string_view::npos) return Error::invalid("Passport1.4: unclosed quote");
        value.assign(v.substr(1, close - 1));
        v.remove_prefix(close + 1);
        v = trim(v);
        if (!v.empty() && v.front() != ',') return Error::invalid("Passport1.4: junk after quote");
        if (!v.empty()) v.remove_prefix(1);
      } else {
        const auto comma = v.find(',');
        value.assign(trim(v.substr(0, comma)));
        v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
      }
    }
    if (out.size() == 64) return Error::limit("Passport1.4: too many fields");
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

Result<PassportOutcome> parse_passport_outcome(std::string_view header_value) {
  auto fs = parse_passport_fields(header_value);
  if (!fs) return fs.error();
  const std::string* st = field(fs.value(), "da-status");
  if (!st) return Error::invalid("Passport1.4 answer without da-status");
  PassportOutcome o;
  if (*st == "success") {
    const std::string* t = field(fs.value(), "from-PP");
    if (!t || t->empty()) return Error::invalid("Passport1.4 success without a from-PP ticket");
    o.status = PassportOutcome::Status::success;
    o.ticket = *t;
  } else if (*st == "failed") {
    o.status = PassportOutcome::Status::failed;
    if (const std::string* r = field(fs.value(), "cbtxt")) o.reason = url_decode(*r);
  } else if (*st == "redir") {
    o.status = PassportOutcome::Status::redirect;
  } else {
    return Error::invalid("Passport1.4: unknown da-status '" + *st + "'");
  }
  return o;
}

Result<std::string> parse_dalogin(std::string_view passport_urls) {
  // PassportURLs has no scheme word in front; reuse the field parser with one.
  auto fs = parse_passport_fields("Passport1.4 " + std::string(passport_urls));
  if (!fs) return fs.error();
  const std::string* d = field(fs.value(), "DALogin");
  if (!d || d->empty()) return Error::invalid("PassportURLs without DALogin");
  if (d->find("://") != std::string::npos) return *d;
  return "https://" + *d;
}

}  // namespace passerelle::msn
