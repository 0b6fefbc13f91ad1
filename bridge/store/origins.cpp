#include "store/origins.hpp"

#include "core/ulid.hpp"

namespace passerelle::store {

Status load_recent_origins(Db& db, std::int64_t since_ms,
                           const std::function<void(RecentOrigin)>& row) {
  // The sender is the delivery's `notify`: whoever hears of the message's fate is the one
  // who wrote it. A message whose deliveries tell nobody is not found here, and its
  // network's second copy is taken as new, as before a restart.
  auto st = db.prepare(
      "SELECT m.origin_connector, d.notify, m.origin_id, m.created_ms FROM messages m "
      "JOIN deliveries d ON d.message_id = m.id "
      "WHERE m.id >= ? AND m.origin_id <> '' AND d.notify <> '' ORDER BY m.id");
  if (!st.ok()) return st.error();
  static constexpr unsigned char kZero[10] = {};
  const std::string floor =
      make_ulid(static_cast<std::uint64_t>(std::max<std::int64_t>(since_ms, 0)), kZero);
  Stmt& s = **st;
  s.bind(1, floor);
  for (;;) {
    auto r = s.step();
    if (!r.ok()) {
      s.reset();
      return r.error();
    }
    if (!*r) break;
    row(RecentOrigin{s.col_text(0), s.col_text(1), s.col_text(2), s.col_int(3)});
  }
  s.reset();
  return {};
}

}  // namespace passerelle::store
