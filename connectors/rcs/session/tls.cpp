#include "rcs/session/tls.hpp"

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>

namespace passerelle::rcs {

namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> make_tls_context(const std::string& ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);
  if (ec) return Error::invalid("rcs TLS: cannot load the system trust store: " + ec.message());
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) return Error::invalid("rcs TLS: cannot read ca_file " + ca_file + ": " + ec.message());
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

Status expect_peer(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  boost::system::error_code not_ip;
  boost::asio::ip::make_address(host, not_ip);
  if (not_ip) {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1 ||
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) != 1)
      return Error::transient("TLS: cannot set the server name " + host);
  } else if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
    return Error::transient("TLS: cannot set the server address " + host);
  }
  // Verification is also required on the connection itself: the caller's context may not
  // have set it.
  SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  return {};
}

std::string verify_failure(SSL* ssl) {
  const long verify = SSL_get_verify_result(ssl);
  return verify == X509_V_OK ? std::string() : X509_verify_cert_error_string(verify);
}

}  // namespace passerelle::rcs
