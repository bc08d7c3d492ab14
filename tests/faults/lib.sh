# Shared pieces of the fault scenarios (issue 12), sourced by tests/faults/*.sh. The topology is
# tests/load/run.sh's:
#
#   generator 198.18.1.2 (+198.18.1.10.. with fx_setup N) ──veth── NAT (nftables masquerade)
#   ──veth── rampartd 203.0.113.1, TUN 100.64.0.1/16, pool 100.64.0.10-100.64.255.250
#
# The NAT namespace has one table, ip rpfault: chain post masquerades (ports 10000-19999 unless a
# scenario says otherwise) and chain impair (filter, forward hook) is where a scenario adds its
# drop/dup rules. Everything is torn down on exit.
#
# A script sets nothing before sourcing; it then calls
#   fx_args "$@"                      --bin DIR (rampartd, rampartctl, rampart-load; default
#                                     build/release/server) and leaves the rest in FX_REST
#   fx_setup [SOURCES]                namespaces, links, NAT
#   fx_conf [EXTRA_LINES]             rampart.conf (+ extra lines appended, e.g. a [limits] block)
#   fx_accounts N                     accounts load1..loadN (password load-pass)
#   fx_start                          rampartd in the server namespace ($FX_SRVPID, log $FX_TMP/log)
#   fx_ctl ARGS...                    rampartctl against it
#   fx_load OUT ARGS...               rampart-load in the generator namespace, output tee'd to OUT
#   fx_get LINE KEY                   the value of KEY=... in a rampart-load line
#   fx_wait_line FILE REGEX [S]       until a line matches (default 120 s)
#   fx_json_stats EXPR                jq-free: python3 evaluates EXPR on `--json show stats` as s
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v nft >/dev/null || { echo "SKIP: no nft"; exit 77; }
FX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FX_BIN=$FX_ROOT/build/release/server
FX_G=rp-fg-$$ FX_N=rp-fn-$$ FX_S=rp-fs-$$
FX_LG=fg$$ FX_LN=fn$$ FX_LT=ft$$ FX_LS=fs$$
FX_PSK=fault-psk-$$
FX_SRVPID=
FX_BG=
umask 077
. "$FX_ROOT/tests/server/lib.sh"
lib_tmp ""
FX_TMP=$tmp
# SIGTERM first (rampart-load and rampartd end cleanly), then tests/server/lib.sh's teardown
lib_on_exit 'for p in $FX_BG; do kill "$p" 2>/dev/null || true; done'
lib_on_exit '[ -z "$FX_SRVPID" ] || kill "$FX_SRVPID" 2>/dev/null'

fx_fail() {
	echo "FAIL: $*" >&2
	echo "--- rampartd log (tail)" >&2
	tail -20 "$FX_TMP/log" >&2 2>/dev/null || true
	exit 1
}

fx_args() {
	FX_REST=()
	while [ $# -gt 0 ]; do
		case $1 in
		--bin) FX_BIN=$2; shift 2 ;;
		*) FX_REST+=("$1"); shift ;;
		esac
	done
	FX_RAMPARTD=$FX_BIN/rampartd FX_RAMPARTCTL=$FX_BIN/rampartctl FX_LOAD=$FX_BIN/rampart-load
	for b in "$FX_RAMPARTD" "$FX_RAMPARTCTL" "$FX_LOAD"; do
		[ -x "$b" ] || { echo "no $b (build it)" >&2; exit 2; }
	done
}

fx_setup() {
	local sources=${1:-0} i
	ns_add "$FX_G" "$FX_N" "$FX_S"
	ns_link "$FX_G" $FX_LG 198.18.1.2 "$FX_N" $FX_LN 198.18.1.1
	ns_link "$FX_N" $FX_LT 203.0.113.2 "$FX_S" $FX_LS 203.0.113.1
	for i in $(seq 1 "$sources"); do ip -n "$FX_G" addr add "198.18.1.$((i + 9))/24" dev $FX_LG; done
	ip -n "$FX_G" route add 203.0.113.0/24 via 198.18.1.1
	ip netns exec "$FX_S" sysctl -qw net.ipv4.icmp_ratelimit=0 2>/dev/null || true
	ip netns exec "$FX_S" sysctl -qw net.ipv4.icmp_msgs_per_sec=1000000 2>/dev/null || true
	ip netns exec "$FX_N" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$FX_N" sysctl -qw net.netfilter.nf_conntrack_max=1048576 2>/dev/null || true
	# masquerade into a fixed port range, so a scenario can move new mappings elsewhere
	ip netns exec "$FX_N" nft -f - <<EOF
table ip rpfault {
	chain post {
		type nat hook postrouting priority 100;
		oifname "$FX_LT" meta l4proto udp masquerade to :10000-19999
		oifname "$FX_LT" masquerade
	}
	chain impair { type filter hook forward priority 0; }
	chain dupl { type filter hook postrouting priority 300; }
}
EOF
}

fx_conf() {
	mkdir -p -m 700 "$FX_TMP/state"
	cat >"$FX_TMP/rampart.conf" <<EOF
[server]
listen = 203.0.113.1
tun_name = rpf$$
tun_address = 100.64.0.1/16
control_socket = $FX_TMP/ctl.sock
state_dir = $FX_TMP/state
[ike]
psk = $FX_PSK
[pool]
range = 100.64.0.10-100.64.255.250
${1:-}
EOF
}

fx_accounts() {
	"$FX_RAMPARTCTL" account -d "$FX_TMP/state" add-many 'load%d' 1 "$1" load-pass >/dev/null || fx_fail "accounts"
}

fx_start() {
	rm -f "$FX_TMP/ctl.sock"
	ip netns exec "$FX_S" "$FX_RAMPARTD" --foreground --config "$FX_TMP/rampart.conf" >>"$FX_TMP/log" 2>&1 &
	FX_SRVPID=$!
	for _ in $(seq 100); do [ -S "$FX_TMP/ctl.sock" ] && break; sleep 0.1; done
	[ -S "$FX_TMP/ctl.sock" ] || fx_fail "rampartd did not start"
}

fx_ctl() {
	ip netns exec "$FX_S" "$FX_RAMPARTCTL" -s "$FX_TMP/ctl.sock" "$@"
}

fx_load() {
	local out=$1
	shift
	ip netns exec "$FX_G" "$FX_LOAD" --server 203.0.113.1 --psk "$FX_PSK" --user 'load%d' \
		--password load-pass "$@" >"$out"
}

fx_get() {
	sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"
}

fx_wait_line() {
	local i
	for i in $(seq $((${3:-120} * 10))); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

fx_json_stats() {
	fx_ctl --json show stats | python3 -c "import json,sys; s=json.load(sys.stdin); r=($1); print(*r) if isinstance(r, tuple) else print(r)"
}

fx_rss() {
	awk '/^VmRSS/ {print $2}' "/proc/$FX_SRVPID/status"
}

# End every rampart-load's hold now (SIGINT: it drains for a second, prints its final line, says
# goodbye); the shell's own background jobs ignore SIGINT, so the processes are signalled directly.
fx_stop_loads() {
	local p
	for p in $(ip netns pids "$FX_G" 2>/dev/null); do kill -INT "$p" 2>/dev/null || true; done
}
