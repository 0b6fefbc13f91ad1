#include "smpp/codec/status.hpp"

#include <cstdio>

namespace passerelle::smpp {

std::string_view command_status_name(std::uint32_t s) {
  switch (s) {
    case 0x00:
      return "ESME_ROK";
    case 0x01:
      return "ESME_RINVMSGLEN";
    case 0x02:
      return "ESME_RINVCMDLEN";
    case 0x03:
      return "ESME_RINVCMDID";
    case 0x04:
      return "ESME_RINVBNDSTS";
    case 0x05:
      return "ESME_RALYBND";
    case 0x06:
      return "ESME_RINVPRTFLG";
    case 0x07:
      return "ESME_RINVREGDLVFLG";
    case 0x08:
      return "ESME_RSYSERR";
    case 0x0A:
      return "ESME_RINVSRCADR";
    case 0x0B:
      return "ESME_RINVDSTADR";
    case 0x0C:
      return "ESME_RINVMSGID";
    case 0x0D:
      return "ESME_RBINDFAIL";
    case 0x0E:
      return "ESME_RINVPASWD";
    case 0x0F:
      return "ESME_RINVSYSID";
    case 0x11:
      return "ESME_RCANCELFAIL";
    case 0x13:
      return "ESME_RREPLACEFAIL";
    case 0x14:
      return "ESME_RMSGQFUL";
    case 0x15:
      return "ESME_RINVSERTYP";
    case 0x33:
      return "ESME_RINVNUMDESTS";
    case 0x34:
      return "ESME_RINVDLNAME";
    case 0x40:
      return "ESME_RINVDESTFLAG";
    case 0x42:
      return "ESME_RINVSUBREP";
    case 0x43:
      return "ESME_RINVESMCLASS";
    case 0x44:
      return "ESME_RCNTSUBDL";
    case 0x45:
      return "ESME_RSUBMITFAIL";
    case 0x48:
      return "ESME_RINVSRCTON";
    case 0x49:
      return "ESME_RINVSRCNPI";
    case 0x50:
      return "ESME_RINVDSTTON";
    case 0x51:
      return "ESME_RINVDSTNPI";
    case 0x53:
      return "ESME_RINVSYSTYP";
    case 0x54:
      return "ESME_RINVREPFLAG";
    case 0x55:
      return "ESME_RINVNUMMSGS";
    case 0x58:
      return "ESME_RTHROTTLED";
    case 0x61:
      return "ESME_RINVSCHED";
    case 0x62:
      return "ESME_RINVEXPIRY";
    case 0x63:
      return "ESME_RINVDFTMSGID";
    case 0x64:
      return "ESME_RX_T_APPN";
    case 0x65:
      return "ESME_RX_P_APPN";
    case 0x66:
      return "ESME_RX_R_APPN";
    case 0x67:
      return "ESME_RQUERYFAIL";
    case 0xC0:
      return "ESME_RINVOPTPARSTREAM";
    case 0xC1:
      return "ESME_ROPTPARNOTALLWD";
    case 0xC2:
      return "ESME_RINVPARLEN";
    case 0xC3:
      return "ESME_RMISSINGOPTPARAM";
    case 0xC4:
      return "ESME_RINVOPTPARAMVAL";
    case 0xFE:
      return "ESME_RDELIVERYFAILURE";
    case 0xFF:
      return "ESME_RUNKNOWNERR";
    default:
      return {};
  }
}

std::string describe_status(std::uint32_t s) {
  char hex[16];
  std::snprintf(hex, sizeof hex, s <= 0xFF ? "0x%02X" : "0x%04X", s);
  auto name = command_status_name(s);
  if (name.empty()) return std::string("unknown status (") + hex + ")";
  return std::string(name) + " (" + hex + ")";
}

bool is_throttling(std::uint32_t s) {
  return s == status::throttled || s == status::msg_queue_full;
}

bool is_retryable(std::uint32_t s) {
  return is_throttling(s) || s == status::system_error || s == status::temp_app_error ||
         s == status::invalid_bind_status;
}

}  // namespace passerelle::smpp
