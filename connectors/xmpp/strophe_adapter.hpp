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

  // One turn of libstrophe's loop: writes queued output, waits at most `timeout` for
  // socket activity (select), runs handlers.
  void run_once(std::chrono::milliseconds timeout);

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
