#pragma once
// Percent-encoding (RFC 3986 §2.1): every byte but the unreserved characters (letters,
// digits, '-', '.', '_', '~') as %XX with upper-case hex. Shared by the codecs that put
// text into URLs and form bodies (MSN names and Passport, RCS paths and token forms).

#include <string>
#include <string_view>

namespace passerelle {

std::string percent_encode(std::string_view bytes);

}  // namespace passerelle
