#include "link.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "stanza.hpp"

namespace passerelle::xmpp {

Link::Link(strophe::Context& ctx, strophe::ConnectParams params, std::string ping_to,
           std::string label, Backoff backoff, Callbacks cb, LinkTimings timings)
    : ctx_(ctx),
      params_(std::move(params)),
      ping_to_(std::move(ping_to)),
      label_(std::move(label)),
      backoff_(std::move(backoff)),
      cb_(std::move(cb)),
      timings_(timings) {}

Link::~Link() = default;

void Link::set_state(LinkState s, std::string reason) {
  if (s == state_ && reason == reason_) return;
  state_ = s;
  reason_ = std::move(reason);
  if (cb_.on_state) cb_.on_state(state_, reason_);
}

// Turns libstrophe's words into what an operator should do.
std::string Link::explain(const std::string& raw) const {
  const bool component = params_.component;
  const std::string where =
      params_.host.empty() ? label_ : params_.host + ":" + std::to_string(params_.port);
  if (raw.find("not-authorized") != std::string::npos)
    return component ? "handshake refused: not-authorized — check xmpp.secret"
                     : "login refused: not-authorized — check the password of " + label_;
  if (raw.find("conflict") != std::string::npos)
    return component ? "stream conflict: another component is already connected as " + label_
                     : "stream conflict: resource replaced by another login of " + label_;
  if (raw.find("host-unknown") != std::string::npos)
    return component ? "host-unknown: the server has no component " + label_ + " configured"
                     : "host-unknown: the server does not serve the domain of " + label_;
  if (raw.find("Connection refused") != std::string::npos) return "connection refused by " + where;
  if (raw.find("auth") != std::string::npos || raw.find("SASL") != std::string::npos)
    return "login refused (" + raw + ") — check the password of " + label_;
  return raw + " (" + where + ")";
}

void Link::went_down(std::string raw) {
  const bool was_up = up();
  dead_ = true;
  ping_id_.clear();
  const auto delay = backoff_.next();
  next_attempt_ = Clock::now() + delay;
  std::string why = explain(raw);
  if (closing_) {
    set_state(LinkState::disabled, "closed");
  } else {
    spdlog::warn("[xmpp] {} down: {}; retrying in {} ms", label_, why, delay.count());
    set_state(LinkState::backing_off,
              why + "; retrying in " + std::to_string((delay.count() + 999) / 1000) + " s");
  }
  if (was_up && cb_.on_down) cb_.on_down();
}

void Link::tick(Clock::time_point now) {
  if (dead_) {
    conn_.reset();  // safe here: we are outside its handlers
    dead_ = false;
  }
  if (closing_) return;

  if (!conn_) {
    if (now < next_attempt_) return;
    strophe::Connection::Handlers h;
    h.on_up = [this] {
      backoff_.reset();
      last_input_ = Clock::now();
      if (ever_up_) ++reconnects_;
      ever_up_ = true;
      spdlog::info("[xmpp] {} up", label_);
      set_state(LinkState::up, params_.component ? "component handshake accepted" : "logged in");
      if (cb_.on_up) cb_.on_up();
    };
    h.on_down = [this](std::string reason) { went_down(std::move(reason)); };
    h.on_stanza = [this](const xml::Element& e) {
      last_input_ = Clock::now();
      if (state_ == LinkState::stalled) set_state(LinkState::up, "answering again");
      if (e.name == "iq" && !ping_id_.empty() && e.attr_or("id") == ping_id_) {
        ping_id_.clear();  // our keep-alive: a result or an error both prove the stream lives
        return;
      }
      if (cb_.on_stanza) cb_.on_stanza(e);
    };
    conn_ = std::make_unique<strophe::Connection>(ctx_, std::move(h));
    dropping_ = false;
    attempt_started_ = now;
    set_state(LinkState::connecting, "connecting to " +
                                         (params_.host.empty() ? label_ : params_.host) + ":" +
                                         std::to_string(params_.port));
    if (auto st = conn_->connect(params_); !st) {
      conn_.reset();
      dead_ = false;
      const auto delay = backoff_.next();
      next_attempt_ = now + delay;
      set_state(LinkState::backing_off, explain(st.error().message) + "; retrying in " +
                                            std::to_string((delay.count() + 999) / 1000) + " s");
    }
    return;
  }

  if (dropping_) return;  // on_down follows (libstrophe forces the close after 2 s)

  if (!up()) {
    if (now - attempt_started_ >= timings_.handshake_timeout && !conn_->closed()) {
      spdlog::warn("[xmpp] {}: no session after {} ms, dropping the attempt", label_,
                   timings_.handshake_timeout.count());
      dropping_ = true;
      conn_->disconnect();  // on_down follows
    }
    return;
  }

  // Keep-alive: XEP-0199 ping to the server when the stream has been quiet.
  if (ping_id_.empty()) {
    if (now - last_input_ >= timings_.ping_idle) {
      ping_id_ = "ka-" + std::to_string(++ping_seq_);
      xml::Element iq("iq");
      iq.set("type", "get").set("id", ping_id_).set("to", ping_to_);
      if (params_.component) iq.set("from", params_.jid);
      iq.add(xml::Element("ping", ns::ping));
      conn_->send(iq);
      ping_sent_ = now;
    }
  } else if (now - ping_sent_ >= timings_.ping_dead) {
    spdlog::warn("[xmpp] {}: no answer to keep-alive, reconnecting", label_);
    dropping_ = true;
    conn_->disconnect();
  } else if (now - ping_sent_ >= timings_.ping_stalled && state_ == LinkState::up) {
    set_state(LinkState::stalled, "no answer to keep-alive ping for " +
                                      std::to_string(timings_.ping_stalled.count() / 1000) + " s");
  }
}

Clock::time_point Link::next_deadline() const {
  constexpr auto never = Clock::time_point::max();
  if (closing_) return never;
  if (!conn_ || dead_) return next_attempt_;       // tick() replaces the connection then
  if (dropping_ || conn_->closed()) return never;  // on_down comes from libstrophe's turn
  if (!up()) return attempt_started_ + timings_.handshake_timeout;
  if (ping_id_.empty()) return last_input_ + timings_.ping_idle;
  auto due = ping_sent_ + timings_.ping_dead;
  if (state_ == LinkState::up) due = std::min(due, ping_sent_ + timings_.ping_stalled);
  return due;
}

void Link::send(const xml::Element& stanza) {
  if (conn_ && up()) conn_->send(stanza);
}

void Link::close() {
  closing_ = true;
  if (conn_ && !conn_->closed())
    conn_->disconnect();
  else
    set_state(LinkState::disabled, "closed");
}

bool Link::closed() const {
  return !conn_ || conn_->closed();
}

std::size_t Link::send_queue_len() const {
  return conn_ ? conn_->send_queue_len() : 0;
}

}  // namespace passerelle::xmpp
