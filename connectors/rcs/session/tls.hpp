#pragma once
// TLS for the platform's API and content URLs: OpenSSL through Asio, peer verification
// against the system store plus an optional PEM file, the certificate checked against the
// URL's host (a DNS name, also sent as SNI; or an IP address, without SNI: RFC 6066 §3).

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "core/result.hpp"

namespace passerelle::rcs {

// A client context: TLS 1.2 or later, verify_peer, the system's trust store and, when
// `ca_file` is not "", the certificates in that PEM file. invalid_input when the file
// cannot be read. The context may be shared by every platform that uses the same file.
Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const std::string& ca_file);

// Before the handshake on `ssl`: SNI and host name check for a name, IP check for an
// address. unavailable when OpenSSL refuses the name.
Status expect_peer(SSL* ssl, const std::string& host);

// After a failed handshake: OpenSSL's verification reason ("unable to get local issuer
// certificate", "hostname mismatch", ...), or "" when the chain was not the problem.
std::string verify_failure(SSL* ssl);

}  // namespace passerelle::rcs
