#pragma once
// SMPP 3.4 command_status values (SMPP 3.4 §5.1.3) and how the session treats them.

#include <cstdint>
#include <string>
#include <string_view>

namespace passerelle::smpp {

namespace status {
inline constexpr std::uint32_t ok = 0x00;                   // ESME_ROK
inline constexpr std::uint32_t invalid_msg_len = 0x01;      // ESME_RINVMSGLEN
inline constexpr std::uint32_t invalid_cmd_len = 0x02;      // ESME_RINVCMDLEN
inline constexpr std::uint32_t invalid_cmd_id = 0x03;       // ESME_RINVCMDID
inline constexpr std::uint32_t invalid_bind_status = 0x04;  // ESME_RINVBNDSTS
inline constexpr std::uint32_t already_bound = 0x05;        // ESME_RALYBND
inline constexpr std::uint32_t system_error = 0x08;         // ESME_RSYSERR
inline constexpr std::uint32_t invalid_src_addr = 0x0A;     // ESME_RINVSRCADR
inline constexpr std::uint32_t invalid_dst_addr = 0x0B;     // ESME_RINVDSTADR
inline constexpr std::uint32_t bind_failed = 0x0D;          // ESME_RBINDFAIL
inline constexpr std::uint32_t invalid_password = 0x0E;     // ESME_RINVPASWD
inline constexpr std::uint32_t invalid_system_id = 0x0F;    // ESME_RINVSYSID
inline constexpr std::uint32_t msg_queue_full = 0x14;       // ESME_RMSGQFUL
inline constexpr std::uint32_t submit_failed = 0x45;        // ESME_RSUBMITFAIL
inline constexpr std::uint32_t throttled = 0x58;            // ESME_RTHROTTLED
inline constexpr std::uint32_t temp_app_error = 0x64;       // ESME_RX_T_APPN
inline constexpr std::uint32_t perm_app_error = 0x65;       // ESME_RX_P_APPN
inline constexpr std::uint32_t invalid_tlv_stream = 0xC0;   // ESME_RINVOPTPARSTREAM
inline constexpr std::uint32_t invalid_param_len = 0xC2;    // ESME_RINVPARLEN
inline constexpr std::uint32_t unknown_error = 0xFF;        // ESME_RUNKNOWNERR
}  // namespace status

// "ESME_RTHROTTLED", or an empty view for a value SMPP 3.4 does not name.
std::string_view command_status_name(std::uint32_t s);
// "ESME_RBINDFAIL (0x0D)", "unknown status (0x0400)": for logs and DeliveryReport::reason.
std::string describe_status(std::uint32_t s);
// The SMSC refused for load: pause the whole link and resend the same PDU (the refusal is
// certain, so the resend cannot duplicate).
bool is_throttling(std::uint32_t s);
// A later attempt of the same request may succeed (throttling, queue full, SMSC system or
// temporary application error, not bound yet).
bool is_retryable(std::uint32_t s);

}  // namespace passerelle::smpp
