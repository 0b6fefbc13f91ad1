#pragma once
// Values shared by the RCS requests, answers and webhook events (GSMA FNW.11 as the MaaP
// SDKs implement it; tests/peers/rcs/README.md lists the sources).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace passerelle::rcs {

// A message's state on the platform (messageStatus events, GET .../status, the send
// answer). pending: accepted, not yet sent; cancelled: revoked by the bot.
enum class DeliveryStatus : std::uint8_t { pending, sent, delivered, displayed, failed, cancelled };

// "sent" -> sent, ...; both spellings of the revoke ("cancelled", "canceled") are
// cancelled. nullopt for any other word (the caller keeps the word itself).
std::optional<DeliveryStatus> parse_delivery_status(std::string_view word);
const char* delivery_status_name(DeliveryStatus s);  // "sent", ..., "cancelled"

// isTyping: "active" or "idle".
enum class Typing : std::uint8_t { active, idle };
std::optional<Typing> parse_typing(std::string_view word);
const char* typing_name(Typing t);

// A file as messages carry it (fileMessage, audioMessage, or a thumbnail).
struct FileRef {
  std::string url;                    // fileUrl: http(s)
  std::string name;                   // fileName, "" when not given
  std::string mime_type;              // fileMIMEType, "" when not given
  std::optional<std::uint64_t> size;  // fileSize in bytes
  friend bool operator==(const FileRef&, const FileRef&) = default;
};

// Who an event is from (messageContact). A phone is known by its number; an anonymised
// or group conversation by a chatId; an alias event names both.
struct Contact {
  std::string number;   // E.164 ("+14251234567"), "" when only a chatId is given
  std::string chat_id;  // "" when not given
  friend bool operator==(const Contact&, const Contact&) = default;
};

// The file object of an upload answer, of GET .../files/{fileId} and of a fileStatus event.
struct FileObject {
  std::string file_id;
  std::string file_url;                    // where the platform serves it (http(s))
  std::optional<std::uint64_t> file_size;  // bytes
  std::string status;                      // "ready" once usable; the word as sent
  std::string validity;                    // ISO 8601 expiry as sent, "" when not given
  bool ready() const { return status == "ready"; }
  friend bool operator==(const FileObject&, const FileObject&) = default;
};

}  // namespace passerelle::rcs
