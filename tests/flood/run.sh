#!/usr/bin/env bash
# The flood test (issue 12): rampart-load connects CLIENTS real L2TP/IPsec clients through a NAT
# while rampart-flood sends spoofed IKE first messages, garbage MM3s, random bytes to 500/4500/1701
# and unknown-SPI ESP at rampartd from a namespace of its own; then the same without the flood.
#
#   clients 198.18.1.2 ──veth── NAT (masquerade) ──veth── rampartd 203.0.113.1 ──veth── flood 198.19.0.2
#                                                           (spoofed sources 198.19.128.0/17 routed
#                                                            back to the flood namespace, unread;
#                                                            some from the NAT's 203.0.113.2)
#
#   tests/flood/run.sh CLIENTS [--rampartd BIN] [--rampartctl BIN] [--load BIN] [--flood BIN]
#                      [--rate R] [--flood-rate PPS] [--profile P] [--timeout S] [--rss-max KIB]
#                      [--warmup S] [--nat-share PCT] [--dh-rate R] [--nice N] [--sender-min PPS]
#                      [--require-all]
#   tests/flood/run.sh --rss-probe N [--rampartd BIN] [--rampartctl BIN] [--flood BIN] [--old-conf]
#
# Binaries default to build/release/. The last line is
#   flood-bench rate_pps=.. legit_up=UP/N p99_ms_noflood=.. p99_ms_flood=.. rss_kib=.. cpu_pct=..
# (rate_pps: what the sender achieved; p99: rampart-load's PPP-up p99; rss_kib: rampartd's largest
# RSS sampled during the flood; cpu_pct: rampartd's CPU share while the flooded clients connected).
# --warmup S: seconds of flood before the clients start (default 2).
# --nat-share PCT: that share of the flood (default 20 %) carries the NAT's own address as source,
#   as an attacker behind the clients' NAT (or spoofing it) would send.
# --dh-rate R: on top, R first messages a second from the flood namespace's own address proposing
#   MODP-4096, each MM2 answered with an MM3 that costs the server a whole DH (default 200).
# --nice N: run rampartd at that nice value (e.g. -10: on a host busy with other work, as if it had
#   its core; the sender and the clients still share the machine with it).
# --require-all: exit 1 unless every client came up in both runs, RSS stayed under --rss-max and the
#   sender reached --sender-min packets/s (default 90 % of --flood-rate).
# --rss-probe N: no clients; N first messages padded by a junk transform to ~60 KB (the review's),
# then N padded to the largest SA payload accepted, with RSS after each: prints
#   rss-probe n=N padded60k_kib=.. padded60k_per_sa_b=.. max_accepted_kib=.. max_accepted_per_sa_b=..
# (--old-conf: a configuration without the admission keys, for a build from before them).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
clients=0 probe=0
case ${1:-} in
--rss-probe) probe=${2:?}; shift 2 ;;
[0-9]*) clients=$1; shift ;;
*) echo "usage: run.sh CLIENTS [options] | run.sh --rss-probe N [options]" >&2; exit 2 ;;
esac
rampartd=$root/build/release/server/rampartd
rampartctl=$root/build/release/server/rampartctl
load=$root/build/release/server/rampart-load
flood=$root/build/release/tests/flood/rampart-flood
rate=50 frate=12000 profile=ios timeout=60 require_all= rss_max=98304 old_conf= warmup=2 nat_pct=20 dh_rate=200 nice=0
while [ $# -gt 0 ]; do
	case $1 in
	--rampartd) rampartd=$2; shift 2 ;;
	--rampartctl) rampartctl=$2; shift 2 ;;
	--load) load=$2; shift 2 ;;
	--flood) flood=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--flood-rate) frate=$2; shift 2 ;;
	--profile) profile=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--rss-max) rss_max=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	--nat-share) nat_pct=$2; shift 2 ;;
	--dh-rate) dh_rate=$2; shift 2 ;;
	--nice) nice=$2; shift 2 ;;
	--sender-min) sender_min=$2; shift 2 ;;
	--require-all) require_all=1; shift ;;
	--old-conf) old_conf=1; shift ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
for b in "$rampartd" "$rampartctl" "$flood"; do [ -x "$b" ] || { echo "run.sh: no $b (build it)" >&2; exit 2; }; done
[ "$probe" -gt 0 ] || [ -x "$load" ] || { echo "run.sh: no $load (build it)" >&2; exit 2; }
command -v nft >/dev/null || { echo "SKIP: no nft"; exit 77; }

g=rp-fg-$$ n=rp-fn-$$ s=rp-fs-$$ f=rp-ff-$$
umask 077
. "$root/tests/server/lib.sh"
lib_tmp ""
srvpid= fpid= spid=
# FLOOD_KEEP=DIR keeps rampartd's log and the tools' output for a look afterwards
lib_on_exit 'for p in $fpid $spid $srvpid; do kill "$p" 2>/dev/null || true; done
	[ -z "${FLOOD_KEEP:-}" ] || cp "$tmp"/log "$tmp"/*.out "$FLOOD_KEEP"/ 2>/dev/null || true'
fail() { echo "FAIL: $*" >&2; echo "--- rampartd log (tail)" >&2; tail -20 "$tmp/log" >&2 2>/dev/null || true; exit 1; }

ns_add "$g" "$n" "$s" "$f"
ns_link "$g" fg$$ 198.18.1.2 "$n" fn$$ 198.18.1.1
ns_link "$n" ft$$ 203.0.113.2 "$s" fs$$ 203.0.113.1
ns_link "$s" fx$$ 198.19.0.1 "$f" ff$$ 198.19.0.2
ip -n "$g" route add 203.0.113.0/24 via 198.18.1.1
ip -n "$f" route add 203.0.113.1/32 via 198.19.0.1
# answers to the spoofed sources go back to the flood namespace, which does not forward: dropped
ip -n "$s" route add 198.19.128.0/17 via 198.19.0.2
ip netns exec "$s" sysctl -qw net.ipv4.conf.all.rp_filter=0 2>/dev/null || true
ip netns exec "$s" sysctl -qw net.ipv4.conf.fx$$.rp_filter=0 2>/dev/null || true
ip netns exec "$s" sysctl -qw net.ipv4.ipfrag_high_thresh=67108864 2>/dev/null || true
ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$n" nft -f - <<EOF2
table ip rpflood {
	chain post { type nat hook postrouting priority 100; oifname "ft$$" masquerade; }
}
EOF2

psk=flood-psk-$$
mkdir -m 700 "$tmp/state"
{
	cat <<EOF2
[server]
listen = 203.0.113.1
tun_name = rpf$$
tun_address = 100.64.0.1/16
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
[log]
ipsecdiagnostics = 1
[ike]
psk = $psk
EOF2
	# the probe sends every first message from one address
	[ "$probe" -eq 0 ] || [ -n "$old_conf" ] || echo "max_halfopen_per_ip = 1000000"
	echo "[pool]"
	echo "range = 100.64.0.10-100.64.255.250"
} >"$tmp/rampart.conf"
if [ "$clients" -gt 0 ]; then
	"$rampartctl" account -d "$tmp/state" add-many 'fl%d' 1 "$clients" load-pass >/dev/null || fail "accounts"
	"$rampartctl" account -d "$tmp/state" add-many 'nf%d' 1 "$clients" load-pass >/dev/null || fail "accounts"
fi
ip netns exec "$s" nice -n "$nice" "$rampartd" --foreground --config "$tmp/rampart.conf" 2>"$tmp/log" &
srvpid=$!
for _ in $(seq 100); do [ -S "$tmp/ctl.sock" ] && break; sleep 0.1; done
[ -S "$tmp/ctl.sock" ] || fail "rampartd did not start"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$srvpid/status"; }
cpu() { awk '{print $14 + $15}' "/proc/$srvpid/stat"; }
ctl() { ip netns exec "$s" "$rampartctl" -s "$tmp/ctl.sock" "$@"; }

if [ "$probe" -gt 0 ]; then
	r0=$(rss)
	ip netns exec "$f" "$flood" --dst 203.0.113.1 --padded "$probe" --pad 60000 --interval-us 300
	sleep 1
	r1=$(rss)
	h1=$(ctl show sas 2>/dev/null | wc -l || true)
	# SA payload body = 64 + pad: the largest accepted by default (ike.max_sa_payload 2048)
	ip netns exec "$f" "$flood" --dst 203.0.113.1 --padded "$probe" --pad 1984 --interval-us 100
	sleep 1
	r2=$(rss)
	kill -0 "$srvpid" 2>/dev/null || fail "rampartd died"
	ctl show stats | grep -E '^ike (negotiations|admission)' | sed 's/^/rampartd: /' || true
	echo "rss-probe n=$probe rss0_kib=$r0 padded60k_kib=$((r1 - r0)) padded60k_per_sa_b=$(((r1 - r0) * 1024 / probe)) max_accepted_kib=$((r2 - r1)) max_accepted_per_sa_b=$(((r2 - r1) * 1024 / probe))"
	exit 0
fi

# one run of rampart-load; prints its final line into $tmp/$1.out
run_load() {
	local tag=$1 user=$2
	ip netns exec "$g" "$load" --server 203.0.113.1 --psk "$psk" --user "$user" --password load-pass \
		--clients "$clients" --rate "$rate" --hold 1 --profile "$profile" --timeout "$timeout" \
		>"$tmp/$tag.out" 2>&1 || true
	grep '^load ' "$tmp/$tag.out" | tail -1
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }

# 1. with the flood (first, so the clients' address has no recent success to be preferred for)
echo 0 >"$tmp/rssmax"
(
	m=0
	while kill -0 "$srvpid" 2>/dev/null; do
		r=$(awk '/^VmRSS/ {print $2}' "/proc/$srvpid/status" 2>/dev/null || echo 0)
		[ "${r:-0}" -le "$m" ] || { m=$r; echo "$m" >"$tmp/rssmax"; }
		sleep 0.2
	done
) &
spid=$!
rss0=$(rss)
ip netns exec "$f" "$flood" --dst 203.0.113.1 --rate "$frate" --seconds $((timeout + warmup + 60)) \
	--spoof 198.19.128.0/17 --also "203.0.113.2:$nat_pct" --dh-rate "$dh_rate" >"$tmp/flood.out" 2>&1 &
fpid=$!
sleep "$warmup" # the flood at full rate, the half-open table at its cap before the clients come
c0=$(cpu) t0=$(date +%s.%N)
lf=$(run_load flood 'fl%d')
c1=$(cpu) t1=$(date +%s.%N)
kill -INT "$fpid" 2>/dev/null || true
wait "$fpid" 2>/dev/null || true
fpid=
kill -0 "$srvpid" 2>/dev/null || fail "rampartd died under the flood"
stats=$(ctl show stats 2>/dev/null || true)
# datagrams the kernel dropped because rampartd's socket buffers were full (the flood outran it)
rcvbuf=$(ip netns exec "$s" awk '/^Udp:/ {if (!h) {for (i = 1; i <= NF; i++) c[$i] = i; h = 1} else print $c["RcvbufErrors"]}' /proc/net/snmp)
echo "kernel:    udp_rcvbuf_errors=${rcvbuf:-?} (server namespace, during the flooded run)"
grep -E '^ike (negotiations|admission)' <<<"$stats" | sed 's/^/rampartd: /' || true
rssmax=$(cat "$tmp/rssmax")
hz=$(getconf CLK_TCK)
cpu_pct=$(awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" -v hz="$hz" 'BEGIN {printf "%.1f", (b - a) / hz / (e - s) * 100}')
echo "flooded:   $lf"

# the sender's rate over the load run: count packets from its own figure over its whole run
fl=$(grep '^flood ' "$tmp/flood.out" | tail -1 || true)
echo "sender:    ${fl:-?}"
frate_got=$(field rate_pps "$fl")
# 2. without the flood (let the flood's half-open SAs expire first)
sleep 3
ln=$(run_load noflood 'nf%d')
echo "unflooded: $ln"
kill -0 "$srvpid" 2>/dev/null || fail "rampartd died"
kill "$spid" 2>/dev/null || true
spid=

up_f=$(field up "$lf") up_n=$(field up "$ln")
echo "flood-bench rate_pps=${frate_got:-0} legit_up=${up_f:-0}/$clients p99_ms_noflood=$(field ppp_up_p99_ms "$ln") p99_ms_flood=$(field ppp_up_p99_ms "$lf") rss_kib=$rssmax rss0_kib=$rss0 cpu_pct=$cpu_pct noflood_up=${up_n:-0}/$clients"
if [ -n "$require_all" ]; then
	[ "${up_f:-0}" = "$clients" ] || fail "under the flood only ${up_f:-0} of $clients clients came up"
	[ "${up_n:-0}" = "$clients" ] || fail "without the flood only ${up_n:-0} of $clients clients came up"
	# the spoofed first messages went through admission control, and show stats says so
	grep -Eq '^ike admission: .* halfopen_evicted [1-9]' <<<"$stats" || fail "no half-open SA was evicted: $stats"
	[ "$rssmax" -le "$rss_max" ] || fail "rampartd's RSS reached $rssmax KiB (bound $rss_max)"
	# the sender shares the machine's cores with rampartd and the clients: --sender-min lowers
	# what it must reach (the short ctest variant on a busy or sanitizer build), default 90 %
	awk -v r="${frate_got:-0}" -v w="${sender_min:-$((frate * 9 / 10))}" 'BEGIN {exit !(r >= w)}' ||
		fail "the sender reached ${frate_got:-0} packets/s of $frate (at least ${sender_min:-$((frate * 9 / 10))} required)"
fi
exit 0
