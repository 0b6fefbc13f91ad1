#pragma once
// How a message's attachments are kept in messages.attachments: a JSON array of
// {"name", "type", "size", "sha256", "url"}, or '' for none.

#include <string>
#include <string_view>
#include <vector>

#include "model/message.hpp"

namespace passerelle::store {

std::string encode_attachments(const std::vector<Attachment>& attachments);
// What cannot be read (a hand-edited database) gives no attachments, never an exception:
// the message itself is still delivered.
std::vector<Attachment> decode_attachments(std::string_view text);

}  // namespace passerelle::store
