#!/usr/bin/env bash
# IPsec policy in the running daemon (issue 13): the issue's netsh session on the store of a
# running rampartd, which applies it from the next negotiation without a restart; strongSwan's
# charon refused by the block rule r1 (rampartd's log names r1); ikeprobe refused and admitted as
# rules come and go; a permit rule admitting plain L2TP from its subnet only (l2tp.allow_plain =
# no); the dynamic store over the control socket, in force at once and gone at restart; boot mode
# in the store and in the daemon's show config; and `rampartctl ipsec model` agreeing with each.
#
# usage: policy.sh RAMPARTD RAMPARTCTL IKEPROBE FAKE_PPPD   (POLICY_KEEP=1 keeps the work directory)
# h. (xl2tpd + the test PPP client over plain L2TP admitted by a permit rule): a client's UDP to a
# blocked subnet dropped and counted, to another address delivered, as the model says.
set -uo pipefail
rampartd=$1 rampartctl=$2 probe=$3 fake_pppd=${4:-}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v ip >/dev/null || { echo "missing ip (iproute2)"; exit 1; }

. "$(dirname "$0")/lib.sh"
tag=rppol$$
c=${tag}c c2=${tag}d s=${tag}s
lib_tmp POLICY_KEEP
umask 077
pid=
lib_on_exit 'rm -rf "/etc/netns/$s"'

# two clients: c in the lab subnet 198.18.63.0/24, c2 outside it (198.18.64.0/24)
ns_pair $tag 198.18.63.1 198.18.63.2
ns_add "$c2"
ns_link "$c2" ${tag}e 198.18.64.1 "$s" ${tag}f 198.18.64.2
srv=198.18.63.2 srv2=198.18.64.2

PSK=policy-psk-0123456789abcd
SECRET=l2tp-secret-0123456789ab
cat >"$tmp/rampart.conf" <<EOC
[server]
listen = $srv, $srv2
tun_name = rpp0
tun_address = 198.18.65.1/24
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
raw_esp = no
[log]
ipsecdiagnostics = 4
ikelogging = yes
[ike]
psk = $PSK
[l2tp]
allow_plain = no
tunnel_secret = $SECRET
[pool]
range = 198.18.65.10-198.18.65.20
[policy]
resolve_interval = 2
EOC
# rampartd's resolver is the test's DNS server (section i): ip netns exec mounts this resolv.conf
mkdir -p "/etc/netns/$s"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"/etc/netns/$s/resolv.conf"

log_tail() { echo "--- rampartd log (last 30 lines)"; tail -30 "$tmp/log"; echo "---"; }
start() {
	rampartd_start "$s" "$rampartd" "$tmp/rampart.conf" "$tmp/ctl.sock" "$tmp/log" && return 0
	echo "rampartd did not start"
	log_tail
	exit 1
}
stop() {
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}
ctl() { "$rampartctl" -s "$tmp/ctl.sock" "$@"; }
st() { "$rampartctl" ipsec -d "$tmp/state" "$@"; } # the store directly
# expect ok|refused LABEL NS SERVER probe-args...
expect() {
	local want=$1 label=$2 ns=$3 server=$4 out rc
	shift 4
	out=$(ip netns exec "$ns" "$probe" --server "$server" --timeout-ms 2500 "$@" 2>&1)
	rc=$?
	if ! kill -0 "$pid" 2>/dev/null; then
		fail "$label: rampartd died"
		log_tail
		exit 1
	fi
	if { [ "$want" = ok ] && [ $rc -eq 0 ]; } || { [ "$want" = refused ] && [ $rc -ne 0 ]; }; then
		pass "$label: $(tail -1 <<<"$out")"
	else
		fail "$label (want $want, probe exit $rc): $(tail -3 <<<"$out" | tr '\n' ' ')"
		log_tail
	fi
}
# model LABEL PATTERN model-args...: the model's text output must contain PATTERN
model() {
	local label=$1 pat=$2 out
	shift 2
	out=$(st model "$@" 2>&1)
	if grep -q -- "$pat" <<<"$out"; then pass "model $label: $(grep -- "$pat" <<<"$out" | head -1)"; else fail "model $label: no '$pat' in: $out"; fi
}
waitlog() { # pattern: up to 5 s
	for _ in $(seq 50); do grep -q -- "$1" "$tmp/log" && return 0; sleep 0.1; done
	return 1
}

: >"$tmp/log"
start

# a. no policy: both clients negotiate with the configuration's methods (the default response)
expect ok "a1 no policy: lab client" "$c" "$srv" --psk "$PSK"
expect ok "a2 no policy: other client" "$c2" "$srv2" --psk "$PSK"
model "a3 no policy" "rule: none (default response)" peer=198.18.63.1

# b. the issue's words, exactly, on the store of the running daemon
st static add policy name=remote &&
	st static add filterlist name=lab &&
	st static add filter filterlist=lab srcaddr=198.18.63.0 srcmask=24 dstaddr=me protocol=UDP &&
	st static add filteraction name=deny action=block &&
	st static add rule name=r1 policy=remote filterlist=lab filteraction=deny &&
	st static set policy name=remote assign=yes || fail "b0 the netsh session was refused"
model "b1 lab peer: r1" "rule: r1 (policy remote, local store)" peer=198.18.63.1
model "b2 lab peer: block" "action: block" peer=198.18.63.1
json=$("$rampartctl" --json ipsec -d "$tmp/state" model peer=198.18.63.1)
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["rule"]=="r1" and d["store"]=="local" and d["action"]=="block", d' "$json"; then
	pass "b3 model --json: rule r1, store local, action block"
else
	fail "b3 model --json: $json"
fi
model "b4 other peer: default" "rule: none (default response)" peer=198.18.64.1
expect refused "b5 block rule r1: lab client refused" "$c" "$srv" --psk "$PSK"
if waitlog "IKE refused by rule r1 (local store, policy remote, filterlist lab): block"; then
	pass "b6 the log names r1: $(grep -m1 'IKE refused by rule r1' "$tmp/log" | sed 's/^.*policy: //')"
else
	fail "b6 no log line naming r1"
	log_tail
fi
expect ok "b7 other client still admitted" "$c2" "$srv2" --psk "$PSK"

# c. charon (strongSwan) as the lab client: refused by r1
charon_run() {
	charon_start "$c" "$tmp"
	charon_conf_psk "$tmp" aes256-sha1-modp2048,aes128-sha1-ecp256 aes256-sha1,aes128-sha1 "$PSK" 198.18.63.1 "$srv"
	charon_initiate "$c" "$tmp"
}
if [ -x /usr/lib/ipsec/charon ] && command -v swanctl >/dev/null; then
	n0=$(grep -c 'IKE refused by rule r1' "$tmp/log")
	charon_run
	if grep -q "IKE_SA l2tp\[[0-9]*\] established" "$tmp/charon.all"; then
		fail "c1 charon: established through the block rule r1"
	elif [ "$(grep -c 'IKE refused by rule r1' "$tmp/log")" -gt "$n0" ] ||
		grep -q 'similar drop lines suppressed' "$tmp/log"; then
		pass "c1 charon refused by r1 (no Main Mode answer; rampartd: IKE refused by rule r1)"
	else
		fail "c1 charon not established, but no log line naming r1"
		log_tail
	fi
	# the same charon admitted once the rule is deleted (no restart)
	st static delete rule name=r1 policy=remote || fail "c2 delete rule r1"
	charon_run
	if grep -q "IKE_SA l2tp\[[0-9]*\] established" "$tmp/charon.all"; then
		pass "c2 charon established once r1 is deleted: $(grep -o 'selected proposal: IKE:[^ ]*' "$tmp/charon.all" | head -1)"
	else
		fail "c2 charon not established after r1 was deleted"
		tail -15 "$tmp/charon.all"
	fi
else
	fail "c charon missing (tests/deps/test-ike.txt: strongswan-charon, strongswan-swanctl)"
	st static delete rule name=r1 policy=remote
fi
model "c3 r1 deleted: default" "rule: none (default response)" peer=198.18.63.1
expect ok "c4 r1 deleted: lab client admitted" "$c" "$srv" --psk "$PSK"

# d. a permit rule: plain L2TP from the lab subnet (allow_plain = no), IKE refused there
st static add filteraction name=plain action=permit &&
	st static add rule name=mgmt policy=remote filterlist=lab filteraction=plain || fail "d0 permit rule refused"
model "d1 lab peer: permit" "plain L2TP: permitted" peer=198.18.63.1
model "d2 other peer: no plain L2TP" "plain L2TP: refused" peer=198.18.64.1
expect ok "d3 plain L2TP from the lab subnet" "$c" "$srv" --l2tp --secret "$SECRET"
expect refused "d4 plain L2TP from elsewhere" "$c2" "$srv2" --l2tp --secret "$SECRET"
expect refused "d5 IKE from the permit subnet" "$c" "$srv" --psk "$PSK"
st static delete rule name=mgmt policy=remote || fail "d6 delete rule mgmt"

# e. the dynamic store over the control socket: in force at once, gone at restart
ctl ipsec dynamic add policy name=dyn assign=yes >/dev/null &&
	ctl ipsec dynamic add filterlist name=other >/dev/null &&
	ctl ipsec dynamic add filter filterlist=other srcaddr=198.18.64.0 srcmask=255.255.255.0 dstaddr=me >/dev/null &&
	ctl ipsec dynamic add filteraction name=no action=block >/dev/null &&
	ctl ipsec dynamic add rule name=dynblock policy=dyn filterlist=other filteraction=no >/dev/null ||
	fail "e0 dynamic commands refused"
if ctl ipsec dynamic show all | grep -q "rule dynblock \[dynamic\]"; then pass "e1 dynamic show all: rule dynblock [dynamic]"; else fail "e1 dynamic show all: $(ctl ipsec dynamic show all)"; fi
expect refused "e2 dynamic block rule: other client refused" "$c2" "$srv2" --psk "$PSK"
waitlog "IKE refused by rule dynblock (dynamic store" && pass "e3 the log names dynblock" || fail "e3 no log line naming dynblock"
# the model from rampartd itself (no -d): its dynamic store is part of the answer
out=$(ctl ipsec model peer=198.18.64.1)
grep -q "rule: dynblock (policy dyn, dynamic store)" <<<"$out" && grep -q "action: block" <<<"$out" &&
	pass "e5 rampartd's model: rule dynblock, dynamic store, block" || fail "e5 rampartd's model: $out"
out=$("$rampartctl" -s "$tmp/ctl.sock" --json ipsec model peer=198.18.64.1)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["rule"]=="dynblock" and d["store"]=="dynamic", d' "$out" &&
	pass "e6 rampartd's model --json: dynblock, dynamic" || fail "e6 rampartd's model --json: $out"
model "e7 the store's model knows no dynamic rule" "rule: none (default response)" peer=198.18.64.1
out=$(ctl ipsec dynamic add filter filterlist=other srcaddr=1.2.3 dstaddr=me 2>&1)
[ $? -eq 2 ] && grep -q 'srcaddr "1.2.3"' <<<"$out" && pass "e4 malformed dynamic command: usage error" || fail "e4 malformed dynamic command: $out"

# f. boot mode in the store; the daemon's show config says it
st dynamic set config property=bootmode value=block || fail "f0 set bootmode"
st dynamic set config property=bootexemptions value=TCP:0:80:inbound,ICMP:0:0:outbound || fail "f1 set bootexemptions"
out=$(st dynamic show config)
grep -q "bootmode = block" <<<"$out" && pass "f2 store: bootmode = block" || fail "f2 store: $out"
for _ in $(seq 30); do out=$(ctl ipsec dynamic show config); grep -q "bootmode = block" <<<"$out" && break; sleep 0.1; done
grep -q "bootmode = block" <<<"$out" && grep -q "bootexemptions = TCP:0:80:inbound,ICMP:0:0:outbound" <<<"$out" &&
	pass "f3 rampartd: $(tr '\n' ' ' <<<"$out")" || fail "f3 rampartd show config: $out"
out=$(st dynamic set config property=bootmode value=off 2>&1)
grep -q "stateful, block or permit" <<<"$out" && pass "f4 bad bootmode refused with the reason" || fail "f4 bad bootmode: $out"

# g. restart: the dynamic store is gone, the stored policy stays
stop
start
expect ok "g1 after restart: dynamic block rule gone" "$c2" "$srv2" --psk "$PSK"
if st static show all | grep -q "policy remote \[local\] assign=yes"; then pass "g2 stored policy kept"; else fail "g2 stored policy lost"; fi
grep -q "store generation .* assigned persistent=- local=remote dynamic=-" "$tmp/log" && pass "g3 loaded at start: local=remote" || fail "g3 no load line"

# h. the data path: a plain-L2TP client (permit rule) whose UDP to 10.1.0.0/16 is blocked
if [ -n "$fake_pppd" ] && command -v xl2tpd >/dev/null; then
	"$rampartctl" account -d "$tmp/state" add vpnuser vpnpass >/dev/null || fail "h0 account"
	st static add rule name=mgmt policy=remote filterlist=lab filteraction=plain &&
		st static add filterlist name=blocked &&
		st static add filter filterlist=blocked srcaddr=any dstaddr=10.1.0.0 dstmask=16 &&
		st static add rule name=nolab policy=remote filterlist=blocked filteraction=deny conntype=dialup ||
		fail "h1 data-path rules refused"
	model "h2 model: 10.1.0.1 blocked" "destination: 10.1.0.1 UDP port 9: block by rule nolab" peer=198.18.63.1 dst=10.1.0.1 proto=UDP port=9
	model "h3 model: 10.2.0.1 permitted" "destination: 10.2.0.1 UDP port 9: permit (no filter" peer=198.18.63.1 dst=10.2.0.1 proto=UDP port=9
	ip -n "$s" addr add 10.1.0.1/32 dev lo
	ip -n "$s" addr add 10.2.0.1/32 dev lo
	cat >"$tmp/listen.py" <<'EOP'
import socket, sys
import select
socks = []
for port in (9, 10):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, 8, 1)  # IP_PKTINFO (Linux)
    s.bind(("0.0.0.0", port))
    socks.append((s, port))
with open(sys.argv[1], "a", buffering=1) as out:
    out.write("ready\n")
    while True:
        r, _, _ = select.select([x for x, _ in socks], [], [])
        for s, port in socks:
            if s in r:
                data, anc, _, src = s.recvmsg(2048, 256)
                dst = socket.inet_ntoa(anc[0][2][8:12]) if anc else "?"
                out.write(f"{src[0]} -> {dst}:{port} {len(data)}\n")
EOP
	: >"$tmp/udp.log"
	ip netns exec "$s" python3 "$tmp/listen.py" "$tmp/udp.log" &
	lis=$!
	for _ in $(seq 50); do grep -q ready "$tmp/udp.log" && break; sleep 0.1; done
	d=$tmp/lac
	mkdir -p "$d"
	printf 'noauth\nname vpnuser\npassword vpnpass\nrp-udp 10.1.0.1:9\nrp-udp 10.2.0.1:9\n' >"$d/options"
	echo "* * x" >"$d/l2tp-secrets"
	cat >"$d/xl2tpd.conf" <<EOX
[global]
listen-addr = 198.18.63.1
port = 1701
auth file = $d/l2tp-secrets
[lac rampart]
lns = $srv
autodial = yes
redial = no
challenge = no
name = vpnuser
pppoptfile = $d/options
EOX
	echo "* * $SECRET" >"$d/l2tp-secrets"
	ip netns exec "$c" unshare -m --propagation private sh -c "mount --bind '$fake_pppd' /usr/sbin/pppd &&
		exec xl2tpd -D -c $d/xl2tpd.conf -s $d/l2tp-secrets -p $d/xl2tpd.pid -C $d/l2tp-control" >"$d/xl2tpd.log" 2>&1 &
	lac=$!
	if waitlog "vpnuser is up with" && sleep 1; then
		pass "h4 $(grep -m1 -o 'vpnuser is up with [0-9.]*' "$tmp/log") over plain L2TP (permit rule mgmt)"
		for _ in $(seq 30); do grep -q -- "-> 10.2.0.1:9" "$tmp/udp.log" && break; sleep 0.1; done
		grep -q -- "-> 10.2.0.1:9" "$tmp/udp.log" && pass "h5 UDP to 10.2.0.1 delivered: $(grep -c -- '-> 10.2.0.1:9' "$tmp/udp.log") datagrams" ||
			fail "h5 UDP to 10.2.0.1 not delivered: $(cat "$tmp/udp.log")"
		grep -q -- "-> 10.1.0.1" "$tmp/udp.log" && fail "h6 UDP to the blocked 10.1.0.1 delivered" || pass "h6 UDP to 10.1.0.1 not delivered"
		line=$(ctl show stats | grep '^policy:')
		grep -q "client packets blocked 3," <<<"$line" && pass "h7 counted: $line" || fail "h7 show stats: $line"
		grep -q "client traffic blocked by rule nolab" "$tmp/log" && pass "h8 the log names nolab" || fail "h8 no drop line naming nolab"
	else
		fail "h4 vpnuser did not log in over plain L2TP"
		log_tail
		tail -15 "$d/xl2tpd.log"
	fi
	kill "$lac" 2>/dev/null
	wait "$lac" 2>/dev/null
	lac=

	# i. a DNS name in a filter, answered by the test's DNS server: boot mode (block, with an
	# exemption) until it answers, then the filter follows the answer as it changes
	cat >"$tmp/dns.py" <<'EOP'
import socket, struct, sys, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
while True:
    q, src = s.recvfrom(512)
    try:
        ip = open(sys.argv[1]).read().strip()
    except OSError:
        continue  # no answer yet: the resolver times out
    qid, = struct.unpack("!H", q[:2])
    end = 12
    while q[end]:
        end += q[end] + 1
    question = q[12:end + 5]
    name = q[12:end]
    qtype, = struct.unpack("!H", q[end + 1:end + 3])
    if qtype != 1:
        s.sendto(struct.pack("!HHHHHH", qid, 0x8180, 1, 0, 0, 0) + question, src)
        continue
    ans = struct.pack("!HHHLH", 0xc00c, 1, 1, 1, 4) + socket.inet_aton(ip)
    s.sendto(struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + ans, src)
EOP
	ip netns exec "$s" python3 "$tmp/dns.py" "$tmp/dns.answer" &
	dns=$!
	for a in 10.3.0.1 10.3.0.2; do ip -n "$s" addr add $a/32 dev lo; done
	lac_run() { # OPTIONS-LINES: one session, its UDP sent at IPCP up, then the LAC goes
		printf "noauth\nname vpnuser\npassword vpnpass\n$1" >"$d/options"
		ip netns exec "$c" unshare -m --propagation private sh -c "mount --bind '$fake_pppd' /usr/sbin/pppd &&
			exec xl2tpd -D -c $d/xl2tpd.conf -s $d/l2tp-secrets -p $d/xl2tpd.pid -C $d/l2tp-control" >"$d/xl2tpd.log" 2>&1 &
		lac=$!
		for _ in $(seq 100); do grep -q "UDP sent" "$d/xl2tpd.log" && break; sleep 0.1; done
		sleep 1
		kill "$lac" 2>/dev/null
		wait "$lac" 2>/dev/null
		lac=
	}
	delivered() { grep -q -- "-> $1 " "$tmp/udp.log"; }
	st dynamic set config property=bootexemptions value=UDP:0:9:inbound &&
		st static add filterlist name=named &&
		st static add filter filterlist=named srcaddr=any dstaddr=files.policy.test &&
		st static add rule name=dnsblock policy=remote filterlist=named filteraction=deny conntype=dialup ||
		fail "i0 name filter refused"
	if waitlog "policy waits for DNS names"; then pass "i1 rampartd: policy waits for DNS names: boot mode applies"; else fail "i1 no wait for the name"; fi
	n0=$(wc -l <"$tmp/udp.log")
	lac_run 'rp-udp 10.2.0.1:9\nrp-udp 10.2.0.1:10\n'
	new=$(tail -n +$((n0 + 1)) "$tmp/udp.log")
	grep -q -- "-> 10.2.0.1:9 " <<<"$new" && pass "i2 boot mode block: the exemption UDP:0:9:inbound passes" || fail "i2 exempted UDP/9 not delivered: $new"
	grep -q -- "-> 10.2.0.1:10 " <<<"$new" && fail "i3 boot mode block let UDP/10 through" || pass "i3 boot mode block: UDP/10 dropped"
	line=$(ctl show stats | grep '^policy:')
	grep -q "in force no" <<<"$line" && grep -q "boot mode blocked [1-9]" <<<"$line" && pass "i4 $line" || fail "i4 show stats: $line"
	echo 10.3.0.1 >"$tmp/dns.answer"
	if waitlog "files.policy.test resolves to 10.3.0.1" && waitlog "policy in force"; then
		pass "i5 $(grep -m1 -o 'files.policy.test resolves to 10.3.0.1' "$tmp/log"), policy in force"
	else
		fail "i5 the name did not resolve"
		log_tail
	fi
	n0=$(wc -l <"$tmp/udp.log")
	lac_run 'rp-udp 10.3.0.1:9\nrp-udp 10.3.0.2:9\n'
	new=$(tail -n +$((n0 + 1)) "$tmp/udp.log")
	! grep -q -- "-> 10.3.0.1:9 " <<<"$new" && grep -q -- "-> 10.3.0.2:9 " <<<"$new" &&
		pass "i6 the name's address 10.3.0.1 blocked, 10.3.0.2 delivered" || fail "i6 name filter: $new"
	echo 10.3.0.2 >"$tmp/dns.answer"
	if waitlog "files.policy.test now resolves to 10.3.0.2"; then pass "i7 rampartd: files.policy.test now resolves to 10.3.0.2"; else fail "i7 the changed answer was not followed"; fi
	n0=$(wc -l <"$tmp/udp.log")
	lac_run 'rp-udp 10.3.0.1:9\nrp-udp 10.3.0.2:9\n'
	new=$(tail -n +$((n0 + 1)) "$tmp/udp.log")
	grep -q -- "-> 10.3.0.1:9 " <<<"$new" && ! grep -q -- "-> 10.3.0.2:9 " <<<"$new" &&
		pass "i8 after the change: 10.3.0.2 blocked, 10.3.0.1 delivered (sessions untouched)" || fail "i8 after the change: $new"
	kill "$lis" 2>/dev/null
	kill "$dns" 2>/dev/null
	lis= dns=
else
	fail "h xl2tpd or the test PPP client missing"
fi

stop
if grep -q 'ERROR: AddressSanitizer\|runtime error' "$tmp/log"; then
	fail "sanitizer report in the log"
	grep -m1 -A10 'ERROR: AddressSanitizer\|runtime error' "$tmp/log"
fi
[ $fails -eq 0 ] && echo "policy: OK" || echo "policy: $fails FAILED"
[ $fails -eq 0 ]
