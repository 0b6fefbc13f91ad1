#pragma once
// Test helper: "00 0a ff" → bytes.
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::smpp::test {

inline std::vector<std::uint8_t> hex(std::string_view s) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) continue;
    const int v =
        std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10);
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

inline std::string str(const std::vector<std::uint8_t>& v) {
  return {v.begin(), v.end()};
}

// Hand-written from SMPP 3.4 §4 (field order) and §3.2 (header).
// bind_transceiver seq 1: system_id "SMPP3TEST", password "secret08", system_type "SUBMIT1",
// interface_version 0x34, addr_ton 1, addr_npi 1, address_range "".
inline const char* kBindTrx =
    "0000002F 00000009 00000000 00000001"
    "534D5050335445535400 7365637265743038 00 5355424D49543100 34 01 01 00";
// bind_transceiver_resp seq 1: system_id "SMSC", TLV sc_interface_version = 0x34.
inline const char* kBindTrxResp = "0000001A 80000009 00000000 00000001 534D534300 0210 0001 34";
inline const char* kEnquireLink = "00000010 00000015 00000000 00000007";
inline const char* kEnquireLinkResp = "00000010 80000015 00000000 00000007";
inline const char* kUnbind = "00000010 00000006 00000000 00000008";
inline const char* kUnbindResp = "00000010 80000006 00000000 00000008";
inline const char* kGenericNack = "00000010 80000000 00000003 00000009";
// submit_sm seq 2: 1/1 "33700000001" → 1/1 "33612345678", registered_delivery 1,
// data_coding 0, short_message "hello".
inline const char* kSubmitSm =
    "0000003C 00000004 00000000 00000002"
    "00 01 01 3333373030303030303031 00 01 01 3333363132333435363738 00"
    "00 00 00 00 00 01 00 00 00 05 68656C6C6F";
inline const char* kSubmitSmResp = "00000017 80000004 00000000 00000002 61626331323300";
// submit_sm_resp seq 3, ESME_RTHROTTLED, no body (§4.4.2).
inline const char* kSubmitSmRespThrottled = "00000010 80000004 00000058 00000003";
// deliver_sm seq 5: a receipt (esm_class 0x04) "id:abc123 stat:DELIVRD" with TLVs
// receipted_message_id "abc123" and message_state 2 (DELIVERED).
inline const char* kDeliverSmReceipt =
    "0000005D 00000005 00000000 00000005"
    "00 01 01 3333363132333435363738 00 01 01 3333373030303030303031 00"
    "04 00 00 00 00 00 00 00 00 16 69643A61626331323320737461743A44454C49565244"
    "001E 0007 61626331323300 0427 0001 02";
inline const char* kDeliverSmResp = "00000011 80000005 00000000 00000005 00";

}  // namespace passerelle::smpp::test
