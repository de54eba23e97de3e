// Verification after a masking run: the values a mask strategy wrote, as read back from the
// database, run through the scanner; per column, how many rows still hold each PII type. Counts
// and type names only, never a value. Shared by `retention run --verify` and `erase`. What a
// strategy keeps by design (ColumnMask::kept_shape) is not reported, nor an e-mail whose local
// part is hidden ("w***@example.com", the `email` strategy's own output).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anonkit/detect/scanner.hpp"
#include "anonkit/policy/column_mask.hpp"

namespace anonkit::inventory {

// The confidence from which a type counts as found: the inventory's own (ColumnProfile).
inline constexpr double kVerifyMinConfidence = 0.5;

struct MaskFinding {
  std::string type;       // recognizer type, e.g. "EMAIL"
  std::int64_t rows = 0;  // rows whose masked value still holds at least one
};

// One masked column's written values.
class MaskCheck {
 public:
  MaskCheck(const policy::ColumnMask& mask, std::shared_ptr<const detect::Scanner> scanner,
            double min_confidence = kVerifyMinConfidence);
  // One value as written (nullopt: NULL, clean). Only the first `max_bytes` are scanned.
  void add(std::optional<std::string_view> masked, std::size_t max_bytes = 65536);

  // False when the strategy's output is by design indistinguishable from personal data (fpe):
  // such a column is counted but not scanned.
  [[nodiscard]] bool scanned() const noexcept { return !kept_.all_types; }
  [[nodiscard]] std::int64_t rows() const noexcept { return rows_; }
  // Types found that the strategy does not keep by design, by rows descending.
  [[nodiscard]] std::vector<MaskFinding> findings() const;
  // The types the strategy keeps by design, which are not reported.
  [[nodiscard]] const std::vector<std::string>& expected_types() const noexcept {
    return kept_.types;
  }

 private:
  std::shared_ptr<const detect::Scanner> scanner_;
  double min_confidence_;
  policy::ColumnMask::KeptShape kept_;
  std::vector<bool> ignored_;  // by scanner type index
  int email_type_ = -1;
  std::int64_t rows_ = 0;
  std::map<std::uint32_t, std::int64_t> found_;
};

}  // namespace anonkit::inventory
