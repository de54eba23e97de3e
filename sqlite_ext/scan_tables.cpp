// pii_scan(text [, options]) and pii_types(): eponymous table-valued functions, the shape of
// SQLite's series.c, with the arguments as HIDDEN columns.
#include <fmt/format.h>

#include <new>
#include <vector>

#include "anonkit/detect/scanner.hpp"
#include "anonkit/error.hpp"
#include "anonkit/mask/text.hpp"
#include "anonkit/text/utf8.hpp"
#include "connection.hpp"

namespace anonkit::sqlite {
namespace {

struct Table : sqlite3_vtab {
  StatePtr state;
};

int connect_common(sqlite3* db, void* aux, sqlite3_vtab** out, char** err, const char* schema) {
  const int rc = sqlite3_declare_vtab(db, schema);
  if (rc != SQLITE_OK) {
    *err = sqlite_strdup("anonkit: could not declare the virtual table");
    return rc;
  }
  auto* table = new (std::nothrow) Table{};
  if (table == nullptr) return SQLITE_NOMEM;
  table->state = *static_cast<StatePtr*>(aux);
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *out = table;
  return SQLITE_OK;
}

int disconnect(sqlite3_vtab* vtab) noexcept {
  delete static_cast<Table*>(vtab);
  return SQLITE_OK;
}

void destroy_aux(void* p) noexcept { delete static_cast<StatePtr*>(p); }

// ---- pii_scan -------------------------------------------------------------------------------

enum ScanColumn { kType, kStart, kLength, kMatch, kConfidence, kText, kOptions };

struct ScanCursor : sqlite3_vtab_cursor {
  std::shared_ptr<const detect::Scanner> scanner;
  std::string text;
  std::vector<detect::Entity> entities;
  std::vector<std::size_t> start_chars;  // per entity: characters before it (one pass, in order)
  std::size_t row = 0;
};

int scan_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out,
                 char** err) noexcept {
  return connect_common(db, aux, out, err,
                        "CREATE TABLE x(type TEXT, start INTEGER, length INTEGER, match TEXT, "
                        "confidence REAL, text HIDDEN, options HIDDEN)");
}

// idxNum bit 1: text is bound (argv[0]); bit 2: options bound (argv[1]).
int scan_best_index(sqlite3_vtab*, sqlite3_index_info* info) noexcept {
  int text_at = -1, options_at = -1;
  bool text_unusable = false;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (c.iColumn == kText) {
      if (c.usable)
        text_at = i;
      else
        text_unusable = true;
    } else if (c.iColumn == kOptions && c.usable) {
      options_at = i;
    }
  }
  // A plan where the argument is not yet known is no plan at all (series.c does the same).
  if (text_at < 0 && text_unusable) return SQLITE_CONSTRAINT;
  int idx = 0, argv = 0;
  if (text_at >= 0) {
    info->aConstraintUsage[text_at].argvIndex = ++argv;
    info->aConstraintUsage[text_at].omit = 1;
    idx |= 1;
  }
  if (options_at >= 0) {
    info->aConstraintUsage[options_at].argvIndex = ++argv;
    info->aConstraintUsage[options_at].omit = 1;
    idx |= 2;
  }
  info->idxNum = idx;
  info->estimatedCost = text_at >= 0 ? 10.0 : 1e12;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

int scan_filter(sqlite3_vtab_cursor* cur, int idx, const char*, int argc,
                sqlite3_value** argv) noexcept {
  auto* c = static_cast<ScanCursor*>(cur);
  return vtab_guarded(cur->pVtab, [&] {
    c->entities.clear();
    c->start_chars.clear();
    c->row = 0;
    if ((idx & 1) == 0)
      throw InvalidArgument(
          "anonkit: pii_scan needs its text argument, e.g. SELECT * FROM pii_scan('call 0712 345 "
          "678') or FROM t, pii_scan(t.notes)");
    const auto* table = static_cast<Table*>(cur->pVtab);
    c->scanner = table->state->scanner;
    const auto text = text_arg(argv[0], "pii_scan", "text");
    if (!text) return SQLITE_OK;
    c->text.assign(*text);
    mask::MaskOptions options;
    if ((idx & 2) != 0 && argc > 1)
      options = mask::parse_mask_options(param_text(argv[1], "pii_scan", "options"), *c->scanner);
    c->entities = mask::select_entities(c->text, *c->scanner, options);
    // Entities come sorted and apart: count characters from one to the next, not from the start
    // for each (which made sum(start) quadratic in the number of entities).
    c->start_chars.clear();
    c->start_chars.reserve(c->entities.size());
    std::size_t byte = 0, chars = 0;
    for (const detect::Entity& e : c->entities) {
      chars += text::char_count(std::string_view(c->text).substr(byte), e.begin - byte);
      byte = e.begin;
      c->start_chars.push_back(chars);
    }
    return SQLITE_OK;
  });
}

int scan_next(sqlite3_vtab_cursor* cur) noexcept {
  ++static_cast<ScanCursor*>(cur)->row;
  return SQLITE_OK;
}

int scan_eof(sqlite3_vtab_cursor* cur) noexcept {
  const auto* c = static_cast<ScanCursor*>(cur);
  return c->row >= c->entities.size();
}

int scan_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) noexcept {
  const auto* c = static_cast<ScanCursor*>(cur);
  const detect::Entity& e = c->entities[c->row];
  const std::string_view text(c->text);
  switch (column) {
    case kType:
      result_text(ctx, c->scanner->types()[e.type]);
      break;
    case kStart:  // 1-based characters, as substr() counts
      sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(c->start_chars[c->row] + 1));
      break;
    case kLength:
      sqlite3_result_int64(
          ctx, static_cast<sqlite3_int64>(text::char_count(text.substr(e.begin), e.end - e.begin)));
      break;
    case kMatch:
      result_text(ctx, text.substr(e.begin, e.end - e.begin));
      break;
    case kConfidence:
      sqlite3_result_double(ctx, e.confidence);
      break;
    default:
      sqlite3_result_null(ctx);
  }
  return SQLITE_OK;
}

int scan_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) noexcept {
  *rowid = static_cast<sqlite3_int64>(static_cast<ScanCursor*>(cur)->row + 1);
  return SQLITE_OK;
}

// ---- pii_types ------------------------------------------------------------------------------

struct TypesCursor : sqlite3_vtab_cursor {
  std::vector<detect::TypeInfo> rows;
  std::size_t row = 0;
};

int types_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out,
                  char** err) noexcept {
  return connect_common(db, aux, out, err,
                        "CREATE TABLE x(type TEXT, description TEXT, validator TEXT, source TEXT)");
}

int types_best_index(sqlite3_vtab*, sqlite3_index_info* info) noexcept {
  info->estimatedCost = 20;
  info->estimatedRows = 20;
  return SQLITE_OK;
}

int types_filter(sqlite3_vtab_cursor* cur, int, const char*, int, sqlite3_value**) noexcept {
  auto* c = static_cast<TypesCursor*>(cur);
  return vtab_guarded(cur->pVtab, [&] {
    c->rows = static_cast<Table*>(cur->pVtab)->state->scanner->describe();
    c->row = 0;
    return SQLITE_OK;
  });
}

int types_next(sqlite3_vtab_cursor* cur) noexcept {
  ++static_cast<TypesCursor*>(cur)->row;
  return SQLITE_OK;
}

int types_eof(sqlite3_vtab_cursor* cur) noexcept {
  const auto* c = static_cast<TypesCursor*>(cur);
  return c->row >= c->rows.size();
}

int types_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) noexcept {
  const auto* c = static_cast<TypesCursor*>(cur);
  const detect::TypeInfo& t = c->rows[c->row];
  const std::string* fields[] = {&t.type, &t.description, &t.validator, &t.source};
  if (column >= 0 && column < 4)
    result_text(ctx, *fields[column]);
  else
    sqlite3_result_null(ctx);
  return SQLITE_OK;
}

int types_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) noexcept {
  *rowid = static_cast<sqlite3_int64>(static_cast<TypesCursor*>(cur)->row + 1);
  return SQLITE_OK;
}

sqlite3_module make_module(decltype(sqlite3_module::xConnect) connect,
                           decltype(sqlite3_module::xBestIndex) best_index,
                           decltype(sqlite3_module::xOpen) open,
                           decltype(sqlite3_module::xClose) close,
                           decltype(sqlite3_module::xFilter) filter,
                           decltype(sqlite3_module::xNext) next, decltype(sqlite3_module::xEof) eof,
                           decltype(sqlite3_module::xColumn) column,
                           decltype(sqlite3_module::xRowid) rowid) {
  sqlite3_module m{};
  m.iVersion = 0;
  m.xCreate = nullptr;  // eponymous-only: no CREATE VIRTUAL TABLE
  m.xConnect = connect;
  m.xBestIndex = best_index;
  m.xDisconnect = disconnect;
  m.xOpen = open;
  m.xClose = close;
  m.xFilter = filter;
  m.xNext = next;
  m.xEof = eof;
  m.xColumn = column;
  m.xRowid = rowid;
  return m;
}

const sqlite3_module kScanModule =
    make_module(scan_connect, scan_best_index, open_cursor<ScanCursor>, close_cursor<ScanCursor>,
                scan_filter, scan_next, scan_eof, scan_column, scan_rowid);
const sqlite3_module kTypesModule = make_module(
    types_connect, types_best_index, open_cursor<TypesCursor>, close_cursor<TypesCursor>,
    types_filter, types_next, types_eof, types_column, types_rowid);

int create_module(sqlite3* db, const char* name, const sqlite3_module* module,
                  const StatePtr& state) {
  auto* copy = new (std::nothrow) StatePtr(state);
  if (copy == nullptr) return SQLITE_NOMEM;
  return sqlite3_create_module_v2(db, name, module, copy, destroy_aux);
}

}  // namespace

int register_scan_tables(sqlite3* db, const StatePtr& state) {
  int rc = create_module(db, "pii_scan", &kScanModule, state);
  if (rc == SQLITE_OK) rc = create_module(db, "pii_types", &kTypesModule, state);
  return rc;
}

}  // namespace anonkit::sqlite
