// Inbound PDUs of SmppConnector: delivery receipts and mobile-originated messages
// (SMPP 3.4 §4.6 deliver_sm, §4.7 data_sm). All on the connector's strand.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <iterator>

#include "smpp/codec/receipt.hpp"
#include "smpp/codec/status.hpp"
#include "smpp/connector/smpp_connector.hpp"

namespace passerelle::smpp {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An SMPP address as a passerelle sms address: digits become E.164 ("+" added); an
// alphanumeric sender is kept as it is (the router cannot reply to it anyway).
Address sms_address(const std::string& addr) {
  const std::string id = !addr.empty() && addr[0] == '+' ? addr : "+" + addr;
  if (auto a = make_address(Network::sms, id)) return *a;
  return Address{Network::sms, addr};
}

ShortMessageBody as_short_message(const DataSmBody& d) {
  ShortMessageBody b;
  b.service_type = d.service_type;
  b.source_addr_ton = d.source_addr_ton;
  b.source_addr_npi = d.source_addr_npi;
  b.source_addr = d.source_addr;
  b.dest_addr_ton = d.dest_addr_ton;
  b.dest_addr_npi = d.dest_addr_npi;
  b.destination_addr = d.destination_addr;
  b.esm_class = d.esm_class;
  b.registered_delivery = d.registered_delivery;
  b.data_coding = d.data_coding;
  b.tlvs = d.tlvs;
  if (!b.tlvs.message_payload) b.tlvs.message_payload = std::string();
  return b;
}

}  // namespace

// Parts of long SMS answered before a restart: their messages complete when the SMSC sends
// the parts it still had to.
void SmppConnector::recover_parts() {
  auto kept = journal_.recover();
  if (!kept.ok()) {
    log_->error("{}", kept.error().message);
    return;
  }
  if (kept->empty()) return;
  const auto n = kept->size();
  for (auto& p : *kept) {
    auto res = reassembler_.add(std::move(p), now_ms());
    log_dropped(res.dropped);
    if (res.message) {  // cannot happen: a message's last part is never kept
      log_->warn("SMS from {} was whole in the part journal; given up", res.message->source);
      journal_done(*res.message);
    }
  }
  log_->info("{} part(s) of {} long SMS kept from before the restart", n, journal_.messages());
}

void SmppConnector::journal(const std::vector<PartResponse>& parts) {
  for (const auto& p : parts)
    if (p.part)
      if (auto st = journal_.add(*p.part); !st.ok())
        log_->error("{}; a crash before the message is whole would lose that part",
                    st.error().message);
}

void SmppConnector::journal_done(const std::string& source, const std::string& destination,
                                 std::uint16_t ref, std::uint8_t total) {
  if (auto st = journal_.done(source, destination, ref, total); !st.ok())
    log_->warn("{}", st.error().message);
}

void SmppConnector::journal_done(const Reassembled& msg) {
  if (msg.concat) journal_done(msg.source, msg.destination, msg.concat->ref, msg.concat->total);
}

void SmppConnector::on_request(Link& link, const std::shared_ptr<Conn>& conn, Pdu pdu) {
  ShortMessageBody sm;
  if (const auto* d = pdu.as<DataSmBody>()) {
    sm = as_short_message(*d);
  } else if (const auto* b = pdu.as<ShortMessageBody>()) {
    sm = *b;
  } else {
    link.respond(conn, make_generic_nack(pdu.sequence_number, status::invalid_cmd_id));
    return;
  }
  if (is_receipt(sm)) {
    handle_receipt(link, conn, pdu, sm);
    return;
  }
  handle_mo(link, conn, pdu, sm);
}

void SmppConnector::handle_receipt(Link& link, const std::shared_ptr<Conn>& conn, const Pdu& pdu,
                                   const ShortMessageBody& sm) {
  auto r = receipt_of(sm);
  if (!r) {
    log_->warn("delivery receipt from {} without a message id; ignored", sm.source_addr);
    link.respond(conn, make_response(pdu, status::ok));
    return;
  }
  DeliveryReport rep;
  rep.connector = name_;
  rep.network_id = r->message_id;
  rep.state = r->state;
  std::string code = "stat:" + (r->stat.empty() ? std::string("?") : r->stat);
  if (!r->err.empty()) code += " err:" + r->err;
  const auto words = describe_stat(r->stat);
  rep.reason = words.empty() ? code : std::string(words) + " (" + code + ")";
  log_->debug("receipt for {}: {} ({})", r->message_id, delivery_state_name(r->state), rep.reason);
  // Answered once the state it brings is stored: a crash before that leaves it unanswered,
  // and the SMSC delivers it again (DESIGN.md §4).
  rep.ack = [this, alive = std::weak_ptr<int>(alive_), wconn = std::weak_ptr<Conn>(conn),
             lk = &link, resp_ok = make_response(pdu, status::ok),
             resp_retry = make_response(pdu, status::temp_app_error),
             id = r->message_id](Status st) {
    if (alive.expired()) return;
    asio::post(strand_, [this, alive, wconn, lk, resp_ok, resp_retry, id, st] {
      if (alive.expired()) return;
      auto c = wconn.lock();
      if (!c || c->closed) return;  // unanswered: the SMSC delivers it again
      if (!st)
        log_->warn("receipt for {} not stored ({}); asking the SMSC to deliver it again", id,
                   st.error().message);
      lk->respond(c, st ? resp_ok : resp_retry);
    });
  };
  // Its id can only be one the SMSC gave a submit_sm already written: those still awaiting
  // their result, or those reported before it. Sends queued here do not count.
  rep.may_name_upto = on_wire_.empty() ? 0 : *on_wire_.rbegin();
  sink_.publish(std::move(rep));
}

void SmppConnector::log_dropped(const std::vector<DroppedPartial>& dropped) {
  for (const auto& d : dropped) {
    log_->warn("incomplete SMS from {} (ref {}, {}/{} parts) dropped: {}", d.source, d.ref,
               d.received, d.total, drop_reason_name(d.reason));
    journal_done(d.source, d.destination, d.ref, d.total);
  }
}

void SmppConnector::handle_mo(Link& link, const std::shared_ptr<Conn>& conn, const Pdu& pdu,
                              const ShortMessageBody& sm) {
  auto part = part_of(sm);
  if (!part) {
    log_->warn("SMS from {} with a malformed UDH: {}; refused", sm.source_addr,
               part.error().message);
    link.respond(conn, make_response(pdu, status::perm_app_error));
    return;
  }
  const std::string key = part->concat ? held_key(part->source, part->destination,
                                                  part->concat->ref, part->concat->total)
                                       : std::string();
  if (part->concat &&
      redelivery_of_stored(pdu_key(part->source, part->destination, part->concat, {}),
                           part->source)) {
    link.respond(conn, make_response(pdu, status::ok));
    return;
  }
  if (part->concat) {
    auto it = held_.find(key);
    if (it != held_.end()) {
      Reassembled again = std::move(it->second.second);
      held_.erase(it);
      log_->info("SMS from {}: redelivered part completes a held message", again.source);
      publish_mo(link, conn, pdu, std::move(again), part->concat->seq);
      return;
    }
  }
  // A copy for the journal, should the part be answered before its message is committed.
  std::optional<Part> kept = part->concat ? std::optional<Part>(*part) : std::nullopt;
  const std::uint8_t seq = part->concat ? part->concat->seq : 0;
  auto res = reassembler_.add(std::move(*part), now_ms());
  log_dropped(res.dropped);
  using O = Reassembler::Outcome;
  switch (res.outcome) {
    case O::incomplete:
    case O::duplicate:
      hold_part_response(key, link, conn, make_response(pdu, status::ok),
                         res.outcome == O::incomplete ? std::move(kept) : std::nullopt);
      return;
    case O::rejected:
      log_->warn("SMS part from {} refused: {}", sm.source_addr,
                 res.error ? res.error->message : "");
      link.respond(conn, make_response(pdu, status::temp_app_error));
      return;
    case O::undecodable:
      if (kept)
        journal_done(kept->source, kept->destination, kept->concat->ref, kept->concat->total);
      log_->warn("SMS from {} is not text (data_coding 0x{:02X}): {}; refused", sm.source_addr,
                 sm.data_coding, res.error ? res.error->message : "");
      link.respond(conn, make_response(pdu, status::perm_app_error));
      return;
    case O::complete:
      break;
  }
  if (!res.message->concat &&
      redelivery_of_stored(
          pdu_key(res.message->source, res.message->destination, std::nullopt, res.message->text),
          res.message->source)) {
    link.respond(conn, make_response(pdu, status::ok));
    return;
  }
  publish_mo(link, conn, pdu, std::move(*res.message), seq,
             key.empty() ? std::vector<PartResponse>{} : take_part_responses(key));
}

void SmppConnector::hold_part_response(const std::string& key, Link& link,
                                       const std::shared_ptr<Conn>& conn, Pdu resp,
                                       std::optional<Part> part) {
  if (key.empty() || smsc_.part_hold_ms <= 0 || part_responses_held_ >= kMaxPartResponses) {
    journal({PartResponse{&link, conn, resp, 0, std::move(part)}});
    link.respond(conn, resp);
    return;
  }
  part_responses_[key].push_back(
      PartResponse{&link, conn, std::move(resp), now_ms(), std::move(part)});
  ++part_responses_held_;
  arm_part_timer();
}

void SmppConnector::arm_part_timer() {
  if (part_timer_armed_ || part_responses_.empty() || stopping_) return;
  std::int64_t oldest = INT64_MAX;
  for (const auto& [key, parts] : part_responses_)
    for (const auto& p : parts) oldest = std::min(oldest, p.since_ms);
  part_timer_armed_ = true;
  part_timer_.expires_after(
      std::chrono::milliseconds(std::max<std::int64_t>(0, oldest + smsc_.part_hold_ms - now_ms())));
  part_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
    if (alive.expired()) return;
    part_timer_armed_ = false;
    if (ec || stopping_) return;
    answer_old_parts(now_ms());
    arm_part_timer();
  });
}

std::vector<SmppConnector::PartResponse> SmppConnector::take_part_responses(
    const std::string& key) {
  auto it = part_responses_.find(key);
  if (it == part_responses_.end()) return {};
  auto parts = std::move(it->second);
  part_responses_.erase(it);
  part_responses_held_ -= parts.size();
  return parts;
}

void SmppConnector::answer_parts(const std::vector<PartResponse>& parts) {
  for (const auto& p : parts)
    if (auto c = p.conn.lock(); c && !c->closed) p.link->respond(c, p.resp);
}

// Parts whose message is still incomplete after the hold: answered now, as accepted,
// before the SMSC gives up waiting and redelivers them.
void SmppConnector::answer_old_parts(std::int64_t now) {
  for (auto it = part_responses_.begin(); it != part_responses_.end();) {
    auto& parts = it->second;
    auto old_end = std::stable_partition(parts.begin(), parts.end(), [&](const PartResponse& p) {
      return now - p.since_ms >= smsc_.part_hold_ms;
    });
    if (old_end != parts.begin()) {
      std::vector<PartResponse> old(std::make_move_iterator(parts.begin()),
                                    std::make_move_iterator(old_end));
      parts.erase(parts.begin(), old_end);
      part_responses_held_ -= old.size();
      log_->debug("{} part(s) of a long SMS answered before the whole message arrived", old.size());
      journal(old);
      answer_parts(old);
    }
    it = parts.empty() ? part_responses_.erase(it) : std::next(it);
  }
}

std::string SmppConnector::held_key(const std::string& src, const std::string& dst,
                                    std::uint16_t ref, std::uint8_t total) {
  return src + '\n' + dst + '\n' + std::to_string(ref) + '\n' + std::to_string(total);
}

std::string SmppConnector::pdu_key(const std::string& src, const std::string& dst,
                                   const std::optional<Concat>& concat, const std::string& text) {
  if (concat)
    return "part\n" + held_key(src, dst, concat->ref, concat->total) + '\n' +
           std::to_string(concat->seq);
  return "sms\n" + src + '\n' + dst + '\n' + text;
}

void SmppConnector::remember_stored(const Reassembled& msg,
                                    const std::vector<std::uint8_t>& unanswered) {
  const std::int64_t until = now_ms() + kStoredUnansweredMs;
  auto remember = [&](std::string key) {
    if (stored_unanswered_.size() >= kMaxStoredUnanswered) {
      // The soonest to be forgotten goes first.
      auto soonest =
          std::min_element(stored_unanswered_.begin(), stored_unanswered_.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; });
      stored_unanswered_.erase(soonest);
    }
    stored_unanswered_[std::move(key)] = until;
  };
  if (!msg.concat) {
    remember(pdu_key(msg.source, msg.destination, std::nullopt, msg.text));
    return;
  }
  // Only the parts that got no answer: those answered already will not come again, and
  // a new message reusing the reference must not find them.
  Concat part = *msg.concat;
  for (std::uint8_t seq : unanswered) {
    part.seq = seq;
    remember(pdu_key(msg.source, msg.destination, part, {}));
  }
}

bool SmppConnector::redelivery_of_stored(const std::string& key, const std::string& source) {
  if (stored_unanswered_.empty()) return false;
  auto it = stored_unanswered_.find(key);
  if (it == stored_unanswered_.end()) return false;
  const bool fresh = it->second >= now_ms();
  stored_unanswered_.erase(it);
  if (fresh) {
    log_->info("SMS from {}: delivered again after it was stored; answered, not passed on", source);
    std::lock_guard lock(status_mu_);
    ++status_.duplicates;
  }
  return fresh;
}

void SmppConnector::publish_mo(Link& link, const std::shared_ptr<Conn>& conn, const Pdu& pdu,
                               Reassembled msg, std::uint8_t seq, std::vector<PartResponse> parts) {
  // Copies of this message passed on and not yet answered by the core: a copy the SMSC
  // delivered again before the first was stored went on too (it is a duplicate, and the
  // first is not remembered, or a later message with the same words would be dropped).
  std::string copies = msg.concat ? "long\n" + held_key(msg.source, msg.destination,
                                                        msg.concat->ref, msg.concat->total)
                                  : pdu_key(msg.source, msg.destination, std::nullopt, msg.text);
  auto& copy = publishing_[copies];
  ++copy.in_flight;
  const std::uint64_t nth = ++copy.published;
  InboundMessage in;
  in.connector = name_;
  in.from = sms_address(msg.source);
  in.to = sms_address(msg.destination);
  in.body = msg.text;  // kept in `msg` too, in case the core refuses it
  // No origin id: SMPP gives none that is unique over time (sequence numbers restart at
  // every bind, concatenation references wrap at 256), so a redelivered SMS is accepted
  // again rather than a new one being taken for a duplicate.
  in.origin_id.clear();
  in.received_ms = wall_ms();
  log_->debug("SMS from {} to {}", msg.source, msg.destination);
  log_->debug("SMS body from {}: {}", msg.source, in.body);
  // The deliver_sm_resp waits for the core (DESIGN.md §4: commit before acknowledging).
  // The AckFn may run on any thread; it posts back to the strand.
  const Pdu resp_ok = make_response(pdu, status::ok);
  const Pdu resp_retry = make_response(pdu, status::temp_app_error);
  // The other parts of a long SMS are answered with it: accepted either way (a refused
  // message is kept whole in held_ until its last part comes back).
  in.ack = [this, alive = std::weak_ptr<int>(alive_), wconn = std::weak_ptr<Conn>(conn), lk = &link,
            resp_ok, resp_retry, origin = "SMS from " + msg.source, held = msg, seq, nth,
            copies = std::move(copies), parts = std::move(parts)](Status st) mutable {
    if (alive.expired()) return;
    asio::post(strand_, [this, alive, wconn, lk, resp_ok, resp_retry, origin, st, seq, nth,
                         copies = std::move(copies), held = std::move(held),
                         parts = std::move(parts)]() mutable {
      if (alive.expired()) return;
      auto c = wconn.lock();
      const bool closed = !c || c->closed;
      bool later_copy = false;
      if (auto it = publishing_.find(copies); it != publishing_.end()) {
        later_copy = it->second.published > nth;
        if (--it->second.in_flight == 0) publishing_.erase(it);
      }
      // Refused, the message waits for the SMSC to send its last part again; the other
      // parts, answered now, are kept on disk meanwhile. Stored, it is done with, even when
      // its answer cannot be sent: the SMSC's next delivery of it is recognised instead.
      if (!st) journal(parts);
      std::vector<std::uint8_t> unanswered;
      if (closed && seq) unanswered.push_back(seq);
      for (const auto& p : parts)
        if (auto pc = p.conn.lock(); (!pc || pc->closed) && p.part && p.part->concat)
          unanswered.push_back(p.part->concat->seq);
      answer_parts(parts);
      if (st) journal_done(held);
      if (st && !later_copy && (closed || !unanswered.empty())) {
        log_->warn(
            "{} stored, but {} answer(s) to the SMSC could not be sent (connection closed); "
            "the SMSC will deliver it again, and that copy will be answered and dropped",
            origin, held.concat ? unanswered.size() : 1);
        remember_stored(held, unanswered);
      }
      if (closed && st) return;
      if (!st)
        log_->warn("{} refused by the core ({}); asking the SMSC to redeliver", origin,
                   st.error().message);
      if (!st && held.concat) {
        if (held_.size() >= kMaxHeld) {
          journal_done(held_.begin()->second.second);
          held_.erase(held_.begin());
        }
        const auto key =
            held_key(held.source, held.destination, held.concat->ref, held.concat->total);
        held_[key] = {now_ms(), std::move(held)};
      }
      if (!closed) lk->respond(c, st ? resp_ok : resp_retry);
    });
  };
  sink_.publish(std::move(in));
}

asio::awaitable<void> SmppConnector::housekeeping() {
  while (!stopping_) {
    // Reassembly and held-message timeouts are tens of seconds: a few seconds late is
    // fine, and an idle daemon should not wake every second.
    housekeeping_timer_.expires_after(std::chrono::seconds(5));
    auto [ec] = co_await housekeeping_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || stopping_) break;
    log_dropped(reassembler_.expire(now_ms()));
    const auto cutoff = now_ms() - static_cast<std::int64_t>(sms_.reassembly_timeout_s) * 1000;
    for (auto it = held_.begin(); it != held_.end();) {
      if (it->second.first < cutoff) {
        log_->warn("SMS from {} refused earlier was not redelivered in time; dropped",
                   it->second.second.source);
        journal_done(it->second.second);
        it = held_.erase(it);
      } else {
        ++it;
      }
    }
    std::erase_if(stored_unanswered_, [now = now_ms()](const auto& e) { return e.second < now; });
  }
}

}  // namespace passerelle::smpp
