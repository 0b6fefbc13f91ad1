#pragma once
// The only door to libstrophe (STYLE.md habit 7): strophe_adapter.cpp is the one file
// that includes <strophe.h>; its types never appear here. Stanzas cross as xml::Element.
//
// Threading: a Context and its Connections belong to one thread (the connector's
// libstrophe thread, DESIGN.md §5). Nothing here is thread-safe; handlers run on that
// thread, from inside Context::run_once.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "xml.hpp"

namespace passerelle::xmpp::strophe {

enum class TlsMode { required, optional, disabled };

struct ConnectParams {
  bool component = false;
  std::string jid;     // the component domain, or the client's full JID
  std::string secret;  // component secret or account password; never logged
  std::string host;    // component: required; client: empty means the JID's domain
  unsigned short port = 0;
  TlsMode tls = TlsMode::required;  // client only
};

class Context {
 public:
  Context();
  ~Context();  // every Connection must be gone first
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // One turn of libstrophe's loop: writes queued output, fires libstrophe's own timers,
  // waits at most `timeout` for socket activity (select), reads what is ready (at most
  // 4 KiB per connection), runs handlers. Callers that wait in wait() pass 0.
  void run_once(std::chrono::milliseconds timeout);

  // Sleeps (poll) until a socket of this context needs a turn, `wake_fd` is readable, or
  // `max_wait` has passed, whichever comes first. A socket needs a turn when it is
  // readable, when it finished connecting, or when it is writable while libstrophe
  // holds output for it. Returns true when something is ready (false: time is up).
  //
  // The sleep is shortened where libstrophe needs turns of its own that no socket event
  // brings: while a connection is connecting, negotiating or closing (connect timeout,
  // stream negotiation timeouts, the forced close after 2 s are timed inside
  // run_once; during negotiation libstrophe also answers the server's steps with output
  // it does not count in its queue length, so that sleep is short), and while a socket's kernel
  // send queue is not empty (a partial write leaves output that libstrophe only retries in
  // run_once, and libstrophe does not always count it in its queue length).
  //
  // Not covered, the caller's job: output queued from inside handlers during a turn,
  // and bytes OpenSSL has already decrypted but libstrophe not yet read (a TLS record
  // carries up to 16 KiB, a turn reads 4 KiB, and the socket no longer shows them as
  // readable). Both are taken by a few more turns with zero timeout after any turn that
  // had something to do; see LoopConnector::run.
  bool wait(int wake_fd, std::chrono::milliseconds max_wait);
  // A connection of this context runs TLS: OpenSSL may hold input the socket no longer
  // shows (see wait()).
  bool any_secured() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

class Connection {
 public:
  struct Handlers {
    std::function<void()> on_up;                         // stream authenticated
    std::function<void(std::string reason)> on_down;     // once per connect attempt
    std::function<void(const xml::Element&)> on_stanza;  // message / presence / iq
  };
  Connection(Context& ctx, Handlers h);
  // Must not run inside one of this connection's handlers. A connection still open is
  // closed abruptly; call disconnect() and wait for on_down for a clean close.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts connecting; on_up or on_down follows from run_once. An error here means no
  // attempt was started (and no on_down will come).
  Status connect(const ConnectParams& p);
  // Queues a stanza (written on the next run_once). Dropped when not up.
  void send(const xml::Element& stanza);
  // Closes the stream gracefully; on_down follows (libstrophe forces it after 2 s).
  void disconnect();
  bool up() const;
  bool closed() const;  // no socket: never connected, or down
  bool secured() const;
  std::size_t send_queue_len() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Parses one XML element (for tests and tools). libstrophe's parser, same as the wire.
Result<xml::Element> parse(std::string_view text);

}  // namespace passerelle::xmpp::strophe
