// Verification after a run: the masked columns of the rows a retention rule or an erase wrote, as
// read back from the server in the writing transaction (write_masked's masked_back), scanned for
// PII a mask let through. Counts by table, column and type only: never a value.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "anonkit/inventory/mask_check.hpp"
#include "masked_update.hpp"

namespace anonkit::pg {

struct ColumnVerification {
  std::string table, column, strategy;
  std::int64_t rows = 0;  // rows written and read back
  bool scanned = true;    // false: the strategy's output cannot be told from PII (fpe)
  std::vector<inventory::MaskFinding> findings;
};

class Verifier {
 public:
  Verifier();
  // `back` as filled by write_masked's masked_back for these `masks` of `table`.
  void add(const TableInfo& table, const std::vector<MaskedColumn>& masks,
           const std::vector<std::vector<db::Value>>& back);
  [[nodiscard]] std::vector<ColumnVerification> results() const;
  [[nodiscard]] bool empty() const noexcept { return checks_.empty(); }

 private:
  struct Entry {
    std::string strategy;
    inventory::MaskCheck check;
  };
  std::shared_ptr<const detect::Scanner> scanner_;
  std::map<std::pair<std::string, std::string>, Entry> checks_;  // (table, column)
};

// Columns with at least one finding.
[[nodiscard]] std::size_t columns_with_findings(const std::vector<ColumnVerification>& v);
[[nodiscard]] nlohmann::json verification_json(const std::vector<ColumnVerification>& v);
// One line per column with findings: "public.t.notes (email): 2 of 5 rows still hold PHONE".
[[nodiscard]] std::vector<std::string> verification_lines(const std::vector<ColumnVerification>& v);

}  // namespace anonkit::pg
