// The one file that includes <strophe.h> (see strophe_adapter.hpp).
#include "strophe_adapter.hpp"

#include <linux/sockios.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <strophe.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace passerelle::xmpp::strophe {
namespace {

// How long wait() may sleep while libstrophe has timers running inside run_once that no
// socket event triggers: the connect timeout (5 s, and the move to the next address),
// the stream negotiation timeouts, the forced close 2 s after </stream:stream>. They
// fire at most this late. Only while a connection is not simply up.
constexpr std::chrono::milliseconds kLibraryTimerStep{250};
// How long wait() may sleep while a connected stream is being negotiated (stream header,
// component handshake, STARTTLS, SASL, bind). libstrophe answers those steps itself, and
// its own output is not counted in xmpp_conn_send_queue_len, so wait() cannot ask for
// POLLOUT: if the server's step arrives between this poll and libstrophe's read in the
// same turn, the answer sits queued until the next turn. Up to this long, in that race,
// and only during negotiation (a few round trips per connection).
constexpr std::chrono::milliseconds kNegotiationStep{10};
// How long wait() may sleep while a socket's kernel send queue is not empty: output
// that did not fit (partial write) is only retried inside run_once.
constexpr std::chrono::milliseconds kWriteRetryStep{50};

// True when the kernel still holds bytes of this TCP socket that the peer has not
// acknowledged (SIOCOUTQ). Right after a write this is normal for one round trip.
bool unacked_output(int fd) {
  int n = 0;
  return ::ioctl(fd, SIOCOUTQ, &n) == 0 && n > 0;
}

const char* stream_error_name(xmpp_error_type_t t) {
  switch (t) {
    case XMPP_SE_BAD_FORMAT:
      return "bad-format";
    case XMPP_SE_BAD_NS_PREFIX:
      return "bad-namespace-prefix";
    case XMPP_SE_CONFLICT:
      return "conflict";
    case XMPP_SE_CONN_TIMEOUT:
      return "connection-timeout";
    case XMPP_SE_HOST_GONE:
      return "host-gone";
    case XMPP_SE_HOST_UNKNOWN:
      return "host-unknown";
    case XMPP_SE_IMPROPER_ADDR:
      return "improper-addressing";
    case XMPP_SE_INTERNAL_SERVER_ERROR:
      return "internal-server-error";
    case XMPP_SE_INVALID_FROM:
      return "invalid-from";
    case XMPP_SE_INVALID_ID:
      return "invalid-id";
    case XMPP_SE_INVALID_NS:
      return "invalid-namespace";
    case XMPP_SE_INVALID_XML:
      return "invalid-xml";
    case XMPP_SE_NOT_AUTHORIZED:
      return "not-authorized";
    case XMPP_SE_POLICY_VIOLATION:
      return "policy-violation";
    case XMPP_SE_REMOTE_CONN_FAILED:
      return "remote-connection-failed";
    case XMPP_SE_RESOURCE_CONSTRAINT:
      return "resource-constraint";
    case XMPP_SE_RESTRICTED_XML:
      return "restricted-xml";
    case XMPP_SE_SEE_OTHER_HOST:
      return "see-other-host";
    case XMPP_SE_SYSTEM_SHUTDOWN:
      return "system-shutdown";
    case XMPP_SE_UNDEFINED_CONDITION:
      return "undefined-condition";
    case XMPP_SE_UNSUPPORTED_ENCODING:
      return "unsupported-encoding";
    case XMPP_SE_UNSUPPORTED_STANZA_TYPE:
      return "unsupported-stanza-type";
    case XMPP_SE_UNSUPPORTED_VERSION:
      return "unsupported-version";
    case XMPP_SE_XML_NOT_WELL_FORMED:
      return "not-well-formed";
  }
  return "undefined-condition";
}

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] { xmpp_initialize(); });
}

// libstrophe -> Element. Namespaces are kept as xmlns attributes only where they
// differ from the parent's, which is what the stanza layer expects.
xml::Element from_stanza(xmpp_stanza_t* s, std::string_view parent_ns) {
  if (xmpp_stanza_is_text(s)) {
    const char* t = xmpp_stanza_get_text_ptr(s);
    return xml::Element::text_node(t ? t : "");
  }
  const char* name = xmpp_stanza_get_name(s);
  xml::Element e(name ? name : "");
  const int n = xmpp_stanza_get_attribute_count(s);
  std::string own_ns;
  if (n > 0) {
    std::vector<const char*> kv(static_cast<std::size_t>(n) * 2);
    const int got = xmpp_stanza_get_attributes(s, kv.data(), n * 2);
    for (int i = 0; i + 1 < got; i += 2) {
      if (!kv[i] || !kv[i + 1]) continue;
      if (std::strcmp(kv[i], "xmlns") == 0) {
        own_ns = kv[i + 1];
        continue;
      }
      e.attrs.emplace_back(kv[i], kv[i + 1]);
    }
  }
  if (const char* ns = xmpp_stanza_get_ns(s)) own_ns = ns;
  if (!own_ns.empty() && own_ns != parent_ns) e.attrs.insert(e.attrs.begin(), {"xmlns", own_ns});
  const std::string_view child_ns = own_ns.empty() ? parent_ns : std::string_view(own_ns);
  for (xmpp_stanza_t* c = xmpp_stanza_get_children(s); c; c = xmpp_stanza_get_next(c))
    e.children.push_back(from_stanza(c, child_ns));
  return e;
}

// Element -> libstrophe (new reference, caller releases).
xmpp_stanza_t* to_stanza(xmpp_ctx_t* ctx, const xml::Element& e) {
  xmpp_stanza_t* s = xmpp_stanza_new(ctx);
  if (e.is_text()) {
    xmpp_stanza_set_text(s, e.text.c_str());
    return s;
  }
  xmpp_stanza_set_name(s, e.name.c_str());
  for (const auto& [k, v] : e.attrs) xmpp_stanza_set_attribute(s, k.c_str(), v.c_str());
  for (const auto& c : e.children) {
    xmpp_stanza_t* cs = to_stanza(ctx, c);
    xmpp_stanza_add_child_ex(s, cs, 0);  // takes our reference
  }
  return s;
}

// Works around a libstrophe 0.12 crash in component mode (Debian bookworm ships
// 0.12.2): after the XEP-0114 handshake, every received stanza goes through the
// stream-management bookkeeping, which dereferences conn->sm_state, and only
// xmpp_connect_client() allocates it, so a component segfaults on the first stanza
// (seen against Prosody 0.12: SIGSEGV right after <handshake/>). We hand the component
// connection an (unused, SM stays disabled) state: xmpp_connect_client() on a scratch
// connection allocates one, then fails at once on an empty host (no I/O), and the state
// is moved over with the public get/set API.
void give_sm_state(xmpp_ctx_t* ctx, xmpp_conn_t* component) {
  xmpp_conn_t* scratch = xmpp_conn_new(ctx);
  if (!scratch) return;
  xmpp_conn_set_jid(scratch, "sm-state@localhost");
  xmpp_conn_set_flags(scratch, XMPP_CONN_FLAG_DISABLE_TLS | XMPP_CONN_FLAG_DISABLE_SM);
  const int rc = xmpp_connect_client(
      scratch, "", 0, [](xmpp_conn_t*, xmpp_conn_event_t, int, xmpp_stream_error_t*, void*) {},
      nullptr);
  if (rc != XMPP_EOK && xmpp_conn_is_disconnected(scratch)) {
    if (xmpp_sm_state_t* st = xmpp_conn_get_sm_state(scratch)) {
      if (xmpp_conn_set_sm_state(component, st) != XMPP_EOK)
        xmpp_free_sm_state(st);  // it has one already
    }
  }
  xmpp_conn_release(scratch);
}

}  // namespace

// ---- Context -------------------------------------------------------------------------

struct Context::Impl {
  xmpp_log_t log{};
  xmpp_ctx_t* ctx = nullptr;
  std::vector<Connection::Impl*> conns;   // every Connection of this context
  std::vector<pollfd> pollfds;            // reused by wait()
  std::vector<Connection::Impl*> polled;  // pollfds[i + 1] belongs to polled[i]
  // The last warning/error libstrophe logged, and when. libstrophe's log has no
  // connection pointer: a disconnect without a stream error borrows it when recent,
  // which on a context with several connections is a best guess.
  std::string last_error;
  std::chrono::steady_clock::time_point last_error_at{};
  bool mute = false;
  std::string recent_error(std::chrono::seconds within = std::chrono::seconds(5)) {
    if (last_error.empty() || std::chrono::steady_clock::now() - last_error_at > within) return {};
    std::string e = std::move(last_error);
    last_error.clear();
    return e;
  }

  static void on_log(void* userdata, xmpp_log_level_t level, const char* area, const char* msg) {
    // Debug and info carry raw stream data (SASL exchanges, handshake digests): never
    // forwarded. Warnings and errors are short library diagnostics.
    auto* self = static_cast<Impl*>(userdata);
    if (level < XMPP_LEVEL_WARN || self->mute) return;
    std::string line = std::string(area ? area : "strophe") + ": " + (msg ? msg : "");
    if (line.find("SENT") != std::string::npos || line.find("RECV") != std::string::npos) return;
    self->last_error = line;
    self->last_error_at = std::chrono::steady_clock::now();
    if (level == XMPP_LEVEL_ERROR)
      spdlog::warn("[xmpp] libstrophe {}", line);
    else
      spdlog::debug("[xmpp] libstrophe {}", line);
  }
};

Context::Context() : impl_(std::make_unique<Impl>()) {
  ensure_initialized();
  impl_->log.handler = &Impl::on_log;
  impl_->log.userdata = impl_.get();
  impl_->ctx = xmpp_ctx_new(nullptr, &impl_->log);
}

Context::~Context() {
  if (impl_->ctx) xmpp_ctx_free(impl_->ctx);
}

void Context::run_once(std::chrono::milliseconds timeout) {
  xmpp_run_once(impl_->ctx, static_cast<unsigned long>(timeout.count()));
}

// ---- Connection ----------------------------------------------------------------------

struct Connection::Impl {
  Context::Impl* ctx = nullptr;
  Handlers handlers;
  xmpp_conn_t* conn = nullptr;
  int fd = -1;  // libstrophe's current socket (see on_socket); valid while not disconnected
  bool is_up = false;
  bool attempt_live = false;  // a connect was started and on_down not yet delivered
  bool closing = false;       // disconnect() sent </stream:stream>; on_down not yet seen

  // libstrophe has no per-connection user data and tells us a socket only through the
  // sockopt callback, which gets the xmpp_conn_t: this maps one to the other. Every
  // context's thread uses it, hence the lock (taken when a socket is created).
  static std::mutex& registry_mu() {
    static std::mutex mu;
    return mu;
  }
  static std::unordered_map<const xmpp_conn_t*, Impl*>& registry() {
    static std::unordered_map<const xmpp_conn_t*, Impl*> map;
    return map;
  }

  // Called by libstrophe for every socket it creates for `conn` (each address it tries,
  // each reconnect), on the context's thread, before connect(). The socket stays
  // libstrophe's: we only poll it. Then TCP keep-alive so a dead peer is noticed
  // without traffic.
  static int on_socket(xmpp_conn_t* conn, void* sock) {
    {
      std::lock_guard lock(registry_mu());
      if (auto it = registry().find(conn); it != registry().end())
        it->second->fd = *static_cast<int*>(sock);
    }
    return xmpp_sockopt_cb_keepalive(conn, sock);
  }

  static void on_conn(xmpp_conn_t*, xmpp_conn_event_t event, int error, xmpp_stream_error_t* se,
                      void* userdata) {
    auto* self = static_cast<Impl*>(userdata);
    if (event == XMPP_CONN_CONNECT) {
      self->is_up = true;
      if (self->handlers.on_up) self->handlers.on_up();
      return;
    }
    if (event == XMPP_CONN_RAW_CONNECT) return;
    // DISCONNECT or FAIL: libstrophe has closed the socket.
    const bool was_up = self->is_up;
    self->is_up = false;
    self->closing = false;
    self->fd = -1;
    if (!self->attempt_live) return;
    self->attempt_live = false;
    std::string reason;
    if (se) {
      reason = std::string("stream error ") + stream_error_name(se->type);
      if (se->text && *se->text) reason += std::string(" (") + se->text + ")";
    } else if (error != 0) {
      reason = std::strerror(error);
    } else if (std::string recent = self->ctx->recent_error(); !recent.empty()) {
      reason = std::move(recent);
    } else {
      // libstrophe 0.12 reports neither errno nor which step failed here.
      reason = was_up ? "connection closed"
                      : "no stream: connection refused, or closed before the stream opened";
    }
    if (self->handlers.on_down) self->handlers.on_down(std::move(reason));
  }

  static int on_stanza(xmpp_conn_t*, xmpp_stanza_t* stanza, void* userdata) {
    auto* self = static_cast<Impl*>(userdata);
    const char* name = xmpp_stanza_get_name(stanza);
    if (!name) return 1;
    if (std::strcmp(name, "message") != 0 && std::strcmp(name, "presence") != 0 &&
        std::strcmp(name, "iq") != 0)
      return 1;
    const char* top_ns = xmpp_stanza_get_ns(stanza);
    xml::Element e = from_stanza(stanza, top_ns ? top_ns : "");
    if (self->handlers.on_stanza) self->handlers.on_stanza(e);
    return 1;  // keep the handler
  }
};

Connection::Connection(Context& ctx, Handlers h) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = &ctx.impl();
  impl_->handlers = std::move(h);
  impl_->ctx->conns.push_back(impl_.get());
}

Connection::~Connection() {
  auto& conns = impl_->ctx->conns;
  conns.erase(std::remove(conns.begin(), conns.end(), impl_.get()), conns.end());
  if (!impl_->conn) return;
  {
    std::lock_guard lock(Impl::registry_mu());
    Impl::registry().erase(impl_->conn);
  }
  xmpp_handler_delete(impl_->conn, &Impl::on_stanza);
  if (!xmpp_conn_is_disconnected(impl_->conn)) {
    // Abrupt: libstrophe closes the socket when the last reference goes; do not let its
    // disconnect callback reach a dead object.
    impl_->attempt_live = false;
    impl_->handlers = {};
  }
  xmpp_conn_release(impl_->conn);
}

Status Connection::connect(const ConnectParams& p) {
  if (impl_->conn && !xmpp_conn_is_disconnected(impl_->conn))
    return Error{Errc::internal, "connect() while a connection is open", false, 0};
  if (!impl_->conn) {
    impl_->conn = xmpp_conn_new(impl_->ctx->ctx);
    if (!impl_->conn) return Error{Errc::internal, "libstrophe: out of memory", true, 0};
    xmpp_handler_add(impl_->conn, &Impl::on_stanza, nullptr, nullptr, nullptr, impl_.get());
    std::lock_guard lock(Impl::registry_mu());
    Impl::registry()[impl_->conn] = impl_.get();
  }
  xmpp_conn_t* c = impl_->conn;
  xmpp_conn_set_jid(c, p.jid.c_str());
  xmpp_conn_set_pass(c, p.secret.c_str());
  xmpp_conn_set_sockopt_callback(c, &Impl::on_socket);
  int rc = 0;
  impl_->ctx->last_error.clear();
  impl_->is_up = false;
  impl_->attempt_live = true;
  if (p.component) {
    xmpp_conn_set_flags(c, XMPP_CONN_FLAG_DISABLE_SM);
    impl_->ctx->mute = true;  // its scratch connection fails on purpose
    give_sm_state(impl_->ctx->ctx, c);
    impl_->ctx->mute = false;
    rc = xmpp_connect_component(c, p.host.c_str(), p.port, &Impl::on_conn, impl_.get());
  } else {
    // No stream management: we do not resume sessions, and a new login is a new
    // resource. TLS: required means STARTTLS or fail (certificate verified against the
    // system CAs; libstrophe fails the connection on a bad certificate); optional uses it
    // when offered; disabled never does (loopback tests). TRUST_TLS is never set.
    long flags = XMPP_CONN_FLAG_DISABLE_SM;
    if (p.tls == TlsMode::required) flags |= XMPP_CONN_FLAG_MANDATORY_TLS;
    if (p.tls == TlsMode::disabled) flags |= XMPP_CONN_FLAG_DISABLE_TLS;
    xmpp_conn_set_flags(c, flags);
    rc = xmpp_connect_client(c, p.host.empty() ? nullptr : p.host.c_str(), p.port, &Impl::on_conn,
                             impl_.get());
  }
  if (rc != XMPP_EOK) {
    impl_->attempt_live = false;
    impl_->fd = -1;
    std::string why = impl_->ctx->recent_error();
    if (why.empty())
      why = "could not start connecting to " + (p.host.empty() ? p.jid : p.host) + ":" +
            std::to_string(p.port);
    return Error::transient(why);
  }
  return {};
}

void Connection::send(const xml::Element& stanza) {
  if (!impl_->conn || !impl_->is_up) return;
  xmpp_stanza_t* s = to_stanza(impl_->ctx->ctx, stanza);
  xmpp_send(impl_->conn, s);
  xmpp_stanza_release(s);
}

void Connection::disconnect() {
  if (impl_->conn && !xmpp_conn_is_disconnected(impl_->conn)) {
    impl_->closing = true;
    xmpp_disconnect(impl_->conn);
  }
}

bool Connection::up() const {
  return impl_->is_up;
}
bool Connection::closed() const {
  return !impl_->conn || xmpp_conn_is_disconnected(impl_->conn);
}
bool Connection::secured() const {
  return impl_->conn && xmpp_conn_is_secured(impl_->conn);
}
std::size_t Connection::send_queue_len() const {
  return impl_->conn ? static_cast<std::size_t>(std::max(0, xmpp_conn_send_queue_len(impl_->conn)))
                     : 0;
}

// ---- Context::wait (needs Connection::Impl) -----------------------------------------

bool Context::any_secured() const {
  return std::any_of(impl_->conns.begin(), impl_->conns.end(), [](const Connection::Impl* c) {
    return c->conn && xmpp_conn_is_secured(c->conn);
  });
}

bool Context::wait(int wake_fd, std::chrono::milliseconds max_wait) {
  auto& fds = impl_->pollfds;
  auto& polled = impl_->polled;
  fds.clear();
  polled.clear();
  fds.push_back(pollfd{wake_fd, POLLIN, 0});
  auto timeout = std::max(max_wait, std::chrono::milliseconds(0));
  for (Connection::Impl* c : impl_->conns) {
    if (!c->conn || c->fd < 0 || xmpp_conn_is_disconnected(c->conn)) continue;
    short events = POLLIN;
    if (xmpp_conn_is_connecting(c->conn))
      events = POLLOUT;  // a non-blocking connect() completes, or fails, as writable
    else if (xmpp_conn_send_queue_len(c->conn) > 0)
      events |= POLLOUT;  // stanzas waiting for room in the socket
    if (c->attempt_live && !c->is_up && !xmpp_conn_is_connecting(c->conn) && !c->closing)
      timeout = std::min(timeout, kNegotiationStep);
    else if ((c->attempt_live && !c->is_up) || c->closing)
      timeout = std::min(timeout, kLibraryTimerStep);
    else if (timeout > kWriteRetryStep && unacked_output(c->fd))
      timeout = kWriteRetryStep;
    fds.push_back(pollfd{c->fd, events, 0});
    polled.push_back(c);
  }
  const int n = ::poll(fds.data(), static_cast<nfds_t>(fds.size()),
                       static_cast<int>(std::min<std::int64_t>(timeout.count(), 1 << 30)));
  if (n < 0) return errno == EINTR;  // a signal: let the caller look around
  for (std::size_t i = 1; i < fds.size(); ++i) {
    // Not a descriptor (cannot happen while libstrophe owns it): stop polling it, or
    // poll would return at once forever. libstrophe reports its own socket errors.
    if (fds[i].revents & POLLNVAL) polled[i - 1]->fd = -1;
  }
  return n > 0;
}

Result<xml::Element> parse(std::string_view text) {
  ensure_initialized();
  static xmpp_log_t quiet{[](void*, xmpp_log_level_t, const char*, const char*) {}, nullptr};
  xmpp_ctx_t* ctx = xmpp_ctx_new(nullptr, &quiet);
  const std::string copy(text);
  xmpp_stanza_t* s = xmpp_stanza_new_from_string(ctx, copy.c_str());
  if (!s) {
    xmpp_ctx_free(ctx);
    return Error::invalid("not well-formed XML");
  }
  const char* ns = xmpp_stanza_get_ns(s);
  xml::Element e = from_stanza(s, "");
  (void)ns;
  xmpp_stanza_release(s);
  xmpp_ctx_free(ctx);
  return e;
}

}  // namespace passerelle::xmpp::strophe
