#include "rcs/session/platform_client.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

#include "rcs/session/pool.hpp"

namespace passerelle::rcs {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using detail::Clock;

namespace {

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != std::string::npos;
}

HttpAnswer no_answer(std::string why) {
  HttpAnswer a;
  a.error = std::move(why);
  return a;
}

HttpAnswer refused(const Error& e) {
  HttpAnswer a = no_answer(e.message);
  a.invalid_request = true;
  return a;
}

// The platform closed a kept-alive connection before (or while) the request arrived.
bool stale(const detail::Exchanged& x) {
  if (x.answer_started || std::string_view(x.stage) == "file") return false;
  const auto& ec = x.ec;
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == asio::ssl::error::stream_truncated;
}

}  // namespace

Result<std::shared_ptr<PlatformClient>> PlatformClient::make(asio::any_io_executor ex,
                                                             asio::ssl::context& tls,
                                                             PlatformEndpoint ep, Limits limits) {
  const std::string who = "rcs platform " + (ep.name.empty() ? ep.bot_id : ep.name) + ": ";
  auto api = parse_http_url(ep.api_url, "api_url");
  if (!api) return Error::invalid(who + api.error().message);
  if (api->has_query) return Error::invalid(who + "api_url must not have a query");
  auto paths = ApiPaths::make(api->path, ep.bot_id, limits);
  if (!paths) return Error::invalid(who + paths.error().message);
  if (ep.token.empty() && ep.client_secret.empty())
    return Error::invalid(who + "needs a token or a client_secret");
  if (has_line_break(ep.token) || has_line_break(ep.client_secret))
    return Error::invalid(who + "the token or client_secret has a line break");
  if (ep.timeout.count() <= 0) return Error::invalid(who + "timeout must be positive");
  if (ep.max_connections == 0) return Error::invalid(who + "max_connections must be 1 or more");
  std::string token_target;
  if (!ep.client_secret.empty()) {
    std::string_view p = api->path;
    while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
    constexpr std::string_view kApi = "/bot/v1";
    if (p.size() < kApi.size() || p.substr(p.size() - kApi.size()) != kApi)
      return Error::invalid(who + "with client_secret, api_url must end in /bot/v1");
    auto t = token_path(p.substr(0, p.size() - kApi.size()));
    if (!t) return Error::invalid(who + t.error().message);
    token_target = std::move(*t);
  }
  auto strand = asio::make_strand(std::move(ex));
  return std::shared_ptr<PlatformClient>(new PlatformClient(strand, tls, std::move(ep), limits,
                                                            std::move(*api), std::move(*paths),
                                                            std::move(token_target)));
}

PlatformClient::PlatformClient(asio::any_io_executor strand, asio::ssl::context& tls,
                               PlatformEndpoint ep, Limits limits, HttpUrl api, ApiPaths paths,
                               std::string token_target)
    : ex_(std::move(strand)),
      tls_(tls),
      ep_(std::move(ep)),
      limits_(limits),
      api_(std::move(api)),
      paths_(std::move(paths)),
      token_target_(std::move(token_target)),
      pool_(std::make_unique<detail::Pool>(ex_, api_.origin, ep_.max_connections, ep_.max_waiting,
                                           ep_.idle_keep)) {}

PlatformClient::~PlatformClient() = default;

PlatformClient::Op PlatformClient::api_op(const char* what, http::verb method,
                                          std::string target) const {
  Op op;
  op.what = what;
  op.method = method;
  op.origin = api_.origin;
  op.target = std::move(target);
  return op;
}

asio::awaitable<HttpAnswer> PlatformClient::send_message(std::string json_body) {
  Op op = api_op("send", http::verb::post, paths_.messages());
  op.content_type = "application/json";
  op.body = std::move(json_body);
  auto call = spawn(std::move(op));
  co_return co_await std::move(call);
}

asio::awaitable<HttpAnswer> PlatformClient::capabilities(std::string e164) {
  auto target = paths_.capabilities(e164);
  if (!target) co_return refused(target.error());
  auto call = spawn(api_op("capabilities", http::verb::get, std::move(*target)));
  co_return co_await std::move(call);
}

asio::awaitable<HttpAnswer> PlatformClient::set_status(std::string msg_id, std::string json_body) {
  auto target = paths_.message_status(msg_id);
  if (!target) co_return refused(target.error());
  Op op = api_op("set status", http::verb::put, std::move(*target));
  op.content_type = "application/json";
  op.body = std::move(json_body);
  auto call = spawn(std::move(op));
  co_return co_await std::move(call);
}

asio::awaitable<HttpAnswer> PlatformClient::message_status(std::string msg_id) {
  auto target = paths_.message_status(msg_id);
  if (!target) co_return refused(target.error());
  auto call = spawn(api_op("status", http::verb::get, std::move(*target)));
  co_return co_await std::move(call);
}

// Runs the call on the client's strand, whatever executor the caller's coroutine uses.
asio::awaitable<HttpAnswer> PlatformClient::spawn(Op op) {
  auto run = [self = shared_from_this(), op = std::move(op)]() -> asio::awaitable<HttpAnswer> {
    co_return co_await self->call_json(op);
  };
  return asio::co_spawn(ex_, std::move(run), asio::use_awaitable);
}

asio::awaitable<HttpAnswer> PlatformClient::call_json(const Op& op) {
  std::string body;
  bool truncated = false;
  const std::size_t max = limits_.max_body;
  detail::Sink sink{[&](const detail::Incoming&) {
                      body.clear();  // a new answer (after a 401)
                      truncated = false;
                      return true;
                    },
                    [&](std::string_view data) {
                      if (data.size() > max - body.size()) {
                        body.append(data.substr(0, max - body.size()));
                        truncated = true;
                        return false;
                      }
                      body.append(data);
                      return true;
                    }};
  HttpAnswer a = co_await call(op, sink);
  if (a.status != 0) {
    a.body = std::move(body);
    a.truncated = truncated;
  }
  co_return a;
}

asio::awaitable<HttpAnswer> PlatformClient::call(const Op& op, const detail::Sink& sink) {
  // Arguments of a co_awaited call are named locals throughout: GCC 12 mishandles some
  // temporaries that live across a co_await.
  if (!op.authenticate) {
    const std::string none;
    co_return co_await perform(op, none, sink);
  }
  for (int attempt = 0;; ++attempt) {
    Bearer b = co_await bearer();
    if (b.token.empty()) co_return b.failure;
    const std::string authorization = "Bearer " + b.token;
    HttpAnswer a = co_await perform(op, authorization, sink);
    if (a.status != 401 || token_target_.empty() || attempt > 0) co_return a;
    spdlog::info("rcs {}: {} answered 401: getting a new token", ep_.name, op.what);
    tokens_.invalidate(b.token);
  }
}

asio::awaitable<HttpAnswer> PlatformClient::perform(const Op& op, const std::string& authorization,
                                                    const detail::Sink& sink) {
  const auto started = Clock::now();
  const auto deadline = started + ep_.timeout;
  const auto idle = op.transfer ? std::optional(ep_.timeout) : std::nullopt;
  auto fail = [&](std::string why) {
    spdlog::debug("rcs {}: {}: no answer: {}", ep_.name, op.what, why);
    return no_answer(ep_.name + ": " + why);
  };
  if (pool_->stopped()) co_return fail("the client was stopped");
  auto turn = co_await pool_->acquire(deadline);
  if (!turn) co_return fail(turn.error().message);

  detail::Outgoing out;
  out.head = {op.method, op.target, 11};
  out.head.set(http::field::host, op.origin.host_header());
  out.head.set(http::field::user_agent, "passerelle");
  out.head.set(http::field::accept, op.accept);
  if (!authorization.empty()) out.head.set(http::field::authorization, authorization);
  const std::uint64_t length = op.body.size() + op.file_size + op.tail.size();
  if (!op.content_type.empty()) out.head.set(http::field::content_type, op.content_type);
  if (length > 0 || op.method == http::verb::post || op.method == http::verb::put)
    out.head.content_length(length);
  out.body = op.body;
  out.file_path = op.file_path;
  out.file_size = op.file_size;
  out.tail = op.tail;

  for (int attempt = 0;; ++attempt) {
    auto conn = pool_->take_idle(op.origin);
    const bool reused = conn != nullptr;
    if (!conn) {
      auto opened = co_await detail::Connection::open(ex_, tls_, op.origin, deadline);
      if (!opened) co_return fail(opened.error().message);
      conn = std::move(*opened);
    }
    if (pool_->stopped()) {
      conn->close();
      co_return fail("the client was stopped");
    }
    detail::Pool::Lease lease(*pool_, std::move(conn));
    detail::Exchanged x = co_await lease->exchange(out, sink, deadline, idle);
    if (!x.ec) {
      HttpAnswer a;
      a.status = x.in.status;
      a.location = std::move(x.in.location);
      a.retry_after = std::move(x.in.retry_after);
      a.content_type = std::move(x.in.content_type);
      spdlog::debug(
          "rcs {}: {}: HTTP {} in {} ms", ep_.name, op.what, a.status,
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
      co_return a;
    }
    if (pool_->stopped()) co_return fail("the client was stopped");
    if (reused && attempt == 0 && stale(x)) {
      spdlog::debug("rcs {}: {}: kept-alive connection was closed ({}): reconnecting", ep_.name,
                    op.what, x.ec.message());
      continue;
    }
    std::string why = std::string(x.stage) + ": ";
    why += x.ec == boost::beast::error::timeout
               ? "timed out after " + std::to_string(ep_.timeout.count()) + " ms"
               : x.ec.message();
    if (x.in.status != 0) why += " (after the head of an HTTP " + std::to_string(x.in.status) + ")";
    co_return fail(op.origin.host_header() + ": " + why);
  }
}

void PlatformClient::stop() {
  asio::dispatch(ex_, [self = shared_from_this()] {
    self->pool_->stop();
    for (auto& w : self->token_waiters_) w->cancel();
    self->token_waiters_.clear();
  });
}

}  // namespace passerelle::rcs
