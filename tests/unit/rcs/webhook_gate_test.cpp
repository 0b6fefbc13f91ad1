// The webhook's sans-IO parts: the decision on a request head, the answers, the listen
// address.

#include <gtest/gtest.h>

#include "rcs/webhook/answer.hpp"
#include "rcs/webhook/gate.hpp"
#include "rcs/webhook/listen.hpp"

namespace passerelle::rcs {
namespace {

const std::vector<WebhookRoute> kRoutes = {{"/rcs/a", "carrier-a", "Bearer s3cret"},
                                           {"/rcs/open", "carrier-open", ""}};

RequestHead good_head() {
  RequestHead h;
  h.method = "POST";
  h.target = "/rcs/a";
  h.authorization = "Bearer s3cret";
  h.authorization_count = 1;
  h.content_type = "application/json";
  h.content_length = 100;
  return h;
}

TEST(WebhookGate, AcceptsAGoodHeadAndNamesTheRoute) {
  const Verdict v = judge(good_head(), kRoutes, 1024);
  EXPECT_EQ(v.status, 0);
  ASSERT_NE(v.route, nullptr);
  EXPECT_EQ(v.route->platform, "carrier-a");
}

TEST(WebhookGate, PathIsExactAndTheQueryIgnored) {
  auto h = good_head();
  h.target = "/rcs/a?x=1";
  EXPECT_EQ(judge(h, kRoutes, 1024).status, 0);
  for (std::string_view t : {"/rcs/a/", "/rcs/ab", "/rcs", "*", "http://host/rcs/a"}) {
    h.target = t;
    const Verdict v = judge(h, kRoutes, 1024);
    EXPECT_EQ(v.status, 404) << t;
    EXPECT_EQ(v.route, nullptr);
  }
}

TEST(WebhookGate, OrderPathMethodAuthorizationTypeLength) {
  auto h = good_head();
  h.method = "GET";
  h.authorization.reset();
  h.content_type = "text/plain";
  h.content_length = 1 << 20;
  EXPECT_EQ(judge(h, kRoutes, 1024).status, 405);
  h.method = "POST";
  EXPECT_EQ(judge(h, kRoutes, 1024).status, 401);
  h.authorization = "Bearer s3cret";
  h.authorization_count = 1;
  EXPECT_EQ(judge(h, kRoutes, 1024).status, 415);
  h.content_type = "application/json; charset=utf-8";
  EXPECT_EQ(judge(h, kRoutes, 1024).status, 413);
  h.content_length = 1024;
  EXPECT_EQ(judge(h, kRoutes, 1024).status, 0);
}

TEST(WebhookGate, AuthorizationIsVerbatimAndClosesTheConnection) {
  auto h = good_head();
  for (std::string_view wrong : {"Bearer s3cre", "bearer s3cret", "Bearer s3cret ", "s3cret", ""}) {
    h.authorization = wrong;
    const Verdict v = judge(h, kRoutes, 1024);
    EXPECT_EQ(v.status, 401) << wrong;
    EXPECT_TRUE(v.close);
    EXPECT_EQ(v.reason.find("s3cret"), std::string::npos);
  }
  h.authorization.reset();
  h.authorization_count = 0;
  EXPECT_EQ(judge(h, kRoutes, 1024).status, 401);
  h.authorization = "Bearer s3cret";
  h.authorization_count = 2;
  EXPECT_EQ(judge(h, kRoutes, 1024).status, 401);
}

TEST(WebhookGate, RouteWithoutSecretTakesAnyAuthorization) {
  auto h = good_head();
  h.target = "/rcs/open";
  h.authorization.reset();
  EXPECT_EQ(judge(h, kRoutes, 1024).status, 0);
  h.authorization = "anything";
  EXPECT_EQ(judge(h, kRoutes, 1024).status, 0);
}

TEST(WebhookGate, ContentTypes) {
  auto h = good_head();
  for (std::string_view ok : {"application/json", "Application/JSON", "application/vnd.x+json"}) {
    h.content_type = ok;
    EXPECT_EQ(judge(h, kRoutes, 1024).status, 0) << ok;
  }
  for (std::string_view bad : {"", "text/plain", "application/x-www-form-urlencoded"}) {
    h.content_type = bad;
    EXPECT_EQ(judge(h, kRoutes, 1024).status, 415) << bad;
  }
}

TEST(WebhookGate, NoContentLengthIsJudgedWhileReading) {
  auto h = good_head();
  h.content_length.reset();  // chunked, or no body
  EXPECT_EQ(judge(h, kRoutes, 1024).status, 0);
}

TEST(WebhookAnswer, VerdictToStatus) {
  const Reply ok = verdict_reply(Status{});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "{}");
  EXPECT_FALSE(ok.retry_after);

  const Reply retry = verdict_reply(Error::transient("store busy"));
  EXPECT_EQ(retry.status, 503);
  EXPECT_TRUE(retry.retry_after);
  EXPECT_EQ(retry.body, R"({"error":"store busy"})");

  const Reply refused = verdict_reply(Error::invalid("no such bot"));
  EXPECT_EQ(refused.status, 400);
  EXPECT_FALSE(refused.retry_after);
  EXPECT_EQ(refused.body, R"({"error":"no such bot"})");
}

TEST(WebhookAnswer, ParseFailureKeepsItsProtocolStatus) {
  Error big = Error::limit("rcs webhook event: body of 9 bytes over 8");
  big.protocol_status = 413;
  EXPECT_EQ(parse_failure(big).status, 413);
  Error bad = Error::invalid("rcs webhook event: RCSMessage.msgId: missing");
  bad.protocol_status = 400;
  EXPECT_EQ(parse_failure(bad).status, 400);
  EXPECT_EQ(parse_failure(Error::invalid("x")).status, 400);  // none given
}

TEST(WebhookAnswer, ErrorBodyIsOneLineOfValidJson) {
  EXPECT_EQ(json_error_body("a \"b\" \\ c\nd\te\x01"), R"({"error":"a \"b\" \\ c d e\u0001"})");
  EXPECT_EQ(json_error_body("caf\xc3\xa9 \xff"), "{\"error\":\"caf\xc3\xa9 \\ufffd\"}");
  const std::string body = json_error_body(std::string(5000, 'x'));
  EXPECT_LT(body.size(), 600u);
  EXPECT_NE(body.find("...\"}"), std::string::npos);
}

TEST(WebhookListen, Forms) {
  auto a = parse_listen("127.0.0.1:8481");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8481);
  auto b = parse_listen("[::1]:0");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  auto c = parse_listen("localhost:9");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "127.0.0.1");
  for (std::string_view bad : {"8481", "127.0.0.1:", "127.0.0.1:65536", "::1:80", "[::1]80",
                               "example.org:80", "127.0.0.1:8x"}) {
    EXPECT_FALSE(parse_listen(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace passerelle::rcs
