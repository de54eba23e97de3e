// The request queue: applications insert into anonkit.requests, workers claim one request at a
// time with a lease (anonkit.leases, "request:<id>") renewed while they work on a second session,
// so any number of workers process each request once, through a transaction pooler too; a killed
// worker's request is claimable again at once on its machine, elsewhere when the lease expires.
// An erase finishes its request in its own transaction, so it is never run twice.
//
// A finished request (done or failed) keeps no personal data: its key is replaced by the keyed
// hash (request_key_hash), an access export goes to a file (mode 0600) in the export directory
// and `result` only says where and how many rows, an erase keeps its receipt, and `error` never
// quotes the key or a row value.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "destroyer.hpp"

namespace anonkit::pg {

struct RequestsOutcome {
  std::int64_t done = 0, failed = 0;
};

struct RequestsOptions {
  EraseOptions erase;  // erase.keyring is required (receipts and key hashes are keyed)
  // Access exports are written here as "<request id>-<subject kind>.json"; empty: access requests
  // fail (erase requests still run).
  std::string export_dir;
  std::chrono::seconds lease_ttl{90};  // renewed every 2 s while a request runs
};

// Processes queued requests until none is left (or `stop` is set). Throws KeyError without a
// keyring, before claiming anything.
[[nodiscard]] RequestsOutcome run_requests(const std::string& dsn, const RequestsOptions& options,
                                           const std::atomic<bool>* stop);

// A file of personal data: readable by its owner only (0600 whatever the umask), never written
// through a symlink, never seen half-written. The content goes to "<path>.partial" (a stale one
// from a killed worker is removed first; then O_CREAT|O_EXCL|O_NOFOLLOW, fchmod 0600), which
// commit() renames over `path`. Dropped uncommitted, the partial file is removed.
class PrivateFile {
 public:
  // Throws Error naming the path when it cannot be created.
  explicit PrivateFile(std::string path);
  ~PrivateFile();
  PrivateFile(const PrivateFile&) = delete;
  PrivateFile& operator=(const PrivateFile&) = delete;

  void commit(const std::string& content);
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_, partial_;
  int fd_ = -1;
};

// The export file of request `id`: "<dir>/<id>-<kind>.json", the kind reduced to [A-Za-z0-9_-]
// (it comes from the queue, so it must not name another directory).
[[nodiscard]] std::string export_path(const std::string& dir, const std::string& id,
                                      const std::string& kind);

// `message` with each occurrence of `key` as a whole word (not inside a longer word or number)
// replaced by "<key>": the last guard before an error text is stored. Keys shorter than three
// characters are left alone (they would hit ordinary numbers and words; they are guessable
// anyway).
[[nodiscard]] std::string redact_key(std::string message, const std::string& key);

}  // namespace anonkit::pg
