#!/usr/bin/env bash
# Negotiate rules end to end (issue 13): strongSwan's charon against a running rampartd whose store
# holds a negotiate rule for charon's address (policy mmsecmethods, filteraction qmsecmethods, a
# rule PSK). Each case checks what charon saw, the daemon's log line (naming the rule, what was
# offered and what the rule allows), and `rampartctl ipsec model` (the store's and rampartd's own,
# text and --json) naming the same rule, action and methods the daemon used:
#   a. Main Mode offers outside the rule's methods refused (the same offer the default accepts);
#      Quick Mode outside the rule's qmsecmethods refused after Main Mode;
#   b. an offer inside both: Main and Quick Mode negotiated with the rule's methods;
#   c. the rule's own PSK works, the configuration's PSK is refused for that peer;
#   d. a rule asking for weak methods (3DES-MD5-2, ESP[3DES,MD5]) admits a peer offering only
#      those, which the default response refuses once the rule is gone;
#   e. a peer with an IPsec SA pair up (ikeprobe --quick) that a block rule then covers: its SAs
#      are deleted within the policy's tick (the log names the rule), a peer no rule blocks keeps
#      its own; the policy reloaded meanwhile drops nothing else.
#
# usage: policy_negotiate.sh RAMPARTD RAMPARTCTL IKEPROBE   (POLNEG_KEEP=1 keeps the work directory)
set -uo pipefail
rampartd=$1 rampartctl=$2 probe=$3
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v ip >/dev/null || { echo "missing ip (iproute2)"; exit 1; }
{ [ -x /usr/lib/ipsec/charon ] && command -v swanctl >/dev/null; } ||
	{ echo "charon missing (tests/deps/test-ike.txt: strongswan-charon, strongswan-swanctl)"; exit 1; }

. "$(dirname "$0")/lib.sh"
tag=rppn$$
c=${tag}c s=${tag}s
lib_tmp POLNEG_KEEP
umask 077 # the configuration holds the PSK
pid=
fails=0
runs=0
ns_pair $tag 198.18.61.1 198.18.61.2
srv=198.18.61.2 peer=198.18.61.1
PSK=global-psk-0123456789abcdef
RPSK=rule-psk-fedcba9876543210

cat >"$tmp/rampart.conf" <<EOC
[server]
listen = $srv
tun_name = rpn0
tun_address = 198.18.60.1/24
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
raw_esp = no
[log]
ipsecdiagnostics = 6
ikelogging = yes
[ike]
psk = $PSK
[l2tp]
tunnel_secret = polneg-l2tp-secret
[pool]
range = 198.18.60.10-198.18.60.20
EOC

pass() { echo "PASS $*"; }
fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}
log_tail() { echo "--- rampartd log (last 30 lines)"; tail -30 "$tmp/log"; echo "---"; }
st() { "$rampartctl" ipsec -d "$tmp/state" "$@"; } # the store directly

# charon_run IKE ESP [SECRET]: one initiation; swanctl + charon log in $tmp/charon.all,
# rampartd's lines of the attempt in $tmp/attempt.log
charon_run() {
	local mark
	mark=$(wc -l <"$tmp/log")
	charon_start --tries 1 "$c" "$tmp"
	charon_conf_psk "$tmp" "$1" "$2" "${3:-$PSK}" "$peer" "$srv"
	charon_initiate "$c" "$tmp"
	tail -n +$((mark + 1)) "$tmp/log" >"$tmp/attempt.log"
	runs=$((runs + 1))
	cp "$tmp/charon.all" "$tmp/charon.$runs"
	cp "$tmp/attempt.log" "$tmp/attempt.$runs"
	kill -0 "$pid" 2>/dev/null || { fail "rampartd died"; log_tail; exit 1; }
}
mm_up() { grep -q "IKE_SA l2tp\[[0-9]*\] established" "$tmp/charon.all"; }
# Quick Mode: charon took the ESP proposal rampartd answered (QM2) and rampartd has the pair up.
# charon's CHILD_SA itself cannot be installed here (no XFRM in this kernel; kernel-libipsec does
# tunnel mode only), so charon answers with a notify instead of QM3: the negotiation is complete,
# the installation on charon's side is not.
qm_up() { grep -q "selected proposal: ESP:" "$tmp/charon.all" && grep -q "IPsec SA up" "$tmp/attempt.log"; }
proposal() { grep -o 'selected proposal: IKE:[^ ]*' "$tmp/charon.all" | head -1; }
esp_prop() { grep -o 'selected proposal: ESP:[^ ]*' "$tmp/charon.all" | head -1; }
esp_is() { esp_prop | grep -qF "ESP:$1/"; }
show_attempt() {
	echo "--- charon"
	grep -i "proposal\|established\|failed\|error\|NO_PROP\|AUTH" "$tmp/charon.all" | tail -8
	echo "--- rampartd"
	tail -10 "$tmp/attempt.log"
}
# rlog LABEL FIXED-TEXT...: the attempt's rampartd lines hold one line with every text
rlog() {
	local label=$1 line
	shift
	line=$(grep -F -- "$1" "$tmp/attempt.log" | head -1)
	for t in "$@"; do grep -qF -- "$t" <<<"$line" || line=; done
	if [ -n "$line" ]; then pass "$label: ${line#*: }"; else fail "$label: no rampartd line with: $*"; show_attempt; fi
}
# model LABEL TEXT...: the model (the store's, then rampartd's) holds each line of TEXT, and its
# --json the fields rule/action/mmsecmethods/qmsecmethods given in $J_RULE $J_ACTION $J_MM $J_QM
model() {
	local label=$1 out src
	shift
	for src in store rampartd; do
		if [ $src = store ]; then out=$(st model peer=$peer 2>&1); else out=$("$rampartctl" -s "$tmp/ctl.sock" ipsec model peer=$peer 2>&1); fi
		local ok=1
		for t in "$@"; do grep -qxF -- "$t" <<<"$out" || ok=; done
		if [ -n "$ok" ]; then pass "$label ($src model): $(grep -E '^(rule|action|mmsecmethods|qmsecmethods|mmlifetime|authentication):' <<<"$out" | tr '\n' ';')"; else fail "$label ($src model): want $*; got: $out"; fi
		if [ $src = store ]; then out=$("$rampartctl" --json ipsec -d "$tmp/state" model peer=$peer 2>&1); else out=$("$rampartctl" -s "$tmp/ctl.sock" --json ipsec model peer=$peer 2>&1); fi
		if python3 - "$out" "$J_RULE" "$J_ACTION" "$J_MM" "$J_QM" <<'EOP'; then
import json, sys
d = json.loads(sys.argv[1])
want = dict(zip(("rule", "action", "mmsecmethods", "qmsecmethods"), sys.argv[2:]))
bad = {k: (d.get(k), v) for k, v in want.items() if d.get(k) != v}
if bad:
    print("   json mismatch (got, want):", bad)
    sys.exit(1)
EOP
			pass "$label ($src model --json): rule=$J_RULE action=$J_ACTION mm=$J_MM qm=$J_QM"
		else
			fail "$label ($src model --json): $out"
		fi
	done
}

: >"$tmp/log"
ip netns exec "$s" "$rampartd" --foreground --config "$tmp/rampart.conf" 2>>"$tmp/log" &
pid=$!
for _ in $(seq 100); do [ -S "$tmp/ctl.sock" ] && break; sleep 0.1; done
[ -S "$tmp/ctl.sock" ] || { echo "rampartd did not start"; log_tail; exit 1; }

OUT_IKE=aes128-sha256-ecp256,aes256-sha1-modp1024 # outside AES256-SHA1-14, inside the defaults
# 0. no policy: the offer the rule will refuse is accepted by the default response
charon_run "$OUT_IKE" "aes256-sha1"
if mm_up && qm_up; then pass "0 no policy: $OUT_IKE accepted ($(proposal))"; else fail "0 no policy: $OUT_IKE not accepted"; show_attempt; fi

# the rule, in netsh's words, on the store of the running daemon
st static add policy name=neg mmsecmethods=AES256-SHA1-14 mmlifetime=60 &&
	st static add filterlist name=lab &&
	st static add filter filterlist=lab srcaddr=198.18.61.0 srcmask=24 dstaddr=me &&
	st static add filteraction name=sec action=negotiate "qmsecmethods=ESP[AES256,SHA1]" &&
	st static add rule name=neg1 policy=neg filterlist=lab filteraction=sec &&
	st static set policy name=neg assign=yes || fail "setup: the netsh session was refused"

J_RULE=neg1 J_ACTION=negotiate J_MM=AES256-SHA1-14 J_QM="ESP[AES256,SHA1]"
RULE_LINES=("rule: neg1 (policy neg, local store)" "action: negotiate" "mmsecmethods: AES256-SHA1-14" "qmsecmethods: ESP[AES256,SHA1]" "mmlifetime: 60 min")

# a. outside the rule's methods
charon_run "$OUT_IKE" "aes256-sha1"
if mm_up; then fail "a1 Main Mode outside the rule: established ($(proposal))"; else pass "a1 Main Mode offer $OUT_IKE outside the rule: not established"; fi
rlog "a2 the refusal names the rule, the offer and what it allows" "NO-PROPOSAL-CHOSEN (Main Mode): peer $peer" \
	"refused by rule neg1 (store local): offered AES128-SHA256-19,AES256-SHA1-2; allowed AES256-SHA1-14"
model "a3" "${RULE_LINES[@]}" "authentication: configuration's (PSK, certificates if [ike] ca is set)"
charon_run "aes256-sha1-modp2048" "aes128-sha256,3des-sha1"
if mm_up && ! qm_up; then pass "a4 Quick Mode outside the rule: Main Mode up ($(proposal)), no CHILD_SA"; else fail "a4 Quick Mode outside the rule (mm up: $(mm_up && echo yes), qm up: $(qm_up && echo yes))"; show_attempt; fi
rlog "a5 the Quick Mode refusal names the rule" "NO-PROPOSAL-CHOSEN (Quick Mode): peer $peer" \
	"refused by rule neg1 (store local)" "allowed ESP[AES256,SHA1]"

# b. inside: Main and Quick Mode negotiated with the rule's methods
charon_run "aes128-sha256-ecp256,aes256-sha1-modp2048" "aes128-sha256,aes256-sha1"
if mm_up && qm_up && proposal | grep -q "IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048" && esp_is AES_CBC_256/HMAC_SHA1_96; then
	pass "b1 inside the rule: Main and Quick Mode negotiated: $(proposal), $(esp_prop)"
else
	fail "b1 inside the rule: mm $(mm_up && echo up) qm $(qm_up && echo up) $(proposal)"
	show_attempt
fi
rlog "b2 rampartd chose the rule's ESP method" "Quick Mode" "chose AES-256/HMAC-SHA1"
model "b3" "${RULE_LINES[@]}"
rlog "b4 the policy's mmlifetime=60 caps the Main Mode SA" "Main Mode with $peer" "established" "life 3600 s"

# c. the rule's own PSK: it works, the configuration's PSK does not for this peer
st static set rule name=neg1 policy=neg psk=$RPSK || fail "c0 set rule psk refused"
charon_run "aes256-sha1-modp2048" "aes256-sha1" "$PSK"
if mm_up; then fail "c1 the configuration's PSK accepted for a peer whose rule has its own"; else pass "c1 the configuration's PSK refused for the rule's peer"; fi
rlog "c2 rampartd: PSK mismatch with the rule's key, the rule named" "PSK mismatch" "(Main Mode, 1 key(s) tried: the pre-shared key of rule neg1 (store local))"
charon_run "aes256-sha1-modp2048" "aes256-sha1" "$RPSK"
if mm_up && qm_up; then pass "c3 the rule's PSK: Main and Quick Mode negotiated"; else fail "c3 the rule's PSK not accepted"; show_attempt; fi
model "c4" "${RULE_LINES[@]}" "authentication: psk (the rule's)"
if st static show all | grep -q "$RPSK"; then fail "c5 show all prints the rule's PSK"; else pass "c5 show all masks the rule's PSK"; fi

# d. weak methods asked for by a rule admit a peer offering only those; the default refuses it
st static set rule name=neg1 policy=neg psk= &&
	st static set policy name=neg mmsecmethods=3DES-MD5-2 &&
	st static set filteraction name=sec "qmsecmethods=ESP[3DES,MD5]" || fail "d0 weak methods refused"
J_MM=3DES-MD5-2 J_QM="ESP[3DES,MD5]"
charon_run "3des-md5-modp1024" "3des-md5"
if mm_up && qm_up && esp_is 3DES_CBC/HMAC_MD5_96; then pass "d1 weak rule: 3des-md5-modp1024 / esp 3des-md5 accepted: $(proposal), $(esp_prop)"; else fail "d1 weak rule: not accepted"; show_attempt; fi
rlog "d2 rampartd chose the rule's weak ESP method" "Quick Mode" "chose 3DES-192/HMAC-MD5"
model "d3" "rule: neg1 (policy neg, local store)" "action: negotiate" "mmsecmethods: 3DES-MD5-2" "qmsecmethods: ESP[3DES,MD5]"
st static delete rule name=neg1 policy=neg || fail "d4 delete rule"
charon_run "3des-md5-modp1024" "3des-md5"
if mm_up; then fail "d5 the default response accepted 3des-md5-modp1024"; else pass "d5 the default response refuses 3des-md5-modp1024"; fi
rlog "d6 rampartd: no proposal matches (no rule named)" "NO-PROPOSAL-CHOSEN (Main Mode)" "no proposal matches: client 3DES/MD5/MODP1024"
J_RULE= J_ACTION=negotiate J_MM="configuration's" J_QM="configuration's"
model "d7" "rule: none (default response)" "mmsecmethods: configuration's"

# e. SAs up, then a block rule for their peer: deleted at the policy's next tick
pairs() { "$rampartctl" -s "$tmp/ctl.sock" show sas | grep -o '^[0-9]* IPsec SA pairs' | grep -o '^[0-9]*'; }
out=$(ip netns exec "$c" "$probe" --server $srv --psk "$PSK" --quick --timeout-ms 3000 2>&1)
n1=$(pairs)
if [ "${n1:-0}" -ge 1 ]; then pass "e1 ikeprobe --quick: $n1 IPsec SA pair up ($(tail -1 <<<"$out"))"; else fail "e1 no IPsec SA pair after ikeprobe --quick: $out"; fi
# a rule for another subnet: the store changes, the pair stays
st static add filterlist name=other &&
	st static add filter filterlist=other srcaddr=198.18.59.0 srcmask=24 dstaddr=me &&
	st static add filteraction name=deny action=block &&
	st static add rule name=elsewhere policy=neg filterlist=other filteraction=deny || fail "e2 rule elsewhere refused"
sleep 2.5
n2=$(pairs)
[ "$n2" = "$n1" ] && pass "e2 a block rule for another subnet: the pair stays ($n2)" || fail "e2 pairs $n1 -> $n2 after an unrelated rule"
mark=$(wc -l <"$tmp/log")
st static add rule name=cutoff policy=neg filterlist=lab filteraction=deny || fail "e3 rule cutoff refused"
for _ in $(seq 40); do [ "$(pairs)" = 0 ] && break; sleep 0.1; done
n3=$(pairs)
tail -n +$((mark + 1)) "$tmp/log" >"$tmp/attempt.log"
[ "$n3" = 0 ] && pass "e3 block rule cutoff for the peer: its pair deleted (${n1} -> 0)" || fail "e3 block rule cutoff: pairs $n1 -> $n3"
rlog "e4 the deletion names the rule" "IPsec SA down $peer" "blocked by rule cutoff (store local)"
rlog "e5 rampartd counts what the policy deleted" "of peers the policy now blocks deleted"
J_RULE=cutoff J_ACTION=block J_MM=- J_QM=-
model "e6" "rule: cutoff (policy neg, local store)" "action: block"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] && pass "z rampartd exits 0 on SIGTERM" || fail "z rampartd exit $rc on SIGTERM"
if grep -q 'ERROR: AddressSanitizer\|runtime error:' "$tmp/log"; then
	fail "z sanitizer reports in rampartd's log"
	grep -m3 'ERROR: AddressSanitizer\|runtime error:' "$tmp/log" | sed 's/^/    /'
fi
[ $fails -eq 0 ] && echo "policy_negotiate: all passed" || echo "policy_negotiate: $fails failed"
[ $fails -eq 0 ]
