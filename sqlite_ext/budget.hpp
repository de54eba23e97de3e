// The privacy-budget ledger of one database: total and charges in micro-epsilon, kept in a sidecar
// SQLite file beside the database ("<file>-anonkit-budget") and written through the extension's own
// connection, so a charge commits on its own: a user's ROLLBACK cannot refund it, and the main
// database's read locks cannot deadlock it. In-memory databases keep the ledger in memory.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "bridge.hpp"

namespace anonkit::sqlite {

struct BudgetStatus {
  std::optional<std::int64_t> total_micro;  // none: unlimited
  std::int64_t spent_micro = 0;
};

class BudgetLedger {
 public:
  // `database` is the connection whose main database the ledger belongs to.
  explicit BudgetLedger(sqlite3* database) : database_(database) {}
  ~BudgetLedger();
  BudgetLedger(const BudgetLedger&) = delete;
  BudgetLedger& operator=(const BudgetLedger&) = delete;

  // Records `micro` against the budget before anything is released; throws
  // "anonkit: privacy budget exhausted: requested ε=..., remaining ε=..." when it does not fit.
  void charge(std::int64_t micro, const char* function);
  void set_total(std::optional<std::int64_t> total_micro);
  [[nodiscard]] BudgetStatus status();

 private:
  sqlite3* open();  // the sidecar connection, opened on first use (nullptr: in memory)
  sqlite3* database_;
  sqlite3* ledger_ = nullptr;
  bool in_memory_ = false;
  bool opened_ = false;
  BudgetStatus memory_;
  std::mutex mutex_;
};

// ε as micro-ε, rounded up (a charge is never smaller than asked).
[[nodiscard]] std::int64_t to_micro(double epsilon);
[[nodiscard]] std::string format_epsilon(std::int64_t micro);

}  // namespace anonkit::sqlite
