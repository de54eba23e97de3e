// Column mask strategies: how one column of a kept row is anonymized ("email", "pseudonym:name",
// "bucket:month", ...). Shared by retention's `anonymize` rules and the Destroyer's `mask` policy,
// and storage-agnostic: values arrive and leave as the text PostgreSQL prints and parses.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anonkit/detect/scanner.hpp"
#include "anonkit/generalize/bucket.hpp"
#include "anonkit/mask/typed.hpp"
#include "anonkit/pseudo/fpe.hpp"
#include "anonkit/pseudo/keyring.hpp"
#include "anonkit/pseudo/pseudonym.hpp"

namespace anonkit::policy {

// The family of a column's SQL type, as far as masking cares.
enum class ColumnKind { kText, kInteger, kNumeric, kDate, kTimestamp, kOther };

// What the strategies need beyond the value: the scanner for free text, and the keys (absent
// unless a key file was given). One per worker run; not shared between threads.
class MaskContext {
 public:
  explicit MaskContext(std::shared_ptr<const pseudo::Keyring> keyring = nullptr);
  ~MaskContext();
  MaskContext(const MaskContext&) = delete;
  MaskContext& operator=(const MaskContext&) = delete;

  [[nodiscard]] bool has_key() const noexcept { return keyring_ != nullptr; }
  [[nodiscard]] const detect::Scanner& scanner() const noexcept { return *scanner_; }
  // Throw KeyError when no key was loaded.
  [[nodiscard]] const pseudo::Pseudonymizer& pseudonymizer() const;
  [[nodiscard]] const pseudo::Ff1& ff1(std::uint32_t radix) const;

 private:
  std::shared_ptr<const pseudo::Keyring> keyring_;
  std::shared_ptr<const detect::Scanner> scanner_;
  std::unique_ptr<pseudo::Pseudonymizer> pseudonymizer_;
  struct Ff1Cache;
  std::unique_ptr<Ff1Cache> ff1_;
};

class ColumnMask {
 public:
  // Accepts: null | redact | redact:TYPE | email | phone | card | iban | ssn | name | ip | mac |
  // url | date | id | all | text | pseudonym[:email|name|phone|int] | fpe[:digits|alnum|hex|alpha]
  // | bucket:WIDTH | bucket:year|quarter|month|week|day|hour. Throws InvalidArgument that lists
  // them.
  [[nodiscard]] static ColumnMask parse(std::string_view spec);

  [[nodiscard]] const std::string& spec() const noexcept { return spec_; }
  [[nodiscard]] bool needs_key() const noexcept;

  // Throws InvalidArgument naming the column when the strategy cannot be written into a column of
  // this kind (an e-mail mask into an integer), or would write NULL into a NOT NULL column.
  void check_column(std::string_view column, std::string_view type_name, ColumnKind kind,
                    bool not_null) const;

  // The masked value; nullopt is SQL NULL. NULL stays NULL. Timestamps arrive and leave in UTC,
  // without an offset ("2024-03-10 15:04:05").
  [[nodiscard]] std::optional<std::string> apply(std::optional<std::string_view> value,
                                                 ColumnKind kind, const MaskContext& ctx) const;

  // What a correct output of this strategy still shows of personal data's shape, by design, so
  // that verification after a run does not report it: `ip` keeps the network (IP_ADDRESS),
  // `url` the host (URL), `pseudonym:email|name|phone` write made-up values of that type, and
  // `fpe` writes ciphertext in the value's own format (`all_types`: no scan can tell it from a
  // value). Every other strategy's output is expected to hold no recognizable entity.
  struct KeptShape {
    bool all_types = false;
    std::vector<std::string> types;  // recognizer type names
  };
  [[nodiscard]] KeptShape kept_shape() const;

 private:
  enum class Strategy {
    kNull,
    kRedact,
    kTyped,
    kText,
    kPseudonym,
    kFpe,
    kBucketWidth,
    kBucketDate
  };
  std::string spec_;
  Strategy strategy_ = Strategy::kNull;
  std::string placeholder_;  // redact
  mask::MaskType typed_ = mask::MaskType::kAll;
  std::optional<pseudo::PseudonymType> pseudonym_;
  std::string alphabet_ = "digits";
  double width_ = 0;
  bool integral_width_ = false;
  generalize::DateUnit unit_ = generalize::DateUnit::kYear;
};

// Every strategy name, for error messages and docs.
[[nodiscard]] std::string_view column_mask_names() noexcept;

}  // namespace anonkit::policy
