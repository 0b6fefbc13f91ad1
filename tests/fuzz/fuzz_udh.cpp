// UDH parsing and reassembly with small limits: the input is a sequence of records
// [len][flags][bytes...] turned into deliver_sm bodies fed to one Reassembler, with the
// clock advancing. The reassembler must never hold more than its limits.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "smpp/codec/reassembler.hpp"
#include "smpp/codec/udh.hpp"

using namespace passerelle::smpp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  if (auto u = parse_udh(all); u && u->size > all.size()) std::abort();

  const ReassemblerLimits limits{.max_partials = 4, .max_bytes = 600, .timeout_ms = 50};
  Reassembler r(limits);
  std::int64_t now = 0;
  std::size_t i = 0;
  while (i + 2 <= size) {
    const std::size_t len = data[i];
    const std::uint8_t flags = data[i + 1];
    i += 2;
    const std::size_t n = std::min(len, size - i);
    ShortMessageBody sm;
    sm.source_addr = std::string(1, static_cast<char>('a' + (flags & 3)));
    sm.esm_class = (flags & 0x80) ? kEsmUdhi : 0;
    sm.data_coding = (flags & 0x40) ? 0x08 : 0x00;
    sm.short_message.assign(all.substr(i, n));
    if (flags & 0x20) {
      sm.tlvs.sar_msg_ref_num = flags & 0x0F;
      sm.tlvs.sar_total_segments = (flags >> 2) & 3;
      sm.tlvs.sar_segment_seqnum = flags & 3;
    }
    i += n;
    now += flags & 0x1F;
    if (auto p = part_of(sm); p) {
      auto res = r.add(std::move(*p), now);
      if (res.outcome == Reassembler::Outcome::complete && !res.message) std::abort();
    }
    if (flags & 0x10) r.expire(now);
    if (r.partials() > limits.max_partials || r.bytes() > limits.max_bytes) std::abort();
  }
  r.expire(now + limits.timeout_ms);
  if (r.partials() != 0 || r.bytes() != 0) std::abort();
  return 0;
}
