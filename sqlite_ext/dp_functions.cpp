// The DP aggregates: dp_count, dp_sum, dp_mean, dp_variance, dp_median, dp_quantile, each with an
// optional privacy unit, and dp_keep_group for HAVING. Their parameters and their charge come from
// the statement's text (dp_statements.hpp), so a release, its cost and any error are the same
// whatever the rows; an empty input releases noise like any other. Aggregates are DIRECTONLY and
// never DETERMINISTIC.
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

#include "anonkit/dp/aggregates.hpp"
#include "anonkit/dp/order_statistics.hpp"
#include "anonkit/error.hpp"
#include "dp_statements.hpp"
#include "registry.hpp"

namespace anonkit::sqlite {
namespace {

__extension__ typedef __int128 i128;

// Units kept per group before the aggregate refuses (about 100 bytes each: docs).
constexpr std::size_t kMaxUnits = 10'000'000;
// With a unit, a row is capped at this multiple of the larger bound before the unit's rows are
// summed (the unit's total is then clamped to the bounds): keeps the exact sum within 64 bits.
constexpr double kRowCapFactor = 16384.0;

// The units of a group whose identity is an integer (the usual member id): an open-addressing
// table, because std::unordered_map's node per unit made dp_sum(x, l, u, eps, member) 2.06x the
// same sum grouped by member with 1,000,000 members (bench/sql_bench.cpp); this table is a
// contiguous array probed linearly, 48 bytes per slot, at most half full (so 48-96 bytes a unit).
class IntUnits {
 public:
  // The total of `key`, inserted as 0 when new; `inserted` says which.
  i128& at(std::int64_t key, bool& inserted) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    std::size_t i = slot(key);
    while (slots_[i].used && slots_[i].key != key) i = (i + 1) & (slots_.size() - 1);
    inserted = !slots_[i].used;
    if (inserted) {
      slots_[i] = {key, 0, true};
      ++size_;
    }
    return slots_[i].total;
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  template <typename F>
  void each(F f) const {
    for (const Slot& s : slots_)
      if (s.used) f(s.total);
  }

 private:
  struct Slot {
    std::int64_t key;
    i128 total;
    bool used;
  };
  [[nodiscard]] std::size_t slot(std::int64_t key) const noexcept {
    auto z = static_cast<std::uint64_t>(key) + 0x9e3779b97f4a7c15ULL;  // splitmix64's finalizer
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<std::size_t>(z ^ (z >> 31)) & (slots_.size() - 1);
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{0, 0, false});
    size_ = 0;
    for (const Slot& s : old) {
      if (!s.used) continue;
      bool inserted = false;
      at(s.key, inserted) = s.total;
    }
  }
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

// One group's state, owned through a pointer in the aggregate context.
struct Group {
  DpForm form;
  DpStatements::Call call;
  DpParams p;
  bool failed = false;  // an error was reported: release nothing
  std::optional<dp::Count> count;
  std::optional<dp::BoundedSum> sum;
  std::optional<dp::BoundedMean> mean;
  std::optional<dp::BoundedVariance> variance;
  std::optional<dp::BoundedQuantiles> quantiles;
  // With a unit: each unit's rows summed exactly on a fine grid, combined at the end.
  IntUnits int_units;                           // units that are integers
  std::unordered_map<std::string, i128> units;  // the others, by their bytes
  [[nodiscard]] std::size_t unit_count() const noexcept { return int_units.size() + units.size(); }
  double unit_grid = 1, inverse_unit_grid = 1, row_cap = 0;

  Group(DpForm f, const DpStatements::Call& c) : form(f), call(c), p(c.params) {
    switch (form.kind) {
      case DpKind::kCount:
        count.emplace(p.epsilon);
        break;
      case DpKind::kSum:
        sum.emplace(p.lower, p.upper, p.epsilon, p.integer_bounds);
        break;
      case DpKind::kMean:
        mean.emplace(p.lower, p.upper, p.epsilon);
        break;
      case DpKind::kVariance:
        variance.emplace(p.lower, p.upper, p.epsilon);
        break;
      case DpKind::kMedian:
      case DpKind::kQuantile:
        quantiles.emplace(p.lower, p.upper, p.epsilon);
        break;
      case DpKind::kKeepGroup:
        break;
    }
    if (form.unit && form.kind != DpKind::kCount && form.kind != DpKind::kKeepGroup) {
      const double bound = std::max(std::fabs(p.lower), std::fabs(p.upper));
      unit_grid = dp::grid_for(bound, 100.0);  // finer than any aggregate's own grid
      inverse_unit_grid = 1.0 / unit_grid;
      row_cap = bound * kRowCapFactor;
    }
  }

  void add(double x) {
    switch (form.kind) {
      case DpKind::kCount:
        count->add();
        break;
      case DpKind::kSum:
        sum->add(x);
        break;
      case DpKind::kMean:
        mean->add(x);
        break;
      case DpKind::kVariance:
        variance->add(x);
        break;
      case DpKind::kMedian:
      case DpKind::kQuantile:
        quantiles->add(x);
        break;
      case DpKind::kKeepGroup:
        break;
    }
  }
};

// A unit that is an integer (or a REAL equal to one): its value, for the fast table.
std::optional<std::int64_t> integer_unit(sqlite3_value* v) {
  const int type = sqlite3_value_type(v);
  if (type == SQLITE_INTEGER) return sqlite3_value_int64(v);
  if (type == SQLITE_FLOAT) {
    const double d = sqlite3_value_double(v);
    if (d == std::trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
      return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

// The identity of a unit that is not an integer (integer_unit): its storage class and bytes,
// text bytewise (no collation). NULL: no unit.
bool unit_key(sqlite3_value* v, std::string& key) {
  key.clear();
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
      return false;
    case SQLITE_FLOAT: {
      double d = sqlite3_value_double(v);
      if (std::isnan(d)) d = NAN;  // one NaN
      key.push_back('f');
      key.append(reinterpret_cast<const char*>(&d), sizeof d);
      return true;
    }
    default: {
      const bool blob = sqlite3_value_type(v) == SQLITE_BLOB;
      const void* bytes = blob ? sqlite3_value_blob(v) : sqlite3_value_text(v);
      const int n = sqlite3_value_bytes(v);
      key.push_back(blob ? 'b' : 't');
      if (n > 0) key.append(static_cast<const char*>(bytes), static_cast<std::size_t>(n));
      return true;
    }
  }
}

// x as a number, or nothing: NULL, and text or BLOBs that are not numbers, are left out (they are
// not an error: an error raised by one row's value would tell that row's content for free).
std::optional<double> number_of(sqlite3_value* v) {
  int type = sqlite3_value_type(v);
  if (type == SQLITE_TEXT) type = sqlite3_value_numeric_type(v);
  if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) return std::nullopt;
  const double x = sqlite3_value_double(v);
  if (std::isnan(x)) return std::nullopt;
  return x;
}

struct FormData {
  DpForm form;
  StatePtr state;
};
DpForm form_of(sqlite3_context* ctx) {
  return static_cast<FormData*>(sqlite3_user_data(ctx))->form;
}
ConnectionState& connection_of(sqlite3_context* ctx) {
  return *static_cast<FormData*>(sqlite3_user_data(ctx))->state;
}

void step(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    const DpForm form = form_of(ctx);
    auto** slot = static_cast<Group**>(sqlite3_aggregate_context(ctx, sizeof(Group*)));
    if (slot == nullptr) throw std::bad_alloc();
    Group* g = *slot;
    if (g != nullptr && g->failed) return;
    try {
      if (g == nullptr) {
        ConnectionState& state = connection_of(ctx);
        g = *slot =
            new Group(form, state.dp_statements.resolve(sqlite3_context_db_handle(ctx), form));
      }
      if (!form.unit) {
        if (form.kind == DpKind::kCount) {
          if (sqlite3_value_type(argv[0]) != SQLITE_NULL) g->count->add();
        } else if (const auto x = number_of(argv[0])) {
          g->add(*x);
        }
        return;
      }
      thread_local std::string key;
      sqlite3_value* unit = argv[form.kind == DpKind::kKeepGroup ? 0 : argc - 1];
      const std::optional<std::int64_t> int_key = integer_unit(unit);
      if (!int_key && !unit_key(unit, key)) return;
      i128 units = 0;
      if (form.kind == DpKind::kCount) {
        if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
      } else if (form.kind != DpKind::kKeepGroup) {
        const auto x = number_of(argv[0]);
        if (!x) return;
        units = dp::to_units(std::clamp(*x, -g->row_cap, g->row_cap), g->inverse_unit_grid);
      }
      bool inserted = false;
      if (int_key) {
        g->int_units.at(*int_key, inserted) += units;
      } else {
        auto [it, fresh] = g->units.try_emplace(key, 0);
        it->second += units;
        inserted = fresh;
      }
      if (inserted && g->unit_count() > kMaxUnits)
        throw InvalidArgument(fmt::format(
            "anonkit: {}() keeps at most {} privacy units per group; aggregate fewer units at "
            "once (e.g. per partition)",
            dp_name(form.kind), kMaxUnits));
    } catch (...) {
      if (g != nullptr) g->failed = true;
      throw;
    }
  });
}

// dp_keep_group's threshold: a group with one unit passes with probability at most delta.
std::int64_t keep_threshold(const DpParams& p, dp::Scale scale) {
  // P(Z >= k) = r^k / (1 + r) for discrete Laplace with r = exp(-1/scale), k >= 1.
  const double b = static_cast<double>(scale.t) / static_cast<double>(scale.s);
  const double r = std::exp(-1.0 / b);
  const double k = std::ceil(b * std::log(1.0 / (p.delta * (1.0 + r))));
  return 1 + static_cast<std::int64_t>(std::max(0.0, k));
}

void release(sqlite3_context* ctx, Group& g) {
  const dp::Noise noise = dp::secure_noise();
  if (g.form.unit) {
    if (g.form.kind == DpKind::kKeepGroup) {
      const dp::Scale scale = dp::scale_at_least(1.0 / g.p.epsilon);
      const auto noisy = static_cast<std::int64_t>(g.unit_count()) + noise(scale);
      return sqlite3_result_int(ctx, noisy >= keep_threshold(g.p, scale) ? 1 : 0);
    }
    auto combine = [&g](i128 total) {
      if (g.form.kind == DpKind::kCount) return g.count->add();
      const double value = static_cast<double>(total) * g.unit_grid;
      g.add(std::clamp(value, g.p.lower, g.p.upper));
    };
    g.int_units.each(combine);
    for (const auto& [key, total] : g.units) combine(total);
  }
  switch (g.form.kind) {
    case DpKind::kCount:
      return sqlite3_result_int64(ctx, g.count->release(noise));
    case DpKind::kSum: {
      const double v = g.sum->release(noise);
      if (!g.p.integer_bounds) return sqlite3_result_double(ctx, v);
      // Post-processing into what an integer can hold (never a cast beyond int64).
      constexpr double kLimit = 9223372036854775807.0;
      if (v >= kLimit) return sqlite3_result_int64(ctx, INT64_MAX);
      if (v <= -kLimit) return sqlite3_result_int64(ctx, INT64_MIN);
      return sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(v));
    }
    case DpKind::kMean:
      return sqlite3_result_double(ctx, g.mean->release(noise));
    case DpKind::kVariance:
      return sqlite3_result_double(ctx, g.variance->release(noise));
    case DpKind::kMedian:
    case DpKind::kQuantile:
      return sqlite3_result_double(ctx, g.quantiles->quantile(g.p.q, noise));
    case DpKind::kKeepGroup:
      return;
  }
}

void final(sqlite3_context* ctx) {
  guarded(ctx, [&] {
    const DpForm form = form_of(ctx);
    auto** slot = static_cast<Group**>(sqlite3_aggregate_context(ctx, 0));
    std::unique_ptr<Group> g;
    if (slot != nullptr && *slot != nullptr) {
      g.reset(*slot);  // xFinal also runs when a statement aborts: free here
      *slot = nullptr;
      if (g->failed) return;
    }
    ConnectionState& state = connection_of(ctx);
    sqlite3* db = sqlite3_context_db_handle(ctx);
    // No row at all: the parameters come from the statement as always, and noise is released.
    if (!g) g = std::make_unique<Group>(form, state.dp_statements.resolve(db, form));
    state.dp_statements.account_release(db, g->call, state.ledger_for(db));
    release(ctx, *g);
  });
}

void destroy_form(void* p) noexcept { delete static_cast<FormData*>(p); }

}  // namespace

int register_dp_functions(sqlite3* db, const StatePtr& state) {
  int rc = install_dp_statement_hook(db, state.get());
  const DpKind kinds[] = {DpKind::kCount,  DpKind::kSum,      DpKind::kMean,     DpKind::kVariance,
                          DpKind::kMedian, DpKind::kQuantile, DpKind::kKeepGroup};
  for (const DpKind kind : kinds) {
    for (const bool unit : {false, true}) {
      if (rc != SQLITE_OK) return rc;
      if (kind == DpKind::kKeepGroup && !unit) continue;  // its unit is its first argument
      auto* data = new (std::nothrow) FormData{{kind, unit}, state};
      if (data == nullptr) return SQLITE_NOMEM;
      // Random and budget-spending: DIRECTONLY, never DETERMINISTIC.
      rc = sqlite3_create_function_v2(db, dp_name(kind), dp_arity({kind, unit}),
                                      SQLITE_UTF8 | SQLITE_DIRECTONLY, data, nullptr, step, final,
                                      destroy_form);
    }
  }
  return rc;
}

}  // namespace anonkit::sqlite
