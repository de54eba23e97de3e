// A deterministic corpus of ~500-byte claim notes, about two thirds holding personal data, the
// shape of the demo portfolio: the same bytes feed every benchmark and its baseline.
#pragma once

#include <re2/set.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace anonkit::bench {

[[nodiscard]] std::vector<std::string> claim_notes(std::size_t rows,
                                                   std::size_t target_bytes = 500);
// PII-dense rows: every second sentence holds an entity (six to eight per 500-byte row).
[[nodiscard]] std::vector<std::string> dense_notes(std::size_t rows,
                                                   std::size_t target_bytes = 500);
[[nodiscard]] std::size_t total_bytes(const std::vector<std::string>& rows);

// The baseline: the built-in recognizers' patterns in a bare RE2::Set, nothing else.
[[nodiscard]] std::unique_ptr<RE2::Set> bare_recognizer_set();

}  // namespace anonkit::bench
