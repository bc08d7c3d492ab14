#!/usr/bin/env bash
# Per-account rate limit (issue 16) through the whole tunnel: the account is limited to RATE kbit/s
# each way (rampartctl account set tunuser rate=RATE/RATE); a paced UDP stream at twice that rate
# goes from the client's kernel through the tunnel to a sink behind rampartd's TUN, then the other
# way; each sink measures what was delivered over the steady state (its first second skipped) in
# inner IP bytes (UDP payload + 28), which is what the token bucket counts. Passes when both are
# within 5 % of RATE. The account without a limit then carries the same stream whole (so the
# figure above is the policer's, not the path's ceiling). Prints one line:
#   rate-limit kbit=R in_kbit=.. in_err_pct=.. out_kbit=.. out_err_pct=.. unlimited_in_kbit=..
#
#   tests/server/tunnel_rate.sh RAMPARTD RAMPARTCTL RAMPART-LOAD [RATE_KBIT [SECONDS]]
rampartd=${1:?usage: tunnel_rate.sh RAMPARTD RAMPARTCTL RAMPART-LOAD [RATE_KBIT [SECONDS]]}
rampartctl=${2:?} load=${3:?} rate=${4:-2000} secs=${5:-6}
. "$(dirname "$0")/tunnel_lib.sh"
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }

cat >"$tmp/udp.py" <<'EOF'
# send ADDR PORT KBIT SECONDS SIZE: paced UDP, SIZE-byte payloads, KBIT counted in IP bytes
# recv ADDR PORT SECONDS: prints "kbit=.. pkts=.." over [first packet + 1 s, last packet]
import socket, sys, time
mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "send":
    kbit, secs, size = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    gap = (size + 28) * 8 / (kbit * 1000)
    t0 = time.monotonic()
    n = 0
    payload = b"r" * size
    while time.monotonic() - t0 < secs:
        s.sendto(payload, (addr, port))
        n += 1
        delay = t0 + n * gap - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print("sent=%d" % n)
else:
    secs = float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((addr, port))
    print("ready", flush=True)
    s.settimeout(secs + 5)
    times = []
    try:
        while True:
            d = s.recv(65536)
            times.append((time.monotonic(), len(d) + 28))
            s.settimeout(1.5)  # the stream ended once nothing comes for this long
    except socket.timeout:
        pass
    if len(times) < 10:
        print("kbit=0 pkts=%d" % len(times))
        sys.exit(0)
    start = times[0][0] + 1.0
    w = [t for t in times if t[0] >= start]
    # bytes after the first packet of the window, over the time they took to arrive
    bits = sum(b for _, b in w[1:]) * 8
    print("kbit=%.1f pkts=%d" % (bits / (w[-1][0] - w[0][0]) / 1000, len(times)))
EOF

# measure DIR: "in" = client -> server-side sink, "out" = server ns -> client-side sink
measure() {
	local src dst addr
	if [ "$1" = in ]; then src=$c dst=$s addr=100.64.7.1; else src=$s dst=$c addr=100.64.7.10; fi
	ip netns exec "$dst" python3 "$tmp/udp.py" recv "$addr" 5002 "$secs" >"$tmp/recv.$1" 2>&1 &
	local rp=$!
	for _ in $(seq 50); do grep -q ready "$tmp/recv.$1" && break; sleep 0.1; done
	ip netns exec "$src" python3 "$tmp/udp.py" send "$addr" 5002 $((rate * 2)) "$secs" 1200 >/dev/null ||
		fail "sender $1"
	wait "$rp" || fail "receiver $1"
	sed -n 's/^kbit=\([0-9.]*\).*/\1/p' "$tmp/recv.$1"
}
errpct() { awk -v m="$1" -v r="$rate" 'BEGIN {printf "%.2f", (m - r) / r * 100}'; }
within5() { awk -v m="$1" -v r="$rate" 'BEGIN {d = (m - r) / r; exit !(d < 0.05 && d > -0.05)}'; }

tun_setup "" "rate=$rate/$rate"
tun_connect $((secs * 4 + 20))
in_k=$(measure in)
out_k=$(measure out)
echo "rate-limit kbit=$rate in_kbit=$in_k in_err_pct=$(errpct "$in_k") out_kbit=$out_k out_err_pct=$(errpct "$out_k") (offered $((rate * 2)) kbit/s each way, ${secs}s)"
within5 "${in_k:-0}" || fail "from the client: $in_k kbit/s delivered, limit $rate"
within5 "${out_k:-0}" || fail "to the client: $out_k kbit/s delivered, limit $rate"

# the same stream for an account without a limit: delivered whole (twice the limit, within 5 %)
"$rampartctl" account -d "$tmp/state" set tunuser rate= >/dev/null || fail "rate="
ctl disconnect account=tunuser >/dev/null
kill "$loadpid" 2>/dev/null; wait "$loadpid" 2>/dev/null || true
for _ in $(seq 50); do ctl show sas | grep -q 100.64.7.10 || break; sleep 0.1; done
tun_connect $((secs * 2 + 20))
free_k=$(measure in)
echo "unlimited_in_kbit=$free_k (offered $((rate * 2)))"
rate=$((rate * 2)) within5 "${free_k:-0}" || fail "without a limit: $free_k kbit/s delivered of $((rate * 2))"
echo "PASS: rate=$rate/$rate delivered $in_k in, $out_k out kbit/s (within 5 %); unlimited $free_k"
