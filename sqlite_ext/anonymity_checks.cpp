// k_anonymity(), l_diversity() and k_anonymity_report(): measurements over a table's
// quasi-identifiers. Table and column names come from the user, so each is checked against the
// schema (pragma_table_info) and quoted; nothing else from the arguments reaches the SQL text.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <new>
#include <vector>

#include "anonkit/error.hpp"
#include "registry.hpp"

namespace anonkit::sqlite {
namespace {

Stmt prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK)
    throw Error(fmt::format("anonkit: could not prepare the measurement: {}", sqlite3_errmsg(db)));
  return Stmt(raw);
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

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A table and some of its columns, validated against the schema.
struct Target {
  std::string table;                // quoted
  std::vector<std::string> names;   // as the schema spells them
  std::vector<std::string> quoted;  // quoted, same order
  std::string group_by() const {
    std::string out;
    for (const auto& q : quoted) out += (out.empty() ? "" : ",") + q;
    return out;
  }
};

std::vector<std::string> table_columns(sqlite3* db, std::string_view table) {
  Stmt stmt = prepare(db, "SELECT name FROM pragma_table_info(?1)");
  sqlite3_bind_text(stmt.get(), 1, table.data(), static_cast<int>(table.size()), SQLITE_TRANSIENT);
  std::vector<std::string> columns;
  while (sqlite3_step(stmt.get()) == SQLITE_ROW)
    columns.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0)));
  if (columns.empty())
    throw InvalidArgument(fmt::format(
        "anonkit: no table or view named '{}'; expected the name of one in this database", table));
  return columns;
}

Target resolve(sqlite3* db, std::string_view table, std::string_view column_list,
               const char* what) {
  const std::vector<std::string> columns = table_columns(db, table);
  Target t;
  t.table = quote_identifier(table);
  while (true) {
    const std::size_t comma = column_list.find(',');
    const std::string_view name = trim(column_list.substr(0, comma));
    const auto found = std::find_if(columns.begin(), columns.end(),
                                    [&](const std::string& c) { return iequals(c, name); });
    if (found == columns.end()) {
      std::string known;
      for (const auto& c : columns) known += (known.empty() ? "" : ", ") + c;
      throw InvalidArgument(fmt::format(
          "anonkit: {} must be a comma-separated list of columns of '{}' ({}); '{}' is not one",
          what, table, known, name));
    }
    t.names.push_back(*found);
    t.quoted.push_back(quote_identifier(*found));
    if (comma == std::string_view::npos) break;
    column_list.remove_prefix(comma + 1);
  }
  return t;
}

void result_min(sqlite3_context* ctx, sqlite3* db, const std::string& sql) {
  Stmt stmt = prepare(db, sql);
  const int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW)
    throw Error(fmt::format("anonkit: the measurement failed: {}", sqlite3_errmsg(db)));
  sqlite3_result_value(ctx, sqlite3_column_value(stmt.get(), 0));  // NULL for an empty table
}

void k_anonymity_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (argc != 2) throw InvalidArgument("anonkit: k_anonymity() takes (table, 'qi1,qi2,...')");
    sqlite3* db = sqlite3_context_db_handle(ctx);
    const Target t = resolve(db, param_text(argv[0], "k_anonymity", "table"),
                             param_text(argv[1], "k_anonymity", "the quasi-identifiers"),
                             "the quasi-identifiers");
    result_min(ctx, db,
               fmt::format("SELECT min(n) FROM (SELECT count(*) AS n FROM {} GROUP BY {})", t.table,
                           t.group_by()));
  });
}

void l_diversity_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (argc != 3)
      throw InvalidArgument("anonkit: l_diversity() takes (table, 'qi1,qi2,...', 'sensitive')");
    sqlite3* db = sqlite3_context_db_handle(ctx);
    const std::string_view table = param_text(argv[0], "l_diversity", "table");
    const Target t = resolve(db, table, param_text(argv[1], "l_diversity", "the quasi-identifiers"),
                             "the quasi-identifiers");
    const Target s = resolve(db, table, param_text(argv[2], "l_diversity", "the sensitive column"),
                             "the sensitive column");
    if (s.quoted.size() != 1)
      throw InvalidArgument("anonkit: l_diversity() takes exactly one sensitive column");
    result_min(
        ctx, db,
        fmt::format("SELECT min(n) FROM (SELECT count(DISTINCT {}) AS n FROM {} GROUP BY {})",
                    s.quoted[0], t.table, t.group_by()));
  });
}

// ---- k_anonymity_report(table, columns, k) ----------------------------------------------------

enum ReportColumn { kClass, kSize, kTable, kColumns, kK };

struct ReportTable : sqlite3_vtab {
  sqlite3* db;
};

struct ReportCursor : sqlite3_vtab_cursor {
  Stmt stmt;
  bool eof = true;
  sqlite3_int64 row = 0;
};

int report_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out,
                   char** err) noexcept {
  const int rc = sqlite3_declare_vtab(
      db, "CREATE TABLE x(class TEXT, size INTEGER, tbl HIDDEN, columns HIDDEN, k HIDDEN)");
  if (rc != SQLITE_OK) {
    *err = sqlite_strdup("anonkit: could not declare k_anonymity_report");
    return rc;
  }
  auto* vtab = new (std::nothrow) ReportTable{};
  if (vtab == nullptr) return SQLITE_NOMEM;
  vtab->db = db;
  // It reads whatever table it is given: never from inside a view or trigger.
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *out = vtab;
  return SQLITE_OK;
}

int report_disconnect(sqlite3_vtab* vtab) noexcept {
  delete static_cast<ReportTable*>(vtab);
  return SQLITE_OK;
}

// idxNum bits 1, 2, 4: table, columns, k bound (as argv[0..2]).
int report_best_index(sqlite3_vtab*, sqlite3_index_info* info) noexcept {
  int slot[3] = {-1, -1, -1};
  bool unusable = false;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.op != SQLITE_INDEX_CONSTRAINT_EQ || c.iColumn < kTable) continue;
    if (!c.usable) {
      unusable = true;
      continue;
    }
    slot[c.iColumn - kTable] = i;
  }
  if (unusable && (slot[0] < 0 || slot[1] < 0 || slot[2] < 0)) return SQLITE_CONSTRAINT;
  int mask = 0, argv = 0;
  for (int k = 0; k < 3; ++k) {
    if (slot[k] < 0) continue;
    info->aConstraintUsage[slot[k]].argvIndex = ++argv;
    info->aConstraintUsage[slot[k]].omit = 1;
    mask |= 1 << k;
  }
  info->idxNum = mask;
  info->estimatedCost = mask == 7 ? 1000.0 : 1e12;
  return SQLITE_OK;
}

int report_step(ReportCursor* c, sqlite3* db) {
  const int rc = sqlite3_step(c->stmt.get());
  if (rc == SQLITE_ROW) {
    ++c->row;
    c->eof = false;
    return SQLITE_OK;
  }
  c->eof = true;
  if (rc == SQLITE_DONE) return SQLITE_OK;
  throw Error(fmt::format("anonkit: k_anonymity_report failed: {}", sqlite3_errmsg(db)));
}

int report_filter(sqlite3_vtab_cursor* cur, int idx, const char*, int,
                  sqlite3_value** argv) noexcept {
  auto* c = static_cast<ReportCursor*>(cur);
  return vtab_guarded(cur->pVtab, [&] {
    c->stmt.reset();
    c->eof = true;
    c->row = 0;
    if (idx != 7)
      throw InvalidArgument(
          "anonkit: k_anonymity_report needs (table, 'qi1,qi2,...', k), e.g. SELECT * FROM "
          "k_anonymity_report('policies', 'age,tier', 4)");
    sqlite3* db = static_cast<ReportTable*>(cur->pVtab)->db;
    const Target t = resolve(db, param_text(argv[0], "k_anonymity_report", "table"),
                             param_text(argv[1], "k_anonymity_report", "the quasi-identifiers"),
                             "the quasi-identifiers");
    const std::int64_t k = param_int(argv[2], "k_anonymity_report", "k");
    if (k < 1)
      throw InvalidArgument(fmt::format("anonkit: k_anonymity_report expects k >= 1, got {}", k));
    // The class as a JSON object; its keys are bound, not spliced.
    std::string object;
    for (std::size_t i = 0; i < t.quoted.size(); ++i)
      object += fmt::format("{}?{},{}", i == 0 ? "" : ",", i + 2, t.quoted[i]);
    c->stmt = prepare(db, fmt::format("SELECT json_object({}) AS class, count(*) AS size FROM {} "
                                      "GROUP BY {} HAVING count(*) < ?1 ORDER BY size, class",
                                      object, t.table, t.group_by()));
    sqlite3_bind_int64(c->stmt.get(), 1, k);
    for (std::size_t i = 0; i < t.names.size(); ++i)
      sqlite3_bind_text(c->stmt.get(), static_cast<int>(i + 2), t.names[i].c_str(), -1,
                        SQLITE_TRANSIENT);
    return report_step(c, db);
  });
}

int report_next(sqlite3_vtab_cursor* cur) noexcept {
  auto* c = static_cast<ReportCursor*>(cur);
  return vtab_guarded(cur->pVtab,
                      [&] { return report_step(c, static_cast<ReportTable*>(cur->pVtab)->db); });
}

int report_eof(sqlite3_vtab_cursor* cur) noexcept { return static_cast<ReportCursor*>(cur)->eof; }

int report_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) noexcept {
  auto* c = static_cast<ReportCursor*>(cur);
  if (column == kClass || column == kSize)
    sqlite3_result_value(ctx, sqlite3_column_value(c->stmt.get(), column));
  else
    sqlite3_result_null(ctx);
  return SQLITE_OK;
}

int report_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) noexcept {
  *rowid = static_cast<ReportCursor*>(cur)->row;
  return SQLITE_OK;
}

sqlite3_module make_report_module() {
  sqlite3_module m{};
  m.xConnect = report_connect;
  m.xBestIndex = report_best_index;
  m.xDisconnect = report_disconnect;
  m.xOpen = open_cursor<ReportCursor>;
  m.xClose = close_cursor<ReportCursor>;
  m.xFilter = report_filter;
  m.xNext = report_next;
  m.xEof = report_eof;
  m.xColumn = report_column;
  m.xRowid = report_rowid;
  return m;
}

const sqlite3_module kReportModule = make_report_module();

constexpr FunctionDef kFunctions[] = {
    // They run SQL over the table they are given: DIRECTONLY, like SQLite's sha3_query.
    {"k_anonymity", -1, kDirectOnly, k_anonymity_fn},
    {"l_diversity", -1, kDirectOnly, l_diversity_fn},
};

}  // namespace

int register_anonymity_checks(sqlite3* db, const StatePtr& state) {
  const int rc = register_functions(db, state, kFunctions);
  if (rc != SQLITE_OK) return rc;
  return sqlite3_create_module_v2(db, "k_anonymity_report", &kReportModule, nullptr, nullptr);
}

}  // namespace anonkit::sqlite
