#include "rcs/webhook/listen.hpp"

#include <boost/asio/ip/address.hpp>
#include <charconv>

namespace passerelle::rcs {

Result<ListenAddress> parse_listen(std::string_view listen) {
  const std::string quoted = "'" + std::string(listen) + "'";
  std::string_view host, port;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
      return Error::invalid(quoted + " is not [ipv6]:port");
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string_view::npos) return Error::invalid(quoted + " has no :port");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return Error::invalid(quoted + ": write an IPv6 address in brackets, [::1]:8481");
  }
  unsigned value = 0;
  const auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value > 65535)
    return Error::invalid(quoted + ": '" + std::string(port) + "' is not a port number");
  ListenAddress out;
  out.host = host == "localhost" ? "127.0.0.1" : std::string(host);
  out.port = static_cast<unsigned short>(value);
  boost::system::error_code aec;
  (void)boost::asio::ip::make_address(out.host, aec);
  if (aec)
    return Error::invalid(quoted + ": '" + std::string(host) +
                          "' is not an IP address (use 0.0.0.0 or :: for every interface)");
  return out;
}

}  // namespace passerelle::rcs
