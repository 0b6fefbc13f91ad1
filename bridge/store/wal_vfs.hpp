#pragma once
// A SQLite VFS over the platform's default one that gathers the writes to a WAL file and
// hands them to the kernel in one pwrite when SQLite syncs the WAL, instead of two per
// frame (the 24-byte frame header, then the page): a commit of 14 pages is 28 system
// calls without it, 1 with it.
//
// Only for connections whose every commit syncs the WAL (PRAGMA synchronous=FULL): a
// commit becomes visible to other connections after its sync, so nothing another
// connection may read is ever left in the buffer. Without that sync (NORMAL), frames are
// visible unsynced and must not wait in a buffer; use the default VFS there.
//
// The buffer is written out before anything else reaches the file (a read, a size, a
// truncate, a write elsewhere, a close), so the connection itself always sees what it
// wrote. A crash loses what was gathered and not yet synced, as it loses unsynced page
// cache: no commit is lost, since a commit returns only after its sync.
//
// Assumes this connection is the database's only writer, as the store's writer is: frames
// of a transaction rolled back after it spilled to the WAL may wait in the buffer until
// this connection next touches the file, and would then land over whatever another
// writer had committed there meanwhile. Where the file does not declare power-safe
// overwrite (SQLite then pads commits and syncs mid-padding), nothing is gathered.

#include <cstdint>

namespace passerelle::store {

// The name to pass to sqlite3_open_v2; registered on first use (thread-safe).
const char* gathering_wal_vfs();

// Writes taken into a buffer rather than passed on, process-wide (for tests and metrics).
std::uint64_t gathered_wal_writes();

}  // namespace passerelle::store
