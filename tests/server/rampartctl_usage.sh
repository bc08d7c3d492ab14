#!/usr/bin/env bash
# rampartctl's help and usage errors are answered by rampartctl itself, list every command, and
# never reach rampartd: a listener on the socket records every connection and request.
set -euo pipefail
ctl=$1
d=$(mktemp -d)
lpid=
cleanup() { [ -z "$lpid" ] || kill "$lpid" 2>/dev/null || true; rm -rf "$d"; }
trap 'cleanup 2>/dev/null' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cat >"$d/listen.py" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(8)
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        c, _ = s.accept()
        out.write("request: " + c.recv(4096).decode())
        c.sendall(b"- answered by the listener\n+ok\n")
        c.close()
EOP
python3 "$d/listen.py" "$d/ctl.sock" "$d/requests" &
lpid=$!
for _ in $(seq 50); do [ -S "$d/ctl.sock" ] && break; sleep 0.1; done
export RAMPART_CONTROL=$d/ctl.sock

# help: stdout, exit 0, every command of the daemon and of the account store
for h in --help -h help; do
	out=$("$ctl" $h) || fail "$h: exit $?"
	for c in "show config" "show stats" "show sas" "reload" "ipsec dynamic show config" \
		"ipsec dynamic set config property=" "account \[-d STATE_DIR\] add" "account \[-d STATE_DIR\] del" \
		"group \[-d STATE_DIR\] add" "member add|del" "certmap \[-d STATE_DIR\] add" "certmap \[-d STATE_DIR\] test" \
		"right \[-d STATE_DIR\] allow|deny" "-s, --socket SOCKET"; do
		grep -q -- "$c" <<<"$out" || fail "$h does not list '$c'"
	done
done
"$ctl" -s "$d/ctl.sock" --help | grep -q '^usage: rampartctl' || fail "--help after -s"

# usage errors: exit 2, the usage on stderr, nothing sent
usage_error() { # args...
	local rc=0
	"$ctl" "$@" >"$d/out" 2>"$d/err" || rc=$?
	[ $rc -eq 2 ] || fail "'$*': exit $rc, expected 2"
	grep -q '^usage: rampartctl' "$d/err" || fail "'$*': no usage on stderr: $(cat "$d/err")"
	grep -q 'show config' "$d/err" || fail "'$*': usage does not list the commands"
	[ ! -s "$d/out" ] || fail "'$*': printed on stdout: $(cat "$d/out")"
}
usage_error
usage_error -s
usage_error --frobnicate show config
usage_error frobnicate
usage_error show
usage_error show configuration
usage_error show config extra
usage_error reload now
usage_error ipsec dynamic set config property=ikelogging
usage_error ipsec dynamic set config value=1 property=ikelogging
[ ! -s "$d/requests" ] || fail "a usage error reached the socket: $(cat "$d/requests")"

# the daemon's forms do go out (the listener answers), in any case as rampartd compares them
out=$("$ctl" show config) || fail "show config: exit $?"
[ "$out" = "answered by the listener" ] || fail "show config: $out"
"$ctl" IPSEC dynamic SET config property=ikelogging value=1 >/dev/null || fail "ipsec dynamic set config"
[ "$(cat "$d/requests")" = "request: show config
request: IPSEC dynamic SET config property=ikelogging value=1" ] || fail "requests: $(cat "$d/requests")"
echo "rampartctl usage: OK"
