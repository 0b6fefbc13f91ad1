// The RCS session's URL rules and PlatformClient::make's checks of an endpoint.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "rcs/session/platform_client.hpp"
#include "rcs/session/url.hpp"

namespace passerelle::rcs {
namespace {

TEST(RcsSessionUrl, Parses) {
  auto u = parse_http_url("https://maap.example/rcs/bot/v1?x=1#frag", "api_url");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->origin.tls);
  EXPECT_EQ(u->origin.host, "maap.example");
  EXPECT_EQ(u->origin.port, "443");
  EXPECT_EQ(u->path, "/rcs/bot/v1");
  EXPECT_EQ(u->target, "/rcs/bot/v1?x=1");
  EXPECT_EQ(u->origin.host_header(), "maap.example");

  auto v = parse_http_url("http://[::1]:8080", "api_url");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->origin.host, "::1");
  EXPECT_EQ(v->target, "/");
  EXPECT_EQ(v->origin.host_header(), "[::1]:8080");
}

TEST(RcsSessionUrl, Refuses) {
  for (const char* url :
       {"http://example.com/bot/v1", "http://127.evil.example/bot/v1", "http://10.1.1.1/bot/v1",
        "ftp://127.0.0.1/x", "https://u:p@h.example/", "https://h.example:0/",
        "https://h.example:70000/", "/bot/v1", "", "https:///bot/v1"}) {
    auto u = parse_http_url(url, "api_url");
    EXPECT_FALSE(u.ok()) << url;
    if (!u.ok()) {
      EXPECT_EQ(u.error().code, Errc::invalid_input) << url;
    }
  }
}

TEST(RcsSessionUrl, MakeChecksTheEndpoint) {
  boost::asio::io_context io;
  boost::asio::ssl::context tls{boost::asio::ssl::context::tls_client};
  PlatformEndpoint good;
  good.name = "carrier-a";
  good.api_url = "http://127.0.0.1:41131/bot/v1";
  good.bot_id = "bot-a";
  good.token = "tok-a";
  auto ok = PlatformClient::make(io.get_executor(), tls, good);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ((*ok)->endpoint().name, "carrier-a");

  auto refused = [&](auto change) {
    PlatformEndpoint ep = good;
    change(ep);
    auto c = PlatformClient::make(io.get_executor(), tls, ep);
    if (c.ok()) return std::string("accepted");
    EXPECT_EQ(c.error().code, Errc::invalid_input);
    EXPECT_EQ(c.error().message.find("s3cret"), std::string::npos);
    return c.error().message;
  };
  EXPECT_NE(refused([](auto& ep) { ep.api_url = "http://maap.example/bot/v1"; }), "accepted");
  EXPECT_NE(refused([](auto& ep) { ep.api_url = "http://127.0.0.1/bot/v1?a=b"; }), "accepted");
  EXPECT_NE(refused([](auto& ep) { ep.bot_id = ""; }), "accepted");
  EXPECT_NE(refused([](auto& ep) { ep.token = ""; }), "accepted");
  EXPECT_NE(refused([](auto& ep) { ep.token = "a\r\nX-Evil: 1"; }), "accepted");
  EXPECT_NE(refused([](auto& ep) { ep.max_connections = 0; }), "accepted");
  EXPECT_NE(refused([](auto& ep) {
              ep.token = "";
              ep.client_secret = "s3cret";
              ep.api_url = "https://maap.example/api";  // no {root}/bot/v1: no token endpoint
            }),
            "accepted");
  // https anywhere; a secret with a root.
  EXPECT_EQ(refused([](auto& ep) {
              ep.token = "";
              ep.client_secret = "s3cret";
              ep.api_url = "https://maap.example/rcs/bot/v1/";
            }),
            "accepted");
}

}  // namespace
}  // namespace passerelle::rcs
