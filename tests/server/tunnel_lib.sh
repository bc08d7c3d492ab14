# Sourced by tests/server/tunnel_*.sh: a real rampartd and one rampart-load client whose IP
# packets go through a TUN device in the client's namespace (--tun), so the kernels' own TCP and
# UDP cross the whole tunnel (IKE, ESP in UDP, L2TP, PPP):
#
#   client ns: TUN rpc$$ 100.64.7.10/32, route 100.64.7.0/24 ── rampart-load ── veth 198.18.40.2
#   NAT ns (nftables masquerade; rampart-load speaks NAT-T only): 198.18.40.1 | 203.0.113.2
#   server ns: veth 203.0.113.1 ── rampartd ── TUN rps$$ 100.64.7.1/24 (pool: 100.64.7.10 only)
#
# Set rampartd, rampartctl and load, then call tun_setup EXTRA_CONF [ACCOUNT_SETTINGS...] and
# tun_connect. No default routes; everything is removed on exit.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for b in "$rampartd" "$rampartctl" "$load"; do [ -x "$b" ] || { echo "no $b" >&2; exit 2; }; done

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
c=rp-tc-$$ n=rp-tn-$$ s=rp-ts-$$
umask 077
lib_tmp ""
chmod 755 "$tmp"
srvpid= loadpid=
# SIGTERM first (rampart-load says goodbye, rampartd tears its TUN down); the namespaces go after
lib_on_exit '[ -z "$loadpid" ] || kill "$loadpid" 2>/dev/null'
lib_on_exit '[ -z "$srvpid" ] || kill "$srvpid" 2>/dev/null'
fail() {
	echo "FAIL: $*" >&2
	echo "--- rampartd log (tail)" >&2
	tail -20 "$tmp/log" >&2 2>/dev/null || true
	echo "--- rampart-load (tail)" >&2
	sleep 2; tail -8 "$tmp/load.out" >&2 2>/dev/null || true
	exit 1
}
ctl() { ip netns exec "$s" "$rampartctl" -s "$tmp/ctl.sock" "$@"; }

# tun_setup EXTRA_CONF [ACCOUNT_SETTINGS...]: namespaces, the client's TUN, rampartd with the
# account "tunuser" (then rampartctl account set tunuser ACCOUNT_SETTINGS...)
tun_setup() {
	local extra=$1
	shift
	local acct=("$@")
	command -v nft >/dev/null || { echo "SKIP: no nft"; exit 77; }
	ns_add "$c" "$n" "$s"
	ns_link "$c" tc$$ 198.18.40.2 "$n" tnc$$ 198.18.40.1
	ns_link "$n" tns$$ 203.0.113.2 "$s" ts$$ 203.0.113.1
	ip -n "$c" route add 203.0.113.0/24 via 198.18.40.1
	ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
	echo "table ip rptun { chain post { type nat hook postrouting priority 100; oifname \"tns$$\" masquerade; }; }" |
		ip netns exec "$n" nft -f -
	# the client's TUN exists before rampart-load attaches to it, addressed as IPCP will give
	ip -n "$c" tuntap add dev rpc$$ mode tun
	ip -n "$c" addr add 100.64.7.10/32 dev rpc$$
	ip -n "$c" link set rpc$$ mtu 1500 up
	ip -n "$c" route add 100.64.7.0/24 dev rpc$$
	mkdir -m 700 "$tmp/state"
	cat >"$tmp/rampart.conf" <<EOF
[server]
listen = 203.0.113.1
tun_name = rps$$
tun_address = 100.64.7.1/24
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
[ike]
psk = tun-psk-$$
[pool]
range = 100.64.7.10-100.64.7.10
$extra
EOF
	"$rampartctl" account -d "$tmp/state" add tunuser tun-pass >/dev/null || fail "account add"
	[ ${#acct[@]} -eq 0 ] || "$rampartctl" account -d "$tmp/state" set tunuser "${acct[@]}" >/dev/null ||
		fail "account set ${acct[*]}"
	rampartd_start "$s" "$rampartd" "$tmp/rampart.conf" "$tmp/ctl.sock" "$tmp/log" || fail "rampartd did not start"
	srvpid=$pid
}

# tun_connect HOLD_S: rampart-load up with its TUN attached (returns once PPP is up)
tun_connect() {
	ip netns exec "$c" "$load" --server 203.0.113.1 --psk "tun-psk-$$" --user tunuser \
		--password tun-pass --hold "$1" --tun rpc$$ --timeout 20 >"$tmp/load.out" 2>&1 &
	loadpid=$!
	for _ in $(seq 300); do
		grep -q '^holding ' "$tmp/load.out" 2>/dev/null && break
		kill -0 "$loadpid" 2>/dev/null || fail "rampart-load ended"
		sleep 0.1
	done
	grep -q '^holding up=1 ' "$tmp/load.out" || fail "the client did not come up"
	ctl show sas | grep -q 100.64.7.10 || fail "no session with 100.64.7.10"
}
