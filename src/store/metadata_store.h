#pragma once
// The crash-consistent record store: SQLite in WAL mode with synchronous=FULL, so a
// committed put() survives SIGKILL and power loss. It stores opaque documents (the domain
// encodes its records as JSON) keyed by kind and id, each with a unique name key per kind:
// the durable half of name reservation.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>

struct sqlite3;

namespace berth::store {

enum class Kind { Pod, Container };

struct Document {
  std::string id;
  std::string name_key;   // unique per kind
  std::string parent_id;  // the pod of a container; empty for pods
  std::string body;       // JSON
};

class MetadataStore {
 public:
  static absl::StatusOr<std::unique_ptr<MetadataStore>> open(const std::filesystem::path& db_path);
  ~MetadataStore();
  MetadataStore(const MetadataStore&) = delete;
  MetadataStore& operator=(const MetadataStore&) = delete;

  // Inserts or replaces the document with this id. Another document of the same kind
  // holding `name_key` -> AlreadyExists naming the holder's id.
  [[nodiscard]] absl::Status put(Kind kind, const Document& doc);
  // Removes it; a missing id is OK.
  [[nodiscard]] absl::Status remove(Kind kind, const std::string& id);
  absl::StatusOr<std::vector<Document>> list(Kind kind) const;

 private:
  explicit MetadataStore(sqlite3* db) : db_(db) {}
  absl::Status exec(const char* sql) const;

  mutable absl::Mutex mu_;
  sqlite3* db_;  // owned; closed in the destructor
};

}  // namespace berth::store
