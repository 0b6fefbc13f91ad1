#pragma once
// The records of the SMS part journal (connector/part_journal.hpp), one per line. Sans-IO:
//   "P <source hex> <destination hex> <ref> <8|16> <total> <seq> <data_coding> <data hex>"
//   "D <source hex> <destination hex> <ref> <total>"  (that message is committed or given up)
// An empty string is written "-". A line that does not parse (a write cut short by a
// crash, or anything else) is refused, never half read.

#include <optional>
#include <string>
#include <string_view>

#include "smpp/codec/reassembler.hpp"

namespace passerelle::smpp {

std::string journal_part_line(const Part& p);
std::string journal_done_line(const std::string& source, const std::string& destination,
                              std::uint16_t ref, std::uint8_t total);
struct JournalRecord {
  bool done = false;
  Part part;  // for a done record: source, destination and concat (ref, total) only
};
std::optional<JournalRecord> parse_journal_line(std::string_view line);

}  // namespace passerelle::smpp
