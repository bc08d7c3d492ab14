#!/usr/bin/env bash
# rampartctl account: add, list, passwd, disable, del against a real SQLite store.
set -euo pipefail
ctl=$1
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$ctl" account -d "$d" add alice pw-alice group=staff ip=198.18.5.50 || fail "add"
echo "pw-bob" | "$ctl" account -d "$d" add bob - || fail "add from stdin"
if "$ctl" account -d "$d" add alice other 2>"$d/err"; then fail "duplicate accepted"; fi
grep -q "already exists" "$d/err" || fail "duplicate message"
"$ctl" account -d "$d" disable bob
out=$("$ctl" account -d "$d" list)
grep -q '^alice .*enabled .*group=staff ip=198.18.5.50' <<<"$out" || fail "list: $out"
grep -q '^bob .*disabled' <<<"$out" || fail "list: $out"
grep -q 'pw-' "$d/accounts.db" && fail "cleartext password in the store"
[ "$(stat -c %a "$d/accounts.db")" = 600 ] || fail "store is not 0600"
# a store everyone can read (NT hashes) or others can write (accounts, rights) is refused with
# its path and mode, not silently used (issue 10 item 7); so is a state directory others can write
chmod 644 "$d/accounts.db"
if "$ctl" account -d "$d" list 2>"$d/err"; then fail "world-readable store used"; fi
grep -q "$d/accounts.db: file mode 0644 lets everyone read" "$d/err" || fail "store mode: $(cat "$d/err")"
chmod 620 "$d/accounts.db"
if "$ctl" account -d "$d" list 2>"$d/err"; then fail "group-writable store used"; fi
grep -q "mode 0620 lets its group write it" "$d/err" || fail "store mode: $(cat "$d/err")"
chmod 600 "$d/accounts.db"
chmod 777 "$d"
if "$ctl" account -d "$d" list 2>"$d/err"; then fail "world-writable state directory used"; fi
grep -q "$d: directory mode 0777 lets everyone write it" "$d/err" || fail "dir mode: $(cat "$d/err")"
chmod 700 "$d"
"$ctl" account -d "$d" passwd alice new-pw || fail "passwd"
"$ctl" account -d "$d" del bob || fail "del"
if "$ctl" account -d "$d" del bob 2>/dev/null; then fail "del of a missing account"; fi
[ "$("$ctl" account -d "$d" list | wc -l)" = 1 ] || fail "count after del"

# groups, certificate mapping and rights (schema 2), each effective at once: "certmap test" maps a
# certificate of the demo PKI (etc/make-pki.sh output committed in tests/data/pki) through the store
pki=$(cd "$(dirname "$0")/../data/pki" && pwd)
"$ctl" account -d "$d" add mallory pw-m || fail "add mallory"
"$ctl" account -d "$d" add carol pw-c || fail "add carol"
"$ctl" group -d "$d" add contractors || fail "group add"
if "$ctl" group -d "$d" add contractors 2>/dev/null; then fail "duplicate group accepted"; fi
"$ctl" group -d "$d" member add contractors mallory || fail "member add"
if "$ctl" group -d "$d" member add contractors nobody 2>/dev/null; then fail "member add of a missing account"; fi
"$ctl" group -d "$d" list | grep -q '^contractors .*members=mallory' || fail "group list: $("$ctl" group -d "$d" list)"
# split-tunnel routes and domain per group (issue 16): normalised, listed, refused when malformed
"$ctl" group -d "$d" set contractors routes=10.20.1.0/16,198.18.99.0/24 domain=ext.example || fail "group set routes"
"$ctl" group -d "$d" list | grep -q '^contractors .* routes=10.20.0.0/16 198.18.99.0/24 domain=ext.example$' ||
	fail "group list routes: $("$ctl" group -d "$d" list)"
if "$ctl" group -d "$d" set contractors routes=10.0.0.0/33 2>/dev/null; then fail "route /33 accepted"; fi
if "$ctl" group -d "$d" set contractors 'domain=a;b' 2>/dev/null; then fail "bad domain accepted"; fi
if "$ctl" group -d "$d" set nosuch routes=10.0.0.0/8 2>/dev/null; then fail "routes on a missing group"; fi
"$ctl" group -d "$d" set contractors routes= domain= || fail "group set routes= domain="
"$ctl" group -d "$d" list | grep -q '^contractors .*members=mallory$' || fail "routes unset: $("$ctl" group -d "$d" list)"
"$ctl" group -d "$d" list | grep -q '^staff .*members=alice' || fail "primary group not listed"

# per-account and per-group limits (issue 16, schema 3)
"$ctl" account -d "$d" set mallory max_sessions=2 rate=1000/3000 idle=600 >/dev/null || fail "set limits"
"$ctl" account -d "$d" list | grep -q '^mallory .* max_sessions=2 rate=1000/3000 idle=600$' || fail "limits: $("$ctl" account -d "$d" list)"
"$ctl" account -d "$d" set mallory rate= >/dev/null || fail "unset rate"
"$ctl" account -d "$d" list | grep -q '^mallory .* max_sessions=2 idle=600$' || fail "rate unset: $("$ctl" account -d "$d" list)"
if "$ctl" account -d "$d" set mallory max_sessions=-1 2>/dev/null; then fail "negative limit accepted"; fi
"$ctl" group -d "$d" set contractors rate=500 >/dev/null || fail "group set"
"$ctl" group -d "$d" list | grep -q '^contractors .* rate=500/500$' || fail "group limits: $("$ctl" group -d "$d" list)"
if "$ctl" group -d "$d" set nogroup idle=1 2>/dev/null; then fail "group set of a missing group"; fi

out=$("$ctl" certmap -d "$d" list)
grep -q 'mapping: enabled' <<<"$out" || fail "mapping not on by default: $out"
if "$ctl" certmap -d "$d" test "$pki/alice.pem" >"$d/out"; then fail "unmapped certificate accepted"; fi
grep -q 'result=no mapping rule matches' "$d/out" || fail "unmapped: $(cat "$d/out")"
"$ctl" certmap -d "$d" add byname=upn >/dev/null || fail "certmap add byname"
"$ctl" certmap -d "$d" test "$pki/alice.pem" | grep -q 'result=ok account=alice' || fail "UPN mapping"
"$ctl" certmap -d "$d" add byname=email >/dev/null || fail "certmap add byname email"
"$ctl" certmap -d "$d" test "$pki/mallory.der" | grep -q 'result=ok account=mallory' || fail "e-mail mapping (DER file)"
# many-to-one beats by name; issuer+subject beats issuer
"$ctl" certmap -d "$d" add "issuer=CN=rampart demo CA, O=Example" ou=Staff account=carol >/dev/null || fail "certmap add issuer"
"$ctl" certmap -d "$d" test "$pki/alice.pem" | grep -q 'account=carol' || fail "issuer+OU rule does not win"
"$ctl" certmap -d "$d" add "issuer=CN=rampart demo CA,O=Example" "subject=CN=alice,OU=Staff,O=Example" account=alice >/dev/null || fail "certmap add subject"
"$ctl" certmap -d "$d" test "$pki/alice.pem" | grep -q 'account=alice' || fail "issuer+subject rule does not win"
# two fingerprint rules for different accounts: ambiguous, refused
fp=$(sha256sum "$pki/mallory.der" | cut -c1-64)
"$ctl" certmap -d "$d" add "fingerprint=$fp" account=mallory >/dev/null || fail "certmap add fingerprint"
id=$("$ctl" certmap -d "$d" add "fingerprint=$fp" account=carol | sed -n 's/^rule \([0-9]*\) added$/\1/p')
[ -n "$id" ] || fail "no rule id printed"
if "$ctl" certmap -d "$d" test "$pki/mallory.pem" >"$d/out"; then fail "ambiguous mapping accepted"; fi
grep -q 'result=ambiguous mapping' "$d/out" || fail "ambiguous: $(cat "$d/out")"
"$ctl" certmap -d "$d" del "$id" || fail "certmap del"
if "$ctl" certmap -d "$d" del "$id" 2>/dev/null; then fail "del of a missing rule"; fi
"$ctl" certmap -d "$d" list | grep -q "fingerprint=$fp -> mallory" || fail "list: $("$ctl" certmap -d "$d" list)"
if "$ctl" certmap -d "$d" add fingerprint=abcd account=mallory 2>/dev/null; then fail "short fingerprint accepted"; fi
if "$ctl" certmap -d "$d" add byname=upn account=alice 2>/dev/null; then fail "by-name rule with an account accepted"; fi

# rights: deny by group wins over allow by account; an allow list excludes the unlisted
"$ctl" right -d "$d" allow add account=mallory || fail "right allow"
"$ctl" right -d "$d" deny add group=contractors || fail "right deny"
if "$ctl" right -d "$d" deny add group=contractors 2>/dev/null; then fail "duplicate right accepted"; fi
if "$ctl" certmap -d "$d" test "$pki/mallory.pem" >"$d/out"; then fail "denied certificate accepted"; fi
grep -q 'result=denied network access account=mallory' "$d/out" || fail "deny: $(cat "$d/out")"
grep -q 'deny group=contractors' "$d/out" || fail "deny line does not name the right: $(cat "$d/out")"
if "$ctl" certmap -d "$d" test "$pki/alice.pem" >"$d/out"; then fail "alice not in the allow list accepted"; fi
grep -q 'not allowed' "$d/out" || fail "allow list: $(cat "$d/out")"
"$ctl" right -d "$d" list | grep -q 'deny  group=contractors' || fail "right list: $("$ctl" right -d "$d" list)"
"$ctl" right -d "$d" deny del group=contractors || fail "right del"
"$ctl" certmap -d "$d" test "$pki/mallory.pem" | grep -q 'result=ok' || fail "mallory after the deny was removed"
"$ctl" group -d "$d" member del contractors mallory || fail "member del"
"$ctl" certmap -d "$d" disable || fail "certmap disable"
"$ctl" certmap -d "$d" test "$pki/stranger.pem" | grep -q 'mapping is off' || fail "mapping off"
"$ctl" certmap -d "$d" list | grep -q 'mapping: disabled' || fail "disable not listed"
"$ctl" certmap -d "$d" enable || fail "certmap enable"
# with anchors and a CRL, "certmap test" runs the whole authorization (validation first)
t2030=now=1893456000
"$ctl" certmap -d "$d" test "$pki/mallory.pem" "ca=$pki/ca.pem" "crl=$pki/crl.pem" $t2030 | grep -q 'result=ok account=mallory' || fail "authorize mallory"
# (revoked's certificate maps by the issuer+OU=Staff rule to carol, who must be allowed too)
"$ctl" right -d "$d" allow add account=carol || fail "allow carol"
if "$ctl" certmap -d "$d" test "$pki/revoked.pem" "ca=$pki/anchors" "crl=$pki/crl.pem" $t2030 >"$d/out"; then fail "revoked certificate accepted"; fi
grep -q 'result=revoked' "$d/out" || fail "revoked: $(cat "$d/out")"
"$ctl" certmap -d "$d" test "$pki/revoked.pem" "ca=$pki/ca.pem" $t2030 | grep -q 'result=ok account=carol' || fail "revoked without the CRL"
if "$ctl" certmap -d "$d" test "$pki/expired.pem" "ca=$pki/ca.pem" $t2030 >"$d/out"; then fail "expired accepted"; fi
grep -q 'result=expired' "$d/out" || fail "expired: $(cat "$d/out")"
if "$ctl" certmap -d "$d" test "$pki/stranger.pem" "ca=$pki/ca.pem" $t2030 >"$d/out"; then fail "unknown CA accepted"; fi
grep -q 'result=unknown CA' "$d/out" || fail "unknown CA: $(cat "$d/out")"
echo "account: OK"
