#pragma once
// The decision on a webhook request from its head alone, before a byte of the body is read
// (sans-IO: the connection fills a RequestHead from Beast's parser). Checked in this order,
// so that a caller without the secret learns nothing past the path and the method:
//   path (404) -> method (405, Allow: POST) -> Authorization (401) -> Content-Type (415)
//   -> Content-Length over max_body (413).
// A chunked body is bounded while it is read (the connection answers 413 there).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rcs/webhook/webhook_server.hpp"

namespace passerelle::rcs {

struct RequestHead {
  std::string_view method;  // as sent ("POST")
  std::string_view target;  // origin-form, query included
  std::optional<std::string_view> authorization;
  std::size_t authorization_count = 0;  // more than one is refused like a wrong one
  std::string_view content_type;
  std::optional<std::uint64_t> content_length;
};

struct Verdict {
  int status = 0;                       // 0: accepted, read the body; else the answer
  std::string reason;                   // one line for the log and the body; never the secret
  const WebhookRoute* route = nullptr;  // the matched route (points into the vector given)
  bool close = false;                   // close after answering, whatever keep-alive says
};

// The route whose path is the target's (query ignored), or null.
const WebhookRoute* find_route(std::string_view target, const std::vector<WebhookRoute>& routes);

Verdict judge(const RequestHead& head, const std::vector<WebhookRoute>& routes,
              std::size_t max_body);

}  // namespace passerelle::rcs
