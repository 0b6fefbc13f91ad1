// xmpp_driver: runs the real XMPP connectors (from make_xmpp_connectors) against a server
// with a fake core that answers like a tiny router, and reports every inbound event as
// one JSON line on stdout. Driven by tests/integration/test_xmpp_component.py.
//
// Echo rules (component): a message "forbidden" is refused (Errc::not_allowed); "late-error"
// is accepted, then answered with an OutboundError (spending cap); anything else is
// accepted, receipted when asked, and answered "echo: <body>" from the puppet. Chat states
// are mirrored back. A registration is accepted when the phone starts with '+'.
// Client mode: messages are accepted and reported.
//
// stdin: "send <from-address> <to-address> <body...>", "status", "quit" (or EOF).

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "xmpp/factory.hpp"
#include "xmpp/stanza.hpp"

using namespace passerelle;

namespace {

std::string js(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::mutex out_mu;
void emit(const std::string& line) {
  std::lock_guard lock(out_mu);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

class EchoCore : public EventSink {
 public:
  Connector* component = nullptr;
  Connector* client = nullptr;

  void publish(InboundEvent event) override {
    std::visit([this](auto& ev) { on(ev); }, event);
  }

 private:
  void on(InboundMessage& m) {
    emit("{\"event\":\"message\",\"connector\":" + js(m.connector) +
         ",\"from\":" + js(m.from.str()) + ",\"to\":" + js(m.to.str()) + ",\"body\":" + js(m.body) +
         ",\"origin_id\":" + js(m.origin_id) +
         ",\"wants_receipt\":" + (m.wants_receipt ? "true" : "false") + "}");
    if (m.connector != "xmpp" || !component) {
      m.ack(Status{});
      return;
    }
    if (m.body == "forbidden") {
      m.ack(Error::forbidden("you are not allowed to use this gateway"));
      return;
    }
    m.ack(Status{});
    if (m.body == "late-error") {
      component->send(OutboundError{m.to, m.from, m.origin_id,
                                    Error::limit("monthly SMS spending cap reached")});
      return;
    }
    if (m.wants_receipt) component->send(OutboundReceipt{m.to, m.from, m.origin_id});
    OutboundMessage reply;
    reply.delivery_id = "d-" + m.origin_id;
    reply.from = m.to;
    reply.to = m.from;
    reply.body = "echo: " + m.body;
    component->send(std::move(reply));
  }
  void on(InboundChatState& c) {
    emit("{\"event\":\"chatstate\",\"connector\":" + js(c.connector) +
         ",\"from\":" + js(c.from.str()) + ",\"to\":" + js(c.to.str()) +
         ",\"state\":" + js(std::string(xmpp::chat_state_name(c.state))) + "}");
    if (c.connector == "xmpp" && component)
      component->send(OutboundChatState{c.to, c.from, c.state});
  }
  void on(InboundPresence& p) {
    emit("{\"event\":\"presence\",\"connector\":" + js(p.connector) +
         ",\"who\":" + js(p.who.str()) + ",\"observer\":" + js(p.observer.str()) +
         ",\"state\":" + js(std::string(presence_state_name(p.presence.state))) + "}");
  }
  void on(InboundSubscription& s) {
    static const char* names[] = {"subscribe", "subscribed", "unsubscribe", "unsubscribed"};
    emit("{\"event\":\"subscription\",\"connector\":" + js(s.connector) +
         ",\"from\":" + js(s.from.str()) + ",\"to\":" + js(s.to.str()) +
         ",\"action\":" + js(names[static_cast<int>(s.action)]) + "}");
  }
  void on(DeliveryReport& r) {
    emit("{\"event\":\"report\",\"connector\":" + js(r.connector) +
         ",\"delivery_id\":" + js(r.delivery_id) + ",\"network_id\":" + js(r.network_id) +
         ",\"state\":" + js(delivery_state_name(r.state)) + ",\"reason\":" + js(r.reason) + "}");
  }
  void on(AccountStateEvent& a) {
    emit("{\"event\":\"link\",\"connector\":" + js(a.connector) + ",\"account\":" + js(a.account) +
         ",\"state\":" + js(std::string(link_state_name(a.state))) + ",\"reason\":" + js(a.reason) +
         "}");
  }
  void on(Registration& r) {
    emit("{\"event\":\"registration\",\"connector\":" + js(r.connector) +
         ",\"user\":" + js(r.user.str()) + ",\"phone\":" + js(r.phone) +
         ",\"remove\":" + (r.remove ? "true" : "false") + "}");
    if (r.remove || (!r.phone.empty() && r.phone[0] == '+'))
      r.ack(Status{});
    else
      r.ack(Error::invalid("'" + r.phone + "' is not an international number (+country...)"));
  }
};

int usage() {
  std::fprintf(stderr,
               "usage: xmpp_driver [--domain D] [--host H] [--component-port P --secret S "
               "--networks sms,...]\n"
               "                   [--allow-domain D] [--account JID --password PW --resource R "
               "--c2s-port P]\n"
               "                   [--reconnect-ms N] [--verbose]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  config::Config cfg;
  cfg.xmpp.networks.clear();
  cfg.xmpp.reconnect_initial_ms = 200;
  cfg.xmpp.reconnect_max_ms = 2000;
  config::XmppAccount account;
  account.tls = "disabled";
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto next = [&]() -> std::string { return i + 1 < args.size() ? args[++i] : std::string(); };
    if (a == "--domain")
      cfg.bridge.domain = next();
    else if (a == "--host")
      cfg.xmpp.component_host = next();
    else if (a == "--component-port")
      cfg.xmpp.component_port = std::stoi(next());
    else if (a == "--secret")
      cfg.xmpp.secret = next();
    else if (a == "--networks") {
      std::stringstream ss(next());
      std::string n;
      while (std::getline(ss, n, ',')) cfg.xmpp.networks.push_back(n);
    } else if (a == "--allow-domain")
      cfg.access.allow_domains = {next()};
    else if (a == "--account")
      account.jid = next();
    else if (a == "--password")
      account.password = next();
    else if (a == "--resource")
      account.resource = next();
    else if (a == "--c2s-port")
      account.port = std::stoi(next());
    else if (a == "--tls")
      account.tls = next();
    else if (a == "--reconnect-ms")
      cfg.xmpp.reconnect_initial_ms = std::stoi(next());
    else if (a == "--verbose")
      spdlog::set_level(spdlog::level::debug);
    else
      return usage();
  }
  if (!account.jid.empty()) {
    account.host = cfg.xmpp.component_host;
    cfg.xmpp.accounts.push_back(account);
  }
  spdlog::set_default_logger(spdlog::stderr_logger_st("driver"));

  EchoCore core;
  auto connectors = make_xmpp_connectors(cfg, core);
  if (connectors.empty()) return usage();
  for (auto& c : connectors) {
    if (c->name() == "xmpp") core.component = c.get();
    if (c->name() == "xmpp-client") core.client = c.get();
  }
  for (auto& c : connectors) c->start();
  emit("{\"event\":\"started\"}");

  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "quit") break;
    if (cmd == "status") {
      for (auto& c : connectors) {
        const auto st = c->status();
        emit("{\"event\":\"status\",\"connector\":" + js(c->name()) + ",\"state\":" +
             js(std::string(link_state_name(st.state))) + ",\"detail\":" + js(st.detail) +
             ",\"reconnects\":" + std::to_string(st.reconnects) + "}");
      }
    } else if (cmd == "send") {
      std::string from, to, body;
      in >> from >> to;
      std::getline(in, body);
      if (!body.empty() && body[0] == ' ') body.erase(0, 1);
      auto f = parse_address(from);
      auto t = parse_address(to);
      if (!f || !t) {
        emit("{\"event\":\"bad-command\",\"line\":" + js(line) + "}");
        continue;
      }
      OutboundMessage m;
      m.delivery_id = "cmd";
      m.from = *f;
      m.to = *t;
      m.body = body;
      Connector* target = f->network == Network::xmpp ? core.client : core.component;
      if (target) target->send(std::move(m));
    }
  }

  std::mutex mu;
  std::condition_variable cv;
  std::size_t stopped = 0;
  for (auto& c : connectors)
    c->stop([&] {
      std::lock_guard lock(mu);
      ++stopped;
      cv.notify_all();
    });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return stopped == connectors.size(); });
  lock.unlock();
  connectors.clear();
  emit("{\"event\":\"exited\"}");
  return 0;
}
