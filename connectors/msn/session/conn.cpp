#include "msn/session/conn.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace passerelle::msn {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

MsnpConn::MsnpConn(const Strand& strand, Grammar grammar)
    : strand_(strand), socket_(strand), decoder_(grammar) {}

asio::awaitable<passerelle::Status> MsnpConn::connect(std::string host, int port,
                                                      std::chrono::seconds timeout) {
  asio::ip::tcp::resolver resolver(strand_);
  auto [rec, eps] = co_await resolver.async_resolve(host, std::to_string(port), use_tuple);
  const std::string where = host + ":" + std::to_string(port);
  if (rec) co_return Error::transient("resolve " + host + ": " + rec.message());
  asio::steady_timer guard(strand_, timeout);
  auto self = shared_from_this();
  guard.async_wait([self](boost::system::error_code ec) {
    if (!ec) self->socket_.close();
  });
  auto [cec, ep] = co_await asio::async_connect(socket_, eps, use_tuple);
  guard.cancel();
  if (closed_) co_return Error::transient("closed while connecting to " + where);
  if (cec || !socket_.is_open())
    co_return Error::transient("connect " + where + ": " + (cec ? cec.message() : "timed out"));
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  last_rx_ = Clock::now();
  co_return passerelle::Status{};
}

asio::awaitable<Result<Command>> MsnpConn::read() {
  std::array<char, 4096> buf;
  for (;;) {
    if (closed_) co_return Error::transient(reason_);
    if (!in_.empty()) {
      auto step = decoder_.decode(in_);
      in_.erase(0, step.consumed);
      if (auto* cmd = std::get_if<Command>(&step.outcome)) co_return std::move(*cmd);
      if (auto* e = std::get_if<DecodeError>(&step.outcome)) {
        close(std::string("malformed data from the server (") + decode_errc_name(e->code) +
              "): " + e->message);
        co_return Error::transient(reason_);
      }
    }
    auto self = shared_from_this();
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf), use_tuple);
    if (closed_) co_return Error::transient(reason_);
    if (ec) {
      close(ec == asio::error::eof ? "the server closed the connection" : "read: " + ec.message());
      co_return Error::transient(reason_);
    }
    last_rx_ = Clock::now();
    in_.append(buf.data(), n);
  }
}

passerelle::Status MsnpConn::send(const Command& cmd) {
  if (closed_) return Error::transient("connection closed");
  std::string bytes;
  if (auto st = encode(cmd, bytes); !st) return st;
  queued_ += bytes.size();
  if (queued_ > kMaxQueuedBytes) {
    close("the server stopped reading (" + std::to_string(queued_) + " bytes queued)");
    return Error::transient(reason_);
  }
  out_.push_back(std::move(bytes));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(
        strand_, [self = shared_from_this()] { return self->write_loop(); }, asio::detached);
  }
  return {};
}

asio::awaitable<void> MsnpConn::write_loop() {
  while (!out_.empty() && !closed_) {
    std::string bytes = std::move(out_.front());
    out_.pop_front();
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes), use_tuple);
    queued_ -= std::min(queued_, bytes.size());
    if (ec) close("write: " + ec.message());
  }
  writing_ = false;
  if (!close_after_.empty()) close(close_after_);
}

void MsnpConn::close_after_flush(const std::string& reason) {
  if (closed_) return;
  close_after_ = reason;
  if (!writing_) close(reason);
}

void MsnpConn::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  reason_ = reason;
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace passerelle::msn
