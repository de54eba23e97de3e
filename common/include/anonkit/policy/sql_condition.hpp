// Checks an SQL boolean condition written by an operator (a retention rule's `filter`) before it is
// placed inside a statement as `AND (condition)`: it must be one self-contained expression that
// cannot close the parenthesis around it, end the statement, comment out what follows or refer to
// the statement's own bound parameters. Whether it is valid SQL is then asked of the server.
#pragma once

#include <string_view>

namespace anonkit::policy {

inline constexpr std::size_t kMaxConditionBytes = 8192;

// Throws InvalidArgument ("anonkit: filter ...: expected ...") naming the first problem: empty,
// too long, unbalanced parentheses, an unterminated string, quoted identifier or dollar quote, a
// ';', a comment, a positional parameter ($1), or a NUL byte.
void check_sql_condition(std::string_view condition);

// Whether a condition that passed check_sql_condition depends on its row alone: no subquery, no
// EXISTS, no clock or random value, and no function call outside a short list of ones that depend
// on their arguments only (lower, coalesce, date_trunc, ...). Anything else may make a row satisfy
// it without the row being written (`status_of(id) = 'closed'`, `closed_at < now() - ...`).
// Conservative: an unknown function is taken as not row-local. Throws as check_sql_condition.
[[nodiscard]] bool sql_condition_is_row_local(std::string_view condition);

}  // namespace anonkit::policy
