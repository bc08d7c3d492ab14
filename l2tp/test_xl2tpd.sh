#!/usr/bin/env bash
# xl2tpd (Debian package, an independent L2TP implementation) as the LAC in one network
# namespace, against the LNS core behind test_udp_lns (plain UDP/1701) in another. Checks that
# the control connection (with tunnel authentication and hidden AVPs) and a session come up on
# both sides. xl2tpd's pppd child cannot start here (the host kernel has no PPP, /dev/ppp is
# missing), so xl2tpd then clears the call with a CDN: that CDN is checked too. tshark decodes
# the whole exchange from a capture as a third opinion (no malformed packets).
# usage: test_xl2tpd.sh PATH/TO/test_udp_lns        (needs root; exit 77 = skipped)
set -euo pipefail
lns_bin=${1:?usage: test_xl2tpd.sh test_udp_lns}
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
if command -v tshark >/dev/null; then
	ip netns exec "$B" tshark -q -i "$vb" -w "$work/cap.pcapng" -f "udp port 1701" \
		>/dev/null 2>&1 &
	pids+=($!)
	sleep 1.5
fi
mkdir -p "$work/state"
ip netns exec "$B" "$lns_bin" 198.18.5.1 "$work/state" "$secret" >"$work/lns.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q READY "$work/lns.log" && break; sleep 0.1; done
grep -q READY "$work/lns.log" || { cat "$work/lns.log"; exit 1; }

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
hidden bit = yes
length bit = yes
tunnel rws = 8
name = vpnuser
pppoptfile = $work/options
EOT
ip netns exec "$A" xl2tpd -D -c "$work/xl2tpd.conf" -s "$work/l2tp-secrets" \
	-p "$work/xl2tpd.pid" -C "$work/l2tp-control" >"$work/xl2tpd.log" 2>&1 &
pids+=($!)

ok=0
for _ in $(seq 150); do
	if grep -q "SESSION_DOWN" "$work/lns.log"; then ok=1; break; fi
	sleep 0.1
done
sleep 0.5
fail() {
	echo "FAIL: $*"
	echo "--- LNS"; cat "$work/lns.log"
	echo "--- xl2tpd"; cat "$work/xl2tpd.log"
	exit 1
}
[ "$ok" = 1 ] || fail "no session went through"
# our side: tunnel authenticated and established, session established by ICCN, PPP started
grep -q "tunnel [0-9]* established with" "$work/lns.log" || fail "tunnel not established"
grep -q "established by ICCN, starting PPP" "$work/lns.log" || fail "no ICCN"
grep -q "SESSION_DOWN.*CDN from peer" "$work/lns.log" || fail "no CDN from xl2tpd"
# xl2tpd's side: it accepted our SCCRP (and our answer to its challenge) and our ICRP
grep -q "Connection established to 198.18.5.1" "$work/xl2tpd.log" || fail "xl2tpd: no connection"
grep -q "Call established with 198.18.5.1" "$work/xl2tpd.log" || fail "xl2tpd: no call"
echo "xl2tpd: $(grep -m1 'Connection established' "$work/xl2tpd.log")"
echo "xl2tpd: $(grep -m1 'Call established' "$work/xl2tpd.log")"
# why the call ended: pppd could not start without kernel PPP support
grep -m1 -i -E "ppp|child" "$work/xl2tpd.log" | sed 's/^/xl2tpd: /' || true

if [ -s "$work/cap.pcapng" ] || sleep 1; then :; fi
if command -v tshark >/dev/null && [ -s "$work/cap.pcapng" ]; then
	kill "${pids[0]}" 2>/dev/null || true
	sleep 0.5
	types=$(tshark -r "$work/cap.pcapng" -o "l2tp.shared_secret:$secret" -Y l2tp \
		-T fields -e l2tp.avp.message_type 2>/dev/null | tr '\n' ' ')
	echo "tshark message types: $types"
	mal=$(tshark -r "$work/cap.pcapng" -Y '_ws.malformed || _ws.expert.severity >= error' \
		2>/dev/null | wc -l)
	[ "$mal" = 0 ] || fail "tshark found $mal malformed packets"
	for t in 1 2 3 10 11 12 14; do
		echo " $types " | grep -q -E "(^| )$t( |,)" || fail "tshark: message type $t missing"
	done
	# our LCP Configure-Request went out in a data message before the CDN
	tshark -r "$work/cap.pcapng" -Y 'lcp && ip.src == 198.18.5.1' 2>/dev/null |
		grep -q "Configuration Request" || fail "tshark: no LCP Configure-Request from the LNS"
fi
echo "PASS"
