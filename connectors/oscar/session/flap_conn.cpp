#include "oscar/session/flap_conn.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

FlapConn::FlapConn(const Strand& strand, std::uint16_t first_sequence)
    : strand_(strand), socket_(strand), seq_(first_sequence) {}

asio::awaitable<Status> FlapConn::connect(std::string host, int port,
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
  co_return Status{};
}

asio::awaitable<Result<FlapFrame>> FlapConn::read() {
  std::array<std::uint8_t, 4096> buf;
  auto self = shared_from_this();
  for (;;) {
    if (closed_) co_return Error::transient(reason_);
    if (in_pos_ < in_.size()) {
      ByteView rest(in_.data() + in_pos_, in_.size() - in_pos_);
      auto step = decoder_.decode(rest);
      in_pos_ += step.consumed;
      if (in_pos_ == in_.size()) {
        in_.clear();
        in_pos_ = 0;
      }
      if (auto* f = std::get_if<FlapFrame>(&step.outcome)) co_return std::move(*f);
      if (auto* e = std::get_if<Error>(&step.outcome)) {
        close("malformed data from the server: " + e->message);
        co_return Error::transient(reason_);
      }
    }
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf), use_tuple);
    if (closed_) co_return Error::transient(reason_);
    if (ec) {
      close(ec == asio::error::eof ? "the server closed the connection" : "read: " + ec.message());
      co_return Error::transient(reason_);
    }
    last_rx_ = Clock::now();
    in_.insert(in_.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

Status FlapConn::send_flap(std::uint8_t channel, ByteView payload) {
  if (closed_) return Error::transient("connection closed");
  Bytes bytes;
  bytes.reserve(kFlapHeaderSize + payload.size());
  if (auto st = append_flap(bytes, channel, seq_.take(), payload); !st) return st;
  return queue(std::move(bytes));
}

Status FlapConn::send_snac(const SnacHeader& h, ByteView body) {
  if (closed_) return Error::transient("connection closed");
  Bytes bytes;
  bytes.reserve(kFlapHeaderSize + kSnacHeaderSize + body.size());
  if (auto st = append_snac_frame(bytes, seq_.take(), h, body); !st) return st;
  return queue(std::move(bytes));
}

Status FlapConn::queue(Bytes bytes) {
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

asio::awaitable<void> FlapConn::write_loop() {
  while (!out_.empty() && !closed_) {
    Bytes bytes = std::move(out_.front());
    out_.pop_front();
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes), use_tuple);
    queued_ -= std::min(queued_, bytes.size());
    if (ec) close("write: " + ec.message());
  }
  writing_ = false;
}

void FlapConn::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  reason_ = reason;
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace passerelle::oscar
