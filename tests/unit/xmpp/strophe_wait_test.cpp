// Context::wait() against what libstrophe queues inside a turn. The test drives the turns
// itself, so the case a loop cannot time on purpose happens every run: input that arrives
// after wait() looked and before run_once() reads it. Whatever run_once() queues in
// answer must not wait for a later event.

#include <sys/eventfd.h>

#include <chrono>
#include <thread>

#include "fake_component_server.hpp"
#include "xmpp/strophe_adapter.hpp"

namespace passerelle::xmpp {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class StropheWait : public ::testing::Test {
 protected:
  StropheWait() : wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~StropheWait() override {
    conn_.reset();
    ::close(wake_fd_);
  }

  void connect() {
    strophe::Connection::Handlers h;
    h.on_up = [this] { up_ = true; };
    h.on_down = [](std::string) {};
    h.on_stanza = [this](const xml::Element& e) {
      // Answers the way the component session answers a ping: from inside the handler.
      if (e.name == "iq" && e.attr_or("type") == "get") {
        xml::Element pong("iq");
        pong.set("type", "result").set("id", e.attr_or("id"));
        conn_->send(pong);
      }
    };
    conn_ = std::make_unique<strophe::Connection>(ctx_, h);
    strophe::ConnectParams p;
    p.component = true;
    p.jid = "sms.example.org";
    p.secret = "secret";
    p.host = "127.0.0.1";
    p.port = static_cast<unsigned short>(server_.port());
    ASSERT_TRUE(conn_->connect(p).ok());
  }
  // Turns of the loop as LoopConnector takes them (wait, then run_once) until `done`.
  template <typename Pred>
  bool turn_until(Pred done, std::chrono::milliseconds limit = 3s) {
    const auto end = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() > end) return false;
      ctx_.wait(wake_fd_, 5ms);
      ctx_.run_once(0ms);
    }
    return true;
  }
  // The server writes `text` while the loop is between turns: the bytes reach the
  // component's socket, then a turn reads them without a wait() before it (the gap a loop
  // cannot time on purpose). Returns how long the next wait() then sleeps when given up
  // to a second; the turn after it writes whatever was queued.
  std::chrono::milliseconds arrives_between_turns(const std::string& text) {
    if (text.empty())
      server_.write_stream_header();
    else
      server_.write(text);
    std::this_thread::sleep_for(50ms);
    ctx_.run_once(0ms);
    const auto t0 = Clock::now();
    ctx_.wait(wake_fd_, 1000ms);
    const auto slept = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
    ctx_.run_once(0ms);
    return slept;
  }

  FakeComponentServer server_;
  strophe::Context ctx_;
  std::unique_ptr<strophe::Connection> conn_;
  int wake_fd_;
  bool up_ = false;
};

TEST_F(StropheWait, AStepOfTheHandshakeReadInsideATurnIsAnsweredWithoutWaiting) {
  connect();
  // libstrophe connects and writes its stream header.
  ASSERT_TRUE(turn_until([&] { return server_.accept(0ms); }));
  ASSERT_TRUE(turn_until([&] { return server_.read_until("jabber:component:accept", 0ms); }));

  // The server's stream header arrives between two turns: the turn reads it, and
  // libstrophe queues its <handshake/> (its own output, not counted in its queue length).
  // Nothing more will come from the server until it has that handshake: wait() must not
  // sleep on it as if idle.
  const auto slept = arrives_between_turns("");  // the stream header
  EXPECT_TRUE(server_.read_until("</handshake>", 100ms));
  EXPECT_LT(slept, 100ms);

  server_.write("<handshake/>");
  ASSERT_TRUE(turn_until([&] { return up_; }));
}

TEST_F(StropheWait, AnAnswerQueuedByAHandlerOnceUpIsWrittenWithoutWaiting) {
  connect();
  ASSERT_TRUE(turn_until([&] { return server_.accept(0ms); }));
  ASSERT_TRUE(turn_until([&] { return server_.read_until("jabber:component:accept", 0ms); }));
  server_.write_stream_header();
  ASSERT_TRUE(turn_until([&] { return server_.read_until("</handshake>", 0ms); }));
  server_.write("<handshake/>");
  ASSERT_TRUE(turn_until([&] { return up_; }));

  // A ping arrives between two turns; the handler answers it inside the turn that reads
  // it. Once up, that answer is ours and counted: wait() returns for it at once.
  const auto slept =
      arrives_between_turns("<iq type='get' id='p1' from='example.org' to='sms.example.org'/>");
  EXPECT_TRUE(server_.read_until("p1", 100ms));
  EXPECT_LT(slept, 50ms);
}

}  // namespace
}  // namespace passerelle::xmpp
