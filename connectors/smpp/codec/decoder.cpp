#include "smpp/codec/decoder.hpp"

#include <algorithm>

#include "smpp/codec/status.hpp"

namespace passerelle::smpp {

const char* decode_errc_name(DecodeErrc c) {
  switch (c) {
    case DecodeErrc::bad_length:
      return "bad_length";
    case DecodeErrc::unknown_command:
      return "unknown_command";
    case DecodeErrc::truncated:
      return "truncated";
    case DecodeErrc::trailing_bytes:
      return "trailing_bytes";
    case DecodeErrc::bad_tlv:
      return "bad_tlv";
    case DecodeErrc::bad_tlv_length:
      return "bad_tlv_length";
  }
  return "?";
}

namespace {

std::uint32_t load_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// Reads fields of one PDU body; the first failure sticks (err_) and later reads no-op.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> b) : b_(b) {}
  bool failed() const { return err_.has_value(); }
  bool at_end() const { return pos_ == b_.size(); }
  std::size_t remaining() const { return b_.size() - pos_; }
  const std::optional<std::pair<DecodeErrc, std::string>>& error() const { return err_; }
  void fail(DecodeErrc c, std::string m) {
    if (!err_) err_.emplace(c, std::move(m));
  }

  std::uint8_t u8(const char* field) {
    if (failed()) return 0;
    if (remaining() < 1) {
      fail(DecodeErrc::truncated, std::string(field) + " missing");
      return 0;
    }
    return b_[pos_++];
  }
  std::uint16_t u16raw() {
    std::uint16_t v = static_cast<std::uint16_t>((b_[pos_] << 8) | b_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::string cstr(const char* field) {
    if (failed()) return {};
    auto rest = b_.subspan(pos_);
    auto nul = std::find(rest.begin(), rest.end(), std::uint8_t{0});
    if (nul == rest.end()) {
      fail(DecodeErrc::truncated, std::string(field) + ": C-octet string without its NUL");
      return {};
    }
    std::string s(rest.begin(), nul);
    pos_ += s.size() + 1;
    return s;
  }
  std::string octets(std::size_t n, const char* field) {
    if (failed()) return {};
    if (remaining() < n) {
      fail(DecodeErrc::truncated, std::string(field) + " runs past command_length");
      return {};
    }
    std::string s(b_.begin() + pos_, b_.begin() + pos_ + n);
    pos_ += n;
    return s;
  }

  // SMPP 3.4 §3.2.4: a TLV stream fills the rest of the PDU exactly.
  void tlvs(Tlvs& t) {
    while (!failed() && !at_end()) {
      if (remaining() < 4) {
        fail(DecodeErrc::bad_tlv, "TLV header truncated");
        return;
      }
      const std::uint16_t tg = u16raw();
      const std::uint16_t len = u16raw();
      if (remaining() < len) {
        fail(DecodeErrc::bad_tlv,
             "TLV 0x" + hex16(tg) + " length " + std::to_string(len) + " runs past command_length");
        return;
      }
      auto v = b_.subspan(pos_, len);
      pos_ += len;
      if (!known_tlv(t, tg, v)) {
        fail(DecodeErrc::bad_tlv_length,
             "TLV 0x" + hex16(tg) + " has invalid length " + std::to_string(len));
      }
    }
  }

 private:
  static std::string hex16(std::uint16_t v) {
    static const char* d = "0123456789ABCDEF";
    return {d[v >> 12], d[(v >> 8) & 15], d[(v >> 4) & 15], d[v & 15]};
  }
  static bool known_tlv(Tlvs& t, std::uint16_t tg, std::span<const std::uint8_t> v) {
    auto be16 = [&] { return static_cast<std::uint16_t>((v[0] << 8) | v[1]); };
    switch (tg) {
      case tag::sar_msg_ref_num:
        if (v.size() != 2) return false;
        t.sar_msg_ref_num = be16();
        return true;
      case tag::user_message_reference:
        if (v.size() != 2) return false;
        t.user_message_reference = be16();
        return true;
      case tag::sar_total_segments:
        if (v.size() != 1) return false;
        t.sar_total_segments = v[0];
        return true;
      case tag::sar_segment_seqnum:
        if (v.size() != 1) return false;
        t.sar_segment_seqnum = v[0];
        return true;
      case tag::sc_interface_version:
        if (v.size() != 1) return false;
        t.sc_interface_version = v[0];
        return true;
      case tag::message_state:
        if (v.size() != 1) return false;
        t.message_state = v[0];
        return true;
      case tag::network_error_code:
        if (v.size() != 3) return false;
        t.network_error_code =
            NetworkErrorCode{v[0], static_cast<std::uint16_t>((v[1] << 8) | v[2])};
        return true;
      case tag::message_payload:
        t.message_payload = std::string(v.begin(), v.end());
        return true;
      case tag::receipted_message_id: {
        // A C-octet string of at most 65 octets; some SMSCs omit the NUL, which we accept.
        if (v.empty()) return false;
        auto nul = std::find(v.begin(), v.end(), std::uint8_t{0});
        if (nul != v.end() && nul + 1 != v.end()) return false;
        t.receipted_message_id = std::string(v.begin(), nul);
        return true;
      }
      default:
        t.other.push_back(Tlv{tg, std::string(v.begin(), v.end())});
        return true;
    }
  }

  std::span<const std::uint8_t> b_;
  std::size_t pos_ = 0;
  std::optional<std::pair<DecodeErrc, std::string>> err_;
};

void read_sm(Reader& r, ShortMessageBody& b) {
  b.service_type = r.cstr("service_type");
  b.source_addr_ton = r.u8("source_addr_ton");
  b.source_addr_npi = r.u8("source_addr_npi");
  b.source_addr = r.cstr("source_addr");
  b.dest_addr_ton = r.u8("dest_addr_ton");
  b.dest_addr_npi = r.u8("dest_addr_npi");
  b.destination_addr = r.cstr("destination_addr");
  b.esm_class = r.u8("esm_class");
  b.protocol_id = r.u8("protocol_id");
  b.priority_flag = r.u8("priority_flag");
  b.schedule_delivery_time = r.cstr("schedule_delivery_time");
  b.validity_period = r.cstr("validity_period");
  b.registered_delivery = r.u8("registered_delivery");
  b.replace_if_present_flag = r.u8("replace_if_present_flag");
  b.data_coding = r.u8("data_coding");
  b.sm_default_msg_id = r.u8("sm_default_msg_id");
  const std::uint8_t len = r.u8("sm_length");
  b.short_message = r.octets(len, "short_message");
  r.tlvs(b.tlvs);
}

void read_data_sm(Reader& r, DataSmBody& b) {
  b.service_type = r.cstr("service_type");
  b.source_addr_ton = r.u8("source_addr_ton");
  b.source_addr_npi = r.u8("source_addr_npi");
  b.source_addr = r.cstr("source_addr");
  b.dest_addr_ton = r.u8("dest_addr_ton");
  b.dest_addr_npi = r.u8("dest_addr_npi");
  b.destination_addr = r.cstr("destination_addr");
  b.esm_class = r.u8("esm_class");
  b.registered_delivery = r.u8("registered_delivery");
  b.data_coding = r.u8("data_coding");
  r.tlvs(b.tlvs);
}

std::uint32_t status_for(DecodeErrc c) {
  switch (c) {
    case DecodeErrc::unknown_command:
      return status::invalid_cmd_id;
    case DecodeErrc::bad_tlv:
      return status::invalid_tlv_stream;
    case DecodeErrc::bad_tlv_length:
      return status::invalid_param_len;
    default:
      return status::invalid_cmd_len;
  }
}

}  // namespace

std::variant<Pdu, DecodeError> decode_pdu(std::span<const std::uint8_t> bytes,
                                          std::size_t max_pdu) {
  DecodeError e;
  if (bytes.size() < kHeaderSize) {
    e.code = DecodeErrc::bad_length;
    e.status = status::invalid_cmd_len;
    e.message = "PDU shorter than its 16-octet header";
    return e;
  }
  const std::uint32_t len = load_u32(bytes.data());
  e.command_id = load_u32(bytes.data() + 4);
  e.sequence_number = load_u32(bytes.data() + 12);
  if (len < kHeaderSize || len > max_pdu || len != bytes.size()) {
    e.code = DecodeErrc::bad_length;
    e.status = status::invalid_cmd_len;
    e.message = "command_length " + std::to_string(len) + " outside 16.." + std::to_string(max_pdu);
    if (len >= kHeaderSize && len <= max_pdu) e.message = "command_length does not match the bytes";
    return e;
  }
  Pdu pdu;
  pdu.command_id = e.command_id;
  pdu.command_status = load_u32(bytes.data() + 8);
  pdu.sequence_number = e.sequence_number;
  Reader r(bytes.subspan(kHeaderSize));
  // SMPP 3.4 §4.1.2 / §4.4.2: a response with an error status may carry no body at all.
  const bool bodiless_error = pdu.is_response() && pdu.command_status != 0 && r.at_end();

  switch (pdu.id()) {
    case CommandId::generic_nack:
    case CommandId::unbind:
    case CommandId::unbind_resp:
    case CommandId::enquire_link:
    case CommandId::enquire_link_resp:
      if (!r.at_end()) r.fail(DecodeErrc::trailing_bytes, "body where none is allowed");
      pdu.body = EmptyBody{};
      break;
    case CommandId::bind_receiver:
    case CommandId::bind_transmitter:
    case CommandId::bind_transceiver: {
      BindBody b;
      b.system_id = r.cstr("system_id");
      b.password = r.cstr("password");
      b.system_type = r.cstr("system_type");
      b.interface_version = r.u8("interface_version");
      b.addr_ton = r.u8("addr_ton");
      b.addr_npi = r.u8("addr_npi");
      b.address_range = r.cstr("address_range");
      if (!r.failed() && !r.at_end())
        r.fail(DecodeErrc::trailing_bytes, "bytes after address_range");
      pdu.body = std::move(b);
      break;
    }
    case CommandId::bind_receiver_resp:
    case CommandId::bind_transmitter_resp:
    case CommandId::bind_transceiver_resp: {
      BindRespBody b;
      if (!bodiless_error) {
        b.system_id = r.cstr("system_id");
        r.tlvs(b.tlvs);
      }
      pdu.body = std::move(b);
      break;
    }
    case CommandId::submit_sm:
    case CommandId::deliver_sm: {
      ShortMessageBody b;
      read_sm(r, b);
      pdu.body = std::move(b);
      break;
    }
    case CommandId::data_sm: {
      DataSmBody b;
      read_data_sm(r, b);
      pdu.body = std::move(b);
      break;
    }
    case CommandId::submit_sm_resp:
    case CommandId::deliver_sm_resp:
    case CommandId::data_sm_resp: {
      MessageIdRespBody b;
      if (!bodiless_error) {
        b.message_id = r.cstr("message_id");
        if (pdu.id() == CommandId::data_sm_resp) {
          r.tlvs(b.tlvs);
        } else if (!r.failed() && !r.at_end()) {
          r.fail(DecodeErrc::trailing_bytes, "bytes after message_id");
        }
      }
      pdu.body = std::move(b);
      break;
    }
    default:
      e.code = DecodeErrc::unknown_command;
      e.status = status::invalid_cmd_id;
      e.message = "unknown command_id";
      return e;
  }
  if (r.error()) {
    e.code = r.error()->first;
    e.status = status_for(e.code);
    e.message = std::string(command_name(pdu.command_id)) + ": " + r.error()->second;
    return e;
  }
  return pdu;
}

DecodeStep PduDecoder::decode(std::span<const std::uint8_t> input) {
  if (fatal_) return {0, *fatal_};
  std::size_t used = 0;
  // Header first, so command_length is checked before any body byte is buffered.
  if (buf_.size() < kHeaderSize) {
    const std::size_t take = std::min(kHeaderSize - buf_.size(), input.size());
    buf_.insert(buf_.end(), input.begin(), input.begin() + take);
    used += take;
    if (buf_.size() < kHeaderSize) return {used, NeedMore{}};
    expected_ = load_u32(buf_.data());
    if (expected_ < kHeaderSize || expected_ > max_pdu_) {
      DecodeError e;
      e.code = DecodeErrc::bad_length;
      e.command_id = load_u32(buf_.data() + 4);
      e.sequence_number = load_u32(buf_.data() + 12);
      e.status = status::invalid_cmd_len;
      e.message = "command_length " + std::to_string(expected_) + " outside 16.." +
                  std::to_string(max_pdu_) + "; stream cannot be resynchronised";
      fatal_ = e;
      return {used, e};
    }
  }
  const std::size_t take = std::min(expected_ - buf_.size(), input.size() - used);
  buf_.insert(buf_.end(), input.begin() + used, input.begin() + used + take);
  used += take;
  if (buf_.size() < expected_) return {used, NeedMore{}};

  auto decoded = decode_pdu(buf_, max_pdu_);
  buf_.clear();
  expected_ = 0;
  if (auto* pdu = std::get_if<Pdu>(&decoded)) return {used, std::move(*pdu)};
  return {used, std::get<DecodeError>(std::move(decoded))};
}

void PduDecoder::reset() {
  buf_.clear();
  expected_ = 0;
  fatal_.reset();
}

}  // namespace passerelle::smpp
