// The one way masked values are written back: retention's `anonymize` and the Destroyer's `mask`
// policies read columns with masked_read, compute the masks here, and write them with one
// UPDATE ... FROM unnest(...) built by write_masked (time zones, types and casts done once).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "anonkit/policy/column_mask.hpp"
#include "catalog.hpp"
#include "db/connection.hpp"

namespace anonkit::pg {

struct MaskedColumn {
  const ColumnInfo* column;
  policy::ColumnMask mask;
};

// Parses and checks a {"column": "strategy"} object against the table: the column exists, is not
// part of the primary key, the strategy parses and fits the column's type and nullability, and
// (when require_keys) a keyed strategy has a key. Throws InvalidArgument or KeyError.
[[nodiscard]] std::vector<MaskedColumn> parse_masks(const TableInfo& table,
                                                    const std::string& mask_json, bool have_key,
                                                    bool require_keys);

// The SELECT expression reading alias.column as the text masks take (timestamptz in UTC).
[[nodiscard]] std::string masked_read(db::Connection& conn, const std::string& alias,
                                      const ColumnInfo& c);

struct WriteOptions {
  // Rows whose masked columns already hold their masked values are left as they are (and not
  // counted): re-applying an idempotent mask writes nothing.
  bool only_changed = false;
  // Expressions on alias t returned per updated row, as text, into `returned`.
  std::vector<std::string> returning;
  std::vector<std::vector<db::Value>>* returned = nullptr;
  // Every masked column (in `masks` order) as read back from the server after the update, per
  // updated row, as masked_read's text: what verification after a run scans (the value the
  // database holds, after its casts, not the one computed here).
  std::vector<std::vector<db::Value>>* masked_back = nullptr;
};

// One UPDATE over `rows`: each row is the match values (in `match` order: an SQL expression on
// alias t and the type its bound text is cast to), then the read value of each mask. `nulled`
// columns are set to NULL in the same statement (and not masked). Returns the rows updated; with
// `new_ids`, their ids ("tableoid/ctid") after the update.
std::uint64_t write_masked(db::Connection& conn, db::Transaction& tx, const TableInfo& table,
                           const std::vector<std::pair<std::string, std::string>>& match,
                           const std::vector<MaskedColumn>& masks,
                           const std::vector<std::vector<db::Value>>& rows,
                           const std::vector<std::string>& nulled, const policy::MaskContext& ctx,
                           std::vector<std::string>* new_ids = nullptr,
                           const WriteOptions& options = {});

}  // namespace anonkit::pg
