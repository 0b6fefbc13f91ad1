#include "smpp/codec/reassembler.hpp"

#include "smpp/codec/gsm0338.hpp"

namespace passerelle::smpp {

const char* drop_reason_name(DropReason r) {
  switch (r) {
    case DropReason::timeout:
      return "timeout";
    case DropReason::too_many_partials:
      return "too many partial messages";
    case DropReason::too_many_bytes:
      return "reassembly byte budget exceeded";
  }
  return "?";
}

namespace {

template <typename Body>
Result<Part> part_of_common(const Body& sm, const std::string& raw) {
  Part p{sm.source_addr, sm.destination_addr, std::nullopt, sm.data_coding, raw};
  if (sm.esm_class & kEsmUdhi) {
    auto udh = parse_udh(raw);
    if (!udh) return udh.error();
    p.concat = udh->concat;
    p.data = raw.substr(udh->size);
  }
  const auto& t = sm.tlvs;
  if (!p.concat && t.sar_msg_ref_num && t.sar_total_segments && t.sar_segment_seqnum) {
    const auto total = *t.sar_total_segments;
    const auto seq = *t.sar_segment_seqnum;
    if (total != 0 && seq != 0 && seq <= total) {
      p.concat = Concat{*t.sar_msg_ref_num, total, seq, RefSize::bits16};
    }
  }
  if (p.concat && p.concat->total == 1) p.concat.reset();
  return p;
}

}  // namespace

Result<Part> part_of(const ShortMessageBody& sm) {
  return part_of_common(sm, sm.tlvs.message_payload ? *sm.tlvs.message_payload : sm.short_message);
}

Result<Part> part_of(const DataSmBody& sm) {
  return part_of_common(sm, sm.tlvs.message_payload ? *sm.tlvs.message_payload : std::string());
}

DroppedPartial Reassembler::drop_front(DropReason why) {
  Entry& e = entries_.front();
  DroppedPartial d{std::get<0>(e.key), std::get<1>(e.key), std::get<2>(e.key),
                   std::get<3>(e.key), e.received,         why};
  bytes_ -= e.bytes;
  index_.erase(e.key);
  entries_.pop_front();
  return d;
}

Reassembler::AddResult Reassembler::add(Part part, std::int64_t now_ms) {
  AddResult r;
  auto finish = [&](std::uint8_t dc, const std::string& data, std::optional<Concat> c) {
    auto text = decode_text(dc, data);
    if (!text) {
      r.outcome = Outcome::undecodable;
      r.error = text.error();
      return;
    }
    r.outcome = Outcome::complete;
    r.message =
        Reassembled{std::move(part.source), std::move(part.destination), c, dc, std::move(*text)};
  };
  if (!part.concat) {
    finish(part.data_coding, part.data, std::nullopt);
    return r;
  }
  const Concat c = *part.concat;
  if (part.data.size() > limits_.max_bytes) {
    r.outcome = Outcome::rejected;
    r.error = Error::limit("SMS part larger than the reassembly byte budget");
    return r;
  }
  Key key{part.source, part.destination, c.ref, c.total};
  auto it = index_.find(key);
  if (it == index_.end()) {
    while (!entries_.empty() && entries_.size() >= limits_.max_partials) {
      r.dropped.push_back(drop_front(DropReason::too_many_partials));
    }
    if (limits_.max_partials == 0) {
      r.outcome = Outcome::rejected;
      r.error = Error::limit("reassembly disabled (max_partials = 0)");
      return r;
    }
    Entry e{key, now_ms, part.data_coding, c.ref_size, {}, 0, 0};
    e.parts.resize(c.total);
    entries_.push_back(std::move(e));
    it = index_.emplace(key, std::prev(entries_.end())).first;
  }
  auto entry = it->second;
  auto& slot = entry->parts[c.seq - 1];
  if (slot) {
    r.outcome = Outcome::duplicate;
    return r;
  }
  // Make room in the byte budget, oldest first, never evicting the entry being filled.
  while (bytes_ + part.data.size() > limits_.max_bytes && entries_.begin() != entry) {
    r.dropped.push_back(drop_front(DropReason::too_many_bytes));
  }
  if (bytes_ + part.data.size() > limits_.max_bytes) {
    // Only this message's own parts are left and it still does not fit: give it up.
    r.dropped.push_back(drop_front(DropReason::too_many_bytes));
    r.outcome = Outcome::rejected;
    r.error = Error::limit("concatenated SMS exceeds the reassembly byte budget");
    return r;
  }
  bytes_ += part.data.size();
  entry->bytes += part.data.size();
  slot = std::move(part.data);
  if (++entry->received < entry->parts.size()) return r;

  std::string all;
  all.reserve(entry->bytes);
  for (auto& p : entry->parts) all += *p;
  const std::uint8_t dc = entry->data_coding;
  Concat whole = c;
  whole.seq = 0;
  whole.ref_size = entry->ref_size;
  bytes_ -= entry->bytes;
  index_.erase(it);
  entries_.erase(entry);
  finish(dc, all, whole);
  return r;
}

std::vector<DroppedPartial> Reassembler::expire(std::int64_t now_ms) {
  std::vector<DroppedPartial> out;
  // Entries are in arrival order of their first part, so the oldest deadline is in front.
  while (!entries_.empty() && now_ms - entries_.front().first_ms >= limits_.timeout_ms) {
    out.push_back(drop_front(DropReason::timeout));
  }
  return out;
}

}  // namespace passerelle::smpp
