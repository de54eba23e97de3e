// Masked writes, shared by retention and the Destroyer. A timestamptz is read as UTC text and
// written back from it, whatever the session's TimeZone; every value is bound, every name quoted.
#include "masked_update.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "anonkit/error.hpp"

namespace anonkit::pg {

std::vector<MaskedColumn> parse_masks(const TableInfo& table, const std::string& mask_json,
                                      bool have_key, bool require_keys) {
  nlohmann::json mask;
  try {
    mask = nlohmann::json::parse(mask_json);
  } catch (const nlohmann::json::exception&) {
    throw InvalidArgument("anonkit: mask is not valid JSON");
  }
  if (!mask.is_object() || mask.empty())
    throw InvalidArgument(
        "anonkit: mask must be a JSON object {\"column\": \"strategy\"} with at least one column");
  std::vector<MaskedColumn> out;
  for (const auto& [column, spec] : mask.items()) {
    const ColumnInfo* c = table.column(column);
    if (c == nullptr)
      throw InvalidArgument(fmt::format("anonkit: mask column '{}' does not exist in table {}",
                                        column, table.display));
    if (std::find(table.primary_key.begin(), table.primary_key.end(), c->name) !=
        table.primary_key.end())
      throw InvalidArgument(fmt::format(
          "anonkit: mask column '{}' is part of the primary key of {}: it cannot be masked", column,
          table.display));
    if (!spec.is_string())
      throw InvalidArgument(
          fmt::format("anonkit: mask of column '{}': expected a strategy name", column));
    auto m = policy::ColumnMask::parse(spec.get<std::string>());
    m.check_column(column, c->type, c->kind, c->not_null);
    if (m.needs_key() && !have_key && require_keys)
      throw KeyError(
          fmt::format("anonkit: mask '{}' of column '{}' needs a key: pass --key-file or set "
                      "ANONKIT_KEY_FILE",
                      m.spec(), column));
    out.push_back({c, std::move(m)});
  }
  return out;
}

std::string masked_read(db::Connection& conn, const std::string& alias, const ColumnInfo& c) {
  const std::string col = fmt::format("{}.{}", alias, conn.quote_name(c.name));
  return c.with_time_zone ? fmt::format("({} AT TIME ZONE 'UTC')::text", col) : col + "::text";
}

std::uint64_t write_masked(db::Connection& conn, db::Transaction& tx, const TableInfo& table,
                           const std::vector<std::pair<std::string, std::string>>& match,
                           const std::vector<MaskedColumn>& masks,
                           const std::vector<std::vector<db::Value>>& rows,
                           const std::vector<std::string>& nulled, const policy::MaskContext& ctx,
                           std::vector<std::string>* new_ids, const WriteOptions& options) {
  if (rows.empty()) return 0;
  const std::size_t nmatch = match.size();
  std::vector<std::vector<db::Value>> arrays(nmatch + masks.size());
  for (const auto& row : rows) {
    for (std::size_t k = 0; k < nmatch; ++k) arrays[k].push_back(row[k]);
    for (std::size_t m = 0; m < masks.size(); ++m) {
      const auto& v = row[nmatch + m];
      arrays[nmatch + m].push_back(masks[m].mask.apply(
          v ? std::optional<std::string_view>(*v) : std::nullopt, masks[m].column->kind, ctx));
    }
  }
  db::Params params;
  std::string unnest, names, set, where, changed;
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    params.push_back(db::text_array(arrays[i]));
    unnest += fmt::format("{}CAST(${} AS text[])", i ? ", " : "", i + 1);
    names += fmt::format("{}v{}", i ? ", " : "", i);
  }
  for (std::size_t k = 0; k < nmatch; ++k)
    where += fmt::format("{}{} = CAST(v.v{} AS {})", k ? " AND " : "", match[k].first, k,
                         match[k].second);
  for (std::size_t m = 0; m < masks.size(); ++m) {
    const ColumnInfo& c = *masks[m].column;
    if (std::find(nulled.begin(), nulled.end(), c.name) != nulled.end()) continue;
    const std::string v = fmt::format("v.v{}", nmatch + m);
    const std::string value = c.with_time_zone
                                  ? fmt::format("(CAST({} AS timestamp) AT TIME ZONE 'UTC')", v)
                                  : fmt::format("CAST({} AS {})", v, c.type);
    set += fmt::format("{}{} = {}", set.empty() ? "" : ", ", conn.quote_name(c.name), value);
    // Compared as text where the type may have no '=' (json, xml, point, ...).
    const bool by_text = c.kind == policy::ColumnKind::kOther;
    changed += fmt::format("{}t.{}{} IS DISTINCT FROM ({}){}", changed.empty() ? "" : " OR ",
                           conn.quote_name(c.name), by_text ? "::text" : "", value,
                           by_text ? "::text" : "");
  }
  for (const auto& n : nulled) {
    set += fmt::format("{}{} = NULL", set.empty() ? "" : ", ", conn.quote_name(n));
    changed += fmt::format("{}t.{} IS NOT NULL", changed.empty() ? "" : " OR ", conn.quote_name(n));
  }
  if (options.only_changed) where += fmt::format(" AND ({})", changed);
  std::string returning;
  if (new_ids) returning = "t.tableoid::text || '/' || t.ctid::text";
  for (const auto& e : options.returning)
    returning += fmt::format("{}({})::text", returning.empty() ? "" : ", ", e);
  if (options.masked_back)
    for (const auto& m : masks)
      returning +=
          fmt::format("{}{}", returning.empty() ? "" : ", ", masked_read(conn, "t", *m.column));
  // Few rows found by key: a hash or merge join would read the whole table (the planner cannot
  // see how few rows unnest() yields).
  tx.set_local({{"enable_hashjoin", "off"}, {"enable_mergejoin", "off"}});
  const auto r = tx.exec(
      fmt::format("UPDATE {} t SET {} FROM unnest({}) AS v({}) WHERE {}{}{}", table.qualified, set,
                  unnest, names, where, returning.empty() ? "" : " RETURNING ", returning),
      params);
  const auto skip = static_cast<long>(new_ids ? 1 : 0);
  const auto back = skip + static_cast<long>(options.returning.size());
  for (const auto& row : r.rows) {
    if (new_ids) new_ids->push_back(*row[0]);
    if (options.returned) options.returned->emplace_back(row.begin() + skip, row.begin() + back);
    if (options.masked_back) options.masked_back->emplace_back(row.begin() + back, row.end());
  }
  return returning.empty() ? r.affected : r.size();
}

}  // namespace anonkit::pg
