#pragma once
// One SMPP connection to an SMSC (SMPP 3.4 §2.2): connect, bind, keep-alive with
// enquire_link both ways, request/response matching with timeouts, unbind, reconnect with
// capped exponential backoff and jitter. What the PDUs mean (submit_sm results, deliver_sm)
// is the owner's business (LinkOwner).
//
// Threads: every member runs on the strand given at construction; callers post there.

#include <spdlog/logger.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "bus/events.hpp"
#include "config/config.hpp"
#include "smpp/codec/decoder.hpp"

namespace passerelle::smpp {

namespace asio = boost::asio;
using Strand = asio::strand<asio::io_context::executor_type>;
using Clock = std::chrono::steady_clock;

enum class BindRole { transceiver, transmitter, receiver };

// One TCP connection. Shared by the coroutines that serve it so that none outlives it.
struct Conn {
  explicit Conn(const Strand& s) : socket(s), closed_timer(s), tick_timer(s) {}
  asio::ip::tcp::socket socket;
  PduDecoder decoder;
  std::deque<std::vector<std::uint8_t>> out;
  bool writing = false;
  bool closed = false;
  std::string close_reason;
  asio::steady_timer closed_timer;  // waited on by the link; cancelled by close
  // Sleeps until the next enquire_link or response deadline, whichever is first;
  // cancelled (to recompute) by an earlier deadline or by close.
  asio::steady_timer tick_timer;
  std::uint32_t next_seq = 1;
  // A request without its response: `done` gets the response, or nullptr on timeout or
  // when the connection closes first.
  struct Pending {
    std::uint32_t command_id;
    Clock::time_point deadline;
    std::function<void(const Pdu*)> done;
  };
  std::map<std::uint32_t, Pending> pending;
  Clock::time_point last_rx;
  int missed_enquire = 0;  // consecutive enquire_link without an answer
};

class Link;

// What a Link tells its owner, always on the link's strand.
class LinkOwner {
 public:
  virtual ~LinkOwner() = default;
  virtual void on_link_state(Link& link, LinkState s, const std::string& reason) = 0;
  virtual void on_link_up(Link& link) = 0;
  // A deliver_sm or data_sm from the SMSC; the owner answers with link.respond(conn, ...).
  virtual void on_request(Link& link, const std::shared_ptr<Conn>& conn, Pdu pdu) = 0;
  // Called after every response or timeout so the owner can send more.
  virtual void on_window_change() = 0;
};

class Link {
 public:
  Link(Strand strand, const config::Smsc& cfg, BindRole role, LinkOwner& owner,
       std::shared_ptr<spdlog::logger> log);

  void start();
  // Unbinds (waiting at most response_timeout_s for unbind_resp), closes, stops
  // reconnecting, then calls `done`.
  void stop(std::function<void()> done);

  bool bound() const { return conn_ && !conn_->closed && bound_; }
  bool can_submit() const { return bound() && role_ != BindRole::receiver; }
  BindRole role() const { return role_; }
  LinkState state() const { return state_; }
  std::uint64_t reconnects() const { return reconnects_; }
  // Outstanding requests other than enquire_link.
  std::size_t outstanding() const;

  // Sends a request on the current connection; false when not bound.
  bool request(Pdu pdu, std::function<void(const Pdu*)> done);
  // Answers a request received on `conn`; dropped if that connection is gone.
  void respond(const std::shared_ptr<Conn>& conn, const Pdu& pdu);
  void close(const std::string& reason);

 private:
  asio::awaitable<void> run();
  asio::awaitable<void> read_loop(std::shared_ptr<Conn> c);
  asio::awaitable<void> write_loop(std::shared_ptr<Conn> c);
  asio::awaitable<void> tick_loop(std::shared_ptr<Conn> c);
  asio::awaitable<bool> bind(std::shared_ptr<Conn> c, std::string& reason);
  asio::awaitable<void> unbind(std::shared_ptr<Conn> c);
  void write(const std::shared_ptr<Conn>& c, const Pdu& pdu);
  void send_request(const std::shared_ptr<Conn>& c, Pdu pdu, std::function<void(const Pdu*)> done);
  void handle(const std::shared_ptr<Conn>& c, Pdu pdu);
  void close_conn(const std::shared_ptr<Conn>& c, const std::string& reason);
  void set_state(LinkState s, const std::string& reason);
  const char* role_name() const;

  Strand strand_;
  const config::Smsc& cfg_;
  BindRole role_;
  LinkOwner& owner_;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<Conn> conn_;
  bool bound_ = false;
  bool stopping_ = false;
  bool stalled_ = false;
  LinkState state_ = LinkState::disabled;
  std::uint64_t reconnects_ = 0;
  asio::steady_timer backoff_timer_;
  std::function<void()> stopped_;
};

}  // namespace passerelle::smpp
