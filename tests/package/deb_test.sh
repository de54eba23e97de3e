#!/usr/bin/env bash
# The Debian package as a user gets it: built by cpack from this build, installed with dpkg -i on
# this (test) machine, used from the installed paths (sqlite3 .load, anonkit-worker --version,
# anonkit-keygen, CREATE EXTENSION when the package carries the PostgreSQL extension), then
# removed with dpkg -r, checking that its files are gone. Cleans up on any exit (trap).
# Usage: deb_test.sh CPACK_CONFIG   (exit 77 = skipped: not root, or an anonkit package we did not install)
set -euo pipefail
config=${1:?usage: deb_test.sh path/to/CPackConfig.cmake}

if [[ $(id -u) -ne 0 ]]; then
  echo "package test: needs root (dpkg -i); skipped" >&2
  exit 77
fi

# One package test on the machine at a time (several build trees may run their suites at once).
exec 9>/run/lock/anonkit-package-test.lock
flock -w 600 9

marker=/var/lib/anonkit-package-test.installed   # "this test installed the package" (and the user?)
installed() { [[ $(dpkg-query -W -f='${Status}' anonkit 2>/dev/null || true) == "install ok installed" ]]; }
if installed || dpkg-query -W anonkit >/dev/null 2>&1; then
  if [[ -e $marker ]]; then
    echo "package test: removing the package a killed run of this test left" >&2
    dpkg --purge anonkit >/dev/null
  else
    echo "package test: an anonkit package this test did not install is on the machine; not touching it" >&2
    exit 77
  fi
fi

tmp=$(mktemp -d /tmp/anonkit-package-test.XXXXXX)
user_existed=0
getent passwd anonkit >/dev/null && user_existed=1
[[ -e $marker ]] && user_existed=$(cat "$marker")
cleanup() {
  local rc=$?
  if dpkg-query -W anonkit >/dev/null 2>&1 && [[ -e $marker ]]; then
    dpkg --purge anonkit >/dev/null 2>&1 || echo "package test: dpkg --purge anonkit failed" >&2
  fi
  if [[ $user_existed -eq 0 ]] && getent passwd anonkit >/dev/null; then
    userdel anonkit 2>/dev/null || true
    getent group anonkit >/dev/null && groupdel anonkit 2>/dev/null || true
  fi
  rm -f "$marker"
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "package test: FAIL: $*" >&2; exit 1; }

# 1. Build the package from this build tree (into a directory of our own, apart from `make package`).
cpack --config "$config" -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log" >&2; fail "cpack"; }
deb=$(ls "$tmp"/out/anonkit_*.deb)
echo "== $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --field "$deb"
dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's,^\./,/,' | grep -v '/$' | sort >"$tmp/files"
cat "$tmp/files"

# 2. Contents: every part where the README says it is.
for f in /usr/lib/sqlite3/anonkit.so /usr/bin/anonkit-keygen /usr/share/doc/anonkit/README.md \
         /usr/lib/sysusers.d/anonkit.conf; do
  grep -qx "$f" "$tmp/files" || fail "$f not in the package"
done
with_worker=0
if grep -qx /usr/bin/anonkit-worker "$tmp/files"; then
  with_worker=1
  for u in anonkit-worker.service anonkit-retention.service anonkit-retention.timer; do
    grep -qx "/usr/lib/systemd/system/$u" "$tmp/files" || fail "$u not in the package"
  done
fi
pg_control=$(grep -E '^/usr/share/postgresql/[0-9]+/extension/anonkit\.control$' "$tmp/files" || true)

# 3. Depends covers every shared library the package's ELF files need (resolved on this machine).
dpkg-deb -x "$deb" "$tmp/root"
depends=$(dpkg-deb -f "$deb" Depends)
echo "== Depends: $depends"
while read -r f; do
  [[ $(head -c4 "$tmp/root$f" | od -An -c | tr -d ' ') == '177ELF' ]] || continue
  for lib in $(objdump -p "$tmp/root$f" | awk '$1 == "NEEDED" {print $2}'); do
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ && !p {p = $NF} END {print p}')
    [[ -n $path ]] || fail "$f needs $lib, not found on this machine"
    pkg=$( (dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path") | sed -n '1s/:.*//p')
    [[ $pkg == libc6 || $pkg == libstdc++6 || $pkg == libgcc-s1 ]] && continue
    grep -Eq "(^|, )$pkg( |,|$)" <<<"$depends" || fail "$f needs $lib ($pkg), not in Depends"
  done
done <"$tmp/files"
grep -q libsqlite3 <<<"$depends" && fail "Depends names libsqlite3: the extension must use its host's SQLite"

# 4. Install it.
echo "$user_existed" >"$marker"
dpkg -i "$deb" || fail "dpkg -i"

# 5. The SQLite extension from its installed path, in Debian's sqlite3 shell.
out=$(/usr/bin/sqlite3 :memory: '.load /usr/lib/sqlite3/anonkit' "select mask('call 0712345678')" 2>&1)
[[ $out == "call [PHONE]" ]] || fail "sqlite3 .load /usr/lib/sqlite3/anonkit: got '$out'"
echo "== sqlite3: $out"

# 6. The key tool.
/usr/bin/anonkit-keygen "$tmp/k.key" 2>/dev/null || fail "anonkit-keygen"
[[ $(stat -c %a "$tmp/k.key") == 600 && $(tr -d '\n' <"$tmp/k.key" | wc -c) == 64 ]] || fail "anonkit-keygen's key file"
out=$(ANONKIT_KEY_FILE="$tmp/k.key" /usr/bin/sqlite3 :memory: '.load /usr/lib/sqlite3/anonkit' "select pseudonym('x') like 'tok_%'" 2>&1)
[[ $out == 1 ]] || fail "pseudonym with the generated key: '$out'"

# 7. The worker and its units.
if [[ $with_worker -eq 1 ]]; then
  out=$(/usr/bin/anonkit-worker --version 2>&1) || fail "anonkit-worker --version: $out"
  [[ $out == "anonkit-worker $(dpkg-deb -f "$deb" Version)"* ]] || fail "anonkit-worker --version: '$out'"
  echo "== $out"
  grep -q '^ExecStart=/usr/bin/anonkit-worker ' /usr/lib/systemd/system/anonkit-worker.service \
    || fail "anonkit-worker.service does not start /usr/bin/anonkit-worker"
  getent passwd anonkit >/dev/null || fail "postinst did not create the anonkit user"
fi

# 8. The PostgreSQL extension, when the package has it, on a throw-away server of its version.
if [[ -n $pg_control ]]; then
  pg_major=$(cut -d/ -f5 <<<"$pg_control")
  out=$(cd /tmp && pg_virtualenv -t -v "$pg_major" psql -XAtq -v ON_ERROR_STOP=1 \
          -c 'CREATE EXTENSION anonkit' \
          -c "SELECT anonkit.mask('call 0712345678')" 2>&1) \
    || fail "CREATE EXTENSION anonkit on PostgreSQL $pg_major: $out"
  grep -qx 'call \[PHONE\]' <<<"$out" || fail "CREATE EXTENSION anonkit: '$out'"
  echo "== PostgreSQL $pg_major: CREATE EXTENSION anonkit; anonkit.mask('call 0712345678') = call [PHONE]"
else
  echo "== no PostgreSQL extension in this package (no anonkit_pg target in the build)"
fi

# 9. Remove it; nothing of it may stay.
dpkg -r anonkit || fail "dpkg -r"
left=()
while read -r f; do [[ -e $f || -L $f ]] && left+=("$f"); done <"$tmp/files"
[[ ${#left[@]} -eq 0 ]] || fail "left after dpkg -r: ${left[*]}"
dpkg --purge anonkit >/dev/null
echo "== removed; none of its $(wc -l <"$tmp/files") files left"
echo "package test: ok"
