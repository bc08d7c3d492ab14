#!/usr/bin/env bash
# ./run.sh as a newcomer runs it (in a namespace, with its config and state in a temp dir): it
# prints the four connection lines, leaves rampartd listening, and SIGTERM stops it with 0.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
ns=rp-run-$$
tmp=$(mktemp -d)
chmod 755 "$tmp" # as /etc and /var/lib: rampartd, once it is the rampart user, reads its config again on reload
cleanup() {
	for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$tmp/out" "$tmp/err" >&2 2>/dev/null || true; exit 1; }
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
export RAMPART_CONF=$tmp/etc/rampart.conf RAMPART_STATE=$tmp/state
ip netns exec "$ns" "$root/run.sh" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 600); do grep -q 'listening on' "$tmp/err" 2>/dev/null && break; kill -0 $pid 2>/dev/null || break; sleep 0.5; done
# listen = 0.0.0.0 expands to the namespace's addresses: here only 127.0.0.1
grep -q 'listening on 127.0.0.1 UDP 500/4500/1701 and ESP' "$tmp/err" || fail "rampartd did not start"
for k in server psk user password; do
	grep -Eq "^$k: .+" "$tmp/out" || fail "no '$k:' line"
done
[ "$(wc -l <"$tmp/out")" = 4 ] || fail "expected exactly four lines on stdout"
psk=$(sed -n 's/^psk: //p' "$tmp/out")
[ ${#psk} -ge 20 ] || fail "PSK too short: $psk"
user=$(sed -n 's/^user: //p' "$tmp/out")
"$root/build/release/server/rampartctl" account -d "$RAMPART_STATE" list | grep -q "^$user .*enabled" ||
	fail "demo account not in the store"
[ "$(stat -c '%a %G' "$RAMPART_CONF")" = "640 rampart" ] || fail "config with the PSK is not 0640 root:rampart"
grep -q '^user = rampart$' "$RAMPART_CONF" || fail "generated config does not run as rampart"
dpid=$(ip netns pids "$ns" | while read -r p; do [ "$(cat /proc/$p/comm)" = rampartd ] && echo $p; done)
grep -Eq "^Uid:\s+$(id -u rampart)\s" /proc/$dpid/status || fail "rampartd does not run as rampart"
grep -Eq '^CapEff:\s+0+$' /proc/$dpid/status || fail "rampartd kept capabilities"
udp=$(ip netns exec "$ns" ss -uapn)
for port in 500 4500 1701; do grep -q "127.0.0.1:$port .*rampartd" <<<"$udp" || fail "UDP $port: $udp"; done
ip netns exec "$ns" ss -wapn | grep -q rampartd || fail "no raw ESP socket"
# a second start reuses config, state and account, and prints the same credentials
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 0 ] || fail "exit $rc after SIGTERM"
cp "$tmp/out" "$tmp/out1"
# new files: the old err already says "listening on", and under load the loop below could read
# it before the second run's redirection has truncated it
rm -f "$tmp/out" "$tmp/err"
ip netns exec "$ns" "$root/run.sh" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 600); do grep -q 'listening on' "$tmp/err" 2>/dev/null && break; kill -0 $pid 2>/dev/null || break; sleep 0.5; done
cmp -s "$tmp/out" "$tmp/out1" || fail "second start printed other credentials: $(diff "$tmp/out1" "$tmp/out")"
kill -TERM $pid
wait $pid || fail "second run: exit $?"
echo "run.sh: OK"
