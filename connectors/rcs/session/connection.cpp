#include "rcs/session/connection.hpp"

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <cstdio>
#include <limits>
#include <tuple>

#include "rcs/session/tls.hpp"

namespace passerelle::rcs::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string words(const boost::system::error_code& ec) {
  return ec == beast::error::timeout ? std::string("timed out") : ec.message();
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

using BodyParser = http::response_parser<http::buffer_body>;

// The body with sink.worker set (Sink in connection.hpp): chunks are read into kWorkerChunks
// buffers and handed to on_data (and on_data_beside) on the worker, each consumer taking
// them in order, while the next ones are read; the read waits only when every buffer is
// still with a consumer. Fills in `r` (the exchange so far): body_complete, or the read
// error. `arm` restarts the idle timeout before each read.
template <typename Stream, typename Arm>
asio::awaitable<void> read_body_pipelined(Stream& s, beast::flat_buffer& buffer, BodyParser& p,
                                          const Sink& sink, const Arm& arm, Exchanged& r) {
  struct Chunk {
    std::unique_ptr<char[]> data = std::make_unique<char[]>(kWorkerChunk);
    std::size_t size = 0;
    std::atomic<int> consumers_left{0};
  };
  // Shared with the consumers' handlers; this coroutine waits for every one before it ends.
  struct Shared {
    Shared(asio::any_io_executor ex) : done(ex, kWorkerChunks) {}
    std::array<Chunk, kWorkerChunks> chunks;
    std::atomic<bool> refused{false};
    // Indexes of the chunks every consumer is done with.
    asio::experimental::concurrent_channel<void(boost::system::error_code, std::size_t)> done;
  };
  auto shared = std::make_shared<Shared>(co_await asio::this_coro::executor);
  const int consumers = sink.on_data_beside ? 2 : 1;
  auto writer = asio::make_strand(sink.worker);
  auto beside = asio::make_strand(sink.worker);
  std::vector<std::size_t> free_chunks;
  for (std::size_t i = kWorkerChunks; i-- > 0;) free_chunks.push_back(i);
  // Chunks with a consumer: those not free.
  auto handed = [&] { return kWorkerChunks - free_chunks.size(); };

  auto give = [&](std::size_t i) {
    auto& c = shared->chunks[i];
    c.consumers_left = consumers;
    const std::string_view d(c.data.get(), c.size);
    auto finish = [shared, i](bool ok) {
      if (!ok) shared->refused = true;
      if (shared->chunks[i].consumers_left.fetch_sub(1) == 1)
        (void)shared->done.try_send(boost::system::error_code{}, i);  // room for every chunk
    };
    // After a refusal, the chunks handed already are not given any more.
    // A consumer that throws refuses the rest, as one that returns false: on a pool thread
    // an exception would end the process, and the chunk would never come back.
    auto consume = [shared, d, finish](const std::function<bool(std::string_view)>& f) {
      bool ok = false;
      try {
        ok = !shared->refused && f(d);
      } catch (...) {
        ok = false;
      }
      finish(ok);
    };
    asio::post(writer, [&sink, consume] { consume(sink.on_data); });
    if (consumers == 2) asio::post(beside, [&sink, consume] { consume(sink.on_data_beside); });
  };
  auto reclaim = [&] {
    while (shared->done.try_receive(
        [&](boost::system::error_code, std::size_t i) { free_chunks.push_back(i); })) {
    }
  };
  // A body of a known length is read straight into the chunk, past the parser (which would
  // copy every byte once more); a chunked one, or one that ends with the connection, goes
  // through the parser.
  const bool direct = !p.chunked() && p.content_length().has_value();
  std::uint64_t left = direct ? *p.content_length() : 0;
  using Read = std::tuple<boost::system::error_code, std::size_t>;
  auto read_into = [&](char* into) -> asio::awaitable<Read> {
    if (!direct) {
      p.get().body().data = into;
      p.get().body().size = kWorkerChunk;
      auto [ec, n] = co_await http::async_read(s, buffer, p, use_tuple);
      if (ec == http::error::need_buffer) ec = {};
      co_return Read{ec, kWorkerChunk - p.get().body().size};
    }
    const std::size_t want = left < kWorkerChunk ? static_cast<std::size_t>(left) : kWorkerChunk;
    // The first bytes may have come with the head.
    const std::size_t early = asio::buffer_copy(asio::buffer(into, want), buffer.data());
    buffer.consume(early);
    auto rest = asio::buffer(into + early, want - early);
    auto [ec, n] = co_await asio::async_read(s, rest, use_tuple);
    left -= early + n;
    co_return Read{ec, early + n};
  };
  boost::system::error_code read_error;
  while (!shared->refused && (direct ? left > 0 : !p.is_done())) {
    reclaim();
    if (free_chunks.empty()) {
      auto [ec, i] = co_await shared->done.async_receive(use_tuple);
      if (!ec) free_chunks.push_back(i);
      continue;
    }
    const std::size_t i = free_chunks.back();
    free_chunks.pop_back();
    arm();
    auto [ec, n] = co_await read_into(shared->chunks[i].data.get());
    shared->chunks[i].size = n;
    // What arrived before a failure still goes to the sink.
    if (n > 0) {
      give(i);
    } else {
      free_chunks.push_back(i);
    }
    if (ec) {
      read_error = ec;
      break;
    }
  }
  // The consumers use `sink` and what it refers to: this wait is not cancellable.
  while (handed() > 0) {
    auto [ec, i] = co_await shared->done.async_receive(
        asio::bind_cancellation_slot(asio::cancellation_slot(), use_tuple));
    if (ec) break;  // the channel only closes with the executor
    free_chunks.push_back(i);
  }
  if (shared->refused) co_return;
  if (read_error) {
    r.ec = read_error;
    r.stage = "read";
    co_return;
  }
  r.body_complete = true;
}

}  // namespace

asio::awaitable<Result<std::unique_ptr<Connection>>> Connection::open(asio::any_io_executor ex,
                                                                      asio::ssl::context& tls,
                                                                      Origin origin,
                                                                      Clock::time_point deadline) {
  const std::string where = origin.host_header();
  asio::ip::tcp::resolver resolver(ex);
  asio::steady_timer timer(ex, deadline);
  auto resolved = co_await (resolver.async_resolve(origin.host, origin.port, use_tuple) ||
                            timer.async_wait(use_tuple));
  if (resolved.index() == 1) co_return Error::transient(where + ": name resolution timed out");
  auto [rec, endpoints] = std::get<0>(std::move(resolved));
  if (rec) co_return Error::transient(where + ": " + rec.message());

  std::unique_ptr<Connection> c(new Connection(std::move(origin)));
  if (c->origin_.tls) {
    c->tls_ = std::make_unique<TlsStream>(ex, tls);
    if (auto r = expect_peer(c->tls_->native_handle(), c->origin_.host); !r) co_return r.error();
  } else {
    c->plain_ = std::make_unique<beast::tcp_stream>(ex);
  }
  c->tcp().expires_at(deadline);
  auto [cec, ep] = co_await c->tcp().async_connect(endpoints, use_tuple);
  if (cec) co_return Error::transient(where + ": connect: " + words(cec));
  // A request goes out as a head and a body in two writes: without TCP_NODELAY the body
  // waits for the platform's delayed ACK of the head (about 40 ms on Linux, per request).
  beast::error_code nodelay_ec;
  c->tcp().socket().set_option(asio::ip::tcp::no_delay(true), nodelay_ec);
  if (c->tls_) {
    auto [hec] = co_await c->tls_->async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec) {
      // "certificate verify failed" alone does not say what to fix: add OpenSSL's reason.
      const std::string why = verify_failure(c->tls_->native_handle());
      co_return Error::transient(where + ": TLS: " + words(hec) + (why.empty() ? "" : ": " + why));
    }
  }
  c->tcp().expires_never();
  c->reusable_ = true;
  co_return c;
}

beast::tcp_stream& Connection::tcp() {
  return tls_ ? beast::get_lowest_layer(*tls_) : *plain_;
}

bool Connection::is_open() const {
  if (tls_) return beast::get_lowest_layer(*tls_).socket().is_open();
  return plain_ && plain_->socket().is_open();
}

void Connection::close() {
  reusable_ = false;
  if (!tls_ && !plain_) return;
  beast::error_code ignored;
  tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  tcp().close();
}

asio::awaitable<Exchanged> Connection::exchange(Outgoing& out, const Sink& sink,
                                                Clock::time_point deadline,
                                                std::optional<std::chrono::milliseconds> idle) {
  reusable_ = false;  // until the answer has been read to its end
  // (Not a conditional expression: GCC 12 mishandles co_await inside one.)
  Exchanged r;
  if (tls_) {
    r = co_await run(*tls_, out, sink, deadline, idle);
  } else {
    r = co_await run(*plain_, out, sink, deadline, idle);
  }
  ++served_;
  idle_since_ = Clock::now();
  reusable_ = !r.ec && r.body_complete && r.in.keep_alive && is_open();
  tcp().expires_never();
  co_return r;
}

template <typename Stream>
asio::awaitable<Exchanged> Connection::run(Stream& s, Outgoing& out, const Sink& sink,
                                           Clock::time_point deadline,
                                           std::optional<std::chrono::milliseconds> idle) {
  Exchanged r;
  auto arm = [&] {
    if (idle) tcp().expires_after(*idle);
  };
  auto fail = [&](boost::system::error_code ec, const char* stage) {
    r.ec = ec;
    r.stage = stage;
    return r;
  };
  if (!idle) tcp().expires_at(deadline);

  // The head, then the body in its parts (RFC 9112 §6.2: exactly Content-Length octets).
  arm();
  http::request_serializer<http::empty_body> sr{out.head};
  if (auto [ec, n] = co_await http::async_write_header(s, sr, use_tuple); ec)
    co_return fail(ec, "write");
  if (!out.body.empty()) {
    arm();
    if (auto [ec, n] = co_await asio::async_write(s, asio::buffer(out.body), use_tuple); ec)
      co_return fail(ec, "write");
  }
  std::unique_ptr<char[]> chunk;
  if (!out.file_path.empty()) {
    std::unique_ptr<std::FILE, FileCloser> f(std::fopen(out.file_path.c_str(), "rb"));
    if (!f) co_return fail({errno, boost::system::system_category()}, "file");
    chunk = std::make_unique<char[]>(kChunk);
    std::uint64_t left = out.file_size;
    while (left > 0) {
      const std::size_t want = left < kChunk ? static_cast<std::size_t>(left) : kChunk;
      const std::size_t got = std::fread(chunk.get(), 1, want, f.get());
      // A file that shrank since its size was taken cannot fill the announced length.
      if (got != want) co_return fail(std::make_error_code(std::errc::io_error), "file");
      arm();
      if (auto [ec, n] = co_await asio::async_write(s, asio::buffer(chunk.get(), got), use_tuple);
          ec)
        co_return fail(ec, "write");
      left -= got;
    }
  }
  if (!out.tail.empty()) {
    arm();
    if (auto [ec, n] = co_await asio::async_write(s, asio::buffer(out.tail), use_tuple); ec)
      co_return fail(ec, "write");
  }

  BodyParser p;
  p.header_limit(kMaxHead);
  p.body_limit(std::numeric_limits<std::uint64_t>::max());  // the sink decides
  arm();
  auto [hec, hn] = co_await http::async_read_header(s, buffer_, p, use_tuple);
  r.answer_started = p.got_some() || buffer_.size() > 0;
  if (hec) co_return fail(hec, "read");
  const auto& res = p.get();
  r.in.status = static_cast<int>(res.result_int());
  if (auto it = res.find(http::field::location); it != res.end()) r.in.location = it->value();
  if (auto it = res.find(http::field::retry_after); it != res.end()) r.in.retry_after = it->value();
  if (auto it = res.find(http::field::content_type); it != res.end())
    r.in.content_type = it->value();
  if (auto cl = p.content_length()) r.in.content_length = *cl;
  r.in.keep_alive = p.keep_alive();
  if (!sink.on_head(r.in)) co_return r;
  // Beast reads at most the buffer's free capacity (at least 512 bytes) per call: sized for
  // the head, a 100 MB download took 200,000 reads and as many timer updates.
  buffer_.reserve(kChunk);
  if (sink.worker) {
    co_await read_body_pipelined(s, buffer_, p, sink, arm, r);
    co_return r;
  }
  if (!chunk) chunk = std::make_unique<char[]>(kChunk);
  while (!p.is_done()) {
    p.get().body().data = chunk.get();
    p.get().body().size = kChunk;
    arm();
    auto [ec, n] = co_await http::async_read(s, buffer_, p, use_tuple);
    if (ec == http::error::need_buffer) ec = {};
    const std::size_t got = kChunk - p.get().body().size;
    if (got > 0 && !sink.on_data(std::string_view(chunk.get(), got))) co_return r;
    if (ec) co_return fail(ec, "read");
  }
  r.body_complete = true;
  co_return r;
}

}  // namespace passerelle::rcs::detail
