#pragma once
// Percent-encoding (RFC 3986 §2.1): every byte but the unreserved characters (letters,
// digits, '-', '.', '_', '~') as %XX with upper-case hex. Shared by the codecs that put
// text into URLs and form bodies (MSN names and Passport, RCS paths and token forms).

#include <optional>
#include <string>
#include <string_view>

namespace passerelle {

std::string percent_encode(std::string_view bytes);
// %XX (either case) decoded; nullopt for a '%' not followed by two hex digits (URL paths
// the bridge serves).
std::optional<std::string> percent_decode(std::string_view text);
// %XX decoded; a '%' not followed by two hex digits kept as it is (names and ids read from
// other servers, which may not escape a '%').
std::string percent_decode_lenient(std::string_view text);

}  // namespace passerelle
