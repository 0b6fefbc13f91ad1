#pragma once
// One TCP connection speaking FLAP (to the authorizer or to a BOS server): the codec's
// FlapDecoder on the read side, our FLAP sequence numbers and a bounded write queue
// (connectors/common/stream_conn.hpp) on the other.
//
// Threads: every member runs on the strand given at construction. Lifetime: shared by the
// coroutines that use it; close() wakes a pending read() with an error.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "common/stream_conn.hpp"
#include "core/result.hpp"
#include "oscar/codec/flap.hpp"
#include "oscar/codec/snac.hpp"

namespace passerelle::oscar {

namespace asio = boost::asio;
using Strand = asio::strand<asio::io_context::executor_type>;
using Clock = std::chrono::steady_clock;

class FlapConn : public std::enable_shared_from_this<FlapConn> {
 public:
  // Past this many bytes waiting to be written the server is not reading: the connection
  // is closed rather than buffering without bound (the rate queues hold the rest).
  static constexpr std::size_t kMaxQueuedBytes = 256 * 1024;

  FlapConn(const Strand& strand, std::uint16_t first_sequence);

  asio::awaitable<Status> connect(std::string host, int port, std::chrono::seconds timeout) {
    return io_->connect(std::move(host), port, timeout);
  }
  // The next frame; an error once the connection is closed (close_reason()) or the stream
  // is malformed (then the connection is closed too).
  asio::awaitable<Result<FlapFrame>> read();
  Status send_flap(std::uint8_t channel, ByteView payload);
  Status send_snac(const SnacHeader& h, ByteView body);
  void close(const std::string& reason) { io_->close(reason); }

  bool closed() const { return io_->closed(); }
  const std::string& close_reason() const { return io_->close_reason(); }
  Clock::time_point last_rx() const { return io_->last_rx(); }
  std::size_t queued_bytes() const { return io_->queued_bytes(); }

 private:
  std::shared_ptr<StreamConn<Bytes>> io_;
  FlapDecoder decoder_{65535};
  FlapSequence seq_;
  Bytes in_;
  std::size_t in_pos_ = 0;
};

}  // namespace passerelle::oscar
