#pragma once
// Text encodings of SMS (3GPP TS 23.038): the GSM 7-bit default alphabet with its
// extension table, packed and unpacked, and UCS-2, which SMSCs in practice treat as
// UTF-16BE (surrogate pairs for characters outside the BMP).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/utf8.hpp"  // append_utf8, for callers of this header

namespace passerelle::smpp {

inline constexpr std::uint8_t kGsmEscape = 0x1B;

// data_coding values (SMPP 3.4 §5.2.19).
namespace coding {
inline constexpr std::uint8_t smsc_default = 0x00;  // passerelle sends GSM 7-bit unpacked
inline constexpr std::uint8_t ia5 = 0x01;
inline constexpr std::uint8_t binary = 0x02;
inline constexpr std::uint8_t latin1 = 0x03;
inline constexpr std::uint8_t binary8 = 0x04;
inline constexpr std::uint8_t ucs2 = 0x08;
}  // namespace coding

// Strict UTF-8 → code points: overlong forms, surrogates, values past U+10FFFF and
// truncated sequences are errors (Errc::invalid_input).
Result<std::u32string> utf8_to_code_points(std::string_view utf8);

// One septet per octet (0x00-0x7F), extension characters as 0x1B + code. Fails on invalid
// UTF-8 or a character outside the GSM alphabet (the message names it).
Result<std::string> utf8_to_gsm7(std::string_view utf8);
// Septets of one code point: 1, 2 (extension table) or 0 when not representable.
int gsm7_septets(char32_t cp);
// Whether every character of valid UTF-8 text is in the GSM alphabet (false on invalid UTF-8).
bool fits_gsm7(std::string_view utf8);
// Septets the text takes in GSM 7-bit, extension characters counting 2; nullopt-like
// error when it does not fit.
Result<std::size_t> gsm7_length(std::string_view utf8);

// Unpacked septets → UTF-8. Octets above 0x7F are an error. An escape followed by a code
// the extension table does not define gives the default-table character (23.038 §6.2.1.1);
// a trailing lone escape is dropped.
Result<std::string> gsm7_to_utf8(std::string_view septets);

// Packing of septets into octets, least significant bit first (23.038 §6.1.2.1).
// `fill_bits` (0-6) are the zero bits that align the first septet after a UDH.
std::string pack_septets(std::string_view septets, int fill_bits = 0);
// Takes `count` septets from packed octets; fewer if the octets run out.
std::string unpack_septets(std::string_view octets, std::size_t count, int fill_bits = 0);

// UTF-8 → UTF-16BE octets. Fails on invalid UTF-8.
Result<std::string> utf8_to_ucs2(std::string_view utf8);
// UTF-16BE octets → UTF-8. An odd length is an error; an unpaired surrogate becomes U+FFFD.
Result<std::string> ucs2_to_utf8(std::string_view octets);
// UTF-16 code units the text takes (2 for characters outside the BMP).
Result<std::size_t> utf16_length(std::string_view utf8);

// The text of a short message in the given data_coding: 0x00 GSM 7-bit unpacked (Latin-1
// when an octet has its top bit set, as some SMSCs send), 0x01 IA5, 0x03 Latin-1, 0x08
// UCS-2/UTF-16BE; other codings (binary) are an error.
Result<std::string> decode_text(std::uint8_t data_coding, std::string_view octets);

}  // namespace passerelle::smpp
