// dp_count, dp_sum, dp_mean (aggregates) and the budget functions. Each aggregate that produces a
// value charges its epsilon to the ledger BEFORE the value is computed; a group with no rows at all
// returns NULL and charges nothing. Aggregates are DIRECTONLY and never DETERMINISTIC.
#include <fmt/format.h>

#include <optional>

#include "anonkit/dp/aggregates.hpp"
#include "anonkit/error.hpp"
#include "registry.hpp"

namespace anonkit::sqlite {
namespace {

enum class Kind { kCount, kSum, kMean };

const char* name_of(Kind k) {
  return k == Kind::kCount ? "dp_count" : k == Kind::kSum ? "dp_sum" : "dp_mean";
}

// One group's state, owned through a pointer in the aggregate context.
struct Group {
  double epsilon = 0, lower = 0, upper = 0;
  bool integer_bounds = false;
  bool failed = false;  // an error was reported: release nothing, charge nothing
  std::optional<dp::Count> count;
  std::optional<dp::BoundedSum> sum;
  std::optional<dp::BoundedMean> mean;
};

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

// A template per kind: each aggregate gets its own straight-line step (it runs once per row).
template <Kind kind>
void step(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    const char* fn = name_of(kind);
    const int expected = kind == Kind::kCount ? 2 : 4;
    if (argc != expected)
      throw InvalidArgument(
          kind == Kind::kCount ? std::string("anonkit: dp_count() takes (x, epsilon)")
                               : fmt::format("anonkit: {}() takes (x, lower, upper, epsilon)", fn));
    auto** slot = static_cast<Group**>(sqlite3_aggregate_context(ctx, sizeof(Group*)));
    if (slot == nullptr) throw std::bad_alloc();
    Group* g = *slot;
    try {
      if (g == nullptr) {
        const double epsilon = number_param(argv[argc - 1], fn, "epsilon");
        const double lower = kind == Kind::kCount ? 0 : number_param(argv[1], fn, "lower");
        const double upper = kind == Kind::kCount ? 0 : number_param(argv[2], fn, "upper");
        auto fresh = std::make_unique<Group>();
        fresh->epsilon = epsilon, fresh->lower = lower, fresh->upper = upper;
        fresh->integer_bounds = kind == Kind::kSum &&
                                sqlite3_value_type(argv[1]) == SQLITE_INTEGER &&
                                sqlite3_value_type(argv[2]) == SQLITE_INTEGER;
        if (kind == Kind::kCount) fresh->count.emplace(epsilon);
        if (kind == Kind::kSum) fresh->sum.emplace(lower, upper, epsilon, fresh->integer_bounds);
        if (kind == Kind::kMean) fresh->mean.emplace(lower, upper, epsilon);
        g = *slot = fresh.release();
      } else if (g->failed) {
        return;
      } else if (sqlite3_value_double(argv[argc - 1]) != g->epsilon ||
                 (kind != Kind::kCount && (sqlite3_value_double(argv[1]) != g->lower ||
                                           sqlite3_value_double(argv[2]) != g->upper))) {
        // Read once on the first row, then only compared (a NULL or text reads as 0 and differs).
        throw InvalidArgument(fmt::format(
            "anonkit: {}() expects the same bounds and epsilon on every row of a group", fn));
      }
      int type = sqlite3_value_type(argv[0]);
      if (type == SQLITE_NULL) return;
      if constexpr (kind == Kind::kCount) {
        g->count->add();
        return;
      }
      if (type == SQLITE_TEXT) type = sqlite3_value_numeric_type(argv[0]);  // '42' counts as 42
      if (type != SQLITE_INTEGER && type != SQLITE_FLOAT)
        throw InvalidArgument(
            fmt::format("anonkit: {}() expects numbers in x, got {}", fn,
                        sqlite3_value_type(argv[0]) == SQLITE_BLOB ? "a BLOB" : "text"));
      const double x = sqlite3_value_double(argv[0]);
      if constexpr (kind == Kind::kSum)
        g->sum->add(x);
      else
        g->mean->add(x);
    } catch (...) {
      if (g != nullptr) g->failed = true;
      throw;
    }
  });
}

void final(sqlite3_context* ctx, Kind kind) {
  guarded(ctx, [&] {
    auto** slot = static_cast<Group**>(sqlite3_aggregate_context(ctx, 0));
    // No rows at all: NULL, and nothing charged (docs/differential-privacy.md).
    if (slot == nullptr || *slot == nullptr) return sqlite3_result_null(ctx);
    const std::unique_ptr<Group> g(*slot);  // xFinal also runs when a statement aborts: free here
    *slot = nullptr;
    if (g->failed) return;
    ConnectionState& state = state_of(ctx);
    state.ledger_for(sqlite3_context_db_handle(ctx)).charge(to_micro(g->epsilon), name_of(kind));
    const dp::Noise noise = dp::secure_noise();
    switch (kind) {
      case Kind::kCount:
        return sqlite3_result_int64(ctx, g->count->release(noise));
      case Kind::kSum: {
        const double v = g->sum->release(noise);
        if (g->integer_bounds) return sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(v));
        return sqlite3_result_double(ctx, v);
      }
      case Kind::kMean:
        return sqlite3_result_double(ctx, g->mean->release(noise));
    }
  });
}

void count_step(sqlite3_context* c, int n, sqlite3_value** v) { step<Kind::kCount>(c, n, v); }
void sum_step(sqlite3_context* c, int n, sqlite3_value** v) { step<Kind::kSum>(c, n, v); }
void mean_step(sqlite3_context* c, int n, sqlite3_value** v) { step<Kind::kMean>(c, n, v); }
void count_final(sqlite3_context* c) { final(c, Kind::kCount); }
void sum_final(sqlite3_context* c) { final(c, Kind::kSum); }
void mean_final(sqlite3_context* c) { final(c, Kind::kMean); }

struct AggregateDef {
  const char* name;
  void (*step)(sqlite3_context*, int, sqlite3_value**);
  void (*final)(sqlite3_context*);
};
constexpr AggregateDef kAggregates[] = {
    {"dp_count", count_step, count_final},
    {"dp_sum", sum_step, sum_final},
    {"dp_mean", mean_step, mean_final},
};

void destroy_state(void* p) noexcept { delete static_cast<StatePtr*>(p); }

}  // namespace

int register_dp_functions(sqlite3* db, const StatePtr& state) {
  int rc = SQLITE_OK;
  for (const AggregateDef& a : kAggregates) {
    if (rc != SQLITE_OK) return rc;
    auto* copy = new (std::nothrow) StatePtr(state);
    if (copy == nullptr) return SQLITE_NOMEM;
    // Random and budget-spending: DIRECTONLY, never DETERMINISTIC.
    rc = sqlite3_create_function_v2(db, a.name, -1, SQLITE_UTF8 | SQLITE_DIRECTONLY, copy, nullptr,
                                    a.step, a.final, destroy_state);
  }
  return rc;
}

}  // namespace anonkit::sqlite
