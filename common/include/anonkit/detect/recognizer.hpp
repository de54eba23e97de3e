// A recognizer finds one type of entity: a candidate pattern (RE2 syntax, compiled into the shared
// RE2::Set first pass), then checks in C++ that RE2 cannot express: boundaries, checksums, context.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace anonkit::detect {

// A candidate span [begin, end) of `text`. A check may narrow the span (trim trailing punctuation,
// drop a swallowed group) and may change the confidence; it returns false to reject the candidate.
struct Candidate {
  std::string_view text;
  std::size_t begin;
  std::size_t end;
  double confidence;
};
using CheckFn = bool (*)(Candidate&);

struct RecognizerSpec {
  std::string type{};         // e.g. "EMAIL"
  std::string description{};  // one line for pii_types()
  std::string validator{};    // what `check` verifies, "" when nothing beyond the pattern
  std::string pattern{};      // RE2 syntax
  double confidence = 0.5;    // before context
  // Context words (lower case, may hold spaces) matched whole-word in a short window before the
  // candidate. With `context_required`, no candidate without one is reported; otherwise a context
  // word raises the confidence to `context_confidence`.
  std::vector<std::string> context{};
  bool context_required = false;
  double context_confidence = 0.0;
  int priority = 0;  // overlaps: the higher priority keeps the region
  CheckFn check = nullptr;
  std::string source = "builtin";  // builtin | pattern (user table) | keyword (user table)
};

// The built-in recognizers, in the order pii_types() lists them.
[[nodiscard]] const std::vector<RecognizerSpec>& builtin_recognizers();

// True when one of `words` (lower case) occurs as whole words within `window` bytes before `begin`
// (and a few bytes after `end`, for "12345678 (ID)" styles).
[[nodiscard]] bool has_context(std::string_view text, std::size_t begin, std::size_t end,
                               const std::vector<std::string>& words, std::size_t window = 40);

// PHONE's structural check, exposed for tests: country codes, national forms, separators, and
// the shapes that only look like phones (timestamps, amounts, reference numbers).
[[nodiscard]] bool phone_check(Candidate& c);
// Local numbers without a trunk prefix ("9472 7916"): their grouping only (phone_check also
// asks for a telephone word before them).
[[nodiscard]] bool local_phone_check(Candidate& c);
// The candidate pattern of that form: a telephone word, up to 24 other characters, the number.
[[nodiscard]] std::string local_phone_pattern();

}  // namespace anonkit::detect
