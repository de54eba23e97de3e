// The C++ half of the PostgreSQL extension: every ak_ function runs the core inside a try block and
// returns a status, so no exception leaves this file and no PostgreSQL call (which may longjmp) is
// ever made from here. Results live in this file's buffers until the next call.
#include "core_calls.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anonkit/detect/scanner.hpp"
#include "anonkit/error.hpp"
#include "anonkit/generalize/bucket.hpp"
#include "anonkit/mask/text.hpp"
#include "anonkit/mask/typed.hpp"
#include "anonkit/pseudo/ff1.hpp"
#include "anonkit/pseudo/fpe.hpp"
#include "anonkit/pseudo/keyring.hpp"
#include "anonkit/pseudo/pseudonym.hpp"
#include "anonkit/text/utf8.hpp"

namespace anonkit::pg {
namespace {

// A backend is one thread: process-wide state is this session's state.
std::string g_error;
std::string g_out;

struct Key {
  std::string path;  // the anonkit.key_file it was read from
  std::shared_ptr<const pseudo::Keyring> ring;
  std::unique_ptr<pseudo::Pseudonymizer> hmac;
  std::map<std::uint32_t, std::unique_ptr<pseudo::Ff1>> ff1;  // AES key schedule per radix
};
std::unique_ptr<Key> g_key;

struct ScanRow {
  std::size_t type;
  std::int64_t start, length;
  std::size_t begin, end;
  double confidence;
};
std::string g_scan_text;
std::vector<ScanRow> g_scan_rows;
std::vector<detect::TypeInfo> g_types;

const detect::Scanner& scanner() {
  static const std::shared_ptr<const detect::Scanner> s = detect::Scanner::builtin();
  return *s;
}

std::string_view view(AkSlice s) { return {s.data == nullptr ? "" : s.data, s.size}; }

AkStatus fail(AkStatus status, std::string_view message) noexcept {
  try {
    g_error.assign(message);
  } catch (...) {
    return AK_NOMEM;
  }
  return status;
}

template <typename Body>
AkStatus guarded(Body&& body) noexcept {
  try {
    body();
    return AK_OK;
  } catch (const std::bad_alloc&) {
    return fail(AK_NOMEM, "anonkit: out of memory");
  } catch (const KeyError& e) {
    return fail(AK_KEY, e.what());
  } catch (const InvalidArgument& e) {
    return fail(AK_INVALID, e.what());
  } catch (const ConfigError& e) {
    return fail(AK_CONFIG, e.what());
  } catch (const std::exception& e) {
    return fail(AK_INTERNAL, e.what());
  } catch (...) {
    return fail(AK_INTERNAL, "anonkit: internal error (unknown exception)");
  }
}

// The result buffer; a huge value's buffer is not kept for the rest of the session.
AkSlice result(std::string_view s) {
  if (g_out.capacity() > (std::size_t{1} << 20) && s.size() < (std::size_t{1} << 20))
    std::string().swap(g_out);
  g_out.assign(s);
  return {g_out.data(), g_out.size()};
}

bool looks_like_json(std::string_view s) {
  const std::size_t i = s.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && s[i] == '{';
}

// Options are parsed once per distinct text (a query passes the same options for every row).
const mask::MaskOptions& options_for(std::string_view json) {
  static std::string cached_json;
  static std::optional<mask::MaskOptions> cached;
  if (!cached || cached_json != json) {
    cached.reset();
    mask::MaskOptions parsed = mask::parse_mask_options(json, scanner());
    cached_json.assign(json);
    cached = std::move(parsed);
  }
  return *cached;
}

void masked(std::string_view text, const mask::MaskOptions& options, AkSlice* out) {
  if (g_out.capacity() > (std::size_t{1} << 20)) std::string().swap(g_out);
  if (mask::mask_text(text, scanner(), options, g_out))
    *out = {g_out.data(), g_out.size()};
  else
    *out = {text.data(), text.size()};  // nothing to mask: the caller's own bytes
}

const Key& key() {
  if (!g_key || !g_key->hmac)
    throw KeyError("anonkit: no key loaded; a superuser sets anonkit.key_file");
  return *g_key;
}

// SQLite's numeric affinity, as sqlite3_value_numeric_type applies it to TEXT: a text that reads
// wholly as an integer (in range) is an INTEGER, as a number a REAL, otherwise it stays TEXT.
AkValue with_affinity(const AkValue& v) {
  if (v.kind != AK_V_TEXT && v.kind != AK_V_NUMERIC) return v;
  std::string_view s = view(v.text);
  const auto first = s.find_first_not_of(" \t\n\r\f");
  if (first == std::string_view::npos) return v;
  s = s.substr(first, s.find_last_not_of(" \t\n\r\f") - first + 1);
  AkValue r = v;
  std::int64_t i = 0;
  std::string_view digits = s.size() > 1 && s[0] == '+' ? s.substr(1) : s;
  if (auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), i);
      ec == std::errc() && p == digits.data() + digits.size()) {
    r.kind = AK_V_INT;
    r.i = i;
    return r;
  }
  const std::string copy(s);
  char* end = nullptr;
  const double d = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str() + copy.size() && copy.find_first_of("0123456789") != std::string::npos) {
    r.kind = AK_V_REAL;
    r.d = d;
    return r;
  }
  if (v.kind == AK_V_NUMERIC) {  // NaN, Infinity
    r.kind = AK_V_REAL;
    r.d = copy == "NaN" ? std::nan("") : (copy[0] == '-' ? -HUGE_VAL : HUGE_VAL);
  }
  return r;
}

bool is_number(const AkValue& v) { return v.kind == AK_V_INT || v.kind == AK_V_REAL; }
double as_double(const AkValue& v) { return v.kind == AK_V_INT ? static_cast<double>(v.i) : v.d; }

constexpr const char* kForms =
    "bucket() takes (number, width [, origin]), (number, '[0,18,30,50,65]') or (datetime, "
    "'year'|'quarter'|'month'|'week'|'day'|'hour')";

double number_arg(const AkValue& raw, const char* what, AkValue* typed = nullptr) {
  const AkValue v = with_affinity(raw);
  if (!is_number(v))
    throw InvalidArgument(fmt::format("anonkit: bucket() expects {} as a number, got text", what));
  if (typed != nullptr) *typed = v;
  return as_double(v);
}

}  // namespace
}  // namespace anonkit::pg

using namespace anonkit;
using namespace anonkit::pg;

extern "C" {

const char* ak_error_message(void) { return g_error.c_str(); }
const char* ak_version(void) { return ANONKIT_VERSION; }

AkStatus ak_mask(AkSlice text, AkSlice second, int second_kind, AkSlice* out) {
  return guarded([&] {
    const std::string_view s = view(second);
    if (second_kind == 0) return masked(view(text), {}, out);
    if (second_kind == 2 || looks_like_json(s)) return masked(view(text), options_for(s), out);
    const auto type = mask::parse_mask_type(s);
    if (!type)
      throw InvalidArgument(fmt::format(
          "anonkit: mask() got unknown type '{}'; expected one of {} (or a JSON options object "
          "such as {{\"style\":\"partial\"}})",
          s, mask::mask_type_names()));
    *out = result(mask::mask_typed(view(text), *type));
  });
}

AkStatus ak_mask_partial(AkSlice value, int64_t keep_first, int64_t keep_last, AkSlice fill,
                         AkSlice* out) {
  return guarded(
      [&] { *out = result(mask::mask_partial(view(value), keep_first, keep_last, view(fill))); });
}

AkStatus ak_mask_tokens(AkSlice text, const AkSlice* options, AkSlice* out) {
  return guarded([&] {
    const mask::MaskOptions none;
    const mask::MaskOptions& o = options != nullptr ? options_for(view(*options)) : none;
    *out = result(mask::tokenized_json(mask::tokenize(view(text), scanner(), o)));
  });
}

AkStatus ak_unmask(AkSlice text, AkSlice items, AkSlice* out) {
  return guarded([&] { *out = result(mask::unmask(view(text), view(items))); });
}

AkStatus ak_scan(AkSlice text, const AkSlice* options, size_t* count) {
  return guarded([&] {
    g_scan_rows.clear();
    g_scan_text.assign(view(text));
    const mask::MaskOptions none;
    const mask::MaskOptions& o = options != nullptr ? options_for(view(*options)) : none;
    const std::string_view t(g_scan_text);
    const auto entities = mask::select_entities(t, scanner(), o);
    g_scan_rows.reserve(entities.size());
    // Entities come sorted and apart: count characters from one to the next (as SQLite's does).
    std::size_t byte = 0, chars = 0;
    for (const detect::Entity& e : entities) {
      chars += text::char_count(t.substr(byte), e.begin - byte);
      byte = e.begin;
      g_scan_rows.push_back(
          ScanRow{static_cast<std::size_t>(e.type), static_cast<std::int64_t>(chars + 1),
                  static_cast<std::int64_t>(text::char_count(t.substr(e.begin), e.end - e.begin)),
                  e.begin, e.end, e.confidence});
    }
    *count = g_scan_rows.size();
  });
}

void ak_scan_row(size_t row, AkSlice* type, int64_t* start, int64_t* length, AkSlice* match,
                 double* confidence) {
  const ScanRow& r = g_scan_rows[row];
  const std::string& name = scanner().types()[r.type];
  *type = {name.data(), name.size()};
  *start = r.start;
  *length = r.length;
  *match = {g_scan_text.data() + r.begin, r.end - r.begin};
  *confidence = r.confidence;
}

AkStatus ak_types(size_t* count) {
  return guarded([&] {
    g_types = scanner().describe();
    *count = g_types.size();
  });
}

void ak_type_row(size_t row, AkSlice fields[4]) {
  const detect::TypeInfo& t = g_types[row];
  const std::string* f[] = {&t.type, &t.description, &t.validator, &t.source};
  for (int i = 0; i < 4; ++i) fields[i] = {f[i]->data(), f[i]->size()};
}

AkStatus ak_key_use(const char* path) {
  if (g_key && g_key->hmac && g_key->path == path) return AK_OK;
  return guarded([&] {
    g_key.reset();  // a failed load leaves no key, and the next call tries again
    auto k = std::make_unique<Key>();
    k->path = path;
    k->ring = pseudo::Keyring::from_file(path);
    k->hmac = std::make_unique<pseudo::Pseudonymizer>(k->ring->pseudonym_key());
    g_key = std::move(k);
  });
}

AkStatus ak_key_id(AkSlice* out) {
  return guarded([&] { *out = result(key().ring->id()); });
}

AkStatus ak_pseudonym(const AkValue* value, const AkSlice* type_name, AkSlice* out) {
  return guarded([&] {
    auto type = pseudo::PseudonymType::kToken;
    if (type_name != nullptr) {
      type = pseudo::pseudonym_type_argument(view(*type_name));
    }
    const pseudo::Pseudonymizer& hmac = *key().hmac;
    if (type == pseudo::PseudonymType::kInt) {
      const AkValue v = with_affinity(*value);
      if (v.kind != AK_V_INT)
        throw InvalidArgument(
            "anonkit: pseudonym(value, 'int') expects an integer, got another type");
      *out = result(std::to_string(hmac.integer(v.i)));
      return;
    }
    // The canonical text: numbers by value (42, 42.0 and '42' agree); text as it is.
    const AkValue v = value->kind == AK_V_NUMERIC ? with_affinity(*value) : *value;
    switch (v.kind) {
      case AK_V_INT:
        *out = result(hmac.text(type, std::to_string(v.i)));
        break;
      case AK_V_REAL:
        *out = result(hmac.text(type, pseudo::canonical_number(v.d)));
        break;
      default:
        *out = result(hmac.text(type, view(v.text)));
    }
  });
}

AkStatus ak_pseudonym_int(int64_t value, int64_t* out) {
  return guarded([&] { *out = key().hmac->integer(value); });
}

AkStatus ak_fpe(AkSlice value, const AkSlice* alphabet, int encrypt, AkSlice* out) {
  return guarded([&] {
    static std::string cached_spec;
    static std::optional<pseudo::Alphabet> cached;
    const std::string_view spec = alphabet != nullptr ? view(*alphabet) : "digits";
    if (!cached || cached_spec != spec) {
      cached.reset();
      pseudo::Alphabet parsed = pseudo::Alphabet::parse(spec);
      cached_spec.assign(spec);
      cached = std::move(parsed);
    }
    key();
    auto& slot = g_key->ff1[cached->radix()];
    if (!slot) slot = std::make_unique<pseudo::Ff1>(g_key->ring->ff1_key(), cached->radix());
    *out = result(cached->transform(*slot, view(value), encrypt != 0));
  });
}

AkStatus ak_bucket(const AkValue* value, const AkValue* spec_in, const AkValue* origin,
                   AkSlice* out) {
  return guarded([&] {
    // The spec's own type decides the form, as in SQLite (no affinity for it): a number is a
    // width, text holds edges or a unit. A numeric is a number.
    AkValue spec = *spec_in;
    if (spec.kind == AK_V_NUMERIC) spec = with_affinity(spec);
    if (is_number(spec)) {  // width [, origin]
      AkValue v{}, o{};
      const double vd = number_arg(*value, "the value", &v);
      const double od = origin != nullptr ? number_arg(*origin, "the origin", &o) : 0.0;
      if (v.kind == AK_V_INT && spec.kind == AK_V_INT &&
          (origin == nullptr || o.kind == AK_V_INT)) {
        *out = result(generalize::bucket_int(v.i, spec.i, origin != nullptr ? o.i : 0));
        return;
      }
      *out = result(generalize::bucket_real(vd, as_double(spec), od));
      return;
    }
    if (spec.kind != AK_V_TEXT) throw InvalidArgument(fmt::format("anonkit: {}", kForms));
    const std::string_view s = view(spec.text);
    if (s.find('[') != std::string_view::npos) {
      if (origin != nullptr) throw InvalidArgument(fmt::format("anonkit: {}", kForms));
      const double v = number_arg(*value, "the value");
      static std::string cached_spec;
      static std::optional<generalize::Edges> cached;
      if (!cached || cached_spec != s) {
        cached.reset();
        generalize::Edges parsed = generalize::Edges::parse(s);
        cached_spec.assign(s);
        cached = std::move(parsed);
      }
      *out = result(cached->label(v));
      return;
    }
    const auto unit = generalize::parse_date_unit(s);
    if (!unit || origin != nullptr)
      throw InvalidArgument(fmt::format("anonkit: {}; got '{}'", kForms, s));
    std::optional<generalize::DateTime> t;
    std::string shown;
    switch (value->kind) {
      case AK_V_DATETIME: {
        const int* d = value->dt;
        if (d[0] >= 0 && d[0] <= 9999) t = generalize::DateTime{d[0], d[1], d[2], d[3], d[4], d[5]};
        shown = fmt::format("a date in year {}", d[0]);
        break;
      }
      case AK_V_INT:
      case AK_V_REAL:
      case AK_V_NUMERIC: {
        const double secs =
            value->kind == AK_V_NUMERIC ? as_double(with_affinity(*value)) : as_double(*value);
        t = generalize::from_unix_seconds(secs);
        shown = fmt::format("{}", secs);
        break;
      }
      default:
        t = generalize::parse_datetime(view(value->text));
        shown = fmt::format("'{}'", view(value->text));
    }
    if (!t)
      throw InvalidArgument(fmt::format(
          "anonkit: bucket() expects a date like '2024-03-15' or '2024-03-15 14:30:00' (optionally "
          "with Z or +03:00), or unix seconds in years 0000-9999; got {}",
          shown.size() > 80 ? shown.substr(0, 80) + "..." : shown));
    *out = result(generalize::bucket_date(*t, *unit));
  });
}

}  // extern "C"
