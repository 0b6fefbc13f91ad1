#include "oscar/codec/flap.hpp"

#include <algorithm>
#include <string>

#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {

namespace {

std::string hex8(std::uint8_t v) {
  static const char* d = "0123456789ABCDEF";
  return {'0', 'x', d[v >> 4], d[v & 15]};
}

// Checks a 6-byte header; returns the payload length or an Error.
Result<std::size_t> check_header(const std::uint8_t* h, std::size_t max_payload) {
  if (h[0] != kFlapStart) {
    return make_fault(Fault::bad_start_byte,
                      "FLAP frame starts with " + hex8(h[0]) + ", not 0x2A; stream lost");
  }
  if (!valid_channel(h[1])) {
    return make_fault(Fault::bad_channel, "FLAP channel " + std::to_string(h[1]) + " not in 1..5");
  }
  const std::size_t len = static_cast<std::size_t>((h[4] << 8) | h[5]);
  if (len > max_payload) {
    return make_fault(Fault::frame_too_long, "FLAP payload of " + std::to_string(len) +
                                                 " bytes over the limit of " +
                                                 std::to_string(max_payload));
  }
  return len;
}

std::uint16_t sequence_of(const std::uint8_t* h) {
  return static_cast<std::uint16_t>((h[2] << 8) | h[3]);
}

}  // namespace

Status append_flap(Bytes& out, std::uint8_t ch, std::uint16_t sequence, ByteView payload) {
  if (!valid_channel(ch)) {
    return make_fault(Fault::bad_channel, "FLAP channel " + std::to_string(ch) + " not in 1..5");
  }
  if (payload.size() > 0xFFFF) {
    return make_fault(Fault::value_too_long, "FLAP payload over 65,535 bytes");
  }
  out.reserve(out.size() + kFlapHeaderSize + payload.size());
  put_u8(out, kFlapStart);
  put_u8(out, ch);
  put_u16(out, sequence);
  put_u16(out, static_cast<std::uint16_t>(payload.size()));
  put_bytes(out, payload);
  return {};
}

std::size_t begin_flap(Bytes& out, std::uint8_t ch, std::uint16_t sequence) {
  const std::size_t start = out.size();
  put_u8(out, kFlapStart);
  put_u8(out, ch);
  put_u16(out, sequence);
  put_u16(out, 0);
  return start;
}

Status end_flap(Bytes& out, std::size_t frame_start) {
  const std::size_t len = out.size() - frame_start - kFlapHeaderSize;
  if (len > 0xFFFF) {
    out.resize(frame_start);
    return make_fault(Fault::value_too_long, "FLAP payload over 65,535 bytes");
  }
  patch_u16(out, frame_start + 4, static_cast<std::uint16_t>(len));
  return {};
}

Result<FlapFrame> decode_flap(ByteView bytes, std::size_t max_payload) {
  if (bytes.size() < kFlapHeaderSize) {
    return make_fault(Fault::truncated, "FLAP frame shorter than its 6-byte header");
  }
  auto len = check_header(bytes.data(), max_payload);
  if (!len) return len.error();
  if (bytes.size() - kFlapHeaderSize < *len) {
    return make_fault(Fault::truncated, "FLAP payload shorter than its length field");
  }
  if (bytes.size() - kFlapHeaderSize > *len) {
    return make_fault(Fault::trailing_bytes, "bytes after the FLAP payload");
  }
  return FlapFrame{bytes[1], sequence_of(bytes.data()),
                   Bytes(bytes.begin() + kFlapHeaderSize, bytes.end())};
}

FlapStep FlapDecoder::decode(ByteView input) {
  if (failure_) return {0, *failure_};
  std::size_t used = 0;
  if (header_len_ < kFlapHeaderSize) {
    const std::size_t take = std::min(kFlapHeaderSize - header_len_, input.size());
    std::copy_n(input.begin(), take, header_ + header_len_);
    header_len_ += take;
    used += take;
    // A bad start byte is reported as soon as it arrives, not after five more bytes.
    if (header_len_ >= 1 && header_[0] != kFlapStart) {
      failure_ = make_fault(Fault::bad_start_byte, "FLAP frame starts with " + hex8(header_[0]) +
                                                       ", not 0x2A; stream lost");
      return {used, *failure_};
    }
    if (header_len_ < kFlapHeaderSize) return {used, NeedMore{}};
    auto len = check_header(header_, max_payload_);
    if (!len) {
      failure_ = len.error();
      return {used, *failure_};
    }
    expected_ = *len;
    payload_.reserve(expected_);
  }
  const std::size_t take = std::min(expected_ - payload_.size(), input.size() - used);
  payload_.insert(payload_.end(), input.begin() + used, input.begin() + used + take);
  used += take;
  if (payload_.size() < expected_) return {used, NeedMore{}};

  FlapFrame f{header_[1], sequence_of(header_), std::move(payload_)};
  payload_ = Bytes();
  header_len_ = 0;
  expected_ = 0;
  return {used, std::move(f)};
}

void FlapDecoder::reset() {
  header_len_ = 0;
  expected_ = 0;
  payload_.clear();
  failure_.reset();
}

}  // namespace passerelle::oscar
