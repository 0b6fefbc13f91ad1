#include "msn/session/conn.hpp"

namespace passerelle::msn {

MsnpConn::MsnpConn(const Strand& strand, Grammar grammar)
    : io_(std::make_shared<StreamConn<std::string>>(strand, kMaxQueuedBytes)), decoder_(grammar) {}

asio::awaitable<Result<Command>> MsnpConn::read() {
  auto self = shared_from_this();
  for (;;) {
    if (closed()) co_return Error::transient(close_reason());
    if (!in_.empty()) {
      auto step = decoder_.decode(in_);
      in_.erase(0, step.consumed);
      if (auto* cmd = std::get_if<Command>(&step.outcome)) co_return std::move(*cmd);
      if (auto* e = std::get_if<DecodeError>(&step.outcome)) {
        close(std::string("malformed data from the server (") + decode_errc_name(e->code) +
              "): " + e->message);
        co_return Error::transient(close_reason());
      }
    }
    passerelle::Status got = co_await io_->read_into(in_);
    if (!got.ok()) co_return got.error();
  }
}

passerelle::Status MsnpConn::send(const Command& cmd) {
  if (closed()) return Error::transient("connection closed");
  std::string bytes;
  if (auto st = encode(cmd, bytes); !st) return st;
  return io_->queue(std::move(bytes));
}

}  // namespace passerelle::msn
