// Lease, execute, record. A request is claimed with a lease (lease.hpp) renewed by a heartbeat
// while it runs on the work session: no transaction stays open, so the claim survives
// idle_in_transaction_session_timeout and a transaction-pooling PgBouncer.
#include "requests.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "lease.hpp"
#include "subjects.hpp"

namespace anonkit::pg {
namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

}  // namespace

PrivateFile::PrivateFile(std::string path) : path_(std::move(path)), partial_(path_ + ".partial") {
  // Only a killed worker (or a killed `access --out`) leaves one; unlink never follows a symlink.
  if (unlink(partial_.c_str()) != 0 && errno != ENOENT)
    throw Error(
        fmt::format("anonkit: could not write the export to {}: {} (expected a writable "
                    "directory)",
                    path_, std::strerror(errno)));
  fd_ = open(partial_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd_ < 0 || fchmod(fd_, 0600) != 0) {
    const int err = errno;
    if (fd_ >= 0) {
      close(fd_);
      unlink(partial_.c_str());
      fd_ = -1;
    }
    throw Error(
        fmt::format("anonkit: could not write the export to {}: {} (expected a writable "
                    "directory)",
                    path_, std::strerror(err)));
  }
}

PrivateFile::~PrivateFile() {
  if (fd_ >= 0) {
    close(fd_);
    unlink(partial_.c_str());
  }
}

void PrivateFile::commit(const std::string& content) {
  const char* p = content.data();
  std::size_t left = content.size();
  bool ok = true;
  while (ok && left > 0) {
    const ssize_t n = write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) {
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  ok = ok && fsync(fd_) == 0;
  const int closed = close(fd_);
  fd_ = -1;
  ok = ok && closed == 0 && rename(partial_.c_str(), path_.c_str()) == 0;
  if (!ok) {
    const int err = errno;
    unlink(partial_.c_str());
    throw Error(
        fmt::format("anonkit: could not write the export to {}: {}", path_, std::strerror(err)));
  }
}

std::string export_path(const std::string& dir, const std::string& id, const std::string& kind) {
  std::string safe = kind;
  for (char& c : safe)
    if (!word_char(c) && c != '_' && c != '-') c = '_';
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return fmt::format("{}/{}-{}.json", d, id, safe);
}

std::string redact_key(std::string message, const std::string& key) {
  if (key.size() < 3) return message;
  for (std::size_t at = message.find(key); at != std::string::npos; at = message.find(key, at)) {
    const std::size_t end = at + key.size();
    const bool starts_word = at == 0 || !word_char(message[at - 1]) || !word_char(key.front());
    const bool ends_word =
        end == message.size() || !word_char(message[end]) || !word_char(key.back());
    if (starts_word && ends_word) {
      message.replace(at, key.size(), "<key>");
      at += 5;
    } else {
      at += 1;
    }
  }
  return message;
}

namespace {

// Renews a lease every few seconds from its own thread (on the claim session, which nothing else
// uses meanwhile) while a request runs; a lost lease is remembered, and the request's record then
// refused by its lease check.
class Heartbeat {
 public:
  explicit Heartbeat(Lease& lease) : lease_(lease), thread_([this] { loop(); }) {}
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, std::chrono::seconds(2));
      if (stop_) break;
      try {
        lease_.renew();
      } catch (...) {  // lost or unreachable: the record's lease check decides
      }
    }
  }
  Lease& lease_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

RequestsOutcome run_requests(const std::string& dsn, const RequestsOptions& options,
                             const std::atomic<bool>* stop) {
  const pseudo::Keyring& keyring = require_keyring(options.erase.keyring);
  RequestsOutcome outcome;
  db::Connection claim(dsn), work(dsn);
  const std::string worker = fmt::format("pid {}", getpid());
  std::vector<db::Value> held;  // requests a live worker holds: not waited for in this run
  while (stop == nullptr || !stop->load()) {
    // The oldest open request no live worker holds.
    std::optional<Lease> lease;
    std::string id, kind, subject;
    db::Value key;
    for (bool more = true; more && !lease;) {
      const auto candidates = claim.exec(
          "SELECT id::text FROM anonkit.requests WHERE status IN ('pending', 'running') AND NOT "
          "(id = ANY(CAST($1 AS bigint[]))) ORDER BY requested_at, id LIMIT 20",
          {db::text_array(held)});
      more = candidates.size() == 20;
      for (const auto& c : candidates.rows) {
        std::string holder;
        auto l = Lease::acquire(claim, "request:" + *c[0], options.lease_ttl, holder);
        if (!l) {
          held.push_back(c[0]);
          continue;
        }
        const auto r = claim.exec(
            "SELECT kind, subject, subject_key FROM anonkit.requests WHERE id = CAST($1 AS "
            "bigint) AND status IN ('pending', 'running')",
            {*c[0]});
        if (r.empty()) continue;  // finished meanwhile; the lease goes with `l`
        id = *c[0];
        kind = *r.rows[0][0];
        subject = *r.rows[0][1];
        key = r.rows[0][2];
        lease.emplace(std::move(*l));
        break;
      }
      if (candidates.empty()) more = false;
    }
    if (!lease) break;
    std::string status = "done", key_hash;
    db::Value result, error;
    bool recorded = false;  // an erase records itself, in its own transaction
    {
      Heartbeat heartbeat(*lease);
      try {
        if (!key)
          throw InvalidArgument(fmt::format(
              "anonkit: request {} has no subject_key: expected the key of the subject", id));
        if (kind == "access") {
          if (options.export_dir.empty())
            throw InvalidArgument(fmt::format(
                "anonkit: access request {} needs --export-dir: exports are written to files "
                "(mode 0600), never kept in the database",
                id));
          // Created before the export: a directory that cannot take it fails first.
          PrivateFile file(export_path(options.export_dir, id, subject));
          const auto a = access_subject(work, subject, *key, keyring, std::stoll(id));
          file.commit(a.document);
          result = nlohmann::json{{"export", file.path()}, {"tables", a.counts}}.dump();
          key_hash = a.key_hash;
        } else {
          EraseOptions o = options.erase;
          o.request_id = std::stoll(id);
          const auto e = erase_subject(work, subject, *key, o);
          result = e.receipt;
          key_hash = e.key_hash;
          recorded = true;
        }
      } catch (const db::ConnectionError&) {
        throw;  // the lease is released (or expires): another worker takes the request
      } catch (const Error& e) {
        status = "failed";
        error = key ? redact_key(e.what(), *key) : std::string(e.what());
      } catch (const std::exception&) {
        // Not one of anonkit's messages, which say nothing of the data: this one might.
        status = "failed";
        error = fmt::format("anonkit: internal error while processing request {}", id);
      }
    }
    if (!recorded) {
      if (key_hash.empty() && key) key_hash = request_key_hash(work, subject, *key, keyring);
      // Recorded only while the lease is still this worker's.
      (void)claim.exec(
          "UPDATE anonkit.requests SET status = $2, started_at = coalesce(started_at, now()), "
          "finished_at = clock_timestamp(), attempts = attempts + 1, worker = $3, "
          "result = CAST($4 AS jsonb), error = $5, subject_key = NULL, "
          "subject_key_hash = coalesce($6, subject_key_hash) WHERE id = CAST($1 AS bigint) AND "
          "status IN ('pending', 'running') AND EXISTS (SELECT 1 FROM anonkit.leases WHERE "
          "resource = $7 AND token = $8)",
          {id, status, worker, result, error, key ? db::Value(key_hash) : db::Value(),
           "request:" + id, lease->token()});
    }
    lease->release();
    ++(status == "done" ? outcome.done : outcome.failed);
  }
  return outcome;
}

}  // namespace anonkit::pg
