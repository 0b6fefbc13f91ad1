#pragma once
// Rows and the SQL that reads and writes them. Each function runs on the store's writer
// thread, inside a job (see Store::submit), or at start-up through Store::run_sync.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "model/message.hpp"
#include "store/db.hpp"

namespace passerelle::store {

struct MessageRow {
  std::string id, conversation_id, sender, recipient, body, origin_connector, origin_id;
  std::int64_t created_ms = 0;
  std::vector<Attachment> attachments;
};

struct DeliveryRow {
  std::string id, message_id, connector, sender, recipient;
  std::string body;                     // not stored with the delivery: it is the message's
  std::vector<Attachment> attachments;  // the message's too
  int kind = 0;
  bool request_receipt = false;
  std::string notify, notify_from, notify_origin, payer;
  DeliveryState state = DeliveryState::accepted;
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;
  int segments = 0;
  std::string reason;
  int unknown_outcomes = 0;
  std::int64_t created_ms = 0, updated_ms = 0;
};

struct ThreadRow {
  std::string sender_number, phone, local, remote, conversation_id;
  std::int64_t updated_ms = 0;
};

struct PersonRow {
  std::string name, phone;
  bool sms_fallback = true;
  std::int64_t monthly_cap = 0;
  std::string source = "config";
  std::vector<std::string> addresses;
};

// An AIM, ICQ or MSN account registered from the person's XMPP client. The password is in
// clear here and sealed in the table (secret_box.hpp, with db.secrets()).
struct LinkedAccountRow {
  std::string account;  // address text
  std::string person;
  std::string password;
};

struct NetworkIdRow {
  std::string connector, network_id, delivery_id;
  DeliveryState state = DeliveryState::acked;
};

DeliveryState parse_delivery_state(const std::string& s);

// Inserts unless a message with this id exists (a job run again): true when inserted,
// false for a duplicate. Duplicates by origin id are the router's (a time window in memory):
// network ids are not unique forever.
Result<bool> insert_message(Db& db, const MessageRow& m);
Status upsert_conversation(Db& db, const std::string& id, const std::string& local,
                           const std::string& remote, std::int64_t ms);
Status insert_delivery(Db& db, const DeliveryRow& d);
Status update_delivery(Db& db, const DeliveryRow& d);
Status upsert_network_id(Db& db, const NetworkIdRow& n);
Status upsert_thread(Db& db, const ThreadRow& t);
Status set_optout(Db& db, const std::string& phone, bool opted_out, std::int64_t ms);
Status insert_charges(Db& db, const std::string& delivery_id, const std::string& payer,
                      const std::string& smsc, int segments, std::int64_t price_each,
                      const std::string& month, std::int64_t ms);
Status delete_charges(Db& db, const std::string& delivery_id);
// Forgets the network ids of a delivery that is closed: no report can change it any more.
Status delete_network_ids(Db& db, const std::string& delivery_id);
Status upsert_person(Db& db, const PersonRow& p, std::int64_t ms);
Status delete_person(Db& db, const std::string& name);
// Seals the password with db.secrets() (fails without one).
Status upsert_linked_account(Db& db, const LinkedAccountRow& a, std::int64_t ms);
Status delete_linked_account(Db& db, const std::string& account);
// Seals the passwords a store from before sealing kept in clear (at open).
Status seal_clear_passwords(Db& db);

// Start-up loaders: each calls `row` for every row.
Status load_open_deliveries(Db& db, const std::function<void(DeliveryRow)>& row);
Status load_network_ids(Db& db, const std::function<void(NetworkIdRow)>& row);
Status load_threads(Db& db, const std::function<void(ThreadRow)>& row);

// The messages networks brought lately, as the router's duplicate check knows them: a
// network that sends a message again after a restart (an RCS platform whose webhook the
// bridge stored but did not answer before a crash) gets it acknowledged, not delivered
// twice (DESIGN.md §4).
struct RecentOrigin {
  std::string connector;  // the connector that brought it
  std::string from;       // its sender, as an address ("rcs:+33611111111")
  std::string origin_id;  // the network's id for it
  std::int64_t created_ms = 0;
};
// Messages stored since `since_ms` that carry a network id, oldest first. Their ids are
// ULIDs, which sort by time: the range is read through the primary key, not the table.
Status load_recent_origins(Db& db, std::int64_t since_ms,
                           const std::function<void(RecentOrigin)>& row);
Status load_optouts(Db& db, const std::function<void(std::string)>& row);
Status load_conversations(
    Db& db, const std::function<void(std::string id, std::string local, std::string remote)>& row);
Status load_people(Db& db, const std::function<void(PersonRow)>& row);
// A password that does not open with db.secrets() (the key file was replaced) is logged
// and its account skipped: it must be registered again.
Status load_linked_accounts(Db& db, const std::function<void(LinkedAccountRow)>& row);
// Sum of charges per payer for `month` ("YYYY-MM").
Status load_spend(Db& db, const std::string& month,
                  const std::function<void(std::string payer, std::int64_t total)>& row);

}  // namespace passerelle::store
