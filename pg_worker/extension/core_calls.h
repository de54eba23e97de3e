/* The boundary between the PostgreSQL entry points (C, anonkit_pg.c) and anonkit's C++ core
 * (core_calls.cpp). Plain C types only: no C++ object crosses it, no exception, no longjmp. */
#ifndef ANONKIT_PG_CORE_CALLS_H
#define ANONKIT_PG_CORE_CALLS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes owned by the caller (an argument) or by core_calls.cpp (a result, valid until the next
 * ak_ call: the entry point copies it into palloc'd memory at once). */
typedef struct AkSlice {
  const char* data;
  size_t size;
} AkSlice;

/* Outcome of every ak_ call. On anything but AK_OK, ak_error_message() says why ("anonkit: ...").
 */
typedef enum AkStatus {
  AK_OK = 0,
  AK_INVALID = 1, /* wrong argument: 22023 */
  AK_CONFIG = 2,  /* options or recognizers that do not compile: F0000 */
  AK_KEY = 3,     /* a key file missing, unsafe or malformed: F0000 */
  AK_NOMEM = 4,   /* 53200 */
  AK_INTERNAL = 5 /* XX000 */
} AkStatus;

/* A SQL value as SQLite would see it, so each function can follow its SQLite twin exactly. */
typedef enum AkKind {
  AK_V_INT = 0,     /* i */
  AK_V_REAL = 1,    /* d */
  AK_V_TEXT = 2,    /* text */
  AK_V_NUMERIC = 3, /* text: a numeric's decimal form, read as INTEGER or REAL like a literal */
  AK_V_DATETIME = 4 /* dt: year, month, day, hour, minute, second (UTC) */
} AkKind;

typedef struct AkValue {
  AkKind kind;
  int64_t i;
  double d;
  AkSlice text;
  int dt[6];
} AkValue;

const char* ak_error_message(void);

/* second_kind: 0 none, 1 a type name or a JSON options object (decided as SQLite does), 2 options.
 */
AkStatus ak_mask(AkSlice text, AkSlice second, int second_kind, AkSlice* out);
AkStatus ak_mask_partial(AkSlice value, int64_t keep_first, int64_t keep_last, AkSlice fill,
                         AkSlice* out);
AkStatus ak_mask_tokens(AkSlice text, const AkSlice* options, AkSlice* out);
AkStatus ak_unmask(AkSlice text, AkSlice items, AkSlice* out);

/* pii_scan: the entities, then each row by index (1-based character start and length). */
AkStatus ak_scan(AkSlice text, const AkSlice* options, size_t* count);
void ak_scan_row(size_t row, AkSlice* type, int64_t* start, int64_t* length, AkSlice* match,
                 double* confidence);
AkStatus ak_types(size_t* count);
void ak_type_row(size_t row, AkSlice fields[4]);

/* Makes the key file `path` the current key, reading it only when the path differs from the one
 * loaded (or the last load failed). */
AkStatus ak_key_use(const char* path);
AkStatus ak_key_id(AkSlice* out);
/* type: NULL for a token, else "email", "name", "phone" or "int". */
AkStatus ak_pseudonym(const AkValue* value, const AkSlice* type, AkSlice* out);
AkStatus ak_pseudonym_int(int64_t value, int64_t* out);
AkStatus ak_fpe(AkSlice value, const AkSlice* alphabet, int encrypt, AkSlice* out);

/* origin may be NULL. */
AkStatus ak_bucket(const AkValue* value, const AkValue* spec, const AkValue* origin, AkSlice* out);

const char* ak_version(void);

#ifdef __cplusplus
}
#endif

#endif
