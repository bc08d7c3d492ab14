#!/usr/bin/env bash
# rampart-replay over every capture in tests/data: exits 0 on each, and the figures for the
# captures we know are what tshark reports for them (see tests/data/SOURCES.md).
set -euo pipefail
replay=$1 data=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mapfile -t caps < <(find "$data" -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' | sort)
[ ${#caps[@]} -ge 30 ] || fail "expected the replay captures, found ${#caps[@]}"
for c in "${caps[@]}"; do
	"$replay" -d 0 "$c" >"$out" 2>&1 || fail "rampart-replay exited $? on $c: $(cat "$out")"
done

# Known figures, cross-checked with tshark's dissectors (tests/data/SOURCES.md summaries).
expect() { # file, grep pattern
	"$replay" -d 0 "$data/replay/$1" >"$out" 2>&1
	grep -Eq "$2" "$out" || { cat "$out" >&2; fail "$1: expected /$2/"; }
}
expect tcpdump--ISAKMP_sa_setup.pcap '^ike +seen 9 parsed 9 dropped 0'
expect tcpdump--isakmp4500.pcap '^ike +seen 15 '
expect tcpdump--isakmp4500.pcap '^esp-in-udp +seen 8 '
expect tcpdump--isakmp4500.pcap '^natt-keepalive +seen 4 '
expect zeek-spicy-ipsec--ipsec.cap '^esp +seen 16 '
expect zeek-spicy-ipsec--ipsec.cap '^ike +seen 11 '
expect arkime--IKEv1.pcap '^esp +seen 296 '
expect arkime--IKEv1.pcap '^ike +seen 13 '
expect packetnet--l2tp.pcap '^l2tp +seen 1 '
expect tcpdump-malformed--isakmp-no-none-np.pcapng 'frames'
# crafted by zeek-spicy-ipsec: ISAKMP length 0, and a payload length that overruns the message
expect zeek-spicy-ipsec--ipsec-ikev1-zero-length.pcap 'drop: malformed ISAKMP header +1'
expect zeek-spicy-ipsec--ipsec-ikev1-payload-bad-length.pcap 'drop: malformed ISAKMP payload chain +1'
# Windows' IKEv2 is not IKEv1: refused at the header
expect zeek-spicy-ipsec--ipsec_client.pcap 'drop: malformed ISAKMP header +2'
# A missing file is an error, and says so.
if "$replay" "$data/does-not-exist.pcap" >"$out" 2>&1; then fail "missing file accepted"; fi
grep -q "does-not-exist.pcap" "$out" || fail "no file name in the error"
echo "replay: ${#caps[@]} captures OK"
