#pragma once
// Named numbers of OSCAR: SNAC families and the subtypes passerelle uses, and the error
// codes servers send (OSCAR protocol documentation, family sections; iserverd's SNAC and
// "authorization error codes" lists). Subtype 0x0001 is the error SNAC in every family.

#include <cstdint>

#include "core/result.hpp"

namespace passerelle::oscar {

namespace family {
inline constexpr std::uint16_t oservice = 0x0001;  // generic service controls
inline constexpr std::uint16_t locate = 0x0002;    // profiles, away messages, capabilities
inline constexpr std::uint16_t buddy = 0x0003;     // buddy arrivals and departures
inline constexpr std::uint16_t icbm = 0x0004;      // instant messages, typing
inline constexpr std::uint16_t bos = 0x0009;       // privacy: permit / deny lists
inline constexpr std::uint16_t feedbag = 0x0013;   // server-stored buddy list (SSI)
inline constexpr std::uint16_t icq = 0x0015;       // ICQ extensions (offline messages)
inline constexpr std::uint16_t bucp = 0x0017;      // MD5 login
}  // namespace family

inline constexpr std::uint16_t kSnacErrorSubtype = 0x0001;

namespace oservice {
inline constexpr std::uint16_t client_online = 0x0002;  // "client ready"
inline constexpr std::uint16_t host_online = 0x0003;    // families the server offers
inline constexpr std::uint16_t service_request = 0x0004;
inline constexpr std::uint16_t service_response = 0x0005;  // redirect to another host
inline constexpr std::uint16_t rate_params_query = 0x0006;
inline constexpr std::uint16_t rate_params_reply = 0x0007;
inline constexpr std::uint16_t rate_params_sub_add = 0x0008;  // acknowledge rate classes
inline constexpr std::uint16_t rate_param_change = 0x000A;
inline constexpr std::uint16_t pause_req = 0x000B;
inline constexpr std::uint16_t resume = 0x000D;
inline constexpr std::uint16_t user_info_query = 0x000E;
inline constexpr std::uint16_t user_info_update = 0x000F;
inline constexpr std::uint16_t evil_notification = 0x0010;
inline constexpr std::uint16_t idle_notification = 0x0011;
inline constexpr std::uint16_t migrate_groups = 0x0012;
inline constexpr std::uint16_t motd = 0x0013;
inline constexpr std::uint16_t noop = 0x0016;
inline constexpr std::uint16_t client_versions = 0x0017;
inline constexpr std::uint16_t host_versions = 0x0018;
inline constexpr std::uint16_t set_user_info_fields = 0x001E;  // ICQ status (TLV 0x0006)
}  // namespace oservice

namespace locate {
inline constexpr std::uint16_t rights_query = 0x0002;
inline constexpr std::uint16_t rights_reply = 0x0003;
inline constexpr std::uint16_t set_info = 0x0004;
inline constexpr std::uint16_t user_info_query = 0x0005;
inline constexpr std::uint16_t user_info_reply = 0x0006;
}  // namespace locate

namespace buddy {
inline constexpr std::uint16_t rights_query = 0x0002;
inline constexpr std::uint16_t rights_reply = 0x0003;
inline constexpr std::uint16_t add_buddies = 0x0004;
inline constexpr std::uint16_t del_buddies = 0x0005;
inline constexpr std::uint16_t arrived = 0x000B;
inline constexpr std::uint16_t departed = 0x000C;
}  // namespace buddy

namespace icbm {
inline constexpr std::uint16_t add_parameters = 0x0002;
inline constexpr std::uint16_t parameter_query = 0x0004;
inline constexpr std::uint16_t parameter_reply = 0x0005;
inline constexpr std::uint16_t channel_msg_to_host = 0x0006;
inline constexpr std::uint16_t channel_msg_to_client = 0x0007;
inline constexpr std::uint16_t missed_calls = 0x000A;
inline constexpr std::uint16_t client_err = 0x000B;
inline constexpr std::uint16_t host_ack = 0x000C;
inline constexpr std::uint16_t client_event = 0x0014;  // typing notifications
}  // namespace icbm

namespace bos {
inline constexpr std::uint16_t rights_query = 0x0002;
inline constexpr std::uint16_t rights_reply = 0x0003;
inline constexpr std::uint16_t add_permit = 0x0005;
inline constexpr std::uint16_t del_permit = 0x0006;
inline constexpr std::uint16_t add_deny = 0x0007;
inline constexpr std::uint16_t del_deny = 0x0008;
}  // namespace bos

namespace feedbag {
inline constexpr std::uint16_t rights_query = 0x0002;
inline constexpr std::uint16_t rights_reply = 0x0003;
inline constexpr std::uint16_t query = 0x0004;
inline constexpr std::uint16_t query_if_modified = 0x0005;
inline constexpr std::uint16_t reply = 0x0006;
inline constexpr std::uint16_t use = 0x0007;  // activate the list after reading it
inline constexpr std::uint16_t insert_item = 0x0008;
inline constexpr std::uint16_t update_item = 0x0009;
inline constexpr std::uint16_t delete_item = 0x000A;
inline constexpr std::uint16_t status = 0x000E;  // u16 result per inserted/updated item
inline constexpr std::uint16_t reply_not_modified = 0x000F;
inline constexpr std::uint16_t start_cluster = 0x0011;
inline constexpr std::uint16_t end_cluster = 0x0012;
inline constexpr std::uint16_t request_authorize = 0x0018;
inline constexpr std::uint16_t authorize_request = 0x0019;  // someone asks us
inline constexpr std::uint16_t respond_authorize = 0x001A;
inline constexpr std::uint16_t authorize_reply = 0x001B;  // answer to our request
inline constexpr std::uint16_t buddy_added = 0x001C;
}  // namespace feedbag

namespace icq {
inline constexpr std::uint16_t db_query = 0x0002;
inline constexpr std::uint16_t db_reply = 0x0003;
}  // namespace icq

namespace bucp {
inline constexpr std::uint16_t login_request = 0x0002;
inline constexpr std::uint16_t login_response = 0x0003;
inline constexpr std::uint16_t challenge_request = 0x0006;
inline constexpr std::uint16_t challenge_response = 0x0007;
}  // namespace bucp

// Login failures: TLV 0x0008 of a BUCP login response (0x0017/0x0003) or of a FLAP
// channel-4 frame from the authorizer (iserverd, "authorization error codes").
namespace login_error {
inline constexpr std::uint16_t invalid_name_or_password = 0x0001;
inline constexpr std::uint16_t service_unavailable = 0x0002;
inline constexpr std::uint16_t other = 0x0003;
inline constexpr std::uint16_t incorrect_name_or_password = 0x0004;
inline constexpr std::uint16_t mismatch_name_or_password = 0x0005;
inline constexpr std::uint16_t bad_input = 0x0006;
inline constexpr std::uint16_t invalid_account = 0x0007;
inline constexpr std::uint16_t deleted_account = 0x0008;
inline constexpr std::uint16_t expired_account = 0x0009;
inline constexpr std::uint16_t service_offline = 0x0010;
inline constexpr std::uint16_t suspended_account = 0x0011;
inline constexpr std::uint16_t too_many_from_ip = 0x0016;
inline constexpr std::uint16_t too_many_from_ip_reservation = 0x0017;
inline constexpr std::uint16_t rate_limit_reservation = 0x0018;
inline constexpr std::uint16_t too_heavily_warned = 0x0019;
inline constexpr std::uint16_t upgrade_required = 0x001B;
inline constexpr std::uint16_t upgrade_recommended = 0x001C;
inline constexpr std::uint16_t rate_limit = 0x001D;
inline constexpr std::uint16_t cannot_register = 0x001E;
inline constexpr std::uint16_t invalid_securid = 0x0020;
inline constexpr std::uint16_t suspended_age = 0x0022;
}  // namespace login_error

// Disconnection of a signed-on session: TLV 0x0009 of a FLAP channel-4 frame from a BOS
// server. Only 0x0001 is documented.
namespace disconnect {
inline constexpr std::uint16_t other_login = 0x0001;  // same account signed on elsewhere
}  // namespace disconnect

// SNAC error codes: the u16 at the start of a subtype-0x0001 SNAC body.
namespace snac_error {
inline constexpr std::uint16_t invalid_header = 0x0001;
inline constexpr std::uint16_t server_rate_limited = 0x0002;
inline constexpr std::uint16_t client_rate_limited = 0x0003;
inline constexpr std::uint16_t recipient_offline = 0x0004;
inline constexpr std::uint16_t service_unavailable = 0x0005;
inline constexpr std::uint16_t service_undefined = 0x0006;
inline constexpr std::uint16_t obsolete_snac = 0x0007;
inline constexpr std::uint16_t not_supported_by_host = 0x0008;
inline constexpr std::uint16_t not_supported_by_client = 0x0009;
inline constexpr std::uint16_t refused_by_client = 0x000A;
inline constexpr std::uint16_t reply_too_big = 0x000B;
inline constexpr std::uint16_t responses_lost = 0x000C;
inline constexpr std::uint16_t request_denied = 0x000D;
inline constexpr std::uint16_t busted_snac_payload = 0x000E;
inline constexpr std::uint16_t insufficient_rights = 0x000F;
inline constexpr std::uint16_t in_local_permit_deny = 0x0010;  // blocked
inline constexpr std::uint16_t sender_too_evil = 0x0011;
inline constexpr std::uint16_t receiver_too_evil = 0x0012;
inline constexpr std::uint16_t user_temp_unavailable = 0x0013;
inline constexpr std::uint16_t no_match = 0x0014;
inline constexpr std::uint16_t list_overflow = 0x0015;
inline constexpr std::uint16_t request_ambiguous = 0x0016;
inline constexpr std::uint16_t queue_full = 0x0017;
inline constexpr std::uint16_t not_while_on_aol = 0x0018;
}  // namespace snac_error

// Human reasons, one line, for logs and for the "delivery failed" text a user sees.
const char* login_error_reason(std::uint16_t code);
const char* disconnect_reason(std::uint16_t code);
const char* snac_error_reason(std::uint16_t code);
const char* family_name(std::uint16_t family);  // "ICBM", or "unknown"

// As passerelle Errors, with the code in protocol_status. A login error is retryable when
// waiting may help (rate limits, service down), not for a wrong password or closed account.
Error login_failure(std::uint16_t code);
Error snac_failure(std::uint16_t family, std::uint16_t code);

}  // namespace passerelle::oscar
