#include "msn/session/switchboard.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "msn/codec/errors.hpp"

namespace passerelle::msn {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// A switchboard that does not reach "joined" in this time is given up.
constexpr auto kJoinTimeout = std::chrono::seconds(30);
}  // namespace

Switchboard::Switchboard(const Strand& strand, SwitchboardOwner& owner,
                         std::shared_ptr<spdlog::logger> log, Params p)
    : strand_(strand),
      owner_(owner),
      log_(std::move(log)),
      p_(std::move(p)),
      conn_(std::make_shared<MsnpConn>(strand, Grammar::server(p_.version))),
      idle_timer_(strand) {}

void Switchboard::start() {
  auto self = shared_from_this();
  asio::co_spawn(
      strand_, [self] { return self->run(); }, asio::detached);
  asio::co_spawn(
      strand_, [self] { return self->idle_loop(); }, asio::detached);
}

std::uint32_t Switchboard::send_msg(AckMode mode, std::string mime) {
  if (!joined_ || ended_) return 0;
  const std::uint32_t t = ++trid_;
  if (!conn_->send(make_msg(t, mode, std::move(mime)))) return 0;
  last_use_ = Clock::now();
  return t;
}

void Switchboard::close(SbEnd end, const std::string& reason) {
  if (ended_ || conn_->closed()) return;
  end_ = end;
  end_reason_ = reason;
  Command out;
  out.verb = "OUT";
  (void)conn_->send(out);
  conn_->close_after_flush(reason);
}

void Switchboard::finish(SbEnd end, const std::string& reason) {
  if (ended_) return;
  ended_ = true;
  joined_ = false;
  idle_timer_.cancel();
  conn_->close(reason);
  owner_.on_sb_closed(*this, end, reason);
}

asio::awaitable<void> Switchboard::run() {
  auto self = shared_from_this();
  auto st = co_await conn_->connect(p_.host, p_.port, std::chrono::seconds(15));
  if (!st) {
    finish(SbEnd::lost, "switchboard: " + st.error().message);
    co_return;
  }
  Command first;
  first.trid = ++trid_;
  if (p_.incoming) {
    first.verb = "ANS";
    first.args = {p_.account, p_.cookie, p_.session};
  } else {
    first.verb = "USR";
    first.args = {p_.account, p_.cookie};
  }
  (void)conn_->send(first);
  while (!ended_) {
    auto cmd = co_await conn_->read();
    if (!cmd) {
      if (end_reason_.empty())
        finish(joined_ ? SbEnd::lost : SbEnd::refused, "switchboard: " + conn_->close_reason());
      else
        finish(end_, end_reason_);
      break;
    }
    handle(*cmd);
  }
}

asio::awaitable<void> Switchboard::idle_loop() {
  auto self = shared_from_this();
  const auto started = Clock::now();
  while (!ended_) {
    const auto deadline = joined_ ? last_use_ + p_.idle : started + kJoinTimeout;
    if (Clock::now() >= deadline) {
      if (joined_)
        close(SbEnd::idle, "idle for " + std::to_string(p_.idle.count()) + " s");
      else
        close(SbEnd::refused,
              "the contact did not join within " + std::to_string(kJoinTimeout.count()) + " s");
      co_return;
    }
    idle_timer_.expires_at(std::min(deadline, Clock::now() + std::chrono::seconds(1)));
    co_await idle_timer_.async_wait(use_tuple);
  }
}

void Switchboard::handle(const Command& cmd) {
  const std::string& v = cmd.verb;
  if (cmd.is_error()) {
    const int code = cmd.error_code();
    if (!joined_) {
      if (code == 217 || (cmd.trid && *cmd.trid == cal_trid_ && code == 208)) {
        end_reason_ = p_.contact + " is offline";
        end_ = SbEnd::offline;
      } else {
        end_ = SbEnd::refused;
        end_reason_ = "switchboard refused: " + to_error(code).message + " (MSN error " +
                      std::to_string(code) + ")";
      }
      finish(end_, end_reason_);
      return;
    }
    // An error answering a MSG (282 for a malformed one): a failed delivery.
    if (cmd.trid) owner_.on_sb_ack(*this, *cmd.trid, false);
    return;
  }
  if (v == "USR" && cmd.arg(0) == "OK" && !p_.incoming) {
    cal_trid_ = ++trid_;
    Command cal{"CAL", cal_trid_, {p_.contact}, std::nullopt};
    (void)conn_->send(cal);
    return;
  }
  if (v == "CAL") return;  // RINGING: wait for JOI
  if ((v == "JOI" && !p_.incoming) || (v == "ANS" && cmd.arg(0) == "OK")) {
    if (!joined_) {
      joined_ = true;
      was_joined_ = true;
      last_use_ = Clock::now();
      owner_.on_sb_joined(*this);
    }
    return;
  }
  if (v == "IRO" || v == "JOI") return;  // other participants of a multi-party chat
  if (v == "MSG") {
    last_use_ = Clock::now();
    if (!cmd.payload) return;
    auto m = parse_message(*cmd.payload);
    if (!m) {
      log_->debug("switchboard: unreadable MSG from {}: {}", cmd.arg(0), m.error().message);
      return;
    }
    std::string from = cmd.arg(0);
    for (auto& ch : from) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    owner_.on_sb_message(*this, from, std::move(*m));
    return;
  }
  if (v == "ACK" || v == "NAK") {
    if (cmd.trid) owner_.on_sb_ack(*this, *cmd.trid, v == "ACK");
    return;
  }
  if (v == "BYE") {
    // "BYE email 1" is the server closing an idle session; plain BYE: the contact left.
    const bool idle = cmd.arg(1) == "1";
    end_ = idle ? SbEnd::idle : SbEnd::left;
    end_reason_ = idle ? "the server closed the idle switchboard" : p_.contact + " left the chat";
    close(end_, end_reason_);
    return;
  }
}

}  // namespace passerelle::msn
