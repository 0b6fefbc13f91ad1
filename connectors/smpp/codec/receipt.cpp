#include "smpp/codec/receipt.hpp"

#include <array>

#include "core/ascii.hpp"

namespace passerelle::smpp {

namespace {

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Matches `key` at s[i..] case-insensitively, where a space in `key` matches one space or
// underscore; returns the index after the ':' or npos.
std::size_t match_key(std::string_view s, std::size_t i, std::string_view key) {
  for (char k : key) {
    if (i >= s.size()) return std::string_view::npos;
    const char c = s[i];
    if (k == ' ' ? (c != ' ' && c != '_') : ascii_lower(c) != k) return std::string_view::npos;
    ++i;
  }
  while (i < s.size() && s[i] == ' ') ++i;  // "stat :DELIVRD" seen in the wild
  if (i >= s.size() || s[i] != ':') return std::string_view::npos;
  return i + 1;
}

}  // namespace

std::optional<ReceiptText> parse_receipt_text(std::string_view s) {
  ReceiptText r;
  struct Field {
    std::string_view key;
    std::string ReceiptText::*member;
  };
  static const std::array<Field, 8> fields = {{
      {"id", &ReceiptText::id},
      {"sub", &ReceiptText::sub},
      {"dlvrd", &ReceiptText::dlvrd},
      {"submit date", &ReceiptText::submit_date},
      {"done date", &ReceiptText::done_date},
      {"stat", &ReceiptText::stat},
      {"err", &ReceiptText::err},
      {"text", &ReceiptText::text},
  }};
  bool any = false;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && space(s[i])) ++i;
    if (i >= s.size()) break;
    const Field* hit = nullptr;
    std::size_t v = std::string_view::npos;
    for (const auto& f : fields) {
      v = match_key(s, i, f.key);
      if (v != std::string_view::npos) {
        hit = &f;
        break;
      }
    }
    if (!hit) {  // unknown token: skip it
      while (i < s.size() && !space(s[i])) ++i;
      continue;
    }
    if (hit->key == "text") {  // free text, runs to the end
      std::size_t b = v;
      while (b < s.size() && s[b] == ' ') ++b;
      r.text = std::string(s.substr(b));
      break;
    }
    std::size_t e = v;
    while (e < s.size() && !space(s[e])) ++e;
    r.*(hit->member) = std::string(s.substr(v, e - v));
    if (hit->key == "id" || hit->key == "stat") any = any || e > v;
    i = e;
  }
  if (!any) return std::nullopt;
  return r;
}

namespace {

struct StatWord {
  std::string_view word;
  DeliveryState state;
  std::string_view words;  // what the sender is told when the message failed
};

constexpr std::array<StatWord, 12> kStats = {{
    {"DELIVRD", DeliveryState::delivered, ""},
    {"DELIVERED", DeliveryState::delivered, ""},
    {"EXPIRED", DeliveryState::failed, "the phone could not be reached before the SMS expired"},
    {"DELETED", DeliveryState::failed, "the SMS centre deleted it before it reached the phone"},
    {"UNDELIV", DeliveryState::failed, "the phone's network could not deliver it"},
    {"UNDELIVERABLE", DeliveryState::failed, "the phone's network could not deliver it"},
    {"ACCEPTD", DeliveryState::acked, ""},
    {"ACCEPTED", DeliveryState::acked, ""},
    {"UNKNOWN", DeliveryState::unknown, ""},
    {"REJECTD", DeliveryState::failed, "the phone's network refused it"},
    {"REJECTED", DeliveryState::failed, "the phone's network refused it"},
    {"ENROUTE", DeliveryState::sent, ""},
}};

const StatWord* find_stat(std::string_view stat) {
  for (const auto& m : kStats) {
    if (ascii_iequals(stat, m.word)) return &m;
  }
  return nullptr;
}

}  // namespace

DeliveryState delivery_state_from_stat(std::string_view stat) {
  const auto* m = find_stat(stat);
  return m ? m->state : DeliveryState::unknown;
}

std::string_view describe_stat(std::string_view stat) {
  const auto* m = find_stat(stat);
  return m ? m->words : std::string_view();
}

std::string_view stat_from_message_state(std::uint8_t st) {
  switch (static_cast<MessageState>(st)) {
    case MessageState::enroute:
      return "ENROUTE";
    case MessageState::delivered:
      return "DELIVRD";
    case MessageState::expired:
      return "EXPIRED";
    case MessageState::deleted:
      return "DELETED";
    case MessageState::undeliverable:
      return "UNDELIV";
    case MessageState::accepted:
      return "ACCEPTD";
    case MessageState::unknown:
      return "UNKNOWN";
    case MessageState::rejected:
      return "REJECTD";
  }
  return "UNKNOWN";
}

bool is_receipt(const ShortMessageBody& sm) {
  return (sm.esm_class & kEsmTypeMask) == kEsmDeliveryReceipt ||
         sm.tlvs.receipted_message_id.has_value();
}

std::optional<Receipt> receipt_of(const ShortMessageBody& sm) {
  Receipt r;
  const std::string& raw = sm.tlvs.message_payload ? *sm.tlvs.message_payload : sm.short_message;
  r.fields = parse_receipt_text(raw);
  if (r.fields) {
    r.message_id = r.fields->id;
    r.stat = r.fields->stat;
    r.err = r.fields->err;
  }
  if (sm.tlvs.receipted_message_id && !sm.tlvs.receipted_message_id->empty()) {
    r.message_id = *sm.tlvs.receipted_message_id;
  }
  if (sm.tlvs.message_state) r.stat = std::string(stat_from_message_state(*sm.tlvs.message_state));
  if (sm.tlvs.network_error_code && r.err.empty()) {
    r.err = std::to_string(sm.tlvs.network_error_code->network_type) + ":" +
            std::to_string(sm.tlvs.network_error_code->error_code);
  }
  if (r.message_id.empty()) return std::nullopt;
  r.state = delivery_state_from_stat(r.stat);
  return r;
}

}  // namespace passerelle::smpp
