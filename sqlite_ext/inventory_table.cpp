// pii_inventory([table [, options]]): the data inventory, one row per column of the user's tables
// from a bounded sample of its values (shapes and counts, never a value); anonkit_decide() and
// anonkit_column_fingerprint(): the recorded decisions its `undecided` column checks against.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "anonkit/error.hpp"
#include "anonkit/inventory/column_profile.hpp"
#include "anonkit/policy/column_mask.hpp"
#include "registry.hpp"

namespace anonkit::sqlite {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kDecisions = "anonkit_column_decisions";
// The same table as sql/sqlite/anonkit_policy.sql creates; anonkit_decide() creates it when absent.
constexpr const char* kDecisionsDdl =
    "CREATE TABLE IF NOT EXISTS {}.anonkit_column_decisions (\n"
    "  table_name         TEXT NOT NULL COLLATE NOCASE,\n"
    "  column_name        TEXT NOT NULL COLLATE NOCASE,\n"
    "  decision           TEXT NOT NULL CHECK (decision IN ('keep', 'mask', 'drop')),\n"
    "  strategy           TEXT CHECK (strategy IS NULL OR decision = 'mask'),\n"
    "  reason             TEXT,\n"
    "  decided_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),\n"
    "  column_fingerprint TEXT\n"
    ")";

constexpr std::int64_t kDefaultRows = 1000;
constexpr double kDefaultSeconds = 5;
constexpr double kMaxSeconds = 1e6;
// Exact rowid lookups per wanted row before a sparse table falls back to `rowid >= ?`.
constexpr std::int64_t kAttemptsPerRow = 20;

// ---- SQL helpers ------------------------------------------------------------------------------

Stmt prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(raw);
    // Prepare errors name schema objects, never row values.
    throw Error(
        fmt::format("anonkit: pii_inventory could not prepare its query: {}", sqlite3_errmsg(db)));
  }
  return Stmt(raw);
}

// A statement that may legitimately fail to prepare (a probe); nullptr then.
Stmt try_prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(raw);
    return nullptr;
  }
  return Stmt(raw);
}

void bind(sqlite3_stmt* s, int i, std::string_view text) {
  sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

// sqlite3_step, turning an error into an exception. The message is SQLite's generic one for the
// code: a step error can come from a value (a generated column's expression), and the inventory
// never quotes a value.
bool step(sqlite3_stmt* s, std::string_view what) {
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw Error(
      fmt::format("anonkit: pii_inventory could not read {}: {}", what, sqlite3_errstr(rc)));
}

std::string column_string(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p == nullptr ? std::string()
                      : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

// ---- Tables and columns -----------------------------------------------------------------------

struct TableRef {
  std::string schema;  // as pragma_database_list spells it
  std::string name;    // as the schema spells it
  std::string from() const { return quote_identifier(schema) + "." + quote_identifier(name); }
};

std::optional<std::string> find_schema(sqlite3* db, std::string_view name) {
  Stmt s = prepare(db, "SELECT name FROM pragma_database_list WHERE name = ?1 COLLATE NOCASE");
  bind(s.get(), 1, name);
  if (!step(s.get(), "the database list")) return std::nullopt;
  return column_string(s.get(), 0);
}

std::string require_schema(sqlite3* db, std::string_view name, const char* function) {
  if (auto found = find_schema(db, name)) return *found;
  throw InvalidArgument(
      fmt::format("anonkit: {}(): no database named '{}'; expected main, temp or an attached one",
                  function, name));
}

// A real table (not a view, not a virtual table) of `schema` named `name` (any case).
std::optional<std::string> find_table(sqlite3* db, const std::string& schema, std::string_view name,
                                      const char* function) {
  Stmt s = prepare(db, fmt::format("SELECT name, coalesce(sql, '') LIKE 'CREATE VIRTUAL TABLE%' "
                                   "FROM {}.sqlite_master WHERE type = 'table' AND name = ?1 "
                                   "COLLATE NOCASE",
                                   quote_identifier(schema)));
  bind(s.get(), 1, name);
  if (!step(s.get(), "the schema")) return std::nullopt;
  if (sqlite3_column_int(s.get(), 1) != 0)
    throw InvalidArgument(
        fmt::format("anonkit: {}(): '{}' is a virtual table; expected a table that stores its rows",
                    function, name));
  return column_string(s.get(), 0);
}

// `name` in main, else `schema.name` for an attached (or temp) database; or in `schema` if given.
TableRef resolve_table(sqlite3* db, std::string_view name, const std::optional<std::string>& schema,
                       const char* function) {
  if (schema) {
    if (auto t = find_table(db, *schema, name, function)) return {*schema, *t};
  } else {
    if (auto t = find_table(db, "main", name, function)) return {"main", *t};
    if (const std::size_t dot = name.find('.'); dot != std::string_view::npos) {
      if (auto s = find_schema(db, name.substr(0, dot)))
        if (auto t = find_table(db, *s, name.substr(dot + 1), function)) return {*s, *t};
    }
  }
  throw InvalidArgument(fmt::format(
      "anonkit: {}(): no table named '{}' in {}; expected a table of this database (schema.table "
      "for an attached one)",
      function, name, schema ? *schema : std::string("main")));
}

// Every user table of `schema`: not sqlite_*, not anonkit_*, not virtual, not a virtual table's
// shadow table.
std::vector<std::string> user_tables(sqlite3* db, const std::string& schema) {
  std::unordered_set<std::string> shadow;
  if (Stmt s = try_prepare(
          db, "SELECT name FROM pragma_table_list WHERE schema = ?1 AND type = 'shadow'")) {
    bind(s.get(), 1, schema);
    while (step(s.get(), "the table list")) shadow.insert(column_string(s.get(), 0));
  }
  Stmt s = prepare(
      db, fmt::format("SELECT name FROM {}.sqlite_master WHERE type = 'table' AND lower(name) NOT "
                      "GLOB 'sqlite_*' AND lower(name) NOT GLOB 'anonkit_*' AND coalesce(sql, '') "
                      "NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name",
                      quote_identifier(schema)));
  std::vector<std::string> out;
  while (step(s.get(), "the schema")) {
    std::string name = column_string(s.get(), 0);
    if (!shadow.contains(name)) out.push_back(std::move(name));
  }
  return out;
}

struct ColumnInfo {
  int cid = 0;
  std::string name, type;
  bool not_null = false;
  int pk = 0;      // position in the primary key, 0 when not part of it
  int hidden = 0;  // 2, 3: generated (virtual, stored)
  std::string key;
};

std::vector<ColumnInfo> table_columns(sqlite3* db, const TableRef& t) {
  Stmt s = prepare(db,
                   "SELECT cid, name, coalesce(type, ''), \"notnull\", pk, hidden FROM "
                   "pragma_table_xinfo(?1, ?2) WHERE hidden IN (0, 2, 3) ORDER BY cid");
  bind(s.get(), 1, t.name);
  bind(s.get(), 2, t.schema);
  std::vector<ColumnInfo> out;
  while (step(s.get(), "the table's columns")) {
    ColumnInfo c;
    c.cid = sqlite3_column_int(s.get(), 0);
    c.name = column_string(s.get(), 1);
    c.type = column_string(s.get(), 2);
    c.not_null = sqlite3_column_int(s.get(), 3) != 0;
    c.pk = sqlite3_column_int(s.get(), 4);
    c.hidden = sqlite3_column_int(s.get(), 5);
    out.push_back(std::move(c));
  }
  return out;
}

// What identifies a column's declaration: its position, declared type, NOT NULL, place in the
// primary key and generated kind. SQLite records no column's age, so a decision carries this and
// stops counting once the column it was made for is not the one under that name any more.
// Written as a reader would say it: "#2 TEXT", "#0 INTEGER PK1", "#5 TEXT NOT NULL GENERATED".
std::string fingerprint(const ColumnInfo& c) {
  std::string out = fmt::format("#{} {}", c.cid, c.type.empty() ? "(no type)" : c.type);
  if (c.not_null) out += " NOT NULL";
  if (c.pk > 0) out += fmt::format(" PK{}", c.pk);
  if (c.hidden == 2) out += " GENERATED VIRTUAL";
  if (c.hidden == 3) out += " GENERATED STORED";
  return out;
}

ColumnInfo& column_named(std::vector<ColumnInfo>& columns, std::string_view name, const TableRef& t,
                         const char* function) {
  for (ColumnInfo& c : columns)
    if (iequals(c.name, name)) return c;
  std::string known;
  for (const ColumnInfo& c : columns) known += (known.empty() ? "" : ", ") + c.name;
  throw InvalidArgument(fmt::format("anonkit: {}(): '{}' has no column '{}'; its columns: {}",
                                    function, t.name, name, known));
}

void add_key(ColumnInfo& c, std::string_view key) {
  if (c.key.find(key) != std::string::npos) return;
  if (!c.key.empty()) c.key += ',';
  c.key += key;
}

// pk, unique (a one-column UNIQUE index, not partial) and fk:parent.column for each column.
void annotate_keys(sqlite3* db, const TableRef& t, std::vector<ColumnInfo>& columns) {
  auto by_name = [&](std::string_view name) -> ColumnInfo* {
    for (ColumnInfo& c : columns)
      if (iequals(c.name, name)) return &c;
    return nullptr;
  };
  for (ColumnInfo& c : columns)
    if (c.pk > 0) add_key(c, "pk");
  {
    Stmt s = prepare(db,
                     "SELECT name FROM pragma_index_list(?1, ?2) WHERE \"unique\" = 1 AND partial "
                     "= 0 AND origin <> 'pk'");
    bind(s.get(), 1, t.name);
    bind(s.get(), 2, t.schema);
    std::vector<std::string> indexes;
    while (step(s.get(), "the table's indexes")) indexes.push_back(column_string(s.get(), 0));
    for (const std::string& index : indexes) {
      Stmt i = prepare(db, "SELECT cid, name FROM pragma_index_info(?1, ?2)");
      bind(i.get(), 1, index);
      bind(i.get(), 2, t.schema);
      std::vector<std::string> names;
      bool expression = false;
      while (step(i.get(), "an index")) {
        if (sqlite3_column_int(i.get(), 0) < 0) expression = true;
        names.push_back(column_string(i.get(), 1));
      }
      if (names.size() == 1 && !expression)
        if (ColumnInfo* c = by_name(names[0]); c != nullptr && c->pk == 0) add_key(*c, "unique");
    }
  }
  Stmt s = prepare(db,
                   "SELECT id, seq, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?1, "
                   "?2) ORDER BY id, seq");
  bind(s.get(), 1, t.name);
  bind(s.get(), 2, t.schema);
  struct Reference {
    std::string parent, from;
    std::optional<std::string> to;
    int seq;
  };
  std::vector<Reference> refs;
  while (step(s.get(), "the table's foreign keys")) {
    Reference r;
    r.seq = sqlite3_column_int(s.get(), 1);
    r.parent = column_string(s.get(), 2);
    r.from = column_string(s.get(), 3);
    if (sqlite3_column_type(s.get(), 4) != SQLITE_NULL) r.to = column_string(s.get(), 4);
    refs.push_back(std::move(r));
  }
  for (const Reference& r : refs) {
    std::string to;
    if (r.to) {
      to = *r.to;
    } else {  // REFERENCES parent: the parent's primary key, column by column
      Stmt p = prepare(db, "SELECT name FROM pragma_table_info(?1, ?2) WHERE pk = ?3");
      bind(p.get(), 1, r.parent);
      bind(p.get(), 2, t.schema);
      sqlite3_bind_int(p.get(), 3, r.seq + 1);
      if (step(p.get(), "a referenced table")) to = column_string(p.get(), 0);
    }
    if (ColumnInfo* c = by_name(r.from))
      add_key(*c, to.empty() ? "fk:" + r.parent : "fk:" + r.parent + "." + to);
  }
}

// ---- Decisions --------------------------------------------------------------------------------

struct Decision {
  std::string decision;
  std::optional<std::string> strategy;
  bool current = false;  // made for this declaration of the column, and well-formed
};

bool has_decisions_table(sqlite3* db, const std::string& schema) {
  Stmt s = prepare(db, fmt::format("SELECT 1 FROM {}.sqlite_master WHERE type = 'table' AND name "
                                   "= 'anonkit_column_decisions'",
                                   quote_identifier(schema)));
  return step(s.get(), "the schema");
}

// The latest decision per column of `t` (by decided_at, then by insertion), keyed by lower-case
// column name.
std::map<std::string, Decision> decisions_for(sqlite3* db, const TableRef& t,
                                              const std::vector<ColumnInfo>& columns) {
  std::map<std::string, Decision> out;
  if (!has_decisions_table(db, t.schema)) return out;
  const std::string sql = fmt::format(
      "SELECT column_name, decision, strategy, column_fingerprint FROM {}.{} WHERE table_name = ?1 "
      "COLLATE NOCASE ORDER BY decided_at, rowid",
      quote_identifier(t.schema), kDecisions);
  Stmt s = try_prepare(db, sql);
  if (!s)
    throw Error(fmt::format(
        "anonkit: pii_inventory could not read {}: {}; expected the columns table_name, "
        "column_name, decision, strategy, reason, decided_at, column_fingerprint "
        "(sql/sqlite/anonkit_policy.sql)",
        kDecisions, sqlite3_errmsg(db)));
  bind(s.get(), 1, t.name);
  std::map<std::string, std::string> fingerprints;
  for (const ColumnInfo& c : columns) fingerprints[lower(c.name)] = fingerprint(c);
  while (step(s.get(), kDecisions)) {
    Decision d;
    const std::string column = lower(column_string(s.get(), 0));
    d.decision = column_string(s.get(), 1);
    if (sqlite3_column_type(s.get(), 2) != SQLITE_NULL) d.strategy = column_string(s.get(), 2);
    const bool pinned = sqlite3_column_type(s.get(), 3) != SQLITE_NULL;
    const auto fp = fingerprints.find(column);
    bool well_formed = d.decision == "keep" || d.decision == "drop" || d.decision == "mask";
    if (d.strategy) {
      if (d.decision != "mask") well_formed = false;
      try {
        (void)policy::ColumnMask::parse(*d.strategy);
      } catch (const Error&) {
        well_formed = false;
      }
    }
    d.current = well_formed && pinned && fp != fingerprints.end() &&
                column_string(s.get(), 3) == fp->second;
    out[column] = std::move(d);
  }
  return out;
}

// ---- Options ----------------------------------------------------------------------------------

struct Options {
  std::int64_t rows = kDefaultRows;
  std::optional<double> seconds;  // per table; default kDefaultSeconds when sampling
  bool full = false;
  bool count = false;
  std::optional<std::string> schema;
};

Options parse_options(sqlite3* db, std::string_view json) {
  constexpr const char* kKeys = "rows, seconds, full, count, schema";
  Stmt valid = prepare(db, "SELECT json_valid(?1) AND json_type(?1) = 'object'");
  bind(valid.get(), 1, json);
  if (!step(valid.get(), "the options") || sqlite3_column_int(valid.get(), 0) == 0)
    throw InvalidArgument(fmt::format(
        "anonkit: pii_inventory() expects options as a JSON object with the keys {}, e.g. "
        "'{{\"rows\":5000,\"seconds\":2}}'",
        kKeys));
  Stmt s = prepare(db, "SELECT key, type, value FROM json_each(?1)");
  bind(s.get(), 1, json);
  Options o;
  std::unordered_set<std::string> seen;
  while (step(s.get(), "the options")) {
    const std::string key = column_string(s.get(), 0);
    const std::string type = column_string(s.get(), 1);
    if (!seen.insert(key).second)
      throw InvalidArgument(fmt::format("anonkit: pii_inventory() options: '{}' given twice", key));
    auto expect = [&](bool ok, const char* what) {
      if (!ok)
        throw InvalidArgument(
            fmt::format("anonkit: pii_inventory() options: '{}' must be {}", key, what));
    };
    if (key == "rows") {
      expect(type == "integer" && sqlite3_column_int64(s.get(), 2) >= 1,
             "an integer >= 1 (the rows sampled per table)");
      o.rows = sqlite3_column_int64(s.get(), 2);
    } else if (key == "seconds") {
      const double d = sqlite3_column_double(s.get(), 2);
      expect((type == "integer" || type == "real") && d > 0 && d <= kMaxSeconds,
             "a number > 0 and at most 1000000 (the time limit per table, in seconds)");
      o.seconds = d;
    } else if (key == "full" || key == "count") {
      expect(type == "true" || type == "false", "true or false");
      (key == "full" ? o.full : o.count) = type == "true";
    } else if (key == "schema") {
      expect(type == "text", "the name of a database (main, temp or an attached one)");
      o.schema = require_schema(db, column_string(s.get(), 2), "pii_inventory");
    } else {
      throw InvalidArgument(fmt::format(
          "anonkit: pii_inventory() options: unknown key '{}'; expected {}", key, kKeys));
    }
  }
  return o;
}

// ---- Sampling ---------------------------------------------------------------------------------

struct Sample {
  std::vector<inventory::ColumnProfile> profiles;
  std::vector<std::int64_t> blobs;
  std::int64_t rows = 0;
  std::optional<std::int64_t> total;
  std::string sampling;
};

class Sampler {
 public:
  Sampler(sqlite3* db, const TableRef& t, const std::vector<ColumnInfo>& columns, const Options& o,
          Sample& out)
      : db_(db), t_(t), columns_(columns), o_(o), out_(out) {
    for (const ColumnInfo& c : columns)
      list_ += (list_.empty() ? "" : ", ") + quote_identifier(c.name);
    const std::optional<double> seconds = o.seconds ? o.seconds
                                          : o.full  ? std::nullopt
                                                    : std::optional(kDefaultSeconds);
    if (seconds)
      deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(*seconds));
    seconds_ = seconds.value_or(0);
  }

  void run() {
    const std::string what = fmt::format("table '{}'", t_.name);
    if (o_.count) {
      Stmt s = prepare(db_, "SELECT count(*) FROM " + t_.from());
      step(s.get(), what);
      out_.total = sqlite3_column_int64(s.get(), 0);
    }
    const std::int64_t cap = o_.full ? std::numeric_limits<std::int64_t>::max() : o_.rows;
    bool small = o_.full;
    if (!small) {  // at most cap rows: read them all (costs at most cap + 1 row reads)
      Stmt s = prepare(db_, "SELECT count(*) FROM (SELECT 1 FROM " + t_.from() + " LIMIT ?1)");
      sqlite3_bind_int64(s.get(), 1,
                         std::min(cap, std::numeric_limits<std::int64_t>::max() - 1) + 1);
      step(s.get(), what);
      small = sqlite3_column_int64(s.get(), 0) <= cap;
    }
    if (small) {
      Stmt s = prepare(db_, "SELECT " + list_ + " FROM " + t_.from());
      const bool stopped = read_all(s.get(), what);
      if (stopped) {
        out_.sampling = fmt::format("first {} ({})", out_.rows, stop_note());
      } else {
        out_.sampling = "full";
        out_.total = out_.rows;
      }
      return;
    }
    const std::optional<std::string> rowid = rowid_name();
    if (!rowid) {  // WITHOUT ROWID: the first rows in primary-key order
      Stmt s = prepare(db_, "SELECT " + list_ + " FROM " + t_.from() + " LIMIT ?1");
      sqlite3_bind_int64(s.get(), 1, cap);
      const bool stopped = read_all(s.get(), what);
      out_.sampling = fmt::format(
          "first {} in primary-key order of {}", out_.rows,
          out_.total ? fmt::format("{}", *out_.total) : fmt::format("more than {}", cap));
      if (stopped) out_.sampling += " (" + stop_note() + ")";
      return;
    }
    random_rows(*rowid, cap, what);
  }

 private:
  bool expired() const { return deadline_ && Clock::now() >= *deadline_; }
  std::string stop_note() const { return fmt::format("stopped at the {} s time limit", seconds_); }

  // One row's values, columns from `first` on, into the profiles.
  void feed(sqlite3_stmt* s, int first) {
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const int at = first + static_cast<int>(i);
      switch (sqlite3_column_type(s, at)) {
        case SQLITE_NULL:
          out_.profiles[i].add(std::nullopt);
          break;
        case SQLITE_BLOB:
          ++out_.blobs[i];  // may hold anything: not guessed at, counted
          break;
        case SQLITE_FLOAT: {
          // An integral REAL (a phone or an ID imported from a spreadsheet) is read as its digits,
          // as mask() reads it.
          const double d = sqlite3_column_double(s, at);
          if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
            storage_ = fmt::format("{}", static_cast<std::int64_t>(d));
            out_.profiles[i].add(std::string_view(storage_));
            break;
          }
          [[fallthrough]];
        }
        default: {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, at));
          if (p == nullptr) throw std::bad_alloc();
          out_.profiles[i].add(
              std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s, at))));
        }
      }
    }
    ++out_.rows;
  }

  // Reads every row of `s`; true when the time limit stopped it.
  bool read_all(sqlite3_stmt* s, const std::string& what) {
    while (step(s, what)) {
      feed(s, 0);
      if (expired()) return step(s, what);  // stopped early only if rows were left
    }
    return false;
  }

  // The name that reads the table's rowid: rowid, _rowid_ or oid, whichever no column shadows;
  // nullopt for a WITHOUT ROWID table.
  std::optional<std::string> rowid_name() const {
    for (const char* name : {"rowid", "_rowid_", "oid"}) {
      const bool shadowed = std::any_of(columns_.begin(), columns_.end(),
                                        [&](const ColumnInfo& c) { return iequals(c.name, name); });
      if (shadowed) continue;
      if (try_prepare(db_, fmt::format("SELECT max({}) FROM {}", name, t_.from())))
        return std::string(name);
      return std::nullopt;
    }
    return std::nullopt;
  }

  std::int64_t scalar(const std::string& sql, const std::string& what) {
    Stmt s = prepare(db_, sql);
    step(s.get(), what);
    return sqlite3_column_int64(s.get(), 0);
  }

  // Rowids drawn uniformly between min(rowid) and max(rowid), each looked up with `rowid = ?`
  // (rejection sampling: uniform over the rows that exist, without replacement). A table whose
  // rowids are mostly holes falls back to `rowid >= ?`, which weights rows after gaps up.
  void random_rows(const std::string& rowid, std::int64_t cap, const std::string& what) {
    // Two statements: SQLite optimizes a lone min() or max() to one b-tree descent, not both.
    const std::int64_t lo = scalar(fmt::format("SELECT min({}) FROM {}", rowid, t_.from()), what);
    const std::int64_t hi = scalar(fmt::format("SELECT max({}) FROM {}", rowid, t_.from()), what);
    std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
    if (span == 0) span = std::numeric_limits<std::uint64_t>::max();
    auto draw = [&] {
      std::uint64_t r = 0;
      sqlite3_randomness(sizeof r, &r);
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + r % span);
    };
    Stmt exact =
        prepare(db_, fmt::format("SELECT {} FROM {} WHERE {} = ?1", list_, t_.from(), rowid));
    Stmt after = prepare(db_, fmt::format("SELECT {0}, {1} FROM {2} WHERE {0} >= ?1 ORDER BY {0} "
                                          "LIMIT 1",
                                          rowid, list_, t_.from()));
    std::unordered_set<std::int64_t> picked;
    const std::int64_t budget =
        std::min<std::int64_t>(cap, std::int64_t{1} << 32) * kAttemptsPerRow;
    std::int64_t attempts = 0, hits = 0, after_attempts = 0;
    bool gap_weighted = false, stopped = false;
    std::vector<std::int64_t> batch;
    while (static_cast<std::int64_t>(picked.size()) < cap) {
      if (expired()) {
        stopped = true;
        break;
      }
      const std::int64_t want = cap - static_cast<std::int64_t>(picked.size());
      const bool exact_mode = attempts < budget;
      if (!exact_mode && after_attempts >= budget)
        break;  // a pathological table: take what we have
      gap_weighted = gap_weighted || !exact_mode;
      const std::int64_t n =
          std::min(want, exact_mode ? budget - attempts : budget - after_attempts);
      batch.clear();
      for (std::int64_t i = 0; i < n; ++i) batch.push_back(draw());
      std::sort(batch.begin(), batch.end());  // b-tree descents in order: pages stay cached
      for (const std::int64_t x : batch) {
        if (static_cast<std::int64_t>(picked.size()) >= cap) break;
        if (expired()) break;
        if (exact_mode) {
          ++attempts;
          if (picked.contains(x)) {
            ++hits;
            continue;
          }
          sqlite3_reset(exact.get());
          sqlite3_bind_int64(exact.get(), 1, x);
          if (step(exact.get(), what)) {
            ++hits;
            picked.insert(x);
            feed(exact.get(), 0);
          }
        } else {
          ++after_attempts;
          sqlite3_reset(after.get());
          sqlite3_bind_int64(after.get(), 1, x);
          if (!step(after.get(), what)) continue;
          const std::int64_t id = sqlite3_column_int64(after.get(), 0);
          if (picked.insert(id).second) feed(after.get(), 1);
        }
      }
    }
    std::string of;
    if (out_.total) {
      of = fmt::format("{}", *out_.total);
    } else {
      const double density =
          attempts > 0 ? static_cast<double>(hits) / static_cast<double>(attempts) : 1.0;
      of = fmt::format("~{:.0f}", static_cast<double>(span) * density);
    }
    out_.sampling = fmt::format("random {} of {}", out_.rows, of);
    if (gap_weighted) out_.sampling += " (sparse rowids: rows after gaps weighted up)";
    if (stopped) out_.sampling += " (" + stop_note() + ")";
  }

  sqlite3* db_;
  const TableRef& t_;
  const std::vector<ColumnInfo>& columns_;
  const Options& o_;
  Sample& out_;
  std::string list_;
  std::optional<Clock::time_point> deadline_;
  double seconds_ = 0;
  std::string storage_;
};

// ---- The virtual table ------------------------------------------------------------------------

enum InventoryColumn {
  kTableName,
  kColumnName,
  kDeclaredType,
  kKey,
  kRowsTotal,
  kRowsSampled,
  kSampling,
  kNonNull,
  kBlobs,
  kTypes,
  kTopType,
  kShare,
  kShape,
  kSuggestion,
  kDecision,
  kDecisionStrategy,
  kDecisionState,
  kUndecided,
  kSchemaName,
  kArgTable,
  kArgOptions
};

struct Row {
  std::string schema, table, column, declared_type;
  std::optional<std::string> key;
  std::optional<std::int64_t> rows_total;
  std::int64_t rows_sampled = 0, non_null = 0, blobs = 0;
  std::string sampling, types;
  std::optional<std::string> top_type, shape, suggestion, decision, strategy, decision_state;
  std::optional<double> share;
  bool undecided = false;
};

void inventory_table(sqlite3* db, const StatePtr& state, const TableRef& t, const Options& o,
                     std::vector<Row>& rows) {
  std::vector<ColumnInfo> columns = table_columns(db, t);
  annotate_keys(db, t, columns);
  const std::map<std::string, Decision> decisions = decisions_for(db, t, columns);
  Sample sample;
  for (std::size_t i = 0; i < columns.size(); ++i) sample.profiles.emplace_back(state->scanner);
  sample.blobs.assign(columns.size(), 0);
  Sampler(db, t, columns, o, sample).run();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const ColumnInfo& c = columns[i];
    const inventory::ColumnReport report = sample.profiles[i].report();
    Row r;
    r.schema = t.schema;
    r.table = t.name;
    r.column = c.name;
    r.declared_type = c.type;
    if (!c.key.empty()) r.key = c.key;
    r.rows_total = sample.total;
    r.rows_sampled = sample.rows;
    r.sampling = sample.sampling;
    r.non_null = report.non_null;
    r.blobs = sample.blobs[i];
    r.types = "[";
    for (const inventory::TypeShare& ts : report.types) {
      if (r.types.size() > 1) r.types += ',';
      r.types += "{\"type\":";
      append_json_string(r.types, ts.type);
      r.types += fmt::format(",\"values\":{},\"share\":{}}}", ts.values, ts.share);
    }
    r.types += "]";
    if (!report.types.empty()) {
      r.top_type = report.types.front().type;
      r.share = report.types.front().share;
    }
    if (!report.shape.empty()) r.shape = report.shape;
    if (!report.suggestion.empty()) r.suggestion = report.suggestion;
    bool decided = false;
    if (const auto d = decisions.find(lower(c.name)); d != decisions.end()) {
      r.decision = d->second.decision;
      r.strategy = d->second.strategy;
      r.decision_state = d->second.current ? "current" : "stale";
      decided = d->second.current;
    }
    r.undecided = report.has_pii() && !decided;
    rows.push_back(std::move(r));
  }
}

struct InventoryVtab : sqlite3_vtab {
  sqlite3* db = nullptr;
  StatePtr state;
};

struct InventoryCursor : sqlite3_vtab_cursor {
  std::vector<Row> rows;
  std::size_t row = 0;
};

int inventory_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out,
                      char** err) noexcept {
  const int rc = sqlite3_declare_vtab(
      db,
      "CREATE TABLE x(table_name TEXT, column_name TEXT, declared_type TEXT, key TEXT, "
      "rows_total INTEGER, rows_sampled INTEGER, sampling TEXT, non_null INTEGER, blobs INTEGER, "
      "types TEXT, top_type TEXT, share REAL, shape TEXT, suggestion TEXT, decision TEXT, "
      "decision_strategy TEXT, decision_state TEXT, undecided INTEGER, schema_name TEXT, "
      "tbl HIDDEN, options HIDDEN)");
  if (rc != SQLITE_OK) {
    *err = sqlite_strdup("anonkit: could not declare pii_inventory");
    return rc;
  }
  auto* vtab = new (std::nothrow) InventoryVtab{};
  if (vtab == nullptr) return SQLITE_NOMEM;
  vtab->db = db;
  vtab->state = *static_cast<StatePtr*>(aux);
  // It reads every table of the database: never from inside a view or trigger.
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *out = vtab;
  return SQLITE_OK;
}

int inventory_disconnect(sqlite3_vtab* vtab) noexcept {
  delete static_cast<InventoryVtab*>(vtab);
  return SQLITE_OK;
}

// idxNum bit 1: the table is bound; bit 2: the options are (argv in that order).
int inventory_best_index(sqlite3_vtab*, sqlite3_index_info* info) noexcept {
  int slot[2] = {-1, -1};
  bool unusable[2] = {false, false};
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.op != SQLITE_INDEX_CONSTRAINT_EQ || c.iColumn < kArgTable) continue;
    const int k = c.iColumn - kArgTable;
    if (c.usable)
      slot[k] = i;
    else
      unusable[k] = true;
  }
  // An argument not known yet is no plan at all (series.c does the same).
  if ((unusable[0] && slot[0] < 0) || (unusable[1] && slot[1] < 0)) return SQLITE_CONSTRAINT;
  int mask = 0, argv = 0;
  for (int k = 0; k < 2; ++k) {
    if (slot[k] < 0) continue;
    info->aConstraintUsage[slot[k]].argvIndex = ++argv;
    info->aConstraintUsage[slot[k]].omit = 1;
    mask |= 1 << k;
  }
  info->idxNum = mask;
  info->estimatedCost = 1e6;
  info->estimatedRows = 100;
  return SQLITE_OK;
}

int inventory_filter(sqlite3_vtab_cursor* cur, int idx, const char*, int argc,
                     sqlite3_value** argv) noexcept {
  auto* c = static_cast<InventoryCursor*>(cur);
  return vtab_guarded(cur->pVtab, [&] {
    c->rows.clear();
    c->row = 0;
    const auto* vtab = static_cast<InventoryVtab*>(cur->pVtab);
    sqlite3* db = vtab->db;
    int at = 0;
    sqlite3_value* table_arg = (idx & 1) != 0 && at < argc ? argv[at++] : nullptr;
    sqlite3_value* options_arg = (idx & 2) != 0 && at < argc ? argv[at++] : nullptr;
    Options o;
    if (options_arg != nullptr && sqlite3_value_type(options_arg) != SQLITE_NULL)
      o = parse_options(db, param_text(options_arg, "pii_inventory", "options"));
    std::vector<TableRef> tables;
    if (table_arg != nullptr && sqlite3_value_type(table_arg) != SQLITE_NULL) {
      tables.push_back(resolve_table(db, param_text(table_arg, "pii_inventory", "table"), o.schema,
                                     "pii_inventory"));
    } else {
      const std::string schema = o.schema.value_or("main");
      for (std::string& name : user_tables(db, schema)) tables.push_back({schema, std::move(name)});
    }
    for (const TableRef& t : tables) inventory_table(db, vtab->state, t, o, c->rows);
    return SQLITE_OK;
  });
}

int inventory_next(sqlite3_vtab_cursor* cur) noexcept {
  ++static_cast<InventoryCursor*>(cur)->row;
  return SQLITE_OK;
}

int inventory_eof(sqlite3_vtab_cursor* cur) noexcept {
  const auto* c = static_cast<InventoryCursor*>(cur);
  return c->row >= c->rows.size();
}

void result_optional(sqlite3_context* ctx, const std::optional<std::string>& s) {
  if (s)
    result_text(ctx, *s);
  else
    sqlite3_result_null(ctx);
}

int inventory_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) noexcept {
  const auto* c = static_cast<InventoryCursor*>(cur);
  const Row& r = c->rows[c->row];
  switch (column) {
    case kTableName:
      result_text(ctx, r.table);
      break;
    case kColumnName:
      result_text(ctx, r.column);
      break;
    case kDeclaredType:
      result_text(ctx, r.declared_type);
      break;
    case kKey:
      result_optional(ctx, r.key);
      break;
    case kRowsTotal:
      if (r.rows_total)
        sqlite3_result_int64(ctx, *r.rows_total);
      else
        sqlite3_result_null(ctx);
      break;
    case kRowsSampled:
      sqlite3_result_int64(ctx, r.rows_sampled);
      break;
    case kSampling:
      result_text(ctx, r.sampling);
      break;
    case kNonNull:
      sqlite3_result_int64(ctx, r.non_null);
      break;
    case kBlobs:
      sqlite3_result_int64(ctx, r.blobs);
      break;
    case kTypes:
      result_text(ctx, r.types);
      break;
    case kTopType:
      result_optional(ctx, r.top_type);
      break;
    case kShare:
      if (r.share)
        sqlite3_result_double(ctx, *r.share);
      else
        sqlite3_result_null(ctx);
      break;
    case kShape:
      result_optional(ctx, r.shape);
      break;
    case kSuggestion:
      result_optional(ctx, r.suggestion);
      break;
    case kDecision:
      result_optional(ctx, r.decision);
      break;
    case kDecisionStrategy:
      result_optional(ctx, r.strategy);
      break;
    case kDecisionState:
      result_optional(ctx, r.decision_state);
      break;
    case kUndecided:
      sqlite3_result_int(ctx, r.undecided ? 1 : 0);
      break;
    case kSchemaName:
      result_text(ctx, r.schema);
      break;
    default:
      sqlite3_result_null(ctx);
  }
  return SQLITE_OK;
}

int inventory_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) noexcept {
  *rowid = static_cast<sqlite3_int64>(static_cast<InventoryCursor*>(cur)->row + 1);
  return SQLITE_OK;
}

sqlite3_module make_inventory_module() {
  sqlite3_module m{};
  m.xCreate = nullptr;  // eponymous-only
  m.xConnect = inventory_connect;
  m.xBestIndex = inventory_best_index;
  m.xDisconnect = inventory_disconnect;
  m.xOpen = open_cursor<InventoryCursor>;
  m.xClose = close_cursor<InventoryCursor>;
  m.xFilter = inventory_filter;
  m.xNext = inventory_next;
  m.xEof = inventory_eof;
  m.xColumn = inventory_column;
  m.xRowid = inventory_rowid;
  return m;
}

const sqlite3_module kInventoryModule = make_inventory_module();

void destroy_aux(void* p) noexcept { delete static_cast<StatePtr*>(p); }

// ---- anonkit_decide, anonkit_column_fingerprint -----------------------------------------------

// anonkit_decide(table, column, decision [, strategy [, reason]])
void decide_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    constexpr const char* kFn = "anonkit_decide";
    if (argc < 3 || argc > 5)
      throw InvalidArgument(
          "anonkit: anonkit_decide() takes (table, column, decision [, strategy [, reason]])");
    sqlite3* db = sqlite3_context_db_handle(ctx);
    const std::string_view table = param_text(argv[0], kFn, "table");
    const std::string_view column = param_text(argv[1], kFn, "column");
    const std::string decision = lower(param_text(argv[2], kFn, "decision"));
    if (decision != "keep" && decision != "mask" && decision != "drop")
      throw InvalidArgument(
          "anonkit: anonkit_decide() expects the decision 'keep', 'mask' or 'drop'");
    std::optional<std::string> strategy;
    if (argc > 3 && sqlite3_value_type(argv[3]) != SQLITE_NULL) {
      strategy = std::string(param_text(argv[3], kFn, "strategy"));
      if (decision != "mask")
        throw InvalidArgument(
            "anonkit: anonkit_decide() takes a strategy only with the decision 'mask'");
      (void)policy::ColumnMask::parse(*strategy);  // an unknown one: an error listing them
    }
    std::optional<std::string> reason;
    if (argc > 4 && sqlite3_value_type(argv[4]) != SQLITE_NULL)
      reason = std::string(param_text(argv[4], kFn, "reason"));
    const TableRef t = resolve_table(db, table, std::nullopt, kFn);
    std::vector<ColumnInfo> columns = table_columns(db, t);
    const ColumnInfo& c = column_named(columns, column, t, kFn);
    const std::string fp = fingerprint(c);
    char* err = nullptr;
    const std::string ddl = fmt::format(kDecisionsDdl, quote_identifier(t.schema));
    if (sqlite3_exec(db, ddl.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string message = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      throw Error(
          fmt::format("anonkit: anonkit_decide() could not create {}: {}", kDecisions, message));
    }
    Stmt s = prepare(db, fmt::format("INSERT INTO {}.{}(table_name, column_name, decision, "
                                     "strategy, reason, column_fingerprint) VALUES (?1, ?2, ?3, "
                                     "?4, ?5, ?6)",
                                     quote_identifier(t.schema), kDecisions));
    bind(s.get(), 1, t.name);
    bind(s.get(), 2, c.name);
    bind(s.get(), 3, decision);
    if (strategy) bind(s.get(), 4, *strategy);
    if (reason) bind(s.get(), 5, *reason);
    bind(s.get(), 6, fp);
    if (sqlite3_step(s.get()) != SQLITE_DONE)
      throw Error(fmt::format("anonkit: anonkit_decide() could not record the decision: {}",
                              sqlite3_errmsg(db)));
    result_text(ctx, fp);
  });
}

// anonkit_column_fingerprint(table, column): what anonkit_decide() records, for decisions
// written with a plain INSERT (a migration script).
void fingerprint_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    constexpr const char* kFn = "anonkit_column_fingerprint";
    if (argc != 2)
      throw InvalidArgument("anonkit: anonkit_column_fingerprint() takes (table, column)");
    sqlite3* db = sqlite3_context_db_handle(ctx);
    const TableRef t = resolve_table(db, param_text(argv[0], kFn, "table"), std::nullopt, kFn);
    std::vector<ColumnInfo> columns = table_columns(db, t);
    result_text(ctx,
                fingerprint(column_named(columns, param_text(argv[1], kFn, "column"), t, kFn)));
  });
}

constexpr FunctionDef kFunctions[] = {
    // It writes a row: DIRECTONLY, never from a view or trigger.
    {"anonkit_decide", -1, kDirectOnly, decide_fn},
    // It reads the schema, which changes under it: not DETERMINISTIC.
    {"anonkit_column_fingerprint", 2, kDirectOnly, fingerprint_fn},
};

}  // namespace

int register_inventory(sqlite3* db, const StatePtr& state) {
  int rc = register_functions(db, state, kFunctions);
  if (rc != SQLITE_OK) return rc;
  auto* copy = new (std::nothrow) StatePtr(state);
  if (copy == nullptr) return SQLITE_NOMEM;
  return sqlite3_create_module_v2(db, "pii_inventory", &kInventoryModule, copy, destroy_aux);
}

}  // namespace anonkit::sqlite
