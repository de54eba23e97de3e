// bucket(): generalization of numbers and dates, adapters to common/generalize.
#include <fmt/format.h>

#include "anonkit/error.hpp"
#include "anonkit/generalize/bucket.hpp"
#include "registry.hpp"

namespace anonkit::sqlite {
namespace {

constexpr const char* kForms =
    "bucket() takes (number, width [, origin]), (number, '[0,18,30,50,65]') or (datetime, "
    "'year'|'quarter'|'month'|'week'|'day'|'hour')";

// A number argument: INTEGER or REAL, or TEXT that reads wholly as one (numeric affinity).
int numeric_type(sqlite3_value* v, const char* what) {
  const int type = sqlite3_value_numeric_type(v);
  if (type != SQLITE_INTEGER && type != SQLITE_FLOAT)
    throw InvalidArgument(fmt::format("anonkit: bucket() expects {} as a number, got {}", what,
                                      sqlite3_value_type(v) == SQLITE_BLOB ? "a BLOB" : "text"));
  return type;
}

void free_edges(void* p) noexcept { delete static_cast<generalize::Edges*>(p); }

void bucket_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (argc < 2 || argc > 3) throw InvalidArgument(fmt::format("anonkit: {}", kForms));
    const int spec_type = sqlite3_value_type(argv[1]);
    if (spec_type == SQLITE_NULL || spec_type == SQLITE_BLOB)
      throw InvalidArgument(fmt::format("anonkit: {}; its second argument is {}", kForms,
                                        spec_type == SQLITE_NULL ? "NULL" : "a BLOB"));
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);

    if (spec_type == SQLITE_INTEGER || spec_type == SQLITE_FLOAT) {  // width [, origin]
      const int value_type = numeric_type(argv[0], "the value");
      const int origin_type = argc == 3 ? numeric_type(argv[2], "the origin") : SQLITE_INTEGER;
      if (value_type == SQLITE_INTEGER && spec_type == SQLITE_INTEGER &&
          origin_type == SQLITE_INTEGER) {
        return result_text(
            ctx, generalize::bucket_int(sqlite3_value_int64(argv[0]), sqlite3_value_int64(argv[1]),
                                        argc == 3 ? sqlite3_value_int64(argv[2]) : 0));
      }
      return result_text(
          ctx, generalize::bucket_real(sqlite3_value_double(argv[0]), sqlite3_value_double(argv[1]),
                                       argc == 3 ? sqlite3_value_double(argv[2]) : 0.0));
    }

    const std::string_view spec = *text_arg(argv[1], "bucket", "its second argument");
    if (spec.find('[') != std::string_view::npos) {  // explicit edges, parsed once per statement
      if (argc != 2) throw InvalidArgument(fmt::format("anonkit: {}", kForms));
      numeric_type(argv[0], "the value");
      auto* edges = static_cast<const generalize::Edges*>(sqlite3_get_auxdata(ctx, 1));
      std::unique_ptr<generalize::Edges> fresh;
      if (edges == nullptr) {
        fresh = std::make_unique<generalize::Edges>(generalize::Edges::parse(spec));
        edges = fresh.get();
      }
      result_text(ctx, edges->label(sqlite3_value_double(argv[0])));
      if (fresh) sqlite3_set_auxdata(ctx, 1, fresh.release(), free_edges);
      return;
    }

    const auto unit = generalize::parse_date_unit(spec);
    if (!unit || argc != 2)
      throw InvalidArgument(fmt::format("anonkit: {}; got '{}'", kForms, spec));
    std::optional<generalize::DateTime> t;
    const int value_type = sqlite3_value_type(argv[0]);
    if (value_type == SQLITE_INTEGER || value_type == SQLITE_FLOAT) {
      t = generalize::from_unix_seconds(sqlite3_value_double(argv[0]));
    } else if (value_type == SQLITE_TEXT) {
      t = generalize::parse_datetime(*text_arg(argv[0], "bucket", "the date"));
    } else {
      throw InvalidArgument("anonkit: bucket() expects a date as TEXT or unix seconds, got a BLOB");
    }
    if (!t) {
      const auto shown = sqlite3_value_type(argv[0]) == SQLITE_TEXT
                             ? fmt::format("'{}'", *text_arg(argv[0], "bucket", "the date"))
                             : fmt::format("{}", sqlite3_value_double(argv[0]));
      throw InvalidArgument(fmt::format(
          "anonkit: bucket() expects a date like '2024-03-15' or '2024-03-15 14:30:00' (optionally "
          "with Z or +03:00), or unix seconds in years 0000-9999; got {}",
          shown.size() > 80 ? shown.substr(0, 80) + "..." : shown));
    }
    result_text(ctx, generalize::bucket_date(*t, *unit));
  });
}

constexpr FunctionDef kFunctions[] = {
    {"bucket", -1, kPure, bucket_fn},
};

}  // namespace

int register_bucket_functions(sqlite3* db, const StatePtr& state) {
  return register_functions(db, state, kFunctions);
}

}  // namespace anonkit::sqlite
