#include "smpp/codec/pdu.hpp"

#include <algorithm>

namespace passerelle::smpp {

const char* command_name(std::uint32_t command_id) {
  switch (static_cast<CommandId>(command_id)) {
    case CommandId::generic_nack:
      return "generic_nack";
    case CommandId::bind_receiver:
      return "bind_receiver";
    case CommandId::bind_receiver_resp:
      return "bind_receiver_resp";
    case CommandId::bind_transmitter:
      return "bind_transmitter";
    case CommandId::bind_transmitter_resp:
      return "bind_transmitter_resp";
    case CommandId::submit_sm:
      return "submit_sm";
    case CommandId::submit_sm_resp:
      return "submit_sm_resp";
    case CommandId::deliver_sm:
      return "deliver_sm";
    case CommandId::deliver_sm_resp:
      return "deliver_sm_resp";
    case CommandId::unbind:
      return "unbind";
    case CommandId::unbind_resp:
      return "unbind_resp";
    case CommandId::bind_transceiver:
      return "bind_transceiver";
    case CommandId::bind_transceiver_resp:
      return "bind_transceiver_resp";
    case CommandId::enquire_link:
      return "enquire_link";
    case CommandId::enquire_link_resp:
      return "enquire_link_resp";
    case CommandId::data_sm:
      return "data_sm";
    case CommandId::data_sm_resp:
      return "data_sm_resp";
  }
  return "unknown";
}

bool is_known_command(std::uint32_t command_id) {
  return std::string_view(command_name(command_id)) != "unknown";
}

namespace {

// The body alternative each command carries; -1 for unknown commands.
int body_index(std::uint32_t command_id) {
  switch (static_cast<CommandId>(command_id)) {
    case CommandId::bind_receiver:
    case CommandId::bind_transmitter:
    case CommandId::bind_transceiver:
      return 1;
    case CommandId::bind_receiver_resp:
    case CommandId::bind_transmitter_resp:
    case CommandId::bind_transceiver_resp:
      return 2;
    case CommandId::submit_sm:
    case CommandId::deliver_sm:
      return 3;
    case CommandId::data_sm:
      return 4;
    case CommandId::submit_sm_resp:
    case CommandId::deliver_sm_resp:
    case CommandId::data_sm_resp:
      return 5;
    case CommandId::generic_nack:
    case CommandId::unbind:
    case CommandId::unbind_resp:
    case CommandId::enquire_link:
    case CommandId::enquire_link_resp:
      return 0;
  }
  return -1;
}

class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void bytes(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  bool cstr(std::string_view s) {
    if (s.find('\0') != std::string_view::npos) return false;
    bytes(s);
    u8(0);
    return true;
  }
  bool tlv(std::uint16_t t, std::string_view v) {
    if (v.size() > 0xFFFF) return false;
    u16(t);
    u16(static_cast<std::uint16_t>(v.size()));
    bytes(v);
    return true;
  }
  template <typename Int>
  void tlv_int(std::uint16_t t, Int v) {
    u16(t);
    u16(sizeof(Int));
    if constexpr (sizeof(Int) == 1)
      u8(v);
    else
      u16(v);
  }

 private:
  std::vector<std::uint8_t>& out_;
};

bool write_tlvs(Writer& w, const Tlvs& t) {
  if (t.user_message_reference) w.tlv_int(tag::user_message_reference, *t.user_message_reference);
  if (t.sar_msg_ref_num) w.tlv_int(tag::sar_msg_ref_num, *t.sar_msg_ref_num);
  if (t.sar_total_segments) w.tlv_int(tag::sar_total_segments, *t.sar_total_segments);
  if (t.sar_segment_seqnum) w.tlv_int(tag::sar_segment_seqnum, *t.sar_segment_seqnum);
  if (t.sc_interface_version) w.tlv_int(tag::sc_interface_version, *t.sc_interface_version);
  if (t.receipted_message_id) {
    if (t.receipted_message_id->find('\0') != std::string::npos) return false;
    std::string v = *t.receipted_message_id;
    v.push_back('\0');
    if (!w.tlv(tag::receipted_message_id, v)) return false;
  }
  if (t.message_state) w.tlv_int(tag::message_state, *t.message_state);
  if (t.network_error_code) {
    w.u16(tag::network_error_code);
    w.u16(3);
    w.u8(t.network_error_code->network_type);
    w.u16(t.network_error_code->error_code);
  }
  if (t.message_payload && !w.tlv(tag::message_payload, *t.message_payload)) return false;
  for (const auto& o : t.other) {
    if (!w.tlv(o.tag, o.value)) return false;
  }
  return true;
}

bool write_body(Writer& w, const Body& body) {
  struct Visitor {
    Writer& w;
    bool operator()(const EmptyBody&) const { return true; }
    bool operator()(const BindBody& b) const {
      if (!w.cstr(b.system_id) || !w.cstr(b.password) || !w.cstr(b.system_type)) return false;
      w.u8(b.interface_version);
      w.u8(b.addr_ton);
      w.u8(b.addr_npi);
      return w.cstr(b.address_range);
    }
    bool operator()(const BindRespBody& b) const {
      return w.cstr(b.system_id) && write_tlvs(w, b.tlvs);
    }
    bool operator()(const ShortMessageBody& b) const {
      if (!w.cstr(b.service_type)) return false;
      w.u8(b.source_addr_ton);
      w.u8(b.source_addr_npi);
      if (!w.cstr(b.source_addr)) return false;
      w.u8(b.dest_addr_ton);
      w.u8(b.dest_addr_npi);
      if (!w.cstr(b.destination_addr)) return false;
      w.u8(b.esm_class);
      w.u8(b.protocol_id);
      w.u8(b.priority_flag);
      if (!w.cstr(b.schedule_delivery_time) || !w.cstr(b.validity_period)) return false;
      w.u8(b.registered_delivery);
      w.u8(b.replace_if_present_flag);
      w.u8(b.data_coding);
      w.u8(b.sm_default_msg_id);
      if (b.short_message.size() > 255) return false;
      w.u8(static_cast<std::uint8_t>(b.short_message.size()));
      w.bytes(b.short_message);
      return write_tlvs(w, b.tlvs);
    }
    bool operator()(const DataSmBody& b) const {
      if (!w.cstr(b.service_type)) return false;
      w.u8(b.source_addr_ton);
      w.u8(b.source_addr_npi);
      if (!w.cstr(b.source_addr)) return false;
      w.u8(b.dest_addr_ton);
      w.u8(b.dest_addr_npi);
      if (!w.cstr(b.destination_addr)) return false;
      w.u8(b.esm_class);
      w.u8(b.registered_delivery);
      w.u8(b.data_coding);
      return write_tlvs(w, b.tlvs);
    }
    bool operator()(const MessageIdRespBody& b) const {
      return w.cstr(b.message_id) && write_tlvs(w, b.tlvs);
    }
  };
  return std::visit(Visitor{w}, body);
}

}  // namespace

Pdu make_pdu(CommandId id, std::uint32_t seq, Body body, std::uint32_t status) {
  return Pdu{static_cast<std::uint32_t>(id), status, seq, std::move(body)};
}

Pdu make_response(const Pdu& request, std::uint32_t status, std::string message_id) {
  Pdu r{request.command_id | kResponseBit, status, request.sequence_number, EmptyBody{}};
  switch (body_index(r.command_id)) {
    case 2:
      r.body = BindRespBody{std::move(message_id), {}};
      break;
    case 5:
      r.body = MessageIdRespBody{std::move(message_id), {}};
      break;
    default:
      break;
  }
  return r;
}

Pdu make_generic_nack(std::uint32_t seq, std::uint32_t status) {
  return make_pdu(CommandId::generic_nack, seq, EmptyBody{}, status);
}

Status encode(const Pdu& pdu, std::vector<std::uint8_t>& out) {
  const int want = body_index(pdu.command_id);
  if (want >= 0 && static_cast<std::size_t>(want) != pdu.body.index()) {
    return Error::invalid(std::string("smpp: body does not match ") + command_name(pdu.command_id));
  }
  if (want < 0 && pdu.body.index() != 0) {
    return Error::invalid("smpp: an unknown command_id can only carry an empty body");
  }
  const std::size_t start = out.size();
  Writer w(out);
  w.u32(0);  // command_length, patched below
  w.u32(pdu.command_id);
  w.u32(pdu.command_status);
  w.u32(pdu.sequence_number);
  if (!write_body(w, pdu.body)) {
    out.resize(start);
    return Error::invalid(std::string("smpp: cannot encode ") + command_name(pdu.command_id) +
                          ": NUL inside a C-octet string or a field too long");
  }
  const std::size_t len = out.size() - start;
  if (len > 0xFFFFFFFFu) {
    out.resize(start);
    return Error::invalid("smpp: PDU too long");
  }
  for (int i = 0; i < 4; ++i) out[start + i] = static_cast<std::uint8_t>(len >> (24 - 8 * i));
  return {};
}

Status encode(const Pdu& pdu, std::string& out) {
  std::vector<std::uint8_t> tmp;
  auto st = encode(pdu, tmp);
  if (st) out.append(tmp.begin(), tmp.end());
  return st;
}

}  // namespace passerelle::smpp
