#pragma once
// The RCS connector for one carrier's MaaP platform (DESIGN.md §6 rcs; issue: "RCS
// connector"): the bridge is a chatbot of that carrier. Name "rcs:<platform>".
//
// Threads: every public method may be called from any thread and never blocks; the work
// runs as coroutines on the connector's own strand. Events go to the EventSink from there.
// Lifetime: destroy only after stop()'s `done` ran, or after the io_context has stopped.
//
// Outbound OutboundMessage (to rcs:+E.164, from the chatbot):
//   1. capability: from the cache (rcs.capability_ttl_s), else GET contactCapabilities;
//      a number without RCS ("chat" missing, or 404) -> DeliveryReport failed with
//      recipient_offline = true: the router sends it by SMS.
//   2. POST messages with msgId = the delivery id: a send retried after a timeout is the
//      same message to the platform, never delivered twice.
//      2xx -> acked (network id = msgId); 404 -> as 1; no answer, 408, 429, 5xx -> failed,
//      retryable (the outbox retries with backoff); else failed with the platform's words.
//   3. Not delivered rcs.fallback_after_s after it was taken: revoked (PUT status
//      "cancelled"); once revoked -> failed with recipient_offline (SMS instead). A revoke
//      answered 404 came too late: the phone has it, its status follows. After a restart
//      the outbox names the messages taken and not delivered yet (OutboundWatch): each is
//      watched for what is left of its time (revoked at once when it is over).
// Status events become DeliveryReports by msgId (delivered, displayed -> read, failed ->
// failed with recipient_offline: SMS instead). Typing goes both ways.
//
// Inbound events come from the webhook server (rcs_hub.hpp) through on_event, which calls
// `done` once the message is committed (the platform's webhook is answered only then).
//
// A file from a phone is fetched from the platform into the files directory (streamed to
// disk, at most the platform's max_file_size, the size checked against the one announced,
// sha256 computed on the way), shared under an unguessable, expiring link (FileShare), and
// bridged as a message carrying that link (XEP-0066 to XMPP, a short link by SMS). The
// webhook is answered once that message is committed. A fetch that fails for a while
// (network, 5xx, a short file) answers 503: the platform sends the event again, and a copy
// that arrives while the first is still being fetched waits for it instead of fetching
// again. A file that cannot be relayed (too large, refused) is told in words.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "config/config.hpp"
#include "connector/connector.hpp"
#include "http/file_share.hpp"
#include "rcs/codec/events.hpp"
#include "rcs/connector/capability_cache.hpp"

namespace passerelle::rcs {

class PlatformClient;
class RcsHub;
struct HttpAnswer;

class RcsConnector final : public Connector {
 public:
  // Messages being sent (capability query or POST in flight). Past it, send() reports
  // failed, retryable: the outbox tries again later.
  static constexpr std::size_t kMaxInFlight = 4096;
  // Messages taken by the platform and waiting for their delivery status (for the SMS
  // fallback). Past it the oldest is no longer watched.
  static constexpr std::size_t kMaxWatched = 100'000;

  // Files from phones relayed as links this long after they arrive (recent_files_).
  static constexpr std::size_t kRecentFiles = 1024;
  // A thumbnail larger than this is not relayed (they are a few KiB to a few hundred).
  static constexpr std::uint64_t kMaxThumbnailBytes = 2 * 1024 * 1024;

  // `files` null: files from phones are told in words, not relayed. `disk`: where fetched
  // files are hashed and written while the next chunk arrives (default: `io`; the daemon
  // gives threads of its own, so that a slow disk never holds up the network).
  RcsConnector(boost::asio::io_context& io, const config::RcsPlatform& platform,
               const config::RcsSection& section, EventSink& sink, std::shared_ptr<RcsHub> hub,
               std::shared_ptr<FileShare> files = nullptr,
               std::chrono::seconds file_ttl = std::chrono::hours(24 * 7),
               boost::asio::any_io_executor disk = {});
  ~RcsConnector() override;

  const std::string& name() const override { return name_; }
  Network network() const override { return Network::rcs; }
  passerelle::Capabilities capabilities() const override;
  void start() override;
  void stop(std::function<void()> done) override;
  void send(OutboundEvent event) override;
  ConnectorStatus status() const override;
  void resume_watch(OutboundWatch watch) override;

  // From the webhook server, on any thread: one event of this platform.
  // `bot_id`: the chatbot the event is for ("" for bot_id).
  void on_event(std::string bot_id, Event event, std::function<void(Status)> done);

 private:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  struct Watched {
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::shared_ptr<PlatformClient> client;  // of the chatbot that sent it
  };

  boost::asio::awaitable<void> deliver(OutboundMessage m);
  // POSTs a message whose msgId the bridge chose (a delivery id, unique). A 409 for it means
  // an earlier attempt, whose answer was lost (timeout, restart), was taken: when the
  // platform then knows that msgId, the answer is made a 200 (not sent twice, not failed).
  boost::asio::awaitable<HttpAnswer> post(std::shared_ptr<PlatformClient> client,
                                          std::string msg_id, std::string body);
  boost::asio::awaitable<void> send_body(const OutboundMessage& m, Result<std::string> body,
                                         std::shared_ptr<PlatformClient> client);
  void on_send_answer(const OutboundMessage& m, const HttpAnswer& a,
                      const std::shared_ptr<PlatformClient>& client);
  static std::string answer_words(const HttpAnswer& a);
  // Files to phones (send_file.cpp).
  boost::asio::awaitable<void> deliver_file(OutboundMessage m,
                                            std::shared_ptr<PlatformClient> client);
  boost::asio::awaitable<Result<FileRef>> upload(const Attachment& a,
                                                 std::shared_ptr<PlatformClient> client);
  boost::asio::awaitable<std::optional<FileRef>> upload_thumbnail(
      Thumbnail t, std::shared_ptr<PlatformClient> client);
  boost::asio::awaitable<Result<FileObject>> wait_file_ready(std::string file_id);
  void on_file_status(const FileObject& f);
  boost::asio::awaitable<std::optional<Capability>> capability(std::string number,
                                                               std::string& why_not);
  boost::asio::awaitable<void> typing(std::string number, ChatState state,
                                      std::shared_ptr<PlatformClient> client);
  boost::asio::awaitable<void> revoke(std::string msg_id);
  boost::asio::awaitable<void> probe();
  // Revoke msg_id if it is not delivered within `within` (the fallback time, or what is
  // left of it after a restart: OutboundWatch).
  void watch(const std::string& msg_id, std::chrono::milliseconds within,
             std::shared_ptr<PlatformClient> client);
  void unwatch(const std::string& msg_id);
  void dispatch_event(const Address& bot, Event event, std::function<void(Status)> done);
  boost::asio::awaitable<void> receive_file(Address bot, InboundFile f);
  boost::asio::awaitable<std::optional<Thumbnail>> receive_thumbnail(FileRef t, std::string number);
  void publish_message(const Address& bot, const EventMeta& meta, std::string body,
                       std::vector<Attachment> attachments, std::function<void(Status)> done);
  void finish_file(const Address& bot, const InboundFile& f, std::string body,
                   std::vector<Attachment> attachments);
  void fail_file(const std::string& msg_id, const Error& e);
  void report(DeliveryReport r);
  void note_answer(int http_status, const std::string& error);
  void set_state(LinkState s, std::string detail);
  Address bot_address(const std::string& bot_id) const;
  std::shared_ptr<PlatformClient> client_for(const Address& bot) const;

  std::string name_;
  config::RcsPlatform platform_;
  std::int64_t fallback_after_ms_;
  EventSink& sink_;
  std::shared_ptr<RcsHub> hub_;
  Strand strand_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<PlatformClient> client_;  // bot_id's: capabilities, probes, file fetches
  std::map<std::string, std::shared_ptr<PlatformClient>> clients_;  // by bot id, pool included
  std::string setup_error_;  // why the client could not be made (bad URL, CA file)
  CapabilityCache caps_;
  std::map<std::string, Watched> watched_;  // msgId -> fallback timer
  std::shared_ptr<FileShare> files_;
  std::chrono::seconds file_ttl_;
  boost::asio::any_io_executor disk_;
  // msgId of a file being fetched -> the webhook answers waiting for it.
  std::map<std::string, std::vector<std::function<void(Status)>>> fetching_;
  // The last kRecentFiles files relayed (msgId -> its link): a copy of the event sent again
  // by the platform is bridged with the same link (and dropped as a duplicate by the router)
  // without fetching the file again.
  std::map<std::string, Attachment> recent_files_;
  std::deque<std::string> recent_order_;
  // Uploads answered 202 (the file object follows in a fileStatus event): fileId -> a timer
  // the event cancels, and the file objects that arrived (bounded: kRecentFiles).
  std::map<std::string, std::shared_ptr<boost::asio::steady_timer>> upload_waiters_;
  std::map<std::string, FileObject> file_status_;
  std::size_t in_flight_ = 0;
  bool stopping_ = false;
  bool probing_ = false;
  std::unique_ptr<boost::asio::steady_timer> probe_timer_;

  mutable std::mutex status_mutex_;  // status() is called from the core strand
  ConnectorStatus status_;
};

}  // namespace passerelle::rcs
