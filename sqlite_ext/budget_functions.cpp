// The budget's SQL functions: anonkit_budget_set(total_epsilon [, schema]) (set once, then only
// lowered) and anonkit_budget([schema]). The ledger itself, and its guard, is budget.cpp.
#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "anonkit/error.hpp"
#include "budget.hpp"
#include "registry.hpp"
#include "written_calls.hpp"

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

std::string schema_param(int argc, sqlite3_value** argv, int i, const char* function) {
  if (argc <= i) return "main";
  return std::string(param_text(argv[i], function, "schema"));
}

void budget_set_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (argc != 1 && argc != 2)
      throw InvalidArgument("anonkit: anonkit_budget_set() takes (total_epsilon [, schema])");
    require_written_call(ctx, "anonkit_budget_set", argc, argv);
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
      throw InvalidArgument(
          "anonkit: anonkit_budget_set() expects a total epsilon > 0; a total cannot be removed "
          "from SQL (that needs the ledger's owner, outside SQL: docs/differential-privacy.md)");
    const double eps = number_param(argv[0], "anonkit_budget_set", "total_epsilon");
    if (!(eps > 0) || !std::isfinite(eps) || eps > 1e6)
      throw InvalidArgument(fmt::format(
          "anonkit: anonkit_budget_set() expects a total epsilon > 0 and <= 1e6, got {}", eps));
    const std::string schema = schema_param(argc, argv, 1, "anonkit_budget_set");
    BudgetLedger& ledger = state_of(ctx).ledger_for(sqlite3_context_db_handle(ctx));
    ledger.set_total(schema, to_micro(eps));
    result_text(ctx, status_json(ledger.status(schema)));
  });
}

// anonkit_budget(): {"main":{...},"d":{...}} for every database charged; anonkit_budget(schema):
// that database's {"total","spent","remaining"}.
void budget_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (argc > 1) throw InvalidArgument("anonkit: anonkit_budget() takes ([schema])");
    BudgetLedger& ledger = state_of(ctx).ledger_for(sqlite3_context_db_handle(ctx));
    if (argc == 1)
      return result_text(ctx,
                         status_json(ledger.status(schema_param(argc, argv, 0, "anonkit_budget"))));
    std::string json = "{";
    for (const auto& [schema, s] : ledger.status()) {
      if (json.size() > 1) json += ',';
      std::string quoted;  // schema names are the user's: escape them for JSON
      for (const char c : schema) {
        if (c == '"' || c == '\\') quoted += '\\';
        if (static_cast<unsigned char>(c) < 0x20)
          quoted += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else
          quoted += c;
      }
      json += fmt::format("\"{}\":{}", quoted, status_json(s));
    }
    result_text(ctx, json + "}");
  });
}

constexpr FunctionDef kScalars[] = {
    {"anonkit_budget_set", -1, kDirectOnly, budget_set_fn},
    {"anonkit_budget", -1, kDirectOnly, budget_fn},
};

}  // namespace

int register_budget_functions(sqlite3* db, const StatePtr& state) {
  int rc = register_functions(db, state, kScalars);
  // SQL on this connection must not be able to edit, drop or forge a ledger's tables.
  if (rc == SQLITE_OK) rc = BudgetLedger::install_guard(db);
  return rc;
}

}  // namespace anonkit::sqlite
