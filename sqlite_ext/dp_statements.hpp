// What a DP query costs is decided from its text when the statement starts, not from its rows.
// A statement hook (sqlite3_trace_v2, SQLITE_TRACE_STMT) reads the DP calls in the statement's
// expanded SQL (bound parameters appear as literals), validates their parameters and charges the
// ledger for every call before a single row is read. The aggregates then take their parameters
// from here, never from the rows, so neither the release nor the charge nor an error depends on the
// data; an empty input (SQLite finalizes without a step) still finds its epsilon and releases
// noise.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bridge.hpp"

namespace anonkit::sqlite {

class BudgetLedger;

enum class DpKind { kCount, kSum, kMean, kVariance, kMedian, kQuantile, kKeepGroup };

// One registered form of a DP function: its kind and whether it takes a privacy unit.
struct DpForm {
  DpKind kind;
  bool unit;
};
[[nodiscard]] const char* dp_name(DpKind kind) noexcept;
// Number of SQL arguments of a form.
[[nodiscard]] int dp_arity(DpForm form) noexcept;

struct DpParams {
  double epsilon = 0;
  double lower = 0, upper = 0;
  bool integer_bounds = false;  // dp_sum: both bounds written as integers
  double q = 0;                 // dp_quantile
  double delta = 0;             // dp_keep_group
};

class DpStatements {
 public:
  // The hook's body for one statement start (never throws: a problem is recorded and reported by
  // the DP function when it runs).
  void on_statement_start(sqlite3* db, sqlite3_stmt* stmt, BudgetLedger& ledger) noexcept;
  // A statement without DP calls starts: any run recorded under its address has ended.
  void forget(sqlite3_stmt* stmt) noexcept;

  // Which written call a group belongs to: its statement and the call's place in it.
  struct Call {
    sqlite3_stmt* stmt = nullptr;
    std::size_t site = 0;
    DpParams params;
  };

  // The written call of `form` that a group runs for (at its first step, or at an empty final).
  // One DP statement runs at a time on a connection and a function appears in it with one set of
  // parameters (both refused at the statement's start otherwise), so the call is never guessed:
  // whatever the rows, it is the same call.
  // Throws InvalidArgument ("anonkit: ...") when the call is not in a running statement's text,
  // its parameters are not numbers written in it, or the statement was refused at its start.
  [[nodiscard]] Call resolve(sqlite3* db, DpForm form);

  // Accounts one release of `call`: the start charge covers one release per call written in the
  // statement; each further release (another GROUP BY group, a correlated subquery's next run) is
  // charged here, before it is released.
  void account_release(sqlite3* db, const Call& call, BudgetLedger& ledger);

 private:
  struct Site {
    DpForm form;
    DpParams params;
    std::string error;          // non-empty: this call is refused, with this message
    std::int64_t written = 0;   // calls with these parameters in the statement
    std::int64_t released = 0;  // releases so far in this run
  };
  struct Run {
    sqlite3_stmt* stmt;
    std::vector<Site> sites;
  };
  void forget_finished(sqlite3* db);

  std::vector<Run> runs_;
};

// Installs the statement hook on `db` for `statements`/`ledger` of its connection state.
int install_dp_statement_hook(sqlite3* db, void* connection_state);

}  // namespace anonkit::sqlite
