// Verifier (verification.hpp): one MaskCheck per masked column, fed what the server holds.
#include "verification.hpp"

#include <fmt/format.h>

namespace anonkit::pg {

Verifier::Verifier() : scanner_(detect::Scanner::builtin()) {}

void Verifier::add(const TableInfo& table, const std::vector<MaskedColumn>& masks,
                   const std::vector<std::vector<db::Value>>& back) {
  for (std::size_t m = 0; m < masks.size(); ++m) {
    const auto key = std::make_pair(table.display, masks[m].column->name);
    auto it = checks_.find(key);
    if (it == checks_.end())
      it = checks_
               .emplace(key,
                        Entry{masks[m].mask.spec(), inventory::MaskCheck(masks[m].mask, scanner_)})
               .first;
    for (const auto& row : back) {
      const auto& v = row.at(m);
      it->second.check.add(v ? std::optional<std::string_view>(*v) : std::nullopt);
    }
  }
}

std::vector<ColumnVerification> Verifier::results() const {
  std::vector<ColumnVerification> out;
  for (const auto& [key, e] : checks_)
    out.push_back(
        {key.first, key.second, e.strategy, e.check.rows(), e.check.scanned(), e.check.findings()});
  return out;
}

std::size_t columns_with_findings(const std::vector<ColumnVerification>& v) {
  std::size_t n = 0;
  for (const auto& c : v) n += c.findings.empty() ? 0 : 1;
  return n;
}

nlohmann::json verification_json(const std::vector<ColumnVerification>& v) {
  nlohmann::json columns = nlohmann::json::array();
  for (const auto& c : v) {
    nlohmann::json found = nlohmann::json::object();
    for (const auto& f : c.findings) found[f.type] = f.rows;
    columns.push_back({{"table", c.table},
                       {"column", c.column},
                       {"strategy", c.strategy},
                       {"rows", c.rows},
                       {"scanned", c.scanned},
                       {"found", found}});
  }
  return {{"clean", columns_with_findings(v) == 0}, {"columns", columns}};
}

std::vector<std::string> verification_lines(const std::vector<ColumnVerification>& v) {
  std::vector<std::string> out;
  for (const auto& c : v) {
    if (c.findings.empty()) continue;
    std::string types;
    for (const auto& f : c.findings)
      types += fmt::format("{}{} {}", types.empty() ? "" : ", ", f.rows, f.type);
    out.push_back(fmt::format("{}.{} ({}): of {} rows written, still found: {}", c.table, c.column,
                              c.strategy, c.rows, types));
  }
  return out;
}

}  // namespace anonkit::pg
