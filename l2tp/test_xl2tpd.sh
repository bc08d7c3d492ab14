#!/usr/bin/env bash
# xl2tpd (Debian package, an independent L2TP implementation) as the LAC in one network
# namespace, against the LNS core behind test_udp_lns (plain UDP/1701) in another.
#  run 1: the real pppd. The control connection (with tunnel authentication both ways) and the
#         session come up on both sides; pppd cannot start (the host kernel has no PPP, /dev/ppp is
#         missing), so xl2tpd clears the call with a CDN, which is checked too.
#  run 2: test_fake_pppd bind-mounted over /usr/sbin/pppd in a private mount namespace: it speaks
#         async HDLC on xl2tpd's pty and runs the test PPP client, so LCP, MS-CHAPv2 and IPCP cross
#         xl2tpd's data path and the LNS reports PPP_UP; then xl2tpd is told to disconnect and the
#         LNS sees the call and the tunnel go down.
# tshark decodes run 1's capture as a third opinion (no malformed packets, all message types).
# usage: test_xl2tpd.sh test_udp_lns test_fake_pppd        (needs root; exit 77 = skipped)
set -euo pipefail
lns_bin=${1:?usage: test_xl2tpd.sh test_udp_lns test_fake_pppd}
fake_pppd=${2:?usage: test_xl2tpd.sh test_udp_lns test_fake_pppd}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v xl2tpd >/dev/null || { echo "SKIP: xl2tpd not installed"; exit 77; }

id=$$
A=l2tp-lac-$id
B=l2tp-lns-$id
va=l2a$id
vb=l2b$id
work=$(mktemp -d /tmp/l2tp-xl2tpd.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
	if [ "${keep:-0}" = 1 ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.log; do echo "--- $f"; cat "$f"; done
	exit 1
}
wait_for() { # file pattern tenths
	for _ in $(seq "$3"); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

ip netns add "$A"
ip netns add "$B"
ip link add "$va" type veth peer name "$vb"
ip link set "$va" netns "$A"
ip link set "$vb" netns "$B"
ip -n "$A" addr add 198.18.5.2/24 dev "$va"
ip -n "$B" addr add 198.18.5.1/24 dev "$vb"
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set "$va" up
ip -n "$B" link set "$vb" up

secret=tunnel-secret-$id
cat >"$work/l2tp-secrets" <<EOT
* * $secret
EOT
chmod 600 "$work/l2tp-secrets"
cat >"$work/options" <<EOT
noauth
name vpnuser
password vpnpass
nodefaultroute
noipdefault
EOT
cat >"$work/xl2tpd.conf" <<EOT
[global]
listen-addr = 198.18.5.2
port = 1701
auth file = $work/l2tp-secrets
debug avp = yes
debug state = yes
debug tunnel = yes

[lac rampart]
lns = 198.18.5.1
autodial = yes
redial = no
challenge = yes
length bit = yes
tunnel rws = 8
name = vpnuser
pppoptfile = $work/options
EOT

start_lns() { # log
	mkdir -p "$work/state"
	ip netns exec "$B" "$lns_bin" 198.18.5.1 "$work/state" "$secret" >"$work/$1" 2>&1 &
	pids+=($!)
	wait_for "$work/$1" READY 50 || fail "LNS did not start"
}
xl2tpd_cmd="xl2tpd -D -c $work/xl2tpd.conf -s $work/l2tp-secrets -p $work/xl2tpd.pid -C $work/l2tp-control"

# ---- run 1: stock pppd --------------------------------------------------------------------
if command -v tshark >/dev/null; then
	ip netns exec "$B" tshark -q -i "$vb" -w "$work/cap.pcapng" -f "udp port 1701" \
		>/dev/null 2>&1 &
	tshark_pid=$!
	pids+=($tshark_pid)
	sleep 1.5
fi
start_lns lns1.log
ip netns exec "$A" $xl2tpd_cmd >"$work/xl2tpd1.log" 2>&1 &
x1=$!
pids+=($x1)
wait_for "$work/lns1.log" SESSION_DOWN 150 || fail "run 1: no session went through"
grep -q "tunnel [0-9]* established with" "$work/lns1.log" || fail "run 1: tunnel not established"
grep -q "established by ICCN, starting PPP" "$work/lns1.log" || fail "run 1: no ICCN"
grep -q "SESSION_DOWN.*CDN from peer" "$work/lns1.log" || fail "run 1: no CDN from xl2tpd"
grep -q "Connection established to 198.18.5.1" "$work/xl2tpd1.log" || fail "xl2tpd: no connection"
grep -q "Call established with 198.18.5.1" "$work/xl2tpd1.log" || fail "xl2tpd: no call"
echo "run 1: $(grep -m1 -o 'Connection established.*' "$work/xl2tpd1.log")"
echo "run 1: $(grep -m1 -o 'Call established.*' "$work/xl2tpd1.log")"
echo "run 1: pppd: $(grep -m1 -o 'You need to create the /dev/ppp.*\|pppd exited.*' "$work/xl2tpd1.log" || true)"
kill "$x1" 2>/dev/null || true
if [ -n "${tshark_pid:-}" ]; then
	sleep 0.5
	kill "$tshark_pid" 2>/dev/null || true
	sleep 0.5
	types=$(tshark -r "$work/cap.pcapng" -Y l2tp -T fields -e l2tp.avp.message_type \
		2>/dev/null | tr '\n' ' ')
	echo "run 1: tshark message types: $types"
	mal=$(tshark -r "$work/cap.pcapng" -Y '_ws.malformed || _ws.expert.severity >= error' \
		2>/dev/null | wc -l)
	[ "$mal" = 0 ] || fail "tshark found $mal malformed packets"
	for t in 1 2 3 10 11 12 14; do
		echo " $types " | grep -q -E "(^| )$t( |,)" || fail "tshark: message type $t missing"
	done
	# PPP on the LNS waits for the LAC's PPP to speak first (or 1 s): pppd never started here,
	# and xl2tpd's CDN came sooner, so no Configure-Request may have been sent into the void
	if tshark -r "$work/cap.pcapng" -Y 'lcp && ip.src == 198.18.5.1' 2>/dev/null | grep -q "Configuration Request"; then
		fail "tshark: LNS sent LCP before the LAC's PPP existed"
	fi
fi
sleep 1

# ---- run 2: PPP through xl2tpd's data path -------------------------------------------------
rm -f "$work/options.up"
ip netns exec "$A" unshare -m --propagation private sh -c \
	"mount --bind '$fake_pppd' /usr/sbin/pppd && exec $xl2tpd_cmd" >"$work/xl2tpd2.log" 2>&1 &
x2=$!
pids+=($x2)
wait_for "$work/lns1.log" "EV PPP_UP.*account=vpnuser" 200 || fail "run 2: no PPP_UP"
for _ in $(seq 30); do [ -s "$work/options.up" ] && break; sleep 0.1; done
[ -s "$work/options.up" ] || fail "run 2: the PPP client did not finish IPCP"
echo "run 2: LNS: $(grep -m1 -o 'EV PPP_UP.*' "$work/lns1.log")"
echo "run 2: client behind xl2tpd: $(cat "$work/options.up")"
grep -q "up 198.19.77.10 dns 198.19.77.1" "$work/options.up" || fail "run 2: wrong address/DNS"
# xl2tpd's control pipe: "d rampart" hangs up the call (CDN) and the tunnel (StopCCN)
echo "d rampart" >"$work/l2tp-control"
wait_for "$work/lns1.log" "EV TUNNEL_DOWN" 100 || fail "run 2: no tunnel teardown"
grep -q "EV SESSION_DOWN.*account=vpnuser" "$work/lns1.log" || fail "run 2: no session teardown"
echo "run 2: $(grep -o 'EV TUNNEL_DOWN.*' "$work/lns1.log" | tail -1)"
echo "PASS"
