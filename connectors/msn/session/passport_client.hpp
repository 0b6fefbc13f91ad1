#pragma once
// Fetching a Passport 1.4 ticket over HTTP(S) for the Tweener login (passport.hpp has the
// strings; this file has the sockets). With a nexus URL (".../rdr/pprdr.asp") the DALogin
// address comes from its PassportURLs header; any other URL is taken as the login page
// itself. https uses OpenSSL with the trust store of the context given (the system's, plus
// msn.login_ca_file) and checks that the certificate names the URL's host (DNS name, sent
// as SNI too, or IP address); plain http is accepted only for a loopback host (test
// servers), and then also for the DALogin the nexus names, if it is on loopback too.
//
// Threads: runs on the executor given; one request at a time per call. Never logs the
// password or the ticket.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "common/loopback.hpp"
#include "core/result.hpp"

namespace passerelle::msn {

struct PassportRequest {
  std::string login_url;  // config: nexus or login page
  std::string sign_in;
  std::string password;
  std::string challenge;  // from USR TWN S
  std::chrono::seconds timeout{20};
};

// The ticket (from-PP) on success. Errors: not_allowed for a refused sign-in (wrong
// password; message from the server's cbtxt when it gives one), unavailable (retryable)
// for network trouble, invalid_input for a URL the bridge may not use.
boost::asio::awaitable<Result<std::string>> fetch_passport_ticket(boost::asio::any_io_executor ex,
                                                                  boost::asio::ssl::context& tls,
                                                                  PassportRequest req);

}  // namespace passerelle::msn
