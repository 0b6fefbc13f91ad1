#pragma once
// SMPP 3.4 PDUs as values (SMPP 3.4 §3.2 header, §4 operations, §5.3 TLVs). Sans-IO: the
// decoder takes a whole PDU's bytes, the encoder appends bytes; PduDecoder (decoder.hpp)
// frames a byte stream.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace passerelle::smpp {

// command_id values (SMPP 3.4 §5.1.2.1). A response is its request | 0x80000000.
enum class CommandId : std::uint32_t {
  generic_nack = 0x80000000,
  bind_receiver = 0x00000001,
  bind_receiver_resp = 0x80000001,
  bind_transmitter = 0x00000002,
  bind_transmitter_resp = 0x80000002,
  submit_sm = 0x00000004,
  submit_sm_resp = 0x80000004,
  deliver_sm = 0x00000005,
  deliver_sm_resp = 0x80000005,
  unbind = 0x00000006,
  unbind_resp = 0x80000006,
  bind_transceiver = 0x00000009,
  bind_transceiver_resp = 0x80000009,
  enquire_link = 0x00000015,
  enquire_link_resp = 0x80000015,
  data_sm = 0x00000103,
  data_sm_resp = 0x80000103,
};

inline constexpr std::size_t kHeaderSize = 16;
inline constexpr std::size_t kDefaultMaxPdu = 64 * 1024;
inline constexpr std::uint32_t kResponseBit = 0x80000000;
inline constexpr std::uint8_t kInterfaceVersion = 0x34;

// esm_class bits (SMPP 3.4 §5.2.12).
inline constexpr std::uint8_t kEsmUdhi = 0x40;
inline constexpr std::uint8_t kEsmTypeMask = 0x3C;
inline constexpr std::uint8_t kEsmDeliveryReceipt = 0x04;

// TLV tags (SMPP 3.4 §5.3.2).
namespace tag {
inline constexpr std::uint16_t receipted_message_id = 0x001E;
inline constexpr std::uint16_t user_message_reference = 0x0204;
inline constexpr std::uint16_t sar_msg_ref_num = 0x020C;
inline constexpr std::uint16_t sar_total_segments = 0x020E;
inline constexpr std::uint16_t sar_segment_seqnum = 0x020F;
inline constexpr std::uint16_t sc_interface_version = 0x0210;
inline constexpr std::uint16_t network_error_code = 0x0423;
inline constexpr std::uint16_t message_payload = 0x0424;
inline constexpr std::uint16_t message_state = 0x0427;
}  // namespace tag

// message_state values (SMPP 3.4 §5.2.28).
enum class MessageState : std::uint8_t {
  enroute = 1,
  delivered = 2,
  expired = 3,
  deleted = 4,
  undeliverable = 5,
  accepted = 6,
  unknown = 7,
  rejected = 8,
};

const char* command_name(std::uint32_t command_id);  // "submit_sm", or "unknown"
bool is_known_command(std::uint32_t command_id);

struct Tlv {
  std::uint16_t tag = 0;
  std::string value;  // raw octets
  friend bool operator==(const Tlv&, const Tlv&) = default;
};

struct NetworkErrorCode {
  std::uint8_t network_type = 0;  // 1 ANSI-136, 2 IS-95, 3 GSM, ...
  std::uint16_t error_code = 0;
  friend bool operator==(const NetworkErrorCode&, const NetworkErrorCode&) = default;
};

// The optional parameters passerelle reads and writes; any other TLV is kept verbatim in
// `other` (in arrival order) and encoded after the known ones.
struct Tlvs {
  std::optional<std::uint16_t> sar_msg_ref_num;
  std::optional<std::uint8_t> sar_total_segments;
  std::optional<std::uint8_t> sar_segment_seqnum;
  std::optional<std::string> message_payload;
  std::optional<std::string> receipted_message_id;  // C-octet string on the wire
  std::optional<std::uint8_t> message_state;
  std::optional<NetworkErrorCode> network_error_code;
  std::optional<std::uint16_t> user_message_reference;
  std::optional<std::uint8_t> sc_interface_version;
  std::vector<Tlv> other;
  friend bool operator==(const Tlvs&, const Tlvs&) = default;
};

// Bodies. Strings are C-octet strings on the wire (no NUL inside).
struct EmptyBody {  // unbind(_resp), enquire_link(_resp), generic_nack
  friend bool operator==(const EmptyBody&, const EmptyBody&) = default;
};

struct BindBody {  // bind_transmitter / bind_receiver / bind_transceiver (§4.1)
  std::string system_id;
  std::string password;
  std::string system_type;
  std::uint8_t interface_version = kInterfaceVersion;
  std::uint8_t addr_ton = 0;
  std::uint8_t addr_npi = 0;
  std::string address_range;
  friend bool operator==(const BindBody&, const BindBody&) = default;
};

struct BindRespBody {  // §4.1.2; the body may be absent when command_status != 0
  std::string system_id;
  Tlvs tlvs;
  friend bool operator==(const BindRespBody&, const BindRespBody&) = default;
};

struct ShortMessageBody {  // submit_sm (§4.4.1) and deliver_sm (§4.6.1) share this layout
  std::string service_type;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;
  std::uint8_t priority_flag = 0;
  std::string schedule_delivery_time;
  std::string validity_period;
  std::uint8_t registered_delivery = 0;
  std::uint8_t replace_if_present_flag = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t sm_default_msg_id = 0;
  std::string short_message;  // octets, at most 254 (sm_length)
  Tlvs tlvs;
  friend bool operator==(const ShortMessageBody&, const ShortMessageBody&) = default;
};

struct DataSmBody {  // §4.7.1
  std::string service_type;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;
  std::uint8_t esm_class = 0;
  std::uint8_t registered_delivery = 0;
  std::uint8_t data_coding = 0;
  Tlvs tlvs;
  friend bool operator==(const DataSmBody&, const DataSmBody&) = default;
};

struct MessageIdRespBody {  // submit_sm_resp, deliver_sm_resp, data_sm_resp
  std::string message_id;
  Tlvs tlvs;  // data_sm_resp only
  friend bool operator==(const MessageIdRespBody&, const MessageIdRespBody&) = default;
};

using Body = std::variant<EmptyBody, BindBody, BindRespBody, ShortMessageBody, DataSmBody,
                          MessageIdRespBody>;

struct Pdu {
  std::uint32_t command_id = 0;
  std::uint32_t command_status = 0;
  std::uint32_t sequence_number = 0;
  Body body;

  CommandId id() const { return static_cast<CommandId>(command_id); }
  bool is_response() const { return (command_id & kResponseBit) != 0; }
  template <typename T>
  const T* as() const {
    return std::get_if<T>(&body);
  }
  template <typename T>
  T* as() {
    return std::get_if<T>(&body);
  }
  friend bool operator==(const Pdu&, const Pdu&) = default;
};

// Builders for the PDUs a session sends.
Pdu make_pdu(CommandId id, std::uint32_t seq, Body body = EmptyBody{}, std::uint32_t status = 0);
// The response to `request` with an empty or message_id body as its command needs.
Pdu make_response(const Pdu& request, std::uint32_t status, std::string message_id = {});
Pdu make_generic_nack(std::uint32_t seq, std::uint32_t status);

// Appends the PDU's bytes. Fails (appending nothing) when the body does not match the
// command_id, a C-octet string holds a NUL, short_message exceeds 255 octets (sm_length
// is one octet; SMPP 3.4 allows 254) or a TLV
// value 65535 octets.
Status encode(const Pdu& pdu, std::vector<std::uint8_t>& out);
Status encode(const Pdu& pdu, std::string& out);

}  // namespace passerelle::smpp
