#!/usr/bin/env bash
# A negotiate rule's certificate authentication end to end (issue 13): rampartd trusts two CAs
# ("rampart test CA" and "unknown CA"), strongSwan's charon authenticates with a certificate from
# one or the other, and the rule for charon's address names the CA it accepts (rootca=) and whether
# the certificate is mapped to an account (certmaptoaccount=), in netsh's words:
#   0. no policy: alice (test CA) is mapped to her account by the store's mapping rule; stranger
#      (unknown CA, no mapping rule) is refused by the mapping;
#   a. rootca = the unknown CA, no mapping: stranger is accepted without an account, alice is
#      refused with a line naming the rule and both CAs;
#   b. the same rule set to the test CA (DN written in the other order) with mapping: alice is
#      accepted as her account, stranger refused;
#   c. `ipsec model ... cert=FILE` says the same at each step.
# The mapping rule names alice's DNs in OpenSSL's order, the certificate's are GnuTLS's.
#
# usage: policy_cert.sh RAMPARTD RAMPARTCTL   (POLCERT_KEEP=1 keeps the work directory)
set -uo pipefail
rampartd=$1 rampartctl=$2
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
{ [ -x /usr/lib/ipsec/charon ] && command -v swanctl >/dev/null; } ||
	{ echo "charon missing (tests/deps/test-ike.txt: strongswan-charon, strongswan-swanctl)"; exit 1; }

. "$(dirname "$0")/lib.sh"
pki=$(cd "$(dirname "$0")/../data/ike-pki" && pwd)
tag=rppc$$
c=${tag}c s=${tag}s
lib_tmp POLCERT_KEEP
umask 077 # the configuration holds the PSK
pid=
ns_pair $tag 198.18.59.1 198.18.59.2
srv=198.18.59.2 peer=198.18.59.1
lib_on_exit '[ -z "$pid" ] || kill "$pid" 2>/dev/null'
cat "$pki/ca.pem" "$pki/other-ca.pem" >"$tmp/cas.pem"

cat >"$tmp/rampart.conf" <<EOC
[server]
listen = $srv
tun_name = rpc0
tun_address = 198.18.58.1/24
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
raw_esp = no
[log]
ipsecdiagnostics = 4
[ike]
psk = polcert-psk-0123456789abcdef
certificate = $pki/server.pem
private_key = $pki/server.key.pem
ca = $tmp/cas.pem
[l2tp]
tunnel_secret = polcert-l2tp-secret
[pool]
range = 198.18.58.10-198.18.58.20
EOC
mkdir -p "$tmp/state"
ctl() { "$rampartctl" -s "$tmp/ctl.sock" "$@"; }
st() { "$rampartctl" ipsec -d "$tmp/state" "$@"; }
"$rampartctl" account -d "$tmp/state" add alice alice-password-1 >/dev/null || fail "account add alice"
"$rampartctl" certmap -d "$tmp/state" add "issuer=O=rampart, CN=rampart test CA" "subject=O=rampart, CN=alice" \
	account=alice >/dev/null || fail "certmap add"
: >"$tmp/log"
rampartd_start "$s" "$rampartd" "$tmp/rampart.conf" "$tmp/ctl.sock" "$tmp/log" ||
	{ echo "rampartd did not start"; tail -20 "$tmp/log"; exit 1; }

# attempt LABEL CLIENT ok|refused [LOG-TEXT...]: charon as CLIENT; rampartd's lines of the attempt
# must hold each LOG-TEXT (fixed strings, one line each)
attempt() {
	local label=$1 who=$2 want=$3 mark t got
	shift 3
	mark=$(wc -l <"$tmp/log")
	charon_start --tries 1 "$c" "$tmp"
	charon_conf_cert "$tmp" aes256-sha1-modp2048 aes256-sha1 "$pki/$who.pem" "$pki/$who.key.pem" \
		"$pki/ca.pem" "$peer" "$srv"
	charon_initiate "$c" "$tmp"
	tail -n +$((mark + 1)) "$tmp/log" >"$tmp/attempt.log"
	kill -0 "$pid" 2>/dev/null || { fail "rampartd died"; tail -30 "$tmp/log"; exit 1; }
	got=refused
	charon_established "$tmp" && got=ok
	local ok=1
	[ "$got" = "$want" ] || ok=
	for t in "$@"; do grep -qF -- "$t" "$tmp/attempt.log" || ok=; done
	if [ -n "$ok" ]; then
		pass "$label: $who $got"
	else
		fail "$label: $who $got (want $want${*:+, log lines: $*})"
		grep -i "established\|AUTH\|notify\|failed" "$tmp/charon.all" | tail -5 | sed 's/^/    charon: /'
		tail -6 "$tmp/attempt.log" | sed 's/^/    rampartd: /'
	fi
}
# model LABEL CLIENT TEXT: `ipsec model ... cert=FILE` on the store says TEXT (a certificate file
# is always answered from the store, the daemon never reads the caller's files)
model() {
	local out
	out=$(st model peer=$peer cert="$pki/$2.pem" 2>&1)
	if grep -q "^certificate: .*$3" <<<"$out"; then pass "$1 (model): $(grep '^certificate:' <<<"$out")"
	else fail "$1 (model): want \"$3\"; got: $out"; fi
}

attempt "0 no policy" alice ok "Main Mode with $peer" "account alice"
attempt "0 no policy" stranger refused "no mapping rule matches"

st static add policy name=certs assign=yes >/dev/null &&
	st static add filterlist name=lab >/dev/null &&
	st static add filter filterlist=lab srcaddr=198.18.59.0 srcmask=24 dstaddr=me >/dev/null &&
	st static add filteraction name=sec action=negotiate >/dev/null &&
	st static add rule name=c1 policy=certs filterlist=lab filteraction=sec \
		"rootca=O=elsewhere, CN=unknown CA" certmaptoaccount=no >/dev/null || fail "a policy commands"
attempt "a rootca=unknown CA certmaptoaccount=no" stranger ok "Main Mode with $peer"
grep -F "Main Mode with $peer" "$tmp/attempt.log" | grep -q "account" &&
	fail "a stranger got an account without mapping: $(grep -F "Main Mode with $peer" "$tmp/attempt.log")"
attempt "a rootca=unknown CA" alice refused "rule c1 (store local)" "the rule accepts only" "O=elsewhere, CN=unknown CA"
model "a" stranger "accepted without mapping"
model "a" alice "refused: rule c1"

st static set rule name=c1 policy=certs "rootca=CN=rampart test CA,O=rampart" certmaptoaccount=yes >/dev/null ||
	fail "b set rule"
attempt "b rootca=test CA certmaptoaccount=yes" alice ok "Main Mode with $peer" "account alice"
attempt "b rootca=test CA" stranger refused "rule c1 (store local)" "the rule accepts only"
model "b" alice "ok account=alice"
model "b" stranger "refused: rule c1"

sanitizer_check "$tmp/log"
[ "$fails" -eq 0 ] && echo "policy_cert: all passed" || echo "policy_cert: $fails failed"
[ "$fails" -eq 0 ]
