#pragma once
// Delivery receipts: the free-text format of SMPP 3.4 Appendix B and the receipted_message_id
// / message_state TLVs (§5.3.2.12, §5.3.2.35).

#include <optional>
#include <string>
#include <string_view>

#include "model/message.hpp"
#include "smpp/codec/pdu.hpp"

namespace passerelle::smpp {

// "id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD
// err:E text: ...". Keys are case-insensitive, "submit_date"/"done_date" are accepted, any
// field may be missing. Values are kept as text: ids may be hex or decimal and are compared
// as strings by the caller.
struct ReceiptText {
  std::string id;
  std::string sub;
  std::string dlvrd;
  std::string submit_date;
  std::string done_date;
  std::string stat;
  std::string err;
  std::string text;
};

// nullopt when the text has neither an id nor a stat field.
std::optional<ReceiptText> parse_receipt_text(std::string_view text);

// The one mapping from SMPP message states to passerelle's lifecycle. Takes the Appendix B
// words (DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN, REJECTD, ENROUTE) and their
// long forms (DELIVERED, UNDELIVERABLE, ACCEPTED, REJECTED), case-insensitive; anything
// else is unknown.
DeliveryState delivery_state_from_stat(std::string_view stat);
// For the states that fail a message, why, in words a sender understands ("the phone's
// network could not deliver it"); empty for the others.
std::string_view describe_stat(std::string_view stat);
// message_state TLV value → its Appendix B word ("DELIVRD"), "UNKNOWN" for other values.
std::string_view stat_from_message_state(std::uint8_t message_state);

struct Receipt {
  std::string message_id;  // the id the SMSC gave in submit_sm_resp
  std::string stat;        // Appendix B word
  DeliveryState state = DeliveryState::unknown;
  std::string err;  // err: field, or the network_error_code TLV as "type:code"
  std::optional<ReceiptText> fields;
};

// Whether a deliver_sm is a delivery receipt: esm_class message type 0x04 (§5.2.12), or a
// receipted_message_id TLV.
bool is_receipt(const ShortMessageBody& sm);
// Receipt from the TLVs where present, the text otherwise (TLVs win field by field).
// nullopt when there is no message id in either.
std::optional<Receipt> receipt_of(const ShortMessageBody& sm);

}  // namespace passerelle::smpp
