# Shared pieces of the shell namespace tests (sourced, not run): network namespaces and veths torn
# down by one EXIT trap, rampartd started in a namespace, strongSwan's charon as an IKEv1 initiator.
# Each test used to carry its own copy of these; a fix (a longer wait on a loaded machine, a
# process left running) had to be made in every copy, and the copies drifted.
#
# After sourcing: `lib_tmp KEEP_VAR` for the work directory ($tmp), then `ns_pair TAG ADDR_C ADDR_S`
# or `ns_add` + `ns_link`. The EXIT trap is set here; a script that needs more at exit adds it with
# `lib_on_exit 'command'` instead of its own trap (a second `trap ... EXIT` would replace this one).
# Functions set globals only where they say so; they never exit (the caller decides what a failure
# means for its test), and they hold under `set -e` (tunnel_lib.sh, log_flood.sh): a kill or a
# delete of what is already gone is not an error here.

lib_ns=()    # namespaces to delete at exit
lib_hooks=() # the script's own commands, run first at exit
lib_keep=    # name of the variable that, when set, keeps $tmp
lib_charon=  # work directory of a running charon (charon_start), stopped at exit
tmp=
fails=${fails:-0}

pass() { echo "PASS $*"; }
fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}

# lib_tmp KEEP_VAR [MKTEMP-TEMPLATE]: $tmp, a fresh directory removed at exit unless $KEEP_VAR is
# set (then its path is printed, to look at the logs of a failed run).
lib_tmp() {
	lib_keep=$1
	tmp=$(mktemp -d ${2:+"$2"})
}

# lib_on_exit 'COMMAND': evaluated at exit before the namespaces go, in the order added. Single
# quotes, so that variables are read at exit (a pid started later, or already cleared).
lib_on_exit() { lib_hooks+=("$1"); }

lib_cleanup() {
	local h
	for h in "${lib_hooks[@]}"; do eval "$h" || true; done
	# charon first with SIGTERM: it deletes its vici socket and says goodbye to the peer
	[ -z "$lib_charon" ] || charon_stop "$lib_charon"
	# whatever still runs in a namespace (rampartd, probes, xl2tpd) would keep it alive
	ns_del "${lib_ns[@]}"
	if [ -n "$tmp" ]; then
		if [ -n "$lib_keep" ] && [ -n "${!lib_keep:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
	fi
}
trap lib_cleanup EXIT

# ns_add NS...: new namespaces with loopback up, deleted at exit. A name left by an earlier
# topology of the same run is deleted first (with what runs in it), so topologies can be rebuilt.
ns_add() {
	local ns
	for ns in "$@"; do
		! ip netns pids "$ns" >/dev/null 2>&1 || ns_del "$ns"
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		[[ " ${lib_ns[*]} " == *" $ns "* ]] || lib_ns+=("$ns")
	done
}

# ns_del NS...: delete namespaces now (a test switching topology), killing what runs in them
ns_del() {
	local ns p
	for ns in "$@"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
}

# ns_link NS1 DEV1 ADDR1 NS2 DEV2 ADDR2: a veth DEV1 (in NS1) -- DEV2 (in NS2), addressed and up.
# ADDR is address/prefix; /24 when no prefix is given.
ns_link() {
	local a1=$3 a2=$6
	[[ $a1 == */* ]] || a1=$a1/24
	[[ $a2 == */* ]] || a2=$a2/24
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$a1" dev "$2"
	ip -n "$4" addr add "$a2" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# ns_pair TAG ADDR_C ADDR_S: the usual client/server pair: namespaces ${TAG}c and ${TAG}s, one veth
# ${TAG}a (client side) -- ${TAG}b (server side). TAG should hold $$ so parallel runs do not clash.
ns_pair() {
	ns_add "${1}c" "${1}s"
	ns_link "${1}c" "${1}a" "$2" "${1}s" "${1}b" "$3"
}

# wait_socket PATH [TENTHS]: until PATH is a socket, 10 s by default; 1 when it never came
wait_socket() {
	local _
	for _ in $(seq "${2:-100}"); do [ -S "$1" ] && return 0; sleep 0.1; done
	return 1
}

# rampartd_start NS RAMPARTD CONF SOCK LOG: rampartd in the foreground in NS, its stderr appended
# to LOG; sets $pid. Returns 1 when its control socket SOCK is not there within 10 s (the caller
# prints its log and stops: every later check would fail for the same reason).
rampartd_start() {
	rm -f "$4"
	ip netns exec "$1" "$2" --foreground --config "$3" 2>>"$5" &
	pid=$!
	wait_socket "$4"
}

# sanitizer_check LOG: one failed check when LOG holds ASan/UBSan reports (the first three quoted);
# rampartd can survive a UBSan report or leak at exit, so its exit status alone does not say it
sanitizer_check() {
	if grep -q 'ERROR: AddressSanitizer\|runtime error:' "$1"; then
		fail "z sanitizer reports in rampartd's log"
		grep -m3 'ERROR: AddressSanitizer\|runtime error:' "$1" | sed 's/^/    /'
	fi
}

# charon_start [--tries N] [--log "SUBSYS=LEVEL..."] NS DIR: strongSwan's charon in NS, its files
# in DIR (strongswan.conf, charon.log, charon.vici, charon.pid). Its own mount namespace with a
# tmpfs /run, so its pid file and socket do not meet the host's (or another test's) charon.
# --tries: retransmit_tries (2); a refused attempt costs about that many seconds. --log: more
# filelog levels (interop's "knl=2 chd=4": chd 4 dumps the SA keys). Returns once the vici socket
# is there (15 s at most; charon_initiate retries the load in case charon was slower).
charon_start() {
	local tries=2 log=
	while [ $# -gt 2 ]; do
		case $1 in
		--tries) tries=$2 ;;
		--log) log=$2 ;;
		*) echo "charon_start: unknown option $1" >&2; return 2 ;;
		esac
		shift 2
	done
	local ns=$1 d=$2
	{
		echo "charon {"
		echo "  load_modular = no"
		echo "  load = random nonce aes sha1 sha2 md5 hmac gmp openssl pem pkcs1 pkcs8 x509 pubkey kernel-netlink socket-default vici"
		echo "  filelog { log { path = $d/charon.log"
		echo "    default = 1"
		echo "    ike = 2"
		echo "    cfg = 2"
		local l
		for l in $log; do echo "    ${l%%=*} = ${l#*=}"; done
		echo "  } }"
		echo "  plugins { vici { socket = unix://$d/charon.vici } }"
		echo "  install_routes = no"
		echo "  retransmit_tries = $tries"
		echo "  retransmit_timeout = 1.0"
		echo "}"
	} >"$d/strongswan.conf"
	: >"$d/charon.log"
	rm -f "$d/charon.vici"
	ip netns exec "$ns" unshare -m sh -c "mount -t tmpfs t /run; STRONGSWAN_CONF=$d/strongswan.conf exec /usr/lib/ipsec/charon" >"$d/charon.out" 2>&1 &
	echo $! >"$d/charon.pid"
	lib_charon=$d
	wait_socket "$d/charon.vici" 150
}

# charon_stop DIR: SIGTERM to the charon of DIR, if it runs
charon_stop() {
	[ -f "$1/charon.pid" ] || return 0
	kill "$(cat "$1/charon.pid")" 2>/dev/null || true
	rm -f "$1/charon.pid"
	[ "$lib_charon" != "$1" ] || lib_charon=
	sleep 0.3
}

# charon_conf_psk DIR PROPOSALS ESP_PROPOSALS PSK LOCAL REMOTE [CONN-LINES]: DIR/swanctl.conf, an
# L2TP/IPsec client: IKEv1 Main Mode with PSK, a transport-mode child for UDP port 1701.
# CONN-LINES go into the connection (interop's "encap = yes").
charon_conf_psk() {
	charon_conf_ "$1" "$2" "$3" "$5" "$6" "${7:-}" "auth = psk" "auth = psk" \
		"secrets { ike-1 { secret = \"$4\" } }"
}

# charon_conf_cert DIR PROPOSALS ESP_PROPOSALS CERT KEY CACERT LOCAL REMOTE [CONN-LINES]: the
# same with RSA signatures: our certificate CERT (its key KEY, copied to DIR/private/ where swanctl
# looks for keys next to the --file) and the server's checked against CACERT.
charon_conf_cert() {
	rm -rf "$1/private"
	mkdir -p "$1/private"
	cp "$5" "$1/private/"
	charon_conf_ "$1" "$2" "$3" "$7" "$8" "${9:-}" "auth = pubkey
            certs = $4" "auth = pubkey
             cacerts = $6" ""
}

charon_conf_() { # DIR IKE ESP LOCAL REMOTE CONN-LINES LOCAL-AUTH REMOTE-AUTH SECRETS
	cat >"$1/swanctl.conf" <<EOC
connections {
  l2tp {
    version = 1
    proposals = $2
    local_addrs = $4
    remote_addrs = $5
    $6
    local { $7 }
    remote { $8 }
    children {
      l2tp {
        mode = transport
        local_ts = dynamic[udp/1701]
        remote_ts = dynamic[udp/1701]
        esp_proposals = $3
      }
    }
  }
}
$9
EOC
}

# charon_initiate NS DIR: load DIR/swanctl.conf into the charon of charon_start, initiate the
# child (20 s at most), stop charon; swanctl's output and then charon's log in DIR/charon.all.
charon_initiate() {
	local ns=$1 d=$2 _
	# a loaded machine may start charon slowly: load until the connection is really there
	for _ in $(seq 20); do
		ip netns exec "$ns" swanctl --load-all --file "$d/swanctl.conf" -u "unix://$d/charon.vici" >"$d/load.out" 2>&1 || true
		ip netns exec "$ns" swanctl --list-conns -u "unix://$d/charon.vici" 2>/dev/null | grep -q "^l2tp:" && break
		sleep 0.3
	done
	# a refused attempt fails here: the caller reads charon.all to tell which way it went
	ip netns exec "$ns" timeout 20 swanctl --initiate --child l2tp -u "unix://$d/charon.vici" >"$d/charon.all" 2>&1 || true
	# the last log lines (the SA install attempt after Quick Mode) come after swanctl returns
	sleep 0.5
	charon_stop "$d"
	cat "$d/charon.log" >>"$d/charon.all"
}

# charon_established DIR: did the last charon_initiate establish the IKE SA
charon_established() { grep -q "IKE_SA l2tp\[[0-9]*\] established" "$1/charon.all"; }
# charon_proposal DIR: the IKE proposal charon selected ("selected proposal: IKE:...")
charon_proposal() { grep -o 'selected proposal: IKE:[^ ]*' "$1/charon.all" | head -1; }
