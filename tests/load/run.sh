#!/usr/bin/env bash
# rampart-load against a real rampartd behind a NAT, in three network namespaces:
#
#   generator 198.18.1.2 (+ --sources more addresses) ──veth── NAT (nftables masquerade) ──veth──
#   rampartd 203.0.113.1, TUN 100.64.0.1/15, pool 100.64.0.10-100.65.255.250 (131,000 clients)
#
# No default routes: the generator has a route to 203.0.113.0/24 only; the server answers the
# masqueraded address on its link. Everything is torn down on exit.
#
#   tests/load/run.sh CLIENTS [--rampartd BIN] [--rampartctl BIN] [--load BIN] [--rate R]
#                     [--hold S] [--traffic PPS[:SIZE]] [--profile P] [--sources N] [--fixed-dh]
#                     [--idle S] [--timeout S] [--require-all]
#
# Binaries default to build/release/server/. Prints rampart-load's lines, then a last line
#   scale-bench clients=N up=N connect_per_s=.. ppp_up_p99_ms=.. rss_per_client_kib=..
#               idle_cpu_pct=.. show_sas_ms=..
# rss from /proc/PID/status of rampartd before the clients and while they are held; idle CPU from
# /proc/PID/stat over --idle seconds of holding without traffic; show_sas_ms times
# `rampartctl show sas` while every client is up. --require-all: exit 1 unless every client came
# up (and, with --traffic, at least one echo reply per echo-sending client came back).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
clients=${1:?usage: run.sh CLIENTS [options]}
shift
rampartd=$root/build/release/server/rampartd
rampartctl=$root/build/release/server/rampartctl
load=$root/build/release/server/rampart-load
rate=200 hold=5 traffic= profile=ios sources=1 fixed= idle=3 timeout=60 require_all=
while [ $# -gt 0 ]; do
	case $1 in
	--rampartd) rampartd=$2; shift 2 ;;
	--rampartctl) rampartctl=$2; shift 2 ;;
	--load) load=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--hold) hold=$2; shift 2 ;;
	--traffic) traffic=$2; shift 2 ;;
	--profile) profile=$2; shift 2 ;;
	--sources) sources=$2; shift 2 ;;
	--fixed-dh) fixed=--fixed-dh; shift ;;
	--idle) idle=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--require-all) require_all=1; shift ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
# rampart-load holds a socket per client (it raises its soft limit to the hard one): more clients
# than the hard limit allows (and it may not be raised here) are spread over several processes,
# each with its own accounts (--first) and source addresses
lim=$(ulimit -Hn)
[ "$lim" = unlimited ] && lim=1048576
[ "$lim" -ge $((clients + 1000)) ] || ulimit -Hn $((clients + 1000)) 2>/dev/null || true
lim=$(ulimit -Hn)
[ "$lim" = unlimited ] && lim=1048576
per=$((lim - 500))
procs=$(((clients + per - 1) / per))
if [ "$procs" -gt 1 ]; then
	sources=$((((sources > procs ? sources : procs) + procs - 1) / procs * procs))
	per=$(((clients + procs - 1) / procs))
fi
for b in "$rampartd" "$rampartctl" "$load"; do [ -x "$b" ] || { echo "run.sh: no $b (build it)" >&2; exit 2; }; done
command -v nft >/dev/null || { echo "SKIP: no nft"; exit 77; }

g=rp-lg-$$ n=rp-ln-$$ s=rp-ls-$$
umask 077
. "$root/tests/server/lib.sh"
lib_tmp ""
srvpid= mpid=
lib_on_exit '[ -z "$mpid" ] || kill "$mpid" 2>/dev/null; [ -z "$srvpid" ] || kill "$srvpid" 2>/dev/null'
fail() { echo "FAIL: $*" >&2; echo "--- rampartd log (tail)" >&2; tail -30 "$tmp/log" >&2 2>/dev/null || true; exit 1; }

ns_add "$g" "$n" "$s"
ns_link "$g" lg$$ 198.18.1.2 "$n" ln$$ 198.18.1.1
ns_link "$n" lt$$ 203.0.113.2 "$s" ls$$ 203.0.113.1
[ "$sources" -le 1 ] || for i in $(seq 1 "$sources"); do ip -n "$g" addr add "198.18.1.$((i + 9))/24" dev lg$$; done
ip -n "$g" route add 203.0.113.0/24 via 198.18.1.1
# the server's kernel answers the echoes through the TUN: lift its ICMP rate limits (1000/s
# globally by default), or --traffic measures the limiter instead of rampartd
ip netns exec "$s" sysctl -qw net.ipv4.icmp_ratelimit=0 2>/dev/null || true
ip netns exec "$s" sysctl -qw net.ipv4.icmp_msgs_per_sec=1000000 2>/dev/null || true
ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$n" sysctl -qw net.netfilter.nf_conntrack_max=1048576 2>/dev/null || true
# One NAT address maps at most ~64,500 flows to the server's one address and port, and nf_nat
# picks an address of a range by source and destination address only (every client of one
# generator address on one NAT address): each generator address gets its own NAT address,
# 203.0.113.2 up (a 100,000-client run with a 2-address range put 83,000 on one, 18,800 timed out).
# The generator's sockets need as many local ports: the whole range.
ip netns exec "$g" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
{
	printf 'table ip rpload {\nchain post { type nat hook postrouting priority 100;\n'
	if [ "$sources" -le 1 ]; then
		echo "oifname \"lt$$\" snat ip to 203.0.113.2"
	else
		for i in $(seq 1 "$sources"); do
			[ "$i" -eq 1 ] || ip -n "$n" addr add "203.0.113.$((i + 1))/24" dev lt$$
			echo "oifname \"lt$$\" ip saddr 198.18.1.$((i + 9)) snat ip to 203.0.113.$((i + 1))"
		done
	fi
	printf '}\n}\n'
} | ip netns exec "$n" nft -f -

psk=load-psk-$$
mkdir -m 700 "$tmp/state"
cat >"$tmp/rampart.conf" <<EOF
[server]
listen = 203.0.113.1
tun_name = rpl$$
tun_address = 100.64.0.1/15
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
[log]
ipsecdiagnostics = 1
[ike]
psk = $psk
[pool]
range = 100.64.0.10-100.65.255.250
EOF
"$rampartctl" account -d "$tmp/state" add-many 'load%d' 1 "$clients" load-pass >/dev/null || fail "accounts"

rampartd_start "$s" "$rampartd" "$tmp/rampart.conf" "$tmp/ctl.sock" "$tmp/log" || fail "rampartd did not start"
srvpid=$pid
rss() { awk '/^VmRSS/ {print $2}' "/proc/$srvpid/status"; }
cpu() { awk '{print $14 + $15}' "/proc/$srvpid/stat"; }
rss0=$(rss)
# Sized for bursts (issue 17): with the kernel defaults (208 KiB, 500 packets) a burst of 1000
# echoes lost ~30% in rampartd's UDP receive buffer and ~1% more in the TUN's queue
rb=$(ip netns exec "$s" ss -uamn 'sport = :4500' | sed -n 's/.*rb\([0-9]*\).*/\1/p' | head -1)
ql=$(ip -n "$s" -o link show "rpl$$" | sed -n 's/.* qlen \([0-9]*\).*/\1/p')
[ "${rb:-0}" -ge 4194304 ] || fail "rampartd's UDP receive buffer is ${rb:-?} bytes (want >= 4 MiB)"
[ "${ql:-0}" -ge 8192 ] || fail "rampartd's TUN queue is ${ql:-?} packets (want >= 8192)"

srcopt=
[ "$sources" -le 1 ] || srcopt="--source 198.18.1.10-198.18.1.$((sources + 9))"
tropt=
[ -z "$traffic" ] || tropt="--traffic $traffic"
# the figures while the clients are held: measured by a helper while rampart-load holds them
hold_total=$((hold + idle + 2))
(
	# wait until rampart-load says everyone is up or failed (it then holds), then measure
	for _ in $(seq $((timeout * 10 + clients / 5 + 100))); do
		[ "$(cat "$tmp"/out* 2>/dev/null | grep -c '^holding ')" -ge "$procs" ] && break
		sleep 0.1
	done
	sleep 1
	echo "rss1=$(rss)" >"$tmp/fig"
	c0=$(cpu) t0=$(date +%s.%N)
	sleep "$idle"
	c1=$(cpu) t1=$(date +%s.%N)
	hz=$(getconf CLK_TCK)
	echo "idle_cpu_pct=$(awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" -v hz="$hz" 'BEGIN {printf "%.1f", (b - a) / hz / (e - s) * 100}')" >>"$tmp/fig"
	s0=$(date +%s%N)
	ip netns exec "$s" "$rampartctl" -s "$tmp/ctl.sock" show sas >"$tmp/sas" 2>&1 || true
	s1=$(date +%s%N)
	echo "show_sas_ms=$(((s1 - s0) / 1000000))" >>"$tmp/fig"
	echo "sas_lines=$(wc -l <"$tmp/sas")" >>"$tmp/fig"
) &
mpid=$!
set +e
if [ "$procs" -le 1 ]; then
	ip netns exec "$g" "$load" --server 203.0.113.1 --psk "$psk" --user 'load%d' --password load-pass \
		--clients "$clients" --rate "$rate" --hold "$hold_total" --profile "$profile" --timeout "$timeout" \
		$fixed $srcopt $tropt | tee "$tmp/out"
	lrc=${PIPESTATUS[0]}
else
	# process i: clients i*per+1.., the rate shared, addresses 198.18.1.10+i*k .. +k-1
	k=$((sources / procs)) lpids=
	for i in $(seq 0 $((procs - 1))); do
		n_i=$((clients - i * per < per ? clients - i * per : per))
		a0=$((10 + i * k))
		ip netns exec "$g" "$load" --server 203.0.113.1 --psk "$psk" --user 'load%d' --password load-pass \
			--first $((i * per + 1)) --clients "$n_i" --rate $(((rate + procs - 1) / procs)) \
			--hold "$hold_total" --profile "$profile" --timeout "$timeout" $fixed $tropt \
			--source "198.18.1.$a0-198.18.1.$((a0 + k - 1))" >"$tmp/out.$i" &
		lpids="${lpids:+$lpids }$!"
	done
	# one progress line from the first process (every 10 s), then every final line, summed
	while kill -0 ${lpids%% *} 2>/dev/null; do
		sleep 10
		tail -1 "$tmp/out.0" | sed 's/^/[1 of '"$procs"'] /'
	done
	lrc=0
	for p in $lpids; do wait "$p" || lrc=$?; done
	grep -h '^holding\|^load ' "$tmp"/out.* | sed 's/^/process: /'
	grep -h '^holding ' "$tmp"/out.* | head -1 >"$tmp/out"
	# counts summed, connect rates summed (the processes ran side by side), latencies the worst
	grep -h '^load ' "$tmp"/out.* | awk '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); k = kv[1]; v = kv[2] + 0
			if (kv[2] !~ /^[0-9.]+$/) m[k] = (k in m) ? m[k] "," kv[2] : kv[2]
			else if (k ~ /_ms$/) { if (v > m[k]) m[k] = v } else m[k] += v
			if (!(k in seen)) { seen[k] = 1; order[++n] = k } }
		np++ }
		END { if (!np) exit; line = "load"
			for (i = 1; i <= n; i++) line = line " " order[i] "=" m[order[i]]
			print line " processes=" np }' >>"$tmp/out"
	grep '^load ' "$tmp/out"
fi
set -e
wait "$mpid" || true
kill -0 "$srvpid" 2>/dev/null || fail "rampartd died"
final=$(grep '^load ' "$tmp/out" | tail -1)
[ -n "$final" ] || fail "rampart-load printed no final line (exit $lrc)"
. "$tmp/fig" 2>/dev/null || true
up=$(sed -n 's/.* up=\([0-9]*\).*/\1/p' <<<"$final")
cps=$(sed -n 's/.* connect_per_s=\([0-9.]*\).*/\1/p' <<<"$final")
p99=$(sed -n 's/.* ppp_up_p99_ms=\([0-9]*\).*/\1/p' <<<"$final")
rpc=$(awk -v a="$rss0" -v b="${rss1:-$rss0}" -v n="$up" 'BEGIN {printf "%.2f", n ? (b - a) / n : 0}')
grep -E 'cannot|refus|ran out|limit|no free' "$tmp/log" | sed 's/^[^]]*] //' | sort | uniq -c | sort -rn | head -5 |
	sed 's/^/rampartd log: /' || true
echo "scale-bench clients=$clients up=$up connect_per_s=$cps ppp_up_p99_ms=$p99 rss_per_client_kib=$rpc idle_cpu_pct=${idle_cpu_pct:-?} show_sas_ms=${show_sas_ms:-?} sas_lines=${sas_lines:-?}"
if [ -n "$require_all" ]; then
	[ "$up" = "$clients" ] || fail "only $up of $clients clients came up"
	grep -q ' failed=0 dropped=0 ' <<<"$final" || fail "failures: $final"
	if [ -n "$traffic" ]; then
		rx=$(sed -n 's/.* rx_pkts=\([0-9]*\).*/\1/p' <<<"$final")
		[ "${rx:-0}" -gt 0 ] || fail "no echo reply came back: $final"
	fi
fi
exit 0
