// PlatformClient's API calls against an in-process HTTP server: authentication, tokens,
// keep-alive, timeouts, bounded answers, headers, the connection bound and stop().
#include <gtest/gtest.h>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "rcs/codec/upload.hpp"
#include "rcs/session/platform_client.hpp"
#include "rcs/session/token_cache.hpp"
#include "session_server.hpp"

namespace passerelle::rcs {
namespace {

using namespace std::chrono_literals;
using testing::Harness;
using testing::Reply;
using testing::SeenRequest;
namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

Reply ok_json(std::string body = R"({"RCSMessage":{"msgId":"m1","status":"pending"}})") {
  Reply r;
  r.status = 202;
  r.body = std::move(body);
  r.fields = {{"Content-Type", "application/json"}};
  return r;
}

TEST(RcsSession, SendsTheBearerTokenAndTheBody) {
  Harness h([](const SeenRequest&) { return ok_json(); });
  auto c = h.client(h.endpoint());
  h.run([&]() -> asio::awaitable<void> {
    auto a = co_await c->send_message(R"({"RCSMessage":{"textMessage":"hi"}})");
    EXPECT_EQ(a.status, 202);
    EXPECT_EQ(a.content_type, "application/json");
    EXPECT_NE(a.body.find("pending"), std::string::npos);
    EXPECT_FALSE(a.truncated);
  });
  ASSERT_EQ(h.server.requests().size(), 1u);
  const auto& r = h.server.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/bot/v1/bot-a/messages");
  EXPECT_EQ(r.field("authorization"), "Bearer tok-a");
  EXPECT_EQ(r.field("content-type"), "application/json");
  EXPECT_EQ(r.field("host"), "127.0.0.1:" + std::to_string(h.server.port()));
  EXPECT_EQ(r.body, R"({"RCSMessage":{"textMessage":"hi"}})");
  EXPECT_EQ(r.field("content-length"), std::to_string(r.body.size()));
}

TEST(RcsSession, CallsUseTheCodecPaths) {
  Harness h([](const SeenRequest&) {
    Reply r;
    r.status = 204;
    return r;
  });
  auto c = h.client(h.endpoint());
  h.run([&]() -> asio::awaitable<void> {
    EXPECT_EQ((co_await c->capabilities("+33611111111")).status, 204);
    EXPECT_EQ((co_await c->set_status("m/1", R"({"RCSMessage":{"status":"displayed"}})")).status,
              204);
    EXPECT_EQ((co_await c->message_status("m1")).status, 204);
    // Refused before anything is sent: not worth retrying.
    auto bad = co_await c->capabilities("0611");
    EXPECT_EQ(bad.status, 0);
    EXPECT_TRUE(bad.invalid_request);
    EXPECT_FALSE(bad.error.empty());
  });
  const auto& rq = h.server.requests();
  ASSERT_EQ(rq.size(), 3u);
  EXPECT_EQ(rq[0].method, "GET");
  EXPECT_EQ(rq[0].target, "/bot/v1/bot-a/contactCapabilities?userContact=%2B33611111111");
  EXPECT_EQ(rq[1].method, "PUT");
  EXPECT_EQ(rq[1].target, "/bot/v1/bot-a/messages/m%2F1/status");
  EXPECT_EQ(rq[2].target, "/bot/v1/bot-a/messages/m1/status");
  for (const auto& r : rq) EXPECT_EQ(r.field("authorization"), "Bearer tok-a");
}

// A platform whose token endpoint mints tok-1, tok-2, ... and whose API accepts only the
// tokens listed in `valid`.
struct TokenPlatform {
  int minted = 0;
  std::vector<std::string> valid;
  Reply operator()(const SeenRequest& r) {
    if (r.target == "/rcs/oauth2/v1/token") {
      Reply t;
      if (r.field("authorization") != *basic_authorization("bot-a", "s3cret") ||
          r.body.find("grant_type=client_credentials") == std::string::npos) {
        t.status = 401;
        return t;
      }
      const std::string tok = "tok-" + std::to_string(++minted);
      valid.push_back(tok);
      t.body = R"({"access_token":")" + tok + R"(","token_type":"Bearer","expires_in":3600})";
      return t;
    }
    for (const auto& v : valid) {
      if (r.field("authorization") == "Bearer " + v) return ok_json();
    }
    Reply no;
    no.status = 401;
    return no;
  }
};

PlatformEndpoint secret_endpoint(const Harness& h) {
  PlatformEndpoint ep = h.endpoint();
  ep.api_url = h.server.url("/rcs/bot/v1");
  ep.token.clear();
  ep.client_secret = "s3cret";
  return ep;
}

TEST(RcsSession, FetchesATokenOnceAndRefreshesItOnA401) {
  auto platform = std::make_shared<TokenPlatform>();
  Harness h([platform](const SeenRequest& r) { return (*platform)(r); });
  auto c = h.client(secret_endpoint(h));
  h.run([&]() -> asio::awaitable<void> {
    // Three calls at once share one token request.
    auto [a, b, d] =
        co_await (c->send_message("{}") && c->send_message("{}") && c->message_status("m1"));
    EXPECT_EQ(a.status, 202);
    EXPECT_EQ(b.status, 202);
    EXPECT_EQ(d.status, 202);
    EXPECT_EQ(platform->minted, 1);
    // The platform forgets tok-1: the next call gets 401, a new token, and succeeds.
    platform->valid.clear();
    auto e = co_await c->send_message("{}");
    EXPECT_EQ(e.status, 202);
    EXPECT_EQ(platform->minted, 2);
  });
  const auto& rq = h.server.requests();
  ASSERT_EQ(rq.size(), 7u);
  EXPECT_EQ(rq[0].target, "/rcs/oauth2/v1/token");
  EXPECT_EQ(rq[0].method, "POST");
  EXPECT_EQ(rq[0].field("content-type"), "application/x-www-form-urlencoded");
  for (int i : {1, 2, 3, 4}) EXPECT_EQ(rq[i].field("authorization"), "Bearer tok-1");
  EXPECT_EQ(rq[5].target, "/rcs/oauth2/v1/token");
  EXPECT_EQ(rq[6].field("authorization"), "Bearer tok-2");
}

TEST(RcsSession, A401IsRetriedExactlyOnce) {
  auto platform = std::make_shared<TokenPlatform>();
  Harness h([platform](const SeenRequest& r) {
    auto reply = (*platform)(r);
    platform->valid.clear();  // every token is refused by the API
    return reply;
  });
  auto c = h.client(secret_endpoint(h));
  h.run([&]() -> asio::awaitable<void> {
    auto a = co_await c->send_message("{}");
    EXPECT_EQ(a.status, 401);
  });
  // token, call, token, call: no third attempt.
  ASSERT_EQ(h.server.requests().size(), 4u);
  EXPECT_EQ(platform->minted, 2);
}

TEST(RcsSession, AStaticTokenIsNotRetriedOnA401) {
  Harness h([](const SeenRequest&) {
    Reply r;
    r.status = 401;
    return r;
  });
  auto c = h.client(h.endpoint());
  h.run(
      [&]() -> asio::awaitable<void> { EXPECT_EQ((co_await c->send_message("{}")).status, 401); });
  EXPECT_EQ(h.server.requests().size(), 1u);
}

TEST(RcsSession, ATokenEndpointRefusalIsTheAnswer) {
  Harness h([](const SeenRequest&) {
    Reply r;
    r.status = 401;
    r.body = R"({"error":{"code":401,"message":"bad credentials"}})";
    return r;
  });
  auto c = h.client(secret_endpoint(h));
  h.run([&]() -> asio::awaitable<void> {
    auto a = co_await c->send_message("{}");
    EXPECT_EQ(a.status, 401);
    EXPECT_NE(a.error.find("token endpoint"), std::string::npos) << a.error;
    EXPECT_EQ(a.body.find("s3cret"), std::string::npos);
  });
  ASSERT_EQ(h.server.requests().size(), 1u);
  EXPECT_EQ(h.server.requests()[0].target, "/rcs/oauth2/v1/token");
}

TEST(RcsSession, TokenCacheRefreshesBeforeExpiry) {
  detail::TokenCache cache;
  const auto t0 = detail::TokenCache::Clock::now();
  EXPECT_EQ(cache.current(t0), "");
  cache.store("tok", 3600, t0);
  EXPECT_EQ(cache.current(t0 + 3539s), "tok");
  EXPECT_EQ(cache.current(t0 + 3541s), "");
  cache.store("tok", 8, t0);  // short lives: a quarter of the life before
  EXPECT_EQ(cache.current(t0 + 5s), "tok");
  EXPECT_EQ(cache.current(t0 + 7s), "");
  cache.store("tok", 0, t0);  // no expiry said: until a 401
  EXPECT_EQ(cache.current(t0 + 100000s), "tok");
  cache.invalidate("older");
  EXPECT_EQ(cache.current(t0), "tok");
  cache.invalidate("tok");
  EXPECT_EQ(cache.current(t0), "");
}

TEST(RcsSession, KeepsConnectionsAliveAndReconnectsAfterTheServerClosedOne) {
  bool close_next = false;
  Harness h([&](const SeenRequest&) {
    Reply r = ok_json();
    r.close_after = std::exchange(close_next, false);
    return r;
  });
  auto c = h.client(h.endpoint());
  h.run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) EXPECT_EQ((co_await c->message_status("m1")).status, 202);
    EXPECT_EQ(h.server.connections(), 1);
    // The platform closes the kept connection (idle timeout) without saying so.
    close_next = true;
    EXPECT_EQ((co_await c->message_status("m1")).status, 202);
    EXPECT_EQ((co_await c->send_message("{}")).status, 202);
    EXPECT_EQ((co_await c->message_status("m1")).status, 202);
  });
  EXPECT_EQ(h.server.connections(), 2);
  // Every request reached the server once: the stale connection carried nothing.
  EXPECT_EQ(h.server.requests().size(), 6u);
}

TEST(RcsSession, ATimeoutIsNoAnswer) {
  Harness h([](const SeenRequest&) {
    Reply r = ok_json();
    r.delay = 3s;
    return r;
  });
  auto ep = h.endpoint();
  ep.timeout = 150ms;
  auto c = h.client(ep);
  h.run([&]() -> asio::awaitable<void> {
    const auto t0 = std::chrono::steady_clock::now();
    auto a = co_await c->send_message("{}");
    EXPECT_EQ(a.status, 0);
    EXPECT_FALSE(a.invalid_request);
    EXPECT_NE(a.error.find("timed out"), std::string::npos) << a.error;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  });
}

TEST(RcsSession, ARefusedConnectionIsNoAnswer) {
  Harness h([](const SeenRequest&) { return ok_json(); });
  unsigned short closed_port;
  {
    asio::ip::tcp::acceptor a(h.io, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = a.local_endpoint().port();
  }
  auto ep = h.endpoint();
  ep.api_url = "http://127.0.0.1:" + std::to_string(closed_port) + "/bot/v1";
  auto c = h.client(ep);
  h.run([&]() -> asio::awaitable<void> {
    auto a = co_await c->send_message("{}");
    EXPECT_EQ(a.status, 0);
    EXPECT_FALSE(a.error.empty());
  });
}

TEST(RcsSession, AnOversizeBodyIsCutAndTheConnectionDropped) {
  Harness h([](const SeenRequest&) {
    Reply r;
    r.status = 200;
    r.body = std::string(5000, 'x');
    return r;
  });
  Limits limits;
  limits.max_body = 1000;
  auto c = h.client(h.endpoint(), limits);
  h.run([&]() -> asio::awaitable<void> {
    auto a = co_await c->message_status("m1");
    EXPECT_EQ(a.status, 200);
    EXPECT_TRUE(a.truncated);
    EXPECT_EQ(a.body, std::string(1000, 'x'));
    auto b = co_await c->message_status("m1");
    EXPECT_EQ(b.status, 200);
  });
  EXPECT_EQ(h.server.connections(), 2);  // the unread rest made the first one unusable
}

TEST(RcsSession, ReadsRetryAfterAndLocation) {
  Harness h([](const SeenRequest& r) {
    Reply rep;
    if (r.method == "GET") {
      rep.status = 503;
      rep.fields = {{"Retry-After", "7"}};
    } else {
      rep.status = 201;
      rep.fields = {{"Location", "/bot/v1/bot-a/files/f1"}};
    }
    return rep;
  });
  auto c = h.client(h.endpoint());
  h.run([&]() -> asio::awaitable<void> {
    auto a = co_await c->message_status("m1");
    EXPECT_EQ(a.status, 503);
    EXPECT_EQ(a.retry_after, "7");
    auto b = co_await c->send_message("{}");
    EXPECT_EQ(b.status, 201);
    EXPECT_EQ(b.location, "/bot/v1/bot-a/files/f1");
  });
}

TEST(RcsSession, AtMostMaxConnectionsOnTheWire) {
  Harness h([](const SeenRequest&) {
    Reply r = ok_json();
    r.delay = 30ms;
    return r;
  });
  auto ep = h.endpoint();
  ep.max_connections = 2;
  auto c = h.client(ep);
  h.run([&]() -> asio::awaitable<void> {
    auto [a, b, d, e, f] =
        co_await (c->message_status("1") && c->message_status("2") && c->message_status("3") &&
                  c->message_status("4") && c->message_status("5"));
    for (const auto& x : {a, b, d, e, f}) EXPECT_EQ(x.status, 202) << x.error;
  });
  EXPECT_EQ(h.server.max_open(), 2);
  EXPECT_EQ(h.server.connections(), 2);
  EXPECT_EQ(h.server.requests().size(), 5u);
}

TEST(RcsSession, StopEndsCallsInFlight) {
  Harness h([](const SeenRequest&) {
    Reply r = ok_json();
    r.delay = 3s;
    return r;
  });
  auto c = h.client(h.endpoint());
  h.run([&]() -> asio::awaitable<void> {
    asio::steady_timer t(h.io, 50ms);
    auto stopper = [&]() -> asio::awaitable<void> {
      co_await t.async_wait(asio::use_awaitable);
      c->stop();
    };
    auto a = co_await (c->send_message("{}") && stopper());
    EXPECT_EQ(a.status, 0);
    EXPECT_NE(a.error.find("stopped"), std::string::npos) << a.error;
    auto b = co_await c->send_message("{}");
    EXPECT_EQ(b.status, 0);
  });
  EXPECT_EQ(h.server.requests().size(), 1u);
}

}  // namespace
}  // namespace passerelle::rcs
