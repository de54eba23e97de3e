// The data inventory's core, shared by SQLite's pii_inventory() and `anonkit-worker inventory`:
// one column's sampled values run through the scanner, summarised as the PII types found (with the
// share of values holding each), the values' most common *shape* (never a value), and a suggested
// mask strategy (a ColumnMask spec the worker accepts). Storage-agnostic: values arrive as text.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anonkit/detect/scanner.hpp"

namespace anonkit::inventory {

struct TypeShare {
  std::string type;         // recognizer type, e.g. "PHONE"
  std::int64_t values = 0;  // sampled non-NULL values holding at least one
  double share = 0;         // values / non-NULL values sampled
};

struct ColumnReport {
  std::int64_t sampled = 0;      // rows sampled
  std::int64_t non_null = 0;     // of which non-NULL
  std::vector<TypeShare> types;  // by share, descending
  std::string shape;             // most common shape of the sampled values, "" when none
  std::string suggestion;        // ColumnMask spec ("email", "text", ...), "" when no PII found
  [[nodiscard]] bool has_pii() const noexcept { return !types.empty(); }
};

// A value's shape: digits become '#', letters 'a' (or 'A' when upper case), other characters stay,
// runs of spaces become one; an entity's span is drawn by its type's own shape (an e-mail becomes
// "a***@***.com" keeping only the top-level domain, a phone written "+254 712 ..." keeps its
// country code: "+254 ### ### ###"). At most 48 characters, then "...". The shape never holds a
// letter or digit of the value except an e-mail's top-level domain and a phone's country code.
[[nodiscard]] std::string shape_of(std::string_view value,
                                   const std::vector<detect::Entity>& entities,
                                   const std::vector<std::string>& type_names);

// The mask strategy for a column whose values hold `types`: a typed strategy when the values are
// mostly the entity itself (a phone column), "text" when entities sit inside longer text (notes),
// "" when nothing was found.
[[nodiscard]] std::string suggest_strategy(const std::vector<TypeShare>& types,
                                           double entity_coverage);

class ColumnProfile {
 public:
  // A value counts as holding a type when the scanner reports it with at least `min_confidence`.
  explicit ColumnProfile(std::shared_ptr<const detect::Scanner> scanner,
                         double min_confidence = 0.5);
  // One sampled value; nullopt is NULL. Values longer than `max_bytes` are scanned on their first
  // `max_bytes` (cut at a UTF-8 boundary).
  void add(std::optional<std::string_view> value, std::size_t max_bytes = 65536);
  [[nodiscard]] ColumnReport report() const;

 private:
  std::shared_ptr<const detect::Scanner> scanner_;
  double min_confidence_;
  std::int64_t sampled_ = 0, non_null_ = 0;
  std::map<std::uint32_t, std::int64_t> type_values_;
  std::map<std::string, std::int64_t> shapes_;
  double covered_bytes_ = 0, pii_value_bytes_ = 0;  // entity bytes within values that hold PII
};

}  // namespace anonkit::inventory
