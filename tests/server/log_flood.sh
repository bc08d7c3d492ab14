#!/usr/bin/env bash
# Log flooding (issue 12): N junk datagrams to UDP 500 and 4500 from as many spoofed source
# addresses must not write a line each. rampartd runs in a namespace at the default level (3);
# a sender namespace writes raw IPv4/UDP with sources from 100.64.0.0/10 over a veth.
#   log_flood.sh RAMPARTD [N] [LINE_BUDGET]   (N 20000, budget 50: small, so the budget binds;
#   "-" leaves the key out, for a daemon that predates it: figures only)
# Prints the figures; fails when more lines than the budget allows were written in the first
# interval, or when the next interval does not begin with the "suppressed" line.
set -euo pipefail
rampartd=$1 n=${2:-20000} budget=${3:-50}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
srv=rp-lf-s-$$ cli=rp-lf-c-$$
umask 077
. "$(dirname "$0")/lib.sh"
lib_tmp ""
fail() { echo "FAIL: $*" >&2; tail -20 "$tmp/log" >&2 2>/dev/null || true; exit 1; }

ns_add "$srv" "$cli"
ns_link "$srv" lf0 198.18.0.1 "$cli" lf1 198.18.0.2
# replies to the spoofed sources go nowhere, quietly (no default route)
ip -n "$srv" route add 100.64.0.0/10 dev lf0
ip netns exec "$srv" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.lf0.rp_filter=0
mac=$(ip -n "$srv" -br link show lf0 | awk '{print $3}')
ip -n "$cli" neigh add 198.18.0.1 lladdr "$mac" dev lf1

cat >"$tmp/rampart.conf" <<EOC
[server]
listen = 198.18.0.1
tun_name = rplf$$
tun_address = 198.18.5.1/24
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
[log]
ipsecdiagnostics = 3
$([ "$budget" = - ] || echo "line_budget = $budget")
[ike]
psk = test-psk
[pool]
range = 198.18.5.10-198.18.5.20
EOC
rampartd_start "$srv" "$rampartd" "$tmp/rampart.conf" "$tmp/ctl.sock" "$tmp/log" || fail "rampartd did not start"
before=$(wc -l <"$tmp/log")

send() { # count: junk IKE to 500 and junk ESP-in-UDP to 4500, each from its own source
	ip netns exec "$cli" python3 - "$1" <<'EOPY'
import os, socket, struct, sys
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
dst = socket.inet_aton("198.18.0.1")
def csum(b):
    if len(b) % 2: b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
for i in range(n):
    src = struct.pack("!I", 0x64400000 + 1 + i)
    port = 500 if i % 2 else 4500
    pay = os.urandom(40)
    if port == 4500:
        pay = b"\x00\x00\x10\x01" + pay  # ESP with an unknown SPI
    udp = struct.pack("!HHHH", 40000 + i % 20000, port, 8 + len(pay), 0) + pay
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    s.sendto(ip + udp, ("198.18.0.1", 0))
EOPY
}
t0=$(date +%s.%N)
send "$n"
sleep 1
t1=$(date +%s.%N)
lines=$(($(wc -l <"$tmp/log") - before))
cpu=$(awk '{print $14 + $15}' /proc/"$pid"/stat)
echo "figure: $n spoofed datagrams (line_budget $budget per 10 s): $lines log lines written"
echo "figure: rampartd CPU ticks so far: $cpu; sent in $(awk "BEGIN {print $t1 - $t0 - 1}") s"
[ "$budget" = - ] || [ "$budget" -eq 0 ] && exit 0
[ "$lines" -le "$budget" ] || fail "$lines lines written, over the budget of $budget"
# the next interval begins with the count of what was suppressed
sleep 10
send 2
for _ in $(seq 30); do grep -q 'log lines suppressed' "$tmp/log" && break; sleep 0.1; done
grep 'log lines suppressed' "$tmp/log" || fail "no 'suppressed' line"
