#include "store/records.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "core/ulid.hpp"
#include "store/attachments.hpp"
#include "store/secret_box.hpp"

namespace passerelle::store {
namespace {

// Runs one cached statement with `bind` applied.
template <typename Bind>
Status run(Db& db, Sql sql, Bind&& bind) {
  auto st = db.prepare(sql);
  if (!st.ok()) return st.error();
  bind(**st);
  return (*st)->run();
}

template <typename Row, typename Bind>
Status each(Db& db, Sql sql, Row&& row, Bind&& bind) {
  auto st = db.prepare(sql);
  if (!st.ok()) return st.error();
  bind(**st);
  for (;;) {
    auto r = (*st)->step();
    if (!r.ok()) return r.error();
    if (!*r) break;
    row(**st);
  }
  (*st)->reset();
  return {};
}

template <typename Row>
Status each(Db& db, Sql sql, Row&& row) {
  return each(db, sql, std::forward<Row>(row), [](Stmt&) {});
}

}  // namespace

DeliveryState parse_delivery_state(const std::string& s) {
  for (auto st : {DeliveryState::accepted, DeliveryState::routed, DeliveryState::sent,
                  DeliveryState::acked, DeliveryState::delivered, DeliveryState::read,
                  DeliveryState::failed, DeliveryState::unknown})
    if (delivery_state_name(st) == s) return st;
  return DeliveryState::unknown;
}

Result<bool> insert_message(Db& db, const MessageRow& m) {
  const std::string attachments = encode_attachments(m.attachments);  // bound without a copy
  auto st = run(
      db,
      "INSERT OR IGNORE INTO messages(id, conversation_id, sender, recipient, body, "
      "origin_connector, origin_id, created_ms, attachments) VALUES (?,?,?,?,?,?,?,?,?)",
      [&](Stmt& s) {
        s.bind(1, m.id).bind(2, m.conversation_id).bind(3, m.sender).bind(4, m.recipient);
        s.bind(5, m.body).bind(6, m.origin_connector).bind(7, m.origin_id).bind(8, m.created_ms);
        s.bind(9, attachments);
      });
  if (!st.ok()) return st.error();
  return db.changes() > 0;
}

Status upsert_conversation(Db& db, const std::string& id, const std::string& local,
                           const std::string& remote, std::int64_t ms) {
  return run(db,
             "INSERT OR IGNORE INTO conversations(id, local, remote, created_ms) VALUES (?,?,?,?)",
             [&](Stmt& s) { s.bind(1, id).bind(2, local).bind(3, remote).bind(4, ms); });
}

Status insert_delivery(Db& db, const DeliveryRow& d) {
  return run(
      db,
      "INSERT INTO deliveries(id, message_id, connector, sender, recipient, kind, request_receipt, "
      "notify, notify_from, notify_origin, payer, state, attempts, next_attempt_ms, segments, "
      "reason, "
      "unknown_outcomes, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      [&](Stmt& s) {
        s.bind(1, d.id).bind(2, d.message_id).bind(3, d.connector).bind(4, d.sender);
        s.bind(5, d.recipient).bind(6, d.kind).bind(7, d.request_receipt ? 1 : 0);
        s.bind(8, d.notify).bind(9, d.notify_from).bind(10, d.notify_origin).bind(11, d.payer);
        s.bind_static(12, delivery_state_name(d.state))
            .bind(13, d.attempts)
            .bind(14, d.next_attempt_ms);
        s.bind(15, d.segments).bind(16, d.reason).bind(17, d.unknown_outcomes);
        s.bind(18, d.created_ms).bind(19, d.updated_ms);
      });
}

Status update_delivery(Db& db, const DeliveryRow& d) {
  return run(
      db,
      "UPDATE deliveries SET state=?, attempts=?, next_attempt_ms=?, segments=?, reason=?, "
      "unknown_outcomes=?, updated_ms=? WHERE id=?",
      [&](Stmt& s) {
        s.bind_static(1, delivery_state_name(d.state))
            .bind(2, d.attempts)
            .bind(3, d.next_attempt_ms);
        s.bind(4, d.segments).bind(5, d.reason).bind(6, d.unknown_outcomes).bind(7, d.updated_ms);
        s.bind(8, d.id);
      });
}

Status upsert_network_id(Db& db, const NetworkIdRow& n) {
  return run(db,
             "INSERT INTO network_ids(connector, network_id, delivery_id, state) VALUES (?,?,?,?) "
             "ON CONFLICT(connector, network_id) DO UPDATE SET delivery_id=excluded.delivery_id, "
             "state=excluded.state",
             [&](Stmt& s) {
               s.bind(1, n.connector).bind(2, n.network_id).bind(3, n.delivery_id);
               s.bind_static(4, delivery_state_name(n.state));
             });
}

Status delete_network_ids(Db& db, const std::string& delivery_id) {
  return run(db, "DELETE FROM network_ids WHERE delivery_id=?",
             [&](Stmt& s) { s.bind(1, delivery_id); });
}

Status upsert_thread(Db& db, const ThreadRow& t) {
  return run(
      db,
      "INSERT INTO sms_threads(sender_number, phone, local, remote, conversation_id, updated_ms) "
      "VALUES (?,?,?,?,?,?) ON CONFLICT(sender_number, phone, local, remote) DO UPDATE SET "
      "conversation_id=excluded.conversation_id, updated_ms=excluded.updated_ms",
      [&](Stmt& s) {
        s.bind(1, t.sender_number).bind(2, t.phone).bind(3, t.local).bind(4, t.remote);
        s.bind(5, t.conversation_id).bind(6, t.updated_ms);
      });
}

Status set_optout(Db& db, const std::string& phone, bool opted_out, std::int64_t ms) {
  if (opted_out)
    return run(db, "INSERT OR REPLACE INTO sms_optout(phone, since_ms) VALUES (?,?)",
               [&](Stmt& s) { s.bind(1, phone).bind(2, ms); });
  return run(db, "DELETE FROM sms_optout WHERE phone=?", [&](Stmt& s) { s.bind(1, phone); });
}

Status insert_charges(Db& db, const std::string& delivery_id, const std::string& payer,
                      const std::string& smsc, int segments, std::int64_t price_each,
                      const std::string& month, std::int64_t ms) {
  for (int i = 1; i <= segments; ++i) {
    auto st =
        run(db,
            "INSERT INTO charges(delivery_id, payer, smsc, segment, price, month, created_ms) "
            "VALUES (?,?,?,?,?,?,?)",
            [&](Stmt& s) {
              s.bind(1, delivery_id).bind(2, payer).bind(3, smsc).bind(4, i).bind(5, price_each);
              s.bind(6, month).bind(7, ms);
            });
    if (!st.ok()) return st;
  }
  return {};
}

Status delete_charges(Db& db, const std::string& delivery_id) {
  return run(db, "DELETE FROM charges WHERE delivery_id=?",
             [&](Stmt& s) { s.bind(1, delivery_id); });
}

Status upsert_person(Db& db, const PersonRow& p, std::int64_t ms) {
  auto st = run(
      db,
      "INSERT INTO people(name, phone, sms_fallback, monthly_cap, source, updated_ms) VALUES "
      "(?,?,?,?,?,?) "
      "ON CONFLICT(name) DO UPDATE SET phone=excluded.phone, sms_fallback=excluded.sms_fallback, "
      "monthly_cap=excluded.monthly_cap, source=excluded.source, updated_ms=excluded.updated_ms",
      [&](Stmt& s) {
        s.bind(1, p.name).bind(2, p.phone).bind(3, p.sms_fallback ? 1 : 0).bind(4, p.monthly_cap);
        s.bind(5, p.source).bind(6, ms);
      });
  if (!st.ok()) return st;
  st = run(db, "DELETE FROM person_addresses WHERE person=?", [&](Stmt& s) { s.bind(1, p.name); });
  if (!st.ok()) return st;
  for (const auto& a : p.addresses) {
    st = run(db, "INSERT OR REPLACE INTO person_addresses(address, person) VALUES (?,?)",
             [&](Stmt& s) { s.bind(1, a).bind(2, p.name); });
    if (!st.ok()) return st;
  }
  return {};
}

Status delete_person(Db& db, const std::string& name) {
  return run(db, "DELETE FROM people WHERE name=?", [&](Stmt& s) { s.bind(1, name); });
}

Status upsert_linked_account(Db& db, const LinkedAccountRow& a, std::int64_t ms) {
  if (!db.secrets()) return Error{Errc::internal, "store: no key to seal the password", false, 0};
  auto sealed = db.secrets()->seal(a.password, a.account);
  if (!sealed.ok()) return sealed.error();
  return run(db,
             "INSERT INTO linked_accounts(account, person, password, created_ms, updated_ms) "
             "VALUES (?,?,?,?,?) ON CONFLICT(account) DO UPDATE SET person=excluded.person, "
             "password=excluded.password, updated_ms=excluded.updated_ms",
             [&](Stmt& s) {
               s.bind(1, a.account).bind(2, a.person).bind(3, *sealed);
               s.bind(4, ms).bind(5, ms);
             });
}

Status delete_linked_account(Db& db, const std::string& account) {
  return run(db, "DELETE FROM linked_accounts WHERE account=?",
             [&](Stmt& s) { s.bind(1, account); });
}

Status load_linked_accounts(Db& db, const std::function<void(LinkedAccountRow)>& row) {
  return each(db, "SELECT account, person, password FROM linked_accounts ORDER BY created_ms",
              [&](Stmt& s) {
                LinkedAccountRow a{s.col_text(0), s.col_text(1), s.col_text(2)};
                auto clear = db.secrets() ? db.secrets()->open(a.password, a.account)
                                          : Result<std::string>(Error::invalid("no key"));
                if (!clear.ok()) {
                  spdlog::error(
                      "linked account {} of {}: its password cannot be read ({}); it stays "
                      "offline until registered again from the person's client",
                      a.account, a.person, clear.error().message);
                  return;
                }
                a.password = std::move(*clear);
                row(std::move(a));
              });
}

Status seal_clear_passwords(Db& db) {
  std::vector<std::pair<std::string, std::string>> clear;  // account, password
  auto st = each(db, "SELECT account, password FROM linked_accounts", [&](Stmt& s) {
    std::string password = s.col_text(1);
    if (!SecretBox::is_sealed(password)) clear.emplace_back(s.col_text(0), std::move(password));
  });
  if (!st.ok() || clear.empty()) return st;
  if (!db.secrets()) return Error{Errc::internal, "store: no key to seal passwords", false, 0};
  if (auto b = db.exec("BEGIN IMMEDIATE"); !b.ok()) return b;
  // Not a structured binding: clang 14 cannot capture one in the lambda below.
  for (const auto& row : clear) {
    const std::string& account = row.first;
    auto sealed = db.secrets()->seal(row.second, account);
    Status up = sealed.ok() ? run(db, "UPDATE linked_accounts SET password=? WHERE account=?",
                                  [&](Stmt& s) { s.bind(1, *sealed).bind(2, account); })
                            : Status(sealed.error());
    if (!up.ok()) {
      (void)db.exec("ROLLBACK");
      return up;
    }
  }
  if (auto c = db.exec("COMMIT"); !c.ok()) return c;
  spdlog::info("store: {} linked account password(s) sealed with the key file", clear.size());
  return Status{};
}

Status load_open_deliveries(Db& db, const std::function<void(DeliveryRow)>& row) {
  return each(
      db,
      "SELECT d.id, d.message_id, d.connector, d.sender, d.recipient, m.body, d.kind, "
      "d.request_receipt, "
      "d.notify, d.notify_from, d.notify_origin, d.payer, d.state, d.attempts, d.next_attempt_ms, "
      "d.segments, d.reason, d.unknown_outcomes, d.created_ms, d.updated_ms, m.attachments "
      "FROM deliveries d JOIN messages m ON m.id = d.message_id "
      "WHERE d.state NOT IN ('delivered','read','failed','unknown') ORDER BY d.created_ms",
      [&](Stmt& s) {
        DeliveryRow d;
        d.id = s.col_text(0);
        d.message_id = s.col_text(1);
        d.connector = s.col_text(2);
        d.sender = s.col_text(3);
        d.recipient = s.col_text(4);
        d.body = s.col_text(5);
        d.kind = static_cast<int>(s.col_int(6));
        d.request_receipt = s.col_int(7) != 0;
        d.notify = s.col_text(8);
        d.notify_from = s.col_text(9);
        d.notify_origin = s.col_text(10);
        d.payer = s.col_text(11);
        d.state = parse_delivery_state(s.col_text(12));
        d.attempts = static_cast<int>(s.col_int(13));
        d.next_attempt_ms = s.col_int(14);
        d.segments = static_cast<int>(s.col_int(15));
        d.reason = s.col_text(16);
        d.unknown_outcomes = static_cast<int>(s.col_int(17));
        d.created_ms = s.col_int(18);
        d.updated_ms = s.col_int(19);
        d.attachments = decode_attachments(s.col_text(20));
        row(std::move(d));
      });
}

Status load_network_ids(Db& db, const std::function<void(NetworkIdRow)>& row) {
  return each(
      db,
      "SELECT n.connector, n.network_id, n.delivery_id, n.state FROM network_ids n JOIN deliveries "
      "d "
      "ON d.id = n.delivery_id WHERE d.state NOT IN ('delivered','read','failed','unknown')",
      [&](Stmt& s) {
        row(NetworkIdRow{s.col_text(0), s.col_text(1), s.col_text(2),
                         parse_delivery_state(s.col_text(3))});
      });
}

Status load_threads(Db& db, const std::function<void(ThreadRow)>& row) {
  return each(
      db,
      "SELECT sender_number, phone, local, remote, conversation_id, updated_ms FROM sms_threads",
      [&](Stmt& s) {
        row(ThreadRow{s.col_text(0), s.col_text(1), s.col_text(2), s.col_text(3), s.col_text(4),
                      s.col_int(5)});
      });
}

Status load_recent_origins(Db& db, std::int64_t since_ms,
                           const std::function<void(RecentOrigin)>& row) {
  static constexpr unsigned char kZero[10] = {};
  const std::string floor =
      make_ulid(static_cast<std::uint64_t>(std::max<std::int64_t>(since_ms, 0)), kZero);
  // The sender is the delivery's `notify`: whoever hears of the message's fate is the one
  // who wrote it. A message whose deliveries tell nobody is not found here, and its
  // network's second copy is taken as new, as before a restart.
  return each(
      db,
      "SELECT m.origin_connector, d.notify, m.origin_id, m.created_ms FROM messages m "
      "JOIN deliveries d ON d.message_id = m.id "
      "WHERE m.id >= ? AND m.origin_id <> '' AND d.notify <> '' ORDER BY m.id",
      [&](Stmt& s) {
        row(RecentOrigin{s.col_text(0), s.col_text(1), s.col_text(2), s.col_int(3)});
      },
      [&](Stmt& s) { s.bind(1, floor); });
}

Status load_optouts(Db& db, const std::function<void(std::string)>& row) {
  return each(db, "SELECT phone FROM sms_optout", [&](Stmt& s) { row(s.col_text(0)); });
}

Status load_conversations(Db& db,
                          const std::function<void(std::string, std::string, std::string)>& row) {
  return each(db, "SELECT id, local, remote FROM conversations",
              [&](Stmt& s) { row(s.col_text(0), s.col_text(1), s.col_text(2)); });
}

Status load_people(Db& db, const std::function<void(PersonRow)>& row) {
  std::vector<PersonRow> people;
  auto st =
      each(db, "SELECT name, phone, sms_fallback, monthly_cap, source FROM people", [&](Stmt& s) {
        PersonRow p;
        p.name = s.col_text(0);
        p.phone = s.col_text(1);
        p.sms_fallback = s.col_int(2) != 0;
        p.monthly_cap = s.col_int(3);
        p.source = s.col_text(4);
        people.push_back(std::move(p));
      });
  if (!st.ok()) return st;
  for (auto& p : people) {
    st = each(
        db, "SELECT address FROM person_addresses WHERE person=? ORDER BY address",
        [&](Stmt& s) { p.addresses.push_back(s.col_text(0)); },
        [&](Stmt& s) { s.bind(1, p.name); });
    if (!st.ok()) return st;
  }
  for (auto& p : people) row(std::move(p));
  return {};
}

Status load_spend(Db& db, const std::string& month,
                  const std::function<void(std::string, std::int64_t)>& row) {
  return each(
      db, "SELECT payer, SUM(price) FROM charges WHERE month=? GROUP BY payer",
      [&](Stmt& s) { row(s.col_text(0), s.col_int(1)); }, [&](Stmt& s) { s.bind(1, month); });
}

}  // namespace passerelle::store
