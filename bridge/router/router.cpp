#include "router/router.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "core/overloaded.hpp"
#include "core/ulid.hpp"
#include "model/attachment_text.hpp"
#include "router/internal.hpp"
#include "router/keywords.hpp"

namespace passerelle {
namespace {

OutboxOptions outbox_options(const config::DeliverySection& d) {
  OutboxOptions o;
  o.retry_initial_ms = d.retry_initial_ms;
  o.retry_max_ms = d.retry_max_ms;
  o.max_attempts = d.max_attempts;
  o.expire_after_ms = static_cast<std::int64_t>(d.expire_after_s) * 1000;
  o.resend_unknown = d.on_unknown == "resend";
  return o;
}

}  // namespace

Router::Router(boost::asio::any_io_executor strand, const config::Config& cfg, store::Store& store,
               const ConnectorRegistry& connectors, Metrics& metrics, SegmentCounter count_segments)
    : strand_(strand),
      cfg_(cfg),
      store_(store),
      connectors_(connectors),
      metrics_(metrics),
      count_segments_(std::move(count_segments)),
      phones_(cfg.bridge.default_country),
      directory_(cfg),
      sms_(cfg.sms),
      rcs_(cfg.rcs),
      writes_(store),
      outbox_(strand, store, writes_, connectors, metrics, outbox_options(cfg.delivery),
              OutboxHooks{[this](const store::DeliveryRow& d) { on_acked(d); },
                          [this](const store::DeliveryRow& d) { on_delivered(d); },
                          [this](const store::DeliveryRow& d) { on_failed(d); },
                          [this](const store::DeliveryRow& d) { on_unknown(d); },
                          [this](const store::DeliveryRow& d) { on_refunded(d); },
                          [this](const store::DeliveryRow& d) { return refuse(d); },
                          [this](const store::DeliveryRow& d, const DeliveryReport& r) {
                            return rescue(d, r);
                          }}),
      routing_seconds_(metrics.histogram(
          "passerelle_routing_seconds", "Time from a message's arrival to its commit and hand-off",
          {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1})),
      refused_(metrics.counter("passerelle_messages_refused_total",
                               "Messages refused by policy or validation")) {
  for (Network n : kAllNetworks) {
    messages_in_[static_cast<size_t>(n)] =
        &metrics.counter("passerelle_messages_in_total", "Messages received, by network",
                         {{"network", std::string(network_name(n))}});
    duplicates_[static_cast<size_t>(n)] = &metrics.counter(
        "passerelle_messages_duplicate_total",
        "Messages a network sent again (same network id within the hour): acknowledged, "
        "not delivered twice (also counted in passerelle_messages_in_total)",
        {{"network", std::string(network_name(n))}});
  }
}

Status Router::load() {
  const auto now = now_ms();
  sms_.set_month(month_of(now));
  // Configured people are written to the store (the configuration wins over what a
  // previous run stored for the same name); registered ones come from the store.
  std::vector<store::PersonRow> rows;
  std::vector<store::LinkedAccountRow> registered;
  for (const auto& p : cfg_.people) {
    store::PersonRow r{p.name, p.phone, p.sms_fallback, p.monthly_cap, "config", p.addresses};
    rows.push_back(std::move(r));
  }
  auto st = store_.run_sync([&](store::Db& db) -> Status {
    for (const auto& r : rows)
      if (auto s = store::upsert_person(db, r, now); !s.ok()) return s;
    if (auto s =
            store::load_people(db, [&](store::PersonRow r) { directory_.put(person_from_row(r)); });
        !s.ok())
      return s;
    if (auto s =
            store::load_threads(db, [&](store::ThreadRow t) { sms_.load_thread(std::move(t)); });
        !s.ok())
      return s;
    if (auto s = store::load_optouts(db, [&](std::string p) { sms_.set_opted_out(p, true); });
        !s.ok())
      return s;
    if (auto s = store::load_conversations(db,
                                           [&](std::string id, std::string l, std::string r) {
                                             conversations_[l + '\n' + r] = {id, true};
                                           });
        !s.ok())
      return s;
    if (auto s = store::load_linked_accounts(
            db, [&](store::LinkedAccountRow r) { registered.push_back(std::move(r)); });
        !s.ok())
      return s;
    // What the networks brought within the duplicate window is known again, so that a
    // network sending it a second time after a restart does not get it delivered twice.
    if (auto s = store::load_recent_origins(
            db, now - kDedupeWindowMs,
            [&](store::RecentOrigin o) {
              remember_origin(o.connector + '\n' + o.from + '\n' + o.origin_id, o.created_ms);
            });
        !s.ok())
      return s;
    return store::load_spend(db, sms_.month(),
                             [&](std::string payer, std::int64_t t) { sms_.add_spend(payer, t); });
  });
  if (!st.ok()) return st;
  for (const auto& a : cfg_.xmpp.accounts)
    if (auto addr = make_address(Network::xmpp, a.jid); addr.ok())
      directory_.add_account(*addr, "xmpp-client", a.person);
  load_linked_accounts();
  if (!cfg_.rcs.portability_file.empty()) {
    reload_portability(/*at_start=*/true);
    if (!rcs_.portability())
      return Error::invalid("rcs.portability_file: the table cannot be used (see the log above)");
    schedule_portability_check();
  }
  load_registered_accounts(std::move(registered));
  const auto warm = phones_.warm_up();
  spdlog::info("router: {} people, {} SMS threads; phone numbers of {} ready in {} ms",
               directory_.size(), sms_.thread_count(), phones_.default_region(),
               warm.count() / 1000);
  return outbox_.recover();
}

void Router::handle(InboundEvent event) {
  std::visit(overloaded{
                 [this](InboundMessage& m) { on_message(m); },
                 // SMS carries no typing; between XMPP users their own server relays it.
                 [this](InboundChatState& c) { on_chat_state(c); },
                 [this](InboundPresence& p) {
                   on_presence(p);
                   on_linked_presence(p);
                 },
                 [this](InboundSubscription& s) { on_subscription(s); },
                 [this](DeliveryReport& r) { outbox_.on_report(std::move(r)); },
                 [this](AccountStateEvent& a) { on_account_state(a); },
                 [this](Registration& r) { on_registration(r); },
             },
             event);
}

void Router::on_message(InboundMessage& m) {
  messages_in_[static_cast<size_t>(m.from.network)]->inc();
  if (seen_recently(m)) {
    duplicates_[static_cast<size_t>(m.from.network)]->inc();
    spdlog::debug("router: {} sent message {} again; acknowledged, not delivered twice",
                  m.from.str(), m.origin_id);
    return ack_with(m.ack, {});
  }
  if (m.from.network == Network::sms ||
      (m.from.network == Network::rcs && m.to.network == Network::rcs))
    return on_phone_message(m);
  if (directory_.is_gateway(m.to)) return on_account_gateway_message(m);
  if (directory_.is_account(m.to)) return on_account_message(m);
  if (m.from.network == Network::xmpp && m.to.network != Network::xmpp)
    return on_gateway_message(m);
  refused_.inc();
  ack_with(m.ack, Error::missing("passerelle does not route messages to " + m.to.str()));
}

// An XMPP user writes to a puppet: "+33611111111@sms.<domain>".
void Router::on_gateway_message(InboundMessage& m) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!directory_.allowed(m.from)) {
    refused_.inc();
    spdlog::warn("router: {} is not allowed to use the bridge", m.from.str());
    return ack_with(m.ack, Error::forbidden("you are not allowed to use this bridge"));
  }
  if (m.to.network == Network::aim || m.to.network == Network::icq || m.to.network == Network::msn)
    return on_puppet_message(m);
  if (m.to.network == Network::rcs && rcs_.enabled()) return on_rcs_gateway_message(m, t0);
  if (m.to.network != Network::sms) {
    refused_.inc();
    return ack_with(
        m.ack, Error::missing(std::string(network_label(m.to.network)) + " is not available here"));
  }
  if (m.body.empty() && m.attachments.empty())
    return ack_with(m.ack, {});  // nothing to send (e.g. a chat state only)
  auto phone = parse_phone_for_sms(m.to.id);
  if (!phone.ok()) {
    refused_.inc();
    return ack_with(m.ack, phone.error());
  }
  NewMessage nm;
  nm.to = Address{Network::sms, phone->e164};
  nm.body = prefixed(m.from, m.body);
  nm.attachments = m.attachments;
  nm.origin_connector = m.connector;
  nm.origin_id = m.origin_id;
  nm.notify = m.from;
  nm.notify_from = nm.to;
  nm.notify_origin = m.origin_id;
  nm.request_receipt = m.wants_receipt;
  nm.conv_local = m.from;
  nm.conv_remote = nm.to;
  if (auto st = plan_sms(nm, directory_.payer_for(m.from)); !st.ok()) {
    refused_.inc();
    return ack_with(m.ack, st.error());
  }
  // The phone's replies on this sender number will come back as the puppet, to the
  // user, once the SMSC has taken the message (on_acked).
  nm.from = Address{Network::sms, sms_.choose_sender(phone->e164, nm.to.str(), m.from.str())};
  commit(std::move(nm), std::move(m.ack), t0);
}

// A message to a linked account. On AIM, ICQ or MSN it goes to the person's XMPP client
// (linked.cpp). In XMPP client mode the person's own server already delivered it to their
// clients: SMS to their phone only while none of them is online.
void Router::on_account_message(InboundMessage& m) {
  const auto t0 = std::chrono::steady_clock::now();
  const Person* p = directory_.person_of(m.to);
  if (p && m.to.network != Network::xmpp) return on_linked_message(m, *p);
  if (!p || (m.body.empty() && m.attachments.empty()) || directory_.clients_online(m.to) ||
      !p->sms_fallback || p->phone.empty())
    return ack_with(m.ack, {});
  if (sms_.opted_out(p->phone)) {
    spdlog::info("router: {} is offline but their phone opted out of SMS", p->name);
    return ack_with(m.ack, {});
  }
  on_account_sms(m, *p, t0);
}

// The person is offline everywhere: the message to their account goes to their phone,
// prefixed with the network and sender; the answer goes back out through the account.
void Router::on_account_sms(InboundMessage& m, const Person& person,
                            std::chrono::steady_clock::time_point t0) {
  const Person* p = &person;
  NewMessage nm;
  nm.to = Address{Network::sms, p->phone};
  nm.body = "[" + std::string(network_label(m.from.network)) + "] " + m.from.id + ": " + m.body;
  nm.attachments = m.attachments;
  nm.origin_connector = m.connector;
  nm.origin_id = m.origin_id;
  nm.notify = m.from;
  nm.notify_from = m.to;
  nm.notify_origin = m.origin_id;
  nm.request_receipt = m.wants_receipt;
  nm.conv_local = m.to;
  nm.conv_remote = m.from;
  // Where the phone's carrier has a platform here: by RCS, as the bridge's chatbot (SMS
  // instead if the phone has no RCS or does not get it in time: rescue_rcs).
  if (rcs_.enabled())
    if (auto route = rcs_.route(p->phone); route && connectors_.find(route->connector)) {
      nm.to = Address{Network::rcs, p->phone};
      nm.from = choose_bot(*route, p->phone, m.to, m.from);
      nm.connector = route->connector;
      return commit(std::move(nm), std::move(m.ack), t0);
    }
  if (auto st = plan_sms(nm, p->name); !st.ok()) {
    // The message is with the bridge's resource only; say so in the log and let the
    // sender know it did not reach the phone.
    spdlog::warn("router: offline fallback for {} refused: {}", p->name, st.error().message);
    notify(OutboundError{m.to, m.from, m.origin_id, st.error()}, m.to, m.from);
    return ack_with(m.ack, {});
  }
  nm.from = Address{Network::sms, sms_.choose_sender(p->phone, m.to.str(), m.from.str())};
  commit(std::move(nm), std::move(m.ack), t0);
}

// A phone writes to one of the sender numbers, or to the bridge's chatbot on its carrier's
// RCS platform: the same threading either way, keyed by the number or the chatbot.
void Router::on_phone_message(InboundMessage& m) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string phone = m.from.id;
  const std::string sender = m.to.id;
  const Address sender_address = m.to;
  if (m.from.network == Network::rcs ? !rcs_.is_bot(m.to) : !sms_.is_sender_number(sender)) {
    spdlog::warn("router: message from {} to {}, which is not {}; dropped", m.from.str(),
                 m.to.str(),
                 m.from.network == Network::rcs ? "a configured [[rcs.platform]] chatbot"
                                                : "one of sms.sender_numbers");
    return ack_with(m.ack, {});
  }
  const SmsCommand command = parse_sms_command(m.body);
  switch (command) {
    case SmsCommand::stop:
    case SmsCommand::start: {
      const bool stop = command == SmsCommand::stop;
      sms_.set_opted_out(phone, stop);
      store_.submit(
          [phone, stop](store::Db& db) { return store::set_optout(db, phone, stop, now_ms()); },
          [this, ack = m.ack, phone, sender_address, stop](Status st) {
            ack_with(ack, st);
            if (st.ok())
              boost::asio::post(strand_, [this, phone, sender_address, stop] {
                send_notice(sender_address, phone,
                            stop ? "passerelle: you will receive no more SMS from this service. "
                                   "Reply START to resume."
                                 : "passerelle: SMS resumed. Reply STOP to stop.");
              });
          });
      spdlog::info("router: {} sent {}", phone, stop ? "STOP" : "START");
      return;
    }
    case SmsCommand::help:
      ack_with(m.ack, {});
      last_help_ms_.erase(phone);  // asked for: always answered
      if (may_send_help(phone)) send_notice(sender_address, phone, cfg_.sms.help_text);
      return;
    case SmsCommand::none:
      break;
  }
  std::optional<store::ThreadRow> thread;
  std::string body = m.body;
  if (auto addressed = parse_addressed(m.body)) {
    auto target = parse_address(addressed->target);
    if (target.ok()) target = as_phone_puppet(*target);
    if (target.ok()) thread = sms_.thread_with(phone, target->str(), rcs_.all_bots());
    if (!thread && target.ok() && may_start_with_phone(m, *target))
      return start_phone_conversation(m, *target, addressed->text, t0);
    if (!thread) {
      ack_with(m.ack, {});
      if (may_send_help(phone))
        send_notice(sender_address, phone,
                    "passerelle: " + addressed->target + " has not written to you here. " +
                        cfg_.sms.help_text);
      return;
    }
    body = addressed->text;
  } else {
    thread = sms_.latest_thread(sender, phone);
  }
  if (!thread) {
    ack_with(m.ack, {});
    const bool help = may_send_help(phone);
    spdlog::info("router: SMS from {} to {} matches no conversation; {}", phone, sender,
                 help ? "help sent" : "help already sent within the hour");
    if (help) send_notice(sender_address, phone, cfg_.sms.help_text);
    return;
  }
  auto local = parse_address(thread->local);
  auto remote = parse_address(thread->remote);
  if (!local.ok() || !remote.ok())
    return ack_with(m.ack, Error{Errc::internal, "bad thread", false, 0});
  NewMessage nm;
  nm.from = *local;
  nm.to = *remote;
  nm.body = body;
  nm.attachments = m.attachments;
  nm.origin_connector = m.connector;
  nm.origin_id = m.origin_id;
  nm.notify = m.from;
  nm.notify_from = sender_address;
  nm.conv_local = *remote;
  nm.conv_remote = *local;
  if (directory_.is_account(*local)) {  // a linked account answers: the conversation is its
    nm.conv_local = *local;
    nm.conv_remote = *remote;
  }
  if (directory_.is_gateway(*local)) {  // through a gateway account: say which phone wrote
    const Address puppet{Network::rcs, phone};
    nm.body = phone + ": " + body;
    nm.conv_local = *remote;
    nm.conv_remote = puppet;
    // The contact's next message without a number goes back to this phone.
    keep_thread(local->str(), remote->str(), remote->str(), puppet.str(), {});
  }
  if (is_phone(*remote)) {  // a conversation between two phones
    keep_thread(sender, phone, thread->local, thread->remote, thread->conversation_id);
    return to_phone(m, *remote, body, t0);
  }
  nm.connector = connector_for(nm.from, nm.to);
  if (nm.connector.empty())
    return ack_with(m.ack, Error::missing("no connector can deliver to " + nm.to.str()));
  // Keep this thread the latest on its sender number.
  nm.thread = store::ThreadRow{sender, phone, thread->local, thread->remote, {}, 0};
  commit(std::move(nm), std::move(m.ack), t0);
}

Status Router::plan_sms(NewMessage& nm, const std::string& payer) {
  const std::string& phone = nm.to.id;
  if (sms_.opted_out(phone))
    return Error::forbidden(phone + " has opted out of SMS from this bridge (it sent STOP)");
  auto route = sms_route(phone);
  if (!route.ok()) return route.error();
  nm.route = *route;
  nm.connector = route->connector;
  fold_attachments(nm);
  nm.segments = count_segments_(nm.body);
  if (nm.segments < 1)
    return Error::invalid(
        "this message cannot be sent by SMS: it is longer than 255 segments or not valid UTF-8");
  nm.payer = payer;
  sms_.set_month(month_of(now_ms()));
  const auto cost = route->price_per_segment * nm.segments;
  const auto cap = directory_.cap_for(payer);
  if (cap > 0 && sms_.spent(payer) + cost > cap)
    return Error::limit("monthly SMS spending cap reached (" + std::to_string(sms_.spent(payer)) +
                        " of " + std::to_string(cap) + " spent, this message costs " +
                        std::to_string(cost) + "); nothing was sent");
  return {};
}

// SMS, AIM, ICQ and MSN carry text only: a file goes as a line with its name, size and link.
void Router::fold_attachments(NewMessage& nm) {
  if (nm.attachments.empty()) return;
  nm.body = with_attachment_lines(std::move(nm.body), nm.attachments);
  nm.attachments.clear();
}

void Router::commit(NewMessage nm, AckFn ack, std::chrono::steady_clock::time_point t0) {
  const auto now = now_ms();
  if (nm.to.network != Network::xmpp && nm.to.network != Network::rcs) fold_attachments(nm);
  // One record shared by the store job and its completion: built once, moved, not copied.
  struct Commit {
    store::MessageRow msg;
    store::DeliveryRow d;
    std::optional<store::ThreadRow> thread;
    SmsRoute route;
    std::string month, local, remote, origin_key;
    bool charged = false;
    bool duplicate = false;  // written by the job, read after its commit
    bool store_conversation = true;
    AckFn ack;
  };
  auto c = std::make_shared<Commit>();
  Conversation& conversation_ref = conversation(nm.conv_local, nm.conv_remote);
  const std::string conv = conversation_ref.id;
  c->store_conversation = !conversation_ref.stored;
  auto& d = c->d;
  d.id = new_ulid();
  d.connector = std::move(nm.connector);
  d.sender = nm.from.str();
  d.recipient = nm.to.str();
  d.kind = static_cast<int>(nm.kind);
  d.request_receipt = nm.request_receipt;
  d.notify = nm.notify.id.empty() ? std::string() : nm.notify.str();
  d.notify_from = nm.notify_from.id.empty() ? std::string() : nm.notify_from.str();
  d.notify_origin = nm.notify_origin;
  d.payer = std::move(nm.payer);
  d.state = DeliveryState::sent;  // handed to its connector as soon as this commits
  d.attempts = 1;
  d.segments = nm.segments;
  d.created_ms = d.updated_ms = now;
  c->origin_key = nm.origin_connector + '\n' + nm.notify.str() + '\n' + nm.origin_id;
  c->msg = store::MessageRow{new_ulid(),
                             conv,
                             d.sender,
                             d.recipient,
                             std::move(nm.body),
                             std::move(nm.origin_connector),
                             std::move(nm.origin_id),
                             now,
                             std::move(nm.attachments)};
  d.message_id = c->msg.id;
  d.body = c->msg.body;
  d.attachments = c->msg.attachments;
  if (nm.thread)
    c->thread = sms_.touch_thread(nm.thread->sender_number, nm.thread->phone, nm.thread->local,
                                  nm.thread->remote, conv, now);
  c->charged = !d.payer.empty();
  const auto cost = nm.route.price_per_segment * nm.segments;
  if (c->charged) {
    sms_.add_spend(d.payer, cost);
    auto& counters = smsc_counters(nm.route.smsc);
    counters.segments->inc(static_cast<std::uint64_t>(nm.segments));
    counters.spend->inc(static_cast<std::uint64_t>(cost));
  }
  c->route = std::move(nm.route);
  c->month = sms_.month();
  c->local = nm.conv_local.str();
  c->remote = nm.conv_remote.str();
  c->ack = std::move(ack);
  store_.submit(
      [c](store::Db& db) -> Status {
        auto inserted = store::insert_message(db, c->msg);
        if (!inserted.ok()) return inserted.error();
        c->duplicate = !*inserted;
        if (c->duplicate) return {};
        // Until one commit has written it (INSERT OR IGNORE): the message that created the
        // conversation in memory may not have committed.
        if (c->store_conversation)
          if (auto s = store::upsert_conversation(db, c->msg.conversation_id, c->local, c->remote,
                                                  c->msg.created_ms);
              !s.ok())
            return s;
        if (auto s = store::insert_delivery(db, c->d); !s.ok()) return s;
        if (c->thread)
          if (auto s = store::upsert_thread(db, *c->thread); !s.ok()) return s;
        if (c->charged)
          if (auto s =
                  store::insert_charges(db, c->d.id, c->d.payer, c->route.smsc, c->d.segments,
                                        c->route.price_per_segment, c->month, c->msg.created_ms);
              !s.ok())
            return s;
        return {};
      },
      [this, c, t0, cost](Status st) {
        boost::asio::post(strand_, [this, c, st = std::move(st), t0, cost]() {
          if (!st.ok() || c->duplicate) {
            if (c->charged) sms_.add_spend(c->d.payer, -cost);  // nothing new was sent
            if (!st.ok()) {
              spdlog::error("router: cannot store message: {}", st.error().message);
              forget_origin(c->origin_key);  // its redelivery is not a duplicate
            }
            ack_with(c->ack,
                     st.ok()
                         ? Status{}
                         : Status{Error::transient("the bridge cannot store messages right now")});
            return;
          }
          ack_with(c->ack, {});
          if (c->store_conversation)
            if (auto it = conversations_.find(c->local + '\n' + c->remote);
                it != conversations_.end() && it->second.id == c->msg.conversation_id)
              it->second.stored = true;
          outbox_.enqueue(std::move(c->d));
          routing_seconds_.observe(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        });
      },
      store::Store::Replay::yes);  // the job only writes rows and sets c->duplicate
}

Router::SmscCounters& Router::smsc_counters(const std::string& smsc) {
  auto it = smsc_counters_.find(smsc);
  if (it != smsc_counters_.end()) return it->second;
  SmscCounters c;
  c.segments = &metrics_.counter("passerelle_sms_segments_total",
                                 "SMS segments submitted for sending", {{"smsc", smsc}});
  c.spend = &metrics_.counter("passerelle_sms_spend_total", "SMS spend, in tariff units",
                              {{"smsc", smsc}});
  return smsc_counters_.emplace(smsc, c).first->second;
}

void Router::send_notice(const Address& sender, const std::string& phone, const std::string& text) {
  NewMessage nm;
  nm.from = sender;
  nm.to = Address{sender.network, phone};
  nm.body = text;
  nm.kind = MessageKind::notice;
  nm.origin_connector = "passerelle";
  nm.conv_local = nm.from;
  nm.conv_remote = nm.to;
  if (sender.network == Network::rcs) {  // from the chatbot the phone wrote to: free
    auto route = rcs_.route_of_bot(sender);
    if (!route) return;
    nm.connector = route->connector;
    return commit(std::move(nm), nullptr, std::chrono::steady_clock::now());
  }
  auto route = sms_route(phone);
  if (!route.ok()) return;
  nm.route = *route;
  nm.connector = route->connector;
  nm.segments = std::max(1, count_segments_(text));
  nm.payer = "passerelle";  // the bridge's own notices: charged to the operator, never capped
  commit(std::move(nm), nullptr, std::chrono::steady_clock::now());
}

std::string Router::connector_for(const Address& from, const Address& to) const {
  if (auto c = directory_.account_connector(from)) return *c;
  if (to.network == Network::xmpp && from.network != Network::xmpp) return "xmpp";
  if (to.network == Network::sms) {
    auto r = sms_route(to.id);
    return r.ok() ? r->connector : std::string();
  }
  if (to.network == Network::rcs)
    if (auto r = rcs_.route_of_bot(from)) return r->connector;
  return {};
}

Result<SmsRoute> Router::sms_route(const std::string& e164) const {
  if (auto smsc = rcs_.ported_smsc(e164); !smsc.empty()) return sms_.route_via(smsc, e164);
  return sms_.route(e164);
}

Result<PhoneNumber> Router::parse_phone_for_sms(const std::string& text) {
  if (auto it = phone_cache_.find(text); it != phone_cache_.end()) return it->second;
  auto parsed = phones_.parse_for_sms(text, cfg_.bridge.allow_fixed_line);
  if (parsed.ok()) {
    if (phone_cache_.size() >= kPhoneCacheMax) phone_cache_.clear();
    phone_cache_.emplace(text, *parsed);
  }
  return parsed;
}

Router::Conversation& Router::conversation(const Address& local, const Address& remote) {
  auto [it, inserted] = conversations_.try_emplace(local.str() + '\n' + remote.str());
  if (inserted) it->second.id = new_ulid();
  return it->second;
}

void Router::notify(OutboundEvent ev, const Address& from, const Address& to) {
  const std::string name = connector_for(from, to);
  if (to.network == Network::sms || to.network == Network::rcs) {
    // Phones have no error stanza: they hear of failures only through notices. One that
    // wrote to another phone (rcs.phones_may_start) gets one from the chatbot or number
    // it wrote to.
    const auto* e = std::get_if<OutboundError>(&ev);
    if (e == nullptr || !is_phone(from) || !is_phone(to)) return;
    auto other = as_phone_puppet(from);
    auto thread =
        other.ok() ? sms_.thread_with(to.id, other->str(), rcs_.all_bots()) : std::nullopt;
    if (!thread) return;
    const bool chatbot = thread->sender_number.find('@') != std::string::npos;
    send_notice(Address{chatbot ? Network::rcs : Network::sms, thread->sender_number}, to.id,
                "passerelle: not delivered to " + from.id + ": " + e->error.message);
    return;
  }
  if (Connector* c = connectors_.find(name)) c->send(std::move(ev));
}

bool Router::seen_recently(const InboundMessage& m) {
  if (m.origin_id.empty()) return false;
  const auto now = now_ms();
  while (!recent_order_.empty() && (recent_order_.front().first < now - kDedupeWindowMs ||
                                    recent_order_.size() > kDedupeMax)) {
    auto it = recent_origins_.find(recent_order_.front().second);
    if (it != recent_origins_.end() && it->second == recent_order_.front().first)
      recent_origins_.erase(it);
    recent_order_.pop_front();
  }
  std::string key = m.connector + '\n' + m.from.str() + '\n' + m.origin_id;
  if (auto it = recent_origins_.find(key);
      it != recent_origins_.end() && it->second >= now - kDedupeWindowMs)
    return true;
  remember_origin(std::move(key), now);
  return false;
}

void Router::remember_origin(std::string key, std::int64_t ms) {
  recent_origins_[key] = ms;
  recent_order_.emplace_back(ms, std::move(key));
}

bool Router::may_send_help(const std::string& phone) {
  const auto now = now_ms();
  if (last_help_ms_.size() > 100000) last_help_ms_.clear();
  auto [it, inserted] = last_help_ms_.try_emplace(phone, now);
  if (!inserted && now - it->second < 3600 * 1000) return false;
  it->second = now;
  return true;
}

// An SMS reached the SMSC: from now on the phone's replies to that sender number belong
// to this conversation. Done here and not when the message was accepted, so that a
// message that never reached the phone cannot capture its replies.
void Router::on_acked(const store::DeliveryRow& d) {
  if (d.kind != static_cast<int>(MessageKind::chat) || d.notify.empty()) return;
  if (d.sender.rfind("rcs:", 0) == 0 && d.recipient.rfind("rcs:", 0) == 0) return on_rcs_acked(d);
  if (d.sender.rfind("sms:", 0) != 0 || d.recipient.rfind("sms:", 0) != 0) return;
  record_thread(d.sender.substr(4), d.recipient.substr(4), d);
}

void Router::record_thread(const std::string& sender, const std::string& phone,
                           const store::DeliveryRow& d) {
  // Replies go out as notify_from (the phone's puppet, or the linked account) to notify.
  std::string conv;
  for (const auto& key : {d.notify + '\n' + d.notify_from, d.notify_from + '\n' + d.notify})
    if (auto it = conversations_.find(key); it != conversations_.end()) conv = it->second.id;
  keep_thread(sender, phone, d.notify_from, d.notify, conv);
}

void Router::keep_thread(const std::string& sender, const std::string& phone,
                         const std::string& local, const std::string& remote,
                         const std::string& conversation_id) {
  auto row = sms_.touch_thread(sender, phone, local, remote, conversation_id, now_ms());
  writes_.put("t\n" + sender + '\n' + phone + '\n' + row.local + '\n' + row.remote,
              [row](store::Db& db) { return store::upsert_thread(db, row); });
}

void Router::on_refunded(const store::DeliveryRow& d) {
  if (d.payer.empty() || d.recipient.rfind("sms:", 0) != 0) return;
  if (auto route = sms_route(d.recipient.substr(4)); route.ok())
    sms_.add_spend(d.payer, -route->price_per_segment * d.segments);
}

// The network may have taken the SMS before the link dropped, and it is about to be sent
// again: the carrier may bill both, so the second attempt is charged too.
void Router::on_unknown(const store::DeliveryRow& d) {
  if (cfg_.delivery.on_unknown != "resend" || d.payer.empty() || d.recipient.rfind("sms:", 0) != 0)
    return;
  auto route = sms_route(d.recipient.substr(4));
  if (!route.ok()) return;
  sms_.set_month(month_of(now_ms()));
  sms_.add_spend(d.payer, route->price_per_segment * d.segments);
  store_.submit(
      [d, route = *route, month = sms_.month()](store::Db& db) {
        return store::insert_charges(db, d.id, d.payer, route.smsc, d.segments,
                                     route.price_per_segment, month, now_ms());
      },
      [](Status st) {
        if (!st.ok()) spdlog::error("router: cannot record charges: {}", st.error().message);
      });
}

std::optional<std::string> Router::refuse(const store::DeliveryRow& d) const {
  if (d.kind == static_cast<int>(MessageKind::chat) && d.recipient.rfind("sms:", 0) == 0 &&
      sms_.opted_out(d.recipient.substr(4)))
    return d.recipient.substr(4) + " has opted out of SMS from this bridge (it sent STOP)";
  return std::nullopt;
}

void Router::on_delivered(const store::DeliveryRow& d) {
  if (!d.request_receipt || d.notify.empty()) return;
  auto to = parse_address(d.notify);
  auto from = parse_address(d.notify_from);
  if (to.ok() && from.ok()) notify(OutboundReceipt{*from, *to, d.notify_origin}, *from, *to);
}

void Router::on_failed(const store::DeliveryRow& d) {
  if (d.notify.empty()) return;
  auto to = parse_address(d.notify);
  auto from = parse_address(d.notify_from);
  if (!to.ok() || !from.ok()) return;
  Error e{Errc::unavailable, "your message to " + d.recipient + " was not delivered: " + d.reason,
          false, 0};
  notify(OutboundError{*from, *to, d.notify_origin, e}, *from, *to);
}

void Router::on_presence(const InboundPresence& p) {
  // Messages that bounced while this user was offline go now.
  if (p.who.network == Network::xmpp && is_online(p.presence.state)) outbox_.retry_now(p.who.str());
  if (p.who == p.observer && directory_.is_account(p.who)) {
    const bool online = is_online(p.presence.state);
    directory_.set_clients_online(p.who, online);
    spdlog::info("router: {} clients {}", p.who.str(),
                 online ? "online" : "offline (SMS fallback active)");
  }
}

}  // namespace passerelle
