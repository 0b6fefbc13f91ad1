#pragma once
// The HTTP(S) client of one carrier's MaaP chatbot platform (tests/peers/rcs/README.md,
// "The API"): bearer authentication (a static token, or tokens from the platform's token
// endpoint, refreshed before they expire and once on a 401), a bounded pool of keep-alive
// connections, per-request timeouts, bounded answers, uploads streamed from disk and
// downloads streamed to disk.
//
// It makes one attempt per call and reports what happened: the caller decides with
// classify(Call, status) (rcs/codec/http_status.hpp) and retries with backoff from its
// outbox. The only repeats made here are invisible to the caller:
//  - a call answered 401 while tokens come from the token endpoint is made once more with a
//    new token;
//  - a call whose reused keep-alive connection turned out to be closed by the platform
//    (the write failed, or the connection ended before any byte of an answer) is made once
//    more on a new connection. For GET and PUT that is harmless (idempotent). A POST of a
//    message is repeated too: the connector always sets a msgId, with which the platform
//    answers a repeat without delivering twice. A repeated upload at worst leaves an unused
//    file on the platform, which expires.
//
// Threads: every call is a coroutine that runs on a strand of the executor given to make()
// (whichever executor the caller's coroutine runs on); any number may be in flight.
// Never logs tokens, secrets or message bodies.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "rcs/codec/limits.hpp"
#include "rcs/codec/paths.hpp"
#include "rcs/session/token_cache.hpp"
#include "rcs/session/url.hpp"

namespace passerelle::rcs {

namespace detail {
class Pool;
struct Sink;
}  // namespace detail

struct PlatformEndpoint {
  std::string name;  // "carrier-a" (for logs and errors)
  // e.g. "https://maap.carrier-a.example/bot/v1"; http:// only to a loopback host
  // (127.0.0.0/8, ::1, localhost). With client_secret it must end in "/bot/v1": the token
  // endpoint is {root}/oauth2/v1/token beside it.
  std::string api_url;
  std::string bot_id;
  std::string token;          // static bearer token; may be "" when client_secret is set
  std::string client_secret;  // when set: tokens from POST {root}/oauth2/v1/token
  std::string ca_file;        // extra trust anchors (PEM) for make_tls_context; "" for none
  // Per request: waiting for a connection, connect, write and read. Uploads and downloads
  // use it instead as the longest pause in the transfer (they may last longer in all).
  std::chrono::milliseconds timeout{10000};
  std::size_t max_connections = 4;             // on the wire at once, and kept alive when idle
  std::size_t max_waiting = 1024;              // calls waiting for a connection; more get status 0
  std::chrono::milliseconds idle_keep{30000};  // an idle connection is not reused after this
};

// One HTTP answer. status 0: no answer (connection refused or reset, TLS failure, timeout,
// client stopped), or the request was not sent at all (invalid_request): `error` says why.
struct HttpAnswer {
  int status = 0;
  std::string body;  // at most Limits::max_body bytes; a longer body is cut: truncated
  bool truncated = false;
  std::string location;     // Location header
  std::string retry_after;  // Retry-After header
  std::string content_type;
  std::string error;  // the transport problem in words, when status == 0
  // The arguments were refused before anything was sent (a malformed number or id, an
  // unreadable file): retrying cannot help. Only with status 0.
  bool invalid_request = false;
};

class PlatformClient : public std::enable_shared_from_this<PlatformClient> {
 public:
  // Checks the endpoint (URL scheme, host and port, the loopback rule for http, the bot id,
  // a token or a secret, no line breaks in them). `tls` must outlive the client; see
  // make_tls_context (rcs/session/tls.hpp).
  static Result<std::shared_ptr<PlatformClient>> make(boost::asio::any_io_executor ex,
                                                      boost::asio::ssl::context& tls,
                                                      PlatformEndpoint ep, Limits limits = {});
  ~PlatformClient();

  // POST {api}/{bot}/messages with a JSON body (message.hpp).
  boost::asio::awaitable<HttpAnswer> send_message(std::string json_body);
  // GET {api}/{bot}/contactCapabilities?userContact={e164}.
  boost::asio::awaitable<HttpAnswer> capabilities(std::string e164);
  // PUT {api}/{bot}/messages/{msg_id}/status (revoke, displayed).
  boost::asio::awaitable<HttpAnswer> set_status(std::string msg_id, std::string json_body);
  // GET {api}/{bot}/messages/{msg_id}/status.
  boost::asio::awaitable<HttpAnswer> message_status(std::string msg_id);

  // POST {api}/{bot}/files: multipart/form-data (upload.hpp) with the file's bytes read
  // from disk in chunks, exact Content-Length. Parse the answer with parse_upload_answer
  // (body and location).
  boost::asio::awaitable<HttpAnswer> upload_file(std::string path, std::string file_name,
                                                 std::string mime_type);

  // GET `url` into `path` (written to path + ".part", renamed when complete), with the
  // bearer token when the URL is on the platform's origin, hashing while streaming. More
  // than max_bytes (announced or received): limit_exceeded, reading stops, nothing is left
  // on disk. Errors: invalid_input for a URL that may not be fetched (not http(s), http to
  // a non-loopback host), unavailable (retryable) for network trouble, the status's error
  // (to_error for a file_info call) for an HTTP error, internal for a file that cannot be
  // written. With `disk` set, hashing and writing run there while the next chunk is read.
  struct Downloaded {
    std::uint64_t size = 0;
    std::string sha256;  // lowercase hex
    std::string content_type;
  };
  boost::asio::awaitable<Result<Downloaded>> download(std::string url, std::string path,
                                                      std::uint64_t max_bytes,
                                                      boost::asio::any_io_executor disk = {});

  // Closes the idle connections and those in use (their calls finish with status 0) and
  // refuses later calls. Runs on the client's strand: when called from elsewhere, it takes
  // effect once that strand runs it.
  void stop();
  const PlatformEndpoint& endpoint() const { return ep_; }

 private:
  // One request as the client makes it (the head's other fields are added when sent).
  struct Op {
    const char* what = "";  // for logs: "send", "capabilities", ...
    boost::beast::http::verb method = boost::beast::http::verb::get;
    Origin origin;
    std::string target;
    std::string accept = "application/json";
    std::string content_type;  // "" without a body
    std::string body;          // or the multipart head
    std::string file_path;     // "" for none
    std::uint64_t file_size = 0;
    std::string tail;
    bool authenticate = true;  // Authorization: Bearer
    bool transfer = false;     // the timeout is the longest pause, not the whole exchange
  };
  struct Bearer {
    std::string token;  // "" when none could be had: see failure
    HttpAnswer failure;
  };
  PlatformClient(boost::asio::any_io_executor strand, boost::asio::ssl::context& tls,
                 PlatformEndpoint ep, Limits limits, HttpUrl api, ApiPaths paths,
                 std::string token_target);

  // Not a coroutine: the call runs in a coroutine of its own on the strand, holding `op`.
  boost::asio::awaitable<HttpAnswer> spawn(Op op);
  boost::asio::awaitable<HttpAnswer> call_json(const Op& op);
  boost::asio::awaitable<HttpAnswer> call(const Op& op, const detail::Sink& sink);
  boost::asio::awaitable<HttpAnswer> perform(const Op& op, const std::string& authorization,
                                             const detail::Sink& sink);
  boost::asio::awaitable<Bearer> bearer();
  boost::asio::awaitable<HttpAnswer> fetch_token();
  boost::asio::awaitable<Result<Downloaded>> do_download(std::string url, std::string path,
                                                         std::uint64_t max_bytes,
                                                         boost::asio::any_io_executor disk);
  Op api_op(const char* what, boost::beast::http::verb method, std::string target) const;

  boost::asio::any_io_executor ex_;  // a strand: every member below is used on it only
  boost::asio::ssl::context& tls_;
  PlatformEndpoint ep_;
  Limits limits_;
  HttpUrl api_;
  ApiPaths paths_;
  std::string token_target_;  // {root}/oauth2/v1/token ("" with a static token)
  std::unique_ptr<detail::Pool> pool_;
  detail::TokenCache tokens_;
  bool fetching_token_ = false;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> token_waiters_;  // woken by a fetch
  HttpAnswer last_token_failure_;
};

}  // namespace passerelle::rcs
