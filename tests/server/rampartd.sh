#!/usr/bin/env bash
# rampartd as a user runs it, in a network namespace of its own: sockets, TUN, control socket,
# classification logging, a control client leaving early (SIGPIPE), SIGHUP reload (good and bad),
# SIGTERM, and the clear start-up errors.
set -euo pipefail
rampartd=$1 rampartctl=$2
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
ns=rp-srv-$$
umask 077 # the configurations below hold a PSK: rampartd refuses ones everyone can read
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}" $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- log" >&2; cat "$tmp"/log* >&2 2>/dev/null || true; exit 1; }
in_ns() { ip netns exec "$ns" "$@"; }

ip netns add "$ns"
in_ns ip link set lo up
in_ns ip addr add 198.18.0.1/32 dev lo

conf() { # level, extra lines
	cat <<EOC
[server]
listen = 198.18.0.1
tun_name = rpt0
tun_address = 198.18.5.1/24
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
[log]
ipsecdiagnostics = $1
[ike]
psk = test-psk
[pool]
range = 198.18.5.10-198.18.5.20
$2
EOC
}
conf 5 "" >"$tmp/rampart.conf"

# 1. --check-config: good file 0; a typo exits 2 with file:line: reason
"$rampartd" --check-config --config "$tmp/rampart.conf" >/dev/null || fail "valid config refused"
conf 5 "[ppp]
mur = 1400" >"$tmp/typo.conf"
set +e
"$rampartd" --check-config --config "$tmp/typo.conf" 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "typo config: exit $rc, expected 2"
grep -q "typo.conf:14: unknown key \"mur\" in \[ppp\]" "$tmp/err" || fail "no file:line: reason: $(cat "$tmp/err")"

# 1b. file modes (issue 10 item 7): a configuration holding the PSK that everyone can read, or a
# state directory others can write, is refused with the path and the mode
cp "$tmp/rampart.conf" "$tmp/open.conf"
chmod 644 "$tmp/open.conf"
set +e
"$rampartd" --check-config --config "$tmp/open.conf" 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "world-readable config with a PSK: exit $rc, expected 2"
grep -q "$tmp/open.conf: file mode 0644 lets everyone read the secrets in it" "$tmp/err" || fail "mode message: $(cat "$tmp/err")"
chmod 640 "$tmp/open.conf"
"$rampartd" --check-config --config "$tmp/open.conf" >/dev/null || fail "0640 config refused"
conf 5 "" | grep -v '^psk' >"$tmp/nopsk.conf"
chmod 644 "$tmp/nopsk.conf" # nothing secret in it: readable is fine, writable is not
"$rampartd" --check-config --config "$tmp/nopsk.conf" >/dev/null || fail "readable config without secrets refused"
chmod 664 "$tmp/nopsk.conf"
if "$rampartd" --check-config --config "$tmp/nopsk.conf" 2>"$tmp/err"; then fail "group-writable config accepted"; fi
grep -q "nopsk.conf: file mode 0664 lets its group write it" "$tmp/err" || fail "group-writable: $(cat "$tmp/err")"
mkdir -m 0777 "$tmp/openstate"
conf 3 "" | sed "s#$tmp/state#$tmp/openstate#; s#$tmp/ctl.sock#$tmp/ctl4.sock#; s/rpt0/rpt4/" >"$tmp/openstate.conf"
set +e
in_ns timeout 5 "$rampartd" --foreground --config "$tmp/openstate.conf" 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "world-writable state_dir: exit $rc, expected 1"
grep -q "$tmp/openstate: directory mode 0777 lets everyone write it" "$tmp/err" || fail "state_dir message: $(cat "$tmp/err")"
[ ! -e "$tmp/openstate/accounts.db" ] || fail "store created in a world-writable state_dir"

# 2. start; every socket is open
ip netns exec "$ns" "$rampartd" --foreground --config "$tmp/rampart.conf" 2>"$tmp/log" &
pid=$!
pids+=($pid)
for _ in $(seq 50); do [ -S "$tmp/ctl.sock" ] && break; sleep 0.1; done
[ -S "$tmp/ctl.sock" ] || fail "control socket never appeared"
udp=$(in_ns ss -uapn)
for port in 500 4500 1701; do
	grep -q "198.18.0.1:$port .*rampartd" <<<"$udp" || fail "UDP $port not open: $udp"
done
in_ns ss -wapn | grep -q 'rampartd' || fail "raw ESP socket not open: $(in_ns ss -wapn)"
in_ns ss -wapn | grep -Eq ':(50|esp) ' || fail "raw socket is not protocol 50: $(in_ns ss -wapn)"
in_ns ip -br addr show rpt0 | grep -q '198.18.5.1/24' || fail "TUN rpt0 has no address"
[ "$(stat -c %a "$tmp/ctl.sock")" = 600 ] || fail "control socket is not 0600"

# 3. packets are classified and logged at level 5
in_ns bash -c 'printf "\xff" >/dev/udp/198.18.0.1/4500'
in_ns bash -c 'printf "\x12\x34\x56\x78\x00\x00\x00\x01xxxxxxxx" >/dev/udp/198.18.0.1/4500'
in_ns bash -c 'printf "0123456789abcdef0123456789abcdef" >/dev/udp/198.18.0.1/500'
in_ns bash -c 'printf "\x00\x00\x00\x00" >/dev/udp/198.18.0.1/4500'
in_ns bash -c 'printf "\xc8\x02\x00\x14\x00\x00" >/dev/udp/198.18.0.1/1701'
in_ns bash -c 'printf x >/dev/udp/198.18.5.77/9' # routed into the TUN: no session there yet
for _ in $(seq 30); do grep -q 'tun from 198.18.5.1:0, 29 bytes' "$tmp/log" && break; sleep 0.1; done
grep -q 'natt-keepalive from 198.18.0.1:[0-9]*, 1 bytes' "$tmp/log" || fail "keepalive not logged"
grep -q 'esp-in-udp from .*spi 0x12345678' "$tmp/log" || fail "ESP-in-UDP not logged"
grep -q 'ike from .*32 bytes' "$tmp/log" || fail "IKE not logged"
grep -q 'drop from 198.18.0.1:[0-9]*: neither keepalive, IKE nor ESP' "$tmp/log" || fail "bad 4500 packet not dropped"
grep -q 'l2tp from .*plain' "$tmp/log" || fail "L2TP not logged"
grep -q 'tun from 198.18.5.1:0, 29 bytes' "$tmp/log" || fail "TUN packet not logged"

# 4. the control socket
out=$(in_ns "$rampartctl" -s "$tmp/ctl.sock" show config)
grep -q 'ike.psk = (set)' <<<"$out" || fail "show config: $out"
grep -q 'test-psk' <<<"$out" && fail "show config leaks the PSK"
out=$(in_ns "$rampartctl" -s "$tmp/ctl.sock" show stats)
grep -q '^natt-keepalive *seen 1' <<<"$out" || fail "show stats: $out"
in_ns "$rampartctl" -s "$tmp/ctl.sock" ipsec dynamic set config property=ipsecdiagnostics value=6 || fail "set diag"
in_ns "$rampartctl" -s "$tmp/ctl.sock" ipsec dynamic show config | grep -q 'ipsecdiagnostics = 6' || fail "diag not set"
if in_ns "$rampartctl" -s "$tmp/ctl.sock" ipsec dynamic set config property=ipsecdiagnostics value=8 2>"$tmp/err"; then
	fail "diag 8 accepted"
fi
grep -q '0-7' "$tmp/err" || fail "no reason for refusing 8"
if in_ns "$rampartctl" -s "$tmp/ctl.sock" frobnicate 2>/dev/null; then fail "unknown command accepted"; fi

# 4b. a client that goes before reading its answer (`rampartctl show sas | head -1`) must not end
# the daemon with SIGPIPE (issue 10). The client shuts its reading side before it sends the
# request, so the answer's write meets a closed reader every time, not only when a race is lost;
# then the same with a plain close right after the request.
pyrc=0
in_ns /usr/bin/python3 - "$tmp/ctl.sock" <<'EOPY' || pyrc=$?
import socket, sys, time
for req, rude in ((b"show config\n", "shut"), (b"show stats\n", "shut"), (b"show config\n", "close")) * 5:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(sys.argv[1])
    if rude == "shut":
        c.shutdown(socket.SHUT_RD)
    c.sendall(req)
    if rude == "shut":
        time.sleep(0.05)  # the daemon answers into the closed reader meanwhile
    c.close()
EOPY
sleep 0.2
kill -0 $pid 2>/dev/null || { rc=0; wait $pid || rc=$?; fail "rampartd died answering a client that had gone (exit $rc)"; }
[ $pyrc -eq 0 ] || fail "the early-leaving control client failed ($pyrc)"
grep -q 'answer not delivered: broken pipe' "$tmp/log" || fail "no answer met a closed reader: the test proves nothing"
in_ns "$rampartctl" -s "$tmp/ctl.sock" show config | grep -q 'ike.psk = (set)' || fail "no answer after a rude client"

# 5. SIGHUP: a bad file is refused and the old one kept; a good one is taken
cp "$tmp/rampart.conf" "$tmp/good.conf"
cp "$tmp/typo.conf" "$tmp/rampart.conf"
kill -HUP $pid
for _ in $(seq 30); do grep -q 'reload (SIGHUP) refused' "$tmp/log" && break; sleep 0.1; done
grep -q 'reload (SIGHUP) refused, keeping the running configuration: .*rampart.conf:14: unknown key "mur"' "$tmp/log" ||
	fail "bad reload not refused with reason"
kill -0 $pid || fail "rampartd died on a bad reload"
conf 4 "" >"$tmp/rampart.conf"
kill -HUP $pid
for _ in $(seq 30); do grep -q 'configuration reloaded' "$tmp/log" && break; sleep 0.1; done
grep -q 'configuration reloaded' "$tmp/log" || fail "good reload not taken"
in_ns "$rampartctl" -s "$tmp/ctl.sock" show config | grep -q 'log.ipsecdiagnostics = 4' || fail "reload not applied"

# 5b. a reload of a configuration that became world-readable is refused, the running one kept
chmod 644 "$tmp/rampart.conf"
kill -HUP $pid
for _ in $(seq 30); do grep -q 'reload (SIGHUP) refused.*mode 0644' "$tmp/log" && break; sleep 0.1; done
grep -q "reload (SIGHUP) refused, keeping the running configuration: $tmp/rampart.conf: file mode 0644" "$tmp/log" ||
	fail "world-readable reload not refused"
chmod 600 "$tmp/rampart.conf"

# 6. start-up failures: exit 1 with a clear message, not a crash
refused() { # label, message pattern, command...
	local label=$1 pat=$2 rc=0
	shift 2
	"$@" 2>"$tmp/err" || rc=$?
	[ $rc -eq 1 ] || fail "$label: exit $rc, expected 1"
	grep -q "$pat" "$tmp/err" || fail "$label: $(cat "$tmp/err")"
}
conf 3 "" | sed "s#$tmp/ctl.sock#$tmp/ctl2.sock#; s/rpt0/rpt1/" >"$tmp/second.conf"
refused "port taken" 'cannot listen on UDP 198.18.0.1:500: address already in use' \
	in_ns "$rampartd" --foreground --config "$tmp/second.conf"
# TUN that cannot be opened: the name of an existing non-TUN device
conf 3 "" | sed "s#$tmp/ctl.sock#$tmp/ctl3.sock#; s/rpt0/lo/; s/198.18.0.1/127.0.0.1/" >"$tmp/tun.conf"
refused "bad TUN" 'cannot create TUN device lo' in_ns "$rampartd" --foreground --config "$tmp/tun.conf"
refused "not root" 'must run as root' \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$rampartd" --foreground --config "$tmp/good.conf"

# 7. SIGTERM: exit 0 within a second, control socket removed
kill -TERM $pid
for _ in $(seq 10); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && fail "still running 1 s after SIGTERM"
wait $pid
rc=$?
[ $rc -eq 0 ] || fail "SIGTERM exit $rc"
[ ! -e "$tmp/ctl.sock" ] || fail "control socket left behind"
grep -q 'stopping (SIGTERM)' "$tmp/log" || fail "no stop line"
echo "rampartd skeleton: OK"
