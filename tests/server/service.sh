#!/usr/bin/env bash
# rampart as a service: what `cmake --install` lays down (binaries, unit, rampart.conf kept when
# present), `systemd-analyze verify` on the installed unit, and rampartd running as an unprivileged
# [server] user in a network namespace: /proc/PID/status (uid, capabilities, no_new_privs), the
# control socket for the user's group, sd_notify READY/RELOADING/STOPPING, SIGHUP and CRL re-read,
# key logs, and an account added by root afterwards logging in over L2TP (xl2tpd + a PPP client).
# usage: service.sh BUILD_DIR rampartd rampartctl test_fake_pppd       (root; exit 77 = skipped)
set -euo pipefail
build=$1 rampartd=$2 rampartctl=$3 fake_pppd=$4
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
ns=rp-svc-$$
svc=rpsvc$$ op=rpop$$
tmp=$(mktemp -d)
chmod 755 "$tmp" # the service user and the operator must reach the socket and the state below
pids=()
cleanup() {
	for p in "${pids[@]}" $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
	userdel "$op" 2>/dev/null || true
	userdel "$svc" 2>/dev/null || true
	groupdel "$svc" 2>/dev/null || true
	rm -rf "$tmp"
}
trap "cleanup 2>/dev/null" EXIT
fail() { echo "FAIL: $*" >&2; for f in "$tmp"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }
wait_for() { # file pattern tenths
	for _ in $(seq "$3"); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# ---- 1. cmake --install into a DESTDIR ----------------------------------------------------------
# prefix /opt/rampart: the unit's paths are made from it, and step 2 shows it at that path.
dest=$tmp/root pre=/opt/rampart
DESTDIR=$dest cmake --install "$build" --prefix $pre >"$tmp/install1.log" || fail "cmake --install"
for f in sbin/rampartd bin/rampartctl bin/rampart-replay share/rampart/make-pki.sh; do
	[ -x "$dest$pre/$f" ] || fail "not installed: $pre/$f"
done
unit=$dest$pre/lib/systemd/system/rampartd.service
conf=$dest/etc/rampart/rampart.conf
[ -f "$unit" ] || fail "no unit installed"
[ -f "$dest$pre/lib/sysusers.d/rampart.conf" ] || fail "no sysusers.d entry"
grep -q '^u rampart ' "$dest$pre/lib/sysusers.d/rampart.conf" || fail "sysusers.d entry does not create rampart"
[ "$(stat -c %a "$conf")" = 640 ] || fail "installed rampart.conf is not 0640"
grep -q '^user = rampart$' "$conf" || fail "installed rampart.conf does not run as rampart"
[ "$(stat -c %a "$dest/var/lib/rampart")" = 700 ] || fail "state directory not made 0700"
"$dest$pre/sbin/rampartd" --check-config --config "$conf" >/dev/null || fail "installed rampart.conf refused"
for want in '^Type=notify$' "^ExecStart=$pre/sbin/rampartd --foreground --config /etc/rampart/rampart.conf$" \
	'^ExecReload=/bin/kill -HUP \$MAINPID$' '^NoNewPrivileges=yes$' '^ProtectSystem=strict$' \
	'^ReadWritePaths=/var/lib/rampart$' '^CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_NET_ADMIN '; do
	grep -Eq "$want" "$unit" || fail "unit lacks $want"
done
# an operator's rampart.conf survives a second install
echo "# edited by the operator" >>"$conf"
DESTDIR=$dest cmake --install "$build" --prefix $pre >"$tmp/install2.log" || fail "second cmake --install"
grep -q '^# edited by the operator$' "$conf" || fail "second install overwrote rampart.conf"
grep -q "Keeping the existing $conf" "$tmp/install2.log" || fail "second install did not say it kept rampart.conf"

# ---- 2. systemd-analyze verify -------------------------------------------------------------------
# verify also checks that ExecStart's binary exists: the DESTDIR tree is mounted at the prefix in a
# private mount namespace (a tmpfs over /opt there; the host's /opt is untouched).
verify() { # unit file → output of systemd-analyze verify (rc 0 and no output = accepted)
	# remarks about other installed units (freeradius.service's MemoryLimit=, from the RADIUS
	# test's dependency) are not about ours: dropped
	unshare -m --propagation private sh -c "mount -t tmpfs none /opt && mkdir $pre &&
		mount --bind '$dest$pre' $pre && systemd-analyze verify '$1'" >"$tmp/verify.out" 2>&1 ||
		echo "exit $?" >>"$tmp/verify.out"
	grep -Ev '^/(usr/)?lib/systemd/system/[^/ ]+\.service:' "$tmp/verify.out" || true
}
out=$(verify "$unit")
[ -z "$out" ] || fail "systemd-analyze verify: $out"
# the check can fail: a misspelt directive, and a unit without its binary
sed 's/^NoNewPrivileges=/NoNewPrivilege=/' "$unit" >"$tmp/typo.service"
out=$(verify "$tmp/typo.service")
grep -q "Unknown key 'NoNewPrivilege'" <<<"$out" || fail "verify missed a typo: $out"
sed "s#$pre/sbin/rampartd --foreground#$pre/sbin/nothing --foreground#" "$unit" >"$tmp/nobin.service"
out=$(verify "$tmp/nobin.service")
grep -q "nothing is not executable" <<<"$out" || fail "verify missed a missing binary: $out"
echo "install + systemd-analyze verify: OK"

# ---- 3. rampartd as an unprivileged user ---------------------------------------------------------
useradd --system --no-create-home --shell /usr/sbin/nologin "$svc"
useradd --no-create-home --shell /usr/sbin/nologin -G "$svc" "$op"
svc_uid=$(id -u "$svc")
"$root/etc/make-pki.sh" "$tmp/pki" >/dev/null 2>&1 || fail "make-pki.sh"
chmod 755 "$tmp/pki"
chmod 644 "$tmp/pki/crl.pem" "$tmp/pki/ca.pem" "$tmp/pki/server.pem"
# a reload reads our certificate and key again, as the user: the key is for its group only
chgrp "$svc" "$tmp/pki/server-key.pem"
chmod 640 "$tmp/pki/server-key.pem"
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" addr add 198.18.0.1/32 dev lo
ip -n "$ns" addr add 198.18.0.2/32 dev lo
cat >"$tmp/rampart.conf" <<EOC
[server]
listen = 198.18.0.1
tun_name = rps0
tun_address = 198.18.6.1/24
control_socket = $tmp/run/ctl.sock
state_dir = $tmp/state
user = $svc
[log]
ipsecdiagnostics = 4
keylog = $tmp/keys
[ike]
psk = test-psk
certificate = $tmp/pki/server.pem
private_key = $tmp/pki/server-key.pem
ca = $tmp/pki/ca.pem
crl = $tmp/pki/crl.pem
[l2tp]
allow_plain = yes
[ppp]
auth = mschapv2
[pool]
range = 198.18.6.10-198.18.6.20
EOC
# root:service group 0640: the PSK stays private, and the daemon can read it again on reload
chgrp "$svc" "$tmp/rampart.conf"
chmod 640 "$tmp/rampart.conf"

# NOTIFY_SOCKET as systemd offers it: a datagram socket; each message is one line in notify.log
cat >"$tmp/notify.py" <<'EOP'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)  # as /run/systemd/notify: rampartd sends READY=1 after the drop
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", " ") + "\n")
EOP
python3 "$tmp/notify.py" "$tmp/notify.sock" "$tmp/notify.log" &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done

ip netns exec "$ns" env NOTIFY_SOCKET="$tmp/notify.sock" "$rampartd" --foreground --config "$tmp/rampart.conf" \
	2>"$tmp/rampartd.log" &
pid=$!
pids+=($pid)
wait_for "$tmp/notify.log" '^READY=1' 100 || fail "no READY=1 on NOTIFY_SOCKET"
grep -q "running as $svc (uid $svc_uid" "$tmp/rampartd.log" || fail "no 'running as' line"
grep -q 'not readable by' "$tmp/rampartd.log" && fail "a file the user can read was reported unreadable"
status=$(grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/$pid/status)
echo "/proc/$pid/status after the drop:"
echo "$status"
grep -Eq "^Uid:\s+$svc_uid\s+$svc_uid\s+$svc_uid\s+$svc_uid$" <<<"$status" || fail "uid is not $svc_uid"
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
	grep -Eq "^$cap:\s+0000000000000000$" <<<"$status" || fail "$cap is not empty"
done
grep -Eq '^NoNewPrivs:\s+1$' <<<"$status" || fail "no_new_privs not set"
# still serving: every socket open in the namespace
udp=$(ip netns exec "$ns" ss -uapn)
for port in 500 4500 1701; do grep -q "198.18.0.1:$port .*rampartd" <<<"$udp" || fail "UDP $port: $udp"; done
ip netns exec "$ns" ss -wapn | grep -q rampartd || fail "raw ESP socket gone"

# what was handed over
[ "$(stat -c '%a %U %G' "$tmp/run/ctl.sock")" = "660 $svc $svc" ] || fail "control socket: $(stat -c '%a %U %G' "$tmp/run/ctl.sock")"
[ "$(stat -c '%a %U' "$tmp/run")" = "750 $svc" ] || fail "socket directory: $(stat -c '%a %U' "$tmp/run")"
[ "$(stat -c '%a %U' "$tmp/state")" = "700 $svc" ] || fail "state directory: $(stat -c '%a %U' "$tmp/state")"
[ "$(stat -c '%a %U' "$tmp/state/accounts.db")" = "600 $svc" ] || fail "accounts.db: $(stat -c '%a %U' "$tmp/state/accounts.db")"
for k in keys keys.ikev1; do
	[ "$(stat -c '%a %U' "$tmp/$k")" = "600 $svc" ] || fail "key log $k: $(stat -c '%a %U' "$tmp/$k")"
done

# ---- 4. the control socket: the group's members, and nobody else ---------------------------------
out=$(runuser -u "$op" -- "$rampartctl" -s "$tmp/run/ctl.sock" show config) || fail "operator cannot run rampartctl"
grep -q "server.user = $svc" <<<"$out" || fail "show config as the operator: $out"
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups "$rampartctl" -s "$tmp/run/ctl.sock" show config \
	>/dev/null 2>"$tmp/err" || rc=$?
[ $rc -eq 2 ] && grep -q 'Permission denied' "$tmp/err" || fail "outsider reached the socket (exit $rc): $(cat "$tmp/err")"

# ---- 5. reload as the user: SIGHUP, rampartctl reload, the CRL re-read ----------------------------
kill -HUP $pid
wait_for "$tmp/rampartd.log" 'configuration reloaded from .* (SIGHUP)' 50 || fail "SIGHUP reload"
runuser -u "$op" -- "$rampartctl" -s "$tmp/run/ctl.sock" reload || fail "rampartctl reload by the operator"
wait_for "$tmp/rampartd.log" 'configuration reloaded from .* (rampartctl)' 50 || fail "rampartctl reload"
grep -q 'reload .* refused' "$tmp/rampartd.log" && fail "a reload was refused"
# the CRL is read again at each reload, as the user: unreadable, the reload says so
chmod 600 "$tmp/pki/crl.pem"
kill -HUP $pid
wait_for "$tmp/rampartd.log" 'reload (SIGHUP) refused, keeping the running configuration: .*crl.pem' 50 ||
	fail "an unreadable CRL went unnoticed"
chmod 644 "$tmp/pki/crl.pem"
# systemd saw each reload: RELOADING=1 then READY=1, three times after the first READY=1
for _ in $(seq 30); do [ "$(grep -c . "$tmp/notify.log")" -ge 7 ] && break; sleep 0.1; done
[ "$(tr '\n' ' ' <"$tmp/notify.log")" = "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 " ] ||
	fail "notifications: $(cat "$tmp/notify.log")"
kill -0 $pid || fail "rampartd died"

# ---- 6. an account added by root after the drop logs in ------------------------------------------
echo vpnpass | "$rampartctl" account -d "$tmp/state" add vpnuser - >/dev/null || fail "account add"
[ "$(stat -c '%U' "$tmp/state/accounts.db")" = "$svc" ] || fail "root's account add took accounts.db from the user"
ls "$tmp/state" | grep -Ev '^accounts.db(-wal|-shm)?$' && fail "files left in the state directory: $(ls -l "$tmp/state")"
# the store is in WAL mode and rampartd holds it open: the -wal and -shm files root's write used
# must stay the service's, or its next write fails
for f in "$tmp"/state/accounts.db-*; do
	[ "$(stat -c '%a %U' "$f")" = "600 $svc" ] || fail "$f: $(stat -c '%a %U' "$f")"
done
# xl2tpd as the LAC on 198.18.0.2 (plain L2TP, allowed above), its pppd replaced by the test PPP
# client (user vpnuser, password vpnpass, MS-CHAPv2) in a private mount namespace
printf 'noauth\nname vpnuser\npassword vpnpass\n' >"$tmp/options"
echo "* * x" >"$tmp/l2tp-secrets"
chmod 600 "$tmp/l2tp-secrets"
cat >"$tmp/xl2tpd.conf" <<EOX
[global]
listen-addr = 198.18.0.2
port = 1701
auth file = $tmp/l2tp-secrets
[lac rampart]
lns = 198.18.0.1
autodial = yes
redial = no
challenge = no
name = vpnuser
pppoptfile = $tmp/options
EOX
ip netns exec "$ns" unshare -m --propagation private sh -c "mount --bind '$fake_pppd' /usr/sbin/pppd &&
	exec xl2tpd -D -c $tmp/xl2tpd.conf -s $tmp/l2tp-secrets -p $tmp/xl2tpd.pid -C $tmp/l2tp-control" \
	>"$tmp/xl2tpd.log" 2>&1 &
pids+=($!)
wait_for "$tmp/rampartd.log" 'vpnuser is up with 198.18.6' 200 || fail "vpnuser did not log in"
echo "login after the drop: $(grep -o 'vpnuser is up with.*' "$tmp/rampartd.log")"

# ---- 7. SIGTERM as the user: STOPPING=1, exit 0, socket removed ----------------------------------
kill -TERM $pid
rc=0
wait $pid || rc=$?
[ $rc -eq 0 ] || fail "exit $rc after SIGTERM"
wait_for "$tmp/notify.log" '^STOPPING=1' 20 || fail "no STOPPING=1"
[ ! -e "$tmp/run/ctl.sock" ] || fail "control socket left behind"

# ---- 8. a user that does not exist: a clear refusal at start --------------------------------------
sed "s/^user = .*/user = rp-nobody-$$/; s/rps0/rps1/; s#$tmp/run/#$tmp/run2/#" "$tmp/rampart.conf" >"$tmp/nouser.conf"
chmod 600 "$tmp/nouser.conf"
rc=0
ip netns exec "$ns" "$rampartd" --foreground --config "$tmp/nouser.conf" 2>"$tmp/err" || rc=$?
[ $rc -eq 1 ] && grep -q "user \"rp-nobody-$$\" does not exist" "$tmp/err" || fail "unknown user: exit $rc $(cat "$tmp/err")"
echo "service: OK"
