#pragma once
// One XMPP stream kept alive: connect, reconnect with backoff, keep-alive pings
// (XEP-0199) that detect a stream that is up but carries nothing (reported as stalled,
// then reconnected). Used by the component (one Link per subdomain) and the client
// connector (one per account). Runs on the connector's libstrophe thread only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "backoff.hpp"
#include "bus/events.hpp"
#include "strophe_adapter.hpp"
#include "xml.hpp"

namespace passerelle::xmpp {

using Clock = std::chrono::steady_clock;

struct LinkTimings {
  std::chrono::milliseconds handshake_timeout{30000};  // connect + auth must finish by then
  std::chrono::milliseconds ping_idle{60000};          // ping after this long without input
  std::chrono::milliseconds ping_stalled{20000};       // no answer: stalled
  std::chrono::milliseconds ping_dead{45000};          // still none: reconnect
};

class Link {
 public:
  struct Callbacks {
    std::function<void()> on_up;
    std::function<void()> on_down;
    std::function<void(const xml::Element&)> on_stanza;
    // Every state change, with the reason in words (no secrets).
    std::function<void(LinkState, const std::string& reason)> on_state;
  };

  // `ping_to` is the server's domain; `label` names the link in logs ("sms.example.org").
  Link(strophe::Context& ctx, strophe::ConnectParams params, std::string ping_to, std::string label,
       Backoff backoff, Callbacks cb, LinkTimings timings = {});
  ~Link();

  // Connects when due, replaces a connection that went down, pings, times out.
  void tick(Clock::time_point now);
  // When tick() next has something to do (a reconnect, a ping, a timeout);
  // Clock::time_point::max() when nothing is scheduled.
  Clock::time_point next_deadline() const;
  void send(const xml::Element& stanza);
  bool up() const { return state_ == LinkState::up || state_ == LinkState::stalled; }
  // Graceful close without reconnect; closed() turns true once the stream is gone.
  void close();
  bool closed() const;
  LinkState state() const { return state_; }
  const std::string& reason() const { return reason_; }
  std::uint64_t reconnects() const { return reconnects_; }
  std::size_t send_queue_len() const;
  const std::string& label() const { return label_; }

 private:
  void set_state(LinkState s, std::string reason);
  void went_down(std::string reason);
  std::string explain(const std::string& raw) const;

  strophe::Context& ctx_;
  strophe::ConnectParams params_;
  std::string ping_to_;
  std::string label_;
  Backoff backoff_;
  Callbacks cb_;
  LinkTimings timings_;

  std::unique_ptr<strophe::Connection> conn_;
  bool dead_ = false;      // conn_ went down inside its own handler; replaced on tick
  bool closing_ = false;   // close() asked: no reconnect
  bool dropping_ = false;  // we asked conn_ to close (timeout, dead keep-alive); on_down follows
  LinkState state_ = LinkState::connecting;
  std::string reason_;
  Clock::time_point next_attempt_{};
  Clock::time_point attempt_started_{};
  Clock::time_point last_input_{};
  Clock::time_point ping_sent_{};
  std::string ping_id_;
  std::uint64_t ping_seq_ = 0;
  std::uint64_t reconnects_ = 0;
  bool ever_up_ = false;
};

}  // namespace passerelle::xmpp
