#pragma once
// One TCP connection speaking MSNP (to a notification server or a switchboard): the
// codec's Decoder on the read side, a bounded write queue
// (connectors/common/stream_conn.hpp) on the other.
//
// Threads: every member runs on the strand given at construction. Lifetime: shared by
// the coroutines that use it; close() wakes a pending read() with an error.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "common/stream_conn.hpp"
#include "core/result.hpp"
#include "msn/codec/decoder.hpp"

namespace passerelle::msn {

namespace asio = boost::asio;
using Strand = asio::strand<asio::io_context::executor_type>;
using Clock = std::chrono::steady_clock;

class MsnpConn : public std::enable_shared_from_this<MsnpConn> {
 public:
  // Past this many bytes waiting to be written the peer is not reading: the connection is
  // closed rather than buffering without bound.
  static constexpr std::size_t kMaxQueuedBytes = 1024 * 1024;

  MsnpConn(const Strand& strand, Grammar grammar);

  asio::awaitable<passerelle::Status> connect(std::string host, int port,
                                              std::chrono::seconds timeout) {
    return io_->connect(std::move(host), port, timeout);
  }
  // The next command from the peer; an error once the connection is closed (the reason
  // is close_reason()) or the stream is malformed (then the connection is closed too).
  asio::awaitable<Result<Command>> read();
  // Queues `cmd`; a command the encoder refuses closes nothing and returns the error.
  passerelle::Status send(const Command& cmd);
  void close(const std::string& reason) { io_->close(reason); }
  // Closes once the queued commands are written (after OUT, say).
  void close_after_flush(const std::string& reason) { io_->close_after_flush(reason); }

  // Takes effect for the commands decoded after the call (the unread bytes stay raw).
  void set_grammar(Grammar g) { decoder_.set_grammar(g); }
  bool closed() const { return io_->closed(); }
  const std::string& close_reason() const { return io_->close_reason(); }
  Clock::time_point last_rx() const { return io_->last_rx(); }

 private:
  std::shared_ptr<StreamConn<std::string>> io_;
  Decoder decoder_;
  std::string in_;  // bytes read, not yet given to the decoder
};

}  // namespace passerelle::msn
