// GSM 03.38 and UCS-2 decoders on arbitrary bytes, then re-encoding of what decoded, and the
// segmenter on arbitrary (often invalid) UTF-8.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "smpp/codec/gsm0338.hpp"
#include "smpp/codec/segmenter.hpp"

using namespace passerelle::smpp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  if (auto text = gsm7_to_utf8(in); text) {
    auto g = utf8_to_gsm7(*text);
    if (!g) std::abort();  // whatever GSM decodes to is GSM-encodable
    if (gsm7_to_utf8(*g).value() != *text) std::abort();
  }
  if (auto text = ucs2_to_utf8(in); text) {
    auto u = utf8_to_ucs2(*text);
    if (!u || ucs2_to_utf8(*u).value() != *text) std::abort();
  }
  const std::string packed = pack_septets(in);
  if (unpack_septets(packed, in.size()).size() != in.size()) std::abort();

  // The input as UTF-8 text: segment it and check the segments put back together.
  if (size <= 4096) {
    const RefSize ref_size = size % 2 ? RefSize::bits16 : RefSize::bits8;
    auto count = count_segments(in, ref_size);
    auto segs = segment(in, static_cast<std::uint16_t>(size), ref_size);
    if (count.ok() != segs.ok() && segs.error().code != passerelle::Errc::limit_exceeded)
      std::abort();
    if (segs) {
      if (segs->count() != count->segments) std::abort();
      std::string joined;
      const std::size_t udh = segs->udhi ? concat_udh_size(ref_size) : 0;
      for (const auto& p : segs->payloads) {
        if (p.size() > 254) std::abort();
        joined += p.substr(udh);
      }
      auto back = decode_text(segs->data_coding, joined);
      if (!back || *back != in) std::abort();
    }
  }
  return 0;
}
