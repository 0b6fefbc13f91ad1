#pragma once
#include <optional>
#include <string_view>

namespace passerelle {

// The networks passerelle knows. Their names are the address prefixes of DESIGN.md §2.
enum class Network { xmpp, sms, rcs, aim, icq, msn };

inline constexpr Network kAllNetworks[] = {Network::xmpp, Network::sms, Network::rcs,
                                           Network::aim,  Network::icq, Network::msn};

std::string_view network_name(Network n);
std::optional<Network> network_from_name(std::string_view name);
// "[SMS]", "[XMPP]": the tag that prefixes forwarded messages.
std::string_view network_label(Network n);

}  // namespace passerelle
