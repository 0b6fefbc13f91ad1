#pragma once
// One TCP connection speaking MSNP (to a notification server or a switchboard): the
// codec's Decoder on the read side, a bounded write queue on the other.
//
// Threads: every member runs on the strand given at construction. Lifetime: shared by
// the coroutines that use it; close() wakes a pending read() with an error.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <string>

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
                                              std::chrono::seconds timeout);
  // The next command from the peer; an error once the connection is closed (the reason
  // is close_reason()) or the stream is malformed (then the connection is closed too).
  asio::awaitable<Result<Command>> read();
  // Queues `cmd`; a command the encoder refuses closes nothing and returns the error.
  passerelle::Status send(const Command& cmd);
  void close(const std::string& reason);
  // Closes once the queued commands are written (after OUT, say).
  void close_after_flush(const std::string& reason);

  // Takes effect for the commands decoded after the call (the unread bytes stay raw).
  void set_grammar(Grammar g) { decoder_.set_grammar(g); }
  bool closed() const { return closed_; }
  const std::string& close_reason() const { return reason_; }
  Clock::time_point last_rx() const { return last_rx_; }

 private:
  asio::awaitable<void> write_loop();

  Strand strand_;
  asio::ip::tcp::socket socket_;
  Decoder decoder_;
  std::string in_;  // bytes read, not yet given to the decoder
  std::deque<std::string> out_;
  std::size_t queued_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  std::string reason_;
  std::string close_after_;
  Clock::time_point last_rx_ = Clock::now();
};

}  // namespace passerelle::msn
