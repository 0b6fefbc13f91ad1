#pragma once
// Lowercase hexadecimal, both ways (digests, tokens, keys, cookies).

#include <cstddef>
#include <string>
#include <string_view>

namespace passerelle {

std::string to_hex(const void* data, std::size_t size);
// The value of one hex digit (either case), -1 for any other character.
int hex_digit(char c);
// Either case; false (and `out` unspecified) for an odd length or a non-hex character.
bool from_hex(std::string_view hex, std::string& out);

}  // namespace passerelle
