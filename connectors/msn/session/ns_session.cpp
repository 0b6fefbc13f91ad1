#include "msn/session/ns_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/retry.hpp"
#include "msn/codec/errors.hpp"
#include "msn/convert/convert.hpp"
#include "msn/session/passport_client.hpp"

namespace passerelle::msn {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kLoginTimeout = std::chrono::seconds(60);
constexpr auto kFirstPing = std::chrono::seconds(45);
constexpr auto kQngTimeout = std::chrono::seconds(30);

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int parse_max_version(const std::string& s) {
  auto v = parse_version(s);
  return v ? std::clamp(*v, kMsnp8, kMsnp12) : kMsnp12;
}

Address msn_address(const std::string& email) {
  auto a = make_address(Network::msn, email);
  return a ? *a : Address{Network::msn, lower(email)};
}

}  // namespace

NsSession::NsSession(const Strand& strand, NsOwner& owner, std::string connector,
                     const config::MsnSection& section, const config::LegacyAccount& account,
                     std::shared_ptr<spdlog::logger> log)
    : strand_(strand),
      owner_(owner),
      connector_(std::move(connector)),
      section_(section),
      account_(account),
      log_(std::move(log)),
      email_(lower(account.login)),
      self_(msn_address(email_)),
      machine_(NsMachine::Settings{email_, parse_max_version(section.max_version)}),
      wait_timer_(strand),
      tick_timer_(strand) {}

NsSession::~NsSession() = default;

SwitchboardOwner& NsSession::sb_owner() {
  return *this;
}

std::size_t NsSession::queued() const {
  std::size_t n = inflight_.size();
  for (const auto& [k, c] : chats_) n += c.queue.size();
  return n;
}

void NsSession::start() {
  auto self = shared_from_this();
  asio::co_spawn(
      strand_, [self] { return self->run(); }, asio::detached);
  asio::co_spawn(
      strand_, [self] { return self->tick_loop(); }, asio::detached);
}

void NsSession::stop(std::function<void()> done) {
  stopping_ = true;
  stopped_ = std::move(done);
  wait_timer_.cancel();
  tick_timer_.cancel();
  for (const auto& sb : std::set(sbs_)) sb->close(SbEnd::stopped, "the bridge is stopping");
  if (conn_ && !conn_->closed()) {
    if (online_) {
      Command out;
      out.verb = "OUT";
      (void)conn_->send(out);
      conn_->close_after_flush("the bridge is stopping");
    } else {
      conn_->close("the bridge is stopping");
    }
  }
}

void NsSession::set_state(LinkState s, std::string reason) {
  if (s == state_ && reason == reason_) return;
  state_ = s;
  reason_ = std::move(reason);
  owner_.on_account_state(*this);
}

asio::awaitable<void> NsSession::run() {
  auto self = shared_from_this();
  int attempt = 0;
  while (!stopping_) {
    // Servers limit logins per second: accounts take turns (login_interval_ms).
    const auto slot = owner_.login_slot();
    if (slot > Clock::now()) {
      wait_timer_.expires_at(slot);
      co_await wait_timer_.async_wait(use_tuple);
      if (stopping_) break;
    }
    std::string host = account_.host.empty() ? section_.host : account_.host;
    int port = account_.port ? account_.port : section_.port;
    set_state(LinkState::connecting, "connecting to " + host + ":" + std::to_string(port));
    effect::End end;
    bool was_online = false;
    for (int hops = 0;; ++hops) {
      std::optional<effect::Redirect> redirect;
      end = co_await connect_once(host, port, redirect);
      if (!redirect || hops >= 3 || stopping_) {
        if (redirect) end = {EndKind::transient, "too many XFR NS redirects"};
        break;
      }
      log_->debug("{}: redirected to {}:{}", email_, redirect->host, redirect->port);
      host = redirect->host;
      port = redirect->port;
    }
    if (stopping_) break;
    if (online_) was_online = true;
    went_offline(end.reason);
    const EndClass cls = end.kind == EndKind::wrong_password || end.kind == EndKind::account
                             ? EndClass::refused
                         : end.kind == EndKind::elsewhere ? EndClass::elsewhere
                                                          : EndClass::transient;
    const RetryPlan plan = plan_retry(cls, end.reason, was_online, attempt,
                                      section_.reconnect_initial_ms, section_.reconnect_max_ms);
    if (plan.wait_ms < 0) {
      log_->error("{}: {}", email_, plan.log);
      set_state(plan.state, plan.reason);
      wait_timer_.expires_at(Clock::time_point::max());
      co_await wait_timer_.async_wait(use_tuple);
      break;
    }
    ++reconnects_;
    log_->warn("{}: {}", email_, plan.log);
    set_state(plan.state, plan.reason);
    wait_timer_.expires_after(std::chrono::milliseconds(plan.wait_ms));
    co_await wait_timer_.async_wait(use_tuple);
  }
  went_offline("the bridge is stopping");
  // Switchboards call back into this session until they end: wait for them (they said
  // OUT), closing the stragglers after a while.
  for (int i = 0; !sbs_.empty() && i < 100; ++i) {
    if (i == 50)
      for (const auto& sb : std::set(sbs_)) sb->abort("the bridge is stopping");
    wait_timer_.expires_after(std::chrono::milliseconds(20));
    co_await wait_timer_.async_wait(use_tuple);
  }
  set_state(LinkState::disabled, "stopped");
  if (stopped_) std::exchange(stopped_, nullptr)();
}

asio::awaitable<effect::End> NsSession::connect_once(std::string host, int port,
                                                     std::optional<effect::Redirect>& redirect) {
  auto conn = std::make_shared<MsnpConn>(strand_, Grammar::server(kMsnp12));
  conn_ = conn;
  end_.reset();
  redirect_.reset();
  auto st = co_await conn->connect(host, port, std::chrono::seconds(15));
  if (!st) co_return effect::End{EndKind::transient, st.error().message};
  if (stopping_) co_return effect::End{EndKind::transient, "stopping"};
  machine_.start();
  apply(conn);
  const auto login_deadline = Clock::now() + kLoginTimeout;
  qng_due_ = login_deadline;  // tick() closes a login that does not finish in time
  while (!end_ && !redirect_) {
    auto cmd = co_await conn->read();
    if (!cmd) break;
    const int before = machine_.version();
    machine_.feed(*cmd);
    if (machine_.version() != before) conn->set_grammar(Grammar::server(machine_.version()));
    apply(conn);
  }
  redirect = redirect_;
  conn->close(end_ ? end_->reason : "done");
  if (end_) co_return *end_;
  if (redirect_) co_return effect::End{EndKind::transient, ""};
  std::string why = conn->close_reason();
  co_return effect::End{EndKind::transient, why.empty() ? "connection lost" : why};
}

asio::awaitable<void> NsSession::ticket(std::shared_ptr<MsnpConn> conn, std::string challenge) {
  auto self = shared_from_this();
  PassportRequest req{section_.login_url, email_, account_.password, std::move(challenge)};
  auto t = co_await fetch_passport_ticket(strand_, owner_.tls(), std::move(req));
  if (conn->closed() || conn != conn_) co_return;
  if (!t) {
    const bool refused = t.error().code == Errc::not_allowed;
    const bool bad_url = t.error().code == Errc::invalid_input;
    end_ = effect::End{refused   ? EndKind::wrong_password
                       : bad_url ? EndKind::account
                                 : EndKind::transient,
                       "Passport login: " + t.error().message};
    conn->close(end_->reason);
    co_return;
  }
  machine_.ticket(*t);
  apply(conn);
}

void NsSession::apply(const std::shared_ptr<MsnpConn>& conn) {
  for (auto& e : machine_.take()) {
    std::visit(
        [&](auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, effect::Send>) {
            if (auto st = conn->send(x.cmd); !st)
              log_->warn("{}: cannot send {}: {}", email_, x.cmd.verb, st.error().message);
          } else if constexpr (std::is_same_v<T, effect::FetchTicket>) {
            asio::co_spawn(strand_, ticket(conn, std::move(x.challenge)), asio::detached);
          } else if constexpr (std::is_same_v<T, effect::Redirect>) {
            redirect_ = x;
            conn->close("redirected");
          } else if constexpr (std::is_same_v<T, effect::Online>) {
            online_ = true;
            next_ping_ = Clock::now() + kFirstPing;
            qng_due_ = Clock::time_point::max();
            log_->info("{}: signed in (MSNP{})", email_, machine_.version());
            set_state(LinkState::up, "");
            for (auto& [contact, chat] : chats_) {
              chat.failed_opens = 0;
              if (!chat.queue.empty() || chat.typing_pending) pump(contact);
            }
          } else if constexpr (std::is_same_v<T, effect::End>) {
            end_ = x;
            conn->close(x.reason);
          } else if constexpr (std::is_same_v<T, effect::ContactPresence>) {
            publish_presence(x.email);
          } else if constexpr (std::is_same_v<T, effect::ReverseAdd>) {
            InboundSubscription s{connector_, msn_address(x.email), self_,
                                  SubscriptionAction::subscribe};
            owner_.publish(std::move(s));
          } else if constexpr (std::is_same_v<T, effect::ReverseRemove>) {
            InboundSubscription s{connector_, msn_address(x.email), self_,
                                  SubscriptionAction::unsubscribe};
            owner_.publish(std::move(s));
          } else if constexpr (std::is_same_v<T, effect::SwitchboardGranted>) {
            auto it = xfr_.find(x.trid);
            if (it == xfr_.end()) return;
            const std::string contact = it->second;
            xfr_.erase(it);
            auto& chat = chats_[contact];
            chat.xfr_trid = 0;
            Switchboard::Params p{email_,
                                  contact,
                                  x.host,
                                  x.port,
                                  x.cookie,
                                  {},
                                  false,
                                  machine_.version(),
                                  std::chrono::seconds(std::max(1, section_.switchboard_idle_s))};
            auto sb = std::make_shared<Switchboard>(strand_, sb_owner(), log_, std::move(p));
            chat.sb = sb;
            sbs_.insert(sb);
            sb->start();
          } else if constexpr (std::is_same_v<T, effect::Ring>) {
            if (stopping_) return;
            auto& chat = chats_[x.caller];
            Switchboard::Params p{email_,
                                  x.caller,
                                  x.host,
                                  x.port,
                                  x.cookie,
                                  x.session,
                                  true,
                                  machine_.version(),
                                  std::chrono::seconds(std::max(1, section_.switchboard_idle_s))};
            auto sb = std::make_shared<Switchboard>(strand_, sb_owner(), log_, std::move(p));
            if (!chat.sb || chat.sb->ended()) chat.sb = sb;
            sbs_.insert(sb);
            sb->start();
          } else if constexpr (std::is_same_v<T, effect::TridError>) {
            auto it = xfr_.find(x.trid);
            if (it == xfr_.end()) {
              log_->info("{}: request {} refused: {} (MSN error {})", email_, x.trid,
                         to_error(x.code).message, x.code);
              return;
            }
            auto& chat = chats_[it->second];
            xfr_.erase(it);
            chat.xfr_trid = 0;
            // 913: we are offline or invisible to the server; no chat can be opened.
            const Error err = to_error(x.code);
            fail_queue(chat, "cannot open a chat: " + err.message, err.retryable, false, x.code);
          } else if constexpr (std::is_same_v<T, effect::PingInterval>) {
            qng_due_ = Clock::time_point::max();
            next_ping_ = Clock::now() + std::chrono::seconds(x.seconds);
            if (state_ == LinkState::stalled) set_state(LinkState::up, "");
          }
        },
        e);
  }
}

void NsSession::went_offline(const std::string& reason) {
  const bool was = online_;
  online_ = false;
  next_ping_ = qng_due_ = Clock::time_point::max();
  xfr_.clear();
  for (const auto& sb : std::set(sbs_))
    sb->close(SbEnd::lost, "notification server connection lost");
  for (auto& [contact, chat] : chats_) {
    chat.xfr_trid = 0;
    // Texts not yet written: certain not to have been sent; the outbox tries again.
    fail_queue(chat, "MSN account " + email_ + " is offline: " + reason, true, false);
    chat.typing_pending = false;
  }
  if (was) {
    // Contacts are unknown while we are away: say so rather than show stale presence.
    for (const auto& [email, c] : machine_.contacts()) {
      if (c.status == Status::offline || !(c.lists & list::forward)) continue;
      InboundPresence p{connector_, msn_address(email), self_, to_presence(Status::offline, "")};
      owner_.publish(std::move(p));
    }
  }
}

asio::awaitable<void> NsSession::tick_loop() {
  auto self = shared_from_this();
  while (!stopping_) {
    tick_timer_.expires_after(std::chrono::milliseconds(500));
    co_await tick_timer_.async_wait(use_tuple);
    if (stopping_) break;
    tick();
  }
}

void NsSession::tick() {
  const auto now = Clock::now();
  if (conn_ && !conn_->closed()) {
    if (online_ && state_ == LinkState::up && qng_due_ != Clock::time_point::max() &&
        now >= qng_due_ - kQngTimeout / 2) {
      // Up but silent: say so before giving up on the connection (DESIGN.md §8).
      set_state(LinkState::stalled,
                "no answer to PNG for " + std::to_string((kQngTimeout / 2).count()) + " s");
    }
    if (now >= qng_due_) {
      conn_->close(online_ ? "no answer to PNG within " + std::to_string(kQngTimeout.count()) + " s"
                           : "login did not finish within " +
                                 std::to_string(kLoginTimeout.count()) + " s");
    } else if (online_ && now >= next_ping_) {
      machine_.ping();
      apply(conn_);
      next_ping_ = Clock::time_point::max();
      qng_due_ = now + kQngTimeout;
    }
  }
  for (auto& [contact, chat] : chats_) {
    if (online_ && now < chat.typing_repeat_until && now - chat.typing_sent >= kTypingRepeat &&
        chat.sb && chat.sb->joined()) {
      chat.typing_pending = true;
      pump(contact);
    }
    if (chat.composing && now - chat.last_typing >= kTypingPause) {
      chat.composing = false;
      owner_.publish(InboundChatState{connector_, msn_address(contact), self_, ChatState::paused});
    }
    while (!chat.queue.empty() && chat.queue.front()->written == 0 &&
           now >= chat.queue.front()->deadline) {
      auto d = chat.queue.front();
      chat.queue.pop_front();
      report(d, DeliveryState::failed, "no MSN chat with " + contact + " could be opened in time",
             true);
    }
  }
  for (auto it = inflight_.begin(); it != inflight_.end();) {
    if (now >= it->second.deadline) {
      report(it->second.d, DeliveryState::unknown,
             "no acknowledgement from the contact's client within " +
                 std::to_string(kDeliveryTimeout.count()) + " s");
      it = inflight_.erase(it);
    } else {
      ++it;
    }
  }
}

void NsSession::publish_presence(const std::string& contact) {
  const Contact* c = machine_.contact(contact);
  if (!c) return;
  InboundPresence p{connector_, msn_address(contact), self_, to_presence(c->status, c->psm)};
  owner_.publish(std::move(p));
}

void NsSession::report(const std::shared_ptr<OutDelivery>& d, DeliveryState s, std::string reason,
                       bool retryable, bool offline, int status) {
  if (d->done) return;
  d->done = true;
  log_->debug("{}: delivery {} to {}: {}{}", email_, d->msg.delivery_id, d->msg.to.id,
              delivery_state_name(s), reason.empty() ? "" : ": " + reason);
  if (!d->report || d->msg.delivery_id.empty()) return;
  DeliveryReport r;
  r.connector = connector_;
  r.delivery_id = d->msg.delivery_id;
  r.state = s;
  r.reason = std::move(reason);
  r.retryable = retryable;
  r.recipient_offline = offline;
  r.protocol_status = status;
  owner_.publish(std::move(r));
}

void NsSession::fail_queue(Chat& c, const std::string& reason, bool retryable, bool offline,
                           int status) {
  auto q = std::move(c.queue);
  c.queue.clear();
  for (auto& d : q) {
    // A text with some parts already written is not certain to be unsent.
    if (d->written > 0)
      report(d, DeliveryState::unknown,
             reason + " (after part " + std::to_string(d->written) + " of " +
                 std::to_string(d->parts.size()) + ")");
    else
      report(d, DeliveryState::failed, reason, retryable, offline, status);
  }
}

void NsSession::send_message(OutboundMessage m) {
  auto d = std::make_shared<OutDelivery>();
  const std::string contact = lower(m.to.id);
  if (m.body.size() > max_message_bytes()) {
    d->msg = std::move(m);
    report(d, DeliveryState::failed,
           "message too long for MSN (" + std::to_string(d->msg.body.size()) + " bytes, at most " +
               std::to_string(max_message_bytes()) + ")");
    return;
  }
  if (queued() >= kMaxQueued) {
    d->msg = std::move(m);
    report(d, DeliveryState::failed, "too many MSN messages waiting; try again later", true);
    return;
  }
  if (!online_) {
    d->msg = std::move(m);
    report(d, DeliveryState::failed,
           "MSN account " + email_ + " is not signed in" + (reason_.empty() ? "" : ": " + reason_),
           state_ != LinkState::failed);
    return;
  }
  std::string body = m.body;
  for (auto& c : body)  // MSN clients show CR LF line breaks
    if (c == '\r') c = ' ';
  d->parts = split_text(body, max_text_body_bytes());
  d->msg = std::move(m);
  d->deadline = Clock::now() + kDeliveryTimeout;
  auto& chat = chats_[contact];
  chat.typing_repeat_until = {};
  chat.queue.push_back(std::move(d));
  pump(contact);
}

void NsSession::send_text_unreported(const std::string& contact, const std::string& text) {
  if (!online_) return;
  auto d = std::make_shared<OutDelivery>();
  d->report = false;
  d->msg.to = msn_address(contact);
  d->parts = split_text(text, max_text_body_bytes());
  d->deadline = Clock::now() + kDeliveryTimeout;
  chats_[lower(contact)].queue.push_back(std::move(d));
  pump(lower(contact));
}

void NsSession::send_typing(const std::string& contact, bool composing) {
  const std::string c = lower(contact);
  auto it = chats_.find(c);
  if (!composing) {
    if (it != chats_.end()) it->second.typing_repeat_until = {};
    return;
  }
  if (!online_) return;
  auto& chat = chats_[c];
  chat.typing_repeat_until = Clock::now() + kTypingRepeatFor;
  chat.typing_pending = true;
  pump(c);
}

void NsSession::set_presence(const Presence& p) {
  machine_.set_presence(from_presence_state(p.state), p.status);
  if (conn_ && online_) apply(conn_);
}

void NsSession::subscription(const std::string& contact, SubscriptionAction a) {
  switch (a) {
    case SubscriptionAction::subscribe:
      machine_.add_contact(contact);
      break;
    case SubscriptionAction::subscribed:
      machine_.allow_contact(contact);
      break;
    case SubscriptionAction::unsubscribe:
      machine_.remove_contact(contact);
      break;
    case SubscriptionAction::unsubscribed:
      machine_.block_contact(contact);
      break;
  }
  if (conn_ && online_) apply(conn_);
}

void NsSession::pump(const std::string& contact) {
  auto& chat = chats_[contact];
  if (chat.sb && !chat.sb->ended() && chat.sb->joined()) {
    auto& sb = *chat.sb;
    if (chat.typing_pending) {
      chat.typing_pending = false;
      chat.typing_sent = Clock::now();
      sb.send_msg(AckMode::unacked, build_typing(email_));
    }
    while (!chat.queue.empty()) {
      auto d = chat.queue.front();
      while (d->written < d->parts.size()) {
        const auto trid = sb.send_msg(AckMode::acked, build_text(d->parts[d->written]));
        if (trid == 0) return;  // the switchboard is going; on_sb_closed reopens
        ++d->written;
        inflight_[{&sb, trid}] = Inflight{d, Clock::now() + kDeliveryTimeout};
      }
      chat.queue.pop_front();
    }
    return;
  }
  if (!online_ || chat.xfr_trid != 0) return;
  if (chat.sb && !chat.sb->ended()) return;  // opening: on_sb_joined pumps
  if (chat.queue.empty() && !chat.typing_pending) return;
  const auto trid = machine_.request_switchboard();
  if (trid == 0) return;
  chat.xfr_trid = trid;
  xfr_[trid] = contact;
  apply(conn_);
}

void NsSession::on_sb_joined(Switchboard& sb) {
  auto& chat = chats_[sb.contact()];
  chat.failed_opens = 0;
  if (chat.sb.get() != &sb) {
    // An invitation (RNG) while another switchboard was opening: keep the joined one.
    if (!chat.sb || chat.sb->ended() || !chat.sb->joined())
      for (const auto& s : sbs_)
        if (s.get() == &sb) chat.sb = s;
  }
  pump(sb.contact());
}

void NsSession::on_sb_message(Switchboard& sb, const std::string& from, MimeMessage m) {
  (void)sb;
  auto& chat = chats_[from];
  if (std::holds_alternative<Typing>(m)) {
    chat.last_typing = Clock::now();
    if (!chat.composing) {
      chat.composing = true;
      owner_.publish(InboundChatState{connector_, msn_address(from), self_, ChatState::composing});
    }
    return;
  }
  auto text = inbound_text(m);
  if (!text) return;
  chat.composing = false;
  InboundMessage im;
  im.connector = connector_;
  im.from = msn_address(from);
  im.to = self_;
  im.body = std::move(*text);
  im.received_ms = now_ms();
  // MSN messages carry no id of their own: the account, the time and a counter make one.
  im.origin_id =
      "msn-" + email_ + "-" + std::to_string(im.received_ms) + "-" + std::to_string(++next_origin_);
  // A switchboard has no receiver-side acknowledgement to hold back; a refusal is logged.
  im.ack = [log = log_, id = im.origin_id](passerelle::Status st) {
    if (!st) log->warn("message {} refused by the core: {}", id, st.error().message);
  };
  owner_.publish(std::move(im));
}

void NsSession::on_sb_ack(Switchboard& sb, std::uint32_t trid, bool ok) {
  auto it = inflight_.find({&sb, trid});
  if (it == inflight_.end()) return;
  auto d = it->second.d;
  inflight_.erase(it);
  if (!ok) {
    report(d, DeliveryState::failed, d->msg.to.id + "'s client did not take the message (NAK)",
           true);
    return;
  }
  if (++d->acked == d->parts.size()) report(d, DeliveryState::delivered, "");
}

void NsSession::on_sb_closed(Switchboard& sb, SbEnd end, const std::string& reason) {
  log_->debug("{}: switchboard with {} closed: {}", email_, sb.contact(), reason);
  std::shared_ptr<Switchboard> keep;
  for (const auto& s : sbs_)
    if (s.get() == &sb) keep = s;
  sbs_.erase(keep);
  for (auto it = inflight_.begin(); it != inflight_.end();) {
    if (it->first.first == &sb) {
      report(it->second.d, DeliveryState::unknown,
             "the chat closed before the contact's client acknowledged (" + reason + ")");
      it = inflight_.erase(it);
    } else {
      ++it;
    }
  }
  auto cit = chats_.find(sb.contact());
  if (cit == chats_.end()) return;
  auto& chat = cit->second;
  if (chat.sb.get() != &sb) return;
  chat.sb.reset();
  if (chat.composing) {
    chat.composing = false;
    owner_.publish(
        InboundChatState{connector_, msn_address(sb.contact()), self_, ChatState::paused});
  }
  if (stopping_ || end == SbEnd::stopped) {
    fail_queue(chat, "the bridge is stopping", true, false);
    return;
  }
  if (end == SbEnd::offline) {
    // 217: the contact is offline or invisible; the router may reach them by SMS.
    chat.typing_pending = false;
    fail_queue(chat, sb.contact() + " is offline on MSN", false, true, 217);
    return;
  }
  if (end == SbEnd::refused || end == SbEnd::lost) {
    if (!sb.was_joined() && ++chat.failed_opens >= 2) {
      chat.typing_pending = false;
      fail_queue(chat, "cannot open an MSN chat with " + sb.contact() + ": " + reason, true, false);
      return;
    }
  }
  // Idle, left or lost after use: the next text opens a new switchboard.
  if (!chat.queue.empty()) pump(sb.contact());
}

}  // namespace passerelle::msn
