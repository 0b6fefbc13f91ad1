#include "store/wal_vfs.hpp"

#include <sqlite3.h>

#include <atomic>
#include <cstring>

namespace passerelle::store {
namespace {

// At most this much is gathered; a commit larger than that goes out in several writes.
// The default VFS takes at most 128 KiB - 1 per write (os_unix.c masks the size with
// 0x1ffff: a larger write would be cut and reported as a full disk).
constexpr int kGatherBytes = 120 * 1024;

// The file SQLite holds for a WAL: ours, then the default VFS's file right after it.
struct GatherFile {
  sqlite3_file base;    // base.pMethods = &kWalMethods
  sqlite3_file* real;   // the default VFS's open file (points just past this struct)
  char* buf;            // kGatherBytes, allocated at the first write
  sqlite3_int64 start;  // the file offset of buf[0]
  int len;              // bytes gathered, not yet written
  bool gather;          // false: every write goes straight through
};
static_assert(sizeof(GatherFile) % 8 == 0, "the real file after it stays aligned");

std::atomic<std::uint64_t> g_gathered{0};

GatherFile* gathered(sqlite3_file* f) {
  return reinterpret_cast<GatherFile*>(f);
}
sqlite3_file* real(sqlite3_file* f) {
  return gathered(f)->real;
}
sqlite3_vfs* real(sqlite3_vfs* v) {
  return static_cast<sqlite3_vfs*>(v->pAppData);
}

// Writes out what is gathered. Forgotten even when the write fails: SQLite then fails the
// transaction, and what the next one writes must not follow stale bytes.
int write_out(GatherFile* g) {
  if (g->len == 0) return SQLITE_OK;
  const int n = g->len;
  g->len = 0;
  return g->real->pMethods->xWrite(g->real, g->buf, n, g->start);
}

int wal_close(sqlite3_file* f) {
  GatherFile* g = gathered(f);
  const int written = write_out(g);
  const int closed = g->real->pMethods->xClose(g->real);
  sqlite3_free(g->buf);
  g->buf = nullptr;
  return written != SQLITE_OK ? written : closed;
}

int wal_read(sqlite3_file* f, void* out, int n, sqlite3_int64 at) {
  if (const int rc = write_out(gathered(f)); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xRead(real(f), out, n, at);
}

int wal_write(sqlite3_file* f, const void* data, int n, sqlite3_int64 at) {
  GatherFile* g = gathered(f);
  if (!g->gather) return g->real->pMethods->xWrite(g->real, data, n, at);
  if (g->len > 0 && at == g->start + g->len && n <= kGatherBytes - g->len) {
    std::memcpy(g->buf + g->len, data, static_cast<size_t>(n));
    g->len += n;
    g_gathered.fetch_add(1, std::memory_order_relaxed);
    return SQLITE_OK;
  }
  if (const int rc = write_out(g); rc != SQLITE_OK) return rc;
  if (!g->buf && n <= kGatherBytes) g->buf = static_cast<char*>(sqlite3_malloc(kGatherBytes));
  if (!g->buf || n > kGatherBytes) return g->real->pMethods->xWrite(g->real, data, n, at);
  std::memcpy(g->buf, data, static_cast<size_t>(n));
  g->start = at;
  g->len = n;
  return SQLITE_OK;
}

int wal_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (const int rc = write_out(gathered(f)); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xTruncate(real(f), size);
}

int wal_sync(sqlite3_file* f, int flags) {
  if (const int rc = write_out(gathered(f)); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xSync(real(f), flags);
}

int wal_file_size(sqlite3_file* f, sqlite3_int64* size) {
  if (const int rc = write_out(gathered(f)); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xFileSize(real(f), size);
}

int wal_lock(sqlite3_file* f, int level) {
  return real(f)->pMethods->xLock(real(f), level);
}
int wal_unlock(sqlite3_file* f, int level) {
  return real(f)->pMethods->xUnlock(real(f), level);
}
int wal_check_reserved(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int wal_file_control(sqlite3_file* f, int op, void* arg) {
  if (const int rc = write_out(gathered(f)); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int wal_sector_size(sqlite3_file* f) {
  return real(f)->pMethods->xSectorSize(real(f));
}
int wal_device(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}

// Version 1: SQLite maps and locks through the database file's methods, never the WAL's.
const sqlite3_io_methods kWalMethods = {
    1,
    wal_close,
    wal_read,
    wal_write,
    wal_truncate,
    wal_sync,
    wal_file_size,
    wal_lock,
    wal_unlock,
    wal_check_reserved,
    wal_file_control,
    wal_sector_size,
    wal_device,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

int vfs_open(sqlite3_vfs* v, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  sqlite3_vfs* r = real(v);
  // Anything but a WAL is the default VFS's own file, in the room SQLite gave us.
  if (!(flags & SQLITE_OPEN_WAL)) return r->xOpen(r, name, f, flags, out_flags);
  GatherFile* g = gathered(f);
  g->real = reinterpret_cast<sqlite3_file*>(g + 1);
  std::memset(g->real, 0, static_cast<size_t>(r->szOsFile));
  g->buf = nullptr;
  g->start = 0;
  g->len = 0;
  const int rc = r->xOpen(r, name, g->real, flags, out_flags);
  // Without power-safe overwrite SQLite pads a commit to a sector and syncs in the middle
  // of the padding, so frames written after that sync are part of the commit: they must
  // not wait in a buffer. The default VFS declares it (unless opened with psow=0).
  g->gather = g->real->pMethods && (g->real->pMethods->xDeviceCharacteristics(g->real) &
                                    SQLITE_IOCAP_POWERSAFE_OVERWRITE) != 0;
  // SQLite calls xClose whenever pMethods is set, even after a failed open.
  g->base.pMethods = g->real->pMethods ? &kWalMethods : nullptr;
  return rc;
}

int vfs_delete(sqlite3_vfs* v, const char* name, int sync_dir) {
  return real(v)->xDelete(real(v), name, sync_dir);
}
int vfs_access(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return real(v)->xAccess(real(v), name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs* v, const char* name, int n, char* out) {
  return real(v)->xFullPathname(real(v), name, n, out);
}
void* vfs_dl_open(sqlite3_vfs* v, const char* name) {
  return real(v)->xDlOpen(real(v), name);
}
void vfs_dl_error(sqlite3_vfs* v, int n, char* out) {
  real(v)->xDlError(real(v), n, out);
}
void (*vfs_dl_sym(sqlite3_vfs* v, void* lib, const char* sym))(void) {
  return real(v)->xDlSym(real(v), lib, sym);
}
void vfs_dl_close(sqlite3_vfs* v, void* lib) {
  real(v)->xDlClose(real(v), lib);
}
int vfs_randomness(sqlite3_vfs* v, int n, char* out) {
  return real(v)->xRandomness(real(v), n, out);
}
int vfs_sleep(sqlite3_vfs* v, int us) {
  return real(v)->xSleep(real(v), us);
}
int vfs_current_time(sqlite3_vfs* v, double* out) {
  return real(v)->xCurrentTime(real(v), out);
}
int vfs_last_error(sqlite3_vfs* v, int n, char* out) {
  return real(v)->xGetLastError(real(v), n, out);
}
int vfs_current_time_ms(sqlite3_vfs* v, sqlite3_int64* out) {
  return real(v)->xCurrentTimeInt64(real(v), out);
}

sqlite3_vfs* make_vfs() {
  sqlite3_vfs* r = sqlite3_vfs_find(nullptr);
  if (!r) return nullptr;
  static sqlite3_vfs v{};
  v.iVersion = r->iVersion >= 2 && r->xCurrentTimeInt64 ? 2 : 1;
  v.szOsFile = static_cast<int>(sizeof(GatherFile)) + r->szOsFile;
  v.mxPathname = r->mxPathname;
  v.zName = "passerelle-gathered-wal";
  v.pAppData = r;
  v.xOpen = vfs_open;
  v.xDelete = vfs_delete;
  v.xAccess = vfs_access;
  v.xFullPathname = vfs_full_pathname;
  v.xDlOpen = vfs_dl_open;
  v.xDlError = vfs_dl_error;
  v.xDlSym = vfs_dl_sym;
  v.xDlClose = vfs_dl_close;
  v.xRandomness = vfs_randomness;
  v.xSleep = vfs_sleep;
  v.xCurrentTime = vfs_current_time;
  v.xGetLastError = vfs_last_error;
  if (v.iVersion >= 2) v.xCurrentTimeInt64 = vfs_current_time_ms;
  if (sqlite3_vfs_register(&v, 0) != SQLITE_OK) return nullptr;
  return &v;
}

}  // namespace

std::uint64_t gathered_wal_writes() {
  return g_gathered.load(std::memory_order_relaxed);
}

const char* gathering_wal_vfs() {
  static sqlite3_vfs* const vfs = make_vfs();
  return vfs ? vfs->zName : nullptr;
}

}  // namespace passerelle::store
