#!/usr/bin/env bash
# End-to-end: the stock Linux L2TP/IPsec client (strongSwan + xl2tpd + pppd on a Debian kernel, in
# QEMU) against rampartd, through an nftables masquerade NAT, in namespaces this script makes.
#   tests/interop/scenarios.sh RAMPARTD RAMPARTCTL [SCENARIO...]
# Scenarios (all by default): natt decrypt behind same_account nonat vanish initial_contact disconnect shutdown auth bulk cert runsh ipv6 flood
# (flood: INTEROP_FLOOD_PPS packets/s, 10,000 by default, from tests/flood's rampart-flood)
# Each prints "interop <name>: PASS|FAIL (<wall>s) <details>"; the exit code is non-zero if any failed.
set -uo pipefail
rampartd=$(readlink -f "$1") ctl=$(readlink -f "$2")
shift 2
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
H=$here/harness/run-client.sh
# RAMPART_INTEROP_NS=name runs beside another run of this script (its own namespaces and lock)
px=${RAMPART_INTEROP_NS:-rpx}
export NS_CLIENT=$px-client NS_NAT=$px-nat NS_SERVER=$px-server CACHE=/var/cache/rampart-interop
export STATE_DIR=/run/rampart-interop${RAMPART_INTEROP_NS:+-$px}
NS_BEHIND=$px-behind
work=$(mktemp -d /tmp/rampart-interop.XXXX)
state=$work/state
srv_pid=
failed=0

log() { echo "[interop] $*" >&2; }
stop_rampartd() {
	[ -n "$srv_pid" ] || return 0
	kill -TERM "$srv_pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	srv_pid=
}
# The client VMs of this harness (its pid files; the image path names them too): SIGKILL, as
# a client that loses power or network would vanish.
kill_vms() {
	local f
	for f in "$STATE_DIR"/cli*.pid; do [ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
	pkill -9 -f "qemu-system-x86_64 .*$work/" 2>/dev/null
}
cleanup() {
	kill_vms
	stop_rampartd
	for ns in "$NS_BEHIND" "$px-flood"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	"$H" net-down >/dev/null 2>&1
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 3' INT TERM

log "setting up the client VM image (cached in $CACHE)"
"$H" setup >"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; echo "interop setup: FAIL"; exit 1; }
"$H" net-up >/dev/null 2>&1 || { echo "interop net-up: FAIL"; exit 1; }
# beside_server NS DEV PREFIX: a namespace NS with eth0 at PREFIX.2/24, joined to the server's
# namespace (DEV there, PREFIX.1/24)
beside_server() {
	ip netns add "$1"
	ip link add "$2" netns "$NS_SERVER" type veth peer name eth0 netns "$1"
	ip -n "$NS_SERVER" addr add "$3.1/24" dev "$2"
	ip -n "$NS_SERVER" link set "$2" up
	ip -n "$1" addr add "$3.2/24" dev eth0
	ip -n "$1" link set eth0 up
	ip -n "$1" link set lo up
}
# a host behind the server: 198.18.99.2, reached through rampart's TUN and the server's forwarding
beside_server "$NS_BEHIND" behind 198.18.99
ip -n "$NS_BEHIND" route add 198.18.77.0/24 via 198.18.99.1
ip netns exec "$NS_SERVER" sysctl -qw net.ipv4.ip_forward=1

cat >"$work/rampart.conf" <<EOC
[server]
listen = 203.0.113.1
tun_name = rpx0
tun_address = 198.18.77.1/24
control_socket = $work/ctl.sock
state_dir = $state
[log]
ipsecdiagnostics = 4
keylog = $work/keys
[ike]
psk = harness-psk
dpd_delay = 5
dpd_timeout = 20
[l2tp]
hello_interval = 10
[ppp]
auth = mschapv2 chap pap
lcp_echo_interval = 5
lcp_echo_failure = 3
[pool]
range = 198.18.77.10-198.18.77.60
EOC
chmod 600 "$work/rampart.conf" # it holds the PSK: rampartd refuses a world-readable one
mkdir -p "$state"
"$ctl" account -d "$state" add vpnuser vpnpass cleartext >/dev/null
for k in 2 3 4; do "$ctl" account -d "$state" add "vpnuser$k" "vpnpass$k" >/dev/null; done

start_rampartd() {
	ip netns exec "$NS_SERVER" "$rampartd" --foreground --config "$work/rampart.conf" 2>>"$work/rampartd.log" &
	srv_pid=$!
	for _ in $(seq 50); do [ -S "$work/ctl.sock" ] && return 0; sleep 0.1; done
	log "rampartd did not start"; tail "$work/rampartd.log" >&2; return 1
}
sas() { "$ctl" -s "$work/ctl.sock" show sas; }

# run NAME [harness options...]: one harness run; its RESULT/SUMMARY lines go to $work/NAME.log
run() {
	local name=$1; shift
	local t0=$SECONDS rc
	for _ in $(seq 30); do
		"$H" run --out "$work/out-$name" --psk "${R_PSK:-harness-psk}" "$@" >"$work/$name.log" 2>&1
		rc=$?
		# a previous run's harness may still be tearing down its taps: wait for its lock
		grep -q 'another harness run is active' "$work/$name.log" || break
		sleep 1
	done
	R_WALL=$((SECONDS - t0))
	R_SUMMARY=$(grep '^SUMMARY' "$work/$name.log")
	return $rc
}
report() { # name verdict details
	echo "interop $1: $2 (${R_WALL}s) $3"
	if [ "$2" != PASS ]; then
		failed=1
		grep -E 'phase .* FAIL|^RESULT' "$work/$1.log" >&2
		tail -20 "$work/rampartd.log" >&2
	fi
}
phases() { grep -Eo 'phase [a-z0-9_]+ PASS [0-9.]+s' "$work/$1.log" | awk '{printf "%s=%s ", $2, $4}' | head -c 400; }

scen_natt() { # 1. PSK + MS-CHAPv2 behind NAT: address, ping to the server, then to a host behind it
	if run natt && run natt-behind --ping-target 198.18.99.2; then
		local ip tx; ip=$(grep -o 'ip=[0-9.]*' "$work/natt.log" | head -1)
		tx=$("$ctl" -s "$work/ctl.sock" show stats | grep -o 'udp sent: [0-9]* datagrams in [0-9]* sendmmsg batches')
		if [ -z "$tx" ]; then report natt FAIL "no sendmmsg figures in show stats"; return; fi
		report natt PASS "$ip, pinged 198.18.77.1 and 198.18.99.2; $tx; $(phases natt)"
	else report natt FAIL "$R_SUMMARY"; fi
}
scen_behind() { # 2. two and three clients behind one NAT, own accounts
	local n
	for n in 2 3; do
		if run "clients$n" --clients "$n" && grep -q "ok=$n" <<<"$R_SUMMARY"; then
			local ips; ips=$(grep -o '^RESULT client=.*ip=[0-9.]*' "$work/clients$n.log" | grep -o 'ip=[0-9.]*' | sort -u | wc -l)
			[ "$ips" = "$n" ] && report "clients$n" PASS "$n of $n up at once with $ips addresses" ||
				report "clients$n" FAIL "addresses not distinct"
		else report "clients$n" FAIL "$R_SUMMARY"; fi
	done
}
scen_same_account() { # 2b. one account used by two clients at once
	if run same-account --clients 2 --user2 vpnuser --pass2 vpnpass && grep -q 'ok=2' <<<"$R_SUMMARY"; then
		report same-account PASS "vpnuser twice: 2 of 2 up"
	else report same-account FAIL "$R_SUMMARY"; fi
}
scen_nonat() { # 3. a client on the server's segment: IKE on 500, plain ESP (IP protocol 50)
	if run nonat --nat-mode none && grep -q 'encap=none' "$work/nonat.log"; then
		report nonat PASS "encap=none; $(phases nonat)"
	else report nonat FAIL "$R_SUMMARY"; fi
}
scen_vanish() { # 4. a client that disappears: rampart frees everything, the client comes back
	run vanish --keep-up 600 --timeout 900 &
	local hp=$! t0=$SECONDS
	for _ in $(seq 240); do grep -q 'ppp=PASS' "$work/out-vanish/client1/result.txt" 2>/dev/null && break; sleep 0.5; done
	if ! sas | grep -q '1 IPsec SA pairs, 1 PPP sessions up, 1 addresses leased'; then
		R_WALL=$((SECONDS - t0)); report vanish FAIL "client never up: $(sas | head -1)"; kill "$hp"; wait "$hp"; return
	fi
	kill_vms
	wait "$hp" 2>/dev/null
	local t1=$SECONDS freed=no
	for _ in $(seq 90); do
		if sas | grep -q '^0 IPsec SA pairs, 0 PPP sessions up, 0 addresses leased'; then freed=yes; break; fi
		sleep 1
	done
	local took=$((SECONDS - t1))
	if [ $freed = yes ] && run vanish-again; then
		R_WALL=$((SECONDS - t0)); report vanish PASS "SAs, tunnel, session and address freed ${took}s after the VM died; reconnected"
	else
		R_WALL=$((SECONDS - t0)); report vanish FAIL "freed=$freed after ${took}s: $(sas | head -1)"
	fi
}
scen_initial_contact() { # a client that crashed comes back before any timeout: INITIAL-CONTACT replaces it
	local t0=$SECONDS
	# DPD (5+20 s) and LCP echoes would end the old client before a new VM has booted on a busy
	# machine: a reload stretches them for this scenario (and proves they apply to live SAs)
	cp "$work/rampart.conf" "$work/rampart.conf.keep"
	sed -i 's/^dpd_delay = .*/dpd_delay = 120/; s/^dpd_timeout = .*/dpd_timeout = 240/; s/^lcp_echo_interval = .*/lcp_echo_interval = 120/' "$work/rampart.conf"
	local applied; applied=$("$ctl" -s "$work/ctl.sock" reload)
	run ic-first --keep-up 600 --timeout 900 &
	local hp=$!
	for _ in $(seq 240); do grep -q 'ppp=PASS' "$work/out-ic-first/client1/result.txt" 2>/dev/null && break; sleep 0.5; done
	local before row; before=$(sas | head -1)
	row=$(sas | sed -n 2p) # "who is connected": one row with every layer of this client
	kill_vms
	wait "$hp" 2>/dev/null
	# the NAT keeps the crashed client's mapping (the harness flushes conntrack between runs
	# otherwise): it comes back from the same outer address and port, which is what lets a PSK
	# client's INITIAL-CONTACT replace its old SAs (ike_info.c same_entity)
	KEEP_NAT_MAPPINGS=1 run ic-again --keep-up 600 --timeout 900 &
	hp=$!
	for _ in $(seq 240); do grep -q 'ppp=PASS' "$work/out-ic-again/client1/result.txt" 2>/dev/null && break; sleep 0.5; done
	local after; after=$(sas | head -1)
	local took=$((SECONDS - t0))
	kill_vms
	wait "$hp" 2>/dev/null
	R_WALL=$((SECONDS - t0))
	cp "$work/rampart.conf.keep" "$work/rampart.conf"
	"$ctl" -s "$work/ctl.sock" reload >/dev/null
	# both lines are read while the old client's DPD and LCP echo timers still run
	if grep -q 'applied: ike.dpd_delay ike.dpd_timeout ppp.lcp_echo_interval' <<<"$applied" &&
		grep -q '^1 IPsec SA pairs, 1 PPP sessions up, 1 addresses leased' <<<"$before" &&
		grep -q '^1 IPsec SA pairs, 1 PPP sessions up, 1 addresses leased' <<<"$after" &&
		grep -q 'INITIAL-CONTACT' "$work/rampartd.log" &&
		grep -Eq '^peer 203\.0\.113\.2:[0-9]+ nat yes id 100\.64\.77\.10 \| ike [0-9a-f]{16} \| esp in [0-9a-f]{8} out [0-9a-f]{8} AES-CBC-256/HMAC-SHA1-96 in [1-9][0-9]* pkts .* \| account vpnuser ip 198\.18\.77\.[0-9]+ l2tp [1-9][0-9]*/[1-9][0-9]*$' <<<"$row"; then
		report initial_contact PASS "the reconnecting client's INITIAL-CONTACT replaced its old SAs and session (${took}s)"
	else
		report initial_contact FAIL "reload: '$applied'; before: '$before'; after: '$after'; row: '$row'"
	fi
}
scen_cert() { # 7. certificates + certificate-to-account mapping + rights, then MS-CHAPv2 (issue 7)
	local pki; pki=$(cd "$here/../data/pki" && pwd)
	local t0=$SECONDS c
	stop_rampartd
	sed -e "s#^psk = .*#&\ncertificate = $pki/server.pem\nprivate_key = $pki/server-key.pem\nca = $pki/ca.pem\ncrl = $pki/crl.pem#" \
		"$work/rampart.conf" >"$work/rampart-cert.conf"
	local saved=$work/rampart.conf.psk
	cp "$work/rampart.conf" "$saved"
	cp "$work/rampart-cert.conf" "$work/rampart.conf"
	"$ctl" account -d "$state" add alice alicepw >/dev/null
	"$ctl" account -d "$state" add mallory mallorypw >/dev/null
	"$ctl" certmap -d "$state" add byname=email >/dev/null
	"$ctl" right -d "$state" deny add account=mallory >/dev/null
	start_rampartd
	for c in alice mallory revoked expired stranger; do
		mkdir -p "$work/certs-$c"
		cp "$pki/$c.pem" "$work/certs-$c/client.crt"
		cp "$pki/$c-key.pem" "$work/certs-$c/client.key"
		cp "$pki/ca.pem" "$work/certs-$c/ca.crt"
	done
	local ok=1 details=""
	# alice: certificate accepted and mapped to alice; PPP MS-CHAPv2 as alice comes up
	if run cert-alice --ipsec-auth cert --cert-dir "$work/certs-alice" --username alice --password alicepw &&
		grep -q 'ok=1' <<<"$R_SUMMARY"; then details="alice up;"; else ok=0; details="alice: $R_SUMMARY;"; fi
	# the same certificate with another PPP login: refused by ppp.login_must_match_certificate
	run cert-mismatch --ipsec-auth cert --cert-dir "$work/certs-alice" --username vpnuser --password vpnpass
	if grep -q 'quick=PASS' "$work/cert-mismatch.log" && grep -q 'auth=FAIL' "$work/cert-mismatch.log" &&
		grep -q 'login "vpnuser" refused: the IPsec certificate maps to account "alice"' "$work/rampartd.log"; then
		details="$details vpnuser over alice's certificate refused;"
	else ok=0; details="$details login mismatch not refused;"; fi
	# mallory: valid certificate, denied by a right; revoked: in the CRL; expired; stranger: issued
	# by a CA we do not trust. Main Mode must fail for each, with its reason logged.
	for c in mallory revoked expired stranger; do
		run "cert-$c" --ipsec-auth cert --cert-dir "$work/certs-$c" --username "$c" --password x --t-ike 20
		if grep -q 'ike=FAIL' "$work/cert-$c.log"; then details="$details $c refused;"; else ok=0; details="$details $c NOT refused;"; fi
	done
	grep -qi 'denied by right' "$work/rampartd.log" || { ok=0; details="$details no 'denied by right' log line;"; }
	grep -qi 'revoked' "$work/rampartd.log" || { ok=0; details="$details no 'revoked' log line;"; }
	grep -q 'CN=expired,.* refused: .*expired' "$work/rampartd.log" || { ok=0; details="$details no 'expired' log line;"; }
	grep -q 'CN=stranger,.* refused: .*unknown CA' "$work/rampartd.log" || { ok=0; details="$details no 'unknown CA' log line;"; }
	stop_rampartd
	cp "$saved" "$work/rampart.conf"
	start_rampartd
	R_WALL=$((SECONDS - t0))
	[ $ok = 1 ] && report cert PASS "$details" || report cert FAIL "$details"
}
scen_shutdown() { # a client connects after a SIGHUP; SIGHUP keeps sessions; SIGTERM tells the client (CDN, StopCCN, IKE DELETE) and exits 0
	local t0=$SECONDS d=$work/wireshark-shutdown
	# a reload first: the cores must still hold the real PSK and tunnel settings afterwards
	kill -HUP "$srv_pid"
	sleep 0.5
	run shutdown --keep-up 600 --timeout 900 &
	local hp=$!
	for _ in $(seq 240); do grep -q 'ppp=PASS' "$work/out-shutdown/client1/result.txt" 2>/dev/null && break; sleep 0.5; done
	if ! grep -q 'ppp=PASS' "$work/out-shutdown/client1/result.txt" 2>/dev/null; then
		kill_vms; wait "$hp"; R_WALL=$((SECONDS - t0)); report shutdown FAIL "client never up"; return
	fi
	kill -HUP "$srv_pid"
	sleep 1
	local after_hup; after_hup=$(sas | head -1)
	kill -TERM "$srv_pid"
	local rc=0
	wait "$srv_pid" || rc=$?
	srv_pid=
	sleep 2 # let tcpdump write what went out
	kill_vms
	wait "$hp" 2>/dev/null
	start_rampartd
	mkdir -p "$d/wireshark"
	# the NAT's outer address in the key log is the client's own address on the LAN: any address
	sed 's/^"IPv4","203\.0\.113\.2"/"IPv4","*"/; s/^\("IPv4","203\.0\.113\.1"\),"203\.0\.113\.2"/\1,"*"/' "$work/keys" >"$d/wireshark/esp_sa"
	local cdn stop del
	# counted on the client's LAN, as the client gets them: on the server's side a run of
	# same-size datagrams to one peer leaves as one UDP GSO send ([server] udp_gso), which a
	# capture there shows as one frame (the kernel cuts it up further along)
	cdn=$(XDG_CONFIG_HOME=$d tshark -r "$work/out-shutdown/lan.pcap" -o esp.enable_encryption_decode:TRUE \
		-Y 'ip.src == 203.0.113.1 && l2tp.avp.message_type == 14' 2>/dev/null | wc -l)
	stop=$(XDG_CONFIG_HOME=$d tshark -r "$work/out-shutdown/lan.pcap" -o esp.enable_encryption_decode:TRUE \
		-Y 'ip.src == 203.0.113.1 && l2tp.avp.message_type == 4' 2>/dev/null | wc -l)
	del=$(tshark -r "$work/out-shutdown/lan.pcap" -Y 'ip.src == 203.0.113.1 && isakmp.exchangetype == 5' 2>/dev/null | wc -l)
	R_WALL=$((SECONDS - t0))
	if grep -q '^1 IPsec SA pairs, 1 PPP sessions up' <<<"$after_hup" && [ $rc = 0 ] && [ "$cdn" -ge 1 ] && [ "$stop" -ge 1 ] && [ "$del" -ge 1 ]; then
		report shutdown PASS "connected after a SIGHUP; session kept across another; SIGTERM exit 0 after sending CDN x$cdn, StopCCN x$stop, ISAKMP informational x$del"
	else
		report shutdown FAIL "after SIGHUP: '$after_hup'; exit $rc; CDN $cdn StopCCN $stop informational $del"
	fi
}
scen_disconnect() { # rampartctl disconnect: the client sees LCP Terminate, the L2TP teardown and the IKE DELETE
	local t0=$SECONDS o=$work/out-disconnect/client1
	run disconnect --keep-up 20 --timeout 600 &
	local hp=$!
	for _ in $(seq 240); do grep -q 'ppp=PASS' "$o/result.txt" 2>/dev/null && break; sleep 0.5; done
	if ! grep -q 'ppp=PASS' "$o/result.txt" 2>/dev/null; then
		kill_vms; wait "$hp"; R_WALL=$((SECONDS - t0)); report disconnect FAIL "client never up"; return
	fi
	local out rc1 after rc2
	out=$("$ctl" -s "$work/ctl.sock" disconnect account=vpnuser 2>&1); rc1=$?
	sleep 3
	after=$(sas | head -1)
	"$ctl" -s "$work/ctl.sock" disconnect account=vpnuser >/dev/null 2>&1; rc2=$?
	wait "$hp" 2>/dev/null
	R_WALL=$((SECONDS - t0))
	local lcp l2 del
	lcp=$(grep -m1 -oE 'LCP terminated by peer \(closed by administrator\)' "$o/pppd.log")
	l2=$(grep -m1 -oiE '(connection closed|stopccn|call .* disconnected|cdn)[^.]*' "$o/xl2tpd.log")
	del=$(grep -m1 -oE 'received DELETE for [A-Z_]+( [A-Z_]+)?' "$o/charon.log")
	if [ $rc1 = 0 ] && grep -q '^disconnecting account vpnuser' <<<"$out" && grep -q '^0 IPsec SA pairs, 0 PPP sessions up' <<<"$after" &&
		[ $rc2 = 1 ] && [ -n "$lcp" ] && [ -n "$l2" ] && [ -n "$del" ]; then
		report disconnect PASS "'$out'; client: pppd '$lcp', xl2tpd '$l2', charon '$del'; then '$after'; again: exit $rc2"
	else
		report disconnect FAIL "rc $rc1 '$out'; after '$after'; again exit $rc2; pppd '$lcp' xl2tpd '$l2' charon '$del'"
	fi
}
scen_runsh() { # a newcomer's ./run.sh with its defaults: the printed credentials connect a client
	local t0=$SECONDS r=$work/runsh root; root=$(cd "$here/../.." && pwd)
	stop_rampartd
	mkdir -p "$r"
	ip netns exec "$NS_SERVER" env RAMPART_CONF="$r/etc/rampart.conf" RAMPART_STATE="$r/state" \
		"$root/run.sh" >"$r/out" 2>"$r/err" &
	local rp=$!
	for _ in $(seq 600); do grep -q 'listening on' "$r/err" 2>/dev/null && break; kill -0 $rp 2>/dev/null || break; sleep 0.5; done
	local psk user pass
	psk=$(sed -n 's/^psk: //p' "$r/out"); user=$(sed -n 's/^user: //p' "$r/out"); pass=$(sed -n 's/^password: //p' "$r/out")
	if [ -n "$psk" ] && run runsh --psk "$psk" --username "$user" --password "$pass" && grep -q 'ok=1' <<<"$R_SUMMARY"; then
		R_WALL=$((SECONDS - t0))
		report runsh PASS "$(grep -o 'ip=[0-9.]* peer=[0-9.]*' "$work/runsh.log" | head -1) with run.sh's PSK and demo account"
	else
		R_WALL=$((SECONDS - t0)); report runsh FAIL "psk='$psk' user='$user' $R_SUMMARY"; cat "$r/err" >&2
	fi
	kill -TERM $rp 2>/dev/null
	wait $rp 2>/dev/null
	start_rampartd
}
scen_auth() { # 5. CHAP-MD5 and PAP: the method pppd finally acknowledged must be the one asked for
	local m want got
	for m in chap pap; do
		want=$([ $m = chap ] && echo '<auth chap MD5>' || echo '<auth pap>')
		if run "auth-$m" --ppp-auth "$m" && grep -q "ok=1" <<<"$R_SUMMARY"; then
			got=$(grep -ho 'sent \[LCP ConfAck.*<auth [^>]*>' "$work"/out-auth-$m/client*/pppd.log | tail -1 | grep -o '<auth [^>]*>')
			[ "$got" = "$want" ] && report "auth-$m" PASS "client acknowledged $got" ||
				report "auth-$m" FAIL "client acknowledged '$got', expected $want"
		else report "auth-$m" FAIL "$R_SUMMARY"; fi
	done
}
scen_bulk() { # 6. bulk upload through the tunnel to the host behind the server (a figure, not a gate)
	ip netns exec "$NS_BEHIND" timeout 300 python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("198.18.99.2", 5001)); s.listen(1)
c, _ = s.accept()
while c.recv(65536): pass' &
	local np=$!
	sleep 0.3
	if run bulk --ping-target 198.18.99.2 --bulk-up 198.18.99.2:5001 --bulk-kb 4096 && grep -q 'bulk=PASS' "$work/bulk.log"; then
		report bulk PASS "$(grep -o '[0-9]* kbit/s' "$work/bulk.log" | head -1) upload (TCG-bound)"
	else report bulk FAIL "$R_SUMMARY"; fi
	kill "$np" 2>/dev/null
}
scen_decrypt() { # the capture of scenario 1, decrypted by tshark with rampart's key log
	local d=$work/wireshark t0=$SECONDS miss="" f
	mkdir -p "$d/wireshark"
	cp "$work/keys" "$d/wireshark/esp_sa"
	# each filter must match at least one decrypted frame; MS-CHAPv2's Response value is 49 bytes
	for f in "SCCRQ:l2tp.avp.message_type == 1" "ICRQ:l2tp.avp.message_type == 10" "LCP:lcp" \
		"MS-CHAPv2:chap.code == 2 && chap.value_size == 49" "IPCP:ipcp" "ICMP:icmp"; do
		XDG_CONFIG_HOME=$d tshark -r "$work/out-natt/wan.pcap" -o esp.enable_encryption_decode:TRUE \
			-Y "${f#*:}" 2>/dev/null | grep -q . || miss="$miss ${f%%:*}"
	done
	R_WALL=$((SECONDS - t0))
	[ -z "$miss" ] && report decrypt PASS "tshark decrypts SCCRQ, ICRQ, LCP, MS-CHAPv2, IPCP, ICMP inside ESP" ||
		report decrypt FAIL "missing:$miss"
}

scen_ipv6() { # IPv6 in the tunnel (issue 16): pppd +ipv6 negotiates IPV6CP, SLAAC from our Router Advertisement gives it an address in a /64 of its own, and it pings the server's IPv6 tunnel address
	local t0=$SECONDS
	# prefix6 is read at start: rampartd restarts with it, and without it afterwards
	stop_rampartd
	cp "$work/rampart.conf" "$work/rampart-v4.conf"
	sed -i 's/^\[ppp\]$/[ppp]\ndns6 = 2001:db8:53::53/' "$work/rampart.conf"
	echo "prefix6 = 2001:db8:77::/48" >>"$work/rampart.conf" # [pool] is the last section
	if ! start_rampartd; then
		R_WALL=$((SECONDS - t0)); report ipv6 FAIL "rampartd did not start with pool.prefix6"
	else
		local tun; tun=$(ip -n "$NS_SERVER" -6 addr show dev rpx0 scope global | grep -o 'inet6 [0-9a-f:/]*')
		if run ipv6 --ppp-opts "+ipv6" --ping6-target 2001:db8:77::1 && grep -q 'ping6=PASS' "$work/ipv6.log" &&
			grep -q 'ping=PASS' "$work/ipv6.log"; then
			local a st; a=$(grep -o 'ip6=[0-9a-f:/]*' "$work/ipv6.log" | head -1)
			st=$("$ctl" -s "$work/ctl.sock" show stats | grep '^ipv6:')
			case "$a" in
			ip6=2001:db8:77:1:*/64) report ipv6 PASS "$a (TUN $tun); $(grep -o 'phase ping6 PASS.*' "$work/ipv6.log" | cut -c17-); $st; IPv4 ping too" ;;
			*) report ipv6 FAIL "address $a is not in the first session /64 2001:db8:77:1::/64" ;;
			esac
		else report ipv6 FAIL "$R_SUMMARY $(grep -E 'phase (ipv6_slaac|ping6)' "$work/ipv6.log" | head -2)"; fi
	fi
	stop_rampartd
	cp "$work/rampart-v4.conf" "$work/rampart.conf"
	start_rampartd
}

scen_flood() { # the stock client connects while rampart-flood floods the server (issue 12)
	# spoofed Main Mode first messages (a fifth of them from the client's own NAT address),
	# garbage MM3s, junk to 500/4500/1701 and unknown-SPI ESP, from a namespace beside the server;
	# answers to the spoofed sources are routed back there and dropped
	local f=$px-flood pps=${INTEROP_FLOOD_PPS:-10000} fpid c0 c1 t0 rss
	[ -x "$flood" ] || { R_WALL=0; report flood FAIL "no $flood (build rampart-flood)"; return; }
	beside_server "$f" flood 198.19.0
	ip -n "$f" route add 203.0.113.1/32 via 198.19.0.1
	ip -n "$NS_SERVER" route add 198.19.128.0/17 via 198.19.0.2
	ip netns exec "$NS_SERVER" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.flood.rp_filter=0
	ip netns exec "$f" "$flood" --dst 203.0.113.1 --rate "$pps" --seconds 600 --spoof 198.19.128.0/17 \
		--also 203.0.113.2:20 >"$work/flood.out" 2>&1 &
	fpid=$!
	sleep 3 # the half-open table at its per-address cap for the NAT's address before the client comes
	c0=$(awk '{print $14 + $15}' "/proc/$srv_pid/stat")
	t0=$SECONDS
	run flood --ping-target 198.18.99.2
	local rc=$?
	c1=$(awk '{print $14 + $15}' "/proc/$srv_pid/stat")
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$srv_pid/status")
	kill -INT "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null
	for p in $(ip netns pids "$f" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	ip netns del "$f" 2>/dev/null
	local sent cpu
	sent=$(grep -o 'rate_pps=[0-9]*' "$work/flood.out" | tail -1)
	cpu=$(( (c1 - c0) * 100 / $(getconf CLK_TCK) / (SECONDS - t0 > 0 ? SECONDS - t0 : 1) ))
	if [ $rc -eq 0 ] && [ "${sent#rate_pps=}" -ge $((pps * 8 / 10)) ] 2>/dev/null; then
		report flood PASS "flood $sent (asked $pps), rampartd ${cpu}% of a core, RSS ${rss} KiB; $(phases flood)"
	elif [ $rc -eq 0 ]; then report flood FAIL "the sender reached only ${sent:-nothing} of $pps packets/s"
	else report flood FAIL "$R_SUMMARY; flood ${sent:-?}"; fi
}

flood=$(dirname "$rampartd")/../tests/flood/rampart-flood
start_rampartd || exit 1
list=${*:-natt decrypt behind same_account nonat vanish initial_contact disconnect shutdown auth bulk cert runsh ipv6 flood}
for s in $list; do "scen_$s"; done
stop_rampartd
grep -E 'ERROR: AddressSanitizer|runtime error' "$work/rampartd.log" >&2 && { echo "interop: sanitizer report in rampartd"; failed=1; }
[ $failed = 0 ] && echo "interop: all scenarios passed" || echo "interop: FAILED"
exit $failed
