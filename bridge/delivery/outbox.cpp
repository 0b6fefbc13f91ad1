#include "delivery/outbox.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <limits>
#include <utility>

#include "core/ulid.hpp"
#include "delivery/backoff.hpp"

namespace passerelle {
namespace {

std::string nid_key(const std::string& connector, const std::string& network_id) {
  return connector + '\n' + network_id;
}

// Write-behind keys: one per delivery row, one per network id row.
std::string row_key(const std::string& id) {
  return "d\n" + id;
}

}  // namespace

Outbox::Outbox(boost::asio::any_io_executor strand, store::Store& store, store::WriteBehind& writes,
               const ConnectorRegistry& connectors, Metrics& metrics, OutboxOptions options,
               OutboxHooks hooks)
    : strand_(std::move(strand)),
      store_(store),
      writes_(writes),
      connectors_(connectors),
      options_(options),
      hooks_(std::move(hooks)),
      timer_(strand_),
      sweep_timer_(strand_),
      sent_(metrics.counter("passerelle_deliveries_total", "Deliveries by outcome",
                            {{"outcome", "sent"}})),
      retries_(metrics.counter("passerelle_deliveries_total", "Deliveries by outcome",
                               {{"outcome", "retried"}})),
      unknown_(metrics.counter("passerelle_deliveries_total", "Deliveries by outcome",
                               {{"outcome", "unknown"}})),
      failed_(metrics.counter("passerelle_deliveries_total", "Deliveries by outcome",
                              {{"outcome", "failed"}})),
      delivered_(metrics.counter("passerelle_deliveries_total", "Deliveries by outcome",
                                 {{"outcome", "delivered"}})) {
  for (Network n : kAllNetworks)
    out_[static_cast<std::size_t>(n)] =
        &metrics.counter("passerelle_messages_out_total",
                         "Messages handed to a network, by network (first attempts; retries are "
                         "passerelle_deliveries_total{outcome=\"retried\"})",
                         {{"network", std::string(network_name(n))}});
}

Status Outbox::recover() {
  std::vector<store::DeliveryRow> rows;
  std::vector<store::NetworkIdRow> nids;
  auto st = store_.run_sync([&](store::Db& db) -> Status {
    if (auto s = store::load_open_deliveries(
            db, [&](store::DeliveryRow r) { rows.push_back(std::move(r)); });
        !s.ok())
      return s;
    return store::load_network_ids(db,
                                   [&](store::NetworkIdRow n) { nids.push_back(std::move(n)); });
  });
  if (!st.ok()) return st;
  std::size_t resumed = 0, unknown = 0;
  for (auto& r : rows) {
    const std::string id = r.id;
    Connector* c = connectors_.find(r.connector);
    if (r.state == DeliveryState::acked &&
        (!c || !c->capabilities().receipts ||
         (options_.expire_after_ms > 0 && r.created_ms + options_.expire_after_ms < now_ms())))
      continue;  // nothing more to come
    auto& o = open_[id];
    o.row = std::move(r);
    if (o.row.state == DeliveryState::sent) {
      // Handed to a connector before the restart, with no answer recorded: the network
      // may or may not have it.
      ++unknown;
      o.row.unknown_outcomes++;
      unknown_.inc();
      if (hooks_.unknown) hooks_.unknown(o.row);
      if (!options_.resend_unknown) {
        finish(id, DeliveryState::unknown,
               "outcome unknown: passerelle stopped while it was being sent");
        continue;
      }
      o.row.reason = "outcome unknown after restart; sent again (may arrive twice)";
      o.row.state = DeliveryState::routed;
      persist(o.row);
    }
    if (o.row.state != DeliveryState::acked) {
      waiting_.emplace(0, id);
      ++resumed;
    }
  }
  for (auto& n : nids) {
    auto* o = find(n.delivery_id);
    if (!o) continue;
    o->segments[n.network_id] = n.state;
    by_network_id_[nid_key(n.connector, n.network_id)] = n.delivery_id;
  }
  for (const auto& [id, o] : open_) {
    if (o.row.state != DeliveryState::acked) continue;
    if (Connector* c = connectors_.find(o.row.connector)) {
      auto from = parse_address(o.row.sender);
      OutboundWatch w{id, from.ok() ? *from : Address{}, {}, o.row.updated_ms};
      for (const auto& segment : o.segments) w.network_ids.push_back(segment.first);
      c->resume_watch(std::move(w));
    }
  }
  spdlog::info("outbox: {} open deliveries ({} to send, {} with unknown outcome)", open_.size(),
               resumed, unknown);
  boost::asio::post(strand_, [this] {
    arm_timer();
    sweep_expired();
  });
  return {};
}

Outbox::Open* Outbox::find(const std::string& id) {
  auto it = open_.find(id);
  return it == open_.end() ? nullptr : &it->second;
}

void Outbox::enqueue(store::DeliveryRow row) {
  const std::string id = row.id;
  const bool recorded_as_sent = row.state == DeliveryState::sent;
  open_[id].row = std::move(row);
  if (!recorded_as_sent || draining_) {
    if (recorded_as_sent) {
      // Shutting down: it will not go out now. Record that it was never handed over, so
      // that the restart sends it as a first attempt and not as an unknown outcome.
      auto& r = open_[id].row;
      r.state = DeliveryState::routed;
      r.attempts = 0;
      persist(r);
    }
    dispatch(id);
    return;
  }
  if (!take_slot(open_[id].row.connector, id)) {
    auto& o = open_[id];
    o.row.state = DeliveryState::routed;  // waits for a slot; the store says sent
    o.row.attempts = 0;
    o.stored_as_first_send = true;
    return;
  }
  send_now(id);
}

bool Outbox::take_slot(const std::string& connector, const std::string& id) {
  auto& s = slots_[connector];
  if (s.in_flight >= kMaxInFlightPerConnector) {
    s.parked.push_back(id);
    return false;
  }
  ++s.in_flight;
  ++in_flight_;
  return true;
}

void Outbox::release_slot(const std::string& connector) {
  if (in_flight_ > 0) --in_flight_;
  auto& s = slots_[connector];
  if (s.in_flight > 0) --s.in_flight;
  if (!s.parked.empty()) boost::asio::post(strand_, [this, connector] { pump(connector); });
}

void Outbox::pump(const std::string& connector) {
  auto& s = slots_[connector];
  while (!draining_ && s.in_flight < kMaxInFlightPerConnector && !s.parked.empty()) {
    const std::string id = std::move(s.parked.front());
    s.parked.pop_front();
    auto* o = find(id);
    if (o && o->row.state == DeliveryState::routed) dispatch(id);
  }
}

void Outbox::persist(const store::DeliveryRow& row, std::function<void()> after,
                     bool drop_network_ids) {
  store::WriteBehind::After done;
  if (after)
    done = [this, id = row.id, after = std::move(after)](Status st) {
      if (!st.ok()) spdlog::error("outbox: cannot record delivery {}: {}", id, st.error().message);
      boost::asio::post(strand_, after);
    };
  writes_.put(
      row_key(row.id),
      [row, drop_network_ids](store::Db& db) -> Status {
        if (auto s = store::update_delivery(db, row); !s.ok()) return s;
        return drop_network_ids ? store::delete_network_ids(db, row.id) : Status{};
      },
      std::move(done));
}

void Outbox::persist_closed(const store::DeliveryRow& row, bool refund) {
  writes_.put(row_key(row.id), [row, refund](store::Db& db) -> Status {
    if (auto s = store::update_delivery(db, row); !s.ok()) return s;
    if (auto s = store::delete_network_ids(db, row.id); !s.ok()) return s;
    return refund ? store::delete_charges(db, row.id) : Status{};
  });
}

void Outbox::dispatch(const std::string& id) {
  auto* o = find(id);
  if (!o || draining_) return;
  auto& r = o->row;
  if (options_.expire_after_ms > 0 && r.created_ms + options_.expire_after_ms < now_ms()) {
    finish(id, DeliveryState::failed, "not delivered in time (" + r.reason + ")");
    return;
  }
  if (!take_slot(r.connector, id)) return;
  r.state = DeliveryState::sent;
  r.attempts++;
  r.updated_ms = now_ms();
  if (o->stored_as_first_send && r.attempts == 1) {
    o->stored_as_first_send = false;
    send_now(id);
    return;
  }
  o->stored_as_first_send = false;
  // Recorded as sent before the connector sees it: after a crash, a row still "sent"
  // is known to have an unknown outcome instead of being resent silently.
  // (This write replaces a pending one of hold(): it keeps its removal of the bounced
  // copy's network id.)
  persist(
      r, [this, id] { send_now(id); }, o->held > 0);
}

void Outbox::send_now(const std::string& id) {
  auto* o = find(id);
  if (!o) return;
  const auto& r = o->row;
  const std::string connector = r.connector;
  if (hooks_.refuse) {
    if (auto why = hooks_.refuse(r)) {
      release_slot(connector);
      finish(id, DeliveryState::failed, *why);
      return;
    }
  }
  Connector* c = connectors_.find(r.connector);
  if (!c) {
    release_slot(connector);
    finish(id, DeliveryState::failed, "no connector named '" + connector + "' is configured");
    return;
  }
  auto from = parse_address(r.sender);
  auto to = parse_address(r.recipient);
  if (!from.ok() || !to.ok()) {
    release_slot(connector);
    finish(id, DeliveryState::failed, "bad address in delivery");
    return;
  }
  OutboundMessage m;
  m.delivery_id = r.id;
  m.message_id = r.message_id;
  m.from = *from;
  m.to = *to;
  m.body = r.body;
  m.attachments = r.attachments;
  m.kind = static_cast<MessageKind>(r.kind);
  m.request_receipt = r.request_receipt;
  m.attempt = r.attempts;
  sent_.inc();
  if (!o->counted_out) {
    o->counted_out = true;
    out_[static_cast<std::size_t>(m.to.network)]->inc();
  }
  o->handout = ++handouts_;
  slots_[connector].awaiting.insert(o->handout);
  m.handout = o->handout;
  c->send(std::move(m));
}

void Outbox::on_report(DeliveryReport rep) {
  AckFn ack = std::move(rep.ack);
  rep.ack = nullptr;
  const std::string connector = rep.connector;
  const std::uint64_t mark = failures();
  apply(rep, ack);
  if (ack) settle(std::move(ack), mark);
  // After apply: the reports this result named are applied, not released unmatched.
  release_early_acks(connector);
}

std::uint64_t Outbox::failures() const {
  return store_.failures() + writes_.failures();
}

void Outbox::settle(AckFn ack, std::uint64_t mark) {
  // A write of the report may fail alone inside a batch that commits (a write-behind write
  // has no job of its own to fail). Which one failed is not known here, so any failure
  // since the report came refuses it: the network sends it again, and a report applied
  // twice changes nothing more than once.
  auto failed = std::make_shared<bool>(false);
  store_.submit(
      [this, mark, failed](store::Db&) -> Status {
        *failed = failures() != mark;
        return {};
      },
      [ack = std::move(ack), failed](Status st) {
        if (st.ok() && *failed)
          st = Error::transient("the store could not record every change of this report");
        ack(std::move(st));
      },
      store::Store::Replay::yes);
}

void Outbox::landed(Open& o) {
  if (o.handout == 0) return;
  if (auto s = slots_.find(o.row.connector); s != slots_.end()) s->second.awaiting.erase(o.handout);
  o.handout = 0;
}

void Outbox::release_early_acks(const std::string& connector) {
  auto sit = slots_.find(connector);
  if (sit == slots_.end()) return;
  auto& s = sit->second;
  const std::uint64_t oldest =
      s.awaiting.empty() ? std::numeric_limits<std::uint64_t>::max() : *s.awaiting.begin();
  while (!s.unmatched.empty() && s.unmatched.begin()->first < oldest) {
    auto [seq, key] = std::move(s.unmatched.begin()->second);
    s.unmatched.erase(s.unmatched.begin());
    auto e = early_reports_.find(key);
    if (e == early_reports_.end() || e->second.seq != seq || !e->second.rep.ack) continue;
    // Every send it could belong to has its result: it names none of this bridge's open
    // deliveries, so there is nothing to record.
    std::exchange(e->second.rep.ack, nullptr)(Status{});
    // Nor of later ones, when the connector said which sends could have its id.
    if (e->second.rep.may_name_upto) early_reports_.erase(e);
  }
}

std::size_t Outbox::reports_waiting() const {
  std::size_t n = 0;
  for (const auto& [key, e] : early_reports_) n += e.rep.ack ? 1 : 0;
  return n;
}

void Outbox::answer_held_acks(const Status& st) {
  for (auto& [key, e] : early_reports_)
    if (e.rep.ack) std::exchange(e.rep.ack, nullptr)(st);
  for (auto& [name, s] : slots_) s.unmatched.clear();
}

void Outbox::keep_early(DeliveryReport& rep, AckFn& ack) {
  const auto key = nid_key(rep.connector, rep.network_id);
  if (rep.may_name_upto) {
    // Only the sends the network had seen can have its id. With none of them awaiting its
    // result, it names nothing of this bridge's, now or later (a later send given the same
    // id is another message): it is not kept. With one awaiting, it waits for those only,
    // even for the id of an ended delivery, and applies to a send that got the same id (an
    // SMSC reusing its ids).
    const auto s = slots_.find(rep.connector);
    if (s == slots_.end() || !awaits_upto(s->second, *rep.may_name_upto)) return;
  } else if (ended_ids_.count(key)) {
    return;  // its delivery has ended: nothing to apply or wait for
  }
  auto [slot, inserted] = early_reports_.try_emplace(key);
  auto& kept = slot->second;
  if (!inserted && is_final(kept.rep.state) && !is_final(rep.state))
    return;  // a less final report sent again (ENROUTE after DELIVRD): the one kept stands
  // A later report of the same id supersedes (ENROUTE, then DELIVRD) and answers for both.
  if (!inserted && kept.rep.ack) std::exchange(kept.rep.ack, nullptr)(Status{});
  kept.rep = std::move(rep);
  kept.seq = ++early_seq_;
  kept.watermark = kept.rep.may_name_upto.value_or(handouts_);
  early_order_.emplace_back(kept.seq, key);
  if (ack) {
    const Connector* c = connectors_.find(kept.rep.connector);
    auto& slots = slots_[kept.rep.connector];
    bool hold = false;
    if (draining_ && !drained_) {
      // The drain is over: nothing will apply it before the bridge stops.
      std::exchange(ack, nullptr)(Error::transient("the bridge is stopping"));
    } else if (c && c->capabilities().ids_are_delivery_ids) {
      // Only the delivery it names can apply it: held while that delivery is open (until
      // its send result applies it, or it ends: finish()).
      const Open* d = find(kept.rep.network_id);
      hold = d && d->row.connector == kept.rep.connector;
    } else if (awaits_upto(slots, kept.watermark)) {
      // Held while a send that may have its id awaits its result (release_early_acks).
      hold = true;
      slots.unmatched.emplace(kept.watermark, std::make_pair(kept.seq, key));
    }
    if (hold) kept.rep.ack = std::exchange(ack, nullptr);
  }
  if (early_order_.size() > 2 * early_reports_.size() + 64) {
    // Mostly entries of reports applied or replaced since: keep those still current.
    std::erase_if(early_order_, [this](const auto& o) {
      auto e = early_reports_.find(o.second);
      return e == early_reports_.end() || e->second.seq != o.first;
    });
  }
  while (early_reports_.size() > kMaxEarlyReports && !early_order_.empty()) {
    auto [seq, oldest] = std::move(early_order_.front());
    early_order_.pop_front();
    auto e = early_reports_.find(oldest);
    if (e == early_reports_.end() || e->second.seq != seq) continue;
    spdlog::debug("outbox: too many reports for unknown network ids; dropping the oldest");
    // Not applied: the network is asked to send it again.
    if (e->second.rep.ack)
      std::exchange(e->second.rep.ack, nullptr)(
          Error::transient("too many delivery reports waiting for their send results"));
    early_reports_.erase(e);
  }
}

void Outbox::apply(DeliveryReport& rep, AckFn& ack) {
  std::string id = rep.delivery_id;
  if (id.empty()) {
    auto it = by_network_id_.find(nid_key(rep.connector, rep.network_id));
    if (it == by_network_id_.end()) {
      keep_early(rep, ack);
      return;
    }
    id = it->second;
  }
  auto* o = find(id);
  if (!o) return;
  auto& r = o->row;
  const bool was_in_flight = r.state == DeliveryState::sent;
  auto land = [&, connector = r.connector] {
    if (!was_in_flight) return;
    landed(*o);
    release_slot(connector);
  };

  if (!rep.delivery_id.empty()) {
    // The send result.
    switch (rep.state) {
      case DeliveryState::acked: {
        land();
        r.state = DeliveryState::acked;
        r.segments = rep.segments;
        r.updated_ms = now_ms();
        for (const auto& nid : rep.network_ids) {
          o->segments[nid] = DeliveryState::acked;
          by_network_id_[nid_key(rep.connector, nid)] = id;
        }
        if (hooks_.acked) hooks_.acked(r);
        Connector* c = connectors_.find(r.connector);
        const bool receipts_follow = c && c->capabilities().receipts && !rep.network_ids.empty();
        if (!receipts_follow) {
          persist_closed(r, false);
          open_.erase(id);
          for (const auto& nid : rep.network_ids) by_network_id_.erase(nid_key(rep.connector, nid));
          break;
        }
        writes_.put(row_key(id),
                    [row = r, ids = rep.network_ids, conn = rep.connector,
                     held = o->held > 0](store::Db& db) -> Status {
                      if (auto s = store::update_delivery(db, row); !s.ok()) return s;
                      // A copy sent again after a bounce: the bounced copy's id goes (this write
                      // may replace hold()'s, which did that).
                      if (held)
                        if (auto s = store::delete_network_ids(db, row.id); !s.ok()) return s;
                      for (const auto& nid : ids)
                        if (auto s = store::upsert_network_id(
                                db, {conn, nid, row.id, DeliveryState::acked});
                            !s.ok())
                          return s;
                      return {};
                    });
        // Receipts that overtook this result.
        std::vector<DeliveryReport> early;
        for (const auto& nid : rep.network_ids) {
          auto e = early_reports_.find(nid_key(rep.connector, nid));
          if (e == early_reports_.end()) continue;
          early.push_back(std::move(e->second.rep));
          early_reports_.erase(e);
        }
        for (auto& e : early) on_report(std::move(e));
        break;
      }
      case DeliveryState::failed:
        land();
        // Segments the network accepted before the failure: they were sent (and charged).
        for (const auto& nid : rep.network_ids) o->segments[nid] = DeliveryState::acked;
        if (rep.retryable && rep.network_ids.empty()) {
          retry_later(*o, rep.reason, true);
        } else if (auto rescued = hooks_.rescue ? hooks_.rescue(r, rep) : std::nullopt) {
          finish(id, DeliveryState::failed, *rescued, /*tell_sender=*/false);
        } else {
          finish(id, DeliveryState::failed, rep.reason);
        }
        break;
      case DeliveryState::unknown:
        land();
        r.unknown_outcomes++;
        unknown_.inc();
        spdlog::warn("outbox: delivery {} to {}: outcome unknown ({}){}", id, r.recipient,
                     rep.reason,
                     options_.resend_unknown ? "; sending again, it may arrive twice" : "");
        if (hooks_.unknown) hooks_.unknown(r);
        if (options_.resend_unknown) {
          retry_later(*o, "outcome unknown: " + rep.reason, true);
        } else {
          finish(id, DeliveryState::unknown, rep.reason);
        }
        break;
      case DeliveryState::delivered:
      case DeliveryState::read:
        land();
        finish(id, rep.state, rep.reason);
        break;
      default:
        break;
    }
    check_drained();
    return;
  }

  // A delivery report for one network id (one SMS segment): merge into one state.
  o->segments[rep.network_id] = rep.state;
  bool all_final = true, any_failed = false, any_unknown = false;
  for (const auto& [nid, s] : o->segments) {
    any_failed |= s == DeliveryState::failed;
    any_unknown |= s == DeliveryState::unknown;
    all_final &= is_final(s);
  }
  if (any_failed) {
    // The router may still reach the recipient another way (an RCS message revoked
    // after its fallback time goes by SMS).
    if (auto rescued = hooks_.rescue ? hooks_.rescue(o->row, rep) : std::nullopt) {
      finish(id, DeliveryState::failed, *rescued, /*tell_sender=*/false);
    } else if (rep.retryable && o->segments.size() == 1) {
      // The whole message came back, for a reason that may pass (an XMPP server whose
      // user is offline and that keeps nothing for them): nothing reached the recipient.
      by_network_id_.erase(nid_key(o->row.connector, rep.network_id));
      o->segments.clear();
      hold(*o, rep.reason);
    } else {
      finish(id, DeliveryState::failed,
             rep.reason.empty() ? "the network reported it undeliverable" : rep.reason);
    }
  } else if (all_final) {
    // Every segment the network named has its final state (some SMSCs give one id for
    // all segments of a message).
    finish(id, any_unknown ? DeliveryState::unknown : DeliveryState::delivered,
           any_unknown ? "the network does not know whether it was delivered" : "");
  } else {
    // Still open: remember this segment's state across a restart. (A finished delivery
    // needs no per-segment rows: its final state says it all.)
    writes_.put("n\n" + nid_key(rep.connector, rep.network_id),
                [n = store::NetworkIdRow{rep.connector, rep.network_id, id, rep.state}](
                    store::Db& db) { return store::upsert_network_id(db, n); });
  }
}

void Outbox::retry_later(Open& o, const std::string& reason, bool count_attempt) {
  auto& r = o.row;
  if (count_attempt && r.attempts >= options_.max_attempts) {
    finish(r.id, DeliveryState::failed,
           "gave up after " + std::to_string(r.attempts) + " attempts: " + reason);
    return;
  }
  retries_.inc();
  const auto delay =
      backoff_ms(r.attempts, options_.retry_initial_ms, options_.retry_max_ms, jitter_random());
  r.state = DeliveryState::routed;
  r.reason = reason;
  r.next_attempt_ms = now_ms() + delay;
  r.updated_ms = now_ms();
  persist(r);
  waiting_.emplace(r.next_attempt_ms, r.id);
  arm_timer();
}

void Outbox::finish(const std::string& id, DeliveryState state, const std::string& reason,
                    bool tell_sender) {
  auto it = open_.find(id);
  if (it == open_.end()) return;
  Open o = std::move(it->second);
  open_.erase(it);
  if (o.handout != 0) {
    // Ended without its send result: its slot is free, and the reports held for the
    // sends before it need not wait for it.
    landed(o);
    release_slot(o.row.connector);
    boost::asio::post(strand_, [this, c = o.row.connector] { release_early_acks(c); });
  }
  if (!early_reports_.empty()) {
    // A report held for this delivery itself (ids_are_delivery_ids) that no send result
    // applied: the delivery is over, there is nothing left to record.
    if (auto e = early_reports_.find(nid_key(o.row.connector, o.row.id));
        e != early_reports_.end()) {
      if (e->second.rep.ack) std::exchange(e->second.rep.ack, nullptr)(Status{});
      early_reports_.erase(e);
    }
  }
  for (const auto& [nid, s] : o.segments) {
    auto key = nid_key(o.row.connector, nid);
    by_network_id_.erase(key);
    // A report for it may still come (an SMSC that gives every segment the same id sends
    // one receipt per segment): known as ended, it is answered without waiting behind
    // queued sends (where the connector does not say which sends it may name).
    if (ended_ids_.insert(key).second) ended_order_.push_back(std::move(key));
  }
  while (ended_order_.size() > kMaxEndedIds) {
    ended_ids_.erase(ended_order_.front());
    ended_order_.pop_front();
  }
  if (o.held > 0) {
    if (auto h = held_.find(o.row.recipient); h != held_.end()) {
      h->second.erase(id);
      if (h->second.empty()) held_.erase(h);
    }
  }
  auto& r = o.row;
  r.state = state;
  if (!reason.empty()) r.reason = reason;
  r.updated_ms = now_ms();
  // Nothing left the bridge: the reserved charges go back to the payer.
  const bool refund = state == DeliveryState::failed && o.segments.empty();
  persist_closed(r, refund);
  if (refund && hooks_.refunded) hooks_.refunded(r);
  if (state == DeliveryState::failed || state == DeliveryState::unknown) {
    failed_.inc();
    spdlog::warn("outbox: delivery {} to {} {}: {}", r.id, r.recipient,
                 state == DeliveryState::failed ? "failed" : "has an unknown outcome", r.reason);
    if (hooks_.failed && tell_sender) hooks_.failed(r);
  } else if (state == DeliveryState::delivered || state == DeliveryState::read) {
    delivered_.inc();
    if (hooks_.delivered) hooks_.delivered(r);
  }
}

void Outbox::arm_timer() {
  if (waiting_.empty() || draining_) return;
  const auto next = waiting_.begin()->first;
  if (timer_at_ != 0 && timer_at_ <= next) return;
  timer_at_ = next;
  const auto delay = std::max<std::int64_t>(0, next - now_ms());
  timer_.expires_after(std::chrono::milliseconds(delay));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    timer_at_ = 0;
    on_timer();
  });
}

void Outbox::hold(Open& o, const std::string& reason) {
  auto& r = o.row;
  const auto now = now_ms();
  const auto expires = options_.expire_after_ms > 0 ? r.created_ms + options_.expire_after_ms
                                                    : std::numeric_limits<std::int64_t>::max();
  if (now >= expires) {
    finish(r.id, DeliveryState::failed,
           "still not delivered after " + std::to_string(options_.expire_after_ms / 1000) +
               " s: " + reason);
    return;
  }
  retries_.inc();
  ++o.held;
  if (r.attempts > 0) --r.attempts;  // waiting for the recipient uses up no attempt
  r.state = DeliveryState::routed;
  r.reason = reason;
  // On the timer a few times (for a recipient whose presence never reaches the bridge),
  // then only when they come back, or at expiry.
  r.next_attempt_ms =
      o.held <= options_.max_attempts ? std::min(expires, now + options_.retry_max_ms) : expires;
  r.updated_ms = now;
  // The earlier copy's network id leaves the store with this state: a restart must not
  // take it for a segment of this message.
  persist(r, {}, /*drop_network_ids=*/true);
  waiting_.emplace(r.next_attempt_ms, r.id);
  held_[r.recipient].insert(r.id);
  arm_timer();
}

void Outbox::retry_now(const std::string& recipient) {
  if (draining_) return;
  auto it = held_.find(recipient);
  if (it == held_.end()) return;
  const auto ids = std::move(it->second);
  held_.erase(it);
  for (const auto& id : ids) {
    auto* o = find(id);
    if (!o || o->row.state != DeliveryState::routed) continue;
    auto [first, last] = waiting_.equal_range(o->row.next_attempt_ms);
    for (auto w = first; w != last; ++w) {
      if (w->second == id) {
        waiting_.erase(w);
        break;
      }
    }
    dispatch(id);
  }
}

void Outbox::on_timer() {
  const auto now = now_ms();
  std::vector<std::string> due;
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    due.push_back(waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
  }
  for (const auto& id : due) {
    auto* o = find(id);
    if (o && o->row.state == DeliveryState::routed) dispatch(id);
  }
  arm_timer();
}

void Outbox::sweep_expired() {
  if (options_.expire_after_ms <= 0) return;
  const auto cutoff = now_ms() - options_.expire_after_ms;
  std::vector<std::string> expired;
  for (const auto& [id, o] : open_)
    if (o.row.state == DeliveryState::acked && o.row.created_ms < cutoff) expired.push_back(id);
  for (const auto& id : expired) {
    // Accepted by the network, but no receipt came in time: it stays "acked" (the
    // network has it; we just never heard more) and leaves memory.
    auto it = open_.find(id);
    for (const auto& [nid, s] : it->second.segments)
      by_network_id_.erase(nid_key(it->second.row.connector, nid));
    store::DeliveryRow row = std::move(it->second.row);
    open_.erase(it);
    row.reason = "no delivery report within delivery.expire_after_s";
    row.updated_ms = now_ms();
    persist_closed(row, false);
  }
  if (!expired.empty())
    spdlog::info("outbox: {} acknowledged deliveries expired without a receipt", expired.size());
  sweep_timer_.expires_after(std::chrono::seconds(60));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) sweep_expired();
  });
}

void Outbox::drain(std::int64_t timeout_ms, std::function<void()> done) {
  draining_ = true;
  timer_.cancel();
  sweep_timer_.cancel();
  drained_ = std::move(done);
  if (in_flight_ == 0) {
    check_drained();
    return;
  }
  spdlog::info("outbox: waiting for {} deliveries in flight", in_flight_);
  drain_timer_ = std::make_shared<boost::asio::steady_timer>(strand_);
  drain_timer_->expires_after(std::chrono::milliseconds(timeout_ms));
  drain_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec || !drained_) return;
    spdlog::warn(
        "outbox: {} deliveries still in flight at shutdown; they will be reported as unknown on "
        "restart",
        in_flight_);
    answer_held_acks(Error::transient("the bridge is stopping"));
    auto d = std::move(drained_);
    drained_ = nullptr;
    d();
  });
}

void Outbox::check_drained() {
  if (!draining_ || in_flight_ != 0 || !drained_) return;
  if (drain_timer_) drain_timer_->cancel();
  answer_held_acks(Error::transient("the bridge is stopping"));
  auto d = std::move(drained_);
  drained_ = nullptr;
  boost::asio::post(strand_, d);
}

std::map<DeliveryState, std::size_t> Outbox::count_by_state() const {
  std::map<DeliveryState, std::size_t> out;
  for (const auto& [id, o] : open_) out[o.row.state]++;
  return out;
}

}  // namespace passerelle
