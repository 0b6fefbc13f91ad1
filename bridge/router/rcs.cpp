// RCS routing (DESIGN.md §3): an XMPP user writes to a phone on rcs.<domain>; the message
// goes through the carrier platform serving the number, as the bridge's chatbot there,
// and by SMS where no platform serves it, where the phone has no RCS, or where it was not
// delivered in time (the connector revokes it and reports it failed with
// recipient_offline: rescue_rcs). Whichever way it went, the phone's answers come back to
// the user as the same rcs puppet. A phone writing to the chatbot is threaded like an SMS
// to a sender number (router.cpp, on_phone_message).

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "router/internal.hpp"
#include "router/router.hpp"

namespace passerelle {

std::string Router::prefixed(const Address& from, const std::string& body) const {
  if (!cfg_.sms.prefix_sender) return body;
  return "[" + std::string(network_label(from.network)) + "] " + from.id + ": " + body;
}

void Router::on_rcs_gateway_message(InboundMessage& m, std::chrono::steady_clock::time_point t0) {
  if (m.body.empty() && m.attachments.empty())
    return ack_with(m.ack, {});  // nothing to send (a chat state only)
  auto phone = parse_phone_for_sms(m.to.id);
  if (!phone.ok()) {
    refused_.inc();
    return ack_with(m.ack, phone.error());
  }
  const Address puppet{Network::rcs, phone->e164};
  send_to_phone(m, phone->e164, prefixed(m.from, m.body), puppet, t0);
}

void Router::send_to_phone(InboundMessage& m, const std::string& e164, std::string body,
                           const Address& reply_as, std::chrono::steady_clock::time_point t0) {
  const Address puppet{Network::rcs, e164};
  NewMessage nm;
  nm.to = puppet;
  nm.body = std::move(body);
  nm.attachments = m.attachments;
  nm.origin_connector = m.connector;
  nm.origin_id = m.origin_id;
  nm.notify = m.from;
  nm.notify_from = reply_as;
  nm.notify_origin = m.origin_id;
  nm.request_receipt = m.wants_receipt;
  nm.conv_local = m.from;
  nm.conv_remote = puppet;
  if (sms_.opted_out(e164)) {
    refused_.inc();
    return ack_with(m.ack,
                    Error::forbidden(e164 + " has opted out of messages from this bridge (it "
                                            "sent STOP)"));
  }
  auto route = rcs_.enabled() ? rcs_.route(e164) : std::nullopt;
  if (route && connectors_.find(route->connector) != nullptr) {
    nm.from = choose_bot(*route, e164, reply_as, m.from);
    nm.connector = route->connector;
    return commit(std::move(nm), std::move(m.ack), t0);
  }
  // No platform of ours serves this number: SMS now; answers still come back as the puppet.
  nm.to = Address{Network::sms, e164};
  if (auto st = plan_sms(nm, directory_.payer_for(m.from)); !st.ok()) {
    refused_.inc();
    return ack_with(m.ack, st.error());
  }
  nm.from = Address{Network::sms, sms_.choose_sender(e164, reply_as.str(), m.from.str())};
  spdlog::debug("router: no RCS platform serves {}; by SMS", e164);
  commit(std::move(nm), std::move(m.ack), t0);
}

// The chatbot a conversation between `user` and `phone` (as `puppet`) goes through: with a
// pool of chatbots, the one it already uses, else one this phone has no conversation on,
// else the one whose conversation with it is the oldest (the SMS sender-number rule).
Address Router::choose_bot(const RcsRoute& route, const std::string& phone, const Address& puppet,
                           const Address& user) const {
  const auto& bots = rcs_.bots(route);
  if (bots.size() < 2) return route.bot;
  return Address{Network::rcs, sms_.choose_among(bots, phone, puppet.str(), user.str())};
}

// An RCS message the platform could not deliver (no RCS on that number, or not delivered
// in time and revoked): the same text goes by SMS, once (its origin is the delivery).
std::optional<std::string> Router::rescue_rcs(const store::DeliveryRow& d,
                                              const DeliveryReport& r) {
  if (!r.recipient_offline || d.kind != static_cast<int>(MessageKind::chat)) return std::nullopt;
  auto to = parse_address(d.recipient);
  auto notify_to = parse_address(d.notify);
  auto notify_from = parse_address(d.notify_from);
  if (!to.ok() || to->network != Network::rcs || !notify_to.ok() || !notify_from.ok())
    return std::nullopt;
  NewMessage nm;
  nm.to = Address{Network::sms, to->id};
  nm.body = d.body;  // already says who it is from
  nm.attachments = d.attachments;
  nm.origin_connector = "outbox";
  nm.origin_id = d.id;
  nm.notify = *notify_to;
  nm.notify_from = *notify_from;
  nm.notify_origin = d.notify_origin;
  nm.request_receipt = d.request_receipt;
  nm.conv_local = *notify_to;
  nm.conv_remote = *notify_from;
  // The person whose account or address it concerns pays: the sender's, or for an offline
  // fallback the account holder's (notify_from is their account).
  const bool fallback = directory_.is_account(*notify_from) && !directory_.is_gateway(*notify_from);
  const std::string payer =
      fallback ? directory_.payer_for(*notify_from) : directory_.payer_for(*notify_to);
  if (auto st = plan_sms(nm, payer); !st.ok()) {
    spdlog::info("router: {} has no RCS ({}) and cannot be reached by SMS: {}", to->id, r.reason,
                 st.error().message);
    return std::nullopt;
  }
  nm.from =
      Address{Network::sms, sms_.choose_sender(to->id, nm.notify_from.str(), nm.notify.str())};
  spdlog::info("router: RCS message {} to {} not delivered ({}); sent by SMS instead", d.id, to->id,
               r.reason);
  commit(std::move(nm), nullptr, std::chrono::steady_clock::now());
  return "not delivered by RCS (" + r.reason + "); sent by SMS instead";
}

// The platform took a message: the phone's answers to that chatbot now thread to it.
void Router::on_rcs_acked(const store::DeliveryRow& d) {
  auto bot = parse_address(d.sender);
  if (!bot.ok() || !rcs_.is_bot(*bot)) return;
  record_thread(bot->id, d.recipient.substr(4), d);
}

void Router::on_rcs_chat_state(const InboundChatState& c) {
  if (c.from.network == Network::xmpp) {
    // The user types to a phone: through the platform serving it, if it has RCS there.
    auto route = rcs_.route(c.to.id);
    if (!route) return;
    if (Connector* conn = connectors_.find(route->connector))
      conn->send(OutboundChatState{choose_bot(*route, c.to.id, c.to, c.from), c.to, c.state});
    return;
  }
  // The phone types to the chatbot: to the user of its latest conversation there.
  auto thread = sms_.latest_thread(c.to.id, c.from.id);
  if (!thread) return;
  auto local = parse_address(thread->local);
  auto remote = parse_address(thread->remote);
  if (!local.ok() || !remote.ok()) return;
  if (Connector* conn = connectors_.find(connector_for(*local, *remote)))
    conn->send(OutboundChatState{*local, *remote, c.state});
}

void Router::reload_portability(bool at_start) {
  const std::string& path = cfg_.rcs.portability_file;
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path, ec);
  if (ec) {
    spdlog::error("router: rcs.portability_file '{}': {}; {}", path, ec.message(),
                  at_start ? "cannot start" : "keeping the table in use");
    return;
  }
  const auto stamp = static_cast<std::int64_t>(mtime.time_since_epoch().count());
  if (stamp == portability_mtime_) return;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) {
    spdlog::error("router: cannot read rcs.portability_file '{}'", path);
    return;
  }
  auto known = [](const void* ctx, std::string_view kind, std::string_view name) {
    const auto& c = *static_cast<const config::Config*>(ctx);
    if (kind == "platform") {
      for (const auto& p : c.rcs.platforms)
        if (p.name == name) return true;
    } else {
      for (const auto& m : c.sms.smsc)
        if (m.name == name) return true;
    }
    return false;
  };
  auto table = PortabilityTable::parse(text.str(), path, known, &cfg_);
  portability_mtime_ = stamp;  // a broken file is reported once, not every check
  if (!table.ok()) {
    spdlog::error(
        "router: number portability table refused: {}; {}", table.error().message,
        at_start ? "fix it and start again" : "keeping the previous table until the file is fixed");
    return;
  }
  spdlog::info("router: number portability table {}: {} ported numbers",
               at_start ? "loaded" : "reloaded", table->size());
  rcs_.set_portability(std::make_shared<const PortabilityTable>(std::move(*table)));
}

void Router::schedule_portability_check() {
  if (!portability_timer_)
    portability_timer_ = std::make_unique<boost::asio::steady_timer>(strand_);
  portability_timer_->expires_after(std::chrono::seconds(2));
  portability_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: shutting down
    reload_portability(/*at_start=*/false);
    schedule_portability_check();
  });
}

}  // namespace passerelle
