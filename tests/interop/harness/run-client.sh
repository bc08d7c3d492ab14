#!/bin/bash
# L2TP/IPsec client test harness: boots 1..4 stock Debian client VMs (strongSwan or libreswan
# + xl2tpd + pppd) behind one nftables NAT (or directly on the WAN) and connects them, all at
# once, to a server in netns rpx-server.
#
#   ./run-client.sh setup                 install packages, fetch kernel, build initramfs (cached)
#   ./run-client.sh net-up | net-down     create/remove the namespaces (server under test runs in rpx-server)
#   ./run-client.sh run [--opt value...]  run the client(s) once (default command)
#   ./run-client.sh reference [...]       self-test against a reference strongSwan/xl2tpd/pppd server VM
#   ./run-client.sh shell-client          boot client VM 1 with an interactive shell (debug)
#   ./run-client.sh profiles              print the proposal profiles
# Options: any --some-name VALUE sets env SOME_NAME=VALUE (see README.md).
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE=${CACHE:-/var/cache/rampart-interop}
STATE_DIR=${STATE_DIR:-/run/rampart-interop}
mkdir -p "$STATE_DIR"

CMD=run
case "${1:-}" in setup|net-up|net-down|run|reference|shell-client|profiles) CMD=$1; shift;; esac
while [ $# -gt 0 ]; do
  case "$1" in
    --*) k=${1#--}; k=${k^^}; k=${k//-/_}; [ $# -ge 2 ] || { echo "missing value for $1" >&2; exit 2; }
         printf -v "$k" '%s' "$2"; export "$k"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

log() { echo "[harness] $*" >&2; }
die() { log "$*"; exit 2; }

SERVER=${SERVER:-203.0.113.1}
CLIENTS=${CLIENTS:-1}
NAT_MODE=${NAT_MODE:-random}
IKE_DAEMON=${IKE_DAEMON:-strongswan}
PSK=${PSK:-harness-psk}; USERNAME=${USERNAME:-vpnuser}; PASSWORD=${PASSWORD:-vpnpass}
export SERVER CLIENTS NAT_MODE IKE_DAEMON PSK USERNAME PASSWORD
case "$CLIENTS" in 1|2|3|4) ;; *) die "--clients must be 1..4";; esac
case "$NAT_MODE" in random|preserve|none) ;; *) die "--nat-mode must be random, preserve or none";; esac
case "$IKE_DAEMON" in strongswan|libreswan) ;; *) die "--ike-daemon must be strongswan or libreswan";; esac
TIMEOUT=${TIMEOUT:-$(( 240 + 60 * (CLIENTS - 1) ))}
OUT=${OUT:-$HERE/out/$(date +%Y%m%d-%H%M%S)}
CAPTURE=${CAPTURE:-1}
POOL_NET=${POOL_NET:-198.19.77}     # reference server PPP pool (RFC 2544 benchmarking range)
. "$HERE/lib/net.sh"

# ---- proposal profiles (strongSwan syntax; docs/clients.md) ----------------
# name|IKE|ESP
PROFILES='default|aes256-sha1-modp1024,aes128-sha1-modp2048,3des-sha1-modp1024!|aes256-sha1,aes128-sha1,3des-sha1!
windows10|aes256-sha1-ecp384,aes128-sha1-ecp256,aes256-sha1-modp2048,aes128-sha1-modp2048,3des-sha1-modp2048,3des-sha1-modp1024!|aes256-sha1,aes128-sha1,3des-sha1!
ios|aes256-sha256-modp2048,aes256-sha1-modp2048,aes128-sha1-modp1024,3des-sha1-modp1024!|aes256-sha1,aes128-sha1,3des-sha1!
android|aes256-sha1-modp1024,aes256-md5-modp1024,aes128-sha1-modp1024,aes128-md5-modp1024,3des-sha1-modp1024,3des-md5-modp1024!|aes256-sha512,aes256-sha1,aes128-sha1,3des-sha1,aes256-md5,aes128-md5,3des-md5!
nm-l2tp|aes256-sha256-modp2048,aes256-sha256-modp1536,aes256-sha256-modp1024,aes256-sha1-modp2048,aes256-sha1-modp1536,aes256-sha1-modp1024,aes256-sha1-ecp384,aes128-sha1-modp1024,aes128-sha1-ecp256,3des-sha1-modp2048,3des-sha1-modp1024!|aes256-sha1,aes128-sha1,3des-sha1!
legacy|3des-sha1-modp1024!|3des-sha1!'
if [ "$CMD" = profiles ]; then echo "$PROFILES" | tr '|' '\t'; exit 0; fi
PROFILE=${PROFILE:-default}
pline=$(echo "$PROFILES" | grep "^$PROFILE|") || die "unknown --profile $PROFILE (windows10|ios|android|nm-l2tp|legacy|default)"
IFS='|' read -r _ P_IKE P_ESP <<< "$pline"
IKE=${IKE:-$P_IKE}; ESP=${ESP:-$P_ESP}     # --ike/--esp override the profile
export PROFILE IKE ESP
# libreswan: same syntax minus "!"; Debian's libreswan 4.10 is built without MODP1024 (DH2),
# so those proposals are dropped (and listed in LSW_DROPPED)
if [ "$IKE_DAEMON" = libreswan ]; then
  LSW_IKE=""; LSW_DROPPED=""
  for p in $(echo "${IKE%!}" | tr ',' ' '); do
    case "$p" in *modp1024*) LSW_DROPPED="${LSW_DROPPED:+$LSW_DROPPED,}$p" ;; *) LSW_IKE="${LSW_IKE:+$LSW_IKE,}$p" ;; esac
  done
  LSW_ESP=${ESP%!}
  export LSW_IKE LSW_ESP LSW_DROPPED
fi

do_setup() {
  "$HERE/lib/build.sh" >/dev/null || { log "setup failed"; exit 2; }
  KERNEL=$CACHE/vmlinuz; INITRD=$CACHE/initramfs.cpio.gz
  # accelerator: try KVM once (boot test), fall back to TCG; result cached
  if [ -z "${ACCEL:-}" ]; then
    if [ -f "$CACHE/accel" ]; then ACCEL=$(cat "$CACHE/accel"); else
      ACCEL=tcg
      if [ -w /dev/kvm ]; then
        log "probing KVM (25 s max)..."
        local d; d=$(mktemp -d)
        ( timeout 25 qemu-system-x86_64 -accel kvm -cpu host -M pc -m 256 -nodefaults -display none \
          -serial file:"$d/console" -no-reboot -kernel "$KERNEL" -initrd "$INITRD" \
          -append "console=ttyS0 quiet panic=-1 harness_role=boottest" >/dev/null 2>&1 ) 2>/dev/null
        grep -q "boot test ok" "$d/console" 2>/dev/null && ACCEL=kvm
        rm -rf "$d"
      fi
      echo "$ACCEL" > "$CACHE/accel"; log "accelerator: $ACCEL (cached in $CACHE/accel)"
    fi
  fi
  if [ "$ACCEL" = kvm ]; then CPU="-cpu host"; else CPU="-cpu max"; fi
}

# start_vm NAME NETNS TAP MAC ROLE SHAREDIR MEM -> sets VM_PID
start_vm() {
  local name=$1 ns=$2 tap=$3 mac=$4 role=$5 share=$6 mem=$7
  ip netns exec "$ns" qemu-system-x86_64 -name "$name" -accel "$ACCEL" $CPU -M pc -m "$mem" -smp 1 \
    -nodefaults -display none -no-reboot -monitor none \
    -serial file:"$share/console.log" \
    -kernel "$KERNEL" -initrd "$INITRD" \
    -append "console=ttyS0 quiet panic=-1 harness_role=$role ${KERNEL_APPEND:-}" \
    -netdev tap,id=n0,ifname="$tap",script=no,downscript=no -device virtio-net-pci,netdev=n0,mac="$mac" \
    -virtfs local,path="$share",mount_tag=host,security_model=none,id=fs0 \
    -device virtio-rng-pci > "$share/qemu.log" 2>&1 &
  VM_PID=$!
  echo "$VM_PID" > "$STATE_DIR/$name.pid"
}

PIDS=()
cleanup() {
  local p
  [ -n "${SERVER_CMD_PID:-}" ] && kill -- -"$SERVER_CMD_PID" 2>/dev/null
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  if [ "${NET_CREATED:-0}" = 1 ] && [ "${KEEP_NET:-0}" != 1 ]; then net_down
  elif [ "${TAPS_CREATED:-0}" = 1 ]; then net_run_teardown "$CLIENTS"; fi
  rm -f "$STATE_DIR"/*.pid
}

write_config() { # FILE VAR...
  local f=$1 v; shift; : > "$f"
  for v in "$@"; do
    [ -n "${!v+x}" ] || continue
    local val=${!v}; val=${val//\'/\'\\\'\'}
    echo "$v='$val'" >> "$f"
  done
}
CONF_VARS="SERVER PSK USERNAME PASSWORD IKE ESP IPSEC_AUTH LEFTID RIGHTID PPP_AUTH PPP_OPTS PPP_MTU
 PING_TARGET PING6_TARGET PING_COUNT BULK_UP BULK_DOWN_URL BULK_KB T_IKE T_L2TP T_PPP WAIT_GO KEEP_UP
 L2TP_USERSPACE L2TP_DEBUG_AVP L2TP_DEBUG_NET LEFT_PORT FORCEENCAPS IPSEC_EXTRA CHARON_IKE_LOG
 CHARON_NET_LOG CHARON_ENC_LOG T_HOLD RETRANSMIT_TIMEOUT RETRANSMIT_TRIES CLIENT_ADDR CLIENT_GW
 SRV_IKE SRV_ESP SRV_PSK SRV_PASSWORD SERVER_LIFETIME CLIENTS CLIENT_ID POOL_NET PROFILE
 IKE_DAEMON LSW_IKE LSW_ESP LSW_DROPPED LSW_ENCAPSULATION LSW_PFS PLUTO_DEBUG"

# credentials of client K: 1 = USERNAME/PASSWORD; K>1 = USER<K>/PASS<K>, else derived <USERNAME>K/<PASSWORD>K
client_user() { local v=USER$1; if [ "$1" = 1 ]; then echo "$USERNAME"; else echo "${!v:-$USERNAME$1}"; fi; }
client_pass() { local v=PASS$1; if [ "$1" = 1 ]; then echo "$PASSWORD"; else echo "${!v:-$PASSWORD$1}"; fi; }

# xfrm-state.txt -> Wireshark esp_sa UAT lines (addresses wildcarded: the capture is post-NAT)
esp_sa() {
  awk '
  function encname(a, icv) {
    if (a=="cbc(aes)") return "AES-CBC [RFC3602]"
    if (a=="cbc(des3_ede)") return "TripleDES-CBC [RFC2451]"
    if (a=="cbc(des)") return "DES-CBC [RFC2405]"
    if (a=="rfc3686(ctr(aes))") return "AES-CTR [RFC3686]"
    if (a=="rfc4106(gcm(aes))") return "AES-GCM with " icv/8 " octet ICV [RFC4106]"
    if (a=="ecb(cipher_null)") return "NULL"
    return "UNKNOWN(" a ")" }
  function authname(a, t) {
    if (a=="hmac(sha1)") return "HMAC-SHA-1-96 [RFC2404]"
    if (a=="hmac(sha256)" && t==128) return "HMAC-SHA-256-128 [RFC4868]"
    if (a=="hmac(sha256)") return "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]"
    if (a=="hmac(sha384)") return "HMAC-SHA-384-192 [RFC4868]"
    if (a=="hmac(sha512)") return "HMAC-SHA-512-256 [RFC4868]"
    if (a=="hmac(md5)") return "HMAC-MD5-96 [RFC2403]"
    return "UNKNOWN(" a ")" }
  function flush() { if (spi!="") printf "\"IPv4\",\"*\",\"*\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"\n", spi, enc, ekey, auth, akey; spi="" }
  /^src /   { flush() }
  /proto esp spi/ { for (i=1;i<=NF;i++) if ($i=="spi") spi=$(i+1) }
  /^[ \t]*enc / { enc=encname($2); ekey=$3 }
  /^[ \t]*aead / { enc=encname($2,$4); ekey=$3; auth="NULL"; akey="" }
  /^[ \t]*auth-trunc / { auth=authname($2,$4); akey=$3 }
  /^[ \t]*auth / { auth=authname($2,96); akey=$3 }
  END { flush() }' "$1"
}

case "$CMD" in
  setup) do_setup; log "kernel=$KERNEL initrd=$INITRD ($(du -h "$(readlink -f "$INITRD")" | cut -f1)) accel=$ACCEL"; exit 0 ;;
  net-up) net_up external; log "namespaces up: server address $SERVER in netns $NS_SERVER (client taps are added per run)"; exit 0 ;;
  net-down) net_down; log "namespaces removed"; exit 0 ;;
esac

exec 9>"$STATE_DIR/lock"
flock -n 9 || { log "another harness run is active ($STATE_DIR/lock)"; exit 2; }
do_setup
T_START=$(date +%s.%N)
trap cleanup EXIT
trap 'exit 3' INT TERM
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# a reused --out folder must not leak the previous run's barrier/result files into this one
rm -rf "$OUT"/server "$OUT"/client "$OUT"/client[1-4] "$OUT"/{phases-host.txt,summary.json,summary.err,esp_sa} 2>/dev/null

if [ "$CMD" = reference ]; then
  net_up reference; NET_CREATED=1
elif ! net_exists; then
  net_up external; NET_CREATED=1
elif [ "$(cat "$STATE_DIR/net-mode" 2>/dev/null)" = reference ]; then
  net_up external; NET_CREATED=1
fi
[ "$CMD" = shell-client ] && CLIENTS=1
net_run_setup "$CLIENTS"; TAPS_CREATED=1
CNS=$(client_ns)

if [ "$CAPTURE" = 1 ]; then
  ip netns exec "$NS_SERVER" tcpdump -i br0 -s 0 -U -Z root -w "$OUT/wan.pcap" 'not arp' >"$OUT/tcpdump-wan.log" 2>&1 &
  PIDS+=($!)
  if [ "$NAT_MODE" != none ]; then
    ip netns exec "$NS_CLIENT" tcpdump -i br0 -s 0 -U -Z root -w "$OUT/lan.pcap" 'not arp' >"$OUT/tcpdump-lan.log" 2>&1 &
    PIDS+=($!)
  fi
fi

if [ -n "${SERVER_CMD:-}" ]; then
  log "starting server under test in $NS_SERVER: $SERVER_CMD"
  ip netns exec "$NS_SERVER" setsid bash -c "$SERVER_CMD" > "$OUT/server-cmd.log" 2>&1 &
  SERVER_CMD_PID=$!
  sleep "${SERVER_CMD_DELAY:-1}"
fi

[ -n "${CERT_DIR:-}" ] && export IPSEC_AUTH=${IPSEC_AUTH:-cert}
[ "${IPSEC_AUTH:-psk}" = cert ] && [ -z "${CERT_DIR:-}" ] && die "--ipsec-auth cert needs --cert-dir DIR (lib/make-test-certs.sh DIR)"
# every client waits at a barrier and the host releases them together ("go"), once all of them
# (and the reference server) are ready, so the IKE exchanges really overlap
export WAIT_GO=${WAIT_GO:-$TIMEOUT}

if [ "$CMD" = reference ]; then
  mkdir -p "$OUT/server"
  : > "$OUT/server/chap-secrets"
  for k in $(seq 1 "$CLIENTS"); do
    u=$(client_user "$k"); p=$(client_pass "$k"); [ "$k" = 1 ] && p=${SRV_PASSWORD:-$p}
    printf '"%s" * "%s" *\n' "$u" "$p" >> "$OUT/server/chap-secrets"
  done
  write_config "$OUT/server/config.env" $CONF_VARS
  if [ -n "${CERT_DIR:-}" ]; then mkdir -p "$OUT/server/certs"; cp "$CERT_DIR"/server.crt "$CERT_DIR"/server.key "$CERT_DIR"/ca.crt "$OUT/server/certs/"; fi
  start_vm srv "$NS_SERVER" taps 52:54:00:00:01:01 server "$OUT/server" "${SERVER_MEM:-${VM_MEM:-256}}"; SRV_PID=$VM_PID; PIDS+=($SRV_PID)
  log "reference server VM pid $SRV_PID (console $OUT/server/console.log)"
fi

# reference with LOAD_CMD (tests/interop/reference_load.sh): no client VMs. Once the server VM is
# ready, LOAD_CMD runs in the client namespace from $LAN_NET.50 behind the NAT (or $WAN_NET.50
# with --nat-mode none); its exit code is the run's.
if [ "$CMD" = reference ] && [ -n "${LOAD_CMD:-}" ]; then
  if [ "$NAT_MODE" = none ]; then
    ip -n "$CNS" addr add "$WAN_NET.50/$WAN_PREFIX" dev br0
  else
    ip -n "$CNS" addr add "$LAN_NET.50/24" dev br0
    ip -n "$CNS" route add "$WAN_NET.0/$WAN_PREFIX" via "$LAN_NET.1"
  fi
  dl=$(( $(date +%s) + TIMEOUT ))
  until [ -e "$OUT/server/ready" ]; do
    kill -0 "$SRV_PID" 2>/dev/null || die "reference server VM died (console $OUT/server/console.log)"
    [ "$(date +%s)" -lt "$dl" ] || die "reference server VM not ready in ${TIMEOUT}s"
    sleep 1
  done
  log "reference server ready; in $CNS: $LOAD_CMD"
  ip netns exec "$CNS" bash -c "$LOAD_CMD"; rc=$?
  touch "$OUT/server/stop"   # the VM copies its logs (charon, xl2tpd, pppd) to $OUT/server, then stops
  for i in $(seq 1 60); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.5; done
  exit $rc
fi

# per-client share folders and configs
for k in $(seq 1 "$CLIENTS"); do
  d="$OUT/client$k"; mkdir -p "$d"
  if [ -n "${CERT_DIR:-}" ]; then
    mkdir -p "$d/certs"; cp "$CERT_DIR"/client.crt "$CERT_DIR"/client.key "$CERT_DIR"/ca.crt "$d/certs/"
    # libreswan keeps keys in NSS: hand it a PKCS#12 (empty password) to import with pk12util
    [ "$IKE_DAEMON" = libreswan ] && { openssl pkcs12 -export -in "$d/certs/client.crt" -inkey "$d/certs/client.key" \
        -name client -passout pass: -out "$d/certs/client.p12" 2>"$d/certs/p12.log" || die "openssl pkcs12 failed: $(cat "$d/certs/p12.log")"; }
  fi
  (
    export CLIENT_ID=$k USERNAME="$(client_user "$k")" PASSWORD="$(client_pass "$k")"
    export CLIENT_ADDR="$(client_addr "$k")/$( [ "$NAT_MODE" = none ] && echo "$WAN_PREFIX" || echo 24)"
    if [ "$NAT_MODE" = none ]; then export CLIENT_GW=""; else export CLIENT_GW="$LAN_NET.1"; fi
    if [ "$CMD" = reference ]; then
      export BULK_UP=${BULK_UP:-$POOL_NET.1:$((5000+k))} BULK_DOWN_URL=${BULK_DOWN_URL:-http://$POOL_NET.1:8080/blob}
    fi
    write_config "$d/config.env" $CONF_VARS
  )
done
ln -sfn client1 "$OUT/client"    # backward-compatible path for single-client runs

if [ "$CMD" = shell-client ]; then
  log "interactive client VM; leave with 'poweroff -f'"
  ip netns exec "$CNS" qemu-system-x86_64 -accel "$ACCEL" $CPU -M pc -m "${CLIENT_MEM:-${VM_MEM:-256}}" -nodefaults -nographic -serial mon:stdio -no-reboot \
    -kernel "$KERNEL" -initrd "$INITRD" -append "console=ttyS0 quiet panic=-1 harness_role=shell" \
    -netdev tap,id=n0,ifname=tapc1,script=no,downscript=no -device virtio-net-pci,netdev=n0,mac=52:54:00:00:02:01 \
    -virtfs local,path="$OUT/client1",mount_tag=host,security_model=none,id=fs0 -device virtio-rng-pci
  exit 0
fi

T_VM=$(date +%s.%N)
declare -A CPID SHOWN T_RES
for k in $(seq 1 "$CLIENTS"); do
  start_vm "cli$k" "$CNS" "tapc$k" "52:54:00:00:02:0$k" client "$OUT/client$k" "${CLIENT_MEM:-${VM_MEM:-256}}"
  CPID[$k]=$VM_PID; SHOWN[$k]=0; PIDS+=($VM_PID)
  log "client $k: VM pid $VM_PID addr $(client_addr "$k") user $(client_user "$k") ns $CNS"
done
log "clients=$CLIENTS nat=$NAT_MODE profile=$PROFILE ike-daemon=$IKE_DAEMON accel=$ACCEL limit ${TIMEOUT}s"

el() { echo "$(date +%s.%N) - $T_VM" | bc | awk '{printf "%6.1f", $1}'; }
DEADLINE=$(( $(date +%s) + TIMEOUT ))
go_sent=0; srv_ready=0; [ "$CMD" = reference ] || srv_ready=1
while :; do
  alive=0
  for k in $(seq 1 "$CLIENTS"); do
    f="$OUT/client$k/console.log"
    if [ -f "$f" ]; then
      n=$(wc -l < "$f")
      if [ "$n" -gt "${SHOWN[$k]}" ]; then
        e=$(el)
        chunk=$(sed -n "$((SHOWN[$k]+1)),${n}p" "$f" | tr -d '\r' | grep -E '^(phase|RESULT|harness-init)')
        [ -n "$chunk" ] && echo "$chunk" | sed "s/^/  [vm+${e}s] c$k| /" | tee -a "$OUT/phases-host.txt"
        SHOWN[$k]=$n
        [ -z "${T_RES[$k]:-}" ] && grep -q '^RESULT' <<< "$chunk" && T_RES[$k]=$(echo $e)
      fi
    fi
    kill -0 "${CPID[$k]}" 2>/dev/null && alive=1
  done
  if [ $srv_ready = 0 ] && [ -e "$OUT/server/ready" ]; then
    log "reference server VM ready $(el | tr -d ' ')s after VM start"; srv_ready=1
  fi
  if [ $go_sent = 0 ] && [ $srv_ready = 1 ]; then
    w=0; for k in $(seq 1 "$CLIENTS"); do [ -e "$OUT/client$k/waiting" ] && w=$((w+1)); done
    if [ $w = "$CLIENTS" ]; then
      for k in $(seq 1 "$CLIENTS"); do touch "$OUT/client$k/go"; done
      go_sent=1; T_GO=$(el | tr -d ' '); log "all $CLIENTS client(s) released (go) at vm+${T_GO}s"
    fi
  fi
  # "all up" barrier (several clients): release once every client is up, has given up, or died
  if [ "$CLIENTS" -gt 1 ] && [ $go_sent = 1 ] && [ "${allup_sent:-0}" = 0 ]; then
    w=0; nup=0
    for k in $(seq 1 "$CLIENTS"); do
      if [ -e "$OUT/client$k/up" ]; then w=$((w+1)); nup=$((nup+1))
      elif [ -e "$OUT/client$k/done" ] || ! kill -0 "${CPID[$k]}" 2>/dev/null; then w=$((w+1)); fi
    done
    if [ $w = "$CLIENTS" ]; then
      for k in $(seq 1 "$CLIENTS"); do echo "up=$nup/$CLIENTS" > "$OUT/client$k/all_up"; done
      allup_sent=1; log "all-up barrier released at vm+$(el | tr -d ' ')s: $nup of $CLIENTS client(s) up at the same time"
    fi
  fi
  [ $alive = 0 ] && break
  if [ "$(date +%s)" -ge "$DEADLINE" ]; then log "TIMEOUT after ${TIMEOUT}s, killing the VMs"; break; fi
  sleep 0.5
done
if [ -n "${SRV_PID:-}" ]; then
  touch "$OUT/server/stop"
  for i in $(seq 1 60); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.5; done
fi
T_END=$(date +%s.%N)
: > "$OUT/esp_sa"
for k in $(seq 1 "$CLIENTS"); do
  [ -s "$OUT/client$k/xfrm-state.txt" ] && esp_sa "$OUT/client$k/xfrm-state.txt" >> "$OUT/esp_sa"
done
if [ "$CMD" = reference ] && [ "$CLIENTS" = 1 ] && [ "$NAT_MODE" = random ] && [ "$PROFILE" = default ] \
   && [ "$IKE_DAEMON" = strongswan ] && [ "${IPSEC_AUTH:-psk}" = psk ]; then SAVE_CAPTURE=${SAVE_CAPTURE:-$HERE/captures}; fi
if [ -n "${SAVE_CAPTURE:-}" ] && [ -s "$OUT/wan.pcap" ]; then
  mkdir -p "$SAVE_CAPTURE"; cn=${CAPTURE_NAME:-l2tp-ipsec-natt}
  cp "$OUT/wan.pcap" "$SAVE_CAPTURE/$cn-wan.pcap"
  cp "$OUT/lan.pcap" "$SAVE_CAPTURE/$cn-lan.pcap" 2>/dev/null
  cp "$OUT/esp_sa" "$SAVE_CAPTURE/$cn.esp_sa" 2>/dev/null
  cp "$OUT/client1/xfrm-state.txt" "$SAVE_CAPTURE/$cn.xfrm-state.txt" 2>/dev/null
  log "capture + ESP keys saved in $SAVE_CAPTURE"
fi

ok=0; rc=0
for k in $(seq 1 "$CLIENTS"); do
  RES=$(tr -d '\r' 2>/dev/null < "$OUT/client$k/result.txt" | grep '^RESULT' || true)
  [ -n "$RES" ] || RES="RESULT ike=UNKNOWN harness=TIMEOUT_OR_CRASH"
  echo "RESULT client=$k ${RES#RESULT }"
  case "$RES" in
    *"ppp=PASS"*"ping=PASS"*"ping_all=FAIL"*) [ $rc = 0 ] && rc=1 ;;
    *"ppp=PASS"*"ping=PASS"*) ok=$((ok+1)) ;;
    *harness=*) rc=2 ;;
    *) [ $rc = 0 ] && rc=1 ;;
  esac
done
WALL=$(echo "$T_END - $T_START" | bc | awk '{printf "%.1f", $1}')
OUT="$OUT" CLIENTS="$CLIENTS" MODE="$CMD" WALL="$WALL" T_GO="${T_GO:-}" SRV_IKE="${SRV_IKE:-}" \
  T_RES="$(for k in $(seq 1 "$CLIENTS"); do printf '%s=%s ' "$k" "${T_RES[$k]:-}"; done)" \
  USERS="$(for k in $(seq 1 "$CLIENTS"); do printf '%s ' "$(client_user "$k")"; done)" \
  ADDRS="$(for k in $(seq 1 "$CLIENTS"); do printf '%s ' "$(client_addr "$k")"; done)" \
  python3 "$HERE/lib/summary.py" > "$OUT/summary.json" 2> "$OUT/summary.err" || log "summary.json failed: $(cat "$OUT/summary.err")"
echo "SUMMARY clients=$CLIENTS ok=$ok nat=$NAT_MODE profile=$PROFILE ike_daemon=$IKE_DAEMON wall=${WALL}s"
log "wall time ${WALL}s; logs in $OUT (summary.json)"
[ $ok = "$CLIENTS" ] && rc=0 || { [ $rc = 0 ] && rc=1; }
exit $rc
