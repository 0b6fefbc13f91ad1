#pragma once
// What an account session does after its connection ended (AIM/ICQ, MSN): the one policy
// both follow, so that a person sees the same states whatever the network.
//
//   refused      wrong password, closed or banned account: failed, and no retry until
//                the account is registered again or the bridge restarts (retrying only
//                gets the account locked);
//   elsewhere    signed in from another place: failed, retried after the longest backoff
//                (signing straight back in would sign the person's other client out,
//                which would sign us out again);
//   transient    anything else: backing off with capped exponential backoff and jitter,
//                from the start again after a connection that got online.

#include <algorithm>
#include <cstdint>
#include <string>

#include "bus/events.hpp"
#include "delivery/backoff.hpp"

namespace passerelle {

enum class EndClass { transient, refused, elsewhere };

struct RetryPlan {
  LinkState state = LinkState::backing_off;
  std::string reason;    // the state's reason, for the person and /readyz
  std::int64_t wait_ms;  // before the next attempt; -1: none (wait for stop)
  std::string log;       // one line for the log, after the account's name
};

// `attempt` counts failed attempts in a row; it is updated here.
inline RetryPlan plan_retry(EndClass end, const std::string& why, bool was_online, int& attempt,
                            int initial_ms, int max_ms) {
  RetryPlan p;
  switch (end) {
    case EndClass::refused:
      p.state = LinkState::failed;
      p.reason = why;
      p.wait_ms = -1;
      p.log = why + "; not retrying until the account is registered again or the bridge restarts";
      return p;
    case EndClass::elsewhere:
      p.state = LinkState::failed;
      p.wait_ms = std::max(max_ms, initial_ms);
      p.reason = why + "; trying again in " + std::to_string(p.wait_ms / 1000) + " s";
      p.log = p.reason;
      return p;
    case EndClass::transient:
      break;
  }
  if (was_online) attempt = 0;
  p.state = LinkState::backing_off;
  p.reason = why;
  p.wait_ms = backoff_ms(++attempt, initial_ms, max_ms, jitter_random());
  p.log = why + "; reconnecting in " + std::to_string(p.wait_ms) + " ms";
  return p;
}

}  // namespace passerelle
