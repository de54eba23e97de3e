// Whose row is it? The row-level half of the ownership model (DESIGN.md): starting from one root
// row, find every row with an owner path to it, then decide for each whether the subject owns it
// alone or shares it with someone else. Storage-agnostic: rows are opaque ids and a RowSource
// answers "which rows does this reference connect these rows to"; the worker answers with SQL,
// the unit tests with tables in memory.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "anonkit/subject/graph.hpp"

namespace anonkit::subject {

class RowSource {
 public:
  enum class From { kChild, kParent };
  virtual ~RowSource() = default;
  // For `rows` of the reference's child table (kChild): (child row, parent row) for every parent
  // row their non-NULL columns match. For rows of its parent table (kParent): (parent row, child
  // row) for every child row referencing them.
  [[nodiscard]] virtual std::vector<std::pair<std::string, std::string>> follow(
      std::size_t reference, From from, const std::vector<std::string>& rows) = 0;
};

struct Ownership {
  // By table: rows the subject owns alone (the root row included) and rows it shares.
  std::map<std::string, std::set<std::string>> alone, shared;
  // By table and row: the references through which the row was reached.
  std::map<std::string, std::map<std::string, std::set<std::size_t>>> via;

  [[nodiscard]] bool is_alone(const std::string& table, const std::string& row) const;
};

// Limits the rows looked at outside the subject's own (to decide whether a row they reference
// belongs to anyone); past it, classify throws rather than guess.
inline constexpr std::size_t kMaxOutsideRows = 1000000;

// `root_row` is a row of plan.root.
[[nodiscard]] Ownership classify(const Graph& graph, const Plan& plan, const std::string& root_row,
                                 RowSource& source);

}  // namespace anonkit::subject
