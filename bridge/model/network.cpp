#include "model/network.hpp"

namespace passerelle {

std::string_view network_name(Network n) {
  switch (n) {
    case Network::xmpp:
      return "xmpp";
    case Network::sms:
      return "sms";
    case Network::rcs:
      return "rcs";
    case Network::aim:
      return "aim";
    case Network::icq:
      return "icq";
    case Network::msn:
      return "msn";
  }
  return "?";
}

std::string_view network_label(Network n) {
  switch (n) {
    case Network::xmpp:
      return "XMPP";
    case Network::sms:
      return "SMS";
    case Network::rcs:
      return "RCS";
    case Network::aim:
      return "AIM";
    case Network::icq:
      return "ICQ";
    case Network::msn:
      return "MSN";
  }
  return "?";
}

std::optional<Network> network_from_name(std::string_view name) {
  for (Network n : kAllNetworks)
    if (network_name(n) == name) return n;
  return std::nullopt;
}

}  // namespace passerelle
