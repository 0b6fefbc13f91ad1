#include "msn/session/ns_machine.hpp"

#include <algorithm>
#include <charconv>

#include "msn/codec/challenge.hpp"
#include "msn/codec/errors.hpp"
#include "msn/codec/passport.hpp"

namespace passerelle::msn {

namespace {

std::string lower(std::string_view s) {
  std::string r(s);
  std::transform(r.begin(), r.end(), r.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return r;
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

std::optional<unsigned> parse_uint(std::string_view s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// MSNP10+ list lines name their fields: N=email F=name C=guid.
std::string field(const Command& c, std::string_view prefix) {
  for (const auto& a : c.args)
    if (starts_with(a, prefix)) return a.substr(prefix.size());
  return {};
}

}  // namespace

std::optional<int> parse_version(std::string_view s) {
  if (!starts_with(s, "MSNP")) return std::nullopt;
  auto v = parse_uint(s.substr(4));
  if (!v || *v > 99) return std::nullopt;
  return static_cast<int>(*v);
}

bool split_host_port(std::string_view s, std::string& host, int& port) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto p = parse_uint(s.substr(colon + 1));
  if (!p || *p == 0 || *p > 65535) return false;
  host = std::string(s.substr(0, colon));
  port = static_cast<int>(*p);
  return true;
}

NsMachine::NsMachine(Settings s) : s_(std::move(s)) {
  s_.max_version = std::clamp(s_.max_version, kMsnp8, kMsnp12);
}

const Contact* NsMachine::contact(std::string_view email) const {
  auto it = contacts_.find(std::string(email));
  return it == contacts_.end() ? nullptr : &it->second;
}

std::uint32_t NsMachine::send(std::string verb, std::vector<std::string> args) {
  Command c;
  c.verb = std::move(verb);
  c.trid = ++trid_;
  c.args = std::move(args);
  out_.push_back(effect::Send{std::move(c)});
  return trid_;
}

void NsMachine::end(EndKind k, std::string reason) {
  if (phase_ == NsPhase::ended) return;
  phase_ = NsPhase::ended;
  out_.push_back(effect::End{k, std::move(reason)});
}

void NsMachine::start() {
  // A new connection restarts the transaction ids and forgets presence (the server sends
  // it again); the contact list stays until the next SYN replaces it.
  trid_ = 0;
  version_ = 0;
  for (auto& [email, c] : contacts_) c.status = Status::offline;
  std::vector<std::string> args;
  for (int v = s_.max_version; v >= kMsnp8; --v) args.push_back("MSNP" + std::to_string(v));
  args.emplace_back("CVR0");
  phase_ = NsPhase::version;
  login_trid_ = send("VER", std::move(args));
}

void NsMachine::ticket(std::string_view t) {
  if (phase_ != NsPhase::ticket) return;
  phase_ = NsPhase::usr_subsequent;
  auto c = make_usr_twn_subsequent(++trid_, t);
  login_trid_ = trid_;
  out_.push_back(effect::Send{std::move(c)});
}

void NsMachine::send_chg() {
  // Capabilities 0: the bridge takes no P2P, ink or webcam invitations.
  send("CHG", {status_code(s_.status), "0"});
}

void NsMachine::on_error(const Command& cmd) {
  const int code = cmd.error_code();
  const bool login = phase_ != NsPhase::online;
  if (login && (!cmd.trid || *cmd.trid == login_trid_ || phase_ < NsPhase::sync)) {
    auto info = find_error(code);
    std::string why = info ? info->reason : "error " + std::to_string(code);
    if (code == 911) return end(EndKind::wrong_password, "wrong password (MSN error 911)");
    if (classify(code) == ErrorKind::account)
      return end(EndKind::account, why + " (MSN error " + std::to_string(code) + ")");
    return end(EndKind::transient,
               "login refused: " + why + " (MSN error " + std::to_string(code) + ")");
  }
  out_.push_back(effect::TridError{cmd.trid.value_or(0), code});
}

void NsMachine::feed(const Command& cmd) {
  if (phase_ == NsPhase::ended) return;
  if (cmd.is_error()) return on_error(cmd);
  const std::string& v = cmd.verb;
  const std::uint32_t trid = cmd.trid.value_or(0);

  if (v == "VER" && phase_ == NsPhase::version) {
    std::optional<int> got;
    for (const auto& a : cmd.args) {
      if (auto n = parse_version(a); n && *n >= kMsnp8 && *n <= s_.max_version) {
        got = n;
        break;
      }
    }
    if (!got)
      return end(EndKind::transient, "the server offers no protocol version between MSNP8 and " +
                                         std::string("MSNP") + std::to_string(s_.max_version));
    version_ = *got;
    phase_ = NsPhase::cvr;
    // The client identification MSN Messenger 7.5 (MSNP12) or 6.2 (older) sends.
    const bool v7 = version_ >= 11;
    login_trid_ = send("CVR", {"0x0409", "winnt", "5.1", "i386", "MSNMSGR",
                               v7 ? "7.5.0324" : "6.2.0208", "msmsgs", s_.email});
    return;
  }
  if (v == "CVR" && phase_ == NsPhase::cvr) {
    phase_ = NsPhase::usr_initial;
    auto c = make_usr_twn_initial(++trid_, s_.email);
    login_trid_ = trid_;
    out_.push_back(effect::Send{std::move(c)});
    return;
  }
  if (v == "XFR" && cmd.arg(0) == "NS") {
    effect::Redirect r;
    if (!split_host_port(cmd.arg(1), r.host, r.port))
      return end(EndKind::transient, "bad XFR NS address '" + cmd.arg(1) + "'");
    phase_ = NsPhase::ended;
    out_.push_back(std::move(r));
    return;
  }
  if (v == "USR") {
    if (phase_ == NsPhase::usr_initial && cmd.arg(0) == "TWN" && cmd.arg(1) == "S") {
      auto ch = parse_twn_challenge(cmd);
      if (!ch) return end(EndKind::transient, "bad Tweener challenge: " + ch.error().message);
      phase_ = NsPhase::ticket;
      out_.push_back(effect::FetchTicket{std::move(*ch)});
      return;
    }
    if (phase_ == NsPhase::usr_subsequent && cmd.arg(0) == "OK") {
      phase_ = NsPhase::sync;
      contacts_.clear();
      if (version_ >= 10)
        login_trid_ = send("SYN", {"0", "0"});
      else
        login_trid_ = send("SYN", {"0"});
      return;
    }
    return;
  }
  if (v == "SYN" && phase_ == NsPhase::sync && trid == login_trid_) {
    // The LST lines follow; the server writes them before it reads our CHG, so the
    // presence it sends after the CHG always finds the contacts known.
    phase_ = NsPhase::chg;
    send_chg();
    login_trid_ = trid_;
    return;
  }
  if (v == "LST") return on_lst(cmd);
  if (v == "CHG") {
    if (phase_ == NsPhase::chg && trid == login_trid_) {
      phase_ = NsPhase::online;
      out_.push_back(effect::Online{});
      if (version_ >= 11 && !s_.psm.empty()) {
        Command u{"UUX", ++trid_, {}, build_personal_message({s_.psm, {}})};
        out_.push_back(effect::Send{std::move(u)});
      }
    }
    return;
  }
  if (v == "ILN") return on_presence(cmd.arg(0), cmd.arg(1), cmd.arg(2));
  if (v == "NLN") return on_presence(cmd.arg(0), cmd.arg(1), cmd.arg(2));
  if (v == "FLN") return on_presence("FLN", cmd.arg(0), {});
  if (v == "UBX") {
    auto it = contacts_.find(lower(cmd.arg(0)));
    if (it == contacts_.end() || !cmd.payload) return;
    auto pm = parse_personal_message(*cmd.payload);
    std::string psm = pm ? pm->psm : std::string();
    if (psm == it->second.psm) return;
    it->second.psm = std::move(psm);
    out_.push_back(effect::ContactPresence{it->first});
    return;
  }
  if (v == "ADD" || v == "ADC") return on_list_add(cmd);
  if (v == "REM") return on_list_remove(cmd);
  if (v == "CHL") {
    auto q = answer_challenge(cmd, ++trid_, version_);
    if (!q) return end(EndKind::transient, "cannot answer the server's challenge");
    out_.push_back(effect::Send{std::move(*q)});
    return;
  }
  if (v == "QNG") {
    auto n = parse_uint(cmd.arg(0));
    out_.push_back(effect::PingInterval{n ? static_cast<int>(std::clamp(*n, 5u, 300u)) : 50});
    return;
  }
  if (v == "OUT") {
    if (cmd.arg(0) == "OTH")
      return end(EndKind::elsewhere, "signed in to MSN from another location");
    if (cmd.arg(0) == "SSD") return end(EndKind::shutdown, "the MSN server is shutting down");
    return end(EndKind::transient, "the MSN server closed the session");
  }
  if (v == "XFR" && cmd.arg(0) == "SB") {
    effect::SwitchboardGranted g;
    g.trid = trid;
    g.cookie = cmd.arg(3);
    if (!split_host_port(cmd.arg(1), g.host, g.port)) {
      out_.push_back(effect::TridError{trid, 500});
      return;
    }
    out_.push_back(std::move(g));
    return;
  }
  if (v == "RNG") {
    // RNG session host:port CKI cookie caller name
    effect::Ring r;
    r.session = cmd.arg(0);
    if (!split_host_port(cmd.arg(1), r.host, r.port)) return;
    r.cookie = cmd.arg(3);
    r.caller = lower(cmd.arg(4));
    r.name = url_decode(cmd.arg(5));
    out_.push_back(std::move(r));
    return;
  }
  // MSG (profile, e-mail notifications), GTC, BLP, LSG, PRP, SBS, NOT, GCF, QRY, UUX
  // answers: nothing for the bridge to do.
}

void NsMachine::on_lst(const Command& cmd) {
  Contact c;
  std::optional<unsigned> bits;
  if (version_ >= 10) {
    c.email = lower(field(cmd, "N="));
    c.name = url_decode(field(cmd, "F="));
    c.guid = field(cmd, "C=");
    for (const auto& a : cmd.args) {
      if (a.size() > 1 && a[1] == '=') continue;
      if ((bits = parse_uint(a))) break;
    }
  } else {
    // LST email name bits [groups]
    c.email = lower(cmd.arg(0));
    c.name = url_decode(cmd.arg(1));
    bits = parse_uint(cmd.arg(2));
  }
  if (c.email.empty() || !bits) return;
  c.lists = *bits;
  auto& slot = contacts_[c.email];
  slot = std::move(c);
  if (slot.lists & list::forward) out_.push_back(effect::ContactPresence{slot.email});
  // Someone who added us and whom we neither allowed nor blocked: a pending request.
  const bool answered = slot.lists & (list::allow | list::block);
  if ((slot.lists & (list::reverse | list::pending)) && !answered)
    out_.push_back(effect::ReverseAdd{slot.email, slot.name});
}

void NsMachine::on_presence(std::string_view status, std::string_view email,
                            std::string_view name) {
  auto st = parse_status(status);
  if (!st || email.empty()) return;
  auto& c = contacts_[lower(email)];
  if (c.email.empty()) {
    c.email = lower(email);
    c.lists = list::forward;
  }
  if (!name.empty()) c.name = url_decode(name);
  if (*st == Status::offline) c.psm.clear();
  c.status = *st;
  out_.push_back(effect::ContactPresence{c.email});
}

void NsMachine::on_list_add(const Command& cmd) {
  // MSNP8/9: ADD trid list serial email name [group]; MSNP10+: ADC trid list N= F= [C=].
  auto lst = list_from_code(cmd.arg(0));
  if (!lst) return;
  std::string email, name, guid;
  if (cmd.verb == "ADC") {
    email = lower(field(cmd, "N="));
    name = url_decode(field(cmd, "F="));
    guid = field(cmd, "C=");
  } else {
    email = lower(cmd.arg(2));
    name = url_decode(cmd.arg(3));
  }
  if (email.empty()) return;
  auto& c = contacts_[email];
  c.email = email;
  if (!name.empty()) c.name = name;
  if (!guid.empty()) c.guid = guid;
  c.lists |= *lst;
  if (*lst == list::reverse && !(c.lists & (list::allow | list::block)))
    out_.push_back(effect::ReverseAdd{email, c.name});
}

void NsMachine::on_list_remove(const Command& cmd) {
  // MSNP8/9: REM trid list serial email; MSNP10+: REM trid list N=email | guid
  auto lst = list_from_code(cmd.arg(0));
  if (!lst) return;
  std::string key = version_ >= 10 ? field(cmd, "N=") : cmd.arg(2);
  if (key.empty()) key = cmd.arg(1);
  key = lower(key);
  auto it = contacts_.find(key);
  if (it == contacts_.end()) {
    it = std::find_if(contacts_.begin(), contacts_.end(),
                      [&](const auto& kv) { return lower(kv.second.guid) == key; });
    if (it == contacts_.end()) return;
  }
  it->second.lists &= ~*lst;
  if (*lst == list::reverse) out_.push_back(effect::ReverseRemove{it->first});
}

std::uint32_t NsMachine::request_switchboard() {
  if (phase_ != NsPhase::online) return 0;
  return send("XFR", {"SB"});
}

std::uint32_t NsMachine::ping() {
  if (phase_ != NsPhase::online) return 0;
  Command c;
  c.verb = "PNG";  // PNG carries no transaction id
  out_.push_back(effect::Send{std::move(c)});
  return 1;
}

void NsMachine::set_presence(Status s, std::string psm) {
  const bool psm_changed = psm != s_.psm;
  const bool status_changed = s != s_.status;
  s_.status = s;
  s_.psm = std::move(psm);
  if (phase_ != NsPhase::online) return;  // applied at the next login
  if (status_changed) send_chg();
  if (psm_changed && version_ >= 11) {
    Command u{"UUX", ++trid_, {}, build_personal_message({s_.psm, {}})};
    out_.push_back(effect::Send{std::move(u)});
  }
}

void NsMachine::add_contact(std::string_view email) {
  if (phase_ != NsPhase::online) return;
  const std::string e = lower(email);
  auto* c = contact(e);
  const unsigned have = c ? c->lists : 0;
  for (unsigned l : {list::forward, list::allow}) {
    if (have & l) continue;
    if (version_ >= 10) {
      if (l == list::forward)
        send("ADC", {list_code(l), "N=" + e, "F=" + e});
      else
        send("ADC", {list_code(l), "N=" + e});
    } else {
      send("ADD", {list_code(l), e, e});
    }
  }
}

void NsMachine::allow_contact(std::string_view email) {
  add_contact(email);
}

void NsMachine::remove_contact(std::string_view email) {
  if (phase_ != NsPhase::online) return;
  const Contact* c = contact(lower(email));
  if (!c || !(c->lists & list::forward)) return;
  if (version_ >= 10) {
    if (!c->guid.empty()) send("REM", {"FL", c->guid});
  } else {
    send("REM", {"FL", c->email});
  }
}

void NsMachine::block_contact(std::string_view email) {
  if (phase_ != NsPhase::online) return;
  const Contact* c = contact(lower(email));
  if (!c || !(c->lists & list::allow)) return;
  send("REM", {"AL", c->email});
}

}  // namespace passerelle::msn
