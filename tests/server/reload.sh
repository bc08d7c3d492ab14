#!/usr/bin/env bash
# A reload must hand the running cores the new configuration, and must never leave them reading
# the freed snapshot (issue 10: the IKE core kept pointers into the start-up configuration, so
# after a SIGHUP the real PSK was refused and a PSK of as many zero bytes was accepted; the L2TP
# tunnel secret the same way). The real rampartd in a namespace, probed over real sockets by
# ikeprobe (the test IKEv1 initiator and a minimal L2TP LAC) and by strongSwan's charon.
#
# usage: reload.sh RAMPARTD RAMPARTCTL IKEPROBE   (RELOAD_KEEP=1 keeps the work directory)
# Prints PASS/FAIL per check and exits 1 when one failed. If rampartd dies (an ASan report on a
# use after free), the failure is reported with the log, and rampartd is started again and
# reloaded once, so the later checks still say something.
set -uo pipefail
rampartd=$1 rampartctl=$2 probe=$3
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v ip >/dev/null || { echo "missing ip (iproute2)"; exit 1; }

. "$(dirname "$0")/lib.sh"
tag=rprl$$
c=${tag}c s=${tag}s
lib_tmp RELOAD_KEEP
umask 077 # the configuration holds the PSK: rampartd refuses a world-readable one
pid=

# client namespace (probe, charon) and server namespace (rampartd), one veth between them
ns_pair $tag 198.18.60.1 198.18.60.2
srv=198.18.60.2

PSK1=reload-psk-0123456789abc  # 24 characters
PSK2=rotated-psk-9876543210xyz # the rotated one, also 24
ZERO24=$(printf '00%.0s' $(seq 24))
SECRET=l2tp-secret-0123456789ab # 24 characters
IKE_EXTRA=""  # lines added to [ike]
L2TP_EXTRA="" # lines added to [l2tp]

conf() { # psk
	cat <<EOC
[server]
listen = $srv
tun_name = rpr0
tun_address = 198.18.61.1/24
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
raw_esp = no
[log]
ipsecdiagnostics = 6
ikelogging = yes
[ike]
psk = $1
$IKE_EXTRA
[l2tp]
allow_plain = yes
tunnel_secret = $SECRET
$L2TP_EXTRA
[pool]
range = 198.18.61.10-198.18.61.20
EOC
}

log_tail() { echo "--- rampartd log (last 40 lines)"; tail -40 "$tmp/log"; echo "---"; }
reloads() { grep -c 'configuration reloaded' "$tmp/log" 2>/dev/null || true; }

start() {
	logstart=$(wc -l <"$tmp/log")
	rampartd_start "$s" "$rampartd" "$tmp/rampart.conf" "$tmp/ctl.sock" "$tmp/log" && return 0
	echo "rampartd did not start"
	log_tail
	exit 1
}
# reload hup|ctl: and wait until rampartd says it took the file
reload() {
	local n
	n=$(reloads)
	if [ "$1" = hup ]; then
		kill -HUP "$pid"
	else
		ip netns exec "$s" "$rampartctl" -s "$tmp/ctl.sock" reload >/dev/null
	fi
	for _ in $(seq 50); do [ "$(reloads)" -gt "$n" ] && return 0; sleep 0.1; done
	fail "reload ($1) not taken"
	log_tail
}
# the daemon must still run; if it died, say so (once per death) and start it again, reloaded
alive() { # check-label
	kill -0 "$pid" 2>/dev/null && return 0
	wait "$pid" 2>/dev/null
	fail "$1: rampartd died (exit $?)"
	tail -n +$((logstart + 1)) "$tmp/log" | grep -m1 -A12 'ERROR: AddressSanitizer' | sed 's/^/    /'
	echo "    (restarting rampartd and reloading it once, so the next checks still run)"
	echo "==== restart" >>"$tmp/log"
	start
	reload hup
	return 1
}
probe() { ip netns exec "$c" "$probe" --server "$srv" "$@"; }
# expect ok|refused LABEL probe-args...
expect() {
	local want=$1 label=$2 out rc
	shift 2
	out=$(probe "$@" 2>&1)
	rc=$?
	last_out=$out
	alive "$label" || return
	if { [ "$want" = ok ] && [ $rc -eq 0 ]; } || { [ "$want" = refused ] && [ $rc -eq 1 ]; }; then
		pass "$label: $(tail -1 <<<"$out")"
	else
		fail "$label (want $want, probe exit $rc): $(tail -3 <<<"$out" | tr '\n' ' ')"
		log_tail
	fi
}

conf "$PSK1" >"$tmp/rampart.conf"
: >"$tmp/log"
start

# a. before any reload
expect ok "a1 before reload: right PSK, Main Mode + Quick Mode" --psk "$PSK1" --quick
expect refused "a2 before reload: 24 zero bytes as PSK refused" --psk-hex "$ZERO24" --timeout-ms 2000
expect ok "a3 before reload: group 14 (MODP2048, a default group) accepted" --psk "$PSK1" --group 14
expect ok "a4 before reload: L2TP SCCRP answers our challenge with the tunnel secret" --l2tp --secret "$SECRET"
grep -q "window 8" <<<"$last_out" || fail "a5 before reload: SCCRP Receive Window is not the default 8: $last_out"

# b. SIGHUP, file unchanged
reload hup
expect ok "b1 after SIGHUP: right PSK, Main Mode + Quick Mode" --psk "$PSK1" --quick
expect refused "b2 after SIGHUP: 24 zero bytes as PSK refused (bypass regression)" --psk-hex "$ZERO24" --timeout-ms 2000
expect ok "b3 after SIGHUP: 50 handshakes in a row" --psk "$PSK1" --quick --count 50

# f. the L2TP tunnel secret after a reload (RFC 2661 §5.1.1: MD5(2 || secret || challenge))
reload hup
expect ok "f1 after SIGHUP: L2TP SCCRP Challenge Response uses the real tunnel secret" --l2tp --secret "$SECRET"
expect refused "f2 after SIGHUP: a LAC with 24 zero bytes as secret fails tunnel authentication" \
	--l2tp --secret-hex "$ZERO24"

# c. rotate the PSK in the file, rampartctl reload
conf "$PSK2" >"$tmp/rampart.conf"
reload ctl
expect refused "c1 after rotation: the old PSK refused" --psk "$PSK1" --timeout-ms 2000
expect ok "c2 after rotation: the new PSK accepted (Main Mode + Quick Mode)" --psk "$PSK2" --quick
expect refused "c3 after rotation: 24 zero bytes as PSK refused" --psk-hex "$ZERO24" --timeout-ms 2000

# d. dh_groups 19 20: group 14 refused, with a log line naming it; 19 accepted
IKE_EXTRA="dh_groups = 19 20"
conf "$PSK2" >"$tmp/rampart.conf"
reload ctl
mark=$(wc -l <"$tmp/log")
out=$(probe --psk "$PSK2" --group 14 --timeout-ms 2000 2>&1)
rc=$?
if alive "d1 dh_groups = 19 20: group 14 refused"; then
	if [ $rc -eq 1 ] && grep -q "NO-PROPOSAL-CHOSEN" <<<"$out"; then
		pass "d1 dh_groups = 19 20: group 14 refused: $out"
	else
		fail "d1 dh_groups = 19 20: group 14 not refused with NO-PROPOSAL-CHOSEN (probe exit $rc): $out"
	fi
	line=$(tail -n +$((mark + 1)) "$tmp/log" | grep 'NO-PROPOSAL-CHOSEN' | grep 'MODP2048' | head -1)
	if [ -n "$line" ]; then
		pass "d2 rampartd's log names the refused group: $line"
	else
		fail "d2 no log line refusing MODP2048 (group 14)"
		tail -n +$((mark + 1)) "$tmp/log" | tail -20
	fi
fi
expect ok "d3 dh_groups = 19 20: group 19 accepted" --psk "$PSK2" --group 19 --quick
# issue 10 item 8: dh_groups bounds Quick Mode's PFS group too (MODP-1024 stayed allowed there)
expect refused "d4 dh_groups = 19 20: Quick Mode with PFS group 2 refused" --psk "$PSK2" --group 19 --quick --pfs 2 --timeout-ms 2000
expect ok "d5 dh_groups = 19 20: Quick Mode with PFS group 19 accepted" --psk "$PSK2" --group 19 --quick --pfs 19

# g. lifetimes and the L2TP receive window change with a reload too
IKE_EXTRA="dh_groups = 19 20
phase1_lifetime = 7200
phase2_lifetime = 1800"
L2TP_EXTRA="receive_window = 4"
conf "$PSK2" >"$tmp/rampart.conf"
reload hup
mark=$(wc -l <"$tmp/log")
expect ok "g1 phase2_lifetime = 1800 after SIGHUP: Quick Mode completes" --psk "$PSK2" --group 19 --quick
if grep -q "responder lifetime 1800 s" <<<"$last_out"; then
	pass "g2 phase2_lifetime = 1800 after SIGHUP: RESPONDER-LIFETIME 1800 s in QM2"
else
	fail "g2 phase2_lifetime = 1800 after SIGHUP: no RESPONDER-LIFETIME of 1800 s in QM2: $last_out"
fi
if tail -n +$((mark + 1)) "$tmp/log" | grep -q "Main Mode with .* established: .* life 7200 s"; then
	pass "g3 phase1_lifetime = 7200 after SIGHUP: Main Mode established with life 7200 s"
else
	fail "g3 phase1_lifetime = 7200 after SIGHUP: $(tail -n +$((mark + 1)) "$tmp/log" | grep -m1 'Main Mode with .* established' || echo 'no Main Mode established')"
fi
expect ok "g4 receive_window = 4 after SIGHUP: L2TP tunnel set-up" --l2tp --secret "$SECRET"
if grep -q "window 4)" <<<"$last_out"; then
	pass "g5 receive_window = 4 after SIGHUP: the SCCRP advertises 4"
else
	fail "g5 receive_window = 4 after SIGHUP: the SCCRP does not advertise 4: $last_out"
fi

# e. strongSwan's charon as the initiator after a SIGHUP: right PSK established, wrong PSK not
charon_run() { # psk; prints swanctl + charon log to $tmp/charon.all
	charon_start "$c" "$tmp"
	charon_conf_psk "$tmp" aes256-sha1-ecp256,aes128-sha1-ecp384 aes256-sha1,aes128-sha1 "$1" 198.18.60.1 "$srv"
	charon_initiate "$c" "$tmp"
}
if [ -x /usr/lib/ipsec/charon ] && command -v swanctl >/dev/null; then
	reload hup
	charon_run "$PSK2"
	if alive "e1 charon after SIGHUP: right PSK"; then
		if charon_established "$tmp"; then
			pass "e1 charon after SIGHUP: right PSK, $(charon_proposal "$tmp")"
		else
			fail "e1 charon after SIGHUP: right PSK did not establish Main Mode"
			tail -15 "$tmp/charon.all"
			log_tail
		fi
	fi
	charon_run "wrong-psk-$PSK2"
	if alive "e2 charon after SIGHUP: wrong PSK"; then
		if charon_established "$tmp"; then
			fail "e2 charon after SIGHUP: a wrong PSK established Main Mode"
		else
			pass "e2 charon after SIGHUP: wrong PSK refused"
		fi
	fi
else
	fail "e charon missing (tests/deps/test-ike.txt: strongswan-charon, strongswan-swanctl)"
fi

# the daemon survived all of it, and stops cleanly
if kill -0 "$pid" 2>/dev/null; then
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	if [ $rc -eq 0 ]; then
		pass "z rampartd exits 0 on SIGTERM"
	else
		fail "z rampartd exit $rc on SIGTERM"
		log_tail
	fi
fi
pid=
sanitizer_check "$tmp/log"
[ $fails -eq 0 ] && echo "reload: all passed" || echo "reload: $fails failed"
[ $fails -eq 0 ]
