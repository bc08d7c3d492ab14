#!/usr/bin/env bash
# NAT rebinding (issue 12, RFC 3948 §2.2): group A (CLIENTS clients from 198.18.1.10) and group B
# (OTHERS from 198.18.1.11) are up behind the NAT, passing echo traffic. Then
#  1. a spoofed ESP packet for one of A's SAs (its SPI, a high sequence number, a garbage ICV)
#     arrives from a port no client uses: nothing may move;
#  2. the NAT forgets A's mappings (conntrack -D) and maps A into ports 30000-39999 from now on:
#     each A session must follow its client to the new port after the next authenticated ESP
#     packet, keep its SA, and B's SAs must not change at all.
#
#   tests/faults/rebind.sh [CLIENTS [OTHERS]] [--bin DIR]      (defaults 100 and 20)
. "$(dirname "$0")/lib.sh"
fx_args "$@"
set -- "${FX_REST[@]}"
na=${1:-100} nb=${2:-20}
command -v conntrack >/dev/null || { echo "SKIP: no conntrack (package conntrack)"; exit 77; }
fx_setup 2
fx_conf
fx_accounts $((na + nb))
fx_start
hold=$((na / 10 + 30))
fx_load "$FX_TMP/a" --clients "$na" --source 198.18.1.10 --rate 50 --hold "$hold" --traffic 2 --quiet &
pa=$!
fx_load "$FX_TMP/b" --clients "$nb" --first $((na + 1)) --source 198.18.1.11 --rate 50 --hold "$hold" --traffic 2 --quiet &
pb=$!
FX_BG="$pa $pb"
fx_wait_line "$FX_TMP/a" '^holding ' 120 || fx_fail "group A did not finish connecting"
fx_wait_line "$FX_TMP/b" '^holding ' 60 || fx_fail "group B did not finish connecting"
sleep 1
# spi_in peer-port peer-id, one line per SA
sas() {
	fx_ctl --json show sas | python3 -c '
import json, sys
for x in json.load(sys.stdin)["sas"]:
    print(x["esp"]["spi_in"], x["peer"]["port"], x["peer_id"], "up" if x.get("session") else "-")'
}
sas | sort >"$FX_TMP/s0"
n0=$(wc -l <"$FX_TMP/s0")
[ "$n0" -eq $((na + nb)) ] || fx_fail "$n0 SAs before the rebinding, want $((na + nb))"
victim=$(awk '$3 == "198.18.1.10" {print $1; exit}' "$FX_TMP/s0")
vport=$(awk -v s="$victim" '$1 == s {print $2}' "$FX_TMP/s0")
icv0=$(fx_json_stats 'sum(v for k, v in s["esp"]["in"]["drops"].items() if k != "unknown SPI")')
# 1. the spoofed packet: from the NAT's own address (where a rebound client would come from)
ip netns exec "$FX_N" python3 - "$victim" <<'EOF'
import os, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("203.0.113.2", 40404))
for seq in (1000000, 1000001, 1000002):
    s.sendto(struct.pack(">II", int(sys.argv[1], 16), seq) + os.urandom(64), ("203.0.113.1", 4500))
EOF
sleep 1
sas | sort >"$FX_TMP/s1"
icv1=$(fx_json_stats 'sum(v for k, v in s["esp"]["in"]["drops"].items() if k != "unknown SPI")')
cmp -s "$FX_TMP/s0" "$FX_TMP/s1" || { diff "$FX_TMP/s0" "$FX_TMP/s1" >&2; fx_fail "a spoofed packet changed an SA"; }
[ "$icv1" -ge $((icv0 + 3)) ] || fx_fail "the spoofed packets were not counted as dropped ($icv0 -> $icv1)"
echo "spoof: 3 packets for SA $victim (peer port $vport) from 203.0.113.2:40404 dropped, no SA moved"
# 2. the rebinding
ip netns exec "$FX_N" nft insert rule ip rpfault post ip saddr 198.18.1.10 oifname "$FX_LT" \
	meta l4proto udp masquerade to :30000-39999
ip netns exec "$FX_N" conntrack -D -s 198.18.1.10 >/dev/null 2>&1 || true
t0=$(date +%s%3N)
# every A client sends an echo each 500 ms: wait until all have moved (at most 10 s)
for _ in $(seq 100); do
	sleep 0.1
	sas | sort >"$FX_TMP/s2"
	moved=$(awk '$3 == "198.18.1.10" && $2 >= 30000 && $2 < 40000' "$FX_TMP/s2" | wc -l)
	[ "$moved" -lt "$na" ] || break
done
t1=$(date +%s%3N)
sleep 2
sas | sort >"$FX_TMP/s2"
moved=$(awk '$3 == "198.18.1.10" && $2 >= 30000 && $2 < 40000' "$FX_TMP/s2" | wc -l)
kept=$(join "$FX_TMP/s0" "$FX_TMP/s2" | awk '$3 == "198.18.1.10"' | wc -l)
upa=$(awk '$3 == "198.18.1.10" && $4 == "up"' "$FX_TMP/s2" | wc -l)
# B: byte for byte the same lines
grep ' 198.18.1.11 ' "$FX_TMP/s0" >"$FX_TMP/b0" || true
grep ' 198.18.1.11 ' "$FX_TMP/s2" >"$FX_TMP/b2" || true
fx_stop_loads
wait $pa || true
wait $pb || true
fa=$(grep '^load ' "$FX_TMP/a" | tail -1)
fb=$(grep '^load ' "$FX_TMP/b" | tail -1)
echo "A: $fa"
echo "B: $fb"
echo "faults-rebind clients=$na others=$nb moved=$moved kept_sa=$kept sessions_up=$upa all_moved_ms=$((t1 - t0))" \
	"a_dropped=$(fx_get "$fa" dropped) b_dropped=$(fx_get "$fb" dropped) a_echo=$(fx_get "$fa" rx_pkts)/$(fx_get "$fa" tx_pkts)" \
	"b_echo=$(fx_get "$fb" rx_pkts)/$(fx_get "$fb" tx_pkts)"
kill -0 "$FX_SRVPID" 2>/dev/null || fx_fail "rampartd died"
[ "$moved" -eq "$na" ] || fx_fail "only $moved of $na SAs followed their client to its new port"
[ "$kept" -eq "$na" ] || fx_fail "only $kept of $na SAs are the ones from before (same inbound SPI)"
[ "$upa" -eq "$na" ] || fx_fail "only $upa of $na sessions are still up"
cmp -s "$FX_TMP/b0" "$FX_TMP/b2" || { diff "$FX_TMP/b0" "$FX_TMP/b2" >&2; fx_fail "the other group's SAs changed"; }
[ "$(fx_get "$fa" dropped)" = 0 ] && [ "$(fx_get "$fb" dropped)" = 0 ] || fx_fail "a client lost its session"
[ "$(fx_get "$fa" up_now)" = "$na" ] || fx_fail "group A: $(fx_get "$fa" up_now) up at the end"
echo "PASS"
