/* The PostgreSQL entry points of anonkit.so. Written in C on purpose: ereport(ERROR) longjmps, and
 * a longjmp across a C++ frame skips its destructors. Here every call into the core goes through
 * core_calls.h (noexcept C++ returning a status); this file then raises the error from a C frame
 * in which no C++ object lives. The C++ side never calls PostgreSQL. */
/* postgres.h comes before any other header. */
/* clang-format off */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "core_calls.h"
/* clang-format on */

PG_MODULE_MAGIC;

void _PG_init(void);

/* anonkit.key_file: a path only a superuser sets (postgresql.conf, ALTER SYSTEM, or SET as a
 * superuser); the key itself is read from that file and lives in this backend's memory only. */
static char* key_file = NULL;

void _PG_init(void) {
  DefineCustomStringVariable(
      "anonkit.key_file",
      "Key file of anonkit's pseudonym() and fpe_*() (32 bytes or 64 hex digits, mode 0600 or "
      "stricter, owned by the server's user).",
      NULL, &key_file, "", PGC_SUSET, 0, NULL, NULL, NULL);
  MarkGUCPrefixReserved("anonkit");
}

static int sqlstate_of(AkStatus status) {
  switch (status) {
    case AK_INVALID:
      return ERRCODE_INVALID_PARAMETER_VALUE;
    case AK_CONFIG:
    case AK_KEY:
      return ERRCODE_CONFIG_FILE_ERROR;
    case AK_NOMEM:
      return ERRCODE_OUT_OF_MEMORY;
    default:
      return ERRCODE_INTERNAL_ERROR;
  }
}

/* The message lives in core_calls.cpp's static buffer; errmsg copies it before the longjmp. */
static void check(AkStatus status) {
  if (status != AK_OK)
    ereport(ERROR, (errcode(sqlstate_of(status)), errmsg("%s", ak_error_message())));
}

static void use_key(void) {
  if (key_file == NULL || key_file[0] == '\0')
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("anonkit: no key configured"),
                    errhint("A superuser names a key file readable by the server's user alone: "
                            "ALTER SYSTEM SET anonkit.key_file = '/etc/anonkit/anonkit.key'; "
                            "SELECT pg_reload_conf();")));
  check(ak_key_use(key_file));
}

static AkSlice text_slice(text* t) {
  AkSlice s;
  s.data = VARDATA_ANY(t);
  s.size = VARSIZE_ANY_EXHDR(t);
  return s;
}

static AkSlice text_arg(FunctionCallInfo fcinfo, int i) {
  return text_slice(PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(i)));
}

static text* slice_text(AkSlice s) {
  if (s.size > MaxAllocSize - VARHDRSZ)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("anonkit: the result would be %zu bytes, more than a text value holds",
                           s.size)));
  return cstring_to_text_with_len(s.data, (int)s.size);
}

/* An argument declared "any", read the way SQLite would see it: integers and booleans as INTEGER,
 * floats as REAL, numeric by its decimal text, dates and timestamps (timestamptz in UTC) as a date
 * and time, text as it is, any other type by its output function. bytea is refused, as a BLOB is.
 */
static AkValue any_arg(FunctionCallInfo fcinfo, int i, const char* function) {
  AkValue v;
  Oid type = get_fn_expr_argtype(fcinfo->flinfo, i);
  Datum d = PG_GETARG_DATUM(i);
  memset(&v, 0, sizeof v);
  switch (type) {
    case INT2OID:
      v.kind = AK_V_INT;
      v.i = DatumGetInt16(d);
      return v;
    case INT4OID:
      v.kind = AK_V_INT;
      v.i = DatumGetInt32(d);
      return v;
    case INT8OID:
      v.kind = AK_V_INT;
      v.i = DatumGetInt64(d);
      return v;
    case BOOLOID:
      v.kind = AK_V_INT;
      v.i = DatumGetBool(d) ? 1 : 0;
      return v;
    case FLOAT4OID:
      v.kind = AK_V_REAL;
      v.d = DatumGetFloat4(d);
      return v;
    case FLOAT8OID:
      v.kind = AK_V_REAL;
      v.d = DatumGetFloat8(d);
      return v;
    case NUMERICOID: {
      char* s = DatumGetCString(DirectFunctionCall1(numeric_out, d));
      v.kind = AK_V_NUMERIC;
      v.text.data = s;
      v.text.size = strlen(s);
      return v;
    }
    case DATEOID:
    case TIMESTAMPOID:
    case TIMESTAMPTZOID: {
      Timestamp ts;
      struct pg_tm tm;
      fsec_t fsec;
      if (type == DATEOID) {
        DateADT date = DatumGetDateADT(d);
        if (DATE_NOT_FINITE(date))
          ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                          errmsg("anonkit: %s() expects a finite date, got infinity", function)));
        ts = date2timestamp_no_overflow(date);
      } else {
        ts = DatumGetTimestamp(d);
      }
      if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("anonkit: %s() expects a finite date, got infinity or one out of "
                               "range",
                               function)));
      v.kind = AK_V_DATETIME;
      v.dt[0] = tm.tm_year;
      v.dt[1] = tm.tm_mon;
      v.dt[2] = tm.tm_mday;
      v.dt[3] = tm.tm_hour;
      v.dt[4] = tm.tm_min;
      v.dt[5] = tm.tm_sec;
      return v;
    }
    case BYTEAOID:
      ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                      errmsg("anonkit: %s() expects text or a number, got bytea; if it holds UTF-8 "
                             "text, pass convert_from(value, 'UTF8')",
                             function)));
      break;
    case TEXTOID:
    case VARCHAROID:
      v.kind = AK_V_TEXT;
      v.text = text_slice(PG_DETOAST_DATUM_PACKED(d));
      return v;
    default:
      break;
  }
  if (!OidIsValid(type))
    ereport(ERROR,
            (errcode(ERRCODE_INTERNAL_ERROR),
             errmsg("anonkit: %s() could not tell the type of argument %d", function, i + 1)));
  {
    Oid out;
    bool varlena;
    char* s;
    getTypeOutputInfo(type, &out, &varlena);
    s = OidOutputFunctionCall(out, d);
    v.kind = AK_V_TEXT;
    v.text.data = s;
    v.text.size = strlen(s);
  }
  return v;
}

/* An options or items argument declared "any": its text (json and jsonb by their output). */
static AkSlice any_text_arg(FunctionCallInfo fcinfo, int i, const char* function) {
  AkValue v = any_arg(fcinfo, i, function);
  if (v.kind != AK_V_TEXT)
    ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                    errmsg("anonkit: %s() expects argument %d as text or JSON", function, i + 1)));
  return v.text;
}

static bool is_json_arg(FunctionCallInfo fcinfo, int i) {
  Oid type = get_fn_expr_argtype(fcinfo->flinfo, i);
  return type == JSONOID || type == JSONBOID;
}

/* ---- mask -------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(anonkit_mask);
Datum anonkit_mask(PG_FUNCTION_ARGS) {
  text* in = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
  AkSlice value = text_slice(in), second = {NULL, 0}, out;
  int kind = 0;
  if (PG_NARGS() == 2) {
    kind = is_json_arg(fcinfo, 1) ? 2 : 1;
    second = any_text_arg(fcinfo, 1, "mask");
  }
  check(ak_mask(value, second, kind, &out));
  if (out.data == value.data && out.size == value.size && (Pointer)in == PG_GETARG_POINTER(0))
    PG_RETURN_DATUM(PG_GETARG_DATUM(0)); /* nothing to mask: the value as it came */
  PG_RETURN_TEXT_P(slice_text(out));
}

PG_FUNCTION_INFO_V1(anonkit_mask_partial);
Datum anonkit_mask_partial(PG_FUNCTION_ARGS) {
  AkSlice out, fill = {"*", 1};
  if (PG_NARGS() == 4) fill = text_arg(fcinfo, 3);
  check(ak_mask_partial(text_arg(fcinfo, 0), PG_GETARG_INT32(1), PG_GETARG_INT32(2), fill, &out));
  PG_RETURN_TEXT_P(slice_text(out));
}

PG_FUNCTION_INFO_V1(anonkit_mask_tokens);
Datum anonkit_mask_tokens(PG_FUNCTION_ARGS) {
  AkSlice out, options;
  AkSlice value = text_arg(fcinfo, 0);
  if (PG_NARGS() == 2) options = any_text_arg(fcinfo, 1, "mask_tokens");
  check(ak_mask_tokens(value, PG_NARGS() == 2 ? &options : NULL, &out));
  PG_RETURN_TEXT_P(slice_text(out)); /* json is text inside */
}

PG_FUNCTION_INFO_V1(anonkit_unmask);
Datum anonkit_unmask(PG_FUNCTION_ARGS) {
  AkSlice out;
  AkSlice value = text_arg(fcinfo, 0);
  AkSlice items = any_text_arg(fcinfo, 1, "unmask");
  check(ak_unmask(value, items, &out));
  PG_RETURN_TEXT_P(slice_text(out));
}

/* ---- pii_scan, pii_types: materialized set-returning functions ------------------------------ */

PG_FUNCTION_INFO_V1(anonkit_pii_scan);
Datum anonkit_pii_scan(PG_FUNCTION_ARGS) {
  ReturnSetInfo* rsinfo = (ReturnSetInfo*)fcinfo->resultinfo;
  AkSlice value, options;
  size_t count, row;
  InitMaterializedSRF(fcinfo, 0);
  value = text_arg(fcinfo, 0);
  if (PG_NARGS() == 2) options = any_text_arg(fcinfo, 1, "pii_scan");
  check(ak_scan(value, PG_NARGS() == 2 ? &options : NULL, &count));
  /* The rows stay in core_calls.cpp's buffers until the next ak_scan; nothing below calls it. */
  for (row = 0; row < count; ++row) {
    Datum values[5];
    bool nulls[5] = {false, false, false, false, false};
    AkSlice type, match;
    int64 start, length;
    double confidence;
    ak_scan_row(row, &type, &start, &length, &match, &confidence);
    values[0] = PointerGetDatum(slice_text(type));
    values[1] = Int32GetDatum((int32)start);
    values[2] = Int32GetDatum((int32)length);
    values[3] = PointerGetDatum(slice_text(match));
    values[4] = Float8GetDatum(confidence);
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
  }
  return (Datum)0;
}

PG_FUNCTION_INFO_V1(anonkit_pii_types);
Datum anonkit_pii_types(PG_FUNCTION_ARGS) {
  ReturnSetInfo* rsinfo = (ReturnSetInfo*)fcinfo->resultinfo;
  size_t count, row;
  InitMaterializedSRF(fcinfo, 0);
  check(ak_types(&count));
  for (row = 0; row < count; ++row) {
    Datum values[4];
    bool nulls[4] = {false, false, false, false};
    AkSlice fields[4];
    int i;
    ak_type_row(row, fields);
    for (i = 0; i < 4; ++i) values[i] = PointerGetDatum(slice_text(fields[i]));
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
  }
  return (Datum)0;
}

/* ---- keyed: pseudonym, fpe ----------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(anonkit_pseudonym);
Datum anonkit_pseudonym(PG_FUNCTION_ARGS) {
  AkValue value = any_arg(fcinfo, 0, "pseudonym");
  AkSlice type, out;
  if (PG_NARGS() == 2) type = text_arg(fcinfo, 1);
  use_key();
  check(ak_pseudonym(&value, PG_NARGS() == 2 ? &type : NULL, &out));
  PG_RETURN_TEXT_P(slice_text(out));
}

PG_FUNCTION_INFO_V1(anonkit_pseudonym_int);
Datum anonkit_pseudonym_int(PG_FUNCTION_ARGS) {
  int64_t out;
  use_key();
  check(ak_pseudonym_int(PG_GETARG_INT64(0), &out));
  PG_RETURN_INT64(out);
}

static Datum fpe(FunctionCallInfo fcinfo, int encrypt) {
  AkSlice value = text_arg(fcinfo, 0), alphabet, out;
  if (PG_NARGS() == 2) alphabet = text_arg(fcinfo, 1);
  use_key();
  check(ak_fpe(value, PG_NARGS() == 2 ? &alphabet : NULL, encrypt, &out));
  PG_RETURN_TEXT_P(slice_text(out));
}

PG_FUNCTION_INFO_V1(anonkit_fpe_encrypt);
Datum anonkit_fpe_encrypt(PG_FUNCTION_ARGS) { return fpe(fcinfo, 1); }

PG_FUNCTION_INFO_V1(anonkit_fpe_decrypt);
Datum anonkit_fpe_decrypt(PG_FUNCTION_ARGS) { return fpe(fcinfo, 0); }

PG_FUNCTION_INFO_V1(anonkit_key_id);
Datum anonkit_key_id(PG_FUNCTION_ARGS) {
  AkSlice out;
  if (key_file == NULL || key_file[0] == '\0') PG_RETURN_NULL();
  use_key();
  check(ak_key_id(&out));
  PG_RETURN_TEXT_P(slice_text(out));
}

/* ---- bucket, version ------------------------------------------------------------------------ */

PG_FUNCTION_INFO_V1(anonkit_bucket);
Datum anonkit_bucket(PG_FUNCTION_ARGS) {
  AkValue value = any_arg(fcinfo, 0, "bucket");
  AkValue spec = any_arg(fcinfo, 1, "bucket");
  AkValue origin;
  AkSlice out;
  if (PG_NARGS() == 3) origin = any_arg(fcinfo, 2, "bucket");
  check(ak_bucket(&value, &spec, PG_NARGS() == 3 ? &origin : NULL, &out));
  PG_RETURN_TEXT_P(slice_text(out));
}

PG_FUNCTION_INFO_V1(anonkit_version);
Datum anonkit_version(PG_FUNCTION_ARGS) { PG_RETURN_TEXT_P(cstring_to_text(ak_version())); }
