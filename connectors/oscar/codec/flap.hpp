#pragma once
// FLAP, the framing layer under all of OSCAR: start byte 0x2A, channel (u8), sequence
// (u16), payload length (u16), payload. Channels: 1 new connection (version u32 = 1, then
// TLVs), 2 SNAC data, 3 FLAP-level error, 4 close connection (TLVs), 5 keep-alive.
// (OSCAR protocol documentation, "FLAP" section; iserverd's "FLAP header" page.)
//
// Sans-IO: FlapDecoder frames a byte stream like Beast's basic_parser::put (bytes in,
// a frame or NeedMore or an Error out), append_flap() appends bytes. The maximum payload
// is data (FlapDecoder's constructor); the header is checked before any payload byte is
// buffered, so a hostile length never makes the decoder hold more than that maximum.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>

#include "core/result.hpp"
#include "oscar/codec/bytes.hpp"

namespace passerelle::oscar {

inline constexpr std::uint8_t kFlapStart = 0x2A;
inline constexpr std::size_t kFlapHeaderSize = 6;
// 8 KiB holds every SNAC a BOS server sends a client (buddy lists arrive split over several
// SNACs); the wire allows 65,535, and a session may raise the limit up to that.
inline constexpr std::size_t kDefaultMaxFlapPayload = 8 * 1024;
inline constexpr std::uint32_t kFlapVersion = 1;  // first u32 of a channel-1 payload

namespace channel {
inline constexpr std::uint8_t login = 1;      // new connection: version, then TLVs
inline constexpr std::uint8_t snac = 2;       // SNAC data
inline constexpr std::uint8_t error = 3;      // FLAP-level error
inline constexpr std::uint8_t close = 4;      // close connection (TLVs: error code, URL)
inline constexpr std::uint8_t keepalive = 5;  // keep-alive, payload usually empty
}  // namespace channel

inline bool valid_channel(std::uint8_t c) {
  return c >= 1 && c <= 5;
}

struct FlapFrame {
  std::uint8_t channel = channel::snac;
  std::uint16_t sequence = 0;
  Bytes payload;
  friend bool operator==(const FlapFrame&, const FlapFrame&) = default;
};

// Appends one frame. Fails (appending nothing) on a channel outside 1..5 or a payload
// over 65,535 bytes.
Status append_flap(Bytes& out, std::uint8_t channel, std::uint16_t sequence, ByteView payload);
inline Status append_flap(Bytes& out, const FlapFrame& f) {
  return append_flap(out, f.channel, f.sequence, f.payload);
}

// Building a payload in place, without a temporary: begin_flap() writes the header with a
// zero length and returns its offset; the caller appends the payload; end_flap() patches
// the length, or fails and removes the whole frame if the payload is over 65,535 bytes.
std::size_t begin_flap(Bytes& out, std::uint8_t channel, std::uint16_t sequence);
Status end_flap(Bytes& out, std::size_t frame_start);

// Decodes exactly one whole frame (header + payload, nothing after it).
Result<FlapFrame> decode_flap(ByteView bytes, std::size_t max_payload = kDefaultMaxFlapPayload);

struct NeedMore {
  friend bool operator==(const NeedMore&, const NeedMore&) = default;
};
using FlapOutcome = std::variant<NeedMore, FlapFrame, Error>;

struct FlapStep {
  std::size_t consumed = 0;  // bytes taken from the input
  FlapOutcome outcome;
};

// Frames a byte stream. decode() consumes input up to the end of one frame and returns it,
// or consumes everything and says NeedMore. Every error is fatal to the stream (FLAP has
// no resynchronisation marker we could trust): after one, decode() consumes nothing and
// returns the same error until reset(). It holds at most one partial frame.
//
//   while (!in.empty()) {
//     auto step = decoder.decode(in);
//     in = in.subspan(step.consumed);
//     ... handle step.outcome; close the connection on an Error ...
//   }
class FlapDecoder {
 public:
  explicit FlapDecoder(std::size_t max_payload = kDefaultMaxFlapPayload)
      : max_payload_(max_payload) {}

  FlapStep decode(ByteView input);
  void reset();
  std::size_t buffered() const { return header_len_ + payload_.size(); }
  bool failed() const { return failure_.has_value(); }
  std::size_t max_payload() const { return max_payload_; }

 private:
  std::size_t max_payload_;
  std::uint8_t header_[kFlapHeaderSize] = {};
  std::size_t header_len_ = 0;
  std::size_t expected_ = 0;  // payload length once the header is in
  Bytes payload_;
  std::optional<Error> failure_;
};

// Sequence numbers: each side numbers its own frames, +1 per frame, wrapping from 0xFFFF
// to 0x0000. Clients traditionally start at a random value below 0x8000.
inline std::uint16_t next_sequence(std::uint16_t s) {
  return static_cast<std::uint16_t>(s + 1);
}

class FlapSequence {
 public:
  explicit FlapSequence(std::uint16_t first = 0) : next_(first) {}
  // The number for the frame about to be sent; advances.
  std::uint16_t take() {
    const std::uint16_t s = next_;
    next_ = next_sequence(next_);
    return s;
  }
  std::uint16_t peek() const { return next_; }

 private:
  std::uint16_t next_;
};

}  // namespace passerelle::oscar
