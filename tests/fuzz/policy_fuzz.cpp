// Fuzzes the worker's policy parsers: the retention filter checker (an accepted filter wrapped in
// parentheses must never let code escape them), mask strategy specs and their application to
// arbitrary values, and durations.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "anonkit/error.hpp"
#include "anonkit/policy/column_mask.hpp"
#include "anonkit/policy/duration.hpp"
#include "anonkit/policy/sql_condition.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace anonkit;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  bool accepted = false;
  try {
    policy::check_sql_condition(input);
    accepted = true;
  } catch (const InvalidArgument&) {
  }
  if (accepted) {
    // Invariants an accepted filter must hold whatever the lexer thinks: it is not empty, fits,
    // and a ';' or comment opener can only sit inside quotes, so the raw text is never a bare one.
    if (input.size() > policy::kMaxConditionBytes || input.find('\0') != std::string_view::npos)
      std::abort();
    if (input == ";" || input == "--" || input == ")") std::abort();
    (void)policy::sql_condition_is_row_local(input);  // accepted input: must not throw
  }
  try {
    (void)policy::parse_duration(input);
  } catch (const InvalidArgument&) {
  }
  // "spec\nvalue": a strategy applied to a value, for every column kind it accepts.
  const auto nl = input.find('\n');
  if (nl == std::string_view::npos) return 0;
  static const policy::MaskContext ctx;  // no key: keyed strategies must fail cleanly
  try {
    const auto mask = policy::ColumnMask::parse(input.substr(0, nl));
    for (auto kind :
         {policy::ColumnKind::kText, policy::ColumnKind::kInteger, policy::ColumnKind::kNumeric,
          policy::ColumnKind::kDate, policy::ColumnKind::kTimestamp}) {
      try {
        mask.check_column("c", "t", kind, false);
        (void)mask.apply(input.substr(nl + 1), kind, ctx);
      } catch (const Error&) {
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
