#!/usr/bin/env bash
# The account store under contention (issue 12):
#  1. CLIENTS clients log in while `rampartctl account add` (one transaction each) and
#     `account add-many` (100 accounts in one transaction) write to the store in a loop: every
#     login must succeed and rampartd must never log "database is locked".
#  2. A writer holds the store EXCLUSIVE for longer than rampartd would wait (its busy timeout):
#     a login in that time goes through without waiting (the store is in WAL mode).
#
#   tests/faults/store.sh [CLIENTS] [--bin DIR]       (default 100)
. "$(dirname "$0")/lib.sh"
fx_args "$@"
set -- "${FX_REST[@]}"
n=${1:-100}
command -v sqlite3 >/dev/null || { echo "SKIP: no sqlite3 (package sqlite3)"; exit 77; }
fx_setup
fx_conf
fx_accounts $((n + 1))
db=$FX_TMP/state/accounts.db
fx_start
# 1. writers in a loop while the clients log in
(
	i=0
	while :; do
		i=$((i + 1))
		"$FX_RAMPARTCTL" account -d "$FX_TMP/state" add "w$i" "pw-$i" >/dev/null 2>>"$FX_TMP/werr" ||
			echo "add w$i failed" >>"$FX_TMP/werr"
		[ $((i % 10)) -ne 0 ] ||
			"$FX_RAMPARTCTL" account -d "$FX_TMP/state" add-many "m${i}x%d" 1 100 pw >/dev/null 2>>"$FX_TMP/werr" ||
			echo "add-many $i failed" >>"$FX_TMP/werr"
		echo "$i" >"$FX_TMP/wcount"
	done
) &
writer=$!
FX_BG=$writer
set +e
fx_load "$FX_TMP/l1" --clients "$n" --rate 50 --hold 1 --timeout 60 --quiet
set -e
kill "$writer" 2>/dev/null || true
wait "$writer" 2>/dev/null || true
f1=$(grep '^load ' "$FX_TMP/l1" | tail -1)
echo "contention: $f1"
writes=$(cat "$FX_TMP/wcount" 2>/dev/null || echo 0)
locked=$(grep -c 'database is locked' "$FX_TMP/log" || true)
werr=$(grep -c . "$FX_TMP/werr" 2>/dev/null || true)
echo "faults-store clients=$n up=$(fx_get "$f1" up) failed=$(fx_get "$f1" failed) writer_rounds=$writes" \
	"writer_errors=${werr:-0} rampartd_locked_lines=$locked"
[ "$(fx_get "$f1" up)" = "$n" ] || fx_fail "logins failed while the store was written: $f1"
[ "$locked" = 0 ] || fx_fail "rampartd logged 'database is locked' $locked times"
[ "$writes" -gt 0 ] || fx_fail "the writer wrote nothing"

# 2. a writer holds the store EXCLUSIVE (the longest lock a writer takes) for 6 s, longer than
# rampartd's busy timeout: a login meanwhile goes through at once, since in WAL mode a reader
# never waits for a writer (with the rollback journal it was refused after 2 s)
[ "$(sqlite3 "$db" 'PRAGMA journal_mode')" = wal ] || fx_fail "the store is not in WAL mode"
python3 - "$db" <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
c.execute("INSERT INTO groups(name) VALUES('held')")
open(sys.argv[1] + ".held", "w").close()
time.sleep(6)
c.execute("ROLLBACK")
EOF
holder=$!
FX_BG="$FX_BG $holder"
for _ in $(seq 50); do [ -e "$db.held" ] && break; sleep 0.1; done
[ -e "$db.held" ] || fx_fail "could not lock the store"
set +e
fx_load "$FX_TMP/l2" --clients 1 --first $((n + 1)) --hold 1 --timeout 4 --quiet
set -e
f2=$(grep '^load ' "$FX_TMP/l2" | tail -1)
echo "locked: $f2"
kill -0 "$holder" 2>/dev/null || fx_fail "the writer let go before the login was done"
wait "$holder" || true
kill -0 "$FX_SRVPID" 2>/dev/null || fx_fail "rampartd died while the store was locked"
[ "$(fx_get "$f2" up)" = 1 ] || fx_fail "a login while a writer held the store failed: $f2"
[ "$(fx_get "$f2" ppp_up_p99_ms)" -lt 1000 ] || fx_fail "the login waited for the writer: $f2"
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fx_fail "integrity_check"
echo "PASS"
