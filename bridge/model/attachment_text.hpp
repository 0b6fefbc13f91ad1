#pragma once
// Attachments told in words, for networks that carry text only (SMS, AIM, ICQ, MSN) and
// for logs: "photo.jpg (2.5 MB): https://files.example.org/files/<token>/photo.jpg".

#include <cstdint>
#include <string>
#include <vector>

#include "model/message.hpp"

namespace passerelle {

// "12.5 MB", "900 bytes": sizes for people (decimal units, as phones show them).
std::string human_size(std::uint64_t bytes);

// One line for one attachment: its name (or "file"), its size when known, its URL.
std::string attachment_line(const Attachment& a);

// `body` followed by one line per attachment whose URL it does not already contain (the
// first on the same line when `body` ends with a space: "[XMPP] alice@example.org: ").
std::string with_attachment_lines(std::string body, const std::vector<Attachment>& attachments);

}  // namespace passerelle
