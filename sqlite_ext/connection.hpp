// Per-connection state: the scanner this connection uses (built-in recognizers plus the user's
// tables anonkit_patterns and anonkit_keywords). Shared by the functions and virtual tables
// registered on that connection; swapped as a whole by anonkit_reload().
#pragma once

#include <map>
#include <memory>
#include <string>

#include "anonkit/detect/scanner.hpp"
#include "anonkit/pseudo/ff1.hpp"
#include "anonkit/pseudo/keyring.hpp"
#include "anonkit/pseudo/pseudonym.hpp"
#include "bridge.hpp"
#include "budget.hpp"
#include "dp_statements.hpp"

namespace anonkit::sqlite {

struct ConnectionState {
  std::shared_ptr<const detect::Scanner> scanner = detect::Scanner::builtin();
  std::size_t user_patterns = 0;
  std::size_t user_keywords = 0;

  // Key material of this connection only; never written to any database. Empty: no key.
  std::shared_ptr<const pseudo::Keyring> keyring;
  std::unique_ptr<pseudo::Pseudonymizer> pseudonymizer;       // HMAC key schedule, once
  std::map<std::uint32_t, std::unique_ptr<pseudo::Ff1>> ff1;  // AES key schedule per radix

  // The privacy-budget ledger of this connection's main database, opened on first use.
  std::unique_ptr<BudgetLedger> ledger;
  BudgetLedger& ledger_for(sqlite3* db) {
    if (!ledger) ledger = std::make_unique<BudgetLedger>(db);
    return *ledger;
  }

  // The DP calls of the statements running on this connection, read from their text.
  DpStatements dp_statements;

  void set_key(std::shared_ptr<const pseudo::Keyring> ring);
  // Throw KeyError "anonkit: no key loaded; ..." without a key.
  const pseudo::Pseudonymizer& hmac() const;
  const pseudo::Ff1& ff1_for(std::uint32_t radix);
};
using StatePtr = std::shared_ptr<ConnectionState>;

// Reads the user tables of `db` (absent tables count as empty) and installs a new scanner in
// `state`. On any error the old scanner stays and the error is thrown ("anonkit: ...").
void reload_user_recognizers(sqlite3* db, ConnectionState& state);

// Registers the functions and virtual tables of each family.
int register_mask_functions(sqlite3* db, const StatePtr& state);
int register_scan_tables(sqlite3* db, const StatePtr& state);
int register_admin_functions(sqlite3* db, const StatePtr& state);
int register_bucket_functions(sqlite3* db, const StatePtr& state);
int register_anonymity_checks(sqlite3* db, const StatePtr& state);
int register_pseudo_functions(sqlite3* db, const StatePtr& state);
int register_dp_functions(sqlite3* db, const StatePtr& state);
int register_budget_functions(sqlite3* db, const StatePtr& state);
int register_inventory(sqlite3* db, const StatePtr& state);

}  // namespace anonkit::sqlite
