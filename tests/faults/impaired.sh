#!/usr/bin/env bash
# Impaired links (issue 12): the NAT namespace drops LOSS% of the forwarded packets in each
# direction (nftables numgen random; the host has no netem) and, with --dup, duplicates DUP% of
# them (nft dup in a postrouting chain after the masquerade, so the copy carries the translated
# addresses). Reordering is not done: nftables has no delay or queue-and-release statement, and
# without netem (sch_netem is not on this host) or an NFQUEUE program nothing here can hold a
# packet back.
#
#   tests/faults/impaired.sh CLIENTS LOSS [--dup PCT] [--rate R] [--hold S] [--timeout S]
#                            [--reconnect] [--drop-qm3] [--bin DIR]
#
# --reconnect: a client whose IKE retransmissions gave up tries again (as users and OSes do);
# --drop-qm3: drop each client's QM3 (for one client: the session must outlive the 30 s in which
# rampartd waits for it, since the ESP that came over the pair proved what QM3 would have).
#
# Passes when every client came up (IKE, L2TP control and PPP retransmissions recovered), none
# was dropped after it came up, rampartd holds exactly as many sessions as the clients think
# they have at the end of the hold, and echo replies came back through the tunnels. Prints
#   faults-impaired clients=N loss_pct=L dup_pct=D up=N dropped=0 server_sessions=N
#                   ppp_up_p50_ms=.. ppp_up_p99_ms=.. echo_tx=.. echo_rx=.. l2tp_retransmissions=..
. "$(dirname "$0")/lib.sh"
fx_args "$@"
set -- "${FX_REST[@]}"
clients=${1:?usage: impaired.sh CLIENTS LOSS [options]}
loss=${2:?usage: impaired.sh CLIENTS LOSS [options]}
shift 2
dup=0 rate=50 hold=10 timeout=120 reconnect= qm3=
while [ $# -gt 0 ]; do
	case $1 in
	--dup) dup=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--hold) hold=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--reconnect) reconnect=--reconnect; shift ;;
	--drop-qm3) qm3=1; shift ;;
	*) echo "impaired.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
fx_setup
fx_conf
fx_accounts "$clients"
fx_start
if [ "$loss" -gt 0 ]; then
	ip netns exec "$FX_N" nft add rule ip rpfault impair numgen random mod 100 '<' "$loss" counter drop
fi
if [ "$dup" -gt 0 ]; then
	ip netns exec "$FX_N" nft add rule ip rpfault dupl oifname "$FX_LT" numgen random mod 100 '<' "$dup" \
		counter dup to 203.0.113.1 device "$FX_LT"
	ip netns exec "$FX_N" nft add rule ip rpfault dupl oifname "$FX_LN" numgen random mod 100 '<' "$dup" \
		counter dup to ip daddr device "$FX_LN"
fi
if [ -n "$qm3" ]; then
	# the third IKE message a client sends behind the non-ESP marker is QM3 (after MM5, QM1):
	# lost, while the SA pair it confirms already carries the L2TP tunnel (meant for one client)
	ip netns exec "$FX_N" nft add rule ip rpfault impair iifname "$FX_LN" udp dport 4500 @th,64,32 0 \
		numgen inc mod 3 == 2 counter drop
fi
out=$FX_TMP/out
(
	fx_wait_line "$out" '^holding ' $((timeout + clients / rate + 30)) || exit 0
	# the sessions rampartd holds, sampled through the hold; the last sample is compared
	end=$((SECONDS + hold - 3))
	while [ $SECONDS -lt $end ]; do
		sleep 0.5
		fx_json_stats 's["ppp"]["sessions_up"]' >>"$FX_TMP/srv_samples" 2>/dev/null || true
	done
	fx_ctl --json show sas >"$FX_TMP/sas.json" 2>/dev/null || true
	fx_json_stats 's["ppp"]["sessions_down_total"]' >"$FX_TMP/srv_down" 2>/dev/null || true
	# a PPP negotiation still finishing (a lost Configure-Ack is resent after 3 s) may keep one
	# session from counting for a moment: the most the hold saw is compared
	sort -n "$FX_TMP/srv_samples" | tail -1 >"$FX_TMP/srv_sessions"
) &
watcher=$!
FX_BG="$FX_BG $watcher"
set +e
fx_load "$out" --clients "$clients" --rate "$rate" --hold "$hold" --timeout "$timeout" --traffic 2 --quiet $reconnect
set -e
wait "$watcher" || true
kill -0 "$FX_SRVPID" 2>/dev/null || fx_fail "rampartd died"
final=$(grep '^load ' "$out" | tail -1)
[ -n "$final" ] || fx_fail "rampart-load printed no final line"
echo "$final"
grep -E '^holding' "$out" || true
echo "rampartd sessions during the hold: $(tr '\n' ' ' <"$FX_TMP/srv_samples" 2>/dev/null)"
ip netns exec "$FX_N" nft list table ip rpfault | grep counter | sed 's/^[[:space:]]*/nft: /'
srv=$(cat "$FX_TMP/srv_sessions" 2>/dev/null || echo '?')
rex=$(fx_json_stats 's["l2tp"]["retransmissions"], "l2tp_duplicates=%d" % s["l2tp"]["duplicates"], "esp_drops=%s" % ",".join("%s:%d" % kv for kv in s["esp"]["in"]["drops"].items() if kv[1])' 2>/dev/null || echo "?")
up=$(fx_get "$final" up)
echo "faults-impaired clients=$clients loss_pct=$loss dup_pct=$dup up=$up dropped=$(fx_get "$final" dropped)" \
	"server_sessions_down=$(cat "$FX_TMP/srv_down" 2>/dev/null || echo '?')" \
	"up_now=$(fx_get "$final" up_now) server_sessions=$srv ppp_up_p50_ms=$(fx_get "$final" ppp_up_p50_ms)" \
	"ppp_up_p99_ms=$(fx_get "$final" ppp_up_p99_ms) echo_tx=$(fx_get "$final" tx_pkts)" \
	"echo_rx=$(fx_get "$final" rx_pkts) l2tp_retransmissions=$rex"
[ -z "${FX_KEEP:-}" ] || cp "$FX_TMP/sas.json" "$out" "$FX_TMP/log" "$FX_KEEP"/
# with --reconnect, up counts every time a client came up: the ones up at the end are what counts
[ "$(fx_get "$final" up_now)" = "$clients" ] || fx_fail "only $(fx_get "$final" up_now) of $clients clients are up: $final"
[ "$(fx_get "$final" dropped)" = 0 ] || fx_fail "sessions were dropped after they came up: $final"
[ "$srv" = "$(fx_get "$final" up_now)" ] || fx_fail "rampartd holds $srv sessions, the clients $(fx_get "$final" up_now)"
# sessions rampartd ended during the run: each must be one its client lost too (dropped, or a
# connect it gave up while waiting for PPP)
down=$(cat "$FX_TMP/srv_down" 2>/dev/null || echo '?')
gaveup=$(sed -n 's/.*timeout_waiting_for_PPP:\([0-9]*\).*/\1/p' <<<"$final")
[ "$down" != '?' ] && [ "$down" -le $(($(fx_get "$final" dropped) + ${gaveup:-0})) ] ||
	fx_fail "rampartd ended $down sessions during the run, the clients lost $(fx_get "$final" dropped)"
[ "$(fx_get "$final" rx_pkts)" -gt 0 ] || fx_fail "no echo reply came back"
echo "PASS"
