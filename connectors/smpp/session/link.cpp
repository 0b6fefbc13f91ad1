#include "smpp/session/link.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "delivery/backoff.hpp"
#include "smpp/codec/status.hpp"

namespace passerelle::smpp {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

auto log_exceptions(std::shared_ptr<spdlog::logger> log) {
  return [log](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      log->error("smpp coroutine ended with an exception: {}", x.what());
    }
  };
}

}  // namespace

Link::Link(Strand strand, const config::Smsc& cfg, BindRole role, LinkOwner& owner,
           std::shared_ptr<spdlog::logger> log)
    : strand_(std::move(strand)),
      cfg_(cfg),
      role_(role),
      owner_(owner),
      log_(std::move(log)),
      backoff_timer_(strand_) {}

const char* Link::role_name() const {
  switch (role_) {
    case BindRole::transceiver:
      return "transceiver";
    case BindRole::transmitter:
      return "transmitter";
    case BindRole::receiver:
      return "receiver";
  }
  return "?";
}

void Link::start() {
  asio::co_spawn(strand_, run(), log_exceptions(log_));
}

void Link::stop(std::function<void()> done) {
  stopping_ = true;
  stopped_ = std::move(done);
  backoff_timer_.cancel();
  if (!conn_ || conn_->closed) return;
  if (bound_) {
    asio::co_spawn(strand_, unbind(conn_), log_exceptions(log_));
  } else {
    close_conn(conn_, "stopping");
  }
}

void Link::close(const std::string& reason) {
  if (conn_) close_conn(conn_, reason);
}

std::size_t Link::outstanding() const {
  if (!conn_) return 0;
  std::size_t n = 0;
  for (const auto& [seq, p] : conn_->pending) {
    n += p.command_id != static_cast<std::uint32_t>(CommandId::enquire_link);
  }
  return n;
}

void Link::set_state(LinkState s, const std::string& reason) {
  state_ = s;
  owner_.on_link_state(*this, s, reason);
}

asio::awaitable<void> Link::run() {
  int attempt = 0;
  while (!stopping_) {
    set_state(LinkState::connecting, std::string("connecting as ") + role_name());
    auto c = std::make_shared<Conn>(strand_);
    conn_ = c;
    bound_ = false;
    stalled_ = false;
    std::string reason;

    asio::ip::tcp::resolver resolver(strand_);
    auto [rec, eps] =
        co_await resolver.async_resolve(cfg_.host, std::to_string(cfg_.port), use_tuple);
    if (rec) {
      reason = "resolve " + cfg_.host + ": " + rec.message();
    } else {
      asio::steady_timer guard(strand_, std::chrono::seconds(cfg_.response_timeout_s));
      guard.async_wait([c](boost::system::error_code ec) {
        if (!ec) c->socket.close();
      });
      auto [cec, ep] = co_await asio::async_connect(c->socket, eps, use_tuple);
      guard.cancel();
      if (cec || !c->socket.is_open()) {
        reason = "connect " + cfg_.host + ":" + std::to_string(cfg_.port) + ": " +
                 (cec ? cec.message() : "timed out");
      }
    }
    if (reason.empty() && !stopping_) {
      c->socket.set_option(asio::ip::tcp::no_delay(true));
      c->last_rx = Clock::now();
      asio::co_spawn(strand_, read_loop(c), log_exceptions(log_));
      asio::co_spawn(strand_, tick_loop(c), log_exceptions(log_));
      if (co_await bind(c, reason)) {
        bound_ = true;
        attempt = 0;
        log_->info("bound as {} to {}:{}", role_name(), cfg_.host, cfg_.port);
        set_state(LinkState::up, "");
        owner_.on_link_up(*this);
        c->closed_timer.expires_at(Clock::time_point::max());
        if (!c->closed) co_await c->closed_timer.async_wait(use_tuple);
        reason = c->close_reason;
        bound_ = false;
      }
    }
    close_conn(c, reason);
    if (stopping_) break;
    ++reconnects_;
    const auto wait_ms =
        backoff_ms(++attempt, cfg_.reconnect_initial_ms, cfg_.reconnect_max_ms, jitter_random());
    log_->warn("{}; reconnecting in {} ms", reason, wait_ms);
    set_state(LinkState::backing_off, reason);
    backoff_timer_.expires_after(std::chrono::milliseconds(wait_ms));
    co_await backoff_timer_.async_wait(use_tuple);
  }
  conn_.reset();
  set_state(LinkState::disabled, "stopped");
  if (stopped_) std::exchange(stopped_, nullptr)();
}

asio::awaitable<bool> Link::bind(std::shared_ptr<Conn> c, std::string& reason) {
  const CommandId id = role_ == BindRole::transceiver   ? CommandId::bind_transceiver
                       : role_ == BindRole::transmitter ? CommandId::bind_transmitter
                                                        : CommandId::bind_receiver;
  BindBody body{cfg_.system_id, cfg_.password, cfg_.system_type, kInterfaceVersion, 0, 0, ""};
  asio::steady_timer wait(strand_, Clock::time_point::max());
  std::optional<Pdu> resp;
  send_request(c, make_pdu(id, 0, std::move(body)), [&](const Pdu* p) {
    if (p) resp = *p;
    wait.cancel();
  });
  co_await wait.async_wait(use_tuple);
  if (!resp) {
    reason = c->closed
                 ? c->close_reason
                 : "no bind response within " + std::to_string(cfg_.response_timeout_s) + " s";
    if (reason.empty()) reason = "connection closed during bind";
    co_return false;
  }
  if (resp->command_status != status::ok) {
    reason = "bind refused: " + describe_status(resp->command_status);
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> Link::unbind(std::shared_ptr<Conn> c) {
  asio::steady_timer wait(strand_, Clock::time_point::max());
  send_request(c, make_pdu(CommandId::unbind, 0), [&](const Pdu*) { wait.cancel(); });
  co_await wait.async_wait(use_tuple);
  close_conn(c, "unbound");
}

asio::awaitable<void> Link::read_loop(std::shared_ptr<Conn> c) {
  std::array<std::uint8_t, 4096> buf;
  while (!c->closed) {
    auto [ec, n] = co_await c->socket.async_read_some(asio::buffer(buf), use_tuple);
    if (ec) {
      close_conn(c,
                 ec == asio::error::eof ? "SMSC closed the connection" : "read: " + ec.message());
      break;
    }
    c->last_rx = Clock::now();
    std::span<const std::uint8_t> in(buf.data(), n);
    while (!in.empty() && !c->closed) {
      auto step = c->decoder.decode(in);
      in = in.subspan(step.consumed);
      if (auto* pdu = std::get_if<Pdu>(&step.outcome)) {
        handle(c, std::move(*pdu));
      } else if (auto* e = std::get_if<DecodeError>(&step.outcome)) {
        if (e->fatal()) {
          log_->error("malformed PDU from SMSC, stream lost: {}; reconnecting", e->message);
          close_conn(c, "malformed PDU: " + e->message);
          break;
        }
        log_->warn("malformed {} (seq {}) from SMSC: {}; answering generic_nack {}",
                   command_name(e->command_id), e->sequence_number, e->message,
                   describe_status(e->status));
        if (!(e->command_id & kResponseBit) || e->code == DecodeErrc::unknown_command) {
          write(c, make_generic_nack(e->sequence_number, e->status));
        }
      }
    }
  }
}

// Writes what is queued, up to kMaxGather PDUs per system call (a burst of submit_sm
// from a window of 64 is one write, not 64).
asio::awaitable<void> Link::write_loop(std::shared_ptr<Conn> c) {
  constexpr std::size_t kMaxGather = 64;
  std::vector<std::vector<std::uint8_t>> batch;
  std::vector<asio::const_buffer> buffers;
  while (!c->out.empty() && !c->closed) {
    batch.clear();
    buffers.clear();
    while (!c->out.empty() && batch.size() < kMaxGather) {
      batch.push_back(std::move(c->out.front()));
      c->out.pop_front();
    }
    for (const auto& b : batch) buffers.push_back(asio::buffer(b));
    auto [ec, n] = co_await asio::async_write(c->socket, buffers, use_tuple);
    if (ec) close_conn(c, "write: " + ec.message());
  }
  c->writing = false;
}

// Wakes only when something is due: the next enquire_link, or the earliest response
// deadline (an idle bound link wakes once per enquire_link_s).
asio::awaitable<void> Link::tick_loop(std::shared_ptr<Conn> c) {
  auto& t = c->tick_timer;
  auto next_enquire = Clock::now() + std::chrono::seconds(cfg_.enquire_link_s);
  while (!c->closed) {
    auto wake = next_enquire;
    for (const auto& [seq, p] : c->pending) wake = std::min(wake, p.deadline);
    t.expires_at(wake);
    co_await t.async_wait(use_tuple);
    if (c->closed) break;
    const auto now = Clock::now();
    std::vector<std::function<void(const Pdu*)>> expired;
    for (auto it = c->pending.begin(); it != c->pending.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second.done));
        it = c->pending.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& f : expired) f(nullptr);
    if (!expired.empty()) owner_.on_window_change();

    if (bound_ && conn_ == c && now >= next_enquire) {
      next_enquire = now + std::chrono::seconds(cfg_.enquire_link_s);
      send_request(c, make_pdu(CommandId::enquire_link, 0), [this, c](const Pdu* p) {
        if (p) {
          c->missed_enquire = 0;
          if (stalled_ && !c->closed) {
            stalled_ = false;
            set_state(LinkState::up, "");
          }
          return;
        }
        if (c->closed) return;
        const auto why =
            "no enquire_link_resp within " + std::to_string(cfg_.response_timeout_s) + " s";
        if (++c->missed_enquire >= 2) {
          close_conn(c, why + ", twice");
          return;
        }
        log_->warn("link stalled: {}", why);
        stalled_ = true;
        set_state(LinkState::stalled, why);
      });
    }
  }
}

void Link::write(const std::shared_ptr<Conn>& c, const Pdu& pdu) {
  if (c->closed) return;
  std::vector<std::uint8_t> bytes;
  if (auto st = encode(pdu, bytes); !st) {
    log_->error("cannot encode {}: {}", command_name(pdu.command_id), st.error().message);
    return;
  }
  c->out.push_back(std::move(bytes));
  if (!c->writing) {
    c->writing = true;
    asio::co_spawn(strand_, write_loop(c), log_exceptions(log_));
  }
}

void Link::send_request(const std::shared_ptr<Conn>& c, Pdu pdu,
                        std::function<void(const Pdu*)> done) {
  // SMPP 3.4 §3.2: sequence numbers 0x00000001..0x7FFFFFFF.
  const std::uint32_t seq = c->next_seq;
  c->next_seq = c->next_seq >= 0x7FFFFFFF ? 1 : c->next_seq + 1;
  pdu.sequence_number = seq;
  const auto deadline = Clock::now() + std::chrono::seconds(cfg_.response_timeout_s);
  c->pending[seq] = Conn::Pending{pdu.command_id, deadline, std::move(done)};
  if (deadline < c->tick_timer.expiry()) c->tick_timer.cancel();  // the tick loop re-plans
  write(c, pdu);
}

bool Link::request(Pdu pdu, std::function<void(const Pdu*)> done) {
  if (!bound()) return false;
  send_request(conn_, std::move(pdu), std::move(done));
  return true;
}

void Link::respond(const std::shared_ptr<Conn>& conn, const Pdu& pdu) {
  if (conn && !conn->closed) write(conn, pdu);
}

void Link::handle(const std::shared_ptr<Conn>& c, Pdu pdu) {
  if (pdu.is_response()) {
    auto it = c->pending.find(pdu.sequence_number);
    if (it == c->pending.end()) {
      log_->debug("{} seq {} matches no request (late or unsolicited)",
                  command_name(pdu.command_id), pdu.sequence_number);
      return;
    }
    auto done = std::move(it->second.done);
    c->pending.erase(it);
    done(&pdu);
    owner_.on_window_change();
    return;
  }
  switch (pdu.id()) {
    case CommandId::enquire_link:
      write(c, make_response(pdu, status::ok));
      return;
    case CommandId::unbind:
      write(c, make_response(pdu, status::ok));
      close_conn(c, "SMSC unbound");
      return;
    case CommandId::deliver_sm:
    case CommandId::data_sm:
      if (role_ == BindRole::transmitter) {
        write(c, make_response(pdu, status::invalid_bind_status));
        return;
      }
      owner_.on_request(*this, c, std::move(pdu));
      return;
    default:
      log_->warn("unexpected {} from SMSC; answering generic_nack", command_name(pdu.command_id));
      write(c, make_generic_nack(pdu.sequence_number, status::invalid_cmd_id));
      return;
  }
}

void Link::close_conn(const std::shared_ptr<Conn>& c, const std::string& reason) {
  if (!c || c->closed) return;
  c->closed = true;
  c->close_reason = reason;
  boost::system::error_code ignored;
  c->socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  c->socket.close(ignored);
  c->closed_timer.cancel();
  c->tick_timer.cancel();
  auto pending = std::move(c->pending);
  c->pending.clear();
  for (auto& [seq, p] : pending) p.done(nullptr);
  if (!pending.empty()) owner_.on_window_change();
}

}  // namespace passerelle::smpp
