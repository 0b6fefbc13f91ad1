#pragma once
// Splitting a UTF-8 text into SMS segments (3GPP TS 23.040 §9.2.3.24.1, 23.038). GSM 7-bit
// when every character is in the GSM alphabet, else UCS-2 (UTF-16BE). Limits per segment:
//   GSM 7-bit: 160 septets alone; 153 with an 8-bit-ref UDH, 152 with a 16-bit one.
//   UCS-2:     70 UTF-16 units alone; 67 with an 8-bit-ref UDH, 66 with a 16-bit one.
// An escape pair (GSM extension character) and a surrogate pair are never split, so a
// segment may carry one unit less than the limit.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "smpp/codec/udh.hpp"

namespace passerelle::smpp {

enum class SmsEncoding { gsm7, ucs2 };
const char* sms_encoding_name(SmsEncoding e);

inline constexpr std::size_t kMaxSegments = 255;

struct SegmentCount {
  SmsEncoding encoding = SmsEncoding::gsm7;
  std::uint8_t data_coding = 0x00;
  std::size_t units = 0;  // septets (GSM) or UTF-16 code units (UCS-2)
  std::size_t segments = 0;
};

// What the text would cost, without building the segments (the router prices with this).
// Fails on invalid UTF-8; an empty text is one segment.
Result<SegmentCount> count_segments(std::string_view utf8, RefSize ref_size = RefSize::bits8);

struct Segments {
  SmsEncoding encoding = SmsEncoding::gsm7;
  std::uint8_t data_coding = 0x00;  // 0x00 GSM 7-bit unpacked, 0x08 UCS-2
  bool udhi = false;                // set esm_class |= 0x40 on every segment
  // short_message of each segment: UDH + data (GSM: one septet per octet).
  std::vector<std::string> payloads;
  std::size_t count() const { return payloads.size(); }
};

// Splits the text. `ref` is the concatenation reference chosen by the caller (only its low
// 8 bits are used with RefSize::bits8). Fails on invalid UTF-8 or past 255 segments.
Result<Segments> segment(std::string_view utf8, std::uint16_t ref,
                         RefSize ref_size = RefSize::bits8);

}  // namespace passerelle::smpp
