// Catalog reads. Every name that reaches SQL text later comes from here, quoted by the server
// (quote_ident) or by libpqxx (quote_name); values from rule tables are only ever bound.
#include "catalog.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace anonkit::pg {

policy::ColumnKind column_kind(const std::string& category, const std::string& base_type) {
  if (category == "S") return policy::ColumnKind::kText;
  if (category == "N") {
    if (base_type == "smallint" || base_type == "integer" || base_type == "bigint")
      return policy::ColumnKind::kInteger;
    return policy::ColumnKind::kNumeric;
  }
  if (base_type == "date") return policy::ColumnKind::kDate;
  if (base_type == "timestamp with time zone" || base_type == "timestamp without time zone")
    return policy::ColumnKind::kTimestamp;
  return policy::ColumnKind::kOther;
}

const ColumnInfo* TableInfo::column(std::string_view name) const noexcept {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

bool TableInfo::has_index_on(const std::vector<std::string>& names) const {
  for (const auto& index : index_columns) {
    if (index.size() < names.size()) continue;
    if (std::is_permutation(names.begin(), names.end(), index.begin())) return true;
  }
  return false;
}

TableInfo describe_table(db::Connection& conn, const std::string& name) {
  db::Rows found;
  try {
    found = conn.exec(
        "SELECT c.oid::text, quote_ident(n.nspname) || '.' || quote_ident(c.relname), "
        "n.nspname || '.' || c.relname, c.relkind::text "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = to_regclass($1)",
        {name});
  } catch (const db::SqlError& e) {
    throw InvalidArgument(
        fmt::format("anonkit: table '{}' is not a valid table name: {}", name, e.what()));
  }
  if (found.empty()) throw InvalidArgument(fmt::format("anonkit: table '{}' does not exist", name));
  const auto& row = found.rows[0];
  TableInfo t;
  t.oid = *row[0];
  t.qualified = *row[1];
  t.display = *row[2];
  if (*row[3] != "r" && *row[3] != "p")
    throw InvalidArgument(fmt::format("anonkit: '{}' is not a table (relkind {})", name, *row[3]));
  t.partitioned = *row[3] == "p";

  for (const auto& r :
       conn.exec("SELECT a.attname, format_type(a.atttypid, a.atttypmod), bt.typcategory::text, "
                 "format_type(bt.oid, NULL), a.attnotnull::text "
                 "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                 "JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype "
                 "ELSE t.oid END "
                 "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped "
                 "ORDER BY a.attnum",
                 {t.oid})
           .rows) {
    ColumnInfo c;
    c.name = *r[0];
    c.type = *r[1];
    c.kind = column_kind(*r[2], *r[3]);
    c.with_time_zone = *r[3] == "timestamp with time zone";
    c.not_null = *r[4] == "true";
    t.columns.push_back(std::move(c));
  }

  for (const auto& r :
       conn.exec("SELECT i.indisprimary::text, array_to_string(ARRAY("
                 "  SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord) "
                 "  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                 "  WHERE k.ord <= i.indnkeyatts ORDER BY k.ord), chr(1)), "
                 "  (0 = ANY(i.indkey))::text "
                 "FROM pg_index i WHERE i.indrelid = $1::oid AND i.indisvalid "
                 "ORDER BY i.indisprimary DESC, i.indexrelid",
                 {t.oid})
           .rows) {
    std::vector<std::string> cols = r[1]->empty() ? std::vector<std::string>{} : split_names(*r[1]);
    if (*r[0] == "true") t.primary_key = cols;
    if (*r[2] == "false") t.index_columns.push_back(std::move(cols));  // skip expression indexes
  }

  if (t.partitioned) {
    const auto p = conn.exec(
        "SELECT pt.partstrat::text, (SELECT array_to_string(ARRAY(SELECT a.attname "
        "  FROM unnest(pt.partattrs) WITH ORDINALITY k(attnum, ord) "
        "  JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = k.attnum "
        "  ORDER BY k.ord), chr(1))), (0 = ANY(pt.partattrs))::text "
        "FROM pg_partitioned_table pt WHERE pt.partrelid = $1::oid",
        {t.oid});
    if (!p.empty()) {
      t.partition_strategy = *p.rows[0][0];
      if (*p.rows[0][2] == "false" && !p.rows[0][1]->empty() &&
          p.rows[0][1]->find('\x01') == std::string::npos)
        t.partition_columns.push_back(*p.rows[0][1]);
    }
    for (const auto& r :
         conn.exec("SELECT c.oid::text, quote_ident(n.nspname) || '.' || quote_ident(c.relname), "
                   "n.nspname || '.' || c.relname, pg_get_expr(c.relpartbound, c.oid), "
                   "c.relkind::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                   "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.inhparent = $1::oid "
                   "ORDER BY c.relname",
                   {t.oid})
             .rows)
      t.partitions.push_back({*r[0], *r[1], *r[2], r[3].value_or(""), *r[4] == "r"});
  }
  return t;
}

std::vector<std::string> split_names(const std::string& joined) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto end = joined.find('\x01', start);
    out.push_back(joined.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

std::optional<std::string> range_upper_bound(const std::string& bound) {
  // FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')
  const auto to = bound.rfind(") TO (");
  if (bound.rfind("FOR VALUES FROM (", 0) != 0 || to == std::string::npos || bound.back() != ')')
    return std::nullopt;
  const std::string inner = bound.substr(to + 6, bound.size() - to - 7);
  if (inner.size() < 2 || inner.front() != '\'' || inner.back() != '\'') return std::nullopt;
  std::string value;
  for (std::size_t i = 1; i + 1 < inner.size(); ++i) {
    if (inner[i] == '\'') {
      if (inner[i + 1] != '\'') return std::nullopt;  // more than one literal: not one column
      ++i;
    }
    value += inner[i];
  }
  return value;
}

DeleteEffects delete_effects(db::Connection& conn, const TableInfo& table) {
  // The table, its partitions and, for a partition, the tables it is a partition of: a foreign
  // key or trigger on a parent applies to its partitions (pg_partition_tree() is empty for a
  // table outside any partition tree).
  const std::string tree =
      "(SELECT relid FROM pg_partition_tree(CAST($1 AS oid)) UNION SELECT relid FROM "
      "pg_partition_ancestors(CAST($1 AS oid)) UNION SELECT CAST($1 AS oid))";
  DeleteEffects e;
  // A foreign key to a partitioned table is cloned per partition (conparentid names the
  // original): the original only.
  for (const auto& r :
       conn.exec(fmt::format("SELECT c.conname, c.conrelid::regclass::text, c.confdeltype::text "
                             "FROM pg_constraint c WHERE c.contype = 'f' AND c.conparentid = 0 "
                             "AND c.confrelid IN {} AND c.confdeltype IN ('c', 'n', 'd') "
                             "ORDER BY 2, 1",
                             tree),
                 {table.oid})
           .rows)
    e.cascades.push_back({*r[0], *r[1],
                          *r[2] == "c"   ? "CASCADE"
                          : *r[2] == "n" ? "SET NULL"
                                         : "SET DEFAULT"});
  // tgtype bit 3 is DELETE; a trigger cloned onto partitions (tgparentid, PostgreSQL 13+) is
  // listed once, under the table it was created on.
  const std::string not_clone =
      conn.server_version() >= 130000 ? " AND t.tgparentid = 0" : std::string();
  for (const auto& r :
       conn.exec(fmt::format("SELECT t.tgname, t.tgrelid::regclass::text FROM pg_trigger t "
                             "WHERE t.tgrelid IN {} AND NOT t.tgisinternal AND t.tgenabled <> 'D' "
                             "AND (t.tgtype & 8) <> 0{} ORDER BY 2, 1",
                             tree, not_clone),
                 {table.oid})
           .rows)
    e.triggers.push_back({*r[0], *r[1]});
  return e;
}

}  // namespace anonkit::pg
