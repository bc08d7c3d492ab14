#!/usr/bin/env bash
# Operating rampart (issue 18), over real sockets against the real rampartd in a namespace:
#  1. show stats counters (IKE negotiations by result, PPP authentications by result), text and JSON;
#  2. --json show sas|config, reload's applied / restart needed report, pending_restart;
#  3. disconnect account= | ip= | peer=, and its refusals;
#  4. account disable --now, right deny add --now end the live session;
#  5. account set ip= checks, and the next login getting that address;
#  8. (after 7) account limits: a second session over max_sessions refused, idle= ends a session;
#  6. [esp] natt_keepalive: 0xFF keepalives only where rampartd itself is behind a NAT (a DNAT in
#     front of it, as a port-forwarding router), and none with natt_keepalive = 0 after a reload.
# IKE clients: ikeprobe (the test IKEv1 initiator). L2TP clients: the stock xl2tpd as LAC over plain
# L2TP, its pppd replaced by the test PPP client (test_fake_pppd), user/password from its options.
#
# usage: operate.sh RAMPARTD RAMPARTCTL IKEPROBE FAKE_PPPD   (OPERATE_KEEP=1 keeps the work directory)
# Prints PASS/FAIL per check and exits 1 when one failed (77: skipped, not root).
set -uo pipefail
rampartd=$1 rampartctl=$2 probe=$3 fake_pppd=$4
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip nft tcpdump jq xl2tpd; do
	command -v $t >/dev/null || { echo "missing $t (tests/deps/test-*.txt)"; exit 1; }
done

. "$(dirname "$0")/lib.sh"
tag=rpop$$
c=${tag}c s=${tag}s
lib_tmp OPERATE_KEEP
umask 077 # the configuration holds the PSK: rampartd refuses a world-readable one
pid=
t0=$(date +%s.%N)
declare -A lac_pid

# client namespace (ikeprobe, xl2tpd) and server namespace (rampartd), one veth between them
ns_pair $tag 198.18.62.1 198.18.62.2
ip -n "$c" addr add 198.18.62.3/24 dev ${tag}a # the second LAC
srv=198.18.62.2
# the server's public address, forwarded to it by a DNAT in its own namespace (part 6)
pub=203.0.113.1
ip -n "$c" route add $pub/32 via $srv
ip netns exec "$s" nft -f - <<EON || { echo "nft DNAT setup failed"; exit 1; }
table ip $tag {
	chain pre { type nat hook prerouting priority dstnat; ip daddr $pub dnat to $srv; }
}
EON

PSK=operate-psk-0123456789ab
TUN_NAME=rpo0
KEEPALIVE=1
conf() {
	cat <<EOC
[server]
listen = $srv
tun_name = $TUN_NAME
tun_address = 198.18.63.1/24
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
raw_esp = no
[log]
ipsecdiagnostics = 6
ikelogging = yes
[ike]
psk = $PSK
dh_groups = 14 19 20
[esp]
natt_keepalive = $KEEPALIVE
[l2tp]
allow_plain = yes
$PPP_EXTRA
[pool]
range = 198.18.63.10-198.18.63.20
EOC
}
PPP_EXTRA=""

log_tail() { echo "--- rampartd log (last 30 lines)"; tail -30 "$tmp/log" | sed 's/^/    /'; echo "---"; }
ctl() { "$rampartctl" -s "$tmp/ctl.sock" "$@"; }
acct() { RAMPART_CONF=$tmp/rampart.conf "$rampartctl" -s "$tmp/ctl.sock" account -d "$tmp/state" "$@"; }
jctl() { ctl --json "$@"; }
probe() { ip netns exec "$c" "$probe" "$@"; }
mark() { wc -l <"$tmp/log"; }
since() { tail -n +$(($1 + 1)) "$tmp/log"; } # log lines after a mark
# wait_log MARK PATTERN TENTHS: the pattern appears in the log after MARK
wait_log() {
	for _ in $(seq "$3"); do since "$1" | grep -q -- "$2" && return 0; sleep 0.1; done
	return 1
}
# eq LABEL GOT WANT
eq() {
	if [ "$2" = "$3" ]; then pass "$1: $2"; else fail "$1: got '$2', want '$3'"; fi
}
# stat LINE-PREFIX KEY: a figure of `show stats` ("ike negotiations: ok 1 psk_mismatch 0 ...")
stat() { ctl show stats | grep "^$1:" | tr ' ' '\n' | grep -A1 -x "$2" | tail -1; }
reload() { # prints rampartctl reload's answer
	local m
	m=$(mark)
	ctl reload
	wait_log "$m" 'configuration reloaded' 50 || fail "reload not taken"
}

conf >"$tmp/rampart.conf"
mkdir -m 700 "$tmp/state"
echo vpnpass | acct add vpnuser - >/dev/null || fail "account add vpnuser"
echo otherpass | acct add otheruser - ip=198.18.63.40 >/dev/null || fail "account add otheruser"
: >"$tmp/log"
rampartd_start "$s" "$rampartd" "$tmp/rampart.conf" "$tmp/ctl.sock" "$tmp/log" ||
	{ echo "rampartd did not start"; log_tail; exit 1; }

# ---- xl2tpd LACs ---------------------------------------------------------------------------------
# lac_start NAME LOCAL-ADDR USER PASSWORD [EXTRA-OPTIONS]: xl2tpd on LOCAL-ADDR dials rampartd once
# (redial = no)
lac_start() {
	local n=$1 d=$tmp/lac-$1
	mkdir -p "$d"
	printf "noauth\nname %s\npassword %s\n${5:-}" "$3" "$4" >"$d/options"
	echo "* * x" >"$d/l2tp-secrets"
	cat >"$d/xl2tpd.conf" <<EOX
[global]
listen-addr = $2
port = 1701
auth file = $d/l2tp-secrets
[lac rampart]
lns = $srv
autodial = yes
redial = no
challenge = no
name = $3
pppoptfile = $d/options
EOX
	rm -f "$d/options.up"
	ip netns exec "$c" unshare -m --propagation private sh -c "mount --bind '$fake_pppd' /usr/sbin/pppd &&
		exec xl2tpd -D -c $d/xl2tpd.conf -s $d/l2tp-secrets -p $d/xl2tpd.pid -C $d/l2tp-control" \
		>>"$d/xl2tpd.log" 2>&1 &
	lac_pid[$n]=$!
}
lac_stop() {
	local p=${lac_pid[$1]:-}
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	lac_pid[$1]=
}
# session_up LABEL: start LAC "good" as vpnuser and wait for rampartd's "is up"; sets $sess_ip
sess_ip=
session_up() {
	local m
	lac_stop good
	m=$(mark)
	lac_start good 198.18.62.1 vpnuser vpnpass
	if wait_log "$m" 'vpnuser is up with' 150; then
		sess_ip=$(since "$m" | grep -o 'vpnuser is up with [0-9.]*' | head -1 | awk '{print $5}')
		return 0
	fi
	fail "$1: vpnuser did not log in"
	log_tail
	tail -15 "$tmp/lac-good/xl2tpd.log" | sed 's/^/    xl2tpd: /'
	return 1
}
ppp_sessions() { jctl show sas | jq '.ppp_sessions'; }
# wait_sessions N TENTHS
wait_sessions() {
	for _ in $(seq "$2"); do [ "$(ppp_sessions)" = "$1" ] && return 0; sleep 0.1; done
	return 1
}

# ==== 1. counters ==================================================================================
out=$(probe --server $srv --psk "wrong-$PSK" --timeout-ms 1500 2>&1)
[ $? -eq 1 ] && pass "1a wrong PSK refused: $out" || fail "1a wrong PSK not refused: $out"
out=$(probe --server $srv --psk "$PSK" --group 2 --timeout-ms 1500 2>&1)
[ $? -eq 1 ] && grep -q NO-PROPOSAL-CHOSEN <<<"$out" && pass "1b group 2 (not in dh_groups) refused: $out" ||
	fail "1b group 2 not refused with NO-PROPOSAL-CHOSEN: $out"
out=$(probe --server $srv --psk "$PSK" --quick 2>&1)
[ $? -eq 0 ] && pass "1c right PSK, Main Mode + Quick Mode: $out" || fail "1c right PSK: $out"
spi=$(grep -o 'SPI in 0x[0-9a-f]*' <<<"$out" | cut -c10-)
line=$(ctl show stats | grep '^ike negotiations:')
echo "    show stats: $line"
# ikeprobe does not retransmit: each refusal is one message, so every figure is exact
grep -q '^ike negotiations: ok 1 psk_mismatch 1 no_proposal 1 ' <<<"$line" &&
	pass "1d text: ok 1 psk_mismatch 1 no_proposal 1" || fail "1d text figures: $line"
eq "1e text: quick_mode_ok" "$(stat 'ike negotiations' quick_mode_ok)" 1
j=$(jctl show stats)
eq "1f json: .ike.negotiations ok/psk_mismatch/no_proposal/quick_mode_ok" \
	"$(jq -c '.ike.negotiations | [.ok, .psk_mismatch, .no_proposal, .quick_mode_ok]' <<<"$j")" "[1,1,1,1]"
eq "1g json: .ike.ipsec_sa_pairs" "$(jq '.ike.ipsec_sa_pairs' <<<"$j")" 1

# ==== 2. JSON show sas with the probe's SA pair ====================================================
j=$(jctl show sas)
eq "2a .ipsec_sa_pairs" "$(jq '.ipsec_sa_pairs' <<<"$j")" 1
eq "2b .sas[0].peer.address" "$(jq -r '.sas[0].peer.address' <<<"$j")" 198.18.62.1
eq "2c .sas[0].esp.spi_in is 8 hex digits, the probe's" \
	"$(jq -r '.sas[0].esp.spi_in | select(test("^[0-9a-f]{8}$"))' <<<"$j")" "$spi"
eq "2d .sas[0].esp.transform, encapsulation" "$(jq -r '.sas[0].esp | "\(.transform) \(.encapsulation)"' <<<"$j")" \
	"AES-CBC-256/HMAC-SHA1-96 none"
eq "2e .sas[0].esp lifetime: left <= lifetime, both > 0" \
	"$(jq '.sas[0].esp | .lifetime_s > 0 and .lifetime_left_s > 0 and .lifetime_left_s <= .lifetime_s' <<<"$j")" true
eq "2f .sas[0].ike.established (IKE SA deleted by the probe), .server_behind_nat" \
	"$(jq -c '[.sas[0].ike.established, .sas[0].server_behind_nat, .sas[0].session]' <<<"$j")" "[false,false,null]"

# PPP logins: a good one, then a second LAC with a wrong password
if session_up "2g"; then
	pass "2g xl2tpd + test PPP client logged in as vpnuser with $sess_ip"
	j=$(jctl show sas)
	eq "2h .plain_l2tp[0].account, .tunnel_ip" "$(jq -r '.plain_l2tp[0] | "\(.account) \(.tunnel_ip)"' <<<"$j")" \
		"vpnuser $sess_ip"
	eq "2i ppp authentications: ok (text)" "$(stat 'ppp authentications' ok)" 1
fi
m=$(mark)
lac_start bad 198.18.62.3 vpnuser wrongpass
for _ in $(seq 100); do [ "$(stat 'ppp authentications' bad_password)" = 1 ] && break; sleep 0.1; done
eq "2j a wrong password: ppp authentications bad_password (text)" "$(stat 'ppp authentications' bad_password)" 1
eq "2k json .ppp.authentications ok/bad_password" \
	"$(jctl show stats | jq -c '.ppp.authentications | [.ok, .bad_password]')" "[1,1]"
lac_stop bad

# show config: numbers stay numbers, the PSK never leaves
j=$(jctl show config)
eq "2l json config .ike.dh_groups" "$(jq -c '.ike.dh_groups' <<<"$j")" "[14,19,20]"
eq "2m json config .ike.psk" "$(jq -r '.ike.psk' <<<"$j")" "(set)"
grep -q "$PSK" <<<"$j" && fail "2n the PSK is in --json show config" || pass "2n the PSK is nowhere in --json show config"
eq "2o json config .pending_restart before the change" "$(jq -c '.pending_restart' <<<"$j")" "{}"
TUN_NAME=rpo1 KEEPALIVE=1
conf >"$tmp/rampart.conf"
out=$(reload 2>&1)
echo "$out" | sed 's/^/    reload: /'
grep -q '^restart needed: server.tun_name$' <<<"$out" && pass "2p reload: restart needed: server.tun_name" ||
	fail "2p reload answer: $out"
grep -q '^applied:' <<<"$out" && pass "2q reload: an applied: line" || fail "2q no applied: line: $out"
j=$(jctl show config)
eq "2r json config .pending_restart" "$(jq -c '.pending_restart' <<<"$j")" '{"server.tun_name":"rpo1"}'
eq "2s json config .server.tun_name is still the running one" "$(jq -r '.server.tun_name' <<<"$j")" rpo0

# ==== 3. disconnect ================================================================================
if [ "$(ppp_sessions)" = 1 ]; then
	m=$(mark)
	out=$(ctl disconnect account=vpnuser 2>&1)
	rc=$?
	[ $rc -eq 0 ] && grep -q '^disconnecting account vpnuser ip ' <<<"$out" && pass "3a disconnect account=vpnuser: $out" ||
		fail "3a disconnect account=vpnuser (exit $rc): $out"
	wait_sessions 0 50 && pass "3b show sas: 0 PPP sessions" || fail "3b sessions still up: $(ppp_sessions)"
	wait_log "$m" 'closed by administrator' 30 && pass "3c rampartd: $(since "$m" | grep -m1 -o 'session .*closed by administrator')" ||
		{ fail "3c no 'closed by administrator' in rampartd's log"; log_tail; }
	xl=$tmp/lac-good/xl2tpd.log
	for _ in $(seq 30); do grep -q 'Connection closed\|disconnected' "$xl" && break; sleep 0.1; done
	grep -q 'Connection closed\|disconnected' "$xl" && pass "3d xl2tpd: $(grep -m2 'Connection closed\|disconnected' "$xl" | tr '\n' ' ')" ||
		{ fail "3d xl2tpd did not log the close"; tail -15 "$xl"; }
	out=$(ctl disconnect account=vpnuser 2>&1)
	rc=$?
	[ $rc -eq 1 ] && grep -q 'no client matches account=vpnuser' <<<"$out" && pass "3e second disconnect: exit 1, $out" ||
		fail "3e second disconnect (exit $rc): $out"
fi
if session_up "3f"; then
	out=$(ctl disconnect ip="$sess_ip" 2>&1)
	rc=$?
	[ $rc -eq 0 ] && grep -q "^disconnecting account vpnuser ip $sess_ip " <<<"$out" && pass "3f disconnect ip=$sess_ip: $out" ||
		fail "3f disconnect ip=$sess_ip (exit $rc): $out"
	wait_sessions 0 50 && pass "3g show sas: 0 PPP sessions" || fail "3g sessions still up: $(ppp_sessions)"
fi
lac_stop good
out=$(ctl disconnect peer=198.18.62.1 2>&1)
rc=$?
[ $rc -eq 0 ] && grep -Eq '^disconnecting account - ip - peer 198.18.62.1:[0-9]+ .*\(no PPP session\)' <<<"$out" &&
	pass "3h disconnect peer=198.18.62.1: $out" || fail "3h disconnect peer= (exit $rc): $out"
for _ in $(seq 30); do [ "$(jctl show sas | jq .ipsec_sa_pairs)" = 0 ] && break; sleep 0.1; done
eq "3i show sas: the probe's SA pair is gone" "$(jctl show sas | jq .ipsec_sa_pairs)" 0
out=$(ctl disconnect bogus=1 2>&1)
rc=$?
[ $rc -eq 2 ] && grep -q 'disconnect account=NAME | ip=ADDR' <<<"$out" && pass "3j disconnect bogus=1: exit 2 (usage), usage printed" ||
	fail "3j disconnect bogus=1 (exit $rc): $out"
# the daemon refuses it too (a client not as careful as rampartctl)
out=$(python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"disconnect bogus=1\n"); print(s.makefile().read(), end="")' "$tmp/ctl.sock")
grep -q '^!usage: disconnect account=NAME' <<<"$out" && pass "3k rampartd answers disconnect bogus=1 with: $out" ||
	fail "3k rampartd's answer to disconnect bogus=1: $out"

# ==== 4. account disable --now, right deny add --now ===============================================
if session_up "4a"; then
	m=$(mark)
	out=$(acct disable vpnuser --now 2>&1)
	rc=$?
	[ $rc -eq 0 ] && grep -q '^disconnecting account vpnuser ' <<<"$out" && pass "4a account disable vpnuser --now: $out" ||
		fail "4a account disable --now (exit $rc): $out"
	wait_sessions 0 50 && pass "4b the live session ended" || fail "4b session still up"
	acct list | grep -q '^vpnuser  *disabled' && pass "4c account list: vpnuser disabled" || fail "4c $(acct list)"
fi
acct enable vpnuser && pass "4d account enable vpnuser" || fail "4d account enable"
if session_up "4e"; then
	pass "4e vpnuser logs in again after enable ($sess_ip)"
	# denying someone else ends nothing: --now asks for "disconnect unauthorized", which is not vpnuser
	out=$("$rampartctl" -s "$tmp/ctl.sock" right -d "$tmp/state" deny add account=otheruser --now 2>&1)
	rc=$?
	[ $rc -eq 0 ] && [ "$(ppp_sessions)" = 1 ] && pass "4e2 right deny add account=otheruser --now leaves vpnuser up: $out" ||
		fail "4e2 right deny add account=otheruser --now (exit $rc, sessions $(ppp_sessions)): $out"
	m=$(mark)
	out=$("$rampartctl" -s "$tmp/ctl.sock" right -d "$tmp/state" deny add account=vpnuser --now 2>&1)
	rc=$?
	[ $rc -eq 0 ] && grep -q '^disconnecting account vpnuser ' <<<"$out" && pass "4f right deny add account=vpnuser --now: $out" ||
		fail "4f right deny add --now (exit $rc): $out"
	wait_sessions 0 50 && pass "4g the live session ended" || fail "4g session still up"
	wait_log "$m" 'disconnecting account vpnuser' 10 && pass "4h rampartd: $(since "$m" | grep -m1 -o 'request: .*\|disconnecting account vpnuser.*' | tr '\n' ' ')" ||
		fail "4h rampartd's log does not show the disconnect"
fi
"$rampartctl" right -d "$tmp/state" deny del account=vpnuser && pass "4i right deny del" || fail "4i right deny del"

# ==== 5. account set ip= ===========================================================================
# try ip: expect refusal with the reason
try_ip() { # label ip reason
	local out rc
	out=$(acct set vpnuser ip="$2" 2>&1)
	rc=$?
	[ $rc -eq 1 ] && grep -q -- "$3" <<<"$out" && pass "$1: $out" || fail "$1 (exit $rc): $out"
}
try_ip "5a ip outside the tunnel subnet refused" 10.9.9.9 'is outside the tunnel subnet (198.18.63.1/24'
try_ip "5b ip held by another account refused" 198.18.63.40 'already the static address of account otheruser'
try_ip "5c the server's own tunnel address refused" 198.18.63.1 "is the server's own tunnel address"
acct list | grep -q '^vpnuser .* ip=-' && pass "5d no refused ip was stored" || fail "5d $(acct list | grep vpnuser)"
out=$(acct set vpnuser ip=198.18.63.50 2>&1)
[ $? -eq 0 ] && pass "5e ip=198.18.63.50 accepted: $out" || fail "5e ip=198.18.63.50: $out"
acct list | grep -q '^vpnuser .* ip=198.18.63.50 ' && pass "5f account list: $(acct list | grep '^vpnuser')" ||
	fail "5f account list: $(acct list)"
if session_up "5g"; then
	eq "5g the next login gets the static address" "$sess_ip" 198.18.63.50
	eq "5h json .plain_l2tp[0].tunnel_ip" "$(jctl show sas | jq -r '.plain_l2tp[0].tunnel_ip')" 198.18.63.50
	up=$(cat "$tmp/lac-good/options.up" 2>/dev/null)
	grep -q '^up 198.18.63.50 ' <<<"$up" && pass "5i the PPP client's IPCP: $up" || fail "5i PPP client: $up"
fi
lac_stop good

# ==== 6. NAT keepalives from a server behind a NAT =================================================
# Two NAT-T SA pairs: one through the DNAT (rampartd behind the NAT: keepalives are its to send),
# one from a client behind a source NAT (198.18.62.1 -> .3, as a home router: the client sends its
# own keepalives, rampartd none).
# keepalives N-SECONDS: 0xFF keepalives (UDP payload of one byte) from the server's 4500, captured on
# the client's interface: $ka_dnat of them through the DNAT, $ka_other from the server's own address
keepalives() {
	: >"$tmp/tcpdump.err"
	ip netns exec "$c" tcpdump -i ${tag}a -n -U --immediate-mode -w "$tmp/ka.pcap" \
		'udp src port 4500 and udp[4:2] = 9 and udp[8] = 0xff' 2>"$tmp/tcpdump.err" &
	local tp=$!
	# tcpdump takes a while to start: count from when it listens
	for _ in $(seq 50); do grep -q 'listening on' "$tmp/tcpdump.err" && break; sleep 0.1; done
	sleep "$1"
	kill -INT $tp
	wait $tp
	ka_dnat=$(tcpdump -r "$tmp/ka.pcap" -n 2>/dev/null | grep -c "$pub.4500 > " || true)
	ka_other=$(tcpdump -r "$tmp/ka.pcap" -n 2>/dev/null | grep -c "$srv.4500 > " || true)
}
out=$(probe --server $pub --psk "$PSK" --quick --natt 2>&1)
[ $? -eq 0 ] && grep -q 'floated to 4500' <<<"$out" && pass "6a through the DNAT, NAT-T: $out" || fail "6a $out"
ip netns exec "$c" nft -f - <<EON || fail "6 nft SNAT setup"
table ip $tag {
	chain post { type nat hook postrouting priority srcnat; ip daddr $srv udp dport { 500, 4500 } snat to 198.18.62.3; }
}
EON
out=$(probe --server $srv --psk "$PSK" --quick --natt 2>&1)
[ $? -eq 0 ] && grep -q 'floated to 4500' <<<"$out" && pass "6b from behind a source NAT, NAT-T: $out" || fail "6b $out"
grep 'NAT-D with' "$tmp/log" | tail -2 | sed 's/^/    /'
j=$(jctl show sas)
eq "6c json: through the DNAT [.nat, .server_behind_nat, .esp.encapsulation]" \
	"$(jq -c '.sas[] | select(.peer.address == "198.18.62.1") | [.nat, .server_behind_nat, .esp.encapsulation]' <<<"$j")" '[true,true,"udp"]'
eq "6d json: from behind the source NAT [.nat, .server_behind_nat, .esp.encapsulation]" \
	"$(jq -c '.sas[] | select(.peer.address == "198.18.62.3") | [.nat, .server_behind_nat, .esp.encapsulation]' <<<"$j")" '[true,false,"udp"]'
keepalives 3
n=$ka_dnat
[ "$n" -ge 2 ] && pass "6e natt_keepalive = 1: $n keepalives in 3 s to the client reaching us through the DNAT" ||
	fail "6e natt_keepalive = 1: $n keepalives in 3 s through the DNAT"
eq "6f natt_keepalive = 1: keepalives to the client behind its own NAT" "$ka_other" 0
KEEPALIVE=0
conf >"$tmp/rampart.conf"
out=$(reload 2>&1)
grep -q '^applied:.* esp.natt_keepalive' <<<"$out" && pass "6g reload: $(grep '^applied' <<<"$out")" || fail "6g reload: $out"
keepalives 3
eq "6h natt_keepalive = 0 after reload: keepalives in 3 s" "$ka_dnat $ka_other" "0 0"

# ==== 7. DHCPINFORM: split routes for Windows/macOS clients ========================================
# The test PPP client sends, after IPCP, the DHCPINFORM a Windows client sends; rampartd's DHCPACK
# comes back through xl2tpd and is read by tshark's DHCP dissector (an independent implementation).
PPP_EXTRA="[ppp]
routes = 198.18.99.0/24 198.19.0.0/16
domain = corp.example
dns = 198.18.0.53"
conf >"$tmp/rampart.conf"
out=$(reload 2>&1)
grep -q '^applied:.*ppp.routes' <<<"$out" && pass "7a reload: $(grep '^applied' <<<"$out")" || fail "7a reload: $out"
lac_stop good
ctl disconnect account=vpnuser >/dev/null 2>&1 # its static address is this session's to take
wait_sessions 0 50
rm -f "$tmp/lac-good/options.dhcp.pcap"
lac_start good 198.18.62.1 vpnuser vpnpass 'dhcpinform\n' # the test client's own option
for _ in $(seq 100); do [ -s "$tmp/lac-good/options.dhcp.pcap" ] && break; sleep 0.1; done
if [ -s "$tmp/lac-good/options.dhcp.pcap" ]; then
	v=$(tshark -r "$tmp/lac-good/options.dhcp.pcap" -V 2>/dev/null)
	miss=""
	for want in "DHCP: ACK (5)" "Option: (121) Classless Static Route" "198.18.99.0/24-198.18.63.1" \
		"198.19.0.0/16-198.18.63.1" "Option: (249) Private/Classless Static Route (Microsoft)" \
		"Domain Name: corp.example" "Domain Name Server: 198.18.0.53"; do
		grep -qF "$want" <<<"$v" || miss="$miss [$want]"
	done
	[ -z "$miss" ] && pass "7c DHCPINFORM answered through the tunnel; tshark reads routes 198.18.99.0/24 and 198.19.0.0/16 via 198.18.63.1 (options 121 and 249), domain, DNS" ||
		{ fail "7c DHCPACK lacks:$miss"; echo "$v" | grep -E 'Option|Route|Domain' | sed 's/^/    /'; }
	eq "7d show stats: informs answered" "$(ctl show stats | grep -o 'dhcp: [0-9]* informs answered' | awk '{print $2}')" 1
else
	fail "7c no DHCP answer reached the client"
	log_tail
fi
lac_stop good
# per group (issue 16): vpnuser's primary group staff and its membership eng set their own routes,
# which replace [ppp] routes (the union of both groups, 198.18.99.0/24 listed by both once), and
# staff's domain wins over eng's and the global one
grp() { "$rampartctl" group -d "$tmp/state" "$@"; }
acct set vpnuser group=staff >/dev/null && grp add eng && grp member add eng vpnuser &&
	grp set staff routes=10.20.0.0/16,198.18.99.0/24 domain=staff.example >/dev/null &&
	grp set eng routes=10.30.0.0/16,198.18.99.0/24 domain=eng.example >/dev/null ||
	fail "7e group set routes/domain"
ctl disconnect account=vpnuser >/dev/null 2>&1
wait_sessions 0 50
rm -f "$tmp/lac-good/options.dhcp.pcap"
lac_start good 198.18.62.1 vpnuser vpnpass 'dhcpinform\n'
for _ in $(seq 100); do [ -s "$tmp/lac-good/options.dhcp.pcap" ] && break; sleep 0.1; done
if [ -s "$tmp/lac-good/options.dhcp.pcap" ]; then
	v=$(tshark -r "$tmp/lac-good/options.dhcp.pcap" -V 2>/dev/null)
	got=$(grep -oE '[0-9.]+/[0-9]+-198\.18\.63\.1' <<<"$v" | sort -u | tr '\n' ' ')
	eq "7f DHCPACK routes for staff+eng (tshark, options 121 and 249)" "$got" \
		"10.20.0.0/16-198.18.63.1 10.30.0.0/16-198.18.63.1 198.18.99.0/24-198.18.63.1 "
	eq "7g route entries in options 121 and 249 together (tshark): 3 each, [ppp] routes replaced" \
		"$(grep -cE '^ *(Subnet/MaskWidth-Router|[0-9.]+/[0-9]+-198.18.63.1)' <<<"$v")" 6
	grep -qF "Domain Name: staff.example" <<<"$v" && pass "7h domain: the primary group's staff.example" ||
		fail "7h domain: $(grep 'Domain Name' <<<"$v")"
else
	fail "7f no DHCP answer with the group's routes"
	log_tail
fi
lac_stop good
acct set vpnuser group= >/dev/null
grp del eng

# ==== 8. per-account limits (issue 16): max_sessions, idle =========================================
# xl2tpd stopped does not end its session at once: end what is left before counting sessions
ctl disconnect account=vpnuser >/dev/null 2>&1
wait_sessions 0 50 || fail "8 sessions left before the limits: $(ppp_sessions)"
acct set vpnuser ip= max_sessions=1 >/dev/null && pass "8a account set vpnuser max_sessions=1" || fail "8a account set max_sessions"
if session_up "8b"; then
	m=$(mark)
	lac_start second 198.18.62.3 vpnuser vpnpass
	wait_log "$m" 'login "vpnuser" refused: the account has max_sessions sessions already' 150 &&
		pass "8b a second vpnuser session refused: $(since "$m" | grep -m1 -o 'login "vpnuser" refused.*')" ||
		{ fail "8b the second session was not refused"; log_tail; }
	eq "8c show stats: ppp authentications max_sessions" "$(stat 'ppp authentications' max_sessions)" 1
	eq "8d the first session stays" "$(ppp_sessions)" 1
	lac_stop second
fi
lac_stop good
ctl disconnect account=vpnuser >/dev/null 2>&1
wait_sessions 0 50
acct set vpnuser max_sessions= idle=2 >/dev/null || fail "8e account set idle=2"
if session_up "8e"; then
	m=$(mark)
	wait_sessions 0 60 && pass "8e the session ended after 2 s without traffic" || fail "8e idle session still up"
	wait_log "$m" 'idle timeout' 10 && pass "8f rampartd: $(since "$m" | grep -m1 'idle timeout' | sed 's/^ *//')" ||
		{ fail "8f no idle timeout in the log"; log_tail; }
fi
lac_stop good
acct set vpnuser idle= >/dev/null

# ==== the daemon survived, and stops cleanly =======================================================
if kill -0 "$pid" 2>/dev/null; then
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ $rc -eq 0 ] && pass "z rampartd exits 0 on SIGTERM" || { fail "z rampartd exit $rc on SIGTERM"; log_tail; }
else
	fail "z rampartd died"
	log_tail
fi
pid=
sanitizer_check "$tmp/log"
echo "operate: $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s"
[ $fails -eq 0 ] && echo "operate: all passed" || echo "operate: $fails failed"
[ $fails -eq 0 ]
