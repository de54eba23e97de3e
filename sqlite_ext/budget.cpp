// The ledger's SQL and its guard. A charge takes the write lock (BEGIN IMMEDIATE) of every ledger
// it touches in one global order (by ledger file path), checks all, then inserts and commits all:
// processes can never together exceed a total, and two charges over the same files cannot
// deadlock. The extension's own connections run with triggers off and defensive mode on, and
// refuse ledger tables whose definition is not exactly the one anonkit writes.
#include "budget.hpp"

#include <fmt/format.h>
#include <strings.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "anonkit/error.hpp"

namespace anonkit::sqlite {
namespace {

using internal::Db;
using internal::LedgerIdentity;

// In the data file: which ledger it belongs to. Copies and hard links carry it.
constexpr const char* kIdentityTable =
    "CREATE TABLE anonkit_budget_ledger(id INTEGER PRIMARY KEY CHECK (id = 1), "
    "ledger_id TEXT NOT NULL, ledger_path TEXT NOT NULL)";
// In the ledger file.
constexpr const char* kBudgetTable =
    "CREATE TABLE anonkit_budget(id INTEGER PRIMARY KEY CHECK (id = 1), ledger_id TEXT NOT NULL, "
    "total_micro INTEGER CHECK (total_micro IS NULL OR total_micro > 0))";
constexpr const char* kChargesTable =
    "CREATE TABLE anonkit_budget_charges(id INTEGER PRIMARY KEY, "
    "at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), "
    "function TEXT NOT NULL, micro INTEGER NOT NULL CHECK (micro > 0))";
constexpr const char* kDocs = "docs/differential-privacy.md, \"The budget ledger\"";

[[noreturn]] void fail(sqlite3* db, const char* what) {
  throw Error(fmt::format("anonkit: the privacy-budget ledger failed ({}): {}", what,
                          db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

void exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message != nullptr ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    throw Error(fmt::format("anonkit: the privacy-budget ledger failed: {}", text));
  }
}

Stmt prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) fail(db, "prepare");
  return Stmt(raw);
}

// Steps a statement to its first row; false when there is none.
bool first_row(sqlite3* db, sqlite3_stmt* stmt) {
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(db, "read");
  return rc == SQLITE_ROW;
}

std::string column_text(sqlite3_stmt* stmt, int i) {
  const auto* text = sqlite3_column_text(stmt, i);
  return text != nullptr ? std::string(reinterpret_cast<const char*>(text)) : std::string();
}

// The extension's own connection to a file: no triggers, no schema tricks, a busy wait.
Db open_file(const std::string& path, bool create, int busy_ms) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK)
    throw Error(
        fmt::format("anonkit: cannot open '{}' for the privacy-budget ledger ({}); DP "
                    "queries need it ({})",
                    path, raw != nullptr ? sqlite3_errmsg(raw) : "out of memory", kDocs));
  sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_busy_timeout(raw, busy_ms);
  return db;
}

// The definition of `table` in `db`'s main schema: nullopt when absent. A table of that name whose
// definition differs from anonkit's (made by hand, or a renamed look-alike) is refused.
bool table_as_made(sqlite3* db, const char* table, const char* definition,
                   const std::string& file) {
  Stmt stmt = prepare(db, "SELECT type, sql FROM sqlite_schema WHERE name = ?1 COLLATE NOCASE");
  sqlite3_bind_text(stmt.get(), 1, table, -1, SQLITE_STATIC);
  if (!first_row(db, stmt.get())) return false;
  if (column_text(stmt.get(), 0) != "table" || column_text(stmt.get(), 1) != definition)
    throw Error(
        fmt::format("anonkit: '{}' holds a table {} that anonkit did not make; the privacy-budget "
                    "ledger cannot be "
                    "trusted, and DP queries over it are refused until its owner repairs it ({})",
                    file, table, kDocs));
  return true;
}

std::optional<LedgerIdentity> read_identity(sqlite3* data, const std::string& file) {
  if (!table_as_made(data, "anonkit_budget_ledger", kIdentityTable, file)) return std::nullopt;
  Stmt stmt =
      prepare(data, "SELECT ledger_id, ledger_path FROM anonkit_budget_ledger WHERE id = 1");
  if (!first_row(data, stmt.get()))
    throw Error(
        fmt::format("anonkit: '{}' has an empty anonkit_budget_ledger; DP queries over it "
                    "are refused until its owner repairs it ({})",
                    file, kDocs));
  return LedgerIdentity{column_text(stmt.get(), 0), column_text(stmt.get(), 1)};
}

bool holds_tables(sqlite3* data) {
  Stmt stmt = prepare(data,
                      "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                      "'sqlite\\_%' ESCAPE '\\' AND name <> 'anonkit_budget_ledger' LIMIT 1");
  return first_row(data, stmt.get());
}

std::string ledger_id_of(sqlite3* ledger, const std::string& path) {
  if (!table_as_made(ledger, "anonkit_budget", kBudgetTable, path) ||
      !table_as_made(ledger, "anonkit_budget_charges", kChargesTable, path))
    throw Error(fmt::format("anonkit: '{}' is not a privacy-budget ledger ({})", path, kDocs));
  Stmt stmt = prepare(ledger, "SELECT ledger_id FROM anonkit_budget WHERE id = 1");
  if (!first_row(ledger, stmt.get()))
    throw Error(fmt::format("anonkit: the privacy-budget ledger '{}' is empty ({})", path, kDocs));
  return column_text(stmt.get(), 0);
}

// Creates the ledger file's tables, or adopts what is there (an earlier anonkit's sidecar with
// tables budget/charges keeps its total and spending). Runs inside the ledger's write lock.
std::string make_ledger(sqlite3* ledger, const std::string& path) {
  if (table_as_made(ledger, "anonkit_budget", kBudgetTable, path))
    return ledger_id_of(ledger, path);
  exec(ledger, kBudgetTable);
  exec(ledger, kChargesTable);
  exec(ledger, "INSERT INTO anonkit_budget(id, ledger_id) VALUES (1, lower(hex(randomblob(16))))");
  Stmt old = prepare(ledger,
                     "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                     "('budget', 'charges')");
  first_row(ledger, old.get());
  if (sqlite3_column_int(old.get(), 0) == 2) {
    exec(ledger,
         "UPDATE anonkit_budget SET total_micro = (SELECT total_micro FROM budget WHERE id = 1);"
         "INSERT INTO anonkit_budget_charges(at, function, micro) "
         "SELECT at, function, micro FROM charges WHERE micro > 0 ORDER BY id;"
         "DROP TABLE budget; DROP TABLE charges");
  }
  return ledger_id_of(ledger, path);
}

BudgetStatus read_status(sqlite3* ledger) {
  BudgetStatus s;
  Stmt total = prepare(ledger, "SELECT total_micro FROM anonkit_budget WHERE id = 1");
  if (first_row(ledger, total.get()) && sqlite3_column_type(total.get(), 0) != SQLITE_NULL)
    s.total_micro = sqlite3_column_int64(total.get(), 0);
  Stmt spent = prepare(ledger, "SELECT coalesce(sum(micro), 0) FROM anonkit_budget_charges");
  if (first_row(ledger, spent.get())) s.spent_micro = sqlite3_column_int64(spent.get(), 0);
  return s;
}

[[noreturn]] void exhausted(std::int64_t requested, const BudgetStatus& s,
                            const std::string& schema) {
  throw Error(
      fmt::format("anonkit: privacy budget exhausted: requested ε={}, remaining ε={}{}",
                  format_epsilon(requested),
                  format_epsilon(std::max<std::int64_t>(0, *s.total_micro - s.spent_micro)),
                  schema == "main" ? std::string() : fmt::format(" (database '{}')", schema)));
}

void check_lower(const BudgetStatus& s, std::int64_t total, const std::string& schema) {
  if (s.total_micro && total > *s.total_micro)
    throw InvalidArgument(fmt::format(
        "anonkit: anonkit_budget_set() can only lower the total of database '{}' (now ε={}); "
        "raising it needs the ledger's owner, outside SQL ({})",
        schema, format_epsilon(*s.total_micro), kDocs));
}

std::string file_key(const char* file) {
  struct stat st {};
  if (::stat(file, &st) != 0)
    throw Error(
        fmt::format("anonkit: cannot find the database file '{}' to charge its "
                    "privacy budget",
                    file));
  return fmt::format("{}:{}", static_cast<unsigned long long>(st.st_dev),
                     static_cast<unsigned long long>(st.st_ino));
}

// Keeps a transaction on the extension's own connection from outliving an error.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { exec(db, "BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (db_ != nullptr) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    exec(db_, "COMMIT");
    db_ = nullptr;
  }

 private:
  sqlite3* db_;
};

bool is_ledger_table(const char* name) {
  return name != nullptr && (strcasecmp(name, "anonkit_budget_ledger") == 0 ||
                             strcasecmp(name, "anonkit_budget") == 0 ||
                             strcasecmp(name, "anonkit_budget_charges") == 0);
}

// Denies, on the user's connection, every statement that would write, drop, alter or shadow a
// ledger table, index or trigger on one, or make the schema writable, and DP or administrative
// functions called from any view or trigger, TEMP ones included. Internal statements SQLite
// runs itself (CREATE TABLE's own sqlite_schema update) are not shown to an authorizer.
// Functions that must be written in the statement that runs them: the DP aggregates (their
// parameters and charge are read from that text) and the administrative functions. SQLite does not
// apply DIRECTONLY to TEMP views and triggers; this does, for these.
bool is_direct_only_everywhere(const char* name) {
  if (name == nullptr) return false;
  if (strncasecmp(name, "dp_", 3) == 0) return true;
  for (const char* f :
       {"anonkit_key_load", "anonkit_reload", "anonkit_budget_set", "anonkit_budget"})
    if (strcasecmp(name, f) == 0) return true;
  return false;
}

int guard(void*, int action, const char* a, const char* b, const char*,
          const char* view_or_trigger) noexcept {
  switch (action) {
    case SQLITE_FUNCTION:
      return view_or_trigger != nullptr && is_direct_only_everywhere(b) ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      if (a != nullptr && strcasecmp(a, "sqlite_dbpage") == 0) return SQLITE_DENY;
      [[fallthrough]];
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_VTABLE:
      return is_ledger_table(a) ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_ALTER_TABLE:
      return is_ledger_table(b) ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_PRAGMA:
      return a != nullptr && strcasecmp(a, "writable_schema") == 0 ? SQLITE_DENY : SQLITE_OK;
    default:
      return SQLITE_OK;
  }
}

}  // namespace

std::int64_t to_micro(double epsilon) {
  return static_cast<std::int64_t>(std::ceil(epsilon * 1e6 - 1e-9));
}

std::string format_epsilon(std::int64_t micro) {
  return fmt::format("{}", static_cast<double>(micro) / 1e6);
}

int BudgetLedger::install_guard(sqlite3* db) { return sqlite3_set_authorizer(db, guard, nullptr); }

void BudgetLedger::require_schema(const std::string& schema) const {
  for (int i = 0;; ++i) {
    const char* name = sqlite3_db_name(database_, i);
    if (name == nullptr) break;
    if (schema == name) return;
  }
  throw InvalidArgument(fmt::format("anonkit: no database named '{}' on this connection", schema));
}

bool BudgetLedger::main_in_memory() const {
  const char* file = sqlite3_db_filename(database_, "main");
  return file == nullptr || *file == '\0';
}

std::optional<LedgerIdentity> BudgetLedger::identity_of(const std::string& schema, bool create,
                                                        bool force) {
  const char* file = sqlite3_db_filename(database_, schema.c_str());
  if (schema == "temp" || file == nullptr || *file == '\0') return std::nullopt;
  const std::string key = file_key(file);
  if (auto it = identities_.find(key); it != identities_.end()) return it->second;
  Db data = open_file(file, false, 30000);
  if (auto found = read_identity(data.get(), file)) return identities_[key] = *found;
  if (!create || (!force && !holds_tables(data.get()))) return std::nullopt;

  // The identity is written into the data file once. Decided before anything is released: a
  // lock this connection holds on the file would block that write.
  const int txn = sqlite3_txn_state(database_, schema.c_str());
  Stmt mode = prepare(data.get(), "PRAGMA journal_mode");
  const bool wal = first_row(data.get(), mode.get()) && column_text(mode.get(), 0) == "wal";
  mode.reset();
  if (txn == SQLITE_TXN_WRITE || (txn == SQLITE_TXN_READ && !wal))
    throw Error(fmt::format(
        "anonkit: database '{}' has no privacy-budget ledger yet, and it cannot be created while "
        "this connection holds a transaction on it; commit first, or run SELECT "
        "anonkit_budget_set(total_epsilon, '{}') once outside a transaction",
        schema, schema));
  if (sqlite3_db_readonly(data.get(), "main") == 1)
    throw Error(
        fmt::format("anonkit: database '{}' is read-only and has no privacy-budget ledger; "
                    "DP queries over it need one ({})",
                    schema, kDocs));
  Transaction write(data.get());
  if (auto found = read_identity(data.get(), file)) {  // another process was first
    write.commit();
    return identities_[key] = *found;
  }
  const std::string path = std::string(file) + "-anonkit-budget";
  Db ledger = open_file(path, true, 30000);
  Transaction ledger_write(ledger.get());
  const std::string id = make_ledger(ledger.get(), path);
  ledger_write.commit();
  exec(data.get(), kIdentityTable);
  Stmt insert = prepare(data.get(),
                        "INSERT INTO anonkit_budget_ledger(id, ledger_id, ledger_path) "
                        "VALUES (1, ?1, ?2)");
  sqlite3_bind_text(insert.get(), 1, id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(insert.get(), 2, path.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(insert.get()) != SQLITE_DONE) fail(data.get(), "write the ledger identity");
  insert.reset();
  write.commit();
  ledgers_[path] = std::move(ledger);
  return identities_[key] = LedgerIdentity{id, path};
}

sqlite3* BudgetLedger::ledger_db(const LedgerIdentity& identity, const std::string& schema) {
  if (auto it = ledgers_.find(identity.path); it != ledgers_.end()) return it->second.get();
  struct stat st {};
  if (::stat(identity.path.c_str(), &st) != 0)
    throw Error(fmt::format(
        "anonkit: the privacy-budget ledger of database '{}' is not at '{}'; DP queries over it "
        "need it (a copy moved to another machine needs its ledger too: {})",
        schema, identity.path, kDocs));
  Db ledger = open_file(identity.path, false, 30000);
  if (ledger_id_of(ledger.get(), identity.path) != identity.id)
    throw Error(fmt::format("anonkit: '{}' is not the privacy-budget ledger of database '{}' ({})",
                            identity.path, schema, kDocs));
  return (ledgers_[identity.path] = std::move(ledger)).get();
}

std::vector<BudgetLedger::Target> BudgetLedger::targets(bool& memory) {
  memory = main_in_memory();
  std::vector<Target> out;
  for (int i = 0;; ++i) {
    const char* name = sqlite3_db_name(database_, i);
    if (name == nullptr) break;
    if (auto identity = identity_of(name, true, false)) {
      // Hard links, copies and a file attached twice share one ledger: charged once.
      const bool seen = std::any_of(out.begin(), out.end(),
                                    [&](const Target& t) { return t.identity.id == identity->id; });
      if (!seen) out.push_back({name, *identity});
    }
  }
  // One global lock order for every process: no two charges wait for each other in a cycle.
  std::sort(out.begin(), out.end(),
            [](const Target& x, const Target& y) { return x.identity.path < y.identity.path; });
  return out;
}

void BudgetLedger::charge(std::int64_t micro, const char* function) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  bool memory = false;
  const std::vector<Target> all = targets(memory);
  std::vector<sqlite3*> dbs;
  for (const Target& t : all) dbs.push_back(ledger_db(t.identity, t.schema));
  // Check everything under every write lock first, then write: all ledgers or none.
  std::vector<std::unique_ptr<Transaction>> writes;
  for (std::size_t i = 0; i < all.size(); ++i) {
    writes.push_back(std::make_unique<Transaction>(dbs[i]));
    const BudgetStatus s = read_status(dbs[i]);
    if (s.total_micro && s.spent_micro + micro > *s.total_micro) exhausted(micro, s, all[i].schema);
  }
  if (memory && memory_.total_micro && memory_.spent_micro + micro > *memory_.total_micro)
    exhausted(micro, memory_, "main");
  for (sqlite3* db : dbs) {
    Stmt insert =
        prepare(db, "INSERT INTO anonkit_budget_charges(function, micro) VALUES (?1, ?2)");
    sqlite3_bind_text(insert.get(), 1, function, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert.get(), 2, micro);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) fail(db, "record the charge");
  }
  // A commit failing after an earlier one succeeded leaves that ledger charged and nothing
  // released: over-charging, never under-charging.
  for (auto& w : writes) w->commit();
  if (memory) memory_.spent_micro += micro;
}

void BudgetLedger::set_total(const std::string& schema, std::int64_t total_micro) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  require_schema(schema);
  if (schema == "main" && main_in_memory()) {
    check_lower(memory_, total_micro, schema);
    memory_.total_micro = total_micro;
    return;
  }
  const auto identity = identity_of(schema, true, true);
  if (!identity)
    throw InvalidArgument(fmt::format(
        "anonkit: anonkit_budget_set() expects a database file; '{}' is in memory (its data is "
        "charged to the main database's ledger when main is in memory)",
        schema));
  sqlite3* db = ledger_db(*identity, schema);
  Transaction write(db);
  check_lower(read_status(db), total_micro, schema);
  Stmt update = prepare(db, "UPDATE anonkit_budget SET total_micro = ?1 WHERE id = 1");
  sqlite3_bind_int64(update.get(), 1, total_micro);
  if (sqlite3_step(update.get()) != SQLITE_DONE) fail(db, "set the total");
  update.reset();
  write.commit();
}

BudgetStatus BudgetLedger::status(const std::string& schema) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  require_schema(schema);
  if (schema == "main" && main_in_memory()) return memory_;
  const auto identity = identity_of(schema, false, false);
  if (!identity) return {};
  sqlite3* db = ledger_db(*identity, schema);
  exec(db, "BEGIN");  // total and spent from one snapshot
  try {
    const BudgetStatus s = read_status(db);
    exec(db, "COMMIT");
    return s;
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<std::pair<std::string, BudgetStatus>> BudgetLedger::status() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  std::vector<std::pair<std::string, BudgetStatus>> out;
  for (int i = 0;; ++i) {
    const char* name = sqlite3_db_name(database_, i);
    if (name == nullptr) break;
    const char* file = sqlite3_db_filename(database_, name);
    const bool is_file = file != nullptr && *file != '\0';
    if (std::strcmp(name, "temp") == 0 || (!is_file && std::strcmp(name, "main") != 0)) continue;
    out.emplace_back(name, status(name));
  }
  return out;
}

}  // namespace anonkit::sqlite
