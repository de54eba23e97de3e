// Leases: mutual exclusion between workers as rows of anonkit.leases, not session state, so they
// hold through a transaction-pooling PgBouncer and after a session is lost. A holder renews its
// lease between batches; a lease is free when it expired, or at once when its holder ran on this
// machine and that process is gone (kill -9, OOM, a crash before systemd restarts the worker).
// A killed holder's orphaned backend cannot commit anything after its client died: the worker
// changes rows only in explicit transactions.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "db/connection.hpp"

namespace anonkit::pg {

// The process as a lease names it.
struct ProcessIdentity {
  std::string host, machine, started;
  std::int64_t pid = 0;
  static const ProcessIdentity& self();
  // Whether the process it names still runs (only answerable for this machine's processes).
  [[nodiscard]] std::optional<bool> alive() const;
};

class Lease {
 public:
  // Takes `resource` for `ttl` unless a live holder has it; then nullopt, and `holder` says who
  // ("host NAME pid N, until TIME").
  [[nodiscard]] static std::optional<Lease> acquire(db::Connection& conn, std::string resource,
                                                    std::chrono::seconds ttl, std::string& holder);
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  ~Lease();  // releases, best effort

  // Extends the lease when a third of its time has passed. Throws Error when it was lost (expired
  // and taken by another worker): the caller must stop touching rows.
  void renew();
  void release() noexcept;
  [[nodiscard]] const std::string& token() const noexcept { return token_; }

 private:
  Lease(db::Connection& conn, std::string resource, std::string token, std::chrono::seconds ttl);
  db::Connection* conn_;
  std::string resource_, token_;
  std::chrono::seconds ttl_;
  std::chrono::steady_clock::time_point renewed_;
};

}  // namespace anonkit::pg
