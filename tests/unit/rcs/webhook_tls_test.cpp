// The webhook server with a certificate: HTTPS only. The certificate is made here
// (self-signed, P-256) and written to a temporary directory.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "../common/read_file.hpp"
#include "rcs/webhook/webhook_server.hpp"

namespace passerelle::rcs {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;
using passerelle::testing::read_file;

// Writes cert.pem and key.pem under `dir`; false on any OpenSSL failure.
bool make_self_signed(const std::filesystem::path& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key != nullptr && cert != nullptr;
  if (ok) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    ok = X509_sign(cert, key, EVP_sha256()) > 0;
  }
  if (ok) {
    FILE* c = std::fopen((dir / "cert.pem").c_str(), "w");
    FILE* k = std::fopen((dir / "key.pem").c_str(), "w");
    ok = c != nullptr && k != nullptr && PEM_write_X509(c, cert) == 1 &&
         PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (c != nullptr) std::fclose(c);
    if (k != nullptr) std::fclose(k);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

TEST(WebhookTls, ServesHttpsOnly) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "passerelle-webhook-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::filesystem::path dir = tmpl;
  ASSERT_TRUE(make_self_signed(dir));

  asio::io_context io;
  WebhookOptions o;
  o.listen = "127.0.0.1:0";
  o.tls_cert_file = (dir / "cert.pem").string();
  o.tls_key_file = (dir / "key.pem").string();
  std::atomic<int> calls{0};
  auto server = std::make_unique<WebhookServer>(
      io.get_executor(), o, std::vector<WebhookRoute>{{"/rcs/a", "carrier-a", "Bearer s3cret"}},
      [&](const std::string&, Event, std::function<void(Status)> done) {
        ++calls;
        done(Status{});
      });
  const Status st = server->start();
  ASSERT_TRUE(st.ok()) << st.error().message;
  std::thread runner([&] { io.run(); });

  const std::string body = read_file(std::string(PASSERELLE_SOURCE_DIR) +
                                     "/tests/peers/rcs/fixtures/events/message_text.json");
  http::request<http::string_body> req{http::verb::post, "/rcs/a", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::authorization, "Bearer s3cret");
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();

  {
    // A TLS client: answered.
    asio::io_context cio;
    asio::ssl::context ctx{asio::ssl::context::tls_client};
    ctx.set_verify_mode(asio::ssl::verify_none);  // self-signed
    beast::ssl_stream<beast::tcp_stream> stream(cio, ctx);
    beast::get_lowest_layer(stream).expires_after(3s);
    beast::get_lowest_layer(stream).connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->port()));
    stream.handshake(asio::ssl::stream_base::client);
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "{}");
  }
  {
    // Plain HTTP to the HTTPS port: no answer in HTTP, the connection ends.
    asio::io_context cio;
    beast::tcp_stream stream(cio);
    stream.expires_after(3s);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->port()));
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    beast::error_code ec;
    http::read(stream, buf, res, ec);
    EXPECT_TRUE(ec);
  }
  EXPECT_EQ(calls.load(), 1);

  server->stop();
  runner.join();  // every connection ended: run() runs out of work
  server.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace passerelle::rcs
