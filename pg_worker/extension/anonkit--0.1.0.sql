-- anonkit 0.1.0: the SQLite extension's functions inside PostgreSQL, on the same C++ core.
-- Volatility, strictness and parallel safety are chosen per function:
--   IMMUTABLE   mask, mask_partial, mask_tokens, unmask, pii_scan, pii_types, bucket: the result
--               depends on the arguments and the extension's built-in recognizers only (a new
--               anonkit version may mask differently: REINDEX an index on mask() after upgrading).
--   STABLE      pseudonym, pseudonym_int, fpe_encrypt, fpe_decrypt, anonkit_key_id: they depend on
--               anonkit.key_file, which a superuser may change between statements.
--   STRICT      everywhere: NULL in, NULL out (pii_scan of NULL: no rows).
--   PARALLEL SAFE everywhere: a parallel worker receives anonkit.key_file from its leader and
--               reads the same key file.
-- Arguments whose SQLite twin branches on the value's type are declared "any" (the C code reads
-- the actual type); each has a text overload beside it, which PostgreSQL picks for untyped literals
-- and untyped parameters (a driver's $1), which "any" alone cannot type.
\echo Use "CREATE EXTENSION anonkit" to load this file. \quit

CREATE FUNCTION mask(value text) RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_mask' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mask(text) IS 'Every PII entity found in the text replaced by [TYPE]';

-- The second argument as in SQLite: a type name ('email', 'card', ...: a typed mask of one value)
-- or a JSON options object ({"style":"partial","types":["EMAIL"],"min_confidence":0.5}); a json
-- or jsonb argument is always options.
CREATE FUNCTION mask(value text, type_or_options "any") RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_mask' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mask(value text, type_or_options text) RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_mask' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mask(text, "any") IS
  'mask(value, ''card'') masks one value of a type; mask(text, ''{"style":"partial"}''::jsonb) masks free text with options';

CREATE FUNCTION mask_partial(value text, keep_first integer, keep_last integer, fill text DEFAULT '*')
  RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_mask_partial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION mask_tokens(value text) RETURNS json
  AS 'MODULE_PATHNAME', 'anonkit_mask_tokens' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mask_tokens(value text, options "any") RETURNS json
  AS 'MODULE_PATHNAME', 'anonkit_mask_tokens' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mask_tokens(value text, options text) RETURNS json
  AS 'MODULE_PATHNAME', 'anonkit_mask_tokens' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mask_tokens(text) IS
  '{"text": masked with [TYPE_n] tokens, "items": {token: original}}; unmask() puts them back';

CREATE FUNCTION unmask(value text, items "any") RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_unmask' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION unmask(value text, items text) RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_unmask' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION pii_scan(value text,
                         OUT type text, OUT start integer, OUT length integer, OUT match text,
                         OUT confidence double precision)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'anonkit_pii_scan' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4;
CREATE FUNCTION pii_scan(value text, options "any",
                         OUT type text, OUT start integer, OUT length integer, OUT match text,
                         OUT confidence double precision)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'anonkit_pii_scan' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4;
CREATE FUNCTION pii_scan(value text, options text,
                         OUT type text, OUT start integer, OUT length integer, OUT match text,
                         OUT confidence double precision)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'anonkit_pii_scan' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4;
COMMENT ON FUNCTION pii_scan(text) IS
  'The PII entities of a text: start and length in characters (1-based, as substr counts)';

CREATE FUNCTION pii_types(OUT type text, OUT description text, OUT validator text, OUT source text)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'anonkit_pii_types' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 40;

-- Keyed. The value may be text or a number: 42, 42.0 and '42' give the same pseudonym (as in
-- SQLite); the type is 'email', 'name', 'phone' or 'int' (the integer as text; pseudonym_int
-- returns it as bigint).
CREATE FUNCTION pseudonym(value "any") RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_pseudonym' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION pseudonym(value "any", type text) RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_pseudonym' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION pseudonym(value text) RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_pseudonym' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION pseudonym(value text, type text) RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_pseudonym' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION pseudonym_int(value bigint) RETURNS bigint
  AS 'MODULE_PATHNAME', 'anonkit_pseudonym_int' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION fpe_encrypt(value text, alphabet text DEFAULT 'digits') RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_fpe_encrypt' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION fpe_decrypt(value text, alphabet text DEFAULT 'digits') RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_fpe_decrypt' LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- The public fingerprint of the key in use (NULL without anonkit.key_file): compare it with
-- SQLite's anonkit_key_id() to know both sides pseudonymize alike.
CREATE FUNCTION anonkit_key_id() RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_key_id' LANGUAGE C STABLE PARALLEL SAFE;

-- bucket(number, width [, origin]), bucket(number, '[0,18,30,50,65]'), bucket(date or timestamp,
-- 'year'|'quarter'|'month'|'week'|'day'|'hour'): the arguments' own types pick the form, as in
-- SQLite (a timestamptz falls in its UTC period, as SQLite converts offsets to UTC).
CREATE FUNCTION bucket(value "any", width_edges_or_unit "any") RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_bucket' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bucket(value "any", width "any", origin "any") RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_bucket' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bucket(value text, edges_or_unit text) RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_bucket' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION anonkit_version() RETURNS text
  AS 'MODULE_PATHNAME', 'anonkit_version' LANGUAGE C IMMUTABLE PARALLEL SAFE;
