#include "oscar/session/flap_conn.hpp"

#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {

FlapConn::FlapConn(const Strand& strand, std::uint16_t first_sequence)
    : io_(std::make_shared<StreamConn<Bytes>>(strand, kMaxQueuedBytes)), seq_(first_sequence) {}

asio::awaitable<Result<FlapFrame>> FlapConn::read() {
  auto self = shared_from_this();
  for (;;) {
    if (closed()) co_return Error::transient(close_reason());
    if (in_pos_ < in_.size()) {
      ByteView rest(in_.data() + in_pos_, in_.size() - in_pos_);
      auto step = decoder_.decode(rest);
      in_pos_ += step.consumed;
      if (in_pos_ == in_.size()) {
        in_.clear();
        in_pos_ = 0;
      }
      if (auto* f = std::get_if<FlapFrame>(&step.outcome)) co_return std::move(*f);
      if (auto* e = std::get_if<Error>(&step.outcome)) {
        close("malformed data from the server: " + e->message);
        co_return Error::transient(close_reason());
      }
    }
    Status got = co_await io_->read_into(in_);
    if (!got.ok()) co_return got.error();
  }
}

Status FlapConn::send_flap(std::uint8_t channel, ByteView payload) {
  if (closed()) return Error::transient("connection closed");
  Bytes bytes;
  bytes.reserve(kFlapHeaderSize + payload.size());
  if (auto st = append_flap(bytes, channel, seq_.take(), payload); !st) return st;
  return io_->queue(std::move(bytes));
}

Status FlapConn::send_snac(const SnacHeader& h, ByteView body) {
  if (closed()) return Error::transient("connection closed");
  Bytes bytes;
  bytes.reserve(kFlapHeaderSize + kSnacHeaderSize + body.size());
  if (auto st = append_snac_frame(bytes, seq_.take(), h, body); !st) return st;
  return io_->queue(std::move(bytes));
}

}  // namespace passerelle::oscar
