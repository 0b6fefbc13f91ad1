#pragma once
// One HTTP/1.1 connection to a platform or a content host, plain or TLS, and one request
// and answer over it at a time. Private to the session (PlatformClient and its pool).
//
// Threads: every member runs on the client's strand. Owner: the pool while idle, the call
// using it otherwise. close() may be called from another coroutine on the same strand while
// an operation is pending: the operation then finishes with operation_aborted.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "rcs/session/url.hpp"

namespace passerelle::rcs::detail {

using Clock = std::chrono::steady_clock;

// What goes out: the head (method, target, every field, Content-Length when there is a
// body), then `body`, then the bytes of `file_path` (exactly `file_size` of them, read in
// chunks), then `tail`.
struct Outgoing {
  boost::beast::http::request<boost::beast::http::empty_body> head;
  std::string body;
  std::string file_path;  // "" for none
  std::uint64_t file_size = 0;
  std::string tail;
};

// The answer's head as the session needs it.
struct Incoming {
  int status = 0;
  std::string location, retry_after, content_type;
  std::optional<std::uint64_t> content_length;
  bool keep_alive = false;
};

// Where the answer's body goes. on_head may refuse the body (false: nothing is read and
// the connection is not reused); on_data returning false stops reading likewise.
//
// With `worker` set, on_data runs there, one chunk at a time, while the next chunks are
// read into the other buffers (kWorkerChunks): a download is bounded by the slower of the
// network and the disk rather than by their sum. Each call to on_data happens after the
// previous one returned, and none after one returned false.
// on_data_beside (only with a worker; may be empty) gets the same chunks as on_data, on the
// worker at the same time as on_data (e.g. hashing beside writing, on a pool of two).
struct Sink {
  std::function<bool(const Incoming&)> on_head;
  std::function<bool(std::string_view)> on_data;
  boost::asio::any_io_executor worker;
  std::function<bool(std::string_view)> on_data_beside;
};

struct Exchanged {
  boost::system::error_code ec;  // set when the exchange failed at `stage`
  const char* stage = "";        // "write", "file", "read"
  bool answer_started = false;   // a byte of the answer arrived
  bool body_complete = false;    // the body was read to its end
  Incoming in;
};

// Largest answer head accepted (status line and fields).
inline constexpr std::uint32_t kMaxHead = 16 * 1024;
// Chunk size for file bodies both ways.
inline constexpr std::size_t kChunk = 64 * 1024;
// Chunk size of a body given to a Sink's worker: each chunk costs two thread hand-offs,
// which at 64 KiB took more time than the hashing and writing they let run beside the
// network. kWorkerChunks of them are in memory per transfer, so that the network, the
// hash and the disk each go on while the others catch up.
inline constexpr std::size_t kWorkerChunk = 256 * 1024;
inline constexpr std::size_t kWorkerChunks = 4;

class Connection {
 public:
  // Resolves, connects and (https) handshakes with verification of origin.host, all before
  // `deadline`. The error says which step failed, in words.
  static boost::asio::awaitable<Result<std::unique_ptr<Connection>>> open(
      boost::asio::any_io_executor ex, boost::asio::ssl::context& tls, Origin origin,
      Clock::time_point deadline);

  // Sends `out` and reads the answer into `sink`. Without `idle` the whole exchange must end
  // by `deadline`; with it (file transfers) every read and write must progress within
  // `idle` instead.
  boost::asio::awaitable<Exchanged> exchange(Outgoing& out, const Sink& sink,
                                             Clock::time_point deadline,
                                             std::optional<std::chrono::milliseconds> idle);

  // Cancels whatever is pending and closes the socket.
  void close();
  bool is_open() const;
  const Origin& origin() const { return origin_; }
  bool reusable() const { return reusable_; }
  // Requests this connection carried before the current one (0 for a fresh connection).
  unsigned served() const { return served_; }
  Clock::time_point idle_since() const { return idle_since_; }

 private:
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  explicit Connection(Origin origin) : origin_(std::move(origin)) {}
  boost::beast::tcp_stream& tcp();
  template <typename Stream>
  boost::asio::awaitable<Exchanged> run(Stream& s, Outgoing& out, const Sink& sink,
                                        Clock::time_point deadline,
                                        std::optional<std::chrono::milliseconds> idle);

  Origin origin_;
  std::unique_ptr<boost::beast::tcp_stream> plain_;
  std::unique_ptr<TlsStream> tls_;
  boost::beast::flat_buffer buffer_;
  bool reusable_ = false;
  unsigned served_ = 0;
  Clock::time_point idle_since_{};
};

}  // namespace passerelle::rcs::detail
