/* Every configuration key: one row here, documented in etc/rampart.conf. */
#include <stddef.h>

#include "conf_local.h"

#define F(f) offsetof(struct conf, f)
#define U(s, k, f, lo, hi) {s, k, CT_UINT, F(f), 0, lo, hi, false}
#define B(s, k, f) {s, k, CT_BOOL, F(f), 0, 0, 0, false}
#define S(s, k, f, sec) {s, k, CT_STR, F(f), 0, 0, sizeof(((struct conf *)0)->f), sec}
#define L(s, k, t, f, n, max) {s, k, t, F(f), F(n), 0, max, false}

const struct conf_key conf_keys[] = {
	L("server", "listen", CT_ADDRS, listen, n_listen, CONF_MAX_ADDRS),
	U("server", "ike_port", ike_port, 1, 65535),
	U("server", "natt_port", natt_port, 1, 65535),
	U("server", "l2tp_port", l2tp_port, 1, 65535),
	B("server", "raw_esp", raw_esp),
	S("server", "tun_name", tun_name, false),
	{"server", "tun_address", CT_CIDR, F(tun_addr), F(tun_prefix), 8, 30, false},
	U("server", "tun_mtu", tun_mtu, 576, 9000),
	S("server", "control_socket", control_socket, false),
	S("server", "state_dir", state_dir, false),
	S("server", "user", user, false),

	U("log", "ipsecdiagnostics", ipsecdiagnostics, 0, 7),
	B("log", "ikelogging", ikelogging),
	U("log", "ipsecloginterval", ipsecloginterval, 60, 86400),
	S("log", "keylog", keylog, false),

	S("ike", "psk", psk, true),
	U("ike", "phase1_lifetime", phase1_lifetime, 60, 7 * 86400),
	U("ike", "phase2_lifetime", phase2_lifetime, 60, 7 * 86400),
	U("ike", "dpd_delay", dpd_delay, 0, 3600),
	U("ike", "dpd_timeout", dpd_timeout, 0, 3600),
	L("ike", "dh_groups", CT_GROUPS, dh_groups, n_dh_groups, 16),
	S("ike", "certificate", certificate, false),
	S("ike", "private_key", private_key, false),
	S("ike", "ca", ca, false),
	S("ike", "crl", crl, false),
	B("ike", "send_certificate_always", send_certificate_always),

	U("esp", "replay_window", replay_window, 64, 4096),
	U("esp", "natt_keepalive", natt_keepalive, 0, 3600),

	B("l2tp", "allow_plain", allow_plain_l2tp),
	U("l2tp", "hello_interval", hello_interval, 0, 3600),
	U("l2tp", "receive_window", receive_window, 1, 256),
	S("l2tp", "tunnel_secret", tunnel_secret, true),

	U("ppp", "mru", mru, 576, 1500),
	{"ppp", "auth", CT_AUTH, F(auth), 0, 0, 0, false},
	L("ppp", "dns", CT_ADDRS, dns, n_dns, 2),
	L("ppp", "wins", CT_ADDRS, wins, n_wins, 2),
	U("ppp", "lcp_echo_interval", lcp_echo_interval, 0, 3600),
	U("ppp", "lcp_echo_failure", lcp_echo_failure, 1, 100),
	B("ppp", "login_must_match_certificate", login_must_match_certificate),

	L("pool", "range", CT_RANGES, pool, n_pool, CONF_MAX_ADDRS),
};

const size_t conf_nkeys = sizeof conf_keys / sizeof conf_keys[0];
