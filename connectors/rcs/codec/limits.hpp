#pragma once
// Limits of the RCS codec (STYLE.md habit 2: a limit for every decoder). They bound what
// the codec parses from the platform (webhook events, API answers) and what it builds for
// it; the defaults follow the MaaP test server (tests/peers/rcs/README.md) and the SDKs.

#include <cstddef>

namespace passerelle::rcs {

struct Limits {
  // A webhook event or an API answer, in bytes; over it the body is refused before it is
  // parsed (the test platform's max_json_body is 256 KiB).
  std::size_t max_body = 256 * 1024;
  // JSON nesting (the deepest documented shape, a rich card carousel, is 8 deep).
  std::size_t max_depth = 24;
  // A textMessage, in bytes of UTF-8, both ways.
  std::size_t max_text = 64 * 1024;
  // URLs (fileUrl, thumbnailUrl, action URLs), in bytes.
  std::size_t max_url = 8 * 1024;
  // Any other string read or written: ids, names, content types, timestamps, labels.
  std::size_t max_string = 2048;
  // A message id the bridge chooses (the platform refuses more than 128 characters).
  std::size_t max_msg_id = 128;
  // Suggestions in a chip list (FNW.11 and the SDKs: 11).
  std::size_t max_suggestions = 11;
  // A suggestion's displayText, in characters (code points).
  std::size_t max_display_text = 25;
  // A suggestion's postback data, in characters (code points).
  std::size_t max_postback = 2048;
  // Entries of a capability answer.
  std::size_t max_capabilities = 64;
  // The text kept from an error body (plain or JSON), in bytes.
  std::size_t max_error_text = 512;
};

}  // namespace passerelle::rcs
