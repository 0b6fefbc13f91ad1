#include "msn/codec/errors.hpp"

#include <string>

namespace passerelle::msn {

namespace {

using K = ErrorKind;

// Sorted by code.
constexpr ErrorInfo kErrors[] = {
    {200, "ERR_SYNTAX_ERROR", "the server did not understand a command", K::request},
    {201, "ERR_INVALID_PARAMETER", "a parameter was refused (bad address or status)", K::request},
    {205, "ERR_INVALID_USER", "no such MSN account", K::request},
    {206, "ERR_FQDN_MISSING", "the address has no domain", K::request},
    {207, "ERR_ALREADY_LOGIN", "this account is already logged in on this connection", K::account},
    {208, "ERR_INVALID_USERNAME", "not a valid MSN address", K::request},
    {209, "ERR_INVALID_FRIENDLY_NAME", "the server refused that display name", K::request},
    {210, "ERR_LIST_FULL", "the contact list is full", K::request},
    {213, "ERR_INVALID_RENAME", "that contact cannot be renamed", K::request},
    {215, "ERR_ALREADY_THERE", "the contact is already on that list", K::request},
    {216, "ERR_NOT_ON_LIST", "the contact is not on that list", K::request},
    {217, "ERR_NOT_ONLINE", "the contact is offline or not accepting messages", K::request},
    {218, "ERR_ALREADY_IN_THE_MODE", "already in that mode", K::request},
    {219, "ERR_ALREADY_IN_OPPOSITE_LIST", "the contact is on the opposite list (allow/block)",
     K::request},
    {223, "ERR_TOO_MANY_GROUPS", "too many contact groups", K::request},
    {224, "ERR_INVALID_GROUP", "no such contact group", K::request},
    {225, "ERR_USER_NOT_IN_GROUP", "the contact is not in that group", K::request},
    {227, "ERR_GROUP_NOT_EMPTY", "the group is not empty", K::request},
    {228, "ERR_GROUP_ALREADY_EXISTS", "a group with that name already exists", K::request},
    {229, "ERR_GROUP_NAME_TOO_LONG", "the group name is too long", K::request},
    {230, "ERR_CANNOT_REMOVE_GROUP_ZERO", "the default group cannot be removed", K::request},
    {231, "ERR_INVALID_GROUP", "no such contact group", K::request},
    {240, "ERR_EMPTY_DOMAIN", "the address has an empty domain", K::request},
    {280, "ERR_SWITCHBOARD_FAILED", "the chat session failed; try again", K::transient},
    {281, "ERR_NOTIFY_XFR_FAILED", "could not open a chat session; try again", K::transient},
    {282, "ERR_P2P_ERROR", "the peer-to-peer transfer failed", K::request},
    {300, "ERR_REQUIRED_FIELDS_MISSING", "a required field was missing", K::request},
    {302, "ERR_NOT_LOGGED_IN", "not logged in yet", K::transient},
    {402, "ERR_ERROR_ACCESSING_CONTACT_LIST", "the server could not read the contact list",
     K::transient},
    {403, "ERR_ERROR_ACCESSING_CONTACT_LIST", "the server could not read the contact list",
     K::transient},
    {420, "ERR_INVALID_ACCOUNT_PERMISSIONS", "the account is not allowed to do that", K::account},
    {500, "ERR_INTERNAL_SERVER", "the MSN server had an internal error", K::transient},
    {501, "ERR_DB_SERVER", "the MSN server's database failed", K::transient},
    {502, "ERR_CMD_DISABLED", "the server has disabled this command", K::request},
    {510, "ERR_FILE_OPERATION", "a file operation failed on the server", K::transient},
    {511, "ERR_BANNED", "this MSN account is banned", K::account},
    {520, "ERR_MEMORY_ALLOC", "the MSN server is out of memory", K::transient},
    {540, "ERR_CHALLENGE_FAILED", "the server refused our answer to its challenge (CHL)",
     K::account},
    {600, "ERR_SERVER_BUSY", "the MSN server is busy", K::transient},
    {601, "ERR_SERVER_UNAVAILABLE", "the MSN server is unavailable", K::transient},
    {602, "ERR_PEER_NS_DOWN", "a peer notification server is down", K::transient},
    {603, "ERR_DB_CONNECT", "the MSN server cannot reach its database", K::transient},
    {604, "ERR_SERVER_GOING_DOWN", "the MSN server is going down", K::transient},
    {605, "ERR_SERVER_UNAVAILABLE", "the MSN server is unavailable", K::transient},
    {700, "ERR_CREATE_CONNECTION", "the server could not create a connection", K::transient},
    {710, "ERR_BAD_CVR_PARAMETERS", "the server refused our client version (CVR)", K::account},
    {711, "ERR_BLOCKING_WRITE", "the server could not write", K::transient},
    {712, "ERR_SESSION_OVERLOAD", "the chat session is overloaded", K::transient},
    {713, "ERR_USER_TOO_ACTIVE", "too many requests too fast; slowing down", K::transient},
    {714, "ERR_TOO_MANY_SESSIONS", "too many chat sessions open", K::transient},
    {715, "ERR_NOT_EXPECTED", "the server did not expect that command now", K::request},
    {717, "ERR_BAD_FRIEND_FILE", "the server's contact list file is damaged", K::transient},
    {731, "ERR_NOT_EXPECTED_CVR", "the server did not expect CVR now", K::request},
    {800, "ERR_CHANGING_TOO_RAPIDLY", "name or status changed too fast; slowing down",
     K::transient},
    {910, "ERR_SERVER_TOO_BUSY", "the MSN server is too busy", K::transient},
    {911, "ERR_AUTHENTICATION_FAILED", "MSN login failed: check the address and password",
     K::account},
    {913, "ERR_NOT_ALLOWED_WHEN_OFFLINE", "not allowed while appearing offline (HDN)", K::request},
    {914, "ERR_SERVER_UNAVAILABLE", "the MSN server is unavailable", K::transient},
    {915, "ERR_SERVER_UNAVAILABLE", "the MSN server is unavailable", K::transient},
    {916, "ERR_SERVER_UNAVAILABLE", "the MSN server is unavailable", K::transient},
    {917, "ERR_AUTHENTICATION_FAILED", "MSN login failed: check the address and password",
     K::account},
    {918, "ERR_SERVER_TOO_BUSY", "the MSN server is too busy", K::transient},
    {919, "ERR_SERVER_TOO_BUSY", "the MSN server is too busy", K::transient},
    {920, "ERR_NOT_ACCEPTING_NEW_USERS", "the MSN server is not accepting new logins",
     K::transient},
    {921, "ERR_SERVER_TOO_BUSY", "the MSN server is too busy", K::transient},
    {922, "ERR_SERVER_TOO_BUSY", "the MSN server is too busy", K::transient},
    {923, "ERR_KIDS_WITHOUT_CONSENT", "this is a Kids Passport without parental consent",
     K::account},
    {924, "ERR_PASSPORT_NOT_VERIFIED", "the account's e-mail address is not verified yet",
     K::account},
    {928, "ERR_BAD_TICKET", "the Passport ticket was refused; log in again", K::account},
};

}  // namespace

std::optional<ErrorInfo> find_error(int code) {
  for (const auto& e : kErrors) {
    if (e.code == code) return e;
  }
  return std::nullopt;
}

ErrorKind classify(int code) {
  if (auto e = find_error(code)) return e->kind;
  return code >= 500 ? ErrorKind::transient : ErrorKind::request;
}

Error to_error(int code) {
  const auto info = find_error(code);
  std::string msg = "MSN error " + std::to_string(code);
  if (info) msg += std::string(" (") + info->name + "): " + info->reason;
  Error e;
  switch (classify(code)) {
    case ErrorKind::account:
      e = Error::forbidden(std::move(msg));
      break;
    case ErrorKind::transient:
      e = Error::transient(std::move(msg));
      break;
    case ErrorKind::request:
      if (code == 205 || code == 208 || code == 216 || code == 217 || code == 224) {
        e = Error::missing(std::move(msg));
      } else {
        e = Error::invalid(std::move(msg));
      }
      break;
  }
  e.protocol_status = code;
  return e;
}

const char* error_kind_name(ErrorKind k) {
  switch (k) {
    case ErrorKind::account:
      return "account";
    case ErrorKind::request:
      return "request";
    case ErrorKind::transient:
      return "transient";
  }
  return "?";
}

}  // namespace passerelle::msn
