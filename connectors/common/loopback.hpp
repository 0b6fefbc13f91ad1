#pragma once
// Whether a URL's host is this machine: "localhost", an address in 127.0.0.0/8, ::1, or
// an IPv4-mapped loopback (::ffff:127.x.y.z), with or without IPv6 brackets. A name that
// merely starts with "127." ("127.evil.example") is not. Connectors accept plain http://
// only to such hosts (test servers), so that secrets never cross a network in clear.

#include <boost/asio/ip/address.hpp>
#include <string>
#include <string_view>

namespace passerelle {

inline bool is_loopback_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "localhost.") return true;
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return false;
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6()).is_loopback();
  return addr.is_loopback();
}

}  // namespace passerelle
