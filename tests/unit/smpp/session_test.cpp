// SmppConnector against the in-process FakeSmsc on 127.0.0.1 port 0.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>

#include "fake_smsc.hpp"
#include "smpp/codec/segmenter.hpp"
#include "smpp/codec/status.hpp"
#include "smpp/connector/smpp_connector.hpp"

namespace passerelle::smpp {
namespace {

using namespace std::chrono_literals;

class Sink : public EventSink {
 public:
  void publish(InboundEvent e) override {
    std::lock_guard l(mu_);
    events.push_back(std::move(e));
  }
  template <typename T>
  std::vector<T> of() {
    std::lock_guard l(mu_);
    std::vector<T> out;
    for (auto& e : events) {
      if (auto* t = std::get_if<T>(&e)) out.push_back(*t);
    }
    return out;
  }
  bool has_state(LinkState s) {
    for (auto& e : of<AccountStateEvent>()) {
      if (e.state == s) return true;
    }
    return false;
  }
  std::vector<InboundEvent> events;

 private:
  std::mutex mu_;
};

class SmppSession : public ::testing::Test {
 protected:
  SmppSession() : smsc_(io_) {
    cfg_.name = "test";
    cfg_.port = smsc_.port();
    cfg_.system_id = "esme";
    cfg_.password = "pw";
    cfg_.throughput = 1000;
    cfg_.enquire_link_s = 30;
    cfg_.response_timeout_s = 1;
    cfg_.reconnect_initial_ms = 20;
    cfg_.reconnect_max_ms = 100;
  }
  ~SmppSession() override {
    if (conn_) {
      bool done = false;
      conn_->stop([&] { done = true; });
      run_until([&] { return done; }, 3s);
    }
  }
  void start() {
    conn_ = std::make_unique<SmppConnector>(io_, cfg_, sms_, sink_);
    conn_->start();
    ASSERT_TRUE(run_until([&] { return conn_->status().state == LinkState::up; }, 2s));
  }
  template <typename Pred>
  bool run_until(Pred pred, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      if (io_.stopped()) io_.restart();
      io_.run_one_for(10ms);
    }
    return true;
  }
  void settle(std::chrono::milliseconds d) {
    run_until([] { return false; }, d);
  }
  // The SMSC closes the first connection; the connector binds again.
  bool drop_and_rebind() {
    smsc_.drop();
    return run_until([&] { return smsc_.connections == 2; }, 3s) &&
           run_until([&] { return sink_.has_state(LinkState::up); }, 3s);
  }
  OutboundMessage msg(std::string body, std::string id = "d1") {
    OutboundMessage m;
    m.delivery_id = std::move(id);
    m.from = Address{Network::sms, "+33700000001"};
    m.to = Address{Network::sms, "+33612345678"};
    m.body = std::move(body);
    return m;
  }
  std::vector<DeliveryReport> reports() { return sink_.of<DeliveryReport>(); }
  // When each submit_sm reached the SMSC.
  std::vector<std::chrono::steady_clock::time_point> submit_times() const {
    std::vector<std::chrono::steady_clock::time_point> out;
    for (std::size_t i = 0; i < smsc_.received.size(); ++i)
      if (smsc_.received[i].id() == CommandId::submit_sm) out.push_back(smsc_.received_at[i]);
    return out;
  }

  boost::asio::io_context io_;
  test::FakeSmsc smsc_;
  config::Smsc cfg_;
  config::SmsSection sms_;
  Sink sink_;
  std::unique_ptr<SmppConnector> conn_;
};

TEST_F(SmppSession, BindsAndSubmits) {
  start();
  ASSERT_EQ(smsc_.binds, 1);
  const auto* bind = smsc_.received.front().as<BindBody>();
  EXPECT_EQ(smsc_.received.front().id(), CommandId::bind_transceiver);
  EXPECT_EQ(bind->system_id, "esme");
  EXPECT_EQ(bind->interface_version, 0x34);
  EXPECT_EQ(conn_->name(), "smpp:test");
  EXPECT_TRUE(sink_.has_state(LinkState::connecting));

  conn_->send(msg("hello"));
  ASSERT_TRUE(run_until([&] { return !reports().empty(); }, 2s));
  auto r = reports().front();
  EXPECT_EQ(r.delivery_id, "d1");
  EXPECT_EQ(r.state, DeliveryState::acked);
  EXPECT_EQ(r.network_ids, std::vector<std::string>{"id1"});
  EXPECT_EQ(r.segments, 1);
  const auto subs = smsc_.of(CommandId::submit_sm);
  ASSERT_EQ(subs.size(), 1u);
  const auto* sub = subs.front().as<ShortMessageBody>();
  EXPECT_EQ(sub->source_addr, "33700000001");
  EXPECT_EQ(sub->source_addr_ton, 1);
  EXPECT_EQ(sub->source_addr_npi, 1);
  EXPECT_EQ(sub->destination_addr, "33612345678");
  EXPECT_EQ(sub->dest_addr_ton, 1);
  EXPECT_EQ(sub->registered_delivery, 1);
  EXPECT_EQ(sub->data_coding, 0);
  EXPECT_EQ(sub->short_message, "hello");
}

TEST_F(SmppSession, WindowLimitsOutstandingSubmits) {
  cfg_.window = 2;
  std::vector<Pdu> held;
  smsc_.on_submit = [&](const Pdu& p) {
    held.push_back(p);
    return std::nullopt;
  };
  cfg_.response_timeout_s = 5;
  start();
  conn_->send(msg(std::string(400, 'a')));  // 3 segments
  ASSERT_TRUE(run_until([&] { return held.size() == 2; }, 2s));
  settle(100ms);
  EXPECT_EQ(held.size(), 2u);
  smsc_.send(make_response(held[0], 0, "s1"));
  ASSERT_TRUE(run_until([&] { return held.size() == 3; }, 2s));
  smsc_.send(make_response(held[1], 0, "s2"));
  smsc_.send(make_response(held[2], 0, "s3"));
  ASSERT_TRUE(run_until([&] { return !reports().empty(); }, 2s));
  auto r = reports().front();
  EXPECT_EQ(r.state, DeliveryState::acked);
  EXPECT_EQ(r.segments, 3);
  EXPECT_EQ(r.network_ids, (std::vector<std::string>{"s1", "s2", "s3"}));
  auto first = held[0].as<ShortMessageBody>();
  EXPECT_EQ(first->esm_class & kEsmUdhi, kEsmUdhi);
  EXPECT_EQ(first->short_message.substr(0, 3), std::string("\x05\x00\x03", 3));
}

// ESME_RTHROTTLED and ESME_RMSGQFUL both say "not now": the link pauses, then the same
// segment goes again.
class SmppSessionBusy : public SmppSession, public ::testing::WithParamInterface<std::uint32_t> {};

TEST_P(SmppSessionBusy, PausesThenResendsSameSegment) {
  int n = 0;
  const std::uint32_t busy = GetParam();
  smsc_.on_submit = [&](const Pdu&) {
    return ++n == 1 ? std::make_pair(busy, std::string()) : std::make_pair(0u, std::string("ok1"));
  };
  start();
  const auto t0 = std::chrono::steady_clock::now();
  conn_->send(msg("hi there"));
  ASSERT_TRUE(run_until([&] { return !reports().empty(); }, 3s));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 200ms);
  auto subs = smsc_.of(CommandId::submit_sm);
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_EQ(subs[0].as<ShortMessageBody>()->short_message,
            subs[1].as<ShortMessageBody>()->short_message);
  EXPECT_EQ(reports().front().state, DeliveryState::acked);
  EXPECT_EQ(reports().front().network_ids, std::vector<std::string>{"ok1"});
  EXPECT_EQ(smsc_.connections, 1);  // a pause, not a reconnect
}

INSTANTIATE_TEST_SUITE_P(ThrottledOrQueueFull, SmppSessionBusy,
                         ::testing::Values(status::throttled, status::msg_queue_full));

// The SMSC checks the link too (SMPP 3.4 §4.11): the bridge answers at once and stays up.
TEST_F(SmppSession, AnswersTheSmscsEnquireLink) {
  start();
  smsc_.send(make_pdu(CommandId::enquire_link, 600));
  ASSERT_TRUE(run_until([&] { return !smsc_.of(CommandId::enquire_link_resp).empty(); }, 2s));
  EXPECT_EQ(smsc_.of(CommandId::enquire_link_resp).front().sequence_number, 600u);
  EXPECT_EQ(smsc_.of(CommandId::enquire_link_resp).front().command_status, 0u);
  EXPECT_EQ(conn_->status().state, LinkState::up);
  EXPECT_EQ(smsc_.connections, 1);
}

TEST_F(SmppSession, PermanentErrorFails) {
  // Window 1: the second segment waits for the first one's answer. With a wider window it
  // may be written before that answer comes (the throughput's token gap is 20 ms), which a
  // loaded machine showed.
  cfg_.window = 1;
  smsc_.on_submit = [](const Pdu&) {
    return std::make_pair(status::invalid_dst_addr, std::string());
  };
  start();
  conn_->send(msg(std::string(200, 'b')));  // 2 segments: the second is not sent
  ASSERT_TRUE(run_until([&] { return !reports().empty(); }, 2s));
  auto r = reports().front();
  EXPECT_EQ(r.state, DeliveryState::failed);
  EXPECT_EQ(r.protocol_status, 0x0B);
  EXPECT_NE(r.reason.find("ESME_RINVDSTADR"), std::string::npos);
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(smsc_.of(CommandId::submit_sm).size(), 1u);
}

TEST_F(SmppSession, DropAfterWriteIsUnknownAndUnwrittenSegmentsGoAfterReconnect) {
  cfg_.window = 1;
  cfg_.response_timeout_s = 5;
  int n = 0;
  smsc_.on_submit = [&](const Pdu&) -> std::optional<std::pair<std::uint32_t, std::string>> {
    if (++n == 1) return std::nullopt;  // segment 1 written, never answered
    return std::make_pair(0u, std::string("seg2"));
  };
  start();
  conn_->send(msg(std::string(200, 'c')));
  ASSERT_TRUE(run_until([&] { return n == 1; }, 2s));
  smsc_.drop();
  ASSERT_TRUE(run_until([&] { return !reports().empty(); }, 3s));
  EXPECT_EQ(smsc_.connections, 2);
  auto r = reports().front();
  EXPECT_EQ(r.state, DeliveryState::unknown);
  EXPECT_NE(r.reason.find("segment(s) 1 of 2"), std::string::npos) << r.reason;
  EXPECT_EQ(r.network_ids, std::vector<std::string>{"seg2"});
  EXPECT_EQ(n, 2);  // segment 1 was not resent
  EXPECT_TRUE(sink_.has_state(LinkState::backing_off));
}

TEST_F(SmppSession, ReceiptBecomesDeliveryReport) {
  start();
  ShortMessageBody dlr;
  dlr.source_addr = "33612345678";
  dlr.destination_addr = "33700000001";
  dlr.esm_class = kEsmDeliveryReceipt;
  dlr.short_message =
      "id:abc123 sub:001 dlvrd:001 submit date:2311231200 done date:2311231201 stat:DELIVRD "
      "err:000 text:";
  smsc_.send(make_pdu(CommandId::deliver_sm, 500, dlr));
  ASSERT_TRUE(run_until([&] { return !reports().empty(); }, 2s));
  settle(50ms);
  // Answered only once the core has stored the state: until then a crash loses nothing.
  EXPECT_TRUE(smsc_.of(CommandId::deliver_sm_resp).empty());
  auto r = reports();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].network_id, "abc123");
  EXPECT_EQ(r[0].state, DeliveryState::delivered);
  EXPECT_EQ(r[0].connector, "smpp:test");
  ASSERT_TRUE(r[0].ack);
  std::thread([ack = r[0].ack] { ack(Status{}); }).join();  // any thread
  ASSERT_TRUE(run_until([&] { return !smsc_.of(CommandId::deliver_sm_resp).empty(); }, 2s));
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp).front().sequence_number, 500u);
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp).front().command_status, 0u);

  // One the phone's network could not deliver: the reason is in words, with the codes.
  dlr.short_message =
      "id:abc124 sub:001 dlvrd:000 submit date:2311231200 done date:2311231201 stat:UNDELIV "
      "err:034 text:";
  smsc_.send(make_pdu(CommandId::deliver_sm, 501, dlr));
  ASSERT_TRUE(run_until([&] { return reports().size() == 2; }, 2s));
  EXPECT_EQ(reports()[1].state, DeliveryState::failed);
  EXPECT_EQ(reports()[1].reason, "the phone's network could not deliver it (stat:UNDELIV err:034)");
  // Not stored: the SMSC is asked to deliver it again.
  reports()[1].ack(Error::transient("store busy"));
  ASSERT_TRUE(run_until([&] { return smsc_.of(CommandId::deliver_sm_resp).size() == 2; }, 2s));
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp)[1].sequence_number, 501u);
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp)[1].command_status, status::temp_app_error);

  // Without a message id there is nothing to store: answered at once.
  dlr.short_message = "sub:001 dlvrd:001 stat:DELIVRD err:000 text:";
  smsc_.send(make_pdu(CommandId::deliver_sm, 502, dlr));
  ASSERT_TRUE(run_until([&] { return smsc_.of(CommandId::deliver_sm_resp).size() == 3; }, 2s));
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp)[2].command_status, 0u);
  EXPECT_EQ(reports().size(), 2u);
}

// A receipt's id is one the SMSC gave a submit_sm already written: the report says which
// hand-outs those can be, not counting the messages still queued in the connector.
TEST_F(SmppSession, AReceiptNamesOnlyTheSendsAlreadyWritten) {
  cfg_.window = 1;
  cfg_.response_timeout_s = 5;
  std::vector<Pdu> held;
  smsc_.on_submit = [&](const Pdu& p) {
    held.push_back(p);
    return std::nullopt;
  };
  start();
  for (std::uint64_t h : {7, 8, 9}) {
    auto m = msg("hello " + std::to_string(h), "d" + std::to_string(h));
    m.handout = h;
    conn_->send(std::move(m));
  }
  ASSERT_TRUE(run_until([&] { return held.size() == 1; }, 2s));
  ShortMessageBody dlr;
  dlr.source_addr = "33612345678";
  dlr.destination_addr = "33700000001";
  dlr.esm_class = kEsmDeliveryReceipt;
  auto receipt = [&](const std::string& id, std::uint32_t seq) {
    dlr.short_message = "id:" + id + " sub:001 dlvrd:001 stat:DELIVRD err:000 text:";
    smsc_.send(make_pdu(CommandId::deliver_sm, seq, dlr));
    auto has = [&] {
      for (const auto& r : reports())
        if (r.network_id == id) return true;
      return false;
    };
    EXPECT_TRUE(run_until(has, 2s));
    for (const auto& r : reports())
      if (r.network_id == id) return r.may_name_upto;
    return std::optional<std::uint64_t>();
  };
  EXPECT_EQ(receipt("x1", 600), 7u);  // 8 and 9 wait in the connector: the SMSC has not seen them

  smsc_.send(make_response(held[0], 0, "s7"));
  ASSERT_TRUE(run_until([&] { return held.size() == 2; }, 2s));
  EXPECT_EQ(receipt("x2", 601), 8u);  // 7 has its result, reported before this receipt

  smsc_.send(make_response(held[1], 0, "s8"));
  ASSERT_TRUE(run_until([&] { return held.size() == 3; }, 2s));
  smsc_.send(make_response(held[2], 0, "s9"));
  ASSERT_TRUE(run_until([&] { return reports().size() == 5; }, 2s));
  EXPECT_EQ(receipt("x3", 602), 0u);  // nothing the SMSC has seen awaits its result
}

// Part `i` of a long SMS from a phone to the sender number, as deliver_sm `seq`.
Pdu mo_part(const Segments& segs, std::size_t i, std::uint32_t seq) {
  ShortMessageBody b;
  b.source_addr = "33611111111";
  b.destination_addr = "33700000001";
  b.esm_class = kEsmUdhi;
  b.short_message = segs.payloads[i];
  return make_pdu(CommandId::deliver_sm, seq, b);
}

TEST_F(SmppSession, MoReassembledAndAnsweredOnlyAfterAck) {
  start();
  auto segs = segment(std::string(170, 'm') + " end", 42);
  ASSERT_EQ(segs->count(), 2u);
  auto part = [&](std::size_t i, std::uint32_t seq) { return mo_part(*segs, i, seq); };
  smsc_.send(part(1, 11));  // out of order
  settle(50ms);
  // A part is answered only with its whole message: until then a crash loses nothing.
  EXPECT_TRUE(smsc_.of(CommandId::deliver_sm_resp).empty());
  smsc_.send(part(0, 12));
  ASSERT_TRUE(run_until([&] { return !sink_.of<InboundMessage>().empty(); }, 2s));
  settle(50ms);
  EXPECT_TRUE(smsc_.of(CommandId::deliver_sm_resp).empty());  // both wait for the ack
  auto in = sink_.of<InboundMessage>().front();
  EXPECT_EQ(in.body, std::string(170, 'm') + " end");
  EXPECT_EQ(in.from.str(), "sms:+33611111111");
  EXPECT_EQ(in.to.str(), "sms:+33700000001");
  EXPECT_TRUE(in.origin_id.empty());                      // SMPP has no id that is unique over time
  std::thread([ack = in.ack] { ack(Status{}); }).join();  // any thread
  ASSERT_TRUE(run_until([&] { return smsc_.of(CommandId::deliver_sm_resp).size() == 2; }, 2s));
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp)[0].sequence_number, 11u);
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp)[0].command_status, 0u);
  auto resp = smsc_.of(CommandId::deliver_sm_resp)[1];
  EXPECT_EQ(resp.sequence_number, 12u);
  EXPECT_EQ(resp.command_status, 0u);

  // A refusal asks the SMSC to redeliver.
  ShortMessageBody single;
  single.source_addr = "33611111111";
  single.short_message = "again";
  smsc_.send(make_pdu(CommandId::deliver_sm, 13, single));
  ASSERT_TRUE(run_until([&] { return sink_.of<InboundMessage>().size() == 2; }, 2s));
  sink_.of<InboundMessage>()[1].ack(Error::transient("store busy"));
  ASSERT_TRUE(run_until([&] { return smsc_.of(CommandId::deliver_sm_resp).size() == 3; }, 2s));
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp)[2].command_status, status::temp_app_error);
}

// The link drops between the parts of a long SMS: the first part was never answered, so
// the SMSC redelivers both and the message arrives once, whole.
TEST_F(SmppSession, LongMoSurvivesADropBetweenItsParts) {
  start();
  auto segs = segment(std::string(170, 'd') + " fin", 43);
  ASSERT_EQ(segs->count(), 2u);
  auto part = [&](std::size_t i, std::uint32_t seq) { return mo_part(*segs, i, seq); };
  smsc_.send(part(0, 21));
  settle(50ms);
  EXPECT_TRUE(smsc_.of(CommandId::deliver_sm_resp).empty());
  ASSERT_TRUE(drop_and_rebind());
  smsc_.send(part(0, 31));  // redelivered
  smsc_.send(part(1, 32));
  ASSERT_TRUE(run_until([&] { return sink_.of<InboundMessage>().size() == 1; }, 2s));
  EXPECT_EQ(sink_.of<InboundMessage>()[0].body, std::string(170, 'd') + " fin");
  sink_.of<InboundMessage>()[0].ack(Status{});
  ASSERT_TRUE(run_until([&] { return smsc_.of(CommandId::deliver_sm_resp).size() == 2; }, 2s));
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp)[0].sequence_number, 31u);
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp)[1].sequence_number, 32u);
  settle(50ms);
  EXPECT_EQ(sink_.of<InboundMessage>().size(), 1u);
}

// Stored after its connection closed: no ESME_ROK reached the SMSC, which delivers the SMS
// again on the next connection. That copy is answered and not passed on; the same text
// sent later is a new message.
TEST_F(SmppSession, AnMoStoredAfterItsConnectionClosedIsNotPassedOnTwice) {
  start();
  ShortMessageBody single;
  single.source_addr = "33611111111";
  single.destination_addr = "33700000001";
  single.short_message = "see you at 8";
  smsc_.send(make_pdu(CommandId::deliver_sm, 41, single));
  ASSERT_TRUE(run_until([&] { return sink_.of<InboundMessage>().size() == 1; }, 2s));
  ASSERT_TRUE(drop_and_rebind());
  sink_.of<InboundMessage>()[0].ack(Status{});  // stored, but its answer has nowhere to go
  settle(50ms);
  EXPECT_TRUE(smsc_.of(CommandId::deliver_sm_resp).empty());
  smsc_.send(make_pdu(CommandId::deliver_sm, 51, single));  // the SMSC's second try
  ASSERT_TRUE(run_until([&] { return smsc_.of(CommandId::deliver_sm_resp).size() == 1; }, 2s));
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp)[0].sequence_number, 51u);
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp)[0].command_status, 0u);
  settle(50ms);
  EXPECT_EQ(sink_.of<InboundMessage>().size(), 1u);
  EXPECT_EQ(conn_->status().duplicates, 1u);  // counted (/metrics)
  // The phone writes the same words again: a message of its own.
  smsc_.send(make_pdu(CommandId::deliver_sm, 52, single));
  ASSERT_TRUE(run_until([&] { return sink_.of<InboundMessage>().size() == 2; }, 2s));
  EXPECT_EQ(sink_.of<InboundMessage>()[1].body, "see you at 8");
  EXPECT_EQ(conn_->status().duplicates, 1u);
}

TEST_F(SmppSession, ALongMoStoredAfterItsConnectionClosedIsNotPassedOnTwice) {
  cfg_.part_hold_ms = 10'000;  // both parts wait for the message's answer
  start();
  const std::string text = std::string(170, 'w') + " once";
  auto segs = segment(text, 91);
  ASSERT_EQ(segs->count(), 2u);
  auto part = [&](std::size_t i, std::uint32_t seq) { return mo_part(*segs, i, seq); };
  smsc_.send(part(0, 61));
  smsc_.send(part(1, 62));
  ASSERT_TRUE(run_until([&] { return sink_.of<InboundMessage>().size() == 1; }, 2s));
  ASSERT_TRUE(drop_and_rebind());
  sink_.of<InboundMessage>()[0].ack(Status{});
  settle(50ms);
  // Neither part was answered: the SMSC sends both again. Answered, not passed on.
  smsc_.send(part(0, 71));
  smsc_.send(part(1, 72));
  ASSERT_TRUE(run_until([&] { return smsc_.of(CommandId::deliver_sm_resp).size() == 2; }, 2s));
  for (const auto& r : smsc_.of(CommandId::deliver_sm_resp)) EXPECT_EQ(r.command_status, 0u);
  settle(50ms);
  ASSERT_EQ(sink_.of<InboundMessage>().size(), 1u);
  EXPECT_EQ(sink_.of<InboundMessage>()[0].body, text);
}

// Only the parts that got no answer are remembered: a part answered early will not come
// again, and a new message reusing the reference must get through whole.
TEST_F(SmppSession, OnlyThePartsLeftUnansweredAreRemembered) {
  cfg_.part_hold_ms = 0;  // each part but the last answered at once (journaled)
  start();
  auto first = segment(std::string(170, 'a') + " one", 55);
  auto second = segment(std::string(170, 'b') + " two", 55);  // same reference, later
  ASSERT_EQ(first->count(), 2u);
  smsc_.send(mo_part(*first, 0, 81));
  ASSERT_TRUE(run_until([&] { return smsc_.of(CommandId::deliver_sm_resp).size() == 1; }, 2s));
  smsc_.send(mo_part(*first, 1, 82));
  ASSERT_TRUE(run_until([&] { return sink_.of<InboundMessage>().size() == 1; }, 2s));
  ASSERT_TRUE(drop_and_rebind());
  sink_.of<InboundMessage>()[0].ack(Status{});
  settle(50ms);
  smsc_.send(mo_part(*first, 1, 91));  // the SMSC's second try of the unanswered part
  ASSERT_TRUE(run_until([&] { return smsc_.of(CommandId::deliver_sm_resp).size() == 2; }, 2s));
  settle(50ms);
  EXPECT_EQ(sink_.of<InboundMessage>().size(), 1u);
  smsc_.send(mo_part(*second, 0, 92));
  smsc_.send(mo_part(*second, 1, 93));
  ASSERT_TRUE(run_until([&] { return sink_.of<InboundMessage>().size() == 2; }, 2s));
  EXPECT_EQ(sink_.of<InboundMessage>()[1].body, std::string(170, 'b') + " two");
}

// The SMSC delivers the SMS again before the first copy is stored: both go on (the
// duplicate this cannot prevent), and nothing is remembered, so the same words later are
// a new message.
TEST_F(SmppSession, ACopyPassedOnBeforeTheFirstWasStoredLeavesNothingBehind) {
  start();
  ShortMessageBody single;
  single.source_addr = "33611111111";
  single.destination_addr = "33700000001";
  single.short_message = "yes";
  smsc_.send(make_pdu(CommandId::deliver_sm, 41, single));
  ASSERT_TRUE(run_until([&] { return sink_.of<InboundMessage>().size() == 1; }, 2s));
  ASSERT_TRUE(drop_and_rebind());
  smsc_.send(make_pdu(CommandId::deliver_sm, 51, single));
  ASSERT_TRUE(run_until([&] { return sink_.of<InboundMessage>().size() == 2; }, 2s));
  sink_.of<InboundMessage>()[1].ack(Status{});
  sink_.of<InboundMessage>()[0].ack(Status{});  // stored after its connection closed
  ASSERT_TRUE(run_until([&] { return smsc_.of(CommandId::deliver_sm_resp).size() == 1; }, 2s));
  settle(50ms);
  smsc_.send(make_pdu(CommandId::deliver_sm, 52, single));  // the phone says yes again
  ASSERT_TRUE(run_until([&] { return sink_.of<InboundMessage>().size() == 3; }, 2s));
}

TEST_F(SmppSession, RefusedLongMoIsWholeAgainWhenItsLastPartIsRedelivered) {
  start();
  const std::string text = std::string(170, 'r') + " whole";
  auto segs = segment(text, 77);
  ASSERT_EQ(segs->count(), 2u);
  auto part = [&](std::size_t i, std::uint32_t seq) { return mo_part(*segs, i, seq); };
  smsc_.send(part(0, 21));
  smsc_.send(part(1, 22));
  ASSERT_TRUE(run_until([&] { return !sink_.of<InboundMessage>().empty(); }, 2s));
  sink_.of<InboundMessage>()[0].ack(Error::transient("store busy"));
  ASSERT_TRUE(run_until([&] { return smsc_.of(CommandId::deliver_sm_resp).size() == 2; }, 2s));
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp)[1].command_status, status::temp_app_error);
  // The SMSC redelivers only the part it got no ESME_ROK for: the whole text comes back.
  smsc_.send(part(1, 23));
  ASSERT_TRUE(run_until([&] { return sink_.of<InboundMessage>().size() == 2; }, 2s));
  EXPECT_EQ(sink_.of<InboundMessage>()[1].body, text);
  sink_.of<InboundMessage>()[1].ack(Status{});
  ASSERT_TRUE(run_until([&] { return smsc_.of(CommandId::deliver_sm_resp).size() == 3; }, 2s));
  EXPECT_EQ(smsc_.of(CommandId::deliver_sm_resp)[2].command_status, 0u);
}

TEST_F(SmppSession, UnknownCommandGetsGenericNackAndLengthLieReconnects) {
  start();
  smsc_.send_raw({0, 0, 0, 0x10, 0, 0, 0, 0x03, 0, 0, 0, 0, 0, 0, 0, 99});  // query_sm
  ASSERT_TRUE(run_until([&] { return !smsc_.of(CommandId::generic_nack).empty(); }, 2s));
  auto nack = smsc_.of(CommandId::generic_nack).front();
  EXPECT_EQ(nack.sequence_number, 99u);
  EXPECT_EQ(nack.command_status, status::invalid_cmd_id);
  smsc_.send_raw({0, 0, 0, 0x05, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1});  // length 5
  ASSERT_TRUE(run_until([&] { return smsc_.binds == 2; }, 2s));
}

TEST_F(SmppSession, UnansweredEnquireLinkIsStalled) {
  cfg_.enquire_link_s = 1;
  cfg_.response_timeout_s = 1;
  smsc_.answer_enquire = false;
  start();
  ASSERT_TRUE(run_until([&] { return sink_.has_state(LinkState::stalled); }, 3s));
  EXPECT_EQ(conn_->status().state, LinkState::stalled);
  EXPECT_NE(conn_->status().detail.find("enquire_link"), std::string::npos);
}

TEST_F(SmppSession, BindRefusedBacksOffWithReason) {
  smsc_.bind_status = status::bind_failed;
  conn_ = std::make_unique<SmppConnector>(io_, cfg_, sms_, sink_);
  conn_->start();
  ASSERT_TRUE(run_until([&] { return smsc_.binds >= 2; }, 2s));
  bool seen = false;
  for (auto& e : sink_.of<AccountStateEvent>()) {
    seen = seen ||
           (e.state == LinkState::backing_off && e.reason == "bind refused: ESME_RBINDFAIL (0x0D)");
  }
  EXPECT_TRUE(seen);
  conn_->send(msg("queued while down"));
  smsc_.bind_status = 0;
  ASSERT_TRUE(run_until([&] { return !reports().empty(); }, 2s));
  EXPECT_EQ(reports().front().state, DeliveryState::acked);
}

TEST_F(SmppSession, StopUnbindsAndTransmitterReceiverBindsTwice) {
  cfg_.bind = "transmitter+receiver";
  start();
  EXPECT_EQ(smsc_.binds, 2);
  EXPECT_EQ(
      smsc_.of(CommandId::bind_transmitter).size() + smsc_.of(CommandId::bind_receiver).size(), 2u);
  bool done = false;
  conn_->stop([&] { done = true; });
  ASSERT_TRUE(run_until([&] { return done; }, 3s));
  EXPECT_GE(smsc_.of(CommandId::unbind).size(), 1u);
  EXPECT_EQ(conn_->status().state, LinkState::disabled);
  conn_->send(msg("after stop"));
  ASSERT_TRUE(run_until([&] { return !reports().empty(); }, 1s));
  EXPECT_TRUE(reports().front().retryable);
  conn_.reset();
}

// The throughput limit: never faster than `throughput` per second. At low rates the PDUs
// are evenly spaced (the bucket holds one token); at high rates they leave in groups, one
// timer wake-up per group rather than per PDU.
TEST_F(SmppSession, ThroughputLimitSpacesPdusAtLowRates) {
  cfg_.throughput = 50;  // one every 20 ms
  start();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) conn_->send(msg("low " + std::to_string(i), "d" + std::to_string(i)));
  ASSERT_TRUE(run_until([&] { return reports().size() == 6; }, 3s));
  const auto subs = smsc_.of(CommandId::submit_sm).size();
  ASSERT_EQ(subs, 6u);
  // The first goes at once, each of the five others 20 ms after the one before.
  EXPECT_GE(submit_times().back() - t0, 5 * 20ms - 2ms);
  // Spaced, not in a group: a gap may look short only where the test's thread stalled
  // between writing one PDU and reading the one before.
  const auto at = submit_times();
  ASSERT_EQ(at.size(), 6u);
  int short_gaps = 0;
  for (std::size_t i = 1; i < at.size(); ++i) short_gaps += (at[i] - at[i - 1] < 10ms);
  EXPECT_LE(short_gaps, 1);
}

TEST_F(SmppSession, ThroughputLimitHoldsAtHighRatesWithFewWakeups) {
  cfg_.throughput = 2000;  // groups of 10 (5 ms of this rate); the bucket holds 20
  cfg_.window = 64;
  start();
  const int n = 200;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i)
    conn_->send(msg("high " + std::to_string(i), "d" + std::to_string(i)));
  ASSERT_TRUE(run_until([&] { return reports().size() == static_cast<std::size_t>(n); }, 5s));
  ASSERT_EQ(smsc_.of(CommandId::submit_sm).size(), static_cast<std::size_t>(n));
  // In any span of t seconds at most 20 + 2000 t PDUs: the last one cannot leave before
  // (n - 20) / 2000 s.
  EXPECT_GE(submit_times().back() - t0, std::chrono::microseconds((n - 20) * 1000000 / 2000));
  // A timer wake-up per group of about ten, not per PDU (some groups are cut short when a
  // wake-up comes late or a response frees the window first).
  EXPECT_LE(conn_->pump_wakeups(), static_cast<std::uint64_t>(n / 10 * 2));
  // And the limiter did wait on its timer. No more than that can be asked: a response that
  // frees the window also sends what the bucket refilled meanwhile, so on a slow run
  // (ASan, a busy machine) most groups may leave that way (7 timer wake-ups for 200 PDUs
  // in one CI run).
  EXPECT_GE(conn_->pump_wakeups(), 1u);
}

}  // namespace
}  // namespace passerelle::smpp
