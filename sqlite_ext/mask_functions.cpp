// mask(), mask_partial(), mask_tokens(), unmask(): thin adapters from SQL values to common/mask.
#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <optional>
#include <string>

#include "anonkit/error.hpp"
#include "anonkit/mask/text.hpp"
#include "anonkit/mask/typed.hpp"
#include "registry.hpp"

namespace anonkit::sqlite {
namespace {

// Parsed options are cached on the statement's argument (sqlite3_set_auxdata), together with the
// scanner they were resolved against: a reload between statements re-parses them.
struct CachedOptions {
  std::shared_ptr<const detect::Scanner> scanner;
  mask::MaskOptions options;
};

void free_cached(void* p) noexcept { delete static_cast<CachedOptions*>(p); }

// SQLite may drop the cached object at any time, even inside set_auxdata: return a copy.
mask::MaskOptions options_arg(sqlite3_context* ctx, int index, std::string_view json) {
  const ConnectionState& state = state_of(ctx);
  const auto* cached = static_cast<const CachedOptions*>(sqlite3_get_auxdata(ctx, index));
  if (cached != nullptr && cached->scanner == state.scanner) return cached->options;
  mask::MaskOptions options = mask::parse_mask_options(json, *state.scanner);
  sqlite3_set_auxdata(ctx, index, new CachedOptions{state.scanner, options}, free_cached);
  return options;
}

// Text without anything to mask is handed back as it came (no copy); numbers come back as text.
void result_masked(sqlite3_context* ctx, sqlite3_value* value, std::string_view text,
                   const detect::Scanner& scanner, const mask::MaskOptions& options) {
  thread_local std::string out;  // reused across rows; a huge value's buffer is not kept
  if (mask::mask_text(text, scanner, options, out)) {
    result_text(ctx, out);
    if (out.capacity() > (std::size_t{1} << 20)) std::string().swap(out);
    return;
  }
  if (sqlite3_value_type(value) == SQLITE_TEXT) return sqlite3_result_value(ctx, value);
  result_text(ctx, text);
}

// The text a value is scanned as. An integral REAL (254712345678.0, as a spreadsheet import
// stores a phone or an ID) is read as its digits: the ".0" SQLite's text form adds would make it a
// decimal amount to the recognizers.
std::optional<std::string_view> scanned_text(sqlite3_value* v, const char* function,
                                             std::string& storage) {
  if (sqlite3_value_type(v) == SQLITE_FLOAT) {
    const double d = sqlite3_value_double(v);
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
      storage = fmt::format("{}", static_cast<std::int64_t>(d));
      return std::string_view(storage);
    }
  }
  return text_arg(v, function, "text");
}

bool looks_like_json(std::string_view s) {
  const std::size_t i = s.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && s[i] == '{';
}

void mask_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (argc < 1 || argc > 2)
      throw InvalidArgument("anonkit: mask() takes (text), (text, options_json) or (value, type)");
    std::string storage;
    const auto text = scanned_text(argv[0], "mask", storage);
    if (!text) return sqlite3_result_null(ctx);
    const ConnectionState& state = state_of(ctx);
    if (argc == 1) return result_masked(ctx, argv[0], *text, *state.scanner, {});
    const std::string_view second =
        param_text(argv[1], "mask", "its second argument (a type or options)");
    if (looks_like_json(second))
      return result_masked(ctx, argv[0], *text, *state.scanner, options_arg(ctx, 1, second));
    const auto type = mask::parse_mask_type(second);
    if (!type)
      throw InvalidArgument(fmt::format(
          "anonkit: mask() got unknown type '{}'; expected one of {} (or a JSON options object "
          "such as {{\"style\":\"partial\"}})",
          second, mask::mask_type_names()));
    result_text(ctx, mask::mask_typed(*text, *type));
  });
}

void mask_partial_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (argc < 3 || argc > 4)
      throw InvalidArgument(
          "anonkit: mask_partial() takes (value, keep_first, keep_last [, fill])");
    const auto value = text_arg(argv[0], "mask_partial", "value");
    const std::int64_t first = param_int(argv[1], "mask_partial", "keep_first");
    const std::int64_t last = param_int(argv[2], "mask_partial", "keep_last");
    const std::string_view fill = argc == 4 ? param_text(argv[3], "mask_partial", "fill") : "*";
    if (!value) return sqlite3_result_null(ctx);
    result_text(ctx, mask::mask_partial(*value, first, last, fill));
  });
}

void mask_tokens_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (argc < 1 || argc > 2)
      throw InvalidArgument("anonkit: mask_tokens() takes (text [, options_json])");
    std::string storage;
    const auto text = scanned_text(argv[0], "mask_tokens", storage);
    if (!text) return sqlite3_result_null(ctx);
    const ConnectionState& state = state_of(ctx);
    mask::MaskOptions options;
    if (argc == 2) options = options_arg(ctx, 1, param_text(argv[1], "mask_tokens", "options"));
    result_text(ctx, mask::tokenized_json(mask::tokenize(*text, *state.scanner, options)));
    sqlite3_result_subtype(ctx, 'J');  // JSON, as SQLite's json1 marks it
  });
}

void unmask_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (argc != 2) throw InvalidArgument("anonkit: unmask() takes (text, items_json)");
    const auto text = text_arg(argv[0], "unmask", "text");
    const std::string_view items = param_text(argv[1], "unmask", "items_json");
    if (!text) return sqlite3_result_null(ctx);
    result_text(ctx, mask::unmask(*text, items));
  });
}

constexpr FunctionDef kFunctions[] = {
    // mask and mask_tokens follow the connection's recognizers, which anonkit_reload() changes:
    // not DETERMINISTIC, so SQLite keeps them out of indexes and generated columns, whose stored
    // values would no longer match a recomputation (integrity_check fails).
    {"mask", -1, kScannerDependent, mask_fn},
    {"mask_partial", -1, kPure, mask_partial_fn},
    {"mask_tokens", -1, kScannerDependent, mask_tokens_fn},
    {"unmask", -1, kPure, unmask_fn},
};

}  // namespace

int register_mask_functions(sqlite3* db, const StatePtr& state) {
  return register_functions(db, state, kFunctions);
}

}  // namespace anonkit::sqlite
