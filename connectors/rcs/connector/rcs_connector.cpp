#include "rcs/connector/rcs_connector.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>

#include "core/overloaded.hpp"
#include "core/ulid.hpp"
#include "model/attachment_text.hpp"
#include "rcs/codec/http_status.hpp"
#include "rcs/codec/json_read.hpp"
#include "rcs/codec/message.hpp"
#include "rcs/connector/rcs_hub.hpp"
#include "rcs/convert/convert.hpp"
#include "rcs/session/platform_client.hpp"
#include "rcs/session/tls.hpp"

namespace passerelle::rcs {
namespace asio = boost::asio;

namespace {

// While the platform does not answer, it is asked again this often (and every send
// asks it anyway).
constexpr auto kProbeInterval = std::chrono::seconds(15);

}  // namespace

std::string RcsConnector::answer_words(const HttpAnswer& a) {
  if (a.status == kNoAnswer) return a.error.empty() ? "no answer" : a.error;
  const ErrorBody body = parse_error_body(a.body);
  return body.message.empty() ? "HTTP " + std::to_string(a.status)
                              : "HTTP " + std::to_string(a.status) + ": " + body.message;
}

RcsConnector::RcsConnector(asio::io_context& io, const config::RcsPlatform& platform,
                           const config::RcsSection& section, EventSink& sink,
                           std::shared_ptr<RcsHub> hub, std::shared_ptr<FileShare> files,
                           std::chrono::seconds file_ttl, asio::any_io_executor disk)
    : name_("rcs:" + platform.name),
      platform_(platform),
      fallback_after_ms_(static_cast<std::int64_t>(section.fallback_after_s) * 1000),
      sink_(sink),
      hub_(std::move(hub)),
      strand_(asio::make_strand(io)),
      caps_(static_cast<std::int64_t>(section.capability_ttl_s) * 1000),
      files_(std::move(files)),
      file_ttl_(file_ttl),
      disk_(disk ? std::move(disk) : io.get_executor()) {
  if (auto tls = make_tls_context(platform_.ca_file); tls.ok())
    tls_ = std::move(*tls);
  else
    setup_error_ = tls.error().message;
  // One client per chatbot (the bot is in every request's path), bot_id's first.
  std::vector<std::string> bots{platform_.bot_id};
  bots.insert(bots.end(), platform_.pool_bots.begin(), platform_.pool_bots.end());
  for (const auto& bot_id : bots) {
    if (!setup_error_.empty()) break;
    PlatformEndpoint ep;
    ep.name = platform_.name;
    ep.api_url = platform_.api_url;
    ep.bot_id = bot_id;
    ep.token = platform_.token;
    ep.client_secret = platform_.client_secret;
    ep.ca_file = platform_.ca_file;
    ep.timeout = std::chrono::milliseconds(platform_.timeout_ms);
    ep.max_connections = static_cast<std::size_t>(platform_.max_connections);
    auto client = PlatformClient::make(strand_, *tls_, std::move(ep));
    if (!client.ok()) {
      setup_error_ = client.error().message;
      break;
    }
    clients_[bot_id] = *client;
    if (!client_) client_ = *client;
  }
  status_.state = setup_error_.empty() ? LinkState::connecting : LinkState::failed;
  status_.detail = setup_error_;
}

RcsConnector::~RcsConnector() = default;

passerelle::Capabilities RcsConnector::capabilities() const {
  passerelle::Capabilities c;
  c.max_text_bytes = 64 * 1024;
  c.typing = true;
  c.receipts = true;  // messageStatus delivered / displayed follow the send's answer
  c.read_markers = true;
  c.files = files_ != nullptr;  // uploaded to the platform and sent as files
  c.max_file_bytes = static_cast<std::uint64_t>(platform_.max_file_size);
  c.ids_are_delivery_ids = true;  // msgId = the delivery id
  return c;
}

Address RcsConnector::bot_address(const std::string& bot_id) const {
  return Address{Network::rcs, bot_id + '@' + platform_.name};
}

// The client of the chatbot `bot` (rcs:<bot>@<platform>); bot_id's for any other address.
std::shared_ptr<PlatformClient> RcsConnector::client_for(const Address& bot) const {
  const std::string suffix = '@' + platform_.name;
  if (bot.id.size() > suffix.size() && bot.id.ends_with(suffix))
    if (auto it = clients_.find(bot.id.substr(0, bot.id.size() - suffix.size()));
        it != clients_.end())
      return it->second;
  return client_;
}

void RcsConnector::start() {
  asio::post(strand_, [this] {
    if (!setup_error_.empty()) {
      spdlog::error("{}: cannot start: {}", name_, setup_error_);
      return;
    }
    if (auto st = hub_->start_once(); !st.ok()) {
      set_state(LinkState::failed, st.error().message);
      spdlog::error("{}: {}", name_, st.error().message);
      return;
    }
    spdlog::info("{}: chatbot {} on {}", name_, platform_.bot_id, platform_.api_url);
    asio::co_spawn(strand_, probe(), asio::detached);
  });
}

void RcsConnector::stop(std::function<void()> done) {
  asio::post(strand_, [this, done = std::move(done)] {
    stopping_ = true;
    if (probe_timer_) probe_timer_->cancel();
    for (auto& [id, w] : watched_) w.timer->cancel();
    watched_.clear();
    for (auto& [bot_id, client] : clients_) client->stop();
    hub_->release();
    set_state(LinkState::disabled, "stopped");
    done();
  });
}

ConnectorStatus RcsConnector::status() const {
  std::lock_guard lock(status_mutex_);
  ConnectorStatus s = status_;
  s.queue_depth = in_flight_;
  return s;
}

void RcsConnector::set_state(LinkState s, std::string detail) {
  std::lock_guard lock(status_mutex_);
  if (status_.state == s && status_.detail == detail) return;
  if (s == LinkState::backing_off && status_.state == LinkState::up) ++status_.reconnects;
  status_.state = s;
  status_.detail = std::move(detail);
  sink_.publish(AccountStateEvent{name_, {}, s, status_.detail});
}

// Any HTTP answer but a server error says the platform is there; no answer or 5xx says it
// is not (visible on /readyz until it answers again).
void RcsConnector::note_answer(int http_status, const std::string& error) {
  if (http_status == kNoAnswer || http_status >= 500) {
    set_state(LinkState::backing_off,
              http_status == kNoAnswer ? error : "HTTP " + std::to_string(http_status));
    if (!probing_) asio::co_spawn(strand_, probe(), asio::detached);
  } else if (http_status == 401 || http_status == 403) {
    set_state(LinkState::failed, "the platform refuses the bot's credentials (HTTP " +
                                     std::to_string(http_status) + "): check token");
  } else {
    set_state(LinkState::up, {});
  }
}

// Asks the platform for a message that does not exist: any answer but a server error or
// a refused token shows the platform and the credentials work.
asio::awaitable<void> RcsConnector::probe() {
  if (!probe_timer_) probe_timer_ = std::make_unique<asio::steady_timer>(strand_);
  if (probing_) co_return;
  probing_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{probing_};
  while (!stopping_) {
    std::string probe_id = "passerelle-probe-" + new_ulid();
    const HttpAnswer a = co_await client_->message_status(std::move(probe_id));
    if (stopping_) co_return;
    note_answer(a.status, a.error);
    if (a.status != kNoAnswer && a.status < 500) co_return;
    probe_timer_->expires_after(kProbeInterval);
    boost::system::error_code ec;
    co_await probe_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

void RcsConnector::send(OutboundEvent event) {
  asio::post(strand_, [this, event = std::move(event)]() mutable {
    std::visit(overloaded{
                   [this](OutboundMessage& m) {
                     if (stopping_ || !client_ || in_flight_ >= kMaxInFlight) {
                       report({name_,
                               m.delivery_id,
                               {},
                               DeliveryState::failed,
                               {},
                               stopping_ || !client_ ? "the RCS connector is not running"
                                                     : "too many RCS messages in flight",
                               0,
                               true});
                       return;
                     }
                     ++in_flight_;
                     asio::co_spawn(strand_, deliver(std::move(m)), asio::detached);
                   },
                   [this](OutboundChatState& c) {
                     if (!stopping_ && client_)
                       asio::co_spawn(strand_, typing(c.to.id, c.state, client_for(c.from)),
                                      asio::detached);
                   },
                   [](auto&) {},  // receipts, errors, presence: phones have none of these
               },
               event);
  });
}

void RcsConnector::resume_watch(OutboundWatch w) {
  asio::post(strand_, [this, w = std::move(w)] {
    if (stopping_ || !client_ || fallback_after_ms_ <= 0) return;
    const auto left = std::max<std::int64_t>(0, w.acked_ms + fallback_after_ms_ - now_ms());
    watch(w.delivery_id, std::chrono::milliseconds(left), client_for(w.from));
  });
}

void RcsConnector::report(DeliveryReport r) {
  r.connector = name_;
  sink_.publish(std::move(r));
}

asio::awaitable<std::optional<Capability>> RcsConnector::capability(std::string number,
                                                                    std::string& why_not) {
  if (auto c = caps_.find(number, now_ms())) co_return c;
  const HttpAnswer a = co_await client_->capabilities(number);
  note_answer(a.status, a.error);
  switch (classify(Call::capabilities, a.status)) {
    case Outcome::ok: {
      auto parsed = parse_capabilities(a.body);
      if (!parsed.ok()) {
        why_not = "unreadable capability answer: " + parsed.error().message;
        co_return std::nullopt;
      }
      Capability c{parsed->chat(), parsed->file_transfer()};
      caps_.put(number, c, now_ms());
      co_return c;
    }
    case Outcome::not_rcs_capable: {
      Capability none{};
      caps_.put(number, none, now_ms());
      co_return none;
    }
    default:
      why_not = "capability query: " + answer_words(a);
      co_return std::nullopt;
  }
}

asio::awaitable<void> RcsConnector::deliver(OutboundMessage m) {
  struct Done {
    std::size_t& n;
    ~Done() { --n; }
  } done{in_flight_};
  const std::string number = m.to.id;
  std::string why_not;
  auto cap = co_await capability(number, why_not);
  if (stopping_) co_return;
  if (!cap) {
    report({{}, m.delivery_id, {}, DeliveryState::failed, {}, why_not, 0, true});
    co_return;
  }
  if (!cap->chat) {
    DeliveryReport r{{}, m.delivery_id,
                     {}, DeliveryState::failed,
                     {}, number + " has no RCS on " + platform_.name};
    r.recipient_offline = true;
    report(std::move(r));
    co_return;
  }
  auto client = client_for(m.from);  // the chatbot the router chose
  if (!m.attachments.empty() && files_ && cap->file_transfer) {
    co_await deliver_file(std::move(m), std::move(client));
    co_return;
  }
  // Files to a phone that cannot take them (or with no files directory): as links.
  Envelope env{number, m.delivery_id, {}};
  std::string text = with_attachment_lines(m.body, m.attachments);
  auto chips = m.kind == MessageKind::notice ? command_replies(text) : std::vector<Suggestion>{};
  // Named, not a temporary in the co_await expression (GCC 12 mishandles those).
  auto body = build_text_message(env, TextMessage{std::move(text), std::move(chips)});
  co_await send_body(m, std::move(body), std::move(client));
}

// Sends the request body of delivery m (or reports why it could not be built).
asio::awaitable<void> RcsConnector::send_body(const OutboundMessage& m, Result<std::string> body,
                                              std::shared_ptr<PlatformClient> client) {
  if (!body.ok()) {
    report({{}, m.delivery_id, {}, DeliveryState::failed, {}, body.error().message});
    co_return;
  }
  const HttpAnswer a = co_await post(client, m.delivery_id, std::move(*body));
  if (stopping_) co_return;
  on_send_answer(m, a, client);
}

asio::awaitable<HttpAnswer> RcsConnector::post(std::shared_ptr<PlatformClient> client,
                                               std::string msg_id, std::string body) {
  HttpAnswer a = co_await client->send_message(std::move(body));
  if (a.status != 409 || stopping_) co_return a;
  std::string id = msg_id;
  const HttpAnswer known = co_await client->message_status(std::move(id));
  if (known.status < 200 || known.status > 299) co_return a;
  spdlog::info("{}: message {} was taken by an earlier attempt (409 on sending it again)", name_,
               msg_id);
  a.status = 200;
  a.body = known.body;
  co_return a;
}

// The platform's answer to the message of delivery m (msgId = the delivery id).
void RcsConnector::on_send_answer(const OutboundMessage& m, const HttpAnswer& a,
                                  const std::shared_ptr<PlatformClient>& client) {
  const std::string& number = m.to.id;
  note_answer(a.status, a.error);
  switch (classify(Call::send, a.status)) {
    case Outcome::ok: {
      DeliveryReport r{{}, m.delivery_id, {}, DeliveryState::acked};
      r.network_ids = {m.delivery_id};
      report(std::move(r));
      watch(m.delivery_id, std::chrono::milliseconds(fallback_after_ms_), client);
      return;
    }
    case Outcome::not_rcs_capable: {
      caps_.put(number, Capability{}, now_ms());
      DeliveryReport r{{}, m.delivery_id,
                       {}, DeliveryState::failed,
                       {}, number + " has no RCS on " + platform_.name};
      r.recipient_offline = true;
      r.protocol_status = a.status;
      report(std::move(r));
      return;
    }
    default: {
      const Error e = to_error(Call::send, a.status, parse_error_body(a.body));
      report({{},
              m.delivery_id,
              {},
              DeliveryState::failed,
              {},
              answer_words(a),
              a.status,
              e.retryable && !a.invalid_request});
      return;
    }
  }
}

asio::awaitable<void> RcsConnector::typing(std::string number, ChatState state,
                                           std::shared_ptr<PlatformClient> client) {
  // Only to a phone known to have RCS: typing never triggers a capability query.
  auto cap = caps_.find(number, now_ms());
  if (!cap || !cap->chat) co_return;
  auto body = build_typing(number, typing_for(state));
  if (!body.ok()) co_return;
  const HttpAnswer a = co_await client->send_message(std::move(*body));
  if (a.status < 200 || a.status >= 300)
    spdlog::debug("{}: typing to {}: {}", name_, number, answer_words(a));
}

void RcsConnector::watch(const std::string& msg_id, std::chrono::milliseconds within,
                         std::shared_ptr<PlatformClient> client) {
  if (fallback_after_ms_ <= 0 || stopping_) return;
  if (watched_.size() >= kMaxWatched) {
    watched_.begin()->second.timer->cancel();
    watched_.erase(watched_.begin());
  }
  auto& w = watched_[msg_id];
  w.client = std::move(client);
  w.timer = std::make_unique<asio::steady_timer>(strand_);
  w.timer->expires_after(within);
  w.timer->async_wait([this, msg_id](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    asio::co_spawn(strand_, revoke(msg_id), asio::detached);
  });
}

void RcsConnector::unwatch(const std::string& msg_id) {
  auto it = watched_.find(msg_id);
  if (it == watched_.end()) return;
  it->second.timer->cancel();
  watched_.erase(it);
}

// Not delivered in time: take it back, then the router sends it by SMS. Only a revoke the
// platform confirmed leads to the SMS, so the phone never gets both (but see
// late_revoke in tests/peers/rcs/README.md: a platform may confirm a revoke that came too
// late; its "delivered" then arrives for a delivery already closed and changes nothing).
asio::awaitable<void> RcsConnector::revoke(std::string msg_id) {
  auto it = watched_.find(msg_id);
  if (it == watched_.end()) co_return;
  const auto client = it->second.client;  // the chatbot that sent it
  for (int attempt = 1; attempt <= 3 && !stopping_; ++attempt) {
    std::string revoke_body = build_revoke();
    const HttpAnswer a = co_await client->set_status(msg_id, std::move(revoke_body));
    if (stopping_ || watched_.find(msg_id) == watched_.end()) co_return;  // status came first
    note_answer(a.status, a.error);
    switch (classify(Call::revoke, a.status)) {
      case Outcome::ok: {
        unwatch(msg_id);
        DeliveryReport r{
            {},
            {},
            msg_id,
            DeliveryState::failed,
            {},
            "not delivered within " + std::to_string(fallback_after_ms_ / 1000) + " s; revoked"};
        r.recipient_offline = true;
        spdlog::info("{}: message {} not delivered in time; revoked", name_, msg_id);
        report(std::move(r));
        co_return;
      }
      case Outcome::too_late:
        spdlog::info("{}: message {} could not be revoked (already delivered or failed)", name_,
                     msg_id);
        unwatch(msg_id);
        co_return;
      case Outcome::retryable: {
        asio::steady_timer t(strand_);
        t.expires_after(std::chrono::seconds(5 * attempt));
        boost::system::error_code ec;
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      default:
        spdlog::warn("{}: revoking message {}: {}", name_, msg_id, answer_words(a));
        unwatch(msg_id);
        co_return;
    }
  }
  unwatch(msg_id);
}

void RcsConnector::on_event(std::string bot_id, Event event, std::function<void(Status)> done) {
  asio::post(strand_, [this, bot_id = std::move(bot_id), event = std::move(event),
                       done = std::move(done)]() mutable {
    dispatch_event(bot_address(bot_id.empty() ? platform_.bot_id : bot_id), std::move(event),
                   std::move(done));
  });
}

void RcsConnector::publish_message(const Address& bot, const EventMeta& meta, std::string body,
                                   std::vector<Attachment> attachments,
                                   std::function<void(Status)> done) {
  // A phone writing over RCS has it.
  caps_.put(meta.contact.number, Capability{true, true}, now_ms());
  InboundMessage m;
  m.connector = name_;
  m.from = Address{Network::rcs, meta.contact.number};
  m.to = bot;
  m.body = std::move(body);
  m.attachments = std::move(attachments);
  m.origin_id = meta.msg_id;
  m.received_ms = now_ms();
  m.ack = std::move(done);
  sink_.publish(std::move(m));
}

void RcsConnector::dispatch_event(const Address& bot, Event event,
                                  std::function<void(Status)> done) {
  if (stopping_) return done(Error::transient("the bridge is stopping"));
  if (auto text = inbound_text(event)) {
    const auto* meta = std::visit(
        [](const auto& e) -> const EventMeta* {
          if constexpr (std::is_base_of_v<EventMeta, std::decay_t<decltype(e)>>)
            return &e;
          else
            return nullptr;
        },
        event);
    if (meta == nullptr || meta->contact.number.empty()) {
      spdlog::info("{}: message without a phone number (group chats are not bridged yet)", name_);
      return done({});
    }
    auto* file = std::get_if<InboundFile>(&event);
    if (file == nullptr || !files_)
      return publish_message(bot, *meta, std::move(*text), {}, std::move(done));
    if (auto it = recent_files_.find(file->msg_id); it != recent_files_.end())
      return publish_message(bot, *meta, {}, {it->second}, std::move(done));
    auto [waiting, fresh] = fetching_.try_emplace(file->msg_id);
    waiting->second.push_back(std::move(done));
    if (fresh) asio::co_spawn(strand_, receive_file(bot, std::move(*file)), asio::detached);
    return;
  }
  std::visit(
      overloaded{
          [&](const StatusEvent& s) {
            if (!s.status) {
              spdlog::info("{}: status {} of message {} is not one the API defines; ignored", name_,
                           detail::quote(s.status_word), detail::quote(s.msg_id));
              return;
            }
            if (*s.status == DeliveryStatus::delivered || *s.status == DeliveryStatus::displayed ||
                *s.status == DeliveryStatus::failed)
              unwatch(s.msg_id);
            auto state = delivery_state(*s.status);
            if (!state) return;
            DeliveryReport r{{}, {}, s.msg_id, *state};
            if (*state == DeliveryState::failed) {
              r.reason = s.reason.empty() ? "the platform reports it failed" : s.reason;
              r.recipient_offline = true;  // SMS instead
            }
            // Answered once the state (and an SMS sent instead) is stored.
            r.ack = std::move(done);
            done = nullptr;
            report(std::move(r));
          },
          [&](const TypingEvent& t) {
            if (t.contact.number.empty()) return;
            sink_.publish(InboundChatState{name_, Address{Network::rcs, t.contact.number}, bot,
                                           chat_state_for(t.state)});
          },
          [&](const NewUser& n) {
            spdlog::info("{}: {} opened a conversation with the chatbot", name_, n.contact.number);
          },
          [&](const FileStatusEvent& f) { on_file_status(f.file); },
          [&](const UnknownEvent& u) {
            spdlog::info("{}: event {} ignored", name_, detail::quote(u.event));
          },
          [](const auto&) {},
      },
      event);
  if (done) done({});
}

}  // namespace passerelle::rcs
