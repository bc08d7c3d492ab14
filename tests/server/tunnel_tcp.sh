#!/usr/bin/env bash
# TCP MSS clamping (issue 11) on a real TCP connection through the tunnel: the client kernel's
# SYN (MSS 1460 from its 1500-byte TUN) and the server kernel's SYN-ACK (MSS 1360 from rampartd's
# 1400-byte TUN) both reach the other side with MSS 1240 ([ppp] mru = 1280, less 40 bytes), as
# tshark reads them on each end's TUN, with TCP checksums tshark verifies as good; 300 kB are
# echoed through the connection; `show stats` counts 2. Then mss_clamp = off by reload: the
# next SYN arrives with 1460 and the count stays.
#
#   tests/server/tunnel_tcp.sh RAMPARTD RAMPARTCTL RAMPART-LOAD
rampartd=${1:?usage: tunnel_tcp.sh RAMPARTD RAMPARTCTL RAMPART-LOAD} rampartctl=${2:?} load=${3:?}
. "$(dirname "$0")/tunnel_lib.sh"
command -v tshark >/dev/null || { echo "SKIP: no tshark"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }

tun_setup "[ppp]
mru = 1280"
tun_connect 60

cat >"$tmp/srv.py" <<'EOF'
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("100.64.7.1", 5001))
l.listen(4)
print("listening", flush=True)
while True:
    a, _ = l.accept()
    while True:
        d = a.recv(65536)
        if not d:
            break
        a.sendall(d)
    a.close()
EOF
cat >"$tmp/cli.py" <<'EOF'
import socket, threading
s = socket.create_connection(("100.64.7.1", 5001), timeout=20)
data = bytes(range(256)) * 1200
got = bytearray()
def rx():
    while True:
        d = s.recv(65536)
        if not d:
            return
        got.extend(d)
t = threading.Thread(target=rx)
t.start()
s.sendall(data)
s.shutdown(socket.SHUT_WR)
t.join()
print("echoed=%d ok=%d maxseg=%d" % (len(got), bytes(got) == data,
      s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)))
EOF
ip netns exec "$s" python3 "$tmp/srv.py" >"$tmp/srv.out" 2>&1 &
for _ in $(seq 50); do grep -q listening "$tmp/srv.out" && break; sleep 0.1; done

# capture SYNs on both TUNs: what rampartd wrote towards the server's kernel, and what
# rampart-load wrote towards the client's kernel (both after rampartd's clamping)
capture() { # NS IF FILE
	ip netns exec "$1" tshark -i "$2" -f "tcp port 5001" -w "$3" >"$3.log" 2>&1 &
	echo $!
	for _ in $(seq 100); do grep -q "Capturing on" "$3.log" && return; sleep 0.1; done
	fail "tshark did not start on $2"
}
syns() { # FILE: one line per SYN: "ack-flag mss checksum-status"
	tshark -r "$1" -o tcp.check_checksum:TRUE -Y "tcp.flags.syn == 1" \
		-T fields -e tcp.flags.ack -e tcp.options.mss_val -e tcp.checksum.status 2>/dev/null
}
run_client() {
	ip netns exec "$c" python3 "$tmp/cli.py" 2>&1 || fail "TCP through the tunnel failed"
}
stop_captures() {
	sleep 1
	kill -INT "$@" 2>/dev/null || true
	wait "$@" 2>/dev/null || true
}

p1=$(capture "$s" rps$$ "$tmp/srv.pcap")
p2=$(capture "$c" rpc$$ "$tmp/cli.pcap")
out=$(run_client)
echo "tcp: $out"
stop_captures "$p1" "$p2"
grep -q "echoed=307200 ok=1" <<<"$out" || fail "echo: $out"
srv_syn=$(syns "$tmp/srv.pcap")
cli_syn=$(syns "$tmp/cli.pcap")
echo "server TUN SYNs (ack mss checksum): $srv_syn"
echo "client TUN SYNs (ack mss checksum): $cli_syn"
# the client's SYN as the server's kernel received it: lowered from 1460, checksum good
grep -qx "0	1240	1" <<<"$srv_syn" ||
	fail "client SYN on the server's TUN: want MSS 1240 with a good checksum, got: $srv_syn"
# the server's SYN-ACK as the client's kernel received it: lowered from 1360
grep -qx "1	1240	1" <<<"$cli_syn" ||
	fail "SYN-ACK on the client's TUN: want MSS 1240 with a good checksum, got: $cli_syn"
# and what each kernel sent before rampartd: 1460 and 1360, so the change is rampartd's
grep -qx "0	1460	1" <<<"$cli_syn" || fail "the client's own SYN: want 1460, got: $cli_syn"
grep -Eq "^1	1360	" <<<"$srv_syn" || fail "the server's own SYN-ACK: want 1360, got: $srv_syn"
# the client's kernel took it: its segments fit the tunnel (1240 less 12 bytes of timestamps)
maxseg=$(sed -n 's/.*maxseg=\([0-9]*\).*/\1/p' <<<"$out")
[ "${maxseg:-9999}" -le 1240 ] || fail "client TCP_MAXSEG $maxseg > 1240"
ctl show stats | grep -qx "tcp: 2 syn mss clamped" || fail "show stats: $(ctl show stats | grep tcp:)"
[ "$(ctl --json show stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["l2tp"]["mss_clamped"])')" = 2 ] ||
	fail "JSON l2tp.mss_clamped"

# off, by reload: the next connection's SYN keeps its 1460 and nothing more is counted
sed -i 's/^mru = 1280$/mru = 1280\nmss_clamp = off/' "$tmp/rampart.conf"
ctl reload | grep -q "ppp.mss_clamp" || fail "reload did not apply ppp.mss_clamp"
p1=$(capture "$s" rps$$ "$tmp/srv2.pcap")
out=$(run_client)
stop_captures "$p1"
srv_syn=$(syns "$tmp/srv2.pcap")
echo "mss_clamp = off: server TUN SYNs: $srv_syn"
grep -qx "0	1460	1" <<<"$srv_syn" || fail "with mss_clamp = off want 1460, got: $srv_syn"
ctl show stats | grep -qx "tcp: 2 syn mss clamped" || fail "counted with mss_clamp = off"
echo "PASS: MSS clamped to 1240 both ways on a real TCP connection; off leaves 1460"
