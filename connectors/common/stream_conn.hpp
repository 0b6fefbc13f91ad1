#pragma once
// One TCP connection of an account session (AIM/ICQ, MSN), below the protocol: connect
// with a time limit, read what the peer sends into the caller's buffer, write queued
// frames in order, close with a reason. The protocol's framing stays with its codec;
// this is the part every framed connection shares.
//
// `Buffer` is the byte container frames are encoded into (std::string, Bytes). Writes are
// bounded: past `max_queued_bytes` waiting to be written the peer is not reading, and the
// connection is closed rather than buffering without bound.
//
// Threads: everything on the session's strand. Lifetime: shared by its coroutines.

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "core/result.hpp"

namespace passerelle {

template <class Buffer>
class StreamConn : public std::enable_shared_from_this<StreamConn<Buffer>> {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  using Clock = std::chrono::steady_clock;

  StreamConn(const Strand& strand, std::size_t max_queued_bytes)
      : strand_(strand), socket_(strand), max_queued_(max_queued_bytes) {}

  boost::asio::awaitable<Status> connect(std::string host, int port, std::chrono::seconds timeout) {
    namespace asio = boost::asio;
    asio::ip::tcp::resolver resolver(strand_);
    auto [rec, eps] = co_await resolver.async_resolve(host, std::to_string(port), use_tuple());
    const std::string where = host + ":" + std::to_string(port);
    if (rec) co_return Error::transient("resolve " + host + ": " + rec.message());
    asio::steady_timer guard(strand_, timeout);
    auto self = this->shared_from_this();
    guard.async_wait([self](boost::system::error_code ec) {
      if (!ec) self->socket_.close();
    });
    auto [cec, ep] = co_await asio::async_connect(socket_, eps, use_tuple());
    guard.cancel();
    if (closed_) co_return Error::transient("closed while connecting to " + where);
    if (cec || !socket_.is_open())
      co_return Error::transient("connect " + where + ": " +
                                 (cec ? cec.message() : std::string("timed out")));
    boost::system::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    last_rx_ = Clock::now();
    co_return Status{};
  }

  // Appends what the peer sends next to `in`; an error once the connection is closed
  // (the reason is close_reason()).
  boost::asio::awaitable<Status> read_into(Buffer& in) {
    std::array<char, 4096> buf;
    auto self = this->shared_from_this();
    if (closed_) co_return Error::transient(reason_);
    auto [ec, n] = co_await socket_.async_read_some(boost::asio::buffer(buf), use_tuple());
    if (closed_) co_return Error::transient(reason_);
    if (ec) {
      close(ec == boost::asio::error::eof ? "the server closed the connection"
                                          : "read: " + ec.message());
      co_return Error::transient(reason_);
    }
    last_rx_ = Clock::now();
    in.insert(in.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    co_return Status{};
  }

  // Queues one encoded frame.
  Status queue(Buffer bytes) {
    if (closed_) return Error::transient("connection closed");
    queued_ += bytes.size();
    if (queued_ > max_queued_) {
      close("the server stopped reading (" + std::to_string(queued_) + " bytes queued)");
      return Error::transient(reason_);
    }
    out_.push_back(std::move(bytes));
    if (!writing_) {
      writing_ = true;
      boost::asio::co_spawn(
          strand_, [self = this->shared_from_this()] { return self->write_loop(); },
          boost::asio::detached);
    }
    return {};
  }

  void close(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    reason_ = reason;
    boost::system::error_code ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  // Closes once the queued frames are written (after a sign-off, say).
  void close_after_flush(const std::string& reason) {
    if (closed_) return;
    close_after_ = reason;
    if (!writing_) close(reason);
  }

  bool closed() const { return closed_; }
  const std::string& close_reason() const { return reason_; }
  Clock::time_point last_rx() const { return last_rx_; }
  std::size_t queued_bytes() const { return queued_; }

 private:
  static constexpr auto use_tuple() { return boost::asio::as_tuple(boost::asio::use_awaitable); }

  boost::asio::awaitable<void> write_loop() {
    while (!out_.empty() && !closed_) {
      Buffer bytes = std::move(out_.front());
      out_.pop_front();
      auto [ec, n] =
          co_await boost::asio::async_write(socket_, boost::asio::buffer(bytes), use_tuple());
      queued_ -= std::min(queued_, bytes.size());
      if (ec) close("write: " + ec.message());
    }
    writing_ = false;
    if (!close_after_.empty()) close(close_after_);
  }

  Strand strand_;
  boost::asio::ip::tcp::socket socket_;
  std::size_t max_queued_;
  std::deque<Buffer> out_;
  std::size_t queued_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  std::string reason_;
  std::string close_after_;
  Clock::time_point last_rx_ = Clock::now();
};

}  // namespace passerelle
