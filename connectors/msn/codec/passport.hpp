#pragma once
// The pure pieces of the MSNP8..12 "Tweener" login (Passport 1.4). The session does:
//
//   >>> USR 3 TWN I alice@example.com
//   <<< USR 3 TWN S lc=1033,id=507,tw=40,fs=1,ru=...,ct=...,kpp=1,kv=5,ver=2.1.0173.1,tpf=...
//   GET https://<nexus>/rdr/pprdr.asp      -> PassportURLs:
//   ...,DALogin=login.example/login2.srf,... GET https://<DALogin>  with  Authorization:
//   Passport1.4 OrgVerb=GET,OrgURL=...,
//                                sign-in=<url-encoded>,pwd=<url-encoded>,<the challenge>
//       200: Authentication-Info: Passport1.4 da-status=success,...,from-PP='<ticket>',...
//       302: Authentication-Info: Passport1.4 da-status=redir (follow Location)
//       401: WWW-Authenticate: Passport1.4 da-status=failed,...,cbtxt=<url-encoded reason>
//   >>> USR 4 TWN S <ticket>
//   <<< USR 4 OK alice@example.com ...
//
// HTTP itself (TLS, redirects) belongs to the session; here are only the strings.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "msn/codec/command.hpp"

namespace passerelle::msn {

// "USR trid TWN I <sign-in>": the first step of the login.
Command make_usr_twn_initial(std::uint32_t trid, std::string_view sign_in);
// "USR trid TWN S <ticket>": the last step.
Command make_usr_twn_subsequent(std::uint32_t trid, std::string_view ticket);

// The challenge string of "USR trid TWN S <challenge>" from the server.
Result<std::string> parse_twn_challenge(const Command& usr);

inline constexpr std::string_view kDefaultOrgUrl = "http%3A%2F%2Fmessenger%2Emsn%2Ecom";

// The Authorization header value (without "Authorization: "). sign-in and pwd are
// URL-encoded (names.hpp url_encode: '@' -> %40, ',' -> %2C ...), so a password holding
// ',' or '=' cannot break the field list. The challenge is appended as the server sent it.
std::string passport_authorization(std::string_view sign_in, std::string_view password,
                                   std::string_view challenge,
                                   std::string_view org_url = kDefaultOrgUrl);

// A Passport1.4 header value split into its fields: "Passport1.4 a=b,c='d,e',f" ->
// {{"a","b"},{"c","d,e"},{"f",""}}. Single quotes around a value are removed.
using PassportFields = std::vector<std::pair<std::string, std::string>>;
Result<PassportFields> parse_passport_fields(std::string_view header_value);

struct PassportOutcome {
  enum class Status { success, failed, redirect };
  Status status = Status::failed;
  std::string ticket;  // from-PP, on success
  std::string reason;  // cbtxt, URL-decoded, on failure (may be empty)
};
// Authentication-Info (200/302) or WWW-Authenticate (401) header value.
Result<PassportOutcome> parse_passport_outcome(std::string_view header_value);

// The DALogin URL from a nexus "PassportURLs" header value, with "https://" added when
// the server gives a bare host/path (as the nexus does).
Result<std::string> parse_dalogin(std::string_view passport_urls);

}  // namespace passerelle::msn
