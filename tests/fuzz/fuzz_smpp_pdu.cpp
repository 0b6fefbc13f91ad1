// Streaming SMPP decoder on arbitrary bytes, fed in chunks whose sizes come from the input.
// Every PDU that decodes must re-encode, and the re-encoding must decode to the same PDU.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "smpp/codec/decoder.hpp"

using namespace passerelle::smpp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  std::span<const std::uint8_t> in(data + 1, size - 1);
  PduDecoder dec(4096);
  while (!in.empty()) {
    auto piece = in.first(std::min(chunk, in.size()));
    in = in.subspan(piece.size());
    while (!piece.empty()) {
      auto step = dec.decode(piece);
      if (step.consumed > piece.size()) std::abort();
      piece = piece.subspan(step.consumed);
      if (dec.buffered() > 4096) std::abort();
      if (auto* pdu = std::get_if<Pdu>(&step.outcome)) {
        std::vector<std::uint8_t> out;
        if (!encode(*pdu, out).ok()) std::abort();
        auto again = decode_pdu(out, out.size());
        auto* p2 = std::get_if<Pdu>(&again);
        if (p2 == nullptr || !(*p2 == *pdu)) std::abort();
      } else if (auto* err = std::get_if<DecodeError>(&step.outcome)) {
        if (err->fatal()) return 0;
        if (err->status == 0) std::abort();
      }
    }
  }
  return 0;
}
