#pragma once
// Parts of long SMS answered before their message was whole and committed, kept on disk
// until it is. An SMSC that sends the next part only once the previous one is answered
// (window 1) cannot wait for the whole message: after smsc.part_hold_ms each part is
// answered as accepted, and the SMSC will not send it again. Written here first (and
// synced), a part survives a crash: at start the parts go back into the reassembler, and
// the parts the SMSC still had to send complete the message.
//
// The file holds one record per line (smpp/codec/part_record.hpp), appended; a line that
// does not parse (a crash in the middle of a write) is skipped. Not thread-safe: the
// connector's strand only.

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "smpp/codec/part_record.hpp"
#include "smpp/codec/reassembler.hpp"

namespace passerelle::smpp {

class PartJournal {
 public:
  // An empty path keeps nothing (every call succeeds and does nothing).
  explicit PartJournal(std::filesystem::path file) : file_(std::move(file)) {}
  ~PartJournal();
  PartJournal(const PartJournal&) = delete;
  PartJournal& operator=(const PartJournal&) = delete;

  // At start: the parts of messages not done, in the order they were written. The file is
  // rewritten with only those (removed when there are none).
  Result<std::vector<Part>> recover();
  // Appends the part and syncs it to disk; then the part may be answered.
  Status add(const Part& p);
  // The message is committed (or given up): its parts are no longer needed. Only written
  // for a message that has parts here; the file is emptied once no message has any.
  Status done(const std::string& source, const std::string& destination, std::uint16_t ref,
              std::uint8_t total);
  std::size_t messages() const { return live_.size(); }

 private:
  Status append(const std::string& line, bool sync);
  Status open_for_append();
  static std::string key(const std::string& source, const std::string& destination,
                         std::uint16_t ref, std::uint8_t total);

  std::filesystem::path file_;
  int fd_ = -1;
  std::set<std::string> live_;  // messages with parts in the file
};

}  // namespace passerelle::smpp
