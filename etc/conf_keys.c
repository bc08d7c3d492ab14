/* Every configuration key: one row here, documented in etc/rampart.conf. */
#include <stddef.h>

#include "conf_local.h"

#define F(f) offsetof(struct conf, f)
#define U(s, k, f, lo, hi)                                                                                   \
	{                                                                                                    \
		s, k, CT_UINT, F(f), 0, lo, hi, false, false                                                 \
	}
#define B(s, k, f)                                                                                           \
	{                                                                                                    \
		s, k, CT_BOOL, F(f), 0, 0, 0, false, false                                                   \
	}
#define S(s, k, f, sec)                                                                                      \
	{                                                                                                    \
		s, k, CT_STR, F(f), 0, 0, sizeof(((struct conf *)0)->f), sec, false                          \
	}
#define L(s, k, t, f, n, max)                                                                                \
	{                                                                                                    \
		s, k, t, F(f), F(n), 0, max, false, false                                                    \
	}

/* The [server] keys (sockets, the TUN device, the state directory) and the [monitor] keys (its
 * socket, and the key read as root before the privilege drop) are set up once at start: a reload
 * reports them as needing a restart. Every other key applies on reload. */
const struct conf_key conf_keys[] = {
    {"server", "listen", CT_ADDRS, F(listen), F(n_listen), 0, CONF_MAX_ADDRS, false, true},
    {"server", "ike_port", CT_UINT, F(ike_port), 0, 1, 65535, false, true},
    {"server", "natt_port", CT_UINT, F(natt_port), 0, 1, 65535, false, true},
    {"server", "l2tp_port", CT_UINT, F(l2tp_port), 0, 1, 65535, false, true},
    {"server", "raw_esp", CT_BOOL, F(raw_esp), 0, 0, 0, false, true},
    {"server", "udp_gso", CT_BOOL, F(udp_gso), 0, 0, 0, false, true},
    {"server", "udp_gro", CT_BOOL, F(udp_gro), 0, 0, 0, false, true},
    {"server", "tun_offload", CT_BOOL, F(tun_offload), 0, 0, 0, false, true},
    {"server", "tun_coalesce", CT_BOOL, F(tun_coalesce), 0, 0, 0, false, true},
    {"server", "tun_name", CT_STR, F(tun_name), 0, 0, sizeof(((struct conf *)0)->tun_name), false, true},
    {"server", "tun_address", CT_CIDR, F(tun_addr), F(tun_prefix), 8, 30, false, true},
    {"server", "tun_mtu", CT_UINT, F(tun_mtu), 0, 576, 9000, false, true},
    {"server", "control_socket", CT_STR, F(control_socket), 0, 0, CONF_STR, false, true},
    {"server", "state_dir", CT_STR, F(state_dir), 0, 0, CONF_STR, false, true},
    {"server", "user", CT_STR, F(user), 0, 0, sizeof(((struct conf *)0)->user), false, true},

    U("log", "ipsecdiagnostics", ipsecdiagnostics, 0, 7),
    B("log", "ikelogging", ikelogging),
    U("log", "ipsecloginterval", ipsecloginterval, 60, 86400),
    S("log", "keylog", keylog, false),
    U("log", "line_budget", log_line_budget, 0, 1000000),

    S("ike", "psk", psk, true),
    U("ike", "phase1_lifetime", phase1_lifetime, 60, 7 * 86400),
    U("ike", "phase2_lifetime", phase2_lifetime, 60, 7 * 86400),
    U("ike", "dpd_delay", dpd_delay, 0, 3600),
    U("ike", "dpd_timeout", dpd_timeout, 0, 3600),
    L("ike", "dh_groups", CT_GROUPS, dh_groups, n_dh_groups, 16),
    L("ike", "main_mode_methods", CT_MM_METHODS, mm_methods, n_mm_methods, CONF_MAX_METHODS),
    L("ike", "quick_mode_methods", CT_QM_METHODS, qm_methods, n_qm_methods, CONF_MAX_METHODS),
    S("ike", "certificate", certificate, false),
    S("ike", "private_key", private_key, false),
    S("ike", "ca", ca, false),
    S("ike", "crl", crl, false),
    B("ike", "send_certificate_always", send_certificate_always),
    U("ike", "max_sa", ike_max_sa, 1, 4194304),
    U("ike", "max_halfopen", ike_max_halfopen, 1, 4194304),
    U("ike", "max_halfopen_per_ip", ike_max_halfopen_ip, 1, 4194304),
    U("ike", "max_sa_payload", ike_max_sa_payload, 256, 65535),
    U("ike", "dh_per_s", ike_dh_per_s, 1, 1000000),
    U("ike", "max_child_sa", ike_max_child, 1, 65536),
    U("ike", "frag_per_ip", ike_frag_per_ip, 16384, 4194304),

    U("esp", "replay_window", replay_window, 64, 4096),
    U("esp", "natt_keepalive", natt_keepalive, 0, 3600),
    U("esp", "max_sa", esp_max_sa, 2, 16777216),

    B("l2tp", "allow_plain", allow_plain_l2tp),
    U("l2tp", "hello_interval", hello_interval, 0, 3600),
    U("l2tp", "receive_window", receive_window, 1, 256),
    S("l2tp", "tunnel_secret", tunnel_secret, true),
    U("l2tp", "max_tunnels", max_tunnels, 1, 4194304),
    U("l2tp", "max_sessions", max_sessions, 1, 4194304),
    U("l2tp", "max_tunnels_per_sa", max_tunnels_per_sa, 1, 65535),
    U("l2tp", "max_sessions_per_sa", max_sessions_per_sa, 1, 65535),
    U("l2tp", "max_sessions_per_account", max_sessions_per_account, 0, 4194304),

    U("ppp", "mru", mru, 576, 1500),
    {"ppp", "mss_clamp", CT_MSS, F(mss_clamp), 0, 216, 9000, false, false},
    {"ppp", "auth", CT_AUTH, F(auth), 0, 0, 0, false, false},
    L("ppp", "dns", CT_ADDRS, dns, n_dns, 2),
    L("ppp", "wins", CT_ADDRS, wins, n_wins, 2),
    L("ppp", "routes", CT_PREFIXES, routes, n_routes, CONF_MAX_ROUTES),
    S("ppp", "domain", domain, false),
    U("ppp", "lcp_echo_interval", lcp_echo_interval, 0, 3600),
    U("ppp", "lcp_echo_failure", lcp_echo_failure, 1, 100),
    B("ppp", "login_must_match_certificate", login_must_match_certificate),
    L("ppp", "dns6", CT_ADDRS6, dns6, n_dns6, 2),
    U("ppp", "login_fail_max", login_fail_max, 0, 10000),
    U("ppp", "login_peer_fail_max", login_peer_fail_max, 0, 10000),
    U("ppp", "login_account_fail_max", login_account_fail_max, 0, 100000),
    U("ppp", "login_fail_window", login_fail_window, 1, 86400),
    U("ppp", "login_lockout", login_lockout, 1, 86400),
    U("ppp", "login_account_lockout", login_account_lockout, 1, 86400),

    L("pool", "range", CT_RANGES, pool, n_pool, CONF_MAX_ADDRS),
    /* the TUN device's IPv6 address comes from it, and is set before privileges are dropped */
    {"pool", "prefix6", CT_PREFIX6, F(prefix6), F(prefix6_len), 16, 63, false, true},

    {"monitor", "listen", CT_ENDPOINT, F(monitor_listen), 0, 0, 0, false, true},
    {"monitor", "certificate", CT_STR, F(monitor_certificate), 0, 0, CONF_STR, false, true},
    {"monitor", "private_key", CT_STR, F(monitor_private_key), 0, 0, CONF_STR, false, true},
    {"monitor", "ca", CT_STR, F(monitor_ca), 0, 0, CONF_STR, false, true},

    L("radius", "auth_servers", CT_HOSTPORTS, radius_auth, n_radius_auth, CONF_MAX_ADDRS),
    L("radius", "acct_servers", CT_HOSTPORTS, radius_acct, n_radius_acct, CONF_MAX_ADDRS),
    {"radius", "secret", CT_STR, F(radius_secret), 0, 0, CONF_STR, true, false},
    S("radius", "nas_identifier", radius_nas_identifier, false),
    L("radius", "nas_ip_address", CT_ADDRS, radius_nas_ip, n_radius_nas_ip, 1),
    U("radius", "timeout", radius_timeout, 1, 60),
    U("radius", "retries", radius_retries, 1, 10),
    U("radius", "interim_interval", radius_interim, 0, 86400),
    {"radius", "local_store", CT_LSTORE, F(radius_local_store), 0, 0, 0, false, false},
    U("radius", "acct_queue", radius_acct_queue, 1, 100000),
    U("radius", "dae_port", radius_dae_port, 0, 65535),
    {"radius", "dae_secret", CT_STR, F(radius_dae_secret), 0, 0, CONF_STR, true, false},
    U("policy", "resolve_interval", policy_resolve_interval, 2, 86400),
};

const size_t conf_nkeys = sizeof conf_keys / sizeof conf_keys[0];
