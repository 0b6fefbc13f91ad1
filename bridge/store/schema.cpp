// Versioned migrations. A database at user_version N gets migrations N+1.. applied in
// order, each in its own transaction. Never edit a released migration: add a new one.

#include <array>
#include <string>

#include "store/store.hpp"

namespace passerelle::store {
namespace {

constexpr std::array kMigrations = {
    // 1: the model of DESIGN.md §2 and the outbox of §4.
    R"sql(
CREATE TABLE people (
  name TEXT PRIMARY KEY,
  phone TEXT,
  sms_fallback INTEGER NOT NULL DEFAULT 1,
  monthly_cap INTEGER NOT NULL DEFAULT 0,
  source TEXT NOT NULL DEFAULT 'config',  -- 'config' or 'registration'
  updated_ms INTEGER NOT NULL
);
CREATE TABLE person_addresses (
  address TEXT PRIMARY KEY,
  person TEXT NOT NULL REFERENCES people(name) ON DELETE CASCADE
);
CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  local TEXT NOT NULL,   -- the bridge user's or linked account's address
  remote TEXT NOT NULL,  -- the other side
  created_ms INTEGER NOT NULL,
  UNIQUE (local, remote)
);
CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  recipient TEXT NOT NULL,
  body TEXT NOT NULL,
  origin_connector TEXT NOT NULL,
  origin_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
-- Duplicates are suppressed by the router within a time window: network ids are not
-- unique forever (clients restart stanza counters, SMPP has none).
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  message_id TEXT NOT NULL,
  connector TEXT NOT NULL,
  sender TEXT NOT NULL,
  recipient TEXT NOT NULL,  -- the body is the message's (messages.body)
  kind INTEGER NOT NULL DEFAULT 0,
  request_receipt INTEGER NOT NULL DEFAULT 0,
  notify TEXT NOT NULL DEFAULT '',        -- who hears of failure/receipt (address)
  notify_from TEXT NOT NULL DEFAULT '',   -- as whom (address)
  notify_origin TEXT NOT NULL DEFAULT '', -- the id the notified side knows the message by
  payer TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  segments INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  unknown_outcomes INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
-- No index on state: it changes at every step of a delivery and an index would be
-- rewritten each time; open deliveries are read once, at start-up.
CREATE INDEX deliveries_message ON deliveries(message_id);
CREATE TABLE network_ids (
  connector TEXT NOT NULL,
  network_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (connector, network_id)
);
CREATE INDEX network_ids_delivery ON network_ids(delivery_id);
CREATE TABLE sms_threads (
  sender_number TEXT NOT NULL,
  phone TEXT NOT NULL,
  local TEXT NOT NULL,    -- who the phone's replies go out as
  remote TEXT NOT NULL,   -- who they go to
  conversation_id TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (sender_number, phone, local, remote)
);
CREATE TABLE sms_optout (
  phone TEXT PRIMARY KEY,
  since_ms INTEGER NOT NULL
);
CREATE TABLE charges (
  id INTEGER PRIMARY KEY,
  delivery_id TEXT NOT NULL,
  payer TEXT NOT NULL,
  smsc TEXT NOT NULL,
  segment INTEGER NOT NULL,
  price INTEGER NOT NULL,
  month TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX charges_payer_month ON charges(payer, month);
CREATE INDEX charges_delivery ON charges(delivery_id);
)sql",
    // 2: AIM, ICQ and MSN accounts a person linked from their own XMPP client (XEP-0077).
    // Accounts from the configuration are not stored: the configuration is their source.
    // The password is what the bridge signs on with; the data directory is 0700.
    R"sql(
CREATE TABLE linked_accounts (
  account TEXT PRIMARY KEY,  -- address: aim:<screen name>, icq:<uin>, msn:<e-mail>
  person TEXT NOT NULL REFERENCES people(name) ON DELETE CASCADE,
  password TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX linked_accounts_person ON linked_accounts(person);
)sql",
    // 3: files a message carries, as links (a JSON array of {name, type, size, sha256, url};
    // '' for none): a file from an RCS phone shared to XMPP, a file from XMPP sent to RCS.
    R"sql(
ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '';
)sql",
    // 4: charges indexed by month, the only way they are read (the month's spend per payer,
    // at start-up). The index on (payer, month) served no query, and each new charge went
    // into it at its payer's place: a page written per payer per commit. A new charge goes
    // at the end of this one.
    R"sql(
DROP INDEX IF EXISTS charges_payer_month;
CREATE INDEX charges_month ON charges(month);
)sql",
};

}  // namespace

Result<int> migrate(Db& db) {
  auto st = db.prepare("PRAGMA user_version");
  if (!st.ok()) return st.error();
  auto row = (*st)->step();
  if (!row.ok()) return row.error();
  int version = static_cast<int>((*st)->col_int(0));
  (*st)->reset();
  if (version > static_cast<int>(kMigrations.size()))
    return Error::invalid("database schema version " + std::to_string(version) +
                          " is newer than this passerelle knows (" +
                          std::to_string(kMigrations.size()) +
                          "): upgrade passerelle or restore a matching backup");
  for (int v = version; v < static_cast<int>(kMigrations.size()); ++v) {
    if (auto s = db.exec("BEGIN IMMEDIATE"); !s.ok()) return s.error();
    Status applied = db.exec(kMigrations[static_cast<size_t>(v)]);
    if (applied.ok()) applied = db.exec("PRAGMA user_version = " + std::to_string(v + 1));
    if (!applied.ok()) {
      (void)db.exec("ROLLBACK");
      return Error::invalid("migration " + std::to_string(v + 1) +
                            " failed: " + applied.error().message);
    }
    if (auto s = db.exec("COMMIT"); !s.ok()) return s.error();
  }
  return static_cast<int>(kMigrations.size());
}

}  // namespace passerelle::store
