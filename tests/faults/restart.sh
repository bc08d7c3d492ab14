#!/usr/bin/env bash
# Restarts (issue 12) with CLIENTS clients up (default 100; the long run uses 1000):
#  1. SIGTERM: every client must be told (ISAKMP/ESP DELETE or L2TP StopCCN, seen by rampart-load)
#     within 2 s of the signal.
#  2. SIGKILL while the clients are up and `rampartctl account add` writes to the store: the store
#     passes PRAGMA integrity_check, holds every row it held (sqlite3 .dump compared, plus the
#     accounts added), and after a restart every client is up again (they find the server gone
#     by DPD, 3 R-U-THEREs unanswered, and reconnect).
#
#   tests/faults/restart.sh [CLIENTS] [--bin DIR]
. "$(dirname "$0")/lib.sh"
fx_args "$@"
set -- "${FX_REST[@]}"
n=${1:-100}
command -v sqlite3 >/dev/null || { echo "SKIP: no sqlite3 (package sqlite3)"; exit 77; }
fx_setup
fx_conf
fx_accounts "$n"
db=$FX_TMP/state/accounts.db
ctl_db() { "$FX_RAMPARTCTL" account -d "$FX_TMP/state" "$@"; }
# rights and groups too, so the dump has more than accounts in it
"$FX_RAMPARTCTL" group -d "$FX_TMP/state" add fx-group >/dev/null 2>&1 || true
"$FX_RAMPARTCTL" group -d "$FX_TMP/state" member add fx-group load1 >/dev/null 2>&1 || true
rate=$((n < 200 ? 100 : 200))

# 1. SIGTERM
fx_start
fx_load "$FX_TMP/l1" --clients "$n" --rate "$rate" --hold 600 --quiet &
FX_BG=$!
fx_wait_line "$FX_TMP/l1" '^holding ' $((n / 20 + 60)) || fx_fail "the clients did not finish connecting"
up1=$(sed -n 's/^holding up=\([0-9]*\).*/\1/p' "$FX_TMP/l1")
[ "$up1" = "$n" ] || fx_fail "only $up1 of $n came up"
sleep 1
t0=$(date +%s%3N)
kill -TERM "$FX_SRVPID"
for _ in $(seq 100); do kill -0 "$FX_SRVPID" 2>/dev/null || break; sleep 0.05; done
t_exit=$(($(date +%s%3N) - t0))
kill -0 "$FX_SRVPID" 2>/dev/null && fx_fail "rampartd still runs 5 s after SIGTERM"
wait "$FX_SRVPID" || true
FX_SRVPID=
sleep 2.5
fx_stop_loads
wait "$FX_BG" || true
f1=$(grep '^load ' "$FX_TMP/l1" | tail -1)
told=$(fx_get "$f1" told)
last=$(fx_get "$f1" told_last_ms)
echo "sigterm: $f1"
t_told=$((last - t0))
echo "faults-restart sigterm clients=$n told=$told last_told_ms=$t_told exit_ms=$t_exit"
[ "$told" = "$n" ] || fx_fail "SIGTERM: $told of $n clients were told"
[ "$t_told" -le 2000 ] || fx_fail "SIGTERM: the last client was told after $t_told ms"

# 2. SIGKILL under writes
fx_start
fx_load "$FX_TMP/l2" --clients "$n" --rate "$rate" --hold 600 --reconnect --dpd 2 --quiet &
FX_BG=$!
fx_wait_line "$FX_TMP/l2" '^holding ' $((n / 20 + 60)) || fx_fail "the clients did not finish connecting (2)"
(for i in $(seq 1 200); do ctl_db add "extra$i" "pw-extra-$i" >/dev/null 2>&1 || true; done) &
writer=$!
sleep 0.3
kill -KILL "$FX_SRVPID"
wait "$FX_SRVPID" 2>/dev/null || true
FX_SRVPID=
wait "$writer" || true
ic=$(sqlite3 "$db" 'PRAGMA integrity_check')
[ "$ic" = ok ] || fx_fail "integrity_check: $ic"
sqlite3 "$db" .dump >"$FX_TMP/dump0"
accts=$(sqlite3 "$db" 'SELECT count(*) FROM accounts' 2>/dev/null || echo '?')
t1=$(date +%s%3N)
fx_start
sqlite3 "$db" .dump >"$FX_TMP/dump1"
cmp -s "$FX_TMP/dump0" "$FX_TMP/dump1" || fx_fail "the store changed across the restart"
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fx_fail "integrity_check after the restart"
# every client back: they reconnect when DPD finds the old SA dead
back=0
for _ in $(seq $((n / 10 + 60))); do
	back=$(fx_json_stats 's["ppp"]["sessions_up"]' 2>/dev/null || echo 0)
	[ "$back" -lt "$n" ] || break
	sleep 1
done
t_back=$(($(date +%s%3N) - t1))
fx_stop_loads
wait "$FX_BG" || true
f2=$(grep '^load ' "$FX_TMP/l2" | tail -1)
echo "sigkill: $f2"
echo "faults-restart sigkill clients=$n accounts=$accts integrity=$ic back=$back all_back_ms=$t_back"
[ "$back" -ge "$n" ] || fx_fail "after SIGKILL and restart only $back of $n sessions came back"
[ "$(fx_get "$f2" up_now)" = "$n" ] || fx_fail "rampart-load has $(fx_get "$f2" up_now) of $n up at the end"
kill -0 "$FX_SRVPID" 2>/dev/null || fx_fail "rampartd died"
echo "PASS"
