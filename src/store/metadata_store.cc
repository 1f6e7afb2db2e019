#include "store/metadata_store.h"

#include <sqlite3.h>

#include <fmt/format.h>

#include "base/status.h"

namespace berth::store {
namespace {

const char* table_of(Kind k) { return k == Kind::Pod ? "pods" : "containers"; }

absl::Status sqlite_error(sqlite3* db, std::string_view what) {
  return absl::InternalError(fmt::format("metadata store: {}: {}", what, sqlite3_errmsg(db)));
}

// Finalizes a prepared statement on every path.
struct Statement {
  sqlite3_stmt* st = nullptr;
  ~Statement() { sqlite3_finalize(st); }
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetadataStore>> MetadataStore::open(const std::filesystem::path& db_path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  std::unique_ptr<MetadataStore> store(new MetadataStore(db));
  if (rc != SQLITE_OK) return sqlite_error(db, fmt::format("open {}", db_path.string()));
  sqlite3_busy_timeout(db, 5000);
  RETURN_IF_ERROR(store->exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(store->exec("PRAGMA synchronous=FULL"));
  for (Kind k : {Kind::Pod, Kind::Container}) {
    RETURN_IF_ERROR(store->exec(fmt::format("CREATE TABLE IF NOT EXISTS {} (id TEXT PRIMARY KEY, name_key TEXT NOT NULL "
                                            "UNIQUE, parent_id TEXT NOT NULL, body TEXT NOT NULL)",
                                            table_of(k))
                                    .c_str()));
  }
  return store;
}

MetadataStore::~MetadataStore() { sqlite3_close_v2(db_); }

absl::Status MetadataStore::exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return absl::InternalError(fmt::format("metadata store: {}: {}", sql, msg));
  }
  return absl::OkStatus();
}

absl::Status MetadataStore::put(Kind kind, const Document& doc) {
  absl::MutexLock l(&mu_);
  // A different id holding the name is a conflict; the same id is an update.
  {
    Statement q;
    std::string sql = fmt::format("SELECT id FROM {} WHERE name_key = ?1 AND id != ?2", table_of(kind));
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &q.st, nullptr) != SQLITE_OK) return sqlite_error(db_, "prepare");
    sqlite3_bind_text(q.st, 1, doc.name_key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q.st, 2, doc.id.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(q.st) == SQLITE_ROW) {
      return absl::AlreadyExistsError(fmt::format("name \"{}\" is reserved by {}", doc.name_key,
                                                  reinterpret_cast<const char*>(sqlite3_column_text(q.st, 0))));
    }
  }
  Statement st;
  std::string sql = fmt::format("INSERT OR REPLACE INTO {} (id, name_key, parent_id, body) VALUES (?1, ?2, ?3, ?4)",
                                table_of(kind));
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.st, nullptr) != SQLITE_OK) return sqlite_error(db_, "prepare");
  sqlite3_bind_text(st.st, 1, doc.id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.st, 2, doc.name_key.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.st, 3, doc.parent_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.st, 4, doc.body.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.st) != SQLITE_DONE) return sqlite_error(db_, fmt::format("put {}", doc.id));
  return absl::OkStatus();
}

absl::Status MetadataStore::remove(Kind kind, const std::string& id) {
  absl::MutexLock l(&mu_);
  Statement st;
  std::string sql = fmt::format("DELETE FROM {} WHERE id = ?1", table_of(kind));
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.st, nullptr) != SQLITE_OK) return sqlite_error(db_, "prepare");
  sqlite3_bind_text(st.st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.st) != SQLITE_DONE) return sqlite_error(db_, fmt::format("remove {}", id));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Document>> MetadataStore::list(Kind kind) const {
  absl::MutexLock l(&mu_);
  Statement st;
  std::string sql = fmt::format("SELECT id, name_key, parent_id, body FROM {} ORDER BY rowid", table_of(kind));
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.st, nullptr) != SQLITE_OK) return sqlite_error(db_, "prepare");
  std::vector<Document> out;
  int rc;
  auto col = [&](int i) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st.st, i))); };
  while ((rc = sqlite3_step(st.st)) == SQLITE_ROW) out.push_back({col(0), col(1), col(2), col(3)});
  if (rc != SQLITE_DONE) return sqlite_error(db_, "list");
  return out;
}

}  // namespace berth::store
