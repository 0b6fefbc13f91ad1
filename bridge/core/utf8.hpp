#pragma once
// UTF-8, the core's text encoding (DESIGN.md §2: bodies are UTF-8). Strict: overlong
// forms, surrogates and code points past U+10FFFF are invalid. Shared by the codecs that
// convert to and from their networks' charsets.

#include <cstddef>
#include <string>
#include <string_view>

namespace passerelle {

// Reads the code point at s[i] into `cp` and moves `i` past it; false (and `i` left
// where it was) when the bytes there are not valid UTF-8.
bool next_code_point(std::string_view s, std::size_t& i, char32_t& cp);

// Appends `cp` (a Unicode scalar value) encoded as UTF-8.
void append_utf8(std::string& out, char32_t cp);

bool is_valid_utf8(std::string_view s);

}  // namespace passerelle
