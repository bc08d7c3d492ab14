# Network namespace topology (sourced by run-client.sh)
#
#  [client VM k eth0 100.64.77.(9+k)] --tap "tapc<k>"-- br0 [ns rpx-client] --veth-- lan 100.64.77.1
#        [ns rpx-nat: forwarding + nftables masquerade (random|preserve ports) + stateful fw]
#  wan 203.0.113.2 --veth-- br0 [ns rpx-server] 203.0.113.1 (server under test binds here)
#                                 (+ tap "taps" to the reference-server VM, which then owns .1; br0 gets .254)
#  --nat-mode none: the client taps join br0 in rpx-server instead (clients 203.0.113.(9+k), no NAT)
#
# net_up only builds namespaces, bridges and veths. The per-run parts (client taps, the
# nftables ruleset for the NAT mode) are applied by net_run_setup / removed by net_run_teardown,
# so one `net-up` serves every --clients / --nat-mode combination.
NS_CLIENT=${NS_CLIENT:-rpx-client}
NS_NAT=${NS_NAT:-rpx-nat}
NS_SERVER=${NS_SERVER:-rpx-server}
LAN_NET=${LAN_NET:-100.64.77}       # RFC 6598 shared address space (CGNAT), not RFC 1918
WAN_NET=${WAN_NET:-203.0.113}       # RFC 5737 TEST-NET-3
WAN_PREFIX=${WAN_PREFIX:-24}
NAT_WAN=${NAT_WAN:-$WAN_NET.2}
NAT_MODE=${NAT_MODE:-random}        # random = remap source ports (like many CPE), preserve = keep ports, none = no NAT

net_exists() { ip netns list | grep -qw "$NS_NAT"; }

net_up() { # $1 = external|reference
  local mode=${1:-external}
  net_exists && net_down
  ip netns add "$NS_CLIENT"; ip netns add "$NS_NAT"; ip netns add "$NS_SERVER"
  for n in "$NS_CLIENT" "$NS_NAT" "$NS_SERVER"; do ip -n "$n" link set lo up; done
  ip link add lan netns "$NS_NAT" type veth peer name uplink netns "$NS_CLIENT"
  ip link add wan netns "$NS_NAT" type veth peer name natlink netns "$NS_SERVER"
  # client LAN segment: bridge (client taps are added per run)
  ip -n "$NS_CLIENT" link add br0 type bridge
  ip -n "$NS_CLIENT" link set uplink master br0
  for d in br0 uplink; do ip -n "$NS_CLIENT" link set "$d" up; done
  # NAT router (the nftables ruleset is loaded per run, see net_apply_nat)
  ip -n "$NS_NAT" addr add "$LAN_NET.1/24" dev lan
  ip -n "$NS_NAT" addr add "$NAT_WAN/$WAN_PREFIX" dev wan
  ip -n "$NS_NAT" link set lan up; ip -n "$NS_NAT" link set wan up
  ip netns exec "$NS_NAT" sysctl -qw net.ipv4.ip_forward=1
  net_apply_nat "$NAT_MODE"
  # server segment
  ip -n "$NS_SERVER" link add br0 type bridge
  ip -n "$NS_SERVER" link set natlink master br0
  if [ "$mode" = reference ]; then
    ip netns exec "$NS_SERVER" ip tuntap add dev taps mode tap
    ip -n "$NS_SERVER" link set taps master br0
    ip -n "$NS_SERVER" link set taps up
    ip -n "$NS_SERVER" addr add "${SERVER_NS_ADDR_REF:-$WAN_NET.254}/$WAN_PREFIX" dev br0
  else
    ip -n "$NS_SERVER" addr add "$SERVER/$WAN_PREFIX" dev br0
  fi
  ip -n "$NS_SERVER" link set natlink up; ip -n "$NS_SERVER" link set br0 up
  echo "$mode" > "$STATE_DIR/net-mode"
}

# (re)load the NAT ruleset: random|preserve = masquerade, none = no NAT rules (clients sit on the WAN)
net_apply_nat() {
  local nx=""
  ip netns exec "$NS_NAT" nft delete table ip harness_nat 2>/dev/null
  [ "$1" = none ] && return 0
  [ "$1" = random ] && nx=" random"
  ip netns exec "$NS_NAT" nft -f - <<EON
table ip harness_nat {
  chain postrouting { type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" masquerade$nx; }
  chain forward { type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" accept; }
}
EON
}

# client_ns K -> namespace that holds client K's tap; client_addr K -> its address
client_ns() { if [ "$NAT_MODE" = none ]; then echo "$NS_SERVER"; else echo "$NS_CLIENT"; fi; }
client_addr() { if [ "$NAT_MODE" = none ]; then echo "$WAN_NET.$((9+$1))"; else echo "$LAN_NET.$((9+$1))"; fi; }

net_run_setup() { # N clients
  local k ns; ns=$(client_ns)
  net_apply_nat "$NAT_MODE"
  # flush conntrack state of earlier runs (stale NAT mappings would change the port picture);
  # KEEP_NAT_MAPPINGS=1 keeps them: a client that crashed and comes back at once through a NAT
  # whose mapping survived (tests/interop/scenarios.sh initial_contact)
  [ -n "${KEEP_NAT_MAPPINGS:-}" ] || ip netns exec "$NS_NAT" conntrack -F >/dev/null 2>&1 || true
  for k in $(seq 1 "$1"); do
    ip -n "$NS_CLIENT" link del "tapc$k" 2>/dev/null; ip -n "$NS_SERVER" link del "tapc$k" 2>/dev/null
    ip netns exec "$ns" ip tuntap add dev "tapc$k" mode tap
    ip -n "$ns" link set "tapc$k" master br0
    ip -n "$ns" link set "tapc$k" up
  done
}

net_run_teardown() { # N
  local k
  for k in $(seq 1 "$1"); do
    ip -n "$NS_CLIENT" link del "tapc$k" 2>/dev/null; ip -n "$NS_SERVER" link del "tapc$k" 2>/dev/null
  done
  return 0
}

net_down() {
  for n in "$NS_CLIENT" "$NS_NAT" "$NS_SERVER"; do
    ip netns list | grep -qw "$n" && ip netns del "$n"
  done
  rm -f "$STATE_DIR/net-mode"
}
