// PlatformClient: the bearer token (a static one, or one from the token endpoint).
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "rcs/codec/answers.hpp"
#include "rcs/codec/upload.hpp"
#include "rcs/session/connection.hpp"
#include "rcs/session/platform_client.hpp"
#include "rcs/session/pool.hpp"

namespace passerelle::rcs {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {
bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != std::string::npos;
}
}  // namespace

// One fetch at a time: calls that need a token while it is being fetched wait for its
// outcome, and share its failure rather than each asking again.
asio::awaitable<PlatformClient::Bearer> PlatformClient::bearer() {
  if (token_target_.empty()) co_return Bearer{ep_.token, {}};
  for (;;) {
    if (const auto& t = tokens_.current(detail::Clock::now()); !t.empty()) co_return Bearer{t, {}};
    if (pool_->stopped()) {
      HttpAnswer a;
      a.error = ep_.name + ": the client was stopped";
      co_return Bearer{{}, std::move(a)};
    }
    if (!fetching_token_) break;
    auto w = std::make_shared<asio::steady_timer>(ex_, asio::steady_timer::time_point::max());
    token_waiters_.push_back(w);
    co_await w->async_wait(asio::as_tuple(asio::use_awaitable));
    if (const auto& t = tokens_.current(detail::Clock::now()); !t.empty()) co_return Bearer{t, {}};
    if (!fetching_token_) co_return Bearer{{}, last_token_failure_};
  }
  fetching_token_ = true;
  HttpAnswer failure = co_await fetch_token();
  fetching_token_ = false;
  last_token_failure_ = failure;
  for (auto& w : token_waiters_) w->cancel();
  token_waiters_.clear();
  if (const auto& t = tokens_.current(detail::Clock::now()); !t.empty()) co_return Bearer{t, {}};
  co_return Bearer{{}, std::move(failure)};
}

// POST {root}/oauth2/v1/token with client credentials (HTTP Basic bot_id:secret). On
// success the token is stored and the answer returned is empty; otherwise the answer says
// why (the endpoint's own status, or status 0).
asio::awaitable<HttpAnswer> PlatformClient::fetch_token() {
  auto basic = basic_authorization(ep_.bot_id, ep_.client_secret);
  if (!basic) {
    HttpAnswer a;
    a.error = ep_.name + ": token endpoint: " + basic.error().message;
    a.invalid_request = true;
    co_return a;
  }
  Op op = api_op("token", http::verb::post, token_target_);
  op.content_type = "application/x-www-form-urlencoded";
  op.body = build_token_request("botmessage");
  op.authenticate = false;
  std::string body;
  bool truncated = false;
  const std::size_t max = limits_.max_body;
  detail::Sink sink{[](const detail::Incoming&) { return true; },
                    [&](std::string_view data) {
                      if (data.size() > max - body.size()) {
                        truncated = true;
                        return false;
                      }
                      body.append(data);
                      return true;
                    }};
  HttpAnswer a = co_await perform(op, *basic, sink);
  if (a.status == 0) co_return a;
  if (a.status < 200 || a.status > 299) {
    a.body = std::move(body);
    a.error = ep_.name + ": the token endpoint answered HTTP " + std::to_string(a.status);
    spdlog::warn("rcs {}: the token endpoint answered HTTP {}: {}", ep_.name, a.status,
                 parse_error_body(a.body, limits_).message);
    co_return a;
  }
  auto token = truncated ? Result<Token>(Error::limit("token answer over the body limit"))
                         : parse_token_answer(body, limits_);
  if (!token || token->access_token.empty() || has_line_break(token->access_token)) {
    HttpAnswer bad;
    bad.error = ep_.name + ": token endpoint: " +
                (token ? std::string("unusable access_token") : token.error().message);
    spdlog::warn("rcs {}", bad.error);
    co_return bad;
  }
  spdlog::debug("rcs {}: new bearer token, expires in {} s", ep_.name,
                token->expires_in ? std::to_string(*token->expires_in) : "?");
  tokens_.store(std::move(token->access_token), token->expires_in.value_or(0),
                detail::Clock::now());
  co_return HttpAnswer{};
}

}  // namespace passerelle::rcs
