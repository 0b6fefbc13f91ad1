#include "core/result.hpp"

namespace passerelle {

const char* errc_name(Errc c) {
  switch (c) {
    case Errc::invalid_input:
      return "invalid_input";
    case Errc::not_allowed:
      return "not_allowed";
    case Errc::limit_exceeded:
      return "limit_exceeded";
    case Errc::not_found:
      return "not_found";
    case Errc::unavailable:
      return "unavailable";
    case Errc::unknown_outcome:
      return "unknown_outcome";
    case Errc::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace passerelle
