#!/usr/bin/env bash
# Throughput through rampartd's real sockets and TUN device (issue 11), in four namespaces:
#
#   generator 198.18.1.2 ──veth── NAT (masquerade) ──veth── rampartd 203.0.113.1, TUN 100.64.0.1/16
#     rampart-load --traffic PPS:1400 --stream-to 100.65.0.2          │ (forwarding)
#                                                                     └──veth── sink 100.65.0.2
#
# The clients' 1400-byte UDP datagrams go through ESP-in-UDP, L2TP and PPP to rampartd, out of its
# TUN, and are routed to the sink, which counts them (an nftables counter) and drops them.
# --reverse: the sink sends (udp_blast, runs of 16 datagrams per client) to the clients' tunnel
# addresses through the TUN; rampartd encrypts; rampart-load counts what arrives.
#
#   tests/load/net_bench.sh [--bin BUILD] [--rampartd BIN] [--clients "1 10 1000"] [--seconds S] [--pps TOTAL] [--esp "gcm128 cbc128sha1"]
#                           [--set KEY=VALUE]... [--perf FILE] [--reverse [--sink-gso]] [--gen-gso] [--smoke]
#                           [--tshark]
#
# --gen-gso: each client's burst leaves rampart-load as one UDP GSO send, so that it reaches
# rampartd's NAT-T socket as one coalesced batch, as a network card's GRO hands it over (veth does
# not coalesce single sends); [server] udp_gro decides whether rampartd takes it whole.
# --sink-gso: udp_blast sends each run of 16 as one UDP GSO message, which reaches rampartd's TUN
# as one 22 KiB USO read when [server] tun_offload is on (cut by the kernel before the TUN if not).
# --pps is the offered rate of all clients together (default 400000); --set adds a line to
# rampartd's [server] section (e.g. --set udp_gso=no); --perf records rampartd with perf for the
# last run; --smoke: 2 clients, 2 s, a low rate, and a failure unless the sink saw >= 90% of it.
# --tshark: rampartd writes its key log and rampartd's link is captured; tshark (an independent
# ESP implementation) must decrypt, with that key log alone, L2TP from rampartd and the clients' data
# datagrams (to the sink's port 9) inside the ESP of each run (use with --set udp_gso=no --set
# udp_gro=no: a coalesced datagram is not one ESP packet on the capture).
# Per run one line:
#   net-run esp=.. clients=N up=N offered_gbps=.. delivered_gbps=.. loss_pct=.. daemon_cpu_s=..
#           gbps_per_core=.. gen_cpu_s=..
# and at the end, with rampart-bench path's in-memory rx figure of the same run:
#   net-bench gcm128_gbps_per_core=.. gcm128_ratio_to_path=.. cbc128sha1_gbps_per_core=..
#             cbc128sha1_ratio_to_path=.. offloads=..
# sent_gbps_per_core: the datagrams rampartd sent in the window (show stats) as 1400-byte packets
# per CPU second: --reverse's figure for rampartd alone when rampart-load cannot take them all.
# gbps_per_core = delivered bits / rampartd's CPU seconds (utime + stime from /proc/PID/stat) over
# the same interval; the per-core figure of the largest client count is the one on the last line.
# --esp lists the transforms measured: gcm128 (rampart-load --esp aes128gcm: ESP AES-GCM-128 with a
# 16-octet ICV, RFC 4106, which rampartd chooses first) and cbc128sha1 (--esp aes128sha1); both by
# default. A transform not measured is "n/a" on the last line.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$root/build/release
daemon= gengso= sinkgso=0 clients_list="1 10 1000" seconds=5 pps=400000 esps="gcm128 cbc128sha1" sets=() perf_out= smoke= reverse= tshark=
while [ $# -gt 0 ]; do
	case $1 in
	--bin) bin=$2; shift 2 ;;
	--rampartd) daemon=$2; shift 2 ;;
	--clients) clients_list=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--pps) pps=$2; shift 2 ;;
	--esp) esps=$2; shift 2 ;;
	--set) sets+=("$2"); shift 2 ;;
	--perf) perf_out=$2; shift 2 ;;
	--reverse) reverse=1; shift ;;
	--gen-gso) gengso=--gso; shift ;;
	--sink-gso) sinkgso=1; shift ;;
	--tshark) tshark=1; shift ;;
	--smoke) smoke=1; clients_list=2; seconds=2; pps=4000; shift ;;
	*) echo "net_bench.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
rampartd=${daemon:-$bin/server/rampartd} rampartctl=$bin/server/rampartctl load=$bin/server/rampart-load
bench=$bin/tests/rampart-bench blast=$bin/tests/udp_blast
for b in "$rampartd" "$rampartctl" "$load" ${reverse:+"$blast"}; do [ -x "$b" ] || { echo "net_bench.sh: no $b (build it)" >&2; exit 2; }; done
command -v nft >/dev/null || { echo "SKIP: no nft"; exit 77; }
[ -z "$tshark" ] || command -v tshark >/dev/null || { echo "SKIP: no tshark"; exit 77; }

g=rp-bg-$$ n=rp-bn-$$ s=rp-bs-$$ k=rp-bk-$$
umask 077
. "$root/tests/server/lib.sh"
lib_tmp ""
srvpid=
lib_on_exit '[ -z "$srvpid" ] || kill "$srvpid" 2>/dev/null'
fail() { echo "FAIL: $*" >&2; echo "--- rampartd log (tail)" >&2; tail -30 "$tmp/log" >&2 2>/dev/null || true; exit 1; }

ns_add "$g" "$n" "$s" "$k"
ns_link "$g" bg$$ 198.18.1.2 "$n" bn$$ 198.18.1.1
ns_link "$n" bt$$ 203.0.113.2 "$s" bs$$ 203.0.113.1
ns_link "$s" bk$$ 100.65.0.1 "$k" bq$$ 100.65.0.2
# GRO on rampartd's link, as a network card does it: veth runs GRO (NAPI) only when asked and only
# for packets from a peer without TSO (veth_skb_is_eligible_for_gro); [server] udp_gro decides
# whether the NAT-T socket takes the coalesced datagrams or the kernel cuts them up first
if command -v ethtool >/dev/null; then
	ip netns exec "$s" ethtool -K bs$$ gro on >/dev/null 2>&1 || true
	ip netns exec "$n" ethtool -K bt$$ tso off gso off >/dev/null 2>&1 || true
fi
ip -n "$g" route add 203.0.113.0/24 via 198.18.1.1
ip -n "$k" route add 100.64.0.0/16 via 100.65.0.1
ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$s" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$n" nft -f - <<EOF
table ip rpbench {
	chain post { type nat hook postrouting priority 100; oifname "bt$$" masquerade; }
}
EOF
ip netns exec "$k" nft -f - <<EOF
table ip rpsink {
	counter got {}
	chain pre { type filter hook prerouting priority -300; udp dport 9 counter name got drop; }
}
EOF
sink() { ip netns exec "$k" nft list counter ip rpsink got | sed -n 's/.*packets \([0-9]*\) bytes \([0-9]*\).*/\1 \2/p'; }
# A coalesced TUN write reaches the sink as one GSO packet with one IP + UDP header (28 bytes) for
# all its 1372-byte payloads: datagrams = (bytes - 28 * packets) / 1372, delivered bits 1400 each.

maxc=0
for c in $clients_list; do [ "$c" -le "$maxc" ] || maxc=$c; done
psk=bench-psk-$$
mkdir -m 700 "$tmp/state"
"$rampartctl" account -d "$tmp/state" add-many 'load%d' 1 "$maxc" load-pass >/dev/null || fail "accounts"

# the in-memory figure of the same run: ESP + L2TP + PPP in one thread, no sockets
path_line=
if [ -x "$bench" ] && [ -z "$smoke" ]; then
	path_line=$("$bench" path 20000 | grep '^path-bench ' || true)
	echo "$path_line"
fi
pathfig() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$path_line"; }

hz=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# datagrams rampartd has sent (show stats): what it encrypted towards the clients, delivered or not
udpsent() { ip netns exec "$s" "$rampartctl" -s "$tmp/ctl.sock" show stats 2>/dev/null | sed -n 's/^udp sent: \([0-9]*\) datagrams.*/\1/p'; }
declare -A per_core
offloads=none
run() { # esp clients
	local esp=$1 clients=$2
	cat >"$tmp/rampart.conf" <<EOF
[server]
listen = 203.0.113.1
tun_name = rpb$$
tun_address = 100.64.0.1/16
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
$(for x in "${sets[@]}"; do echo "${x%%=*} = ${x#*=}"; done)
[log]
ipsecdiagnostics = 1
$([ -z "$tshark" ] || echo "keylog = $tmp/keys")
[ike]
psk = $psk
[pool]
range = 100.64.0.10-100.64.255.250
EOF
	rm -f "$tmp/ctl.sock"
	ip netns exec "$s" "$rampartd" --foreground --config "$tmp/rampart.conf" 2>"$tmp/log" &
	srvpid=$!
	for _ in $(seq 100); do [ -S "$tmp/ctl.sock" ] && break; sleep 0.1; done
	[ -S "$tmp/ctl.sock" ] || fail "rampartd did not start"
	ip -n "$s" route replace 100.65.0.0/24 dev bk$$
	local espopt
	case $esp in
	gcm128) espopt="--esp aes128gcm" ;;
	cbc128sha1) espopt="--esp aes128sha1" ;;
	*) fail "--esp: gcm128 or cbc128sha1, not $esp" ;;
	esac
	local per=$(((pps + clients - 1) / clients))
	local tropt="--traffic $per:1400 --stream-to 100.65.0.2 $gengso"
	[ -z "$reverse" ] || tropt="--stream-to 100.65.0.3" # the clients only receive (no --traffic)
	: >"$tmp/out"
	local cap=
	if [ -n "$tshark" ]; then
		rm -f "$tmp/cap.pcapng" "$tmp/keys"
		ip netns exec "$s" tshark -q -i bs$$ -w "$tmp/cap.pcapng" -f "udp port 4500" >/dev/null 2>"$tmp/cap.err" &
		cap=$!
		for _ in $(seq 100); do grep -q "Capturing on" "$tmp/cap.err" 2>/dev/null && break; sleep 0.1; done
		sleep 0.3
	fi
	(
		for _ in $(seq 1200); do grep -q '^holding ' "$tmp/out" 2>/dev/null && break; sleep 0.05; done
		sleep 0.5 # every client's stream has started
		if [ -n "$reverse" ]; then
			ip netns exec "$k" "$blast" 100.64.0.10 "$clients" "$pps" "$seconds" 1400 16 "$sinkgso" >"$tmp/blast" &
			bpid=$!
		fi
		u0=$(udpsent)
		read -r p0 b0 < <(sink)
		c0=$(cpu "$srvpid") t0=$(date +%s.%N)
		if [ -n "$perf_out" ]; then
			perf record -q -g -o "$perf_out" -p "$srvpid" -- sleep "$seconds" >/dev/null 2>&1 || true
		else
			sleep "$seconds"
		fi
		read -r p1 b1 < <(sink)
		c1=$(cpu "$srvpid") t1=$(date +%s.%N)
		u1=$(udpsent)
		ip netns exec "$s" "$rampartctl" -s "$tmp/ctl.sock" show sas >"$tmp/sas" 2>/dev/null || true
		[ -z "$reverse" ] || wait "$bpid"
		echo "p0=$p0 b0=$b0 p1=$p1 b1=$b1 c0=$c0 c1=$c1 t0=$t0 t1=$t1 u0=$u0 u1=$u1" >"$tmp/fig"
	) &
	local mpid=$!
	local g0 g1
	set +e
	ip netns exec "$g" "$load" --server 203.0.113.1 --psk "$psk" --user 'load%d' --password load-pass \
		--clients "$clients" --rate 500 --hold $((seconds + 2)) --profile ios --timeout 60 --fixed-dh \
		$tropt $espopt --quiet >"$tmp/out" &
	local lpid=$!
	wait "$mpid"
	g0=$(awk '{print $14 + $15}' "/proc/$lpid/stat" 2>/dev/null || echo 0)
	wait "$lpid"
	set -e
	kill -0 "$srvpid" 2>/dev/null || fail "rampartd died"
	if [ -n "$cap" ]; then
		sleep 0.3
		kill "$cap" 2>/dev/null
		wait "$cap" 2>/dev/null || true
		mkdir -p "$tmp/ws/wireshark"
		cp "$tmp/keys" "$tmp/ws/wireshark/esp_sa" 2>/dev/null || fail "no key log"
		local from_srv from_cli
		from_srv=$(XDG_CONFIG_HOME=$tmp/ws tshark -r "$tmp/cap.pcapng" -o esp.enable_encryption_decode:TRUE \
			-Y "ip.src == 203.0.113.1 && esp && l2tp" 2>/dev/null | wc -l)
		from_cli=$(XDG_CONFIG_HOME=$tmp/ws tshark -r "$tmp/cap.pcapng" -o esp.enable_encryption_decode:TRUE \
			-Y "ip.dst == 203.0.113.1 && esp && l2tp && udp.dstport == 9" 2>/dev/null | wc -l)
		echo "net-tshark esp=$esp decrypted_l2tp_from_rampartd=$from_srv decrypted_data_from_clients=$from_cli"
		[ "$from_srv" -gt 0 ] && [ "$from_cli" -gt 0 ] || fail "tshark did not decrypt the ESP with rampartd's key log"
	fi
	offloads=$(sed -n 's/.*data path: \(.*\)$/\1/p' "$tmp/log" | head -1 | tr ' ' ',')
	[ -n "$offloads" ] || offloads=none
	# the transform measured is the one negotiated (show sas, taken at the window's end, names it)
	local want=AES-CBC-128/HMAC-SHA1-96 nsa
	[ "$esp" != gcm128 ] || want=AES-GCM-16-128/AEAD
	nsa=$(grep -c " $want " "$tmp/sas" || true)
	[ "$nsa" -gt 0 ] || fail "no SA pair with $want in show sas"
	local st
	st=$(ip netns exec "$s" "$rampartctl" -s "$tmp/ctl.sock" show stats 2>/dev/null | grep -E '^(udp|tun:) ' | tr '\n' ' ' || true)
	kill "$srvpid"
	wait "$srvpid" 2>/dev/null || true
	srvpid=
	local final
	final=$(grep '^load ' "$tmp/out" | tail -1)
	[ -n "$final" ] || fail "rampart-load printed no final line"
	. "$tmp/fig"
	local up tx tot
	up=$(sed -n 's/.* up=\([0-9]*\).*/\1/p' <<<"$final")
	tx=$(sed -n 's/.* tx_pkts=\([0-9]*\).*/\1/p' <<<"$final")
	local totb totp
	read -r totp totb < <(sink)
	tot=$(((totb - 28 * totp) / 1372))
	ip netns exec "$k" nft reset counter ip rpsink got >/dev/null
	if [ -n "$reverse" ]; then # udp_blast sent, rampart-load received, over the window
		tot=$(sed -n 's/.* rx_pkts=\([0-9]*\).*/\1/p' <<<"$final")
		tx=$(sed -n 's/blast sent=//p' "$tmp/blast")
		p0=0 b0=0 p1=$tot b1=$((tot * 1400)) per=$(((pps + up - 1) / (up ? up : 1)))
	fi
	local line
	line=$(awk -v p0="$p0" -v p1="$p1" -v b0="$b0" -v b1="$b1" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" \
		-v hz="$hz" -v tx="$tx" -v tot="$tot" -v pps="$per" -v n="$up" -v g="$g0" -v u0="${u0:-0}" -v u1="${u1:-0}" 'BEGIN {
		el = t1 - t0; cs = (c1 - c0) / hz; dg = (b1 - b0 - 28 * (p1 - p0)) / 1372; bits = dg * 1400 * 8
		printf "offered_gbps=%.3f delivered_gbps=%.3f loss_pct=%.2f daemon_cpu_s=%.2f gbps_per_core=%.3f sent_gbps_per_core=%.3f gen_cpu_s=%.2f delivered_pkts=%d",
			pps * n * 1400 * 8 / 1e9, bits / el / 1e9, (tx ? (tx - tot) * 100 / tx : 0), cs,
			(cs > 0 ? bits / cs / 1e9 : 0), (cs > 0 ? (u1 - u0) * 1400 * 8 / cs / 1e9 : 0), g / hz, dg }')
	echo "net-stats clients=$clients $st"
	echo "net-run esp=$esp dir=$([ -n "$reverse" ] && echo to-clients || echo from-clients) clients=$clients up=$up $line"
	per_core[$esp]=$(sed -n 's/.* gbps_per_core=\([0-9.]*\).*/\1/p' <<<"$line")
	if [ -n "$smoke" ]; then
		[ "$up" = "$clients" ] || fail "only $up of $clients clients came up"
		awk -v tx="$tx" -v tot="$tot" 'BEGIN { exit !(tx > 0 && tot >= tx * 0.9) }' ||
			fail "the sink saw $tot of $tx datagrams"
		# the coalesced batches were taken whole and cut apart by rampartd (udp_gro), and the
		# runs to one client left as GSO sends (udp_gso)
		if [ -n "$gengso" ] && grep -q 'tun_coalesce=on' <<<"$st"; then
			grep -q ' [1-9][0-9]* written coalesced' <<<"$st" || fail "no coalesced TUN write: $st"
		fi
		if [ -n "$gengso" ] && grep -q '(udp_gro=on)' <<<"$st"; then
			grep -q 'udp received: [1-9][0-9]* GRO batches' <<<"$st" || fail "no GRO batch: $st"
		fi
		if [ -n "$reverse" ] && grep -q '(udp_gso=on)' <<<"$st"; then
			grep -q ' [1-9][0-9]* GSO sends' <<<"$st" || fail "no GSO send: $st"
		fi
		if [ "$sinkgso" = 1 ] && grep -q 'tun_offload=tso+uso' <<<"$st"; then
			grep -q 'tun: [1-9][0-9]* packets cut' <<<"$st" || fail "no USO read cut: $st"
		fi
	fi
}
for esp in $esps; do
	for c in $clients_list; do run "$esp" "$c"; done
done
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.3f", a / b }'; }
dk=rx
[ -z "$reverse" ] || dk=tx # the path figure of the same direction
gp=$(pathfig gcm128_$dk) cp=$(pathfig cbc128sha1_$dk)
echo "net-bench gcm128_gbps_per_core=${per_core[gcm128]:-n/a} gcm128_ratio_to_path=$(ratio "${per_core[gcm128]:-}" "$gp") gcm128_path_$dk=${gp:-n/a} cbc128sha1_gbps_per_core=${per_core[cbc128sha1]:-n/a} cbc128sha1_ratio_to_path=$(ratio "${per_core[cbc128sha1]:-}" "$cp") cbc128sha1_path_$dk=${cp:-n/a} offloads=$offloads"
