#include "oscar/codec/families.hpp"

#include <string>

namespace passerelle::oscar {

const char* login_error_reason(std::uint16_t code) {
  switch (code) {
    case login_error::invalid_name_or_password:
      return "invalid screen name or password";
    case login_error::service_unavailable:
      return "service temporarily unavailable";
    case login_error::other:
      return "login refused by the server";
    case login_error::incorrect_name_or_password:
    case login_error::mismatch_name_or_password:
      return "incorrect screen name or password";
    case login_error::bad_input:
      return "the server rejected the login request as malformed";
    case login_error::invalid_account:
      return "invalid account";
    case login_error::deleted_account:
      return "account deleted";
    case login_error::expired_account:
      return "account expired";
    case 0x000A:
    case 0x000B:
    case 0x000C:
    case 0x000D:
    case 0x000E:
    case 0x000F:
    case 0x0012:
    case 0x0013:
    case 0x0014:
    case 0x0015:
    case 0x001A:
      return "internal error on the server";
    case login_error::service_offline:
      return "service temporarily offline";
    case login_error::suspended_account:
      return "account suspended";
    case login_error::too_many_from_ip:
    case login_error::too_many_from_ip_reservation:
      return "too many connections from this IP address";
    case login_error::rate_limit_reservation:
    case login_error::rate_limit:
      return "connecting too often; try again in a few minutes";
    case login_error::too_heavily_warned:
      return "account too heavily warned";
    case login_error::upgrade_required:
      return "client version too old; upgrade required";
    case login_error::upgrade_recommended:
      return "client version old; upgrade recommended";
    case login_error::cannot_register:
      return "cannot register on the network now; try again in a few minutes";
    case login_error::invalid_securid:
      return "invalid SecurID";
    case login_error::suspended_age:
      return "account suspended because of the user's age";
    default:
      return "login refused (unknown error code)";
  }
}

const char* disconnect_reason(std::uint16_t code) {
  switch (code) {
    case disconnect::other_login:
      return "signed on from another location";
    default:
      return "disconnected by the server";
  }
}

const char* snac_error_reason(std::uint16_t code) {
  switch (code) {
    case snac_error::invalid_header:
      return "invalid SNAC header";
    case snac_error::server_rate_limited:
      return "server rate limit exceeded";
    case snac_error::client_rate_limited:
      return "sending too fast (rate limit)";
    case snac_error::recipient_offline:
      return "recipient is not signed on";
    case snac_error::service_unavailable:
      return "service unavailable";
    case snac_error::service_undefined:
      return "service not defined";
    case snac_error::obsolete_snac:
      return "obsolete request";
    case snac_error::not_supported_by_host:
      return "not supported by the server";
    case snac_error::not_supported_by_client:
      return "not supported by the recipient's client";
    case snac_error::refused_by_client:
      return "refused by the recipient's client";
    case snac_error::reply_too_big:
      return "reply too big";
    case snac_error::responses_lost:
      return "responses lost";
    case snac_error::request_denied:
      return "request denied";
    case snac_error::busted_snac_payload:
      return "malformed request";
    case snac_error::insufficient_rights:
      return "insufficient rights";
    case snac_error::in_local_permit_deny:
      return "blocked by the recipient";
    case snac_error::sender_too_evil:
      return "sender warning level too high";
    case snac_error::receiver_too_evil:
      return "recipient warning level too high";
    case snac_error::user_temp_unavailable:
      return "recipient temporarily unavailable";
    case snac_error::no_match:
      return "no match";
    case snac_error::list_overflow:
      return "list full";
    case snac_error::request_ambiguous:
      return "request ambiguous";
    case snac_error::queue_full:
      return "server queue full";
    case snac_error::not_while_on_aol:
      return "not possible while on AOL";
    default:
      return "unknown error";
  }
}

const char* family_name(std::uint16_t f) {
  switch (f) {
    case family::oservice:
      return "OSERVICE";
    case family::locate:
      return "LOCATE";
    case family::buddy:
      return "BUDDY";
    case family::icbm:
      return "ICBM";
    case family::bos:
      return "BOS";
    case family::feedbag:
      return "FEEDBAG";
    case family::icq:
      return "ICQ";
    case family::bucp:
      return "BUCP";
    default:
      return "unknown";
  }
}

Error login_failure(std::uint16_t code) {
  Error e;
  e.message = std::string("OSCAR login failed: ") + login_error_reason(code);
  e.protocol_status = code;
  switch (code) {
    case login_error::service_unavailable:
    case login_error::service_offline:
    case login_error::too_many_from_ip:
    case login_error::too_many_from_ip_reservation:
    case login_error::rate_limit_reservation:
    case login_error::rate_limit:
    case login_error::cannot_register:
      e.code = Errc::unavailable;
      e.retryable = true;
      break;
    default:
      e.code = Errc::not_allowed;
      e.retryable = false;
      break;
  }
  return e;
}

Error snac_failure(std::uint16_t f, std::uint16_t code) {
  Error e;
  e.message = std::string("OSCAR ") + family_name(f) + ": " + snac_error_reason(code);
  e.protocol_status = code;
  switch (code) {
    case snac_error::server_rate_limited:
    case snac_error::client_rate_limited:
    case snac_error::service_unavailable:
    case snac_error::user_temp_unavailable:
    case snac_error::queue_full:
      e.code = Errc::unavailable;
      e.retryable = true;
      break;
    case snac_error::recipient_offline:
      e.code = Errc::unavailable;
      e.retryable = false;
      break;
    case snac_error::in_local_permit_deny:
    case snac_error::insufficient_rights:
    case snac_error::request_denied:
    case snac_error::refused_by_client:
    case snac_error::sender_too_evil:
    case snac_error::receiver_too_evil:
      e.code = Errc::not_allowed;
      break;
    default:
      e.code = Errc::invalid_input;
      break;
  }
  return e;
}

}  // namespace passerelle::oscar
