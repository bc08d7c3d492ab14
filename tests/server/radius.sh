#!/usr/bin/env bash
# RADIUS against Debian's FreeRADIUS (issue 15), in a network namespace: xl2tpd as the LAC with the
# test PPP client (test_fake_pppd) logs in through rampartd with MS-CHAPv2, CHAP-MD5 and PAP;
# FreeRADIUS's users file gives the Framed-IP-Address; Start/Interim/Stop records with byte counts
# land in its detail file; a wrong password is refused with the reason logged; FreeRADIUS stopped
# mid-session leaves the session up and its Stop arrives once the server is back; a
# Disconnect-Request sent with radclient ends a session (ACK), an unknown user gets a NAK.
# usage: radius.sh rampartd rampartctl test_fake_pppd          (root; exit 77 = skipped)
set -euo pipefail
rampartd=$1 rampartctl=$2 fake_pppd=$3
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
if ! command -v freeradius >/dev/null || ! command -v radclient >/dev/null; then
	echo "SKIP: freeradius/radclient missing"
	exit 77
fi
command -v xl2tpd >/dev/null || { echo "SKIP: xl2tpd missing"; exit 77; }
ns=rp-rad-$$
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}" $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap "cleanup 2>/dev/null" EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$tmp"/*.log "$tmp"/radacct/*/detail-*; do echo "--- $f" >&2; tail -80 "$f" >&2; done
	[ -z "${RADIUS_KEEP:-}" ] || cp -a "$tmp" "$RADIUS_KEEP"
	exit 1
}
wait_for() { # file pattern tenths
	for _ in $(seq "$3"); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
nsx() { ip netns exec "$ns" "$@"; }

ip netns add "$ns"
ip -n "$ns" link set lo up
for a in 198.18.0.1 198.18.0.2 198.18.0.3; do ip -n "$ns" addr add $a/32 dev lo; done

# ---- FreeRADIUS: Debian's configuration, our users, clients and detail directory ----------------
rad=$tmp/raddb
cp -a /etc/freeradius/3.0 "$rad"
sed -i -e "s#^\s*radacctdir = .*#radacctdir = $tmp/radacct#" -e 's/^\s*user = freerad/#&/' \
	-e 's/^\s*group = freerad/#&/' "$rad/radiusd.conf"
cat >"$rad/clients.conf" <<EOC
client rampart {
	ipaddr = 198.18.0.1
	secret = rad-secret-1
	require_message_authenticator = yes
}
EOC
# FreeRADIUS 3.2.1 signs a reply only when asked (rampart requires the Message-Authenticator)
cat >"$rad/mods-config/files/authorize" <<'EOU'
DEFAULT
	Message-Authenticator := 0x00,
	Fall-Through = yes

alice	Cleartext-Password := "alice-pw"
	Framed-IP-Address = 198.18.6.77,
	Session-Timeout = 3600,
	Class = "rp-class-alice",
	Reply-Message = "welcome alice"

bob	Cleartext-Password := "bob-pw"
	Port-Limit = 2
EOU
radiusd_start() {
	# not through nsx: a backgrounded shell function is a subshell, and $! would be that shell
	ip netns exec "$ns" freeradius -f -l "$tmp/radiusd.log" -d "$rad" >>"$tmp/radiusd.out" 2>&1 &
	radpid=$!
	pids+=("$radpid")
	for _ in $(seq 100); do nsx ss -uapn | grep -q '198.18.0.3:1812\|\*:1812\|0.0.0.0:1812' && return 0; sleep 0.1; done
	fail "FreeRADIUS did not start"
}
radiusd_start

# ---- rampartd ------------------------------------------------------------------------------------
cat >"$tmp/rampart.conf" <<EOC
[server]
listen = 198.18.0.1
tun_name = rprad$$
tun_address = 198.18.6.1/24
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
[log]
ipsecdiagnostics = 4
[ike]
psk = test-psk
[l2tp]
allow_plain = yes
[ppp]
auth = mschapv2 chap pap
[pool]
range = 198.18.6.10-198.18.6.20
[radius]
auth_servers = 198.18.0.3
acct_servers = 198.18.0.3:1813
secret = rad-secret-1
nas_ip_address = 198.18.0.1
timeout = 1
retries = 2
interim_interval = 2
local_store = never
dae_port = 3799
dae_secret = dae-secret-2
EOC
chmod 600 "$tmp/rampart.conf"
ip netns exec "$ns" "$rampartd" --foreground --config "$tmp/rampart.conf" >"$tmp/rampartd.log" 2>&1 &
rpid=$!
pids+=("$rpid")
wait_for "$tmp/rampartd.log" 'Disconnect-Request listener on UDP 3799' 100 || fail "rampartd did not start"

# ---- a client: xl2tpd + the test PPP client, one per login ---------------------------------------
echo "* * x" >"$tmp/l2tp-secrets"
chmod 600 "$tmp/l2tp-secrets"
lac_start() { # user password method
	printf 'noauth\nname %s\npassword %s\nrp-auth %s\n' "$1" "$2" "$3" >"$tmp/options"
	rm -f "$tmp/options.up" "$tmp/xl2tpd.pid" "$tmp/l2tp-control"
	cat >"$tmp/xl2tpd.conf" <<EOX
[global]
listen-addr = 198.18.0.2
port = 1701
auth file = $tmp/l2tp-secrets
[lac rampart]
lns = 198.18.0.1
autodial = yes
redial = no
challenge = no
name = $1
pppoptfile = $tmp/options
EOX
	ip netns exec "$ns" unshare -m --propagation private sh -c "mount --bind '$fake_pppd' /usr/sbin/pppd &&
		exec xl2tpd -D -c $tmp/xl2tpd.conf -s $tmp/l2tp-secrets -p $tmp/xl2tpd.pid -C $tmp/l2tp-control" \
		>>"$tmp/xl2tpd.log" 2>&1 &
	lacpid=$!
	pids+=("$lacpid")
}
lac_stop() { # hang up as a user does (CDN/StopCCN), then stop xl2tpd
	echo "d rampart" >"$tmp/l2tp-control" 2>/dev/null || true
	sleep 1
	kill "$lacpid" 2>/dev/null || true
	wait "$lacpid" 2>/dev/null || true
}
ups() { grep -c 'alice is up with 198.18.6.77' "$tmp/rampartd.log" || true; }
detail() { cat "$tmp"/radacct/*/detail-* 2>/dev/null || true; }
stops() { detail | grep -c 'Acct-Status-Type = Stop' || true; }
record() { # Acct-Session-Id status: that record of the detail file (records are paragraphs)
	detail | awk -v RS= -v id="Acct-Session-Id = \"$1\"" -v st="Acct-Status-Type = $2" \
		'index($0, id) && index($0, st) { print; print "" }'
}

# 1. MS-CHAPv2: the Framed-IP-Address, Start and Interim-Updates with bytes, Stop on hang-up
lac_start alice alice-pw mschapv2
wait_for "$tmp/rampartd.log" 'alice is up with 198.18.6.77' 200 || fail "MS-CHAPv2 login over RADIUS"
wait_for "$tmp/options.up" 'up 198.18.6.77' 50 || fail "the client did not get its Framed-IP-Address"
grep -q 'Reply-Message\|welcome alice' "$tmp/rampartd.log" || true
# traffic toward the client through the TUN (no ping on the machine): output octets/packets
nsx python3 -c 'import socket; s = socket.socket(2, 2); [s.sendto(b"x" * 100, ("198.18.6.77", 9)) for _ in range(5)]' || true # traffic toward the client: output octets
for _ in $(seq 100); do detail | grep -q 'Acct-Status-Type = Interim-Update' && break; sleep 0.1; done
detail | grep -q 'Acct-Status-Type = Start' || fail "no Start record"
detail | grep -q 'Acct-Status-Type = Interim-Update' || fail "no Interim-Update record"
detail | grep -q 'Class = 0x72702d636c6173732d616c696365' || fail "Class not echoed in accounting"
lac_stop
for _ in $(seq 100); do [ "$(stops)" -ge 1 ] && break; sleep 0.1; done
[ "$(stops)" -ge 1 ] || fail "no Stop record after the hang-up"
detail | grep -E -q 'Acct-Output-Octets = [1-9]' || fail "no output octets counted: $(detail | grep -E "Octets|Packets|Status" | tr "\n" " ")"
echo "MS-CHAPv2 + accounting: OK"

# 2. CHAP-MD5
lac_start alice alice-pw chap
for _ in $(seq 200); do [ "$(ups)" -ge 2 ] && break; sleep 0.1; done
[ "$(ups)" -ge 2 ] || fail "CHAP-MD5 login over RADIUS"
lac_stop
echo "CHAP-MD5: OK"

# 3. a wrong password: refused, the reason in the log
lac_start alice wrong-pw pap
wait_for "$tmp/rampartd.log" 'authentication of "alice": wrong password' 200 || fail "wrong password not refused/logged"
lac_stop
grep 'authentication of "alice": wrong password' "$tmp/rampartd.log" | head -1

# 4. PAP; FreeRADIUS stopped mid-session: the session stays, its Stop arrives when it is back
lac_start alice alice-pw pap
for _ in $(seq 200); do [ "$(ups)" -ge 3 ] && break; sleep 0.1; done
[ "$(ups)" -ge 3 ] || fail "PAP login over RADIUS"
echo "PAP: OK"
sleep 2 # the earlier sessions' Stops are in first
s0=$(stops)
sid=$(detail | sed -n 's/^\tAcct-Session-Id = "\(.*\)"$/\1/p' | tail -1) # this session's
kill "$radpid"; wait "$radpid" 2>/dev/null || true
! nsx ss -uapn | grep -q ':1813 ' || fail "FreeRADIUS still listening after it was stopped"
# rampartctl radius test with the server down: refused once the retries are spent (timeout 1 s,
# retries 2), and the control socket answers other requests meanwhile (the answer is deferred)
t0=$(date +%s%N)
(
	rc=0
	echo alice-pw | "$rampartctl" -s "$tmp/ctl.sock" radius test alice - >"$tmp/rt-down.out" 2>&1 || rc=$?
	echo "rc=$rc" >>"$tmp/rt-down.out"
) &
rtpid=$!
sleep 0.3
"$rampartctl" -s "$tmp/ctl.sock" show sas >/dev/null || fail "control socket blocked by a pending radius test"
[ ! -s "$tmp/rt-down.out" ] || fail "radius test answered before the retries were spent: $(cat "$tmp/rt-down.out")"
wait "$rtpid"
t1=$(date +%s%N)
grep -q 'rampartctl: no RADIUS server answered' "$tmp/rt-down.out" || fail "radius test, server down: $(cat "$tmp/rt-down.out")"
grep -q 'rc=1' "$tmp/rt-down.out" || fail "radius test with the server down: exit code $(cat "$tmp/rt-down.out")"
echo "radius test with the server down: refused after $(((t1 - t0) / 1000000)) ms"
sleep 2 # interim updates and their retries go unanswered
grep -q 'radius: accounting server 198.18.0.3:1813 does not answer' "$tmp/rampartd.log" ||
	fail "rampartd did not notice the accounting server was down"
"$rampartctl" -s "$tmp/ctl.sock" show sas | grep -q 'account alice ip 198.18.6.77' || fail "session dropped while RADIUS was down"
lac_stop
sleep 3
[ "$(stops)" -eq "$s0" ] || fail "a Stop was recorded with the server down?"
radiusd_start
for _ in $(seq 200); do [ "$(stops)" -gt "$s0" ] && break; sleep 0.1; done
[ "$(stops)" -gt "$s0" ] || fail "the Stop did not arrive once FreeRADIUS was back"
record "$sid" Stop | grep -q 'Acct-Terminate-Cause = User-Request' || fail "no Stop for $sid after the outage"
echo "RADIUS down mid-session, Stop delivered later: OK"

# 4b. rampartctl radius test USER -: one Access-Request from the running rampartd
out=$(echo alice-pw | "$rampartctl" -s "$tmp/ctl.sock" radius test alice - 2>&1) || fail "radius test: $out"
echo "$out"
echo "$out" | grep -q '^Access-Accept from 198.18.0.3:1812$' || fail "radius test: no Access-Accept"
echo "$out" | grep -q '^Framed-IP-Address = 198.18.6.77$' || fail "radius test: no Framed-IP-Address"
echo "$out" | grep -q '^Reply-Message = "welcome alice"$' || fail "radius test: no Reply-Message"
echo "$out" | grep -q '^Class = 0x72702d636c6173732d616c696365$' || fail "radius test: no Class"
rc=0
out=$(echo wrong-pw | "$rampartctl" -s "$tmp/ctl.sock" radius test alice - 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "radius test, wrong password: exit code $rc: $out"
echo "$out" | grep -q '^Access-Reject from 198.18.0.3:1812$' || fail "radius test, wrong password: $out"
echo "$out" | grep -q '^rampartctl: Access-Reject$' || fail "radius test, wrong password, the error: $out"
out=$(echo bob-pw | "$rampartctl" -s "$tmp/ctl.sock" radius test bob - 2>&1) || fail "radius test bob: $out"
echo "$out" | grep -q '^Port-Limit = 2$' || fail "radius test: Port-Limit (max_sessions) not shown: $out"
echo "radius test: OK"

# 5. Disconnect-Request with radclient: ACK and the session ends; an unknown user gets a NAK
lac_start alice alice-pw mschapv2
for _ in $(seq 200); do [ "$(ups)" -ge 4 ] && break; sleep 0.1; done
[ "$(ups)" -ge 4 ] || fail "login before the Disconnect-Request"
out=$(echo 'User-Name = "alice"' | nsx radclient -x 198.18.0.1:3799 disconnect dae-secret-2 2>&1) || true
echo "$out" | grep -q 'Disconnect-ACK' || fail "no Disconnect-ACK: $out"
wait_for "$tmp/rampartd.log" 'session .*(alice, 198.18.6.77) down' 100 || fail "Disconnect-Request did not end the session"
sid=$(detail | sed -n 's/^\tAcct-Session-Id = "\(.*\)"$/\1/p' | tail -1)
for _ in $(seq 50); do record "$sid" Stop | grep -q . && break; sleep 0.1; done
record "$sid" Stop | grep -q 'Acct-Terminate-Cause = Admin-Reset' || fail "no Admin-Reset Stop for $sid"
out=$(echo 'User-Name = "nobody"' | nsx radclient -x 198.18.0.1:3799 disconnect dae-secret-2 2>&1) || true
echo "$out" | grep -q 'Disconnect-NAK' || fail "unknown user not NAKed: $out"
echo "$out" | grep -q 'Error-Cause = Session-Context-Not-Found' || fail "NAK without Error-Cause: $out"
lac_stop
echo "Disconnect-Request: OK"
echo "--- detail: the Stop of the session ended by the Disconnect-Request"
record "$sid" Stop

# 6. SIGTERM while accounting waits out an outage: records held back after FreeRADIUS stopped
# answering (Interim-Updates) and the live session's Stop (NAS-Reboot) go out before rampartd
# exits, within its stop grace, once the server is back
lac_start alice alice-pw mschapv2
for _ in $(seq 200); do [ "$(ups)" -ge 5 ] && break; sleep 0.1; done
[ "$(ups)" -ge 5 ] || fail "login before SIGTERM"
sleep 1
sid=$(detail | sed -n 's/^\tAcct-Session-Id = "\(.*\)"$/\1/p' | tail -1)
nd=$(grep -c 'accounting server .* does not answer' "$tmp/rampartd.log" || true)
kill "$radpid"
wait "$radpid" 2>/dev/null || true
for _ in $(seq 80); do
	[ "$(grep -c 'accounting server .* does not answer' "$tmp/rampartd.log")" -gt "$nd" ] && break
	sleep 0.1
done
radiusd_start # within the 5 s rampartd waits before it tries a silent accounting server again
t0=$(date +%s%N)
kill -TERM "$rpid"
wait "$rpid" || fail "rampartd exited with $? at SIGTERM"
t1=$(date +%s%N)
echo "rampartd stopped $(((t1 - t0) / 1000000)) ms after SIGTERM"
for _ in $(seq 20); do record "$sid" Stop | grep -q . && break; sleep 0.1; done
record "$sid" Stop | grep -q 'Acct-Terminate-Cause = NAS-Reboot' || fail "no NAS-Reboot Stop for $sid at SIGTERM"
echo "Stop at SIGTERM after an outage: OK"
echo "radius: OK"
