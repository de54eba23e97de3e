// The ledger's SQL. A charge is BEGIN IMMEDIATE, read, check, insert, COMMIT on the sidecar
// connection: the write lock serialises every connection and process using the same database file,
// so concurrent charges can never together exceed the total.
#include "budget.hpp"

#include <fmt/format.h>

#include <cmath>

#include "anonkit/error.hpp"

namespace anonkit::sqlite {
namespace {

void exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message != nullptr ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    throw Error(fmt::format("anonkit: the privacy-budget ledger failed: {}", text));
  }
}

std::optional<std::int64_t> query_int(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK)
    throw Error(fmt::format("anonkit: the privacy-budget ledger failed: {}", sqlite3_errmsg(db)));
  std::optional<std::int64_t> value;
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
    value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    throw Error(fmt::format("anonkit: the privacy-budget ledger failed: {}", sqlite3_errmsg(db)));
  return value;
}

BudgetStatus read_status(sqlite3* db) {
  return {query_int(db, "SELECT total_micro FROM budget WHERE id = 1"),
          query_int(db, "SELECT coalesce(sum(micro), 0) FROM charges").value_or(0)};
}

[[noreturn]] void exhausted(std::int64_t requested, const BudgetStatus& s) {
  throw Error(
      fmt::format("anonkit: privacy budget exhausted: requested ε={}, remaining ε={}",
                  format_epsilon(requested),
                  format_epsilon(std::max<std::int64_t>(0, *s.total_micro - s.spent_micro))));
}

}  // namespace

std::int64_t to_micro(double epsilon) {
  return static_cast<std::int64_t>(std::ceil(epsilon * 1e6 - 1e-9));
}

std::string format_epsilon(std::int64_t micro) {
  return fmt::format("{}", static_cast<double>(micro) / 1e6);
}

BudgetLedger::~BudgetLedger() {
  if (ledger_ != nullptr) sqlite3_close_v2(ledger_);
}

sqlite3* BudgetLedger::open() {
  if (opened_) return ledger_;
  const char* file = sqlite3_db_filename(database_, "main");
  if (file == nullptr || *file == '\0') {  // :memory: or a temporary database
    in_memory_ = opened_ = true;
    return nullptr;
  }
  const std::string path = std::string(file) + "-anonkit-budget";
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string why = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    throw Error(fmt::format(
        "anonkit: cannot open the privacy-budget ledger '{}' ({}); DP queries need it", path, why));
  }
  sqlite3_busy_timeout(db, 30000);  // other processes' charges take milliseconds
  try {
    exec(db,
         "CREATE TABLE IF NOT EXISTS budget(id INTEGER PRIMARY KEY CHECK (id = 1), "
         "total_micro INTEGER CHECK (total_micro IS NULL OR total_micro > 0));"
         "CREATE TABLE IF NOT EXISTS charges(id INTEGER PRIMARY KEY, "
         "at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), "
         "function TEXT NOT NULL, micro INTEGER NOT NULL CHECK (micro > 0))");
  } catch (...) {
    sqlite3_close_v2(db);
    throw;
  }
  ledger_ = db;
  opened_ = true;
  return ledger_;
}

void BudgetLedger::charge(std::int64_t micro, const char* function) {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite3* db = open();
  if (db == nullptr) {
    if (memory_.total_micro && memory_.spent_micro + micro > *memory_.total_micro)
      exhausted(micro, memory_);
    memory_.spent_micro += micro;
    return;
  }
  exec(db, "BEGIN IMMEDIATE");
  try {
    const BudgetStatus s = read_status(db);
    if (s.total_micro && s.spent_micro + micro > *s.total_micro) exhausted(micro, s);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "INSERT INTO charges(function, micro) VALUES (?1, ?2)", -1, &stmt,
                           nullptr) != SQLITE_OK)
      throw Error(fmt::format("anonkit: the privacy-budget ledger failed: {}", sqlite3_errmsg(db)));
    sqlite3_bind_text(stmt, 1, function, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, micro);
    const int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
      throw Error(fmt::format("anonkit: the privacy-budget ledger failed: {}", sqlite3_errmsg(db)));
    exec(db, "COMMIT");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void BudgetLedger::set_total(std::optional<std::int64_t> total_micro) {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite3* db = open();
  if (db == nullptr) {
    memory_.total_micro = total_micro;
    return;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO budget(id, total_micro) VALUES (1, ?1)", -1,
                         &stmt, nullptr) != SQLITE_OK)
    throw Error(fmt::format("anonkit: the privacy-budget ledger failed: {}", sqlite3_errmsg(db)));
  if (total_micro)
    sqlite3_bind_int64(stmt, 1, *total_micro);
  else
    sqlite3_bind_null(stmt, 1);
  const int rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE)
    throw Error(fmt::format("anonkit: the privacy-budget ledger failed: {}", sqlite3_errmsg(db)));
}

BudgetStatus BudgetLedger::status() {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite3* db = open();
  if (db == nullptr) return memory_;
  return read_status(db);
}

}  // namespace anonkit::sqlite
