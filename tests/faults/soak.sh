#!/usr/bin/env bash
# Soak (issue 12): CLIENTS clients each connect and disconnect politely CYCLES times (rampart-load
# --cycles), then rampartd must hold nothing: IKE SAs, IPsec SA pairs, SAD entries (SPIs and
# reservations), L2TP tunnels and sessions, leased addresses all back to their values before the
# run; rampartd exits cleanly on SIGTERM, and with an ASan build (--bin of a RAMPART_SANITIZE build)
# LeakSanitizer reports nothing. RSS is sampled after the first 1,000 cycles and at the end; with
# --rss-check (meant for a Release build and >= 2,000 cycles) the end may exceed it by 5 % at most.
#
#   tests/faults/soak.sh [CLIENTS [CYCLES]] [--rss-check] [--bin DIR]     (defaults 20 and 10)
. "$(dirname "$0")/lib.sh"
fx_args "$@"
set -- "${FX_REST[@]}"
rss_check=
args=()
for a in "$@"; do
	case $a in
	--rss-check) rss_check=1 ;;
	*) args+=("$a") ;;
	esac
done
set -- "${args[@]+"${args[@]}"}"
nc=${1:-20} cycles=${2:-10}
fx_setup
fx_conf
fx_accounts "$nc"
fx_start
# what rampartd holds: ike_sas ipsec_sa_pairs sad_entries tunnels sessions addresses
held() {
	fx_json_stats 's["ike"]["ike_sas"], s["ike"]["ipsec_sa_pairs"], s["esp"]["sad_entries"], s["l2tp"]["tunnels"], s["l2tp"]["sessions"], s["ppp"]["addresses_leased"]'
}
h0=$(held)
rss0=$(fx_rss)
out=$FX_TMP/out
(
	# RSS once the first 1,000 cycles are done (or never, in a shorter run)
	while sleep 0.2; do
		c=$(tail -1 "$out" 2>/dev/null | sed -n 's/.* cycles=\([0-9]*\).*/\1/p')
		if [ "${c:-0}" -ge 1000 ]; then
			fx_rss >"$FX_TMP/rss1000"
			break
		fi
	done
) &
watcher=$!
FX_BG=$watcher
t0=$(date +%s)
set +e
# the last round stays up for the hold; everything before was connect + polite disconnect
fx_load "$out" --clients "$nc" --cycles "$cycles" --rate 20 --hold 1 --timeout 60
set -e
t1=$(date +%s)
kill "$watcher" 2>/dev/null || true
final=$(grep '^load ' "$out" | tail -1)
[ -n "$final" ] || fx_fail "rampart-load printed no final line"
echo "$final"
# the final round's goodbyes: give them a moment to be processed
h1=
for _ in $(seq 50); do
	h1=$(held)
	[ "$h1" != "$h0" ] || break
	sleep 0.2
done
rss_end=$(fx_rss)
rss1000=$(cat "$FX_TMP/rss1000" 2>/dev/null || echo -)
done_cycles=$(($(fx_get "$final" cycles) + $(fx_get "$final" up_now)))
kill -TERM "$FX_SRVPID"
rc=0
wait "$FX_SRVPID" || rc=$?
FX_SRVPID=
echo "faults-soak clients=$nc cycles=$done_cycles seconds=$((t1 - t0)) rss_start_kib=$rss0 rss_after_1000_kib=$rss1000" \
	"rss_end_kib=$rss_end held_before=\"$h0\" held_after=\"$h1\" exit=$rc"
[ "$(fx_get "$final" up)" = $((nc * cycles)) ] || fx_fail "$(fx_get "$final" up) of $((nc * cycles)) connects came up: $final"
[ "$(fx_get "$final" dropped)" = 0 ] || fx_fail "sessions were dropped: $final"
[ "$h1" = "$h0" ] || fx_fail "rampartd still holds \"$h1\" (ike_sas pairs sad tunnels sessions addresses), before \"$h0\""
[ "$rc" = 0 ] || fx_fail "rampartd exited with $rc after SIGTERM"
! grep -E 'Sanitizer|leaked' "$FX_TMP/log" || fx_fail "the sanitizer reported"
if [ -n "$rss_check" ] && [ "$rss1000" != - ]; then
	[ "$rss_end" -le $((rss1000 * 105 / 100)) ] || fx_fail "RSS grew from $rss1000 to $rss_end KiB after the first 1,000 cycles"
fi
echo "PASS"
