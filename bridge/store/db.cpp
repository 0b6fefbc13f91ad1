#include "store/db.hpp"

#include <sqlite3.h>

#include "store/wal_vfs.hpp"

namespace passerelle::store {

Stmt& Stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  used_ = true;
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  used_ = true;
  return *this;
}
Stmt& Stmt::bind_static(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  used_ = true;
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(s_, i);
  used_ = true;
  return *this;
}

Result<bool> Stmt::step() {
  used_ = true;
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e{Errc::internal, std::string("sqlite: ") + sqlite3_errmsg(sqlite3_db_handle(s_)), false,
          rc};
  sqlite3_reset(s_);
  return e;
}

Status Stmt::run() {
  for (;;) {
    auto r = step();
    if (!r.ok()) return r.error();
    if (!*r) break;
  }
  reset();
  return {};
}

std::int64_t Stmt::col_int(int i) const {
  return sqlite3_column_int64(s_, i);
}
std::string Stmt::col_text(int i) const {
  const auto* p = sqlite3_column_text(s_, i);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(s_, i)))
           : std::string();
}
bool Stmt::col_null(int i) const {
  return sqlite3_column_type(s_, i) == SQLITE_NULL;
}
void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
  used_ = false;
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path, bool gather_wal) {
  // Before SQLite initialises (no effect after): without memory statistics, its allocator
  // takes no global mutex per allocation. Each connection is used by one thread at a time.
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 gather_wal ? gathering_wal_vfs() : nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Error{Errc::unavailable, "cannot open database " + path + ": " + msg, false, rc};
  }
  sqlite3_busy_timeout(db, 5000);
  return std::unique_ptr<Db>(new Db(db));
}

Db::~Db() {
  for (auto& [sql, entry] : cache_) sqlite3_finalize(entry.first);
  sqlite3_close(db_);
}

Status Db::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Error e{Errc::internal, std::string("sqlite: ") + (err ? err : "error"), false, 0};
    sqlite3_free(err);
    return e;
  }
  return {};
}

Result<Stmt*> Db::prepare(Sql sql) {
  auto it = cache_.find(sql.text());
  if (it == cache_.end()) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql.text(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &s, nullptr) != SQLITE_OK)
      return Error{Errc::internal,
                   "sqlite prepare: " + last_error() + " in: " + std::string(sql.text()), false, 0};
    it = cache_.emplace(sql.text(), std::make_pair(s, std::make_unique<Stmt>(s))).first;
  }
  Stmt* stmt = it->second.second.get();
  if (stmt->used()) stmt->reset();  // run() leaves it reset: no second reset per use
  return stmt;
}

std::int64_t Db::changes() const {
  return sqlite3_changes64(db_);
}
std::int64_t Db::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}
std::string Db::last_error() const {
  return sqlite3_errmsg(db_);
}

}  // namespace passerelle::store
