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
//      answered 404 came too late: the phone has it, its status follows.
// Status events become DeliveryReports by msgId (delivered, displayed -> read, failed ->
// failed with recipient_offline: SMS instead). Typing goes both ways.
//
// Inbound events come from the webhook server (rcs_hub.hpp) through on_event, which calls
// `done` once the message is committed (the platform's webhook is answered only then).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "config/config.hpp"
#include "connector/connector.hpp"
#include "rcs/codec/events.hpp"
#include "rcs/connector/capability_cache.hpp"

namespace passerelle::rcs {

class PlatformClient;
class RcsHub;

class RcsConnector final : public Connector {
 public:
  // Messages being sent (capability query or POST in flight). Past it, send() reports
  // failed, retryable: the outbox tries again later.
  static constexpr std::size_t kMaxInFlight = 4096;
  // Messages taken by the platform and waiting for their delivery status (for the SMS
  // fallback). Past it the oldest is no longer watched.
  static constexpr std::size_t kMaxWatched = 100'000;

  RcsConnector(boost::asio::io_context& io, const config::RcsPlatform& platform,
               const config::RcsSection& section, EventSink& sink, std::shared_ptr<RcsHub> hub);
  ~RcsConnector() override;

  const std::string& name() const override { return name_; }
  Network network() const override { return Network::rcs; }
  passerelle::Capabilities capabilities() const override;
  void start() override;
  void stop(std::function<void()> done) override;
  void send(OutboundEvent event) override;
  ConnectorStatus status() const override;

  // From the webhook server, on any thread: one event of this platform.
  void on_event(Event event, std::function<void(Status)> done);

 private:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  struct Watched {
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  boost::asio::awaitable<void> deliver(OutboundMessage m);
  boost::asio::awaitable<std::optional<Capability>> capability(std::string number,
                                                               std::string& why_not);
  boost::asio::awaitable<void> typing(std::string number, ChatState state);
  boost::asio::awaitable<void> revoke(std::string msg_id);
  boost::asio::awaitable<void> probe();
  void watch(const std::string& msg_id);
  void unwatch(const std::string& msg_id);
  void dispatch_event(Event event, std::function<void(Status)> done);
  void report(DeliveryReport r);
  void note_answer(int http_status, const std::string& error);
  void set_state(LinkState s, std::string detail);
  Address bot() const;

  std::string name_;
  config::RcsPlatform platform_;
  std::int64_t fallback_after_ms_;
  EventSink& sink_;
  std::shared_ptr<RcsHub> hub_;
  Strand strand_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<PlatformClient> client_;
  std::string setup_error_;  // why the client could not be made (bad URL, CA file)
  CapabilityCache caps_;
  std::map<std::string, Watched> watched_;  // msgId -> fallback timer
  std::size_t in_flight_ = 0;
  bool stopping_ = false;
  bool probing_ = false;
  std::unique_ptr<boost::asio::steady_timer> probe_timer_;

  mutable std::mutex status_mutex_;  // status() is called from the core strand
  ConnectorStatus status_;
};

}  // namespace passerelle::rcs
