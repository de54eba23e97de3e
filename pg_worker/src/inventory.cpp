// The inventory: catalog, keys and decisions read in one REPEATABLE READ READ ONLY snapshot, each
// table sampled inside a savepoint (a table that cannot be read is reported, the others go on),
// values cast to text and profiled by the core; then rendered. Sampling is sized from the row
// estimate (ANALYZE's rows per page times the table's current pages) so its cost does not grow
// with the table; a table never analyzed is probed first (about 32 pages).
#include "inventory.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "anonkit/detect/scanner.hpp"
#include "catalog.hpp"
#include "coverage.hpp"

namespace anonkit::pg {
namespace {

using Clock = std::chrono::steady_clock;

// Tables of at most this many pages (512 kB) are read whole: cheaper than sampling them well.
constexpr double kSmallPages = 64;
// A table without statistics is probed on about this many pages for its rows per page.
constexpr double kProbePages = 32;
// SYSTEM picks whole pages, so the sample aims at this many times the cap, then a random cap.
constexpr double kOversample = 3;

// Identifiers (and, defensively, shapes) printed to a terminal or a page: no control character.
std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  return out;
}

std::string percent(double share) {
  const double p = share * 100;
  if (p > 0 && p < 0.1) return "<0.1%";
  return fmt::format("{:.1f}%", p);
}

std::string pii_text(const inventory::ColumnReport& r) {
  std::string s;
  for (const auto& t : r.types)
    s += fmt::format("{}{} {}", s.empty() ? "" : ", ", t.type, percent(t.share));
  return s;
}

std::string decision_text(const InventoryColumn& c) {
  if (c.undecided()) return c.stale.empty() ? "UNDECIDED" : "UNDECIDED (stale decision)";
  if (c.decided_by.empty()) return "-";
  std::string s;
  for (const auto& d : c.decided_by) s += (s.empty() ? "" : "; ") + d;
  return s;
}

std::string rows_text(const std::optional<double>& n) {
  if (!n) return "?";
  return fmt::format("{:.0f}", *n);
}

// The core's suggestion, or the nearest strategy the column's type can take (an e-mail inside a
// jsonb document cannot be masked as text in place; an integer phone number can be pseudonymized).
std::string fit_suggestion(const std::string& s, const InventoryColumn& c) {
  if (s.empty()) return s;
  const auto fits = [&](const std::string& spec) {
    try {
      policy::ColumnMask::parse(spec).check_column(c.name, c.type, c.kind, c.not_null);
      return true;
    } catch (const InvalidArgument&) {
      return false;
    }
  };
  if (fits(s)) return s;
  if (c.kind == policy::ColumnKind::kInteger && fits("pseudonym:int")) return "pseudonym:int";
  if (fits("null")) return "null";
  return "";
}

struct Sample {
  std::vector<std::vector<db::Value>> rows;
  std::string method;
  std::optional<double> estimate;
  bool statistics = false;
};

class Sampler {
 public:
  Sampler(db::Connection& conn, db::Transaction& tx, const InventoryOptions& o)
      : conn_(conn), tx_(tx), cap_(static_cast<double>(o.rows)) {}

  Sample sample(const InventoryTable& t, const std::string& select_list) {
    const std::string from = conn_.quote_name(t.schema) + "." + conn_.quote_name(t.name);
    const std::string limit = fmt::format(" LIMIT {}", static_cast<std::int64_t>(cap_));
    Sample s;
    if (t.kind == "view") {
      s.rows = tx_.exec(fmt::format("SELECT {} FROM {} t{}", select_list, from, limit)).rows;
      s.method = "first rows (a view is not sampled)";
      return s;
    }
    // Pages now (the file's size: never stale), rows per page from ANALYZE where the leaves have
    // statistics; for a partitioned table over its leaves.
    const auto st = tx_.exec(
        "SELECT coalesce(sum(pg_relation_size(c.oid)), 0)::float8 / "
        "current_setting('block_size')::float8, "
        "coalesce(sum(c.reltuples) FILTER (WHERE c.reltuples > 0 AND c.relpages > 0), 0)::float8, "
        "coalesce(sum(c.relpages) FILTER (WHERE c.reltuples > 0 AND c.relpages > 0), 0)::float8 "
        "FROM pg_class c WHERE c.relkind IN ('r', 'm') AND c.oid IN (SELECT relid FROM "
        "pg_partition_tree(CAST($1 AS oid)) WHERE isleaf UNION SELECT CAST($1 AS oid))",
        {t.oid});
    const double pages = std::stod(*st.rows[0][0]);
    const double stat_rows = std::stod(*st.rows[0][1]), stat_pages = std::stod(*st.rows[0][2]);
    std::optional<double> density;
    std::string how;
    if (stat_pages > 0) {
      density = stat_rows / stat_pages;
      s.statistics = true;
    } else if (pages > kSmallPages) {
      const double pp = std::min(100.0, 100.0 * kProbePages / pages);
      const double n = static_cast<double>(
          tx_.exec(
                 fmt::format("SELECT count(*) FROM {} TABLESAMPLE SYSTEM (CAST($1 AS real))", from),
                 {fmt::format("{}", pp)})
              .integer());
      density = std::max(n, 1.0) / std::max(1.0, pages * pp / 100.0);
      how = ", rows estimated from a probe: no statistics";
    } else {
      how = ", no statistics";
    }
    if (density) s.estimate = *density * pages;
    double p = s.estimate && *s.estimate > 0 ? 100.0 * kOversample * cap_ / *s.estimate : 100.0;
    if (pages <= kSmallPages) p = 100;
    const std::string full =
        fmt::format("SELECT {} FROM {} t ORDER BY random(){}", select_list, from, limit);
    for (int attempt = 0;; ++attempt) {
      if (p >= 100) {
        s.rows = tx_.exec(full).rows;
        s.method =
            (static_cast<double>(s.rows.size()) < cap_ ? "all rows" : "random rows of all") + how;
        return s;
      }
      s.rows = tx_.exec(fmt::format("SELECT {} FROM {} t TABLESAMPLE SYSTEM (CAST($1 AS real)) "
                                    "ORDER BY random(){}",
                                    select_list, from, limit),
                        {fmt::format("{}", p)})
                   .rows;
      s.method = fmt::format("TABLESAMPLE SYSTEM ({:.3g}%){}", p, how);
      // Fewer rows than the cap from a table estimated larger: the estimate was high or the
      // pages picked were sparse; once more with four times the pages.
      if (static_cast<double>(s.rows.size()) >= cap_ || attempt > 0) return s;
      p = std::min(100.0, p * 4);
    }
  }

 private:
  db::Connection& conn_;
  db::Transaction& tx_;
  double cap_;
};

}  // namespace

std::string InventoryColumn::key_text() const {
  std::string s;
  const auto add = [&](const std::string& part) { s += (s.empty() ? "" : ", ") + part; };
  if (primary_key) add("PK");
  if (unique) add("UNIQUE");
  for (const auto& r : references) add("FK " + r);
  return s;
}

std::vector<std::string> Inventory::undecided() const {
  std::vector<std::string> out;
  for (const auto& t : tables) {
    if (!t.error.empty()) {
      out.push_back(fmt::format("{} (not sampled)", printable(t.display)));
      continue;
    }
    for (const auto& c : t.columns) {
      if (!c.undecided()) continue;
      std::string types;
      for (const auto& ty : c.report.types) types += (types.empty() ? "" : ", ") + ty.type;
      out.push_back(fmt::format("{}.{} ({}){}", printable(t.display), printable(c.name), types,
                                c.stale.empty() ? "" : ": stale decision, " + c.stale));
    }
  }
  return out;
}

Inventory take_inventory(db::Connection& conn, const InventoryOptions& options) {
  if (options.rows < 1) throw InvalidArgument("anonkit: --rows: expected at least 1");
  Inventory inv;
  inv.options = options;
  // Rules, policies and subjects first: they are read with statements of their own.
  const Coverage coverage = load_coverage(conn);
  inv.coverage_installed = coverage.installed;
  inv.notes = coverage.notes;

  db::Transaction tx(conn, db::Isolation::kRepeatableReadReadOnly);
  tx.set_local(
      {{"statement_timeout", std::to_string(options.timeout.count())},
       {"lock_timeout", std::to_string(std::min<std::int64_t>(options.timeout.count(), 5000))}});
  const auto head = tx.exec(
      "SELECT current_database(), to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || "
      "' UTC', current_setting('transaction_isolation'), current_setting('transaction_read_only'), "
      "current_setting('statement_timeout')");
  inv.database = *head.rows[0][0];
  inv.generated_at = *head.rows[0][1];
  inv.isolation = *head.rows[0][2];
  inv.read_only = *head.rows[0][3] == "on";
  inv.statement_timeout = *head.rows[0][4];

  std::vector<db::Value> schema_values(options.schemas.begin(), options.schemas.end());
  if (!options.schemas.empty()) {
    const auto missing = tx.exec(
        "SELECT string_agg(s, ', ') FROM unnest(CAST($1 AS text[])) s WHERE NOT EXISTS "
        "(SELECT 1 FROM pg_namespace n WHERE n.nspname = s)",
        {db::text_array(schema_values)});
    if (missing.rows[0][0])
      throw InvalidArgument(
          fmt::format("anonkit: --schema: no such schema: {}", printable(*missing.rows[0][0])));
  }
  const auto tables = tx.exec(
      fmt::format(
          "SELECT c.oid::text, n.nspname, c.relname, c.relkind::text, c.relispopulated::text, "
          "(SELECT count(*) FROM pg_partition_tree(c.oid) p WHERE p.isleaf)::text "
          "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
          "WHERE c.relkind IN ('r', 'p', 'm'{}) AND NOT c.relispartition "
          "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
          "AND d.objid = c.oid AND d.deptype = 'e') "
          "AND CASE WHEN cardinality(CAST($1 AS text[])) = 0 THEN n.nspname NOT IN "
          "('pg_catalog', 'information_schema', 'anonkit') AND n.nspname NOT LIKE 'pg\\_toast%' "
          "AND n.nspname NOT LIKE 'pg\\_temp\\_%' ELSE n.nspname = ANY(CAST($1 AS text[])) END "
          "ORDER BY n.nspname, c.relname",
          options.views ? ", 'v'" : ""),
      {db::text_array(schema_values)});
  std::map<std::string, std::size_t> by_oid;
  std::vector<db::Value> oids;
  for (const auto& r : tables.rows) {
    InventoryTable t;
    t.oid = *r[0];
    t.schema = *r[1];
    t.name = *r[2];
    t.display = t.schema + "." + t.name;
    const std::string& relkind = *r[3];
    t.kind = relkind == "r"   ? "table"
             : relkind == "p" ? "partitioned table"
             : relkind == "m" ? "materialized view"
                              : "view";
    if (relkind == "m" && *r[4] != "true") t.method = "not populated";
    t.partitions = std::stoll(*r[5]);
    by_oid[t.oid] = inv.tables.size();
    oids.emplace_back(t.oid);
    inv.tables.push_back(std::move(t));
  }
  const db::Value oid_array = db::text_array(oids);

  std::map<std::string, std::map<std::string, std::size_t>> column_index;  // oid -> name -> i
  for (const auto& r :
       tx.exec("SELECT a.attrelid::text, a.attnum::text, a.attname, "
               "format_type(a.atttypid, a.atttypmod), bt.typcategory::text, "
               "format_type(bt.oid, NULL), a.attnotnull::text "
               "FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid "
               "JOIN pg_type bt ON bt.oid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype "
               "ELSE ty.oid END "
               "WHERE a.attrelid = ANY(CAST($1 AS oid[])) AND a.attnum > 0 AND NOT a.attisdropped "
               "ORDER BY a.attrelid, a.attnum",
               {oid_array})
           .rows) {
    auto& t = inv.tables[by_oid.at(*r[0])];
    InventoryColumn c;
    c.attnum = std::stoi(*r[1]);
    c.name = *r[2];
    c.type = *r[3];
    c.kind = column_kind(*r[4], *r[5]);
    c.not_null = *r[6] == "true";
    column_index[t.oid][c.name] = t.columns.size();
    t.columns.push_back(std::move(c));
  }
  const auto column_of = [&](const std::string& oid, const std::string& name) -> InventoryColumn* {
    const auto t = column_index.find(oid);
    if (t == column_index.end()) return nullptr;
    const auto c = t->second.find(name);
    return c == t->second.end() ? nullptr : &inv.tables[by_oid.at(oid)].columns[c->second];
  };
  // Keys: primary keys and single-column unique indexes (not partial, not on an expression).
  for (const auto& r :
       tx.exec("SELECT i.indrelid::text, i.indisprimary::text, array_to_string(ARRAY("
               "  SELECT a.attname FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY "
               "  k(n, o) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n "
               "  ORDER BY k.o), chr(1)), i.indnkeyatts::text "
               "FROM pg_index i WHERE i.indrelid = ANY(CAST($1 AS oid[])) AND i.indisunique "
               "AND i.indisvalid AND i.indpred IS NULL AND NOT (0 = ANY(i.indkey))",
               {oid_array})
           .rows) {
    for (const auto& name : split_names(*r[2])) {
      InventoryColumn* c = column_of(*r[0], name);
      if (c == nullptr) continue;
      if (*r[1] == "true")
        c->primary_key = true;
      else if (*r[3] == "1")
        c->unique = true;
    }
  }
  // Foreign keys, partitions folded into their partitioned table on both sides.
  for (const auto& r :
       tx.exec("SELECT coalesce(pg_partition_root(c.conrelid), c.conrelid)::oid::text, "
               "array_to_string(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY "
               "  k(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n "
               "  ORDER BY k.o), chr(1)), rp.nspname || '.' || rpc.relname, "
               "array_to_string(ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY "
               "  k(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n "
               "  ORDER BY k.o), chr(1)) "
               "FROM pg_constraint c "
               "JOIN pg_class rpc ON rpc.oid = coalesce(pg_partition_root(c.confrelid), "
               "c.confrelid) JOIN pg_namespace rp ON rp.oid = rpc.relnamespace "
               "WHERE c.contype = 'f' AND c.conparentid = 0 AND "
               "coalesce(pg_partition_root(c.conrelid), c.conrelid) = ANY(CAST($1 AS oid[])) "
               "ORDER BY c.conname",
               {oid_array})
           .rows) {
    const auto child = split_names(*r[1]), parent = split_names(*r[3]);
    for (std::size_t k = 0; k < child.size() && k < parent.size(); ++k) {
      InventoryColumn* c = column_of(*r[0], child[k]);
      if (c == nullptr) continue;
      const std::string target = *r[2] + "." + parent[k];
      if (std::find(c->references.begin(), c->references.end(), target) == c->references.end())
        c->references.push_back(target);
    }
  }
  std::map<std::pair<std::string, std::string>, Decision> decisions;
  for (auto& d : read_decisions(tx)) decisions.emplace(std::make_pair(d.table, d.column), d);

  const auto scanner = detect::Scanner::builtin();
  Sampler sampler(conn, tx, options);
  std::size_t done = 0;
  for (auto& t : inv.tables) {
    ++done;
    const auto started = Clock::now();
    std::vector<inventory::ColumnProfile> profiles;
    std::string select_list;
    for (const auto& c : t.columns) {
      profiles.emplace_back(scanner);
      // bytea as its escaped text: printable bytes stay readable (an e-mail stored as bytes).
      select_list += fmt::format(
          "{}left({}, {})", select_list.empty() ? "" : ", ",
          c.type == "bytea" ? fmt::format("encode(t.{}, 'escape')", conn.quote_name(c.name))
                            : fmt::format("CAST(t.{} AS text)", conn.quote_name(c.name)),
          kInventoryValueChars);
    }
    if (t.method != "not populated" && !select_list.empty()) {
      (void)tx.exec("SAVEPOINT anonkit_inventory");
      try {
        Sample s = sampler.sample(t, select_list);
        (void)tx.exec("RELEASE SAVEPOINT anonkit_inventory");
        t.method = std::move(s.method);
        t.estimated_rows = s.estimate;
        t.statistics = s.statistics;
        t.sampled = static_cast<std::int64_t>(s.rows.size());
        for (const auto& row : s.rows)
          for (std::size_t j = 0; j < profiles.size() && j < row.size(); ++j)
            profiles[j].add(row[j] ? std::optional<std::string_view>(*row[j]) : std::nullopt);
      } catch (const db::SqlError& e) {
        (void)tx.exec("ROLLBACK TO SAVEPOINT anonkit_inventory");
        t.error = e.what();
        t.method = "not sampled";
      }
    }
    for (std::size_t j = 0; j < t.columns.size(); ++j) {
      auto& c = t.columns[j];
      c.report = profiles[j].report();
      c.suggestion = fit_suggestion(c.report.suggestion, c);
      c.decided_by = coverage.reasons(t.display, c.name);
      if (const auto d = decisions.find({t.display, c.name}); d != decisions.end()) {
        c.stale = stale_reason(d->second, c.attnum, c.type);
        if (c.stale.empty())
          c.decided_by.insert("decision " + d->second.decision +
                              (d->second.strategy ? ":" + *d->second.strategy : ""));
      }
    }
    t.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (options.progress)
      std::fprintf(stderr, "inventory: [%zu/%zu] %s: %lld rows sampled (%s), %.2fs%s\n", done,
                   inv.tables.size(), printable(t.display).c_str(),
                   static_cast<long long>(t.sampled), t.method.c_str(), t.seconds,
                   t.error.empty() ? "" : (": " + t.error).c_str());
  }
  tx.commit();  // read only: nothing to write, but a clean end
  return inv;
}

std::string inventory_text(const Inventory& inv) {
  std::string out = fmt::format(
      "inventory of database {} at {}\nsampling: up to {} rows per table (TABLESAMPLE SYSTEM "
      "sized from the row estimate), values read to {} characters; one {} {} transaction, "
      "statement_timeout {}\n",
      printable(inv.database), inv.generated_at, inv.options.rows, kInventoryValueChars,
      inv.isolation, inv.read_only ? "read only" : "read write", inv.statement_timeout);
  for (const auto& n : inv.notes) out += "note: " + printable(n) + "\n";
  using Row = std::vector<std::string>;
  const auto aligned = [](const std::vector<Row>& rows) {
    std::vector<std::size_t> width;
    for (const auto& r : rows)
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (width.size() <= i) width.push_back(0);
        width[i] = std::max(width[i], r[i].size());
      }
    std::string s;
    for (const auto& r : rows) {
      std::string line;
      for (std::size_t i = 0; i < r.size(); ++i)
        line += i + 1 < r.size() ? fmt::format("{:<{}}  ", r[i], width[i]) : r[i];
      while (!line.empty() && line.back() == ' ') line.pop_back();
      s += line + "\n";
    }
    return s;
  };
  std::vector<Row> tables{{"table", "kind", "est. rows", "sampled", "seconds", "method"}};
  for (const auto& t : inv.tables)
    tables.push_back({printable(t.display), t.kind, rows_text(t.estimated_rows),
                      std::to_string(t.sampled), fmt::format("{:.2f}", t.seconds),
                      t.error.empty() ? t.method : t.method + ": " + t.error});
  out += "\n" + aligned(tables);
  std::vector<Row> columns{{"table", "column", "type", "sampled", "personal data", "shape", "key",
                            "suggested mask", "decision"}};
  for (const auto& t : inv.tables)
    for (const auto& c : t.columns)
      columns.push_back({printable(t.display), printable(c.name), printable(c.type),
                         std::to_string(c.report.sampled), pii_text(c.report),
                         printable(c.report.shape), printable(c.key_text()), c.suggestion,
                         printable(decision_text(c))});
  out += "\n" + aligned(columns);
  const auto undecided = inv.undecided();
  out += fmt::format("\n{} undecided\n", undecided.size());
  return out;
}

std::string inventory_json(const Inventory& inv) {
  nlohmann::json doc = {
      {"database", inv.database},
      {"generated_at", inv.generated_at},
      {"sampling",
       {{"rows_per_table", inv.options.rows},
        {"method", "TABLESAMPLE SYSTEM sized from the row estimate, then a random row cap"},
        {"value_chars", kInventoryValueChars}}},
      {"snapshot",
       {{"isolation", inv.isolation},
        {"read_only", inv.read_only},
        {"statement_timeout", inv.statement_timeout}}},
      {"coverage_installed", inv.coverage_installed},
      {"notes", inv.notes}};
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : inv.tables) {
    nlohmann::json cols = nlohmann::json::array();
    for (const auto& c : t.columns) {
      nlohmann::json types = nlohmann::json::array();
      for (const auto& ty : c.report.types)
        types.push_back({{"type", ty.type},
                         {"values", ty.values},
                         {"share", std::round(ty.share * 10000) / 10000}});
      nlohmann::json col = {
          {"column", c.name},
          {"type", c.type},
          {"sampled", c.report.sampled},
          {"non_null", c.report.non_null},
          {"pii", types},
          {"shape", c.report.shape},
          {"key",
           {{"primary_key", c.primary_key}, {"unique", c.unique}, {"references", c.references}}},
          {"suggestion", c.suggestion.empty() ? nlohmann::json() : nlohmann::json(c.suggestion)},
          {"status", c.undecided()           ? "undecided"
                     : !c.decided_by.empty() ? "decided"
                                             : "no personal data found"},
          {"decided_by", c.decided_by}};
      if (!c.stale.empty()) col["stale_decision"] = c.stale;
      cols.push_back(std::move(col));
    }
    nlohmann::json tj = {
        {"table", t.display},
        {"kind", t.kind},
        {"estimated_rows",
         t.estimated_rows ? nlohmann::json(std::llround(*t.estimated_rows)) : nlohmann::json()},
        {"statistics", t.statistics},
        {"method", t.method},
        {"rows_sampled", t.sampled},
        {"seconds", std::round(t.seconds * 1000) / 1000},
        {"columns", std::move(cols)}};
    if (t.kind == "partitioned table") tj["partitions"] = t.partitions;
    if (!t.error.empty()) tj["error"] = t.error;
    tables.push_back(std::move(tj));
  }
  doc["tables"] = std::move(tables);
  doc["undecided"] = inv.undecided();
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string inventory_markdown(const Inventory& inv) {
  // A cell: no control character, no unescaped pipe, shapes in code spans without backticks.
  const auto cell = [](std::string_view s) {
    std::string out;
    for (const char c : printable(s)) {
      if (c == '|')
        out += "\\|";
      else
        out.push_back(c);
    }
    return out;
  };
  const auto code = [&](std::string_view s) {
    if (s.empty()) return std::string();
    std::string v(s);
    std::replace(v.begin(), v.end(), '`', '\'');
    return "`" + cell(v) + "`";
  };
  std::int64_t pii = 0;
  for (const auto& t : inv.tables)
    for (const auto& c : t.columns) pii += c.report.has_pii();
  const auto undecided = inv.undecided();
  std::string out = fmt::format("# Data inventory of database {}\n\n", code(inv.database));
  out += fmt::format("- Taken: {} by anonkit-worker\n", inv.generated_at);
  out += fmt::format(
      "- Sampling: up to {} rows per table, `TABLESAMPLE SYSTEM` sized from the row estimate, "
      "then a random row cap; values read to {} characters. A type held by a share *s* of a "
      "table's rows is missed with probability about (1 − *s*)^n for n rows sampled.\n",
      inv.options.rows, kInventoryValueChars);
  out += fmt::format("- Snapshot: one {} {} transaction, statement_timeout {}\n", inv.isolation,
                     inv.read_only ? "read only" : "read write", inv.statement_timeout);
  out += fmt::format("- Tables: {}; columns holding personal data: {}; undecided: {}\n",
                     inv.tables.size(), pii, undecided.size());
  out += "- Shapes show the form of the values (`#` a digit, `a`/`A` a letter), never a value.\n";
  for (const auto& n : inv.notes) out += "- Note: " + cell(n) + "\n";
  if (!undecided.empty()) {
    out += "\n## Undecided\n\n";
    for (const auto& u : undecided) out += "- " + cell(u) + "\n";
  }
  std::string schema;
  for (std::size_t i = 0; i < inv.tables.size(); ++i) {
    const auto& t = inv.tables[i];
    if (t.schema != schema) {
      schema = t.schema;
      out += fmt::format("\n## Schema {}\n\n", code(schema));
      out += "| table | kind | estimated rows | sampled | method |\n|---|---|---:|---:|---|\n";
      for (std::size_t k = i; k < inv.tables.size() && inv.tables[k].schema == schema; ++k) {
        const auto& u = inv.tables[k];
        out += fmt::format("| {} | {} | {} | {} | {} |\n", cell(u.name), u.kind,
                           rows_text(u.estimated_rows), u.sampled,
                           cell(u.error.empty() ? u.method : u.method + ": " + u.error));
      }
      out +=
          "\n| table | column | type | sampled | personal data | shape | key | suggested mask "
          "| decision |\n|---|---|---|---:|---|---|---|---|---|\n";
      for (std::size_t k = i; k < inv.tables.size() && inv.tables[k].schema == schema; ++k)
        for (const auto& c : inv.tables[k].columns)
          out += fmt::format(
              "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", cell(inv.tables[k].name),
              cell(c.name), cell(c.type), c.report.sampled, pii_text(c.report),
              code(c.report.shape), cell(c.key_text()), code(c.suggestion),
              c.undecided() ? "**" + cell(decision_text(c)) + "**" : cell(decision_text(c)));
    }
  }
  return out;
}

}  // namespace anonkit::pg
