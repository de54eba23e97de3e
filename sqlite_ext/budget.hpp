// The privacy-budget ledgers of one connection. The budget follows the data, not the path: each
// database file carries its ledger's identity (table anonkit_budget_ledger: a random id and the
// ledger file's path), so hard links and copies name the same ledger as the original; the ledger
// itself (total and charges in micro-epsilon) is a SQLite file beside the original
// ("<file>-anonkit-budget"), written through the extension's own connections so that a charge
// commits on its own (a user's ROLLBACK cannot refund it) and neither the user's read locks nor
// their write transaction on the data file can block it. A release is charged to every database
// of the connection that holds data (docs/differential-privacy.md, "The budget ledger").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bridge.hpp"

namespace anonkit::sqlite {

struct BudgetStatus {
  std::optional<std::int64_t> total_micro;  // none: unlimited
  std::int64_t spent_micro = 0;
};

namespace internal {
struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

// What a database file says about its ledger.
struct LedgerIdentity {
  std::string id;
  std::string path;  // the ledger file
};
}  // namespace internal

class BudgetLedger {
 public:
  // `database` is the user's connection; every database attached to it is charged.
  explicit BudgetLedger(sqlite3* database) : database_(database) {}
  BudgetLedger(const BudgetLedger&) = delete;
  BudgetLedger& operator=(const BudgetLedger&) = delete;

  // Records `micro` against the ledger of every database the connection holds data in, before
  // anything is released: all of them or none. Throws "anonkit: privacy budget exhausted:
  // requested ε=..., remaining ε=..." when it does not fit one of them.
  void charge(std::int64_t micro, const char* function);
  // Sets the total of `schema`'s ledger once; later calls may only lower it.
  void set_total(const std::string& schema, std::int64_t total_micro);
  // Status per schema that is charged (main first), in PRAGMA database_list order.
  [[nodiscard]] std::vector<std::pair<std::string, BudgetStatus>> status();
  [[nodiscard]] BudgetStatus status(const std::string& schema);

  // Installs the authorizer that keeps SQL on `db` from editing, dropping or forging ledger
  // tables (one authorizer per connection: a later sqlite3_set_authorizer replaces it).
  static int install_guard(sqlite3* db);

 private:
  struct Target {
    std::string schema;
    internal::LedgerIdentity identity;
  };
  // The ledger identity of `schema`'s file; created when `create` and the file holds tables
  // (or `force`). nullopt: the schema is not charged (memory, temp, or a file without data).
  std::optional<internal::LedgerIdentity> identity_of(const std::string& schema, bool create,
                                                      bool force);
  sqlite3* ledger_db(const internal::LedgerIdentity& identity, const std::string& schema);
  std::vector<Target> targets(bool& memory);
  bool main_in_memory() const;
  void require_schema(const std::string& schema) const;  // throws for an unknown name

  sqlite3* database_;
  std::map<std::string, internal::LedgerIdentity> identities_;  // by "dev:ino" of the data file
  std::map<std::string, internal::Db> ledgers_;                 // by ledger file path
  BudgetStatus memory_;                                         // a :memory: main database's
  std::recursive_mutex mutex_;
};

// ε as micro-ε, rounded up (a charge is never smaller than asked).
[[nodiscard]] std::int64_t to_micro(double epsilon);
[[nodiscard]] std::string format_epsilon(std::int64_t micro);

}  // namespace anonkit::sqlite
