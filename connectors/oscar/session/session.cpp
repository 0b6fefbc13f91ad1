// OscarSession: login, the connection loop, reconnects, the rate-class send queues and
// delivery bookkeeping. The signed-on protocol is in session_bos.cpp.
#include "oscar/session/session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "common/retry.hpp"
#include "oscar/codec/bucp.hpp"
#include "oscar/codec/families.hpp"
#include "oscar/convert/convert.hpp"

namespace passerelle::oscar {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kConnectTimeout = std::chrono::seconds(15);
constexpr auto kLoginTimeout = std::chrono::seconds(60);

std::uint16_t random_sequence() {
  std::random_device rd;
  return static_cast<std::uint16_t>(rd() & 0x7FFF);
}

EndKind login_end_kind(std::uint16_t code) {
  switch (code) {
    case login_error::invalid_name_or_password:
    case login_error::incorrect_name_or_password:
    case login_error::mismatch_name_or_password:
      return EndKind::wrong_password;
    case login_error::invalid_account:
    case login_error::deleted_account:
    case login_error::expired_account:
    case login_error::suspended_account:
    case login_error::suspended_age:
      return EndKind::account;
    default:
      return EndKind::transient;
  }
}

// "host:port" from a login reply; the port defaults to the authorizer's.
std::pair<std::string, int> split_host_port(const std::string& s, int default_port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return {s, default_port};
  int port = default_port;
  try {
    port = std::stoi(s.substr(colon + 1));
  } catch (...) {
  }
  return {s.substr(0, colon), port};
}

}  // namespace

OscarSession::OscarSession(const Strand& strand, SessionOwner& owner, std::string connector,
                           const config::OscarSection& section,
                           const config::LegacyAccount& account,
                           std::shared_ptr<spdlog::logger> log)
    : strand_(strand),
      owner_(owner),
      connector_(std::move(connector)),
      section_(section),
      account_(account),
      log_(std::move(log)),
      login_(normalize_screen_name(account.login)),
      icq_(account.network == "icq" || is_uin(login_)),
      self_(Address{icq_ ? Network::icq : Network::aim, login_}),
      pump_timer_(strand),
      wait_timer_(strand),
      tick_timer_(strand) {
  if (auto a = make_address(self_.network, login_); a.ok()) self_ = *a;
}

OscarSession::~OscarSession() = default;

std::uint64_t OscarSession::now_ms() const {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - epoch_).count());
}

void OscarSession::start() {
  auto self = shared_from_this();
  asio::co_spawn(
      strand_, [self] { return self->run(); }, asio::detached);
}

void OscarSession::stop(std::function<void()> done) {
  stopping_ = true;
  stopped_ = std::move(done);
  wait_timer_.cancel();
  tick_timer_.cancel();
  pump_timer_.cancel();
  if (conn_ && !conn_->closed()) {
    if (online_) (void)conn_->send_flap(channel::close, {});
    conn_->close("the bridge is stopping");
  }
}

void OscarSession::set_state(LinkState s, std::string reason) {
  if (s == state_ && reason == reason_) return;
  state_ = s;
  reason_ = std::move(reason);
  owner_.on_account_state(*this);
}

asio::awaitable<void> OscarSession::run() {
  auto self = shared_from_this();
  int attempt = 0;
  while (!stopping_) {
    // Servers limit logins per second and per address: accounts take turns.
    const auto slot = owner_.login_slot();
    if (slot > Clock::now()) {
      wait_timer_.expires_at(slot);
      co_await wait_timer_.async_wait(use_tuple);
      if (stopping_) break;
    }
    set_state(LinkState::connecting,
              "connecting to " + (account_.host.empty() ? section_.host : account_.host));
    End end = co_await connect_once();
    if (stopping_) break;
    const bool was_online = online_;
    went_offline(end.reason);
    const EndClass cls = end.kind == EndKind::wrong_password || end.kind == EndKind::account
                             ? EndClass::refused
                         : end.kind == EndKind::other_location ? EndClass::elsewhere
                                                               : EndClass::transient;
    const RetryPlan plan = plan_retry(cls, end.reason, was_online, attempt,
                                      section_.reconnect_initial_ms, section_.reconnect_max_ms);
    if (plan.wait_ms < 0) {
      log_->error("{}: {}", login_, plan.log);
      set_state(plan.state, plan.reason);
      wait_timer_.expires_at(Clock::time_point::max());
      co_await wait_timer_.async_wait(use_tuple);
      break;
    }
    ++reconnects_;
    log_->warn("{}: {}", login_, plan.log);
    set_state(plan.state, plan.reason);
    wait_timer_.expires_after(std::chrono::milliseconds(plan.wait_ms));
    co_await wait_timer_.async_wait(use_tuple);
  }
  went_offline("the bridge is stopping");
  set_state(LinkState::disabled, "stopped");
  if (stopped_) std::exchange(stopped_, nullptr)();
}

asio::awaitable<End> OscarSession::connect_once() {
  const std::string host = account_.host.empty() ? section_.host : account_.host;
  const int port = account_.port ? account_.port : section_.port;
  auto reply = co_await authorize(host, port);
  if (stopping_) co_return End{EndKind::stopped, "stopping"};
  if (!reply) co_return End{EndKind::transient, reply.error().message};
  if (!reply->success()) {
    const std::uint16_t code = reply->error_code.value_or(login_error::other);
    co_return End{login_end_kind(code), reply->failure().message};
  }
  const auto bos = split_host_port(*reply->bos_address, port);
  const std::string bos_host = bos.first;
  const int bos_port = bos.second;

  auto conn = std::make_shared<FlapConn>(strand_, random_sequence());
  conn_ = conn;
  end_.reset();
  ++generation_;
  if (auto st = co_await conn->connect(bos_host, bos_port, kConnectTimeout); !st)
    co_return End{EndKind::transient, st.error().message};
  if (stopping_) co_return End{EndKind::stopped, "stopping"};
  // The server speaks first (channel-1 hello); we answer with the cookie.
  auto hello = co_await conn->read();
  if (!hello) co_return End{EndKind::transient, hello.error().message};
  Bytes payload;
  if (auto st = append_hello(payload, *reply->cookie); !st)
    co_return End{EndKind::transient, st.error().message};
  (void)conn->send_flap(channel::login, payload);

  asio::steady_timer guard(strand_, kLoginTimeout);
  guard.async_wait([this, conn](boost::system::error_code ec) {
    if (!ec && !online_) conn->close("the server did not finish the sign-on in time");
  });
  auto self = shared_from_this();
  asio::co_spawn(
      strand_, [self, conn] { return self->keepalive_loop(conn); }, asio::detached);
  while (!end_) {
    auto frame = co_await conn->read();
    if (!frame) break;
    switch (frame->channel) {
      case channel::snac: {
        auto snac = parse_snac(frame->payload);
        if (!snac) {
          log_->warn("{}: malformed SNAC from the server: {}", login_, snac.error().message);
          break;
        }
        on_snac(*snac);
        break;
      }
      case channel::close: {
        auto r = parse_auth_reply(frame->payload);
        if (r && r->disconnect_code == disconnect::other_login)
          end_ = End{EndKind::other_location, "signed on from another location"};
        else if (r && r->disconnect_code)
          end_ = End{EndKind::transient, std::string("disconnected by the server: ") +
                                             disconnect_reason(*r->disconnect_code)};
        else if (r && r->error_code)
          end_ = End{login_end_kind(*r->error_code), r->failure().message};
        else
          end_ = End{EndKind::transient, "disconnected by the server"};
        break;
      }
      default:
        break;  // keep-alives, FLAP errors
    }
  }
  guard.cancel();
  conn->close(end_ ? end_->reason : "done");
  if (end_) co_return *end_;
  const std::string why = conn->close_reason();
  co_return End{EndKind::transient, why.empty() ? "connection lost" : why};
}

asio::awaitable<Result<AuthReply>> OscarSession::authorize(const std::string& host, int port) {
  auto conn = std::make_shared<FlapConn>(strand_, random_sequence());
  conn_ = conn;
  if (auto st = co_await conn->connect(host, port, kConnectTimeout); !st) co_return st.error();
  if (stopping_) co_return Error::transient("stopping");
  asio::steady_timer guard(strand_, kLoginTimeout);
  guard.async_wait([conn](boost::system::error_code ec) {
    if (!ec) conn->close("the login server did not answer in time");
  });
  auto hello = co_await conn->read();
  if (!hello) co_return hello.error();
  // Not a conditional expression: GCC 12 miscompiles co_await inside ?:.
  Result<AuthReply> r = Error::transient("no login");
  if (account_.login_method == "password")
    r = co_await roast_login(conn);
  else
    r = co_await md5_login(conn);
  guard.cancel();
  conn->close("login done");
  co_return r;
}

asio::awaitable<Result<AuthReply>> OscarSession::md5_login(const std::shared_ptr<FlapConn>& c) {
  Bytes p;
  (void)append_hello(p);
  (void)c->send_flap(channel::login, p);
  Bytes body;
  if (auto st = append_challenge_request(body, login_); !st) co_return st.error();
  (void)c->send_snac(SnacHeader{family::bucp, bucp::challenge_request, 0, next_request_++}, body);
  std::optional<std::string> key;
  for (;;) {
    auto f = co_await c->read();
    if (!f) co_return f.error();
    if (f->channel == channel::close) co_return parse_auth_reply(f->payload);
    if (f->channel != channel::snac) continue;
    auto s = parse_snac(f->payload);
    if (!s) co_return s.error();
    if (s->is(family::bucp, bucp::challenge_response)) {
      auto k = parse_challenge_response(s->body);
      if (!k) co_return k.error();
      auto hash = bucp_strong_hash(*k, account_.password);
      if (!hash) co_return hash.error();
      LoginRequest req;
      req.screen_name = login_;
      req.password_hash = *hash;
      req.strong_hash = true;
      body.clear();
      if (auto st = append_login_request(body, req); !st) co_return st.error();
      (void)c->send_snac(SnacHeader{family::bucp, bucp::login_request, 0, next_request_++}, body);
      key = *k;
    } else if (s->is(family::bucp, bucp::login_response)) {
      co_return parse_auth_reply(s->body);
    } else if (s->header.subtype == kSnacErrorSubtype) {
      auto e = parse_snac_error(s->body);
      co_return snac_failure(s->header.family, e ? e->code : 0);
    }
  }
}

asio::awaitable<Result<AuthReply>> OscarSession::roast_login(const std::shared_ptr<FlapConn>& c) {
  Bytes p;
  if (auto st = append_icq_login(p, login_, account_.password, ClientIdent{}); !st)
    co_return st.error();
  (void)c->send_flap(channel::login, p);
  for (;;) {
    auto f = co_await c->read();
    if (!f) co_return f.error();
    if (f->channel == channel::close) co_return parse_auth_reply(f->payload);
  }
}

asio::awaitable<void> OscarSession::keepalive_loop(std::shared_ptr<FlapConn> c) {
  auto self = shared_from_this();
  asio::steady_timer t(strand_);
  while (!c->closed() && !stopping_) {
    t.expires_after(std::chrono::seconds(5));
    co_await t.async_wait(use_tuple);
    if (c->closed() || stopping_) break;
    expire_deliveries();
    if (Clock::now() - c->last_rx() > kKeepAlive && online_) {
      (void)c->send_flap(channel::keepalive, {});
    }
    // Up but not carrying anything: the server has not read what we wrote for a while
    // (DESIGN.md §8: stalled, not healthy). It clears once the socket drains.
    if (online_ && c->queued_bytes() > 0) {
      if (!stuck_since_) stuck_since_ = Clock::now();
      if (Clock::now() - *stuck_since_ > kStall && state_ == LinkState::up)
        set_state(LinkState::stalled, "the server has not read what the bridge sent for " +
                                          std::to_string(kStall.count()) + " s");
    } else {
      stuck_since_.reset();
      if (online_ && state_ == LinkState::stalled) set_state(LinkState::up, "");
    }
  }
}

void OscarSession::went_offline(const std::string& reason) {
  const bool was = online_;
  online_ = false;
  stuck_since_.reset();
  fail_all(reason.empty() ? "connection lost" : reason);
  rates_ = RateLimiter{};
  pump_timer_.cancel();
  pump_armed_ = false;
  locate_requests_.clear();
  feedbag_ops_.clear();
  feedbag_.clear();
  feedbag_done_ = false;
  families_.clear();
  offline_pending_ = 0;
  offline_received_ = 0;
  offline_done_ = false;
  offline_failed_ = false;
  if (was) {
    // Our buddies are no longer known to be online: say so to the person's client.
    for (auto& [norm, b] : buddies_) {
      if (!b.online) continue;
      b.online = false;
      InboundPresence pr{connector_, buddy_address(norm), self_, offline_presence()};
      owner_.publish(std::move(pr));
    }
  }
  buddies_.clear();
}

// ---- the send queues --------------------------------------------------------------

std::uint32_t OscarSession::send(std::uint16_t family, std::uint16_t subtype, Bytes body,
                                 std::uint64_t cookie) {
  const std::uint32_t rid = next_request_++;
  if (next_request_ == 0x80000000u) next_request_ = 1;  // servers use the high half
  const std::uint16_t cls = rates_.class_of(family, subtype);
  queues_[cls].push_back(PendingSnac{SnacHeader{family, subtype, 0, rid}, std::move(body), cookie});
  ++queued_snacs_;
  pump();
  return rid;
}

void OscarSession::pump() {
  if (!conn_ || conn_->closed()) return;
  const std::uint64_t now = now_ms();
  std::uint64_t soonest = UINT64_MAX;
  for (auto& [cls, q] : queues_) {
    while (!q.empty()) {
      const std::uint64_t w = cls ? rates_.wait_ms(cls, now) : 0;
      if (w > 0) {
        soonest = std::min(soonest, w);
        break;
      }
      PendingSnac p = std::move(q.front());
      q.pop_front();
      --queued_snacs_;
      if (cls) rates_.on_sent(cls, now);
      if (!conn_->send_snac(p.header, p.body)) {
        if (p.cookie) {
          if (auto it = deliveries_.find(p.cookie); it != deliveries_.end()) {
            report(it->second, DeliveryState::failed, "connection lost before sending", true);
            deliveries_.erase(it);
          }
        }
        continue;
      }
      if (p.cookie) {
        if (auto it = deliveries_.find(p.cookie); it != deliveries_.end()) {
          it->second.written = true;
          it->second.deadline = Clock::now() + kDeliveryTimeout;
          report(it->second, DeliveryState::acked);
        }
      }
    }
  }
  if (soonest != UINT64_MAX && !pump_armed_) {
    pump_armed_ = true;
    pump_timer_.expires_after(std::chrono::milliseconds(soonest));
    pump_timer_.async_wait([this, self = shared_from_this()](boost::system::error_code ec) {
      pump_armed_ = false;
      if (!ec && !stopping_) pump();
    });
  }
}

// ---- delivery reports -------------------------------------------------------------

void OscarSession::report(Delivery& d, DeliveryState st, std::string reason, bool retryable,
                          bool offline, int status) {
  if (d.delivery_id.empty()) return;
  DeliveryReport r;
  r.connector = connector_;
  r.delivery_id = d.delivery_id;
  r.network_id = cookie_hex(d.cookie);
  if (st == DeliveryState::acked) r.network_ids.push_back(r.network_id);
  r.state = st;
  r.reason = std::move(reason);
  r.retryable = retryable;
  r.recipient_offline = offline;
  r.protocol_status = status;
  owner_.publish(std::move(r));
}

void OscarSession::fail_all(const std::string& reason) {
  for (auto& [cookie, d] : deliveries_) {
    if (d.written)
      report(d, DeliveryState::unknown, "connection lost before the server answered: " + reason);
    else
      report(d, DeliveryState::failed, reason, true);
  }
  deliveries_.clear();
  by_request_.clear();
  queues_.clear();
  queued_snacs_ = 0;
}

void OscarSession::expire_deliveries() {
  const auto now = Clock::now();
  for (auto it = deliveries_.begin(); it != deliveries_.end();) {
    if (it->second.written && it->second.deadline <= now) {
      report(it->second, DeliveryState::unknown, "no answer from the server");
      by_request_.erase(it->second.request_id);
      it = deliveries_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace passerelle::oscar
