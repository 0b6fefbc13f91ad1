// The webhook server in-process on 127.0.0.1, port 0, driven by a Beast client on its own
// io_context (every client operation bounded by 3 s).

#include "rcs/webhook/webhook_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include "../common/read_file.hpp"

namespace passerelle::rcs {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using passerelle::testing::read_file;

const std::string kEvents = std::string(PASSERELLE_SOURCE_DIR) + "/tests/peers/rcs/fixtures/events";

std::string fixture(const std::string& name) {
  return read_file(kEvents + "/" + name);
}

struct Post {
  std::string path = "/rcs/a";
  std::string body;
  std::string authorization = "Bearer s3cret";  // "" = none
  std::string content_type = "application/json";
  std::string extra;  // more header lines, each ending in \r\n
  std::string method = "POST";
  bool content_length = true;

  std::string text() const {
    std::string s = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!authorization.empty()) s += "Authorization: " + authorization + "\r\n";
    if (!content_type.empty()) s += "Content-Type: " + content_type + "\r\n";
    if (content_length) s += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return s + extra + "\r\n" + body;
  }
};

// A blocking HTTP/1.1 client over a private io_context.
class Client {
 public:
  explicit Client(unsigned short port) : stream_(io_) {
    stream_.expires_after(3s);
    stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                          [this](beast::error_code e) { ec_ = e; });
    run();
  }
  bool connected() const { return !ec_; }

  bool write(std::string_view raw) {
    stream_.expires_after(3s);
    asio::async_write(stream_, asio::buffer(raw),
                      [this](beast::error_code e, std::size_t) { ec_ = e; });
    run();
    return !ec_;
  }

  std::optional<http::response<http::string_body>> read() {
    http::response_parser<http::string_body> parser;
    stream_.expires_after(3s);
    http::async_read(stream_, buffer_, parser,
                     [this](beast::error_code e, std::size_t) { ec_ = e; });
    run();
    if (ec_) return std::nullopt;
    return parser.release();
  }

  std::optional<http::response<http::string_body>> request(const Post& p) {
    if (!write(p.text())) return std::nullopt;
    return read();
  }

  // The server closed its side (after any answer already read).
  bool closed_by_peer() {
    char c;
    stream_.expires_after(3s);
    asio::async_read(stream_, asio::buffer(&c, 1),
                     [this](beast::error_code e, std::size_t) { ec_ = e; });
    run();
    return ec_ == asio::error::eof || ec_ == asio::error::connection_reset;
  }

  std::size_t available() { return stream_.socket().available() + buffer_.size(); }
  beast::error_code error() const { return ec_; }

 private:
  void run() {
    io_.restart();
    io_.run();
  }
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast::error_code ec_;
};

struct Call {
  std::string platform;
  Event event;
  std::function<void(Status)> done;  // null when answered by the recorder
};

class WebhookServerTest : public ::testing::Test {
 protected:
  void start(WebhookOptions o = {}) {
    o.listen = "127.0.0.1:0";
    server_ = std::make_unique<WebhookServer>(
        io_.get_executor(), o,
        std::vector<WebhookRoute>{{"/rcs/a", "carrier-a", "Bearer s3cret"},
                                  {"/rcs/b", "carrier-b", "Bearer other"}},
        [this](const std::string& platform, Event event, std::function<void(Status)> done) {
          std::unique_lock lock(mu_);
          const auto answer = auto_answer_;
          const bool drop = drop_;
          calls_.push_back(Call{platform, std::move(event), nullptr});
          if (!answer && !drop) calls_.back().done = std::move(done);
          cv_.notify_all();
          lock.unlock();
          if (answer) done(*answer);
        },
        &metrics_);
    const Status st = server_->start();
    ASSERT_TRUE(st.ok()) << st.error().message;
    ASSERT_NE(server_->port(), 0);
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_) server_->stop();
    work_.reset();
    if (thread_.joinable()) {
      // Every connection closes once stopped; then run() runs out of work.
      for (int i = 0; i < 200 && !io_.stopped(); ++i) std::this_thread::sleep_for(5ms);
      EXPECT_TRUE(io_.stopped()) << "connections still open 1 s after stop()";
      io_.stop();
      thread_.join();
    }
    calls_.clear();
    server_.reset();
  }

  bool wait_calls(std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 3s, [&] { return calls_.size() >= n; });
  }
  std::size_t call_count() {
    std::lock_guard lock(mu_);
    return calls_.size();
  }
  // Answers the n-th call (the recorder kept its `done`).
  void answer(std::size_t n, Status verdict) {
    std::function<void(Status)> done;
    {
      std::lock_guard lock(mu_);
      done = calls_.at(n).done;
    }
    ASSERT_TRUE(done);
    done(std::move(verdict));
  }
  void manual() {
    std::lock_guard lock(mu_);
    auto_answer_.reset();
  }

  std::uint64_t requests(const std::string& platform, const std::string& status) {
    return metrics_
        .counter("passerelle_rcs_webhook_requests_total", "",
                 {{"platform", platform}, {"status", status}})
        .value();
  }
  std::uint64_t events(const std::string& platform, const std::string& event) {
    return metrics_
        .counter("passerelle_rcs_webhook_events_total", "",
                 {{"platform", platform}, {"event", event}})
        .value();
  }

  Client client() { return Client(server_->port()); }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  Metrics metrics_;
  std::unique_ptr<WebhookServer> server_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Call> calls_;
  std::optional<Status> auto_answer_ = Status{};
  bool drop_ = false;
};

TEST_F(WebhookServerTest, GoodEventWaitsForDoneThen200) {
  start();
  manual();
  Client c = client();
  ASSERT_TRUE(c.write(Post{.body = fixture("message_text.json")}.text()));
  ASSERT_TRUE(wait_calls(1));
  {
    std::lock_guard lock(mu_);
    EXPECT_EQ(calls_[0].platform, "carrier-a");
    const auto* text = std::get_if<InboundText>(&calls_[0].event);
    ASSERT_NE(text, nullptr);
    EXPECT_EQ(text->text, "hello world");
    EXPECT_EQ(text->msg_id, "Xs8CI3tdf");
  }
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(c.available(), 0u) << "answered before done";
  answer(0, Status{});
  auto res = c.read();
  ASSERT_TRUE(res) << c.error().message();
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(res->body(), "{}");
  EXPECT_EQ((*res)[http::field::content_type], "application/json");
  EXPECT_EQ(requests("carrier-a", "200"), 1u);
  EXPECT_EQ(events("carrier-a", "message"), 1u);
}

TEST_F(WebhookServerTest, RetryableErrorIs503WithRetryAfter) {
  start();
  manual();
  Client c = client();
  ASSERT_TRUE(c.write(Post{.body = fixture("isTyping.json")}.text()));
  ASSERT_TRUE(wait_calls(1));
  answer(0, Error::transient("store busy"));
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 503);
  EXPECT_EQ((*res)[http::field::retry_after], "1");
  EXPECT_EQ(requests("carrier-a", "503"), 1u);
}

TEST_F(WebhookServerTest, OtherErrorIs400WithAOneLineJsonBody) {
  start();
  manual();
  Client c = client();
  ASSERT_TRUE(c.write(Post{.body = fixture("alias.json")}.text()));
  ASSERT_TRUE(wait_calls(1));
  answer(0, Error::invalid("no such bot here"));
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 400);
  EXPECT_EQ(res->body(), R"({"error":"no such bot here"})");
  EXPECT_FALSE(res->has_content_length() && res->body().find('\n') != std::string::npos);
}

TEST_F(WebhookServerTest, DoneDroppedWithoutACallIs503AtOnce) {
  start();
  {
    std::lock_guard lock(mu_);
    auto_answer_.reset();
    drop_ = true;
  }
  Client c = client();
  auto res = c.request(Post{.body = fixture("message_text.json")});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 503);
}

TEST_F(WebhookServerTest, WrongOrMissingAuthorizationIs401AndCloses) {
  start();
  for (std::string auth : {"Bearer wrong", "", "Bearer other"}) {
    Client c = client();
    auto res = c.request(Post{.body = fixture("message_text.json"), .authorization = auth});
    ASSERT_TRUE(res) << auth;
    EXPECT_EQ(res->result_int(), 401) << auth;
    EXPECT_TRUE(c.closed_by_peer()) << auth;
  }
  EXPECT_EQ(call_count(), 0u);
  EXPECT_EQ(requests("carrier-a", "401"), 3u);
}

TEST_F(WebhookServerTest, NotJsonIs415) {
  start();
  Client c = client();
  auto res = c.request(Post{.body = "hello", .content_type = "text/plain"});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 415);
  EXPECT_EQ(call_count(), 0u);
}

TEST_F(WebhookServerTest, ContentLengthOverTheLimitIs413WithoutReadingTheBody) {
  WebhookOptions o;
  o.max_body = 1024;
  start(o);
  Client c = client();
  // Only the head: the answer cannot wait for a body that never comes.
  ASSERT_TRUE(
      c.write("POST /rcs/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n"
              "Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n"));
  auto res = c.read();
  ASSERT_TRUE(res) << c.error().message();
  EXPECT_EQ(res->result_int(), 413);
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(requests("carrier-a", "413"), 1u);
}

TEST_F(WebhookServerTest, ChunkedBodyGrowingOverTheLimitIs413) {
  WebhookOptions o;
  o.max_body = 1024;
  start(o);
  Client c = client();
  std::string req =
      "POST /rcs/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(400, ' ');
  for (int i = 0; i < 3; ++i) req += "190\r\n" + chunk + "\r\n";  // 0x190 = 400
  req += "0\r\n\r\n";
  auto res = [&] {
    c.write(req);
    return c.read();
  }();
  ASSERT_TRUE(res) << c.error().message();
  EXPECT_EQ(res->result_int(), 413);
  EXPECT_EQ(call_count(), 0u);
}

TEST_F(WebhookServerTest, ChunkedBodyUnderTheLimitIsAccepted) {
  start();
  Client c = client();
  const std::string body = fixture("newUser.json");
  const std::string head =
      "POST /rcs/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::ostringstream chunked;
  chunked << std::hex << body.size() << "\r\n" << body << "\r\n0\r\n\r\n";
  ASSERT_TRUE(c.write(head + chunked.str()));
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  ASSERT_EQ(call_count(), 1u);
  std::lock_guard lock(mu_);
  EXPECT_TRUE(std::holds_alternative<NewUser>(calls_[0].event));
}

TEST_F(WebhookServerTest, BadJsonIs400NamingTheProblem) {
  start();
  Client c = client();
  auto res = c.request(Post{.body = R"({"event": "message", )"});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 400);
  EXPECT_NE(res->body().find("\"error\":\"rcs webhook event"), std::string::npos) << res->body();

  // A known event of the wrong shape: the field is named. Same connection (body read).
  std::string body = fixture("message_file.json");
  const auto at = body.find("330575");
  ASSERT_NE(at, std::string::npos);
  body.replace(at, 6, "-5");
  res = c.request(Post{.body = body});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 400);
  EXPECT_NE(res->body().find("fileSize"), std::string::npos) << res->body();
  EXPECT_EQ(res->body().find('\n'), std::string::npos);
  EXPECT_EQ(call_count(), 0u);
  EXPECT_EQ(requests("carrier-a", "400"), 2u);
}

TEST_F(WebhookServerTest, UnknownEventTypeIs200AndHandledAsUnknownEvent) {
  start();
  Client c = client();
  auto res = c.request(Post{.body = R"({"event":"somethingNew","RCSMessage":{"msgId":"m1"},)"
                                    R"("messageContact":{"userContact":"+33611111111"}})"});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  ASSERT_EQ(call_count(), 1u);
  {
    std::lock_guard lock(mu_);
    const auto* u = std::get_if<UnknownEvent>(&calls_[0].event);
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->event, "somethingNew");
    EXPECT_EQ(u->meta.msg_id, "m1");
  }
  EXPECT_EQ(events("carrier-a", "unknown"), 1u);
}

TEST_F(WebhookServerTest, UnknownPathIs404AndGetIs405KeepingTheConnection) {
  start();
  Client c = client();
  auto res = c.request(Post{.path = "/rcs/zzz", .body = fixture("message_text.json")});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 404);
  // The body was not read: that connection is closed.
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(requests("unknown", "404"), 1u);

  Client d = client();
  res = d.request(Post{.body = "", .method = "GET", .content_length = false});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 405);
  EXPECT_EQ((*res)[http::field::allow], "POST");
  // No body to skip: the same connection goes on.
  res = d.request(Post{.body = fixture("message_text.json")});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(call_count(), 1u);
}

TEST_F(WebhookServerTest, KeepAliveTwoEventsOnOneConnectionAndTheRoutesApart) {
  start();
  Client c = client();
  auto res = c.request(Post{.body = fixture("message_text.json")});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_TRUE(res->keep_alive());
  res = c.request(Post{.path = "/rcs/b",
                       .body = fixture("messageStatus_delivered.json"),
                       .authorization = "Bearer other"});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  ASSERT_EQ(call_count(), 2u);
  std::lock_guard lock(mu_);
  EXPECT_EQ(calls_[1].platform, "carrier-b");
  EXPECT_TRUE(std::holds_alternative<StatusEvent>(calls_[1].event));
}

TEST_F(WebhookServerTest, EveryEventFixtureIsAccepted) {
  start();
  Client c = client();
  std::size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kEvents)) {
    auto res = c.request(Post{.body = read_file(entry.path().string())});
    ASSERT_TRUE(res) << entry.path();
    EXPECT_EQ(res->result_int(), 200) << entry.path() << ": " << res->body();
    ++n;
  }
  EXPECT_GE(n, 12u);
  EXPECT_EQ(call_count(), n);
  std::lock_guard lock(mu_);
  for (const auto& call : calls_) EXPECT_FALSE(std::holds_alternative<UnknownEvent>(call.event));
}

TEST_F(WebhookServerTest, Expect100ContinueIsAnswered) {
  start();
  Client c = client();
  const std::string body = fixture("message_text.json");
  Post p{.body = "", .extra = "Expect: 100-continue\r\n", .content_length = false};
  ASSERT_TRUE(c.write(p.text().substr(0, p.text().size() - 2) +
                      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  auto interim = c.read();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->result_int(), 100);
  ASSERT_TRUE(c.write(body));
  auto res = c.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
}

TEST_F(WebhookServerTest, MalformedHttpAndOversizeHeadAre400) {
  start();
  {
    Client c = client();
    ASSERT_TRUE(c.write("NOT HTTP AT ALL\r\n\r\n"));
    auto res = c.read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 400);
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    Client c = client();
    Post p{.body = "{}", .extra = "X-Filler: " + std::string(20000, 'a') + "\r\n"};
    auto res = c.request(p);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 400);
    EXPECT_NE(res->body().find("head over"), std::string::npos);
  }
  EXPECT_EQ(requests("unknown", "400"), 2u);
}

TEST_F(WebhookServerTest, ConnectionCapIs503) {
  WebhookOptions o;
  o.max_connections = 1;
  start(o);
  Client a = client();
  auto res = a.request(Post{.body = fixture("message_text.json")});  // a is surely accepted
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  {
    Client b = client();
    res = b.request(Post{.body = fixture("message_text.json")});
    ASSERT_TRUE(res) << b.error().message();
    EXPECT_EQ(res->result_int(), 503);
    EXPECT_TRUE(b.closed_by_peer());
  }
  res = a.request(Post{.body = fixture("message_text.json")});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(call_count(), 2u);
  EXPECT_EQ(requests("unknown", "503"), 1u);
}

TEST_F(WebhookServerTest, HandlerNeverAnsweringIs503AfterTheBoundedWait) {
  WebhookOptions o;
  o.handler_timeout = 200ms;
  start(o);
  manual();
  Client c = client();
  const auto t0 = std::chrono::steady_clock::now();
  auto res = c.request(Post{.body = fixture("message_text.json")});
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 503);
  EXPECT_EQ((*res)[http::field::retry_after], "1");
  EXPECT_GE(waited, 190ms);
  // A late answer changes nothing, and the connection goes on.
  answer(0, Status{});
  res = c.request(Post{.body = fixture("message_text.json")});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 503);
}

TEST_F(WebhookServerTest, StopWithARequestWaitingAnswers503AndCloses) {
  start();
  manual();
  Client c = client();
  ASSERT_TRUE(c.write(Post{.body = fixture("message_text.json")}.text()));
  ASSERT_TRUE(wait_calls(1));
  Client idle = client();
  server_->stop();
  auto res = c.read();
  ASSERT_TRUE(res) << c.error().message();
  EXPECT_EQ(res->result_int(), 503);
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_TRUE(idle.closed_by_peer());
  answer(0, Status{});  // after the connection is gone: ignored
}

TEST_F(WebhookServerTest, PortInUseSaysWhatToChange) {
  start();
  WebhookOptions o;
  o.listen = "127.0.0.1:" + std::to_string(server_->port());
  WebhookServer second(io_.get_executor(), o, {{"/rcs/a", "carrier-a", ""}},
                       [](const std::string&, Event, std::function<void(Status)>) {});
  const Status st = second.start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("rcs.webhook_listen"), std::string::npos) << st.error().message;
}

TEST_F(WebhookServerTest, BadConfigurationIsRefusedAtStart) {
  auto make = [&](WebhookOptions o, std::vector<WebhookRoute> routes) {
    return WebhookServer(io_.get_executor(), std::move(o), std::move(routes),
                         [](const std::string&, Event, std::function<void(Status)>) {})
        .start();
  };
  WebhookOptions o;
  o.listen = "127.0.0.1:0";
  EXPECT_FALSE(make(o, {{"/a", "x", ""}, {"/a", "y", ""}}).ok());
  EXPECT_FALSE(make(o, {{"a", "x", ""}}).ok());
  o.tls_cert_file = "/nonexistent.pem";
  EXPECT_FALSE(make(o, {{"/a", "x", ""}}).ok());
  o.tls_key_file = "/nonexistent.key";
  EXPECT_FALSE(make(o, {{"/a", "x", ""}}).ok());
  o = {};
  o.listen = "nowhere:80";
  EXPECT_FALSE(make(o, {{"/a", "x", ""}}).ok());
}

}  // namespace
}  // namespace passerelle::rcs
