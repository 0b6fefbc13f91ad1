// OscarSession, signed on to the BOS server: the sign-on sequence (OSCAR protocol
// documentation, "login sequence": host online → versions → rate classes → rights and
// parameters → feedbag → client online), then what the server pushes and what the
// person does.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <random>

#include "oscar/codec/buddy.hpp"
#include "oscar/codec/families.hpp"
#include "oscar/codec/html.hpp"
#include "oscar/codec/icq.hpp"
#include "oscar/codec/locate.hpp"
#include "oscar/convert/convert.hpp"
#include "oscar/session/session.hpp"

namespace passerelle::oscar {

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

IcbmCookie random_cookie() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  IcbmCookie c{};
  std::uint64_t v = rng();
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = static_cast<std::uint8_t>(v >> (8 * i));
  return c;
}

std::uint64_t cookie_key(const IcbmCookie& c) {
  std::uint64_t v = 0;
  for (auto b : c) v = (v << 8) | b;
  return v ? v : 1;
}

std::uint16_t family_version(std::uint16_t f) {
  return (f == family::oservice || f == family::feedbag) ? 4 : 1;
}

}  // namespace

void OscarSession::on_snac(const SnacView& s) {
  if (s.header.subtype == kSnacErrorSubtype) return on_snac_error(s);
  switch (s.header.family) {
    case family::oservice:
      return on_oservice(s);
    case family::icbm:
      return on_icbm(s);
    case family::buddy:
      return on_buddy(s);
    case family::locate:
      return on_locate(s);
    case family::feedbag:
      return on_feedbag(s);
    case family::icq:
      return on_icq(s);
    default:
      return;  // rights replies and families we do not use
  }
}

void OscarSession::on_oservice(const SnacView& s) {
  switch (s.header.subtype) {
    case oservice::host_online: {
      auto fams = parse_family_list(s.body);
      if (fams) families_ = *fams;
      std::vector<FamilyVersion> v;
      for (auto f : families_) v.push_back({f, family_version(f)});
      Bytes b;
      append_family_versions(b, v);
      send(family::oservice, oservice::client_versions, std::move(b));
      return;
    }
    case oservice::host_versions:
      send(family::oservice, oservice::rate_params_query, {});
      return;
    case oservice::rate_params_reply: {
      auto classes = parse_rate_params(s.body);
      if (!classes) {
        log_->warn("{}: rate classes unreadable: {}", login_, classes.error().message);
        return;
      }
      rates_.set_classes(*classes, now_ms());
      // Queued SNACs were classed before the classes were known: class them again.
      std::deque<PendingSnac> all;
      for (auto& [cls, q] : queues_)
        for (auto& p : q) all.push_back(std::move(p));
      queues_.clear();
      for (auto& p : all)
        queues_[rates_.class_of(p.header.family, p.header.subtype)].push_back(std::move(p));
      Bytes b;
      append_rate_ack(b, *classes);
      send(family::oservice, oservice::rate_params_sub_add, std::move(b));
      after_rates();
      return;
    }
    case oservice::rate_param_change: {
      auto ch = parse_rate_change(s.body);
      if (!ch) return;
      rates_.apply_change(*ch, now_ms());
      if (ch->code == rate_change::warning || ch->code == rate_change::limited)
        log_->warn("{}: the server says rate class {} is {}", login_, ch->params.id,
                   ch->code == rate_change::warning ? "near its limit" : "limited");
      pump();
      return;
    }
    case oservice::evil_notification: {
      // Someone warned the account: the person hears it as the account's state reason.
      auto why = warning_reason(s.body);
      if (!why) {
        log_->warn("{}: unreadable warning: {}", login_, why.error().message);
        return;
      }
      log_->warn("{}: {}", login_, *why);
      owner_.publish(AccountStateEvent{connector_, self_.str(), state_, std::move(*why)});
      return;
    }
    default:
      return;  // self info, MOTD, ...
  }
}

void OscarSession::after_rates() {
  send(family::oservice, oservice::user_info_query, {});
  send(family::locate, locate::rights_query, {});
  Bytes info;
  LocateSetInfo li;
  li.capabilities = std::vector<Capability>{cap::typing, cap::utf8};
  (void)append_locate_set_info(info, li);
  send(family::locate, locate::set_info, std::move(info));
  send(family::buddy, buddy::rights_query, {});
  send(family::icbm, icbm::parameter_query, {});
  IcbmParams p;
  p.channel = 0;
  p.flags = icbm_flag::messages_allowed | icbm_flag::missed_calls | icbm_flag::typing_notifications;
  p.max_snac_size = 8000;
  p.min_interval_ms = 0;
  Bytes pb;
  append_icbm_params(pb, p);
  send(family::icbm, icbm::add_parameters, std::move(pb));
  send(family::bos, bos::rights_query, {});
  send(family::feedbag, feedbag::rights_query, {});
  send(family::feedbag, feedbag::query, {});
}

void OscarSession::signed_on() {
  send(family::feedbag, feedbag::use, {});
  apply_own_status();
  std::vector<ClientOnlineEntry> entries;
  for (auto f : families_) entries.push_back({f, family_version(f), 0x0110, 0x164F});
  Bytes b;
  append_client_online(b, entries);
  send(family::oservice, oservice::client_online, std::move(b));
  online_ = true;
  if (icq_) {
    IcqMeta m;
    m.uin = static_cast<std::uint32_t>(std::strtoul(login_.c_str(), nullptr, 10));
    m.type = icq_meta::offline_request;
    m.sequence = icq_seq_++;
    Bytes mb;
    (void)append_icq_meta(mb, m);
    send(family::icq, icq::db_query, std::move(mb));
  }
  log_->info("{}: signed on", login_);
  set_state(LinkState::up, "");
}

void OscarSession::apply_own_status() {
  const Presence p = own_.value_or(Presence{PresenceState::available, "", Device::unknown, 0});
  const OwnStatus st = own_status(p);
  if (icq_) {
    Bytes b;
    append_set_icq_status(b, st.icq_status);
    send(family::oservice, oservice::set_user_info_fields, std::move(b));
  }
  if (!icq_ || !st.away_text.empty() || own_) {
    LocateSetInfo li;
    li.away_utf8 = st.away_text.empty() ? std::string() : text_to_html(st.away_text);
    Bytes b;
    if (append_locate_set_info(b, li)) send(family::locate, locate::set_info, std::move(b));
  }
}

// ---- ICBM ---------------------------------------------------------------------------

void OscarSession::on_icbm(const SnacView& s) {
  switch (s.header.subtype) {
    case icbm::channel_msg_to_client: {
      auto im = parse_incoming_im(s.body);
      if (!im) {
        log_->warn("{}: unreadable message: {}", login_, im.error().message);
        return;
      }
      incoming_im(*im);
      return;
    }
    case icbm::host_ack: {
      auto a = parse_host_ack(s.body);
      if (!a) return;
      auto it = deliveries_.find(cookie_key(a->cookie));
      if (it == deliveries_.end()) return;
      report(it->second, DeliveryState::delivered);
      by_request_.erase(it->second.request_id);
      deliveries_.erase(it);
      return;
    }
    case icbm::client_event: {
      auto t = parse_typing_event(s.body);
      if (!t) return;
      owner_.publish(InboundChatState{connector_, buddy_address(t->screen_name), self_,
                                      chat_state_of(t->state)});
      return;
    }
    default:
      return;
  }
}

void OscarSession::incoming_im(const IncomingIm& im) {
  InboundMessage m;
  m.connector = connector_;
  m.from = buddy_address(im.sender.screen_name);
  m.to = self_;
  m.origin_id = cookie_hex(im.cookie);
  m.received_ms = im.offline_time ? std::int64_t{*im.offline_time} * 1000 : wall_ms();
  if (im.channel == icbm_channel::im) {
    auto text = incoming_text(im);
    if (!text) {
      log_->warn("{}: message from {} not decoded: {}", login_, im.sender.screen_name,
                 text.error().message);
      m.body = "[a message passerelle could not read: " + text.error().message + "]";
    } else {
      m.body = std::move(*text);
    }
    if (im.auto_response && !m.body.empty()) m.body = "[auto-reply] " + m.body;
  } else if (im.channel == icbm_channel::icq) {
    const Tlv* data = nullptr;
    for (const auto& t : im.other)
      if (t.type == 0x0005) data = &t;
    if (!data) return;
    auto c4 = parse_icq_channel4(data->value);
    if (!c4) return;
    if (c4->type == icq_msg_type::auth_request || c4->type == icq_msg_type::added) {
      owner_.publish(InboundSubscription{connector_, m.from, self_, SubscriptionAction::subscribe});
      return;
    }
    m.body = icq_text_utf8(c4->text);
  } else {
    return;  // rendezvous (files, ICQ server relay): not carried
  }
  if (m.body.empty()) return;
  m.ack = [](Status) {};
  owner_.publish(std::move(m));
}

void OscarSession::send_message(OutboundMessage m) {
  Delivery d;
  d.delivery_id = m.delivery_id;
  d.cookie = random_cookie();
  auto fail = [&](std::string why, bool retryable) {
    report(d, DeliveryState::failed, std::move(why), retryable);
  };
  if (!online_) return fail(self_.str() + " is not signed on (" + reason_ + ")", true);
  if (queued() >= kMaxQueued)
    return fail("too many messages waiting for the AIM/ICQ rate limit", true);
  const bool to_icq = m.to.network == Network::icq;
  // ICQ to ICQ: a contact who is signed off gets it as an ICQ offline message, as from
  // any ICQ client (the router sends SMS to offline contacts of MSN accounts only).
  const bool store = to_icq && icq_;
  auto im = make_text_im(d.cookie, m.to.id, outgoing_text(m.body, to_icq), true, store);
  if (!im) return fail("message not sent: " + im.error().message, false);
  Bytes body;
  if (auto st = append_outgoing_im(body, *im); !st)
    return fail("message not sent: " + st.error().message, false);
  const auto key = cookie_key(d.cookie);
  d.deadline = Clock::now() + kDeliveryTimeout;
  deliveries_[key] = d;
  const auto rid = send(family::icbm, icbm::channel_msg_to_host, std::move(body), key);
  if (auto it = deliveries_.find(key); it != deliveries_.end()) {
    it->second.request_id = rid;
    by_request_[rid] = key;
  }
}

void OscarSession::send_text_unreported(const std::string& contact, const std::string& text) {
  if (!online_) return;
  auto im = make_text_im(random_cookie(), contact, outgoing_text(text, is_uin(contact)), false);
  if (!im) return;
  Bytes body;
  if (append_outgoing_im(body, *im)) send(family::icbm, icbm::channel_msg_to_host, std::move(body));
}

void OscarSession::send_typing(const std::string& contact, ChatState st) {
  if (!online_) return;
  TypingEvent t;
  t.screen_name = contact;
  t.state = typing_state_of(st);
  Bytes b;
  if (append_typing_event(b, t)) send(family::icbm, icbm::client_event, std::move(b));
}

// ---- errors -------------------------------------------------------------------------

void OscarSession::on_snac_error(const SnacView& s) {
  auto e = parse_snac_error(s.body);
  const std::uint16_t code = e ? e->code : 0;
  const std::uint32_t rid = s.header.request_id;
  if (s.header.family == family::icbm) {
    auto r = by_request_.find(rid);
    if (r == by_request_.end()) return;
    auto it = deliveries_.find(r->second);
    by_request_.erase(r);
    if (it == deliveries_.end()) return;
    const bool offline = code == snac_error::recipient_offline;
    const bool rate =
        code == snac_error::server_rate_limited || code == snac_error::client_rate_limited;
    report(it->second, DeliveryState::failed, snac_error_reason(code),
           rate || code == snac_error::user_temp_unavailable, offline, code);
    deliveries_.erase(it);
    return;
  }
  if (s.header.family == family::locate) {
    auto it = locate_requests_.find(rid);
    if (it == locate_requests_.end()) return;
    const std::string norm = it->second;
    locate_requests_.erase(it);
    publish_buddy(norm);
    return;
  }
  if (s.header.family == family::feedbag && feedbag_ops_.count(rid)) {
    feedbag_ops_.erase(rid);
    return;
  }
  log_->debug("{}: {} error {:#06x} ({})", login_, family_name(s.header.family), code,
              snac_error_reason(code));
}

// ---- buddies and away messages ------------------------------------------------------

void OscarSession::on_buddy(const SnacView& s) {
  if (s.header.subtype != buddy::arrived && s.header.subtype != buddy::departed) return;
  auto users = parse_user_info_list(s.body);
  if (!users) return;
  for (const auto& u : *users) {
    if (s.header.subtype == buddy::arrived) {
      buddy_arrived(u);
    } else {
      const std::string norm = normalize_screen_name(u.screen_name);
      auto it = buddies_.find(norm);
      if (it != buddies_.end()) {
        it->second.online = false;
        it->second.away_text.reset();
      }
      owner_.publish(
          InboundPresence{connector_, buddy_address(u.screen_name), self_, offline_presence()});
    }
  }
}

void OscarSession::buddy_arrived(const UserInfo& u) {
  const std::string norm = normalize_screen_name(u.screen_name);
  Buddy& b = buddies_[norm];
  const bool was_away = b.online && b.info.away();
  b.info = u;
  b.online = true;
  if (!u.away()) {
    b.away_text.reset();
    return publish_buddy(norm);
  }
  // Away: the message is not in the arrival; ask LOCATE for it (class 2 paces these), and
  // show the presence once it is known. An ICQ status alone needs no message.
  (void)was_away;
  Bytes q;
  if (!append_locate_query(q, locate_query::away_message, u.screen_name))
    return publish_buddy(norm);
  const auto rid = send(family::locate, locate::user_info_query, std::move(q));
  locate_requests_[rid] = norm;
}

void OscarSession::on_locate(const SnacView& s) {
  if (s.header.subtype != locate::user_info_reply) return;
  auto it = locate_requests_.find(s.header.request_id);
  auto r = parse_locate_reply(s.body);
  std::string norm;
  if (it != locate_requests_.end()) {
    norm = it->second;
    locate_requests_.erase(it);
  } else if (r) {
    norm = normalize_screen_name(r->user.screen_name);
  } else {
    return;
  }
  auto b = buddies_.find(norm);
  if (b == buddies_.end()) return;
  if (r && r->away) {
    auto text = locate_text_utf8(*r->away);
    if (text) b->second.away_text = html_to_text(*text);
  }
  publish_buddy(norm);
}

void OscarSession::publish_buddy(const std::string& norm) {
  auto b = buddies_.find(norm);
  if (b == buddies_.end() || !b->second.online) return;
  owner_.publish(InboundPresence{connector_, buddy_address(b->second.info.screen_name), self_,
                                 buddy_presence(b->second.info, b->second.away_text)});
}

void OscarSession::set_presence(const Presence& p) {
  own_ = p;
  if (online_) apply_own_status();
}

}  // namespace passerelle::oscar
