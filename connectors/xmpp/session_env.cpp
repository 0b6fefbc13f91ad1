#include "session_env.hpp"

#include <atomic>
#include <memory>

namespace passerelle::xmpp {

AckFn make_ack(const SessionEnv& env, std::function<void(Status)> fn) {
  auto once = std::make_shared<std::atomic<bool>>(false);
  auto post = env.post;
  return [once, post, fn = std::move(fn)](Status st) {
    if (once->exchange(true)) return;
    post([fn, st = std::move(st)] { fn(st); });
  };
}

}  // namespace passerelle::xmpp
