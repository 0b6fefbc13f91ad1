#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::truncated:
      return "truncated";
    case Fault::bad_start_byte:
      return "bad_start_byte";
    case Fault::bad_channel:
      return "bad_channel";
    case Fault::frame_too_long:
      return "frame_too_long";
    case Fault::tlv_overrun:
      return "tlv_overrun";
    case Fault::block_length_mismatch:
      return "block_length_mismatch";
    case Fault::too_many_items:
      return "too_many_items";
    case Fault::trailing_bytes:
      return "trailing_bytes";
    case Fault::bad_charset:
      return "bad_charset";
    case Fault::bad_text:
      return "bad_text";
    case Fault::value_too_long:
      return "value_too_long";
    case Fault::bad_value:
      return "bad_value";
  }
  return "?";
}

Error make_fault(Fault f, std::string message) {
  Error e;
  switch (f) {
    case Fault::frame_too_long:
    case Fault::too_many_items:
    case Fault::value_too_long:
      e.code = Errc::limit_exceeded;
      break;
    default:
      e.code = Errc::invalid_input;
      break;
  }
  e.message = "OSCAR: " + std::move(message);
  e.retryable = false;
  e.protocol_status = kFaultStatusBase + static_cast<int>(f);
  return e;
}

std::optional<Fault> fault_of(const Error& e) {
  const int v = e.protocol_status - kFaultStatusBase;
  if (v < static_cast<int>(Fault::truncated) || v > static_cast<int>(Fault::bad_value)) {
    return std::nullopt;
  }
  return static_cast<Fault>(v);
}

}  // namespace passerelle::oscar
