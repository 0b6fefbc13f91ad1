#pragma once
// What a session needs from its connector: all calls happen on the connector's
// libstrophe thread, except that `post` may be called from any thread.

#include <functional>
#include <string>

#include "bus/events.hpp"
#include "xml.hpp"

namespace passerelle::xmpp {

struct SessionEnv {
  std::function<void(const xml::Element&)> send;    // write to this session's stream
  std::function<void(InboundEvent)> publish;        // to the core's EventSink
  std::function<void(std::function<void()>)> post;  // run later on the libstrophe thread
  std::function<std::string()> next_id;             // a fresh stanza id
  std::function<std::int64_t()> now_ms;             // wall clock, for received_ms
};

// Wraps `fn` so the core can call it from any thread, at most once: the call is posted
// back to the session's thread (DESIGN.md §5). A second call is ignored.
AckFn make_ack(const SessionEnv& env, std::function<void(Status)> fn);

}  // namespace passerelle::xmpp
