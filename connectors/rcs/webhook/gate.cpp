#include "rcs/webhook/gate.hpp"

#include "rcs/codec/events.hpp"

namespace passerelle::rcs {

const WebhookRoute* find_route(std::string_view target, const std::vector<WebhookRoute>& routes) {
  const std::string_view path = target.substr(0, target.find('?'));
  for (const auto& r : routes) {
    if (r.path == path) return &r;
  }
  return nullptr;
}

Verdict judge(const RequestHead& head, const std::vector<WebhookRoute>& routes,
              std::size_t max_body) {
  Verdict v;
  v.route = find_route(head.target, routes);
  if (v.route == nullptr) {
    v.status = 404;
    v.reason = "no webhook at this path";
    return v;
  }
  if (head.method != "POST") {
    v.status = 405;
    v.reason = "method " + std::string(head.method.substr(0, 16)) + " (webhooks are POST)";
    return v;
  }
  if (!v.route->authorization.empty()) {
    if (!head.authorization) {
      v.status = 401;
      v.reason = "no Authorization header";
    } else if (head.authorization_count > 1) {
      v.status = 401;
      v.reason = "more than one Authorization header";
    } else if (!authorization_matches(*head.authorization, v.route->authorization)) {
      v.status = 401;
      v.reason = "wrong Authorization header (check the platform's webhook token)";
    }
    if (v.status != 0) {
      // The body of a caller we do not know is not worth reading.
      v.close = true;
      return v;
    }
  }
  if (!is_json_content_type(head.content_type)) {
    v.status = 415;
    v.reason =
        head.content_type.empty()
            ? std::string("no Content-Type (webhooks are application/json)")
            : "Content-Type " + std::string(head.content_type.substr(0, 64)) + " is not JSON";
    return v;
  }
  if (head.content_length && *head.content_length > max_body) {
    v.status = 413;
    v.reason = "Content-Length " + std::to_string(*head.content_length) + " over the limit of " +
               std::to_string(max_body) + " bytes";
    return v;
  }
  return v;
}

}  // namespace passerelle::rcs
