#pragma once
// A SessionEnv that records what a session sends and publishes; posted tasks run when
// the test says so (run_posted), like the connector's thread would.

#include <deque>
#include <string>
#include <vector>

#include "xmpp/session_env.hpp"
#include "xmpp/strophe_adapter.hpp"
#include "xmpp/xml.hpp"

namespace passerelle::xmpp::testing {

struct FakeEnv {
  std::vector<std::string> sent;  // serialised stanzas
  std::vector<InboundEvent> events;
  std::deque<std::function<void()>> posted;
  int ids = 0;

  SessionEnv env() {
    SessionEnv e;
    e.send = [this](const xml::Element& el) { sent.push_back(xml::to_string(el)); };
    e.publish = [this](InboundEvent ev) { events.push_back(std::move(ev)); };
    e.post = [this](std::function<void()> t) { posted.push_back(std::move(t)); };
    e.next_id = [this] { return "id" + std::to_string(++ids); };
    e.now_ms = [] { return std::int64_t{1700000000000}; };
    return e;
  }
  void run_posted() {
    while (!posted.empty()) {
      auto t = std::move(posted.front());
      posted.pop_front();
      t();
    }
  }
  template <typename T>
  T* last() {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (auto* p = std::get_if<T>(&*it)) return p;
    return nullptr;
  }
  void clear() {
    sent.clear();
    events.clear();
  }
};

inline xml::Element parse(const std::string& s) {
  auto r = strophe::parse(s);
  return r ? *r : xml::Element();
}

}  // namespace passerelle::xmpp::testing
