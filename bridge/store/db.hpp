#pragma once
// The one adapter over SQLite: a connection, prepared statements, typed binding.
// Not thread-safe: a Db is used by one thread at a time (the store's writer).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace passerelle::store {

class SecretBox;

class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  // Text is bound without a copy where its storage outlives the statement's run: a
  // std::string lvalue and bind_static must stay alive and unchanged until the statement
  // is reset (run(), or the next Db::prepare of it). A temporary string and a string_view
  // are copied.
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const std::string& v) { return bind_static(i, v); }
  Stmt& bind(int i, std::string&& v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind_static(int i, std::string_view v);
  Stmt& bind_null(int i);
  // Steps once: true while a row is available; errors become Error::internal.
  Result<bool> step();
  // Runs to completion (for INSERT/UPDATE/DELETE) and resets.
  Status run();
  std::int64_t col_int(int i) const;
  std::string col_text(int i) const;
  bool col_null(int i) const;
  // Resets and clears the bindings.
  void reset();
  // Bound or stepped since the last reset.
  bool used() const { return used_; }

 private:
  sqlite3_stmt* s_;
  bool used_ = false;
};

// SQL text known at compile time (a string literal): its address names the cached
// prepared statement, so fetching one costs a pointer hash, not a string copy and compare.
class Sql {
 public:
  template <std::size_t N>
  consteval Sql(const char (&text)[N]) : text_(text), size_(N - 1) {}  // NOLINT: implicit
  const char* text() const { return text_; }
  std::size_t size() const { return size_; }

 private:
  const char* text_;
  std::size_t size_;
};

class Db {
 public:
  // gather_wal: writes to the WAL go out at each sync in one piece (wal_vfs.hpp); only
  // for a connection that syncs every commit (synchronous=FULL).
  static Result<std::unique_ptr<Db>> open(const std::string& path, bool gather_wal = false);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  Status exec(std::string_view sql);
  // A cached prepared statement, reset and with bindings cleared. The reference stays
  // valid for the Db's lifetime.
  Result<Stmt*> prepare(Sql sql);
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  std::string last_error() const;
  sqlite3* raw() { return db_; }
  // What seals the secrets stored in this database (secret_box.hpp); null until the
  // store sets it, and then writing a secret fails.
  const SecretBox* secrets() const { return secrets_.get(); }
  void set_secrets(std::shared_ptr<const SecretBox> box) { secrets_ = std::move(box); }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::shared_ptr<const SecretBox> secrets_;
  std::unordered_map<const char*, std::pair<sqlite3_stmt*, std::unique_ptr<Stmt>>> cache_;
};

}  // namespace passerelle::store
