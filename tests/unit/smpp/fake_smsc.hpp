#pragma once
// An in-process SMSC for session tests, written with passerelle's own codec: listens on
// 127.0.0.1 port 0, answers binds and enquire_link, and lets the test decide what every
// submit_sm gets. Runs on the test's io_context (single thread).

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "smpp/codec/decoder.hpp"

namespace passerelle::smpp::test {

namespace asio = boost::asio;

class FakeSmsc {
 public:
  explicit FakeSmsc(asio::io_context& io)
      : acceptor_(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  // Knobs.
  std::uint32_t bind_status = 0;
  bool answer_enquire = true;
  // Status and message_id for a submit_sm, or nullopt to leave it unanswered.
  std::function<std::optional<std::pair<std::uint32_t, std::string>>(const Pdu&)> on_submit =
      [this](const Pdu&) { return std::make_pair(0u, "id" + std::to_string(++ids_)); };

  // Observations.
  std::vector<Pdu> received;
  std::vector<std::chrono::steady_clock::time_point> received_at;  // one per `received`
  std::vector<DecodeError> errors;
  int connections = 0;
  int binds = 0;

  std::vector<Pdu> of(CommandId id) const {
    std::vector<Pdu> out;
    for (const auto& p : received) {
      if (p.id() == id) out.push_back(p);
    }
    return out;
  }
  void send(const Pdu& p) {
    std::vector<std::uint8_t> b;
    (void)encode(p, b);
    send_raw(b);
  }
  // To the newest open connection (with two binds, the receiver's).
  void send_raw(const std::vector<std::uint8_t>& b) {
    for (auto it = conns_.rbegin(); it != conns_.rend(); ++it) {
      if ((*it)->sock.is_open()) {
        boost::system::error_code ec;
        asio::write((*it)->sock, asio::buffer(b), ec);
        return;
      }
    }
  }
  void drop() {
    for (auto& c : conns_) {
      boost::system::error_code ec;
      c->sock.close(ec);
    }
  }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket s) {
      if (ec) return;
      ++connections;
      auto c = std::make_shared<Peer>(std::move(s));
      conns_.push_back(c);
      read(c);
      accept();
    });
  }
  struct Peer {
    explicit Peer(asio::ip::tcp::socket s) : sock(std::move(s)) {}
    asio::ip::tcp::socket sock;
    PduDecoder decoder;
    std::array<std::uint8_t, 4096> buf{};
  };
  void read(std::shared_ptr<Peer> c) {
    c->sock.async_read_some(asio::buffer(c->buf),
                            [this, c](boost::system::error_code ec, std::size_t n) {
                              if (ec) return;
                              std::span<const std::uint8_t> in(c->buf.data(), n);
                              while (!in.empty()) {
                                auto step = c->decoder.decode(in);
                                in = in.subspan(step.consumed);
                                if (auto* p = std::get_if<Pdu>(&step.outcome)) handle(*c, *p);
                                if (auto* e = std::get_if<DecodeError>(&step.outcome))
                                  errors.push_back(*e);
                              }
                              if (c->sock.is_open()) read(c);
                            });
  }
  void reply(Peer& c, const Pdu& p) {
    std::vector<std::uint8_t> b;
    (void)encode(p, b);
    boost::system::error_code ec;
    asio::write(c.sock, asio::buffer(b), ec);
  }
  void handle(Peer& c, const Pdu& p) {
    received.push_back(p);
    received_at.push_back(std::chrono::steady_clock::now());
    switch (p.id()) {
      case CommandId::bind_transceiver:
      case CommandId::bind_transmitter:
      case CommandId::bind_receiver:
        ++binds;
        reply(c, make_response(p, bind_status, "FAKE"));
        return;
      case CommandId::enquire_link:
        if (answer_enquire) reply(c, make_response(p, 0));
        return;
      case CommandId::unbind:
        reply(c, make_response(p, 0));
        return;
      case CommandId::submit_sm:
        if (auto r = on_submit(p)) reply(c, make_response(p, r->first, r->first ? "" : r->second));
        return;
      default:
        return;
    }
  }

  asio::ip::tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<Peer>> conns_;
  int ids_ = 0;
};

}  // namespace passerelle::smpp::test
