#!/usr/bin/env bash
# By hand (not in ctest: minutes): the monitor's response times over HTTP with N real SA pairs, made
# by ikeprobe (one Main Mode + Quick Mode each) against a rampartd in a network namespace. Prints
# the medians of /api/v1/sas (default page, sorted, filtered), /api/v1/sessions, /metrics and of
# `rampartctl --json show sas` (the whole document, built on the loop: it answers nothing else meanwhile).
# usage: monitor_scale.sh BUILD_DIR N     (e.g. build/release 10000; needs root)
set -uo pipefail
b=$1 N=$2
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
. "$(dirname "$0")/lib.sh"
tag=rpms$$
c=${tag}c s=${tag}s
lib_tmp ""
pid=
ns_pair $tag 198.18.64.1 198.18.64.2
mkdir -m 700 "$tmp/state"
cat >"$tmp/rampart.conf" <<EOC
[server]
listen = 198.18.64.2
tun_name = rps0
tun_address = 198.18.65.1/24
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
raw_esp = no
[ike]
psk = monitor-scale-psk-0123
dh_groups = 14 19 20
[pool]
range = 198.18.65.10-198.18.65.20
[monitor]
listen = 127.0.0.1:8090
EOC
chmod 600 "$tmp/rampart.conf"
rampartd_start "$s" "$b/server/rampartd" "$tmp/rampart.conf" "$tmp/ctl.sock" "$tmp/log"
t0=$(date +%s)
ip netns exec "$c" "$b/server/ikeprobe" --server 198.18.64.2 --psk monitor-scale-psk-0123 --quick --count "$N" \
	--timeout-ms 5000 >"$tmp/probe.out" 2>&1 || { echo "ikeprobe: $(tail -2 "$tmp/probe.out")"; exit 1; }
echo "$N SA pairs made in $(($(date +%s) - t0)) s"
med() { sort -n | awk '{a[NR]=$1} END {printf "%.1f ms", a[int((NR+1)/2)] * 1000}'; }
t() { for _ in $(seq 9); do ip netns exec "$s" curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:8090$1"; done | med; }
pairs=$(ip netns exec "$s" curl -s http://127.0.0.1:8090/api/v1/sas | jq .ipsec_sa_pairs)
echo "pairs: $pairs"
echo "/api/v1/sas (page of 200):              $(t /api/v1/sas)"
echo "/api/v1/sas?sort=bytes_in&order=desc:   $(t '/api/v1/sas?sort=bytes_in&order=desc')"
echo "/api/v1/sas?sort=peer&filter=198.18:    $(t '/api/v1/sas?sort=peer&filter=198.18')"
echo "/api/v1/sas?offset=9800&sort=proposal:  $(t '/api/v1/sas?offset=9800&sort=proposal')"
echo "/api/v1/sas?filter=nothing-matches:     $(t "/api/v1/sas?filter=nothing-matches")"
echo "/api/v1/sessions?sort=account:          $(t '/api/v1/sessions?sort=account')"
echo "/metrics:                               $(t /metrics)"
full=$(for _ in $(seq 5); do
	a=$(date +%s%N)
	"$b/server/rampartctl" -s "$tmp/ctl.sock" --json show sas >/dev/null
	awk -v a="$a" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
done | med)
echo "rampartctl --json show sas (all):       $full"
