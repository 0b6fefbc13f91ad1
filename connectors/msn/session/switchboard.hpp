#pragma once
// One switchboard session (MSNP8+ SB): a chat with one contact on its own TCP connection.
//
//   outgoing:  >>> USR 1 alice@example.com <cookie from XFR>   <<< USR 1 OK alice@... Alice
//              >>> CAL 2 bob@example.com                       <<< CAL 2 RINGING <session>
//                                                              <<< JOI bob@example.com Bob
//              (217 instead of RINGING: bob is offline or invisible)
//   incoming:  >>> ANS 1 alice@example.com <cookie> <session>  <<< IRO 1 1 1 bob@... Bob
//                                                              <<< ANS 1 OK
//   chat:      >>> MSG 3 A <len>\r\n<text/plain>               <<< ACK 3 | NAK 3
//              <<< MSG bob@example.com Bob <len>\r\n<mime>     (text, typing, nudge)
//              <<< BYE bob@example.com [1]                     (bob left; "1": idle)
//
// The owner (NsSession) decides what is sent and keeps the delivery bookkeeping; this class
// only speaks the protocol and reports. Threads: the strand given at construction.

#include <spdlog/logger.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "msn/codec/command.hpp"
#include "msn/codec/mime.hpp"
#include "msn/session/conn.hpp"

namespace passerelle::msn {

class Switchboard;

// Why a switchboard ended.
enum class SbEnd {
  offline,  // CAL answered 217: the contact is offline or invisible
  refused,  // another error before the contact joined
  left,     // the contact left (BYE)
  idle,     // closed for lack of use, by us or by the server
  lost,     // connection lost or protocol error
  stopped,  // the bridge is stopping
};

class SwitchboardOwner {
 public:
  virtual ~SwitchboardOwner() = default;
  virtual void on_sb_joined(Switchboard& sb) = 0;
  virtual void on_sb_message(Switchboard& sb, const std::string& from, MimeMessage m) = 0;
  virtual void on_sb_ack(Switchboard& sb, std::uint32_t trid, bool ok) = 0;
  // Exactly once per switchboard that was started.
  virtual void on_sb_closed(Switchboard& sb, SbEnd end, const std::string& reason) = 0;
};

class Switchboard : public std::enable_shared_from_this<Switchboard> {
 public:
  struct Params {
    std::string account;  // our sign-in
    std::string contact;  // the other side (lower case)
    std::string host;
    int port = 0;
    std::string cookie;
    std::string session;  // incoming only (RNG)
    bool incoming = false;
    int version = kMsnp12;
    std::chrono::seconds idle{300};
  };

  Switchboard(const Strand& strand, SwitchboardOwner& owner, std::shared_ptr<spdlog::logger> log,
              Params p);

  void start();
  // Writes one MSG; returns its transaction id (0 when not joined).
  std::uint32_t send_msg(AckMode mode, std::string mime);
  // Says OUT and closes; on_sb_closed follows with `end`.
  void close(SbEnd end, const std::string& reason);
  // Closes the connection at once (no OUT); on_sb_closed follows.
  void abort(const std::string& reason) { conn_->close(reason); }

  bool joined() const { return joined_; }
  bool ended() const { return ended_; }
  bool was_joined() const { return was_joined_; }
  const std::string& contact() const { return p_.contact; }

 private:
  asio::awaitable<void> run();
  asio::awaitable<void> idle_loop();
  void handle(const Command& cmd);
  void finish(SbEnd end, const std::string& reason);

  Strand strand_;
  SwitchboardOwner& owner_;
  std::shared_ptr<spdlog::logger> log_;
  Params p_;
  std::shared_ptr<MsnpConn> conn_;
  std::uint32_t trid_ = 0;
  std::uint32_t cal_trid_ = 0;
  bool joined_ = false;
  bool was_joined_ = false;
  bool ended_ = false;
  SbEnd end_ = SbEnd::lost;
  std::string end_reason_;
  Clock::time_point last_use_ = Clock::now();
  asio::steady_timer idle_timer_;
};

}  // namespace passerelle::msn
