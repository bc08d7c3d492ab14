#!/usr/bin/env bash
# rampartctl account: add, list, passwd, disable, del against a real SQLite store.
set -euo pipefail
ctl=$1
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$ctl" account -d "$d" add alice pw-alice group=staff ip=198.18.5.50 || fail "add"
echo "pw-bob" | "$ctl" account -d "$d" add bob - || fail "add from stdin"
if "$ctl" account -d "$d" add alice other 2>"$d/err"; then fail "duplicate accepted"; fi
grep -q "already exists" "$d/err" || fail "duplicate message"
"$ctl" account -d "$d" disable bob
out=$("$ctl" account -d "$d" list)
grep -q '^alice .*enabled .*group=staff ip=198.18.5.50' <<<"$out" || fail "list: $out"
grep -q '^bob .*disabled' <<<"$out" || fail "list: $out"
grep -q 'pw-' "$d/accounts.db" && fail "cleartext password in the store"
[ "$(stat -c %a "$d/accounts.db")" = 600 ] || fail "store is not 0600"
"$ctl" account -d "$d" passwd alice new-pw || fail "passwd"
"$ctl" account -d "$d" del bob || fail "del"
if "$ctl" account -d "$d" del bob 2>/dev/null; then fail "del of a missing account"; fi
[ "$("$ctl" account -d "$d" list | wc -l)" = 1 ] || fail "count after del"
echo "account: OK"
