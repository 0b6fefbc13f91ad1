#pragma once
// Reassembly of concatenated inbound SMS (3GPP TS 23.040 §9.2.3.24.1 UDH, or the SMPP 3.4
// sar_* TLVs §5.3.2.22-24). Sans-IO: the caller passes the time. State is bounded by a
// count of partial messages and a byte budget; when either is exceeded the oldest partial
// message is dropped and reported. Not thread-safe: one instance per session strand.

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/result.hpp"
#include "smpp/codec/pdu.hpp"
#include "smpp/codec/udh.hpp"

namespace passerelle::smpp {

// The user data of one deliver_sm/data_sm, with its concatenation info if any.
struct Part {
  std::string source;       // source_addr
  std::string destination;  // destination_addr
  std::optional<Concat> concat;
  std::uint8_t data_coding = 0;
  std::string data;  // without UDH
};

// Takes the user data of a deliver_sm: message_payload if present, else short_message;
// strips the UDH when esm_class has UDHI; concatenation from the UDH or the sar_* TLVs.
// Fails on a malformed UDH.
Result<Part> part_of(const ShortMessageBody& sm);
Result<Part> part_of(const DataSmBody& sm);

struct ReassemblerLimits {
  std::size_t max_partials = 1024;       // partial messages held at once
  std::size_t max_bytes = 1024 * 1024;   // user data octets held at once
  std::int64_t timeout_ms = 120 * 1000;  // from the first part's arrival
};

struct Reassembled {
  std::string source;
  std::string destination;
  std::optional<Concat> concat;  // unset for a single-part message
  std::uint8_t data_coding = 0;
  std::string text;  // UTF-8
};

enum class DropReason { timeout, too_many_partials, too_many_bytes };
const char* drop_reason_name(DropReason r);

struct DroppedPartial {
  std::string source;
  std::string destination;
  std::uint16_t ref = 0;
  std::uint8_t total = 0;
  std::size_t received = 0;  // distinct parts that had arrived
  DropReason reason = DropReason::timeout;
};

class Reassembler {
 public:
  explicit Reassembler(ReassemblerLimits limits = {}) : limits_(limits) {}

  enum class Outcome {
    incomplete,   // stored, waiting for more parts
    complete,     // `message` is set
    duplicate,    // this seq was already held; ignored
    undecodable,  // complete but not text in its data_coding (`error`); state freed
    rejected,     // the part alone exceeds the byte budget (`error`)
  };
  struct AddResult {
    Outcome outcome = Outcome::incomplete;
    std::optional<Reassembled> message;
    std::vector<DroppedPartial> dropped;  // evicted to make room for this part
    std::optional<Error> error;
  };

  AddResult add(Part part, std::int64_t now_ms);
  // Drops and returns partial messages older than the timeout.
  std::vector<DroppedPartial> expire(std::int64_t now_ms);

  std::size_t partials() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  using Key = std::tuple<std::string, std::string, std::uint16_t, std::uint8_t>;
  struct Entry {
    Key key;
    std::int64_t first_ms = 0;
    std::uint8_t data_coding = 0;
    RefSize ref_size = RefSize::bits8;
    std::vector<std::optional<std::string>> parts;  // index seq-1
    std::size_t received = 0;
    std::size_t bytes = 0;
  };

  DroppedPartial drop_front(DropReason why);

  ReassemblerLimits limits_;
  std::list<Entry> entries_;  // oldest first
  std::map<Key, std::list<Entry>::iterator> index_;
  std::size_t bytes_ = 0;
};

}  // namespace passerelle::smpp
