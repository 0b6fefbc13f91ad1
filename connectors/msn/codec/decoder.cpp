#include "msn/codec/decoder.hpp"

#include <algorithm>
#include <cstring>

namespace passerelle::msn {

DecodeStep Decoder::fail(std::size_t used, DecodeErrc code, std::string message) {
  fatal_ = DecodeError{code, std::move(message)};
  line_.clear();
  line_.shrink_to_fit();
  pending_.reset();
  return {used, *fatal_};
}

void Decoder::reset() {
  line_.clear();
  pending_.reset();
  payload_left_ = 0;
  fatal_.reset();
}

DecodeStep Decoder::decode(std::string_view input) {
  if (fatal_) return {0, *fatal_};
  if (pending_) return read_payload(input, 0);

  // A line may hold max_line bytes, then CR LF: a LF must come within max_line + 2 bytes.
  const std::size_t window = limits_.max_line + 2;
  const std::size_t allowance = window - std::min(window, line_.size());
  const std::size_t scan = std::min(allowance, input.size());
  const void* lf = scan ? std::memchr(input.data(), '\n', scan) : nullptr;
  if (lf == nullptr) {
    // A CR inside what we have must be the last byte seen so far (its LF may follow).
    const std::string_view part = input.substr(0, scan);
    const auto cr = part.find('\r');
    if (cr != std::string_view::npos && cr + 1 < part.size()) {
      return fail(cr + 1, DecodeErrc::bare_cr, "CR not followed by LF");
    }
    if (input.size() >= allowance) {
      return fail(scan, DecodeErrc::line_too_long,
                  "no end of line within " + std::to_string(limits_.max_line) + " bytes");
    }
    line_.append(part);
    return {input.size(), NeedMore{}};
  }
  const std::size_t n = static_cast<std::size_t>(static_cast<const char*>(lf) - input.data());
  if (line_.empty()) return on_line(input.substr(0, n), input.substr(n + 1), n + 1);
  line_.append(input.substr(0, n));
  std::string line = std::move(line_);
  line_.clear();
  return on_line(line, input.substr(n + 1), n + 1);
}

DecodeStep Decoder::on_line(std::string_view line, std::string_view after, std::size_t used) {
  if (line.empty() || line.back() != '\r') {
    return fail(used, DecodeErrc::bare_lf, "LF not preceded by CR");
  }
  line.remove_suffix(1);
  std::size_t payload_len = 0;
  DecodeErrc why = DecodeErrc::bad_verb;
  auto parsed = parse_line(line, grammar_, limits_, &payload_len, &why);
  if (!parsed) return fail(used, why, parsed.error().message);
  Command cmd = std::move(parsed).value();
  if (!cmd.payload) return {used, std::move(cmd)};
  if (after.size() >= payload_len) {
    // Fast path: the whole payload is already here.
    cmd.payload->assign(after.substr(0, payload_len));
    return {used + payload_len, std::move(cmd)};
  }
  // The byte count was checked against max_payload; reserve no more than what arrived, so
  // a lying count costs nothing until its bytes actually come.
  pending_ = std::move(cmd);
  payload_left_ = payload_len;
  return read_payload(after, used);
}

DecodeStep Decoder::read_payload(std::string_view input, std::size_t used) {
  const std::size_t take = std::min(payload_left_, input.size());
  pending_->payload->append(input.substr(0, take));
  payload_left_ -= take;
  used += take;
  if (payload_left_ > 0) return {used, NeedMore{}};
  Command cmd = std::move(*pending_);
  pending_.reset();
  return {used, std::move(cmd)};
}

}  // namespace passerelle::msn
