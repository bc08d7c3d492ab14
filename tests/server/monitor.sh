#!/usr/bin/env bash
# The IP Security Monitor (issue 14) against the real rampartd in network namespaces:
#  1. --check-config: plain HTTP beyond loopback refused; loopback, or any address with a certificate, accepted;
#  2. off by default: no TCP socket (ss) and no descriptor more than with it on;
#  3. the JSON API is rampartctl --json's documents; /metrics passes `promtool check metrics` and
#     counts the session; [monitor] keys are restart-only (reload says so);
#  4. headless Chromium (DevTools protocol, one page load): the plain-L2TP client's row (account,
#     tunnel address) appears in Sessions and ikeprobe's SA pair (its SPI) in Quick Mode, and both
#     go away after rampartctl disconnect without a reload; a screenshot is kept in OUT_DIR;
#  5. with N SA pairs (default 250): the paged lists (limit, offset, sort, order, filter, errors)
#     against rampartctl --json's full document; the page's pager in Chromium (1–200 of N, next
#     page); response times of /api/v1/sas and /metrics (figures; bench_monitor has the in-process
#     ones at 10,000);
#  6. HTTPS with client certificates from tests/data/pki: the allowed client (alice) is served,
#     a certificate of an unknown CA (stranger) and none at all get 403; CORS for another origin.
# Clients: the stock xl2tpd as LAC over plain L2TP with the test PPP client (test_fake_pppd), and
# ikeprobe (the test IKEv1 initiator) for SA pairs.
#
# usage: monitor.sh RAMPARTD RAMPARTCTL IKEPROBE FAKE_PPPD PKI_DIR OUT_DIR
# Prints PASS/FAIL per check and exits 1 when one failed (77: skipped, not root).
set -uo pipefail
rampartd=$1 rampartctl=$2 probe=$3 fake_pppd=$4 pki=$5 out_dir=$6
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip ss jq xl2tpd curl promtool chromium python3; do
	command -v $t >/dev/null || { echo "missing $t (tests/deps/test-*.txt)"; exit 1; }
done

. "$here/lib.sh"
tag=rpmon$$
c=${tag}c s=${tag}s
lib_tmp MONITOR_KEEP
umask 077
pid=
lac=
ns_pair $tag 198.18.62.1 198.18.62.2
srv=198.18.62.2
PSK=monitor-psk-0123456789ab
MON="listen = 127.0.0.1:8090"
conf() {
	cat <<EOC
[server]
listen = $srv
tun_name = rpm0
tun_address = 198.18.63.1/24
control_socket = $tmp/ctl.sock
state_dir = $tmp/state
raw_esp = no
[log]
ipsecdiagnostics = 4
[ike]
psk = $PSK
dh_groups = 14 19 20
[l2tp]
allow_plain = yes
[pool]
range = 198.18.63.10-198.18.63.20
[monitor]
$MON
EOC
}

eq() { if [ "$2" = "$3" ]; then pass "$1: $2"; else fail "$1: got '$2', want '$3'"; fi; }
log_tail() { echo "--- rampartd log (last 30 lines)"; tail -30 "$tmp/log" | sed 's/^/    /'; echo "---"; }
ctl() { "$rampartctl" -s "$tmp/ctl.sock" "$@"; }
acct() { RAMPART_CONF=$tmp/rampart.conf "$rampartctl" -s "$tmp/ctl.sock" account -d "$tmp/state" "$@"; }
S() { ip netns exec "$s" "$@"; }
C() { ip netns exec "$c" "$@"; }
get() { S curl -sS --max-time 5 "http://127.0.0.1:8090$1"; }
start() {
	conf >"$tmp/rampart.conf"
	: >"$tmp/log"
	rampartd_start "$s" "$rampartd" "$tmp/rampart.conf" "$tmp/ctl.sock" "$tmp/log" ||
		{ echo "rampartd did not start"; log_tail; exit 1; }
}
stop() { # SIGTERM: a clean exit (under ASan: no leak, no error report)
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	local rc=$?
	pid=
	if [ $rc -ne 0 ] || grep -q 'Sanitizer' "$tmp/log"; then
		fail "rampartd exit $rc on SIGTERM"
		log_tail
	fi
}
wait_log() { for _ in $(seq "$2"); do grep -q -- "$1" "$tmp/log" && return 0; sleep 0.1; done; return 1; }

# ==== 1. --check-config ============================================================================
check() { # check LABEL WANT-EXIT MONITOR-LINES...
	local label=$1 want=$2
	shift 2
	MON=$(printf '%s\n' "$@") conf >"$tmp/check.conf"
	out=$("$rampartd" --check-config --config "$tmp/check.conf" 2>&1)
	rc=$?
	[ $rc -eq "$want" ] && pass "1 $label: exit $rc: $out" || fail "1 $label: exit $rc (want $want): $out"
}
check "plain HTTP on 198.18.62.2 refused" 2 "listen = 198.18.62.2:8090"
grep -q 'monitor.listen: plain HTTP only on a loopback address' <<<"$out" || fail "1 refusal reason: $out"
check "plain HTTP on 0.0.0.0 refused" 2 "listen = 0.0.0.0:8090"
check "plain HTTP on [::1] accepted" 0 "listen = [::1]:8090"
check "HTTPS on 0.0.0.0 accepted" 0 "listen = 0.0.0.0:8443" "certificate = $pki/server.pem" \
	"private_key = $pki/server-key.pem" "ca = $pki/ca.pem"
check "ca without a certificate refused" 2 "listen = 127.0.0.1:8090" "ca = $pki/ca.pem"

# ==== 2. off by default: nothing opened ============================================================
mkdir -m 700 "$tmp/state"
MON="" start
tcp_off=$(S ss -Htln | wc -l)
fd_off=$(ls /proc/$pid/fd | wc -l)
eq "2a monitor off: TCP listening sockets in the server namespace" "$tcp_off" 0
stop
start
S ss -Htlnp | grep -q '127.0.0.1:8090 .*rampartd' && pass "2b monitor on: rampartd listens on 127.0.0.1:8090" ||
	fail "2b no listener: $(S ss -Htlnp)"
fd_on=$(ls /proc/$pid/fd | wc -l)
echo "    descriptors of rampartd: monitor off $fd_off, on $fd_on (listening socket + MHD's epoll)"
[ "$fd_on" -gt "$fd_off" ] && pass "2c the monitor's descriptors exist only when it is on ($fd_off < $fd_on)" ||
	fail "2c descriptors: off $fd_off on $fd_on"
wait_log 'IP Security Monitor on http://127.0.0.1:8090/' 20 && pass "2d log: IP Security Monitor on http://127.0.0.1:8090/" ||
	fail "2d no monitor log line"

# ==== 3. a client, the JSON API and /metrics =======================================================
echo vpnpass | acct add vpnuser - >/dev/null || fail "account add vpnuser"
d=$tmp/lac
mkdir -p "$d"
printf 'noauth\nname vpnuser\npassword vpnpass\n' >"$d/options"
echo "* * x" >"$d/l2tp-secrets"
cat >"$d/xl2tpd.conf" <<EOX
[global]
listen-addr = 198.18.62.1
port = 1701
auth file = $d/l2tp-secrets
[lac rampart]
lns = $srv
autodial = yes
redial = no
challenge = no
name = vpnuser
pppoptfile = $d/options
EOX
ip netns exec "$c" unshare -m --propagation private sh -c "mount --bind '$fake_pppd' /usr/sbin/pppd &&
	exec xl2tpd -D -c $d/xl2tpd.conf -s $d/l2tp-secrets -p $d/xl2tpd.pid -C $d/l2tp-control" >>"$d/xl2tpd.log" 2>&1 &
lac=$!
if wait_log 'vpnuser is up with' 150; then
	ip=$(grep -o 'vpnuser is up with [0-9.]*' "$tmp/log" | head -1 | awk '{print $5}')
	pass "3a xl2tpd + test PPP client logged in as vpnuser with $ip"
else
	fail "3a vpnuser did not log in"
	log_tail
	tail -15 "$d/xl2tpd.log"
	exit 1
fi
pout=$(C "$probe" --server $srv --psk "$PSK" --quick 2>&1)
spi=$(grep -o 'SPI in 0x[0-9a-f]*' <<<"$pout" | cut -c10-)
[ -n "$spi" ] && pass "3b ikeprobe: an SA pair, SPI in $spi" || fail "3b ikeprobe: $pout"

# the API serves rampartctl --json's documents (age fields tick: compare without them)
strip='del(.. | .age_s?, .up_since?, .lifetime_left_s?)'
eq "3c /api/v1/sas (a page: all of one pair) is rampartctl --json show sas" \
	"$(get /api/v1/sas | jq -cS "del(.matched, .offset, .limit) | $strip")" \
	"$(ctl --json show sas | jq -cS "del(.plain_l2tp) | $strip")"
eq "3c2 /api/v1/sessions: the plain-L2TP session (no transport) and the paging fields" \
	"$(get /api/v1/sessions | jq -c '[.matched, .offset, .limit, (.sessions[] | [.account, .tunnel_ip, .transport])]')" \
	"[1,0,200,[\"vpnuser\",\"$ip\",null]]"
eq "3d /api/v1/config is rampartctl --json show config" "$(get /api/v1/config | jq -cS .)" \
	"$(ctl --json show config | jq -cS .)"
eq "3e /api/v1/stats: ppp sessions_up, ike quick_mode_ok" \
	"$(get /api/v1/stats | jq -c '[.ppp.sessions_up, .ike.negotiations.quick_mode_ok]')" "[1,1]"
eq "3f /api/v1/policy: rule, auth, dh_groups" \
	"$(get /api/v1/policy | jq -c '[.rules[0].authentication, .main_mode.dh_groups, (.note | test("No IPsec policy is assigned"))]')" \
	'[["preshared key"],[14,19,20],true]'
# an IPsec policy assigned in the dynamic store (a management subnet the client is not on)
ctl ipsec dynamic add policy name=office assign=yes >/dev/null &&
	ctl ipsec dynamic add filterlist name=mgmt >/dev/null &&
	ctl ipsec dynamic add filter filterlist=mgmt srcaddr=198.18.64.0 srcmask=24 dstaddr=me >/dev/null &&
	ctl ipsec dynamic add filteraction name=plain action=permit >/dev/null &&
	ctl ipsec dynamic add rule name=mgmt-plain policy=office filterlist=mgmt filteraction=plain >/dev/null ||
	fail "3h dynamic policy commands"
eq "3h /api/v1/policy: the assigned policy's rule, then the configuration's default response" \
	"$(get /api/v1/policy | jq -c '[.name, .store, .in_force, [.rules[] | [.name, .filter.source, .plain_l2tp_permitted]]]')" \
	'["office","dynamic",true,[["mgmt-plain","198.18.64.0/24",true],["default response (the configuration)","any peer no rule matches",true]]]'
get /metrics >"$tmp/metrics"
pt=$(promtool check metrics <"$tmp/metrics" 2>&1)
[ $? -eq 0 ] && pass "3g promtool check metrics accepts /metrics ($(grep -vc '^#' "$tmp/metrics") samples)" ||
	fail "3g promtool: $pt"
for m in 'rampart_sessions 1' 'rampart_pool_addresses{state="leased"} 1' 'rampart_pool_addresses{state="free"} 10' \
	'rampart_ipsec_sa_pairs 1' 'rampart_ike_negotiations_total{result="quick_mode_ok"} 1' \
	'rampart_ppp_authentications_total{result="ok"} 1' 'rampart_esp_bytes_total{direction="in"} ' \
	'rampart_ike_main_mode_duration_seconds_count 1' 'rampart_ike_main_mode_duration_seconds_bucket{le="+Inf"} 1'; do
	grep -qF "$m" "$tmp/metrics" && pass "3h /metrics: $m" || fail "3h /metrics lacks: $m"
done
eq "3i POST refused (read-only)" "$(S curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:8090/api/v1/sas)" 405
eq "3j CORS: the request's origin is named, credentials allowed" \
	"$(S curl -s -D - -o /dev/null -H 'Origin: http://198.18.62.9:8090' http://127.0.0.1:8090/api/v1/sas |
		tr -d '\r' | grep -i '^access-control-allow-' | sort | tr '\n' ' ')" \
	"Access-Control-Allow-Credentials: true Access-Control-Allow-Origin: http://198.18.62.9:8090 "
MON="listen = 127.0.0.1:8091"
conf >"$tmp/rampart.conf"
rl=$(ctl reload 2>&1)
grep -q '^restart needed: monitor.listen$' <<<"$rl" && pass "3k reload: restart needed: monitor.listen" ||
	fail "3k reload: $rl"
eq "3l still served on 8090 after the reload" "$(get /api/v1/sas | jq .ppp_sessions)" 1
MON="listen = 127.0.0.1:8090"

# ==== 4. the page in headless Chromium ============================================================
# 4r "remote computer": the page served from another origin (a copy on a plain web server) reads
# this monitor's API cross-origin, as another rampartd's page would
mkdir -p "$tmp/www"
for f in index.html monitor.css monitor.js; do get "/$f" >"$tmp/www/$f"; done
ip netns exec "$s" python3 -m http.server 8099 --bind 127.0.0.1 --directory "$tmp/www" >/dev/null 2>&1 &
www=$!
for _ in $(seq 50); do S curl -s -o /dev/null http://127.0.0.1:8099/ && break; sleep 0.1; done
S python3 "$here/monitor_cdp.py" chromium "http://127.0.0.1:8099/#remote=http://127.0.0.1:8090" \
	wait sessions present "vpnuser,$ip" 15 eval "document.getElementById('status').textContent" >"$tmp/cdp.out" 2>&1
rc=$?
sed 's/^/    /' "$tmp/cdp.out"
[ $rc -eq 0 ] && pass "4r a page from http://127.0.0.1:8099 shows the sessions of http://127.0.0.1:8090 (CORS)" ||
	fail "4r remote computer (exit $rc)"
kill $www 2>/dev/null
shot=$out_dir/monitor-screenshot.png
rm -f "$shot"
S python3 "$here/monitor_cdp.py" chromium "http://127.0.0.1:8090/" \
	wait sessions present "vpnuser,$ip" 15 \
	wait sa-pairs present "$spi" 15 \
	wait ike-stats present "quick_mode_ok,1" 5 \
	wait policy-rules present "preshared key" 5 \
	wait policy-rules present "mgmt-plain" 5 \
	eval "document.getElementById('status').textContent" \
	shot "$shot" \
	run "$rampartctl -s $tmp/ctl.sock disconnect account=vpnuser" \
	wait sessions absent "vpnuser" 15 \
	run "$rampartctl -s $tmp/ctl.sock disconnect peer=198.18.62.1" \
	wait sa-pairs absent "$spi" 15 >"$tmp/cdp.out" 2>&1
rc=$?
sed 's/^/    /' "$tmp/cdp.out"
[ $rc -eq 0 ] && pass "4a the page showed the client's rows live and dropped them after disconnect" ||
	fail "4a browser steps (exit $rc)"
[ -s "$shot" ] && pass "4b screenshot kept: $shot ($(stat -c %s "$shot") bytes)" || fail "4b no screenshot"
kill -TERM $lac 2>/dev/null

# ==== 5. response times with N SA pairs ============================================================
N=${MONITOR_PAIRS:-250}
C "$probe" --server $srv --psk "$PSK" --quick --count "$N" --timeout-ms 5000 >"$tmp/probe.out" 2>&1 ||
	fail "5 ikeprobe --count $N: $(tail -2 "$tmp/probe.out")"
pairs=$(get /api/v1/sas | jq .ipsec_sa_pairs)
ctl --json show sas >"$tmp/full.json"
all_spis=$(jq -r '.sas[].esp.spi_in' "$tmp/full.json")
eq "5a default page: 200 of $pairs, table order" "$(get /api/v1/sas | jq -r '[.matched, .offset, .limit, (.sas | length)] | @csv')" \
	"$pairs,0,200,200"
eq "5b offset=200&limit=1000: the rest, as in rampartctl's list" \
	"$(get '/api/v1/sas?offset=200&limit=1000' | jq -r '.sas[].esp.spi_in' | tr '\n' ' ')" \
	"$(tail -n +201 <<<"$all_spis" | tr '\n' ' ')"
eq "5c sort=spi_in&order=desc&limit=5: the 5 highest SPIs" \
	"$(get '/api/v1/sas?sort=spi_in&order=desc&limit=5' | jq -r '.sas[].esp.spi_in' | tr '\n' ' ')" \
	"$(LC_ALL=C sort -r <<<"$all_spis" | head -5 | tr '\n' ' ')"
one=$(sed -n 7p <<<"$all_spis")
eq "5d filter=${one^^} (case-insensitive): that pair alone" \
	"$(get "/api/v1/sas?filter=${one^^}" | jq -r '[.matched, .sas[0].esp.spi_in] | @csv')" "1,\"$one\""
eq "5e unknown sort field: 400" "$(S curl -s -o /dev/null -w '%{http_code}' 'http://127.0.0.1:8090/api/v1/sas?sort=nope')" 400
eq "5f limit=0: 400" "$(S curl -s -o /dev/null -w '%{http_code}' 'http://127.0.0.1:8090/api/v1/sas?limit=0')" 400
eq "5g offset past the end: an empty page" "$(get '/api/v1/sas?offset=100000' | jq -c '[.matched, .sas]')" "[$pairs,[]]"
first=$(sed -n 1p <<<"$all_spis") next=$(sed -n 201p <<<"$all_spis")
S python3 "$here/monitor_cdp.py" chromium "http://127.0.0.1:8090/#folder=quick" \
	wait sa-pairs present "$first" 15 \
	eval "document.getElementById('sa-pairs-pager').textContent" \
	eval "document.querySelectorAll('#sa-pairs-pager button')[2].click()" \
	wait sa-pairs present "$next" 10 \
	wait sa-pairs absent "$first" 5 \
	eval "document.getElementById('sa-pairs-pager').textContent" >"$tmp/cdp.out" 2>&1
rc=$?
sed 's/^/    /' "$tmp/cdp.out"
[ $rc -eq 0 ] && grep -qF "previous1\\u2013200 of $pairs" "$tmp/cdp.out" &&
	grep -qF "previous201\\u2013$pairs of $pairs" "$tmp/cdp.out" && # (the dash JSON-escaped)
	pass "5h the page shows 1–200 of $pairs, and the next page (SA pair $next) after a click on next" ||
	fail "5h pager in the browser (exit $rc)"
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
t_sas=$(for _ in $(seq 7); do S curl -s -o /dev/null -w '%{time_total}\n' http://127.0.0.1:8090/api/v1/sas; done | med)
t_met=$(for _ in $(seq 7); do S curl -s -o /dev/null -w '%{time_total}\n' http://127.0.0.1:8090/metrics; done | med)
t_full=$(for _ in $(seq 3); do
	t0=$(date +%s%N)
	ctl --json show sas >/dev/null
	awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
done | med)
size=$(get /api/v1/sas | wc -c)
echo "    figures: $pairs SA pairs: /api/v1/sas (a page) median ${t_sas}s ($size bytes), /metrics median ${t_met}s," \
	"rampartctl --json show sas (all) ${t_full}s"
[ "$pairs" -ge "$N" ] && pass "5 $pairs SA pairs served (/api/v1/sas ${t_sas}s, /metrics ${t_met}s)" ||
	fail "5 only $pairs SA pairs"
stop

# ==== 6. HTTPS with client certificates ============================================================
MON=$(printf '%s\n' "listen = $srv:8443" "certificate = $pki/server.pem" "private_key = $pki/server-key.pem" \
	"ca = $pki/ca.pem")
start
wait_log 'IP Security Monitor on https://198.18.62.2:8443/ (client certificates required)' 20 &&
	pass "6a log: https with client certificates" || fail "6a log line"
tls() { # tls CERT-NAME [curl args]: prints the HTTP status (000: no HTTP answer)
	local n=$1
	shift
	C curl -s -o "$tmp/tls.body" -w '%{http_code}' --max-time 5 --cacert "$pki/ca.pem" \
		--resolve vpn.example.test:8443:$srv ${n:+--cert "$pki/$n.pem" --key "$pki/$n-key.pem"} "$@" \
		https://vpn.example.test:8443/api/v1/sas
}
eq "6b alice (issued by the CA) is served" "$(tls alice)" 200
eq "6c its answer is the sas document" "$(jq -c 'keys' "$tmp/tls.body")" \
	'["addresses_leased","ipsec_sa_pairs","limit","matched","offset","ppp_sessions","sas"]'
t_tls=$(for _ in $(seq 7); do C curl -s -o /dev/null -w '%{time_total}\n' --cacert "$pki/ca.pem" \
	--resolve vpn.example.test:8443:$srv --cert "$pki/alice.pem" --key "$pki/alice-key.pem" \
	https://vpn.example.test:8443/api/v1/sas; done | med)
echo "    figures: HTTPS + client certificate, new connection per request: median ${t_tls}s"
eq "6d stranger (unknown CA) is refused" "$(tls stranger)" 403
grep -q 'refused: client certificate "CN=stranger.*unknown CA' "$tmp/log" && pass "6e log names the certificate and why" ||
	fail "6e log: $(grep monitor "$tmp/log" | tail -3)"
eq "6f no client certificate is refused" "$(tls "")" 403
eq "6g expired client certificate is refused" "$(tls expired)" 403
eq "6h plain HTTP to the HTTPS port gets no answer" \
	"$(C curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://$srv:8443/api/v1/sas)" 000
cors=$(C curl -s -D - -o /dev/null --cacert "$pki/ca.pem" --resolve vpn.example.test:8443:$srv \
	--cert "$pki/alice.pem" --key "$pki/alice-key.pem" -H 'Origin: https://other.example.test:8443' \
	https://vpn.example.test:8443/api/v1/sas | tr -d '\r' | grep -i '^access-control-allow-' | sort | tr '\n' ' ')
eq "6i CORS with client certificates: the origin is named, credentials allowed" "$cors" \
	"Access-Control-Allow-Credentials: true Access-Control-Allow-Origin: https://other.example.test:8443 "
stop

[ $fails -eq 0 ] && echo "monitor: all passed" || echo "monitor: $fails failed"
[ $fails -eq 0 ]
