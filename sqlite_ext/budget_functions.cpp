// The budget's SQL functions: anonkit_budget_set(total_epsilon) and anonkit_budget(). The
// ledger itself is budget.cpp.
#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "anonkit/error.hpp"
#include "budget.hpp"
#include "registry.hpp"

namespace anonkit::sqlite {
namespace {

double number_param(sqlite3_value* v, const char* function, const char* name) {
  const int type = sqlite3_value_type(v);
  if (type != SQLITE_INTEGER && type != SQLITE_FLOAT)
    throw InvalidArgument(fmt::format("anonkit: {}() expects {} as a number, got {}", function,
                                      name,
                                      type == SQLITE_NULL   ? "NULL"
                                      : type == SQLITE_TEXT ? "TEXT"
                                                            : "a BLOB"));
  return sqlite3_value_double(v);
}

std::string status_json(const BudgetStatus& s) {
  if (!s.total_micro)
    return fmt::format(R"({{"total":null,"spent":{},"remaining":null}})",
                       format_epsilon(s.spent_micro));
  return fmt::format(R"({{"total":{},"spent":{},"remaining":{}}})", format_epsilon(*s.total_micro),
                     format_epsilon(s.spent_micro),
                     format_epsilon(std::max<std::int64_t>(0, *s.total_micro - s.spent_micro)));
}

void budget_set_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (argc != 1)
      throw InvalidArgument(
          "anonkit: anonkit_budget_set() takes (total_epsilon), or NULL for none");
    std::optional<std::int64_t> total;
    if (sqlite3_value_type(argv[0]) != SQLITE_NULL) {
      const double eps = number_param(argv[0], "anonkit_budget_set", "total_epsilon");
      if (!(eps > 0) || !std::isfinite(eps) || eps > 1e6)
        throw InvalidArgument(fmt::format(
            "anonkit: anonkit_budget_set() expects a total epsilon > 0 (or NULL), got {}", eps));
      total = to_micro(eps);
    }
    BudgetLedger& ledger = state_of(ctx).ledger_for(sqlite3_context_db_handle(ctx));
    ledger.set_total(total);
    result_text(ctx, status_json(ledger.status()));
  });
}

void budget_fn(sqlite3_context* ctx, int argc, sqlite3_value**) {
  guarded(ctx, [&] {
    if (argc != 0) throw InvalidArgument("anonkit: anonkit_budget() takes no arguments");
    result_text(ctx,
                status_json(state_of(ctx).ledger_for(sqlite3_context_db_handle(ctx)).status()));
  });
}

constexpr FunctionDef kScalars[] = {
    {"anonkit_budget_set", -1, kDirectOnly, budget_set_fn},
    {"anonkit_budget", -1, kDirectOnly, budget_fn},
};

}  // namespace

int register_budget_functions(sqlite3* db, const StatePtr& state) {
  return register_functions(db, state, kScalars);
}

}  // namespace anonkit::sqlite
