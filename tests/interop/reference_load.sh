#!/usr/bin/env bash
# rampart-load against a reference L2TP/IPsec server, not rampartd (issue 17: it speaks real
# L2TP/IPsec): strongSwan (IKEv1, transport) + xl2tpd + pppd in a QEMU VM, the harness's
# `reference` mode with LOAD_CMD (harness/run-client.sh), no client VMs.
#   tests/interop/reference_load.sh RAMPART_LOAD [CASE...]
# Cases (both by default):
#   nat1   1 client behind the harness's nftables NAT (NAT-T, floating to 4500)
#   same3  3 clients from one source address behind that NAT, inner L2TP ports 1701-1703
#          (--l2tp-port-base: strongSwan keeps one transport policy per address and port pair,
#          so clients behind one NAT all on 1701 would share one; NetworkManager-l2tp does the same)
# rampart-load always encapsulates ESP in UDP (NAT-T): both cases run behind the NAT.
# Each brings PPP up (MS-CHAPv2, IPCP) and sends ICMP echoes to the server's PPP address for 5 s;
# it passes when every client came up and echo replies came back. Prints
# "interop reference_<case>: PASS|FAIL (<wall>s) <rampart-load's final line>".
# QEMU runs under TCG here (no usable KVM): a case takes about a minute of both cores.
set -uo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
load=$(readlink -f "${1:?usage: reference_load.sh RAMPART_LOAD [CASE...]}")
shift
[ -x "$load" ] || { echo "reference_load: no $load" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
H=$here/harness/run-client.sh
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu-system-x86_64"; exit 77; }
px=${RAMPART_INTEROP_NS:-rpr}
export NS_CLIENT=$px-client NS_NAT=$px-nat NS_SERVER=$px-server CACHE=/var/cache/rampart-interop
export STATE_DIR=/run/rampart-interop-$px
mkdir -p "$STATE_DIR"
work=$(mktemp -d /tmp/rampart-reference.XXXX)
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
# the reference server's accounts: load1..load3, one password (harness: USER<k>/PASS<k>)
export USERNAME=load1 PASSWORD=load-pass USER2=load2 PASS2=load-pass USER3=load3 PASS3=load-pass

"$H" setup >"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; echo "interop reference setup: FAIL"; exit 1; }
failed=0
for c in "${@:-nat1 same3}"; do
	for case in $c; do
		case $case in
		nat1) n=1 extra= ;;
		same3) n=3 extra="--l2tp-port-base 1701" ;;
		*) echo "reference_load: unknown case $case" >&2; exit 2 ;;
		esac
		out=$work/$case
		cmd="$load --server 203.0.113.1 --psk harness-psk --user 'load%d' --password load-pass --clients $n"
		cmd+=" --rate 1 --hold 5 --traffic 2:56 --timeout 120 --profile ios $extra"
		t0=$(date +%s)
		LOAD_CMD="$cmd" "$H" reference --clients "$n" --nat-mode random --out "$out" --capture 0 \
			>"$work/$case.log" 2>&1
		rc=$?
		final=$(grep '^load ' "$work/$case.log" | tail -1)
		up=$(sed -n 's/.* up=\([0-9]*\).*/\1/p' <<<"$final")
		rx=$(sed -n 's/.* rx_pkts=\([0-9]*\).*/\1/p' <<<"$final")
		if [ "$rc" = 0 ] && [ "${up:-0}" = "$n" ] && [ "${rx:-0}" -gt 0 ]; then
			echo "interop reference_$case: PASS ($(($(date +%s) - t0))s) $final"
		else
			echo "interop reference_$case: FAIL ($(($(date +%s) - t0))s, exit $rc) ${final:-no final line}"
			tail -25 "$work/$case.log" | sed 's/^/  | /'
			for f in charon.log xl2tpd.log pppd.log console.log; do
				[ -f "$out/server/$f" ] && tail -15 "$out/server/$f" | sed "s/^/  server $f | /"
			done
			failed=1
		fi
	done
done
exit $failed
