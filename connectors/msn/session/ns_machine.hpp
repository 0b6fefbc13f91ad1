#pragma once
// The notification-server side of one MSN account as a sans-IO state machine: it is fed
// decoded server commands (and the Passport ticket once fetched) and answers with effects
// for the I/O layer (NsSession) to carry out: commands to write, a ticket to fetch, a
// redirect to follow, contact presence to publish, a switchboard granted. No sockets,
// timers or clocks in here, so the whole login and the list and presence handling are
// unit-tested with command vectors.
//
// Login (MSNP8..12, Tweener):
//   >>> VER 1 MSNP12 MSNP11 MSNP10 MSNP9 MSNP8 CVR0     <<< VER 1 MSNP12
//   >>> CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 7.5.0324 msmsgs alice@example.com  <<< CVR 2 ...
//   >>> USR 3 TWN I alice@example.com      <<< USR 3 TWN S <challenge>  | XFR 3 NS host:port ...
//   (ticket over HTTP(S))                  >>> USR 4 TWN S <ticket>     <<< USR 4 OK ...
//   >>> SYN 5 0 [0]                        <<< SYN 5 ..., GTC, BLP, LSG, LST ...
//   >>> CHG 6 NLN 0                        <<< CHG 6 NLN 0, ILN 6 ..., UBX ...   → online
// Threads: none of its own; its owner calls it from one strand.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "msn/codec/command.hpp"
#include "msn/codec/names.hpp"

namespace passerelle::msn {

// Why a notification-server connection ended, which decides what the session does next.
enum class EndKind {
  wrong_password,  // 911 or Passport da-status=failed: stop until registered again or a restart
  account,         // another account error (banned, unverified): stop as well
  elsewhere,       // OUT OTH: signed in from another place; back off long
  shutdown,        // OUT SSD: server going down; reconnect with backoff
  transient,       // anything else: connection lost, protocol error, busy; reconnect
};

struct Contact {
  std::string email;  // lower case
  std::string name;   // friendly name, decoded
  std::string guid;   // MSNP10+ contact id (C=), needed to REM from the forward list
  unsigned lists = 0;
  Status status = Status::offline;
  std::string psm;
};

namespace effect {
struct Send {
  Command cmd;
};
struct FetchTicket {
  std::string challenge;
};
struct Redirect {
  std::string host;
  int port = 0;
};
struct Online {};
struct End {
  EndKind kind = EndKind::transient;
  std::string reason;
};
struct ContactPresence {  // a contact's status or personal message changed
  std::string email;
};
struct ReverseAdd {  // someone added us (RL); at login, an RL contact we never answered
  std::string email;
  std::string name;
};
struct ReverseRemove {
  std::string email;
};
struct SwitchboardGranted {  // XFR trid SB host:port CKI cookie
  std::uint32_t trid = 0;
  std::string host;
  int port = 0;
  std::string cookie;
};
struct Ring {  // RNG session host:port CKI cookie caller name
  std::string session;
  std::string host;
  int port = 0;
  std::string cookie;
  std::string caller;
  std::string name;
};
struct TridError {  // a numeric error answering one of our requests after login
  std::uint32_t trid = 0;
  int code = 0;
};
struct PingInterval {  // QNG: when to send the next PNG
  int seconds = 0;
};
}  // namespace effect

using Effect =
    std::variant<effect::Send, effect::FetchTicket, effect::Redirect, effect::Online, effect::End,
                 effect::ContactPresence, effect::ReverseAdd, effect::ReverseRemove,
                 effect::SwitchboardGranted, effect::Ring, effect::TridError, effect::PingInterval>;

enum class NsPhase {
  idle,
  version,
  cvr,
  usr_initial,
  ticket,
  usr_subsequent,
  sync,
  chg,
  online,
  ended
};

// "MSNP12" → 12; nullopt otherwise.
std::optional<int> parse_version(std::string_view s);
// "127.0.0.1:1863" → host, port.
bool split_host_port(std::string_view s, std::string& host, int& port);

class NsMachine {
 public:
  struct Settings {
    std::string email;  // the account's sign-in, lower case
    int max_version = kMsnp12;
    Status status = Status::online;  // what CHG sends once the list is synced
    std::string psm;                 // personal message (MSNP11+ UUX)
  };
  explicit NsMachine(Settings s);

  // A new connection (first, or after a redirect): VER.
  void start();
  void feed(const Command& cmd);
  // The Passport ticket (the whole from-PP value): USR TWN S.
  void ticket(std::string_view t);

  // After login. Each returns the transaction id used (0 when not online: nothing sent).
  std::uint32_t request_switchboard();
  std::uint32_t ping();
  void set_presence(Status s, std::string psm);
  void add_contact(std::string_view email);     // FL + AL: "subscribe"
  void allow_contact(std::string_view email);   // AL (+FL): accept their request
  void remove_contact(std::string_view email);  // off FL
  void block_contact(std::string_view email);   // off AL

  std::vector<Effect> take() { return std::exchange(out_, {}); }
  NsPhase phase() const { return phase_; }
  int version() const { return version_; }
  const std::map<std::string, Contact>& contacts() const { return contacts_; }
  const Contact* contact(std::string_view email) const;
  const Settings& settings() const { return s_; }

 private:
  std::uint32_t send(std::string verb, std::vector<std::string> args);
  void end(EndKind k, std::string reason);
  void on_error(const Command& cmd);
  void on_lst(const Command& cmd);
  void on_presence(std::string_view status, std::string_view email, std::string_view name);
  void on_list_add(const Command& cmd);
  void on_list_remove(const Command& cmd);
  void send_chg();

  Settings s_;
  NsPhase phase_ = NsPhase::idle;
  int version_ = 0;
  std::uint32_t trid_ = 0;
  std::uint32_t login_trid_ = 0;  // the request the login phase waits for
  std::map<std::string, Contact> contacts_;
  std::vector<Effect> out_;
};

}  // namespace passerelle::msn
