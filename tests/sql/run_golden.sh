#!/usr/bin/env bash
# Golden SQL test: runs FILE.sql through the real sqlite3 shell with the extension loaded and diffs
# stdout+stderr against FILE.expected. Set UPDATE_GOLDEN=1 to rewrite the expected file.
set -euo pipefail
shell=$1
extension=$2
sql=$3
expected="${sql%.sql}.expected"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sql=$(cd "$(dirname "$sql")" && pwd)/$(basename "$sql")
expected="${sql%.sql}.expected"
cd "$dir"  # files a test makes (key files) live and die in the temporary directory
{
  echo ".load ${extension%.so}"
  cat "$sql"
} | "$shell" -batch "$dir/test.db" >"$dir/actual" 2>&1 || true
# The shell names the database file in some errors; make it stable.
sed -i "s|$dir|TMP|g" "$dir/actual"
if [[ "${UPDATE_GOLDEN:-0}" == 1 ]]; then
  cp "$dir/actual" "$expected"
  exit 0
fi
if ! diff -u "$expected" "$dir/actual"; then
  echo "golden test failed: $sql (UPDATE_GOLDEN=1 rewrites $expected after review)" >&2
  exit 1
fi
