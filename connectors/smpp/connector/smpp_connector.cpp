#include "smpp/connector/smpp_connector.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "smpp/codec/status.hpp"

namespace passerelle::smpp {

struct SmppConnector::OutMsg {
  OutboundMessage msg;
  std::string source;  // digits, TON 1 NPI 1
  std::string dest;
  Segments segs;
  std::deque<std::size_t> todo;  // segment indexes to write, in order
  std::vector<SegState> state;
  std::vector<std::string> ids;
  std::size_t outstanding = 0;
  bool queued = false;
  bool on_wire = false;  // in on_wire_
  bool reported = false;
  std::uint32_t failed_status = 0;
  std::string unknown_why;
};

namespace {

// "+33612345678" → "33612345678"; empty when not E.164-looking.
std::string e164_digits(const std::string& id) {
  if (id.size() < 2 || id[0] != '+' || id.size() > 21) return {};
  for (std::size_t i = 1; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return {};
  }
  return id.substr(1);
}

constexpr auto kThrottlePauseMin = std::chrono::milliseconds(250);
constexpr auto kThrottlePauseMax = std::chrono::milliseconds(8000);
// The throughput limit sends in groups of what this long brings (at least one PDU): above
// 1 / kPumpStep per second, submit_sm go out in small groups about this far apart instead
// of one timer wake-up per PDU (a system call and a handler each, which at thousands per
// second cost more than the PDUs). At or below 200 per second a group is one PDU, and the
// PDUs are evenly spaced.
constexpr std::chrono::duration<double> kPumpStep = std::chrono::milliseconds(5);

}  // namespace

SmppConnector::SmppConnector(asio::io_context& io, const config::Smsc& smsc,
                             const config::SmsSection& sms, EventSink& sink,
                             std::filesystem::path part_journal)
    : strand_(asio::make_strand(io)),
      smsc_(smsc),
      sms_(sms),
      sink_(sink),
      name_("smpp:" + smsc.name),
      log_(spdlog::default_logger()->clone("smpp:" + smsc.name)),
      pump_timer_(strand_),
      reassembler_(
          ReassemblerLimits{1024, 1024 * 1024, std::int64_t{sms.reassembly_timeout_s} * 1000}),
      journal_(std::move(part_journal)),
      housekeeping_timer_(strand_),
      part_timer_(strand_) {
  smsc_.window = std::max(1, smsc_.window);
  smsc_.response_timeout_s = std::max(1, smsc_.response_timeout_s);
  smsc_.enquire_link_s = std::max(1, smsc_.enquire_link_s);
  if (smsc_.throughput <= 0) smsc_.throughput = 1;
  LinkOwner& owner = *this;
  if (smsc_.bind == "transmitter+receiver") {
    links_.push_back(std::make_unique<Link>(strand_, smsc_, BindRole::transmitter, owner, log_));
    links_.push_back(std::make_unique<Link>(strand_, smsc_, BindRole::receiver, owner, log_));
  } else {
    links_.push_back(std::make_unique<Link>(strand_, smsc_, BindRole::transceiver, owner, log_));
  }
  status_.state = LinkState::disabled;
  recover_parts();
}

SmppConnector::~SmppConnector() = default;

Capabilities SmppConnector::capabilities() const {
  Capabilities c;
  c.receipts = smsc_.delivery_receipts;
  return c;  // text length is priced in segments (count_segments), not limited here
}

void SmppConnector::start() {
  asio::post(strand_, [this] {
    if (started_) return;
    started_ = true;
    for (auto& l : links_) l->start();
    asio::co_spawn(strand_, housekeeping(), asio::detached);
  });
}

void SmppConnector::stop(std::function<void()> done) {
  asio::post(strand_, [this, done = std::move(done)]() mutable {
    if (!started_ || stopping_) {
      if (done) done();
      return;
    }
    stopping_ = true;
    stop_done_ = std::move(done);
    housekeeping_timer_.cancel();
    part_timer_.cancel();
    pump_timer_.cancel();
    for (auto& l : links_) {
      l->stop([this] {
        ++links_stopped_;
        maybe_finish_stop();
      });
    }
  });
}

void SmppConnector::maybe_finish_stop() {
  if (links_stopped_ < links_.size()) return;
  // Segments never written are certain not to have been sent: the outbox retries them.
  auto q = std::move(queue_);
  queue_.clear();
  for (auto& m : q) {
    m->queued = false;
    m->todo.clear();
    if (m->failed_status == 0) m->failed_status = status::system_error;
    finish_if_done(m);
  }
  log_->info("stopped");
  if (stop_done_) std::exchange(stop_done_, nullptr)();
}

void SmppConnector::send(OutboundEvent event) {
  auto* m = std::get_if<OutboundMessage>(&event);
  if (!m) return;  // SMS carries no typing, presence or read receipts
  asio::post(strand_, [this, msg = std::move(*m)]() mutable { accept(std::move(msg)); });
}

ConnectorStatus SmppConnector::status() const {
  std::lock_guard lock(status_mu_);
  return status_;
}

void SmppConnector::report_failed(const OutboundMessage& m, std::string reason, bool retryable,
                                  int st) {
  DeliveryReport r;
  r.connector = name_;
  r.delivery_id = m.delivery_id;
  r.state = DeliveryState::failed;
  r.reason = std::move(reason);
  r.retryable = retryable;
  r.protocol_status = st;
  sink_.publish(std::move(r));
}

void SmppConnector::accept(OutboundMessage m) {
  if (!started_ || stopping_) {
    report_failed(m, "SMS connector " + name_ + " is not running", true);
    return;
  }
  if (in_flight_ >= kMaxQueue) {
    log_->warn("pending queue full ({} messages); refusing delivery {}", kMaxQueue, m.delivery_id);
    report_failed(m, "SMSC " + smsc_.name + " queue full; retry later", true);
    return;
  }
  auto om = std::make_shared<OutMsg>();
  om->dest = m.to.network == Network::sms ? e164_digits(m.to.id) : std::string();
  if (om->dest.empty()) {
    report_failed(m, "recipient " + m.to.str() + " is not an E.164 phone number", false);
    return;
  }
  if (m.from.network == Network::sms) om->source = e164_digits(m.from.id);
  if (om->source.empty() && !sms_.sender_numbers.empty())
    om->source = e164_digits(sms_.sender_numbers.front());
  if (om->source.empty()) {
    report_failed(m, "no E.164 sender number to send from", false);
    return;
  }
  auto segs = segment(m.body, next_ref_++, RefSize::bits8);
  if (!segs) {
    report_failed(m, segs.error().message, false);
    return;
  }
  log_->debug("delivery {}: {} segment(s) {} to {}: {}", m.delivery_id, segs->count(),
              sms_encoding_name(segs->encoding), om->dest, m.body);
  om->segs = std::move(*segs);
  om->state.assign(om->segs.count(), SegState::queued);
  om->ids.resize(om->segs.count());
  for (std::size_t i = 0; i < om->segs.count(); ++i) om->todo.push_back(i);
  om->msg = std::move(m);
  om->queued = true;
  queue_.push_back(std::move(om));
  ++in_flight_;
  publish_state();
  pump();
}

Link* SmppConnector::tx_link() {
  for (auto& l : links_) {
    if (l->can_submit()) return l.get();
  }
  return nullptr;
}

void SmppConnector::arm_pump(Clock::time_point at) {
  if (at >= pump_at_) return;  // an earlier wake-up is already set
  pump_at_ = at;
  pump_timer_.expires_at(at);
  pump_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    pump_at_ = Clock::time_point::max();
    ++pump_wakeups_;
    pump();
  });
}

void SmppConnector::pump() {
  if (stopping_) return;
  Link* tx = tx_link();
  const double rate = smsc_.throughput;
  while (!queue_.empty() && tx && tx->outstanding() < static_cast<std::size_t>(smsc_.window)) {
    const auto now = Clock::now();
    if (now < pause_until_) return arm_pump(pause_until_);
    // Token bucket: submit_sm at most `throughput` per second on average, and in any span
    // of t seconds at most capacity + t * throughput. The sender wakes when a group is in
    // the bucket; where groups are more than one PDU the bucket holds two, so that a
    // wake-up that comes late loses none of the rate (one PDU at a time, it stays exact:
    // evenly spaced matters more there).
    const double group = std::max(1.0, rate * kPumpStep.count());
    const double capacity = group > 1.0 ? 2 * group : 1.0;
    tokens_ = std::min(capacity,
                       tokens_ + std::chrono::duration<double>(now - refill_at_).count() * rate);
    refill_at_ = now;
    if (tokens_ < 1.0) {
      const auto wait = std::chrono::duration<double>((group - tokens_) / rate);
      return arm_pump(now + std::chrono::duration_cast<Clock::duration>(wait));
    }
    tokens_ -= 1.0;
    auto m = queue_.front();
    const std::size_t idx = m->todo.front();
    m->todo.pop_front();
    if (m->todo.empty()) {
      queue_.pop_front();
      m->queued = false;
    }
    ShortMessageBody b;
    b.source_addr_ton = 1;  // international, ISDN/E.164 (SMPP 3.4 §5.2.5-6)
    b.source_addr_npi = 1;
    b.source_addr = m->source;
    b.dest_addr_ton = 1;
    b.dest_addr_npi = 1;
    b.destination_addr = m->dest;
    b.esm_class = m->segs.udhi ? kEsmUdhi : 0;
    b.registered_delivery = smsc_.delivery_receipts ? 1 : 0;
    b.data_coding = m->segs.data_coding;
    b.short_message = m->segs.payloads[idx];
    m->state[idx] = SegState::written;
    ++m->outstanding;
    if (!m->on_wire && m->msg.handout != 0) {
      m->on_wire = true;
      on_wire_.insert(m->msg.handout);
    }
    tx->request(make_pdu(CommandId::submit_sm, 0, std::move(b)),
                [this, m, idx, tx](const Pdu* resp) { on_submit_resp(m, idx, tx, resp); });
  }
}

void SmppConnector::on_submit_resp(const std::shared_ptr<OutMsg>& m, std::size_t idx, Link* link,
                                   const Pdu* resp) {
  --m->outstanding;
  if (!resp) {
    m->state[idx] = SegState::unknown;
    m->unknown_why = link->bound() ? "no submit_sm_resp within " +
                                         std::to_string(smsc_.response_timeout_s) + " s"
                                   : "connection lost before submit_sm_resp";
    log_->warn("delivery {} segment {}/{}: {}; outcome unknown, not resending", m->msg.delivery_id,
               idx + 1, m->segs.count(), m->unknown_why);
  } else if (resp->id() != CommandId::generic_nack && resp->command_status == status::ok) {
    m->state[idx] = SegState::acked;
    if (const auto* b = resp->as<MessageIdRespBody>()) m->ids[idx] = b->message_id;
    throttle_level_ = 0;
  } else if (is_throttling(resp->command_status)) {
    // A certain refusal: pause the link, then resend this very segment first.
    const auto pause = std::min<Clock::duration>(
        kThrottlePauseMin * (1 << std::min(throttle_level_, 6)), kThrottlePauseMax);
    ++throttle_level_;
    pause_until_ = std::max(pause_until_, Clock::now() + pause);
    log_->info("SMSC answered {}; pausing submits for {} ms", describe_status(resp->command_status),
               std::chrono::duration_cast<std::chrono::milliseconds>(pause).count());
    m->state[idx] = SegState::queued;
    m->todo.push_front(idx);
    if (!m->queued) {
      m->queued = true;
      queue_.push_front(m);
    }
  } else {
    m->state[idx] = SegState::failed;
    m->failed_status = resp->command_status ? resp->command_status : status::unknown_error;
    // Do not send the rest of a message that failed for good.
    m->todo.clear();
    if (m->queued) {
      m->queued = false;
      std::erase(queue_, m);
    }
  }
  finish_if_done(m);
}

void SmppConnector::finish_if_done(const std::shared_ptr<OutMsg>& m) {
  if (m->reported || m->outstanding > 0 || !m->todo.empty()) return;
  m->reported = true;
  if (m->on_wire) on_wire_.erase(m->msg.handout);  // its result goes before any later receipt
  --in_flight_;
  DeliveryReport r;
  r.connector = name_;
  r.delivery_id = m->msg.delivery_id;
  std::string unknown;
  const std::size_t n = m->segs.count();
  for (std::size_t i = 0; i < n; ++i) {
    if (m->state[i] == SegState::acked) {
      r.network_ids.push_back(m->ids[i]);
      ++r.segments;
    } else if (m->state[i] == SegState::unknown) {
      unknown += (unknown.empty() ? "" : ",") + std::to_string(i + 1);
      ++r.segments;  // may have been sent and charged
    }
  }
  if (m->failed_status != 0) {
    r.state = DeliveryState::failed;
    r.protocol_status = static_cast<int>(m->failed_status);
    r.retryable = is_retryable(m->failed_status);
    r.reason = stopping_ && m->failed_status == status::system_error
                   ? "connector stopped before sending"
                   : describe_status(m->failed_status);
    if (stopping_) r.retryable = true;
    if (!r.network_ids.empty() || !unknown.empty()) {
      // Part of it reached the SMSC: sending it again would repeat those parts.
      r.retryable = false;
      r.reason += "; " + std::to_string(r.network_ids.size()) + " of " + std::to_string(n) +
                  " segment(s) were already accepted";
    }
    if (!unknown.empty())
      r.reason += "; segment(s) " + unknown + " of " + std::to_string(n) + " unknown";
  } else if (!unknown.empty()) {
    r.state = DeliveryState::unknown;
    r.reason = "segment(s) " + unknown + " of " + std::to_string(n) + ": " + m->unknown_why +
               "; not resent";
  } else {
    r.state = DeliveryState::acked;
  }
  log_->debug("delivery {}: {} ({} segment(s)){}", r.delivery_id, delivery_state_name(r.state), n,
              r.reason.empty() ? "" : ": " + r.reason);
  sink_.publish(std::move(r));
  publish_state();
}

void SmppConnector::on_link_up(Link&) {
  throttle_level_ = 0;
  pump();
}

void SmppConnector::on_link_state(Link& link, LinkState s, const std::string& reason) {
  (void)s;
  last_reason_ =
      links_.size() > 1 && !reason.empty()
          ? std::string(link.role() == BindRole::transmitter ? "transmitter: " : "receiver: ") +
                reason
          : reason;
  publish_state();
}

void SmppConnector::publish_state() {
  // The connector is as good as its worst link: up only when every link is up.
  LinkState agg = LinkState::up;
  std::uint64_t reconnects = 0;
  for (auto& l : links_) {
    reconnects += l->reconnects();
    if (l->state() != LinkState::up && agg == LinkState::up) agg = l->state();
  }
  bool changed;
  {
    std::lock_guard lock(status_mu_);
    changed = status_.state != agg || status_.detail != last_reason_;
    status_.state = agg;
    status_.detail = last_reason_;
    status_.reconnects = reconnects;
    status_.queue_depth = in_flight_;
  }
  if (changed) {
    AccountStateEvent ev;
    ev.connector = name_;
    ev.state = agg;
    ev.reason = last_reason_;
    sink_.publish(std::move(ev));
  }
}

}  // namespace passerelle::smpp
