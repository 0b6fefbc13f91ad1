#pragma once
// rcs.webhook_listen: "host:port", "[v6]:port" or "localhost:port", into an address to bind.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace passerelle::rcs {

struct ListenAddress {
  std::string host;  // an IP address literal ("localhost" becomes 127.0.0.1)
  unsigned short port = 0;
};

// Errors say what is wrong with the value, for "rcs.webhook_listen: <error>".
Result<ListenAddress> parse_listen(std::string_view listen);

}  // namespace passerelle::rcs
