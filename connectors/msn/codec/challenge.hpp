#pragma once
// Answers to the notification server's CHL challenge (MSNP6+): "CHL 0 <challenge>" must be
// answered with "QRY trid <product-id> 32\r\n<32 lower-case hex digits>" or the server
// closes the connection (error 540).
//
//   MSNP8..10: md5_hex(challenge + product key), product id "msmsgs@msnmsgr.com".
//   MSNP11+:   the keyed hash documented on the MSNPiki "MSNP11:Challenges" page (also
//              kb.imfreedom.org, NINA wiki): MD5 of challenge + product key, folded with a
//              64-bit value computed from challenge + product id, hex-encoded.
// The product id/key pairs are those of the official clients; the revival servers accept
// them as they are.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "msn/codec/command.hpp"

namespace passerelle::msn {

struct ProductKey {
  std::string_view id;   // sent in QRY
  std::string_view key;  // mixed into the hash, never sent
};

// MSN Messenger 6.x (MSNP8..10).
inline constexpr ProductKey kMsnp8Product{"msmsgs@msnmsgr.com", "Q1P7W2E4J9R8U3S5"};
// MSN Messenger 7.0 (MSNP11); accepted for MSNP12 as well.
inline constexpr ProductKey kMsnp11Product{"PROD0090YUAUV{2B", "YMM8C_H7KCQ2S_KL"};

// Challenges are short ASCII strings (20 digits on the wire); anything longer than this,
// empty, or holding a byte outside 0x21..0x7E is refused before hashing.
inline constexpr std::size_t kMaxChallenge = 256;

Result<std::string> chl_response_msnp8(std::string_view challenge,
                                       const ProductKey& product = kMsnp8Product);
Result<std::string> chl_response_msnp11(std::string_view challenge,
                                        const ProductKey& product = kMsnp11Product);

// The QRY answering `chl` ("CHL 0 <challenge>") for protocol `version`.
Result<Command> answer_challenge(const Command& chl, std::uint32_t trid, int version);

}  // namespace passerelle::msn
