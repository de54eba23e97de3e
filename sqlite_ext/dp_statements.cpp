// The statement hook of the DP functions and the book of running DP calls (dp_statements.hpp).
#include "dp_statements.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string_view>

#include "anonkit/dp/aggregates.hpp"
#include "anonkit/dp/order_statistics.hpp"
#include "anonkit/error.hpp"
#include "anonkit/text/sql_calls.hpp"
#include "budget.hpp"
#include "connection.hpp"

namespace anonkit::sqlite {
namespace {

constexpr std::array<std::pair<std::string_view, DpKind>, 7> kNames = {{
    {"dp_count", DpKind::kCount},
    {"dp_sum", DpKind::kSum},
    {"dp_mean", DpKind::kMean},
    {"dp_variance", DpKind::kVariance},
    {"dp_median", DpKind::kMedian},
    {"dp_quantile", DpKind::kQuantile},
    {"dp_keep_group", DpKind::kKeepGroup},
}};

std::optional<DpKind> kind_of(std::string_view lower_name) {
  for (const auto& [name, kind] : kNames)
    if (name == lower_name) return kind;
  return std::nullopt;
}

// Number of parameters (epsilon, bounds, q, delta) and the argument index of the first one.
int parameter_count(DpKind k) {
  switch (k) {
    case DpKind::kCount:
      return 1;
    case DpKind::kKeepGroup:
      return 2;
    case DpKind::kQuantile:
      return 4;
    default:
      return 3;
  }
}

bool mentions_dp(const char* sql) {
  if (sql == nullptr) return false;
  for (const char* p = sql; p[0] != '\0' && p[1] != '\0' && p[2] != '\0'; ++p)
    if ((p[0] == 'd' || p[0] == 'D') && (p[1] == 'p' || p[1] == 'P') && p[2] == '_') return true;
  return false;
}

// CREATE VIEW/TRIGGER ... dp_count(...) defines, it does not release: it is not charged.
bool is_definition(const char* sql) {
  const std::string_view text(sql);
  const text::SqlToken first = text::next_sql_token(text, 0);
  if (first.kind != text::SqlToken::kIdentifier) return false;
  std::string word(first.word);
  for (char& c : word) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return word == "CREATE" || word == "DROP" || word == "ALTER";
}

// The parameters of one written call, validated the way the aggregate will use them: the same
// constructors run here, before any row, so a bad bound is an error whatever the data.
DpParams parse_params(DpForm form, const std::vector<std::string>& args) {
  const char* fn = dp_name(form.kind);
  constexpr int first = 1;  // the parameters follow x (dp_keep_group: the unit)
  std::vector<text::SqlNumber> numbers;
  for (int i = 0; i < parameter_count(form.kind); ++i) {
    const auto n = text::sql_number(args[static_cast<std::size_t>(first + i)]);
    if (!n)
      throw InvalidArgument(fmt::format(
          "anonkit: {}() expects its argument {} written as a number or a bound parameter in "
          "the statement itself",
          fn, first + i + 1));
    numbers.push_back(*n);
  }
  DpParams p;
  switch (form.kind) {
    case DpKind::kCount:
      p.epsilon = numbers[0].value;
      (void)dp::Count(p.epsilon);
      break;
    case DpKind::kKeepGroup:
      p.epsilon = numbers[0].value;
      p.delta = numbers[1].value;
      dp::validate_epsilon(p.epsilon);
      if (!(p.delta > 0 && p.delta < 1))
        throw InvalidArgument(fmt::format(
            "anonkit: dp_keep_group() expects delta between 0 and 1 (exclusive), got {}", p.delta));
      break;
    default:
      p.lower = numbers[0].value;
      p.upper = numbers[1].value;
      p.integer_bounds = numbers[0].integer && numbers[1].integer;
      p.epsilon = numbers.back().value;
      if (form.kind == DpKind::kQuantile) p.q = numbers[2].value;
      if (form.kind == DpKind::kSum)
        (void)dp::BoundedSum(p.lower, p.upper, p.epsilon, p.integer_bounds);
      if (form.kind == DpKind::kMean) (void)dp::BoundedMean(p.lower, p.upper, p.epsilon);
      if (form.kind == DpKind::kVariance) (void)dp::BoundedVariance(p.lower, p.upper, p.epsilon);
      if (form.kind == DpKind::kMedian || form.kind == DpKind::kQuantile) {
        if (!(p.q >= 0 && p.q <= 1))
          throw InvalidArgument(
              fmt::format("anonkit: dp_quantile() expects q from 0 to 1, got {}", p.q));
        (void)dp::BoundedQuantiles(p.lower, p.upper, p.epsilon);
      }
      if (form.kind == DpKind::kMedian) p.q = 0.5;
      break;
  }
  return p;
}

bool same_params(const DpParams& a, const DpParams& b) {
  return a.epsilon == b.epsilon && a.lower == b.lower && a.upper == b.upper &&
         a.integer_bounds == b.integer_bounds && a.q == b.q && a.delta == b.delta;
}

int statement_hook(unsigned type, void* context, void* p, void* x) {
  if (type != SQLITE_TRACE_STMT) return 0;
  // A trigger's subprogram starting inside the same run reports "-- TRIGGER name": not a new run.
  if (const auto* text = static_cast<const char*>(x);
      text != nullptr && text[0] == '-' && text[1] == '-')
    return 0;
  auto* stmt = static_cast<sqlite3_stmt*>(p);
  auto& state = *static_cast<ConnectionState*>(context);
  const char* sql = sqlite3_sql(stmt);
  if (!mentions_dp(sql) || is_definition(sql)) {  // the common case costs one scan of the text
    // A statement at the address of a finished DP statement: that run is over.
    state.dp_statements.forget(stmt);
    return 0;
  }
  sqlite3* db = sqlite3_db_handle(stmt);
  try {
    state.dp_statements.on_statement_start(db, stmt, state.ledger_for(db));
  } catch (...) {  // on_statement_start records its own problems; nothing may unwind into SQLite
  }
  return 0;
}

}  // namespace

const char* dp_name(DpKind kind) noexcept {
  for (const auto& [name, k] : kNames)
    if (k == kind) return name.data();
  return "dp_?";
}

int dp_arity(DpForm form) noexcept {
  return 1 + parameter_count(form.kind) + (form.unit && form.kind != DpKind::kKeepGroup ? 1 : 0);
}

void DpStatements::on_statement_start(sqlite3* db, sqlite3_stmt* stmt,
                                      BudgetLedger& ledger) noexcept {
  try {
    forget_finished(db);
    forget(stmt);  // its earlier run
    Run run{stmt, {}};
    std::string error;
    // An aggregate cannot tell which running statement it belongs to: one DP statement at a time.
    const bool another = !runs_.empty();
    {
      char* expanded = sqlite3_expanded_sql(stmt);
      if (expanded == nullptr) {
        error = "anonkit: the DP functions could not read the statement's text (out of memory?)";
      } else {
        const std::string sql(expanded);
        sqlite3_free(expanded);
        const auto calls =
            text::find_sql_calls(sql, [](std::string_view n) { return kind_of(n).has_value(); });
        for (const text::SqlCall& call : calls) {
          const DpKind kind = *kind_of(call.name);
          const int n = static_cast<int>(call.args.size());
          DpForm form{kind, false};
          if (n == dp_arity({kind, true}) && kind != DpKind::kKeepGroup)
            form.unit = true;
          else if (n != dp_arity(form))
            continue;  // SQLite itself refuses other arities
          if (kind == DpKind::kKeepGroup) form.unit = true;
          Site site{form, {}, {}, 1, 0};
          try {
            site.params = parse_params(form, call.args);
          } catch (const std::exception& e) {
            site.error = e.what();
          }
          auto same_form = [&](const Site& s) {
            return s.form.kind == form.kind && s.form.unit == form.unit;
          };
          const auto it = std::find_if(run.sites.begin(), run.sites.end(), same_form);
          if (it == run.sites.end()) {
            run.sites.push_back(std::move(site));
          } else if (it->error.empty() && site.error.empty() &&
                     same_params(it->params, site.params)) {
            ++it->written;
          } else if (it->error.empty()) {
            // An aggregate cannot tell which of its written calls it is: with two parameter sets
            // an empty input would have to guess, and the guess could depend on the data.
            it->error = site.error.empty()
                            ? fmt::format(
                                  "anonkit: {}() appears with different parameters in one "
                                  "statement; run each set of parameters as its own statement",
                                  dp_name(kind))
                            : site.error;
          }
        }
        for (const Site& s : run.sites)
          if (!s.error.empty()) error = s.error;
        if (another && error.empty() && !run.sites.empty())
          error =
              "anonkit: another statement with DP functions is still running on this connection; "
              "finish or reset it first";
      }
    }
    if (error.empty() && !run.sites.empty()) {
      // One charge for every call written in the statement, before any row is read: all or none.
      std::int64_t micro = 0;
      std::string functions;
      for (const Site& s : run.sites) {
        micro += to_micro(s.params.epsilon) * s.written;
        if (!functions.empty()) functions += ',';
        functions += dp_name(s.form.kind);
      }
      try {
        ledger.charge(micro, functions.c_str());
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    if (!error.empty())
      for (Site& s : run.sites) s.error = error;  // the whole statement is refused alike
    if (!run.sites.empty()) runs_.push_back(std::move(run));
  } catch (...) {
    // Out of memory: the run is not recorded, so its DP calls find no site and are refused.
  }
}

void DpStatements::forget(sqlite3_stmt* stmt) noexcept {
  std::erase_if(runs_, [stmt](const Run& r) { return r.stmt == stmt; });
}

void DpStatements::forget_finished(sqlite3* db) {
  if (runs_.empty()) return;
  // A run ends when its statement is no longer busy (done, reset or finalized: a finalized
  // pointer is never dereferenced, only compared with the connection's live statements).
  std::vector<sqlite3_stmt*> live;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s != nullptr; s = sqlite3_next_stmt(db, s))
    if (sqlite3_stmt_busy(s)) live.push_back(s);
  std::erase_if(runs_, [&](const Run& r) {
    return std::find(live.begin(), live.end(), r.stmt) == live.end();
  });
}

DpStatements::Call DpStatements::resolve(sqlite3* db, DpForm form) {
  forget_finished(db);
  if (runs_.size() > 1)
    throw InvalidArgument(
        "anonkit: two statements with DP functions are running on this connection; finish or "
        "reset one first");
  for (const Run& r : runs_)
    for (std::size_t i = 0; i < r.sites.size(); ++i) {
      const Site& s = r.sites[i];
      if (s.form.kind != form.kind || s.form.unit != form.unit) continue;
      if (!s.error.empty()) throw InvalidArgument(s.error);
      return {r.stmt, i, s.params};
    }
  throw InvalidArgument(fmt::format(
      "anonkit: {}() must be written in the statement that runs it (not in a view, trigger or "
      "schema), and anonkit's statement hook must be in place (a trace callback set later, "
      "e.g. Python's set_trace_callback or the shell's .trace, replaces it)",
      dp_name(form.kind)));
}

void DpStatements::account_release(sqlite3* db, const Call& call, BudgetLedger& ledger) {
  forget_finished(db);
  for (Run& r : runs_) {
    if (r.stmt != call.stmt || call.site >= r.sites.size()) continue;
    Site& site = r.sites[call.site];
    if (++site.released <= site.written) return;  // paid for at the statement's start
    ledger.charge(to_micro(site.params.epsilon), dp_name(site.form.kind));
    return;
  }
  // The run is gone (it cannot be while its aggregate finalizes): charge rather than release free.
  ledger.charge(to_micro(call.params.epsilon), "dp");
}

int install_dp_statement_hook(sqlite3* db, void* connection_state) {
  return sqlite3_trace_v2(db, SQLITE_TRACE_STMT, statement_hook, connection_state);
}

}  // namespace anonkit::sqlite
