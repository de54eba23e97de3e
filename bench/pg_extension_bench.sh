#!/usr/bin/env bash
# rows/s of the PostgreSQL extension's pseudonym(email) and mask(notes) against md5(email) and
# length(notes), one backend, no parallel workers. Prints figures; asserts nothing.
# Usage: bench/pg_extension_bench.sh [build-dir] (ROWS=1000000). Runs itself under pg_virtualenv -t;
# the built files are copied into PostgreSQL's directories for the run and removed afterwards.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
if [[ -z "${ANONKIT_BENCH_IN_VIRTUALENV:-}" ]]; then
  ANONKIT_BENCH_IN_VIRTUALENV=1 exec pg_virtualenv -t "$0" "$build"
fi
rows=${ROWS:-1000000}
libdir=$(pg_config --pkglibdir)
share=$(pg_config --sharedir)/extension
files=("$libdir/anonkit.so" "$share/anonkit.control" "$share/anonkit--0.1.0.sql")
for f in "${files[@]}"; do
  [[ ! -e "$f" ]] || { echo "anonkit: $f exists already (installed?); not replacing it" >&2; exit 1; }
done
keydir=$(mktemp -d)
trap 'rm -f "${files[@]}"; rm -rf "$keydir"' EXIT
cp "$build/pg_worker/extension/lib/anonkit.so" "$libdir/"
cp "$build/pg_worker/extension/share/extension/"anonkit* "$share/"
chmod 755 "$keydir"
head -c 32 /dev/urandom > "$keydir/anonkit.key"
chown postgres "$keydir/anonkit.key"
chmod 600 "$keydir/anonkit.key"

export PGOPTIONS="-c anonkit.key_file=$keydir/anonkit.key -c max_parallel_workers_per_gather=0"
psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION anonkit;
CREATE TABLE people AS
SELECT i,
       (ARRAY['jane','peter','amina','otieno','li','zoe'])[1 + i % 6] || '.' || i || '@example.com' AS email,
       'Member ' || (ARRAY['Jane Wanjiku','Peter Otieno','Amina Hassan','Zoë Müller'])[1 + i % 4] ||
       ' called on 07' || lpad((i::bigint * 7919 % 100000000)::text, 8, '0') || ' about claim CLM/2024/' || i ||
       '; wrote from a' || i || '@mail.example.org, card 4111 1111 1111 ' || lpad((i % 10000)::text, 4, '0') ||
       '. Follow up next week.' AS notes
FROM generate_series(1, $rows) i;
VACUUM ANALYZE people;
SQL

# The best of three runs of one aggregate over every row.
time_ms() {
  local best=""
  for _ in 1 2 3; do
    local ms
    ms=$(psql -X -q -At -v ON_ERROR_STOP=1 -c '\timing on' -c "SELECT $1 FROM people" |
         sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
    if [[ -z "$best" ]] || awk "BEGIN{exit !($ms < $best)}"; then best=$ms; fi
  done
  echo "$best"
}
echo "PostgreSQL extension, $rows rows, one backend (best of 3):"
for expr in "count(md5(email))" "count(anonkit.pseudonym(email))" \
            "count(anonkit.pseudonym(email, 'email'))" "count(anonkit.fpe_encrypt(lpad(i::text, 10, '0')))" \
            "sum(length(notes))" "sum(length(anonkit.mask(notes)))" \
            "count(*)"; do
  ms=$(time_ms "$expr")
  awk -v e="$expr" -v ms="$ms" -v n="$rows" \
    'BEGIN { printf "  %-44s %9.1f ms  %12.0f rows/s\n", e, ms, n / (ms / 1000) }'
done
