/* etc: configuration and control protocol. No I/O: callers feed lines and bytes.
 *
 *   conf.c       parser fed line by line → immutable, refcounted snapshot (struct conf)
 *   conf_keys.c  the table of sections/keys: type, range, default, documentation
 *   ctl.c        control-protocol codec (rampartctl <-> rampartd over a Unix socket)
 *   rampart.conf the commented default configuration (the documentation of every key)
 */
#ifndef CONF_H
#define CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_policy.h"
#include "rp_base.h"

#define CONF_MAX_ADDRS 8
#define CONF_STR 256
#define CONF_MAX_METHODS 24 /* so a list still fits the CONF_STR * 2 a reload compares */

/* [radius] local_store: the local account store first (RADIUS for names it does not know),
 * second (only when no RADIUS server answers), or never */
/* [ppp] mss_clamp: off (0), a fixed MSS, or auto (from the TUN MTU and the PPP MRU) */
enum { CONF_MSS_OFF = 0, CONF_MSS_AUTO = 0xffffffffu };
enum conf_local_store { CONF_LOCAL_FIRST, CONF_LOCAL_SECOND, CONF_LOCAL_NEVER };
enum conf_auth { CONF_AUTH_PAP = 1u << 0, CONF_AUTH_CHAP = 1u << 1, CONF_AUTH_MSCHAPV2 = 1u << 2 };

struct conf_range {
	struct rp_addr first, last;
};

#define CONF_MAX_ROUTES 16
struct conf_prefix {
	uint32_t net; /* host order, host bits cleared */
	unsigned len;
};

/* One immutable snapshot. The daemon swaps a pointer on reload; holders keep their reference. */
struct conf {
	unsigned refs;

	/* [server] */
	struct rp_addr listen[CONF_MAX_ADDRS];
	unsigned n_listen;
	unsigned ike_port, natt_port, l2tp_port;
	bool raw_esp;
	bool udp_gso;      /* [server] udp_gso: runs of datagrams to one peer as one UDP_SEGMENT send */
	bool udp_gro;      /* [server] udp_gro: coalesced receive on the NAT-T socket */
	bool tun_offload;  /* [server] tun_offload: TUN with virtio-net headers, TSO/USO cut here */
	bool tun_coalesce; /* [server] tun_coalesce: one UDP flow's packets as one USO write */
	char tun_name[16];
	struct rp_addr tun_addr; /* the server's tunnel address */
	unsigned tun_prefix;
	unsigned tun_mtu;
	char control_socket[CONF_STR];
	char state_dir[CONF_STR];
	char user[64]; /* switch to this account after opening sockets and TUN; empty = stay root */

	/* [log] — the netsh "ipsec dynamic set config" properties */
	unsigned ipsecdiagnostics; /* 0-7 */
	bool ikelogging;
	unsigned ipsecloginterval; /* seconds, 60-86400 */
	char keylog[CONF_STR];     /* Wireshark key log path; empty = off */
	unsigned log_line_budget;  /* lines per 10 s, all kinds together; 0 = no budget */

	/* [ike] */
	char psk[CONF_STR];
	unsigned phase1_lifetime, phase2_lifetime; /* seconds */
	unsigned dpd_delay, dpd_timeout;           /* seconds; 0 disables DPD */
	unsigned dh_groups[16];
	unsigned n_dh_groups;
	/* security methods in netsh's words (ike_policy.h); 0 = the built-in lists (ike_method.c) */
	struct ike_mm_method mm_methods[CONF_MAX_METHODS];
	unsigned n_mm_methods;
	struct ike_qm_method qm_methods[CONF_MAX_METHODS];
	unsigned n_qm_methods;
	/* RSA-signature authentication (all three of certificate, private_key, ca, or none) */
	char certificate[CONF_STR]; /* our chain, PEM, leaf first */
	char private_key[CONF_STR]; /* PEM, unencrypted */
	char ca[CONF_STR];          /* trust anchors: a PEM file (also named in our CR) or a directory */
	char crl[CONF_STR];         /* optional CRL file, re-read on SIGHUP */
	bool send_certificate_always;
	unsigned ike_max_sa; /* IKE SAs, half-open ones included */
	/* admission control (issue 12, ike/ike_adm.c) */
	unsigned ike_max_halfopen, ike_max_halfopen_ip, ike_max_sa_payload, ike_dh_per_s, ike_max_child,
	    ike_frag_per_ip;

	/* [esp] */
	unsigned replay_window;
	unsigned natt_keepalive; /* seconds */
	unsigned esp_max_sa;     /* SAD entries: two per client, plus SPIs reserved in Quick Mode */

	/* [l2tp] */
	bool allow_plain_l2tp;
	unsigned hello_interval, receive_window;
	unsigned max_tunnels, max_sessions; /* all links together */
	unsigned max_tunnels_per_sa, max_sessions_per_sa; /* per IPsec SA (plain L2TP: per address) */
	unsigned max_sessions_per_account;                /* a ceiling over every account; 0 = none */
	char tunnel_secret[CONF_STR];

	/* [ppp] */
	unsigned mru;
	unsigned mss_clamp; /* CONF_MSS_OFF, CONF_MSS_AUTO or the MSS */
	unsigned auth; /* enum conf_auth bits */
	struct rp_addr dns[2], wins[2];
	unsigned n_dns, n_wins;
	unsigned lcp_echo_interval, lcp_echo_failure;
	/* split tunnelling: answered to DHCPINFORM (options 121/249, 15) */
	struct conf_prefix routes[CONF_MAX_ROUTES];
	unsigned n_routes;
	char domain[CONF_STR];
	bool login_must_match_certificate;
	/* failed-login throttling (l2tp/throttle.c); a _max of 0 turns its rule off */
	unsigned login_fail_max, login_peer_fail_max, login_account_fail_max;
	unsigned login_fail_window, login_lockout, login_account_lockout; /* seconds */
	struct rp_addr dns6[2]; /* IPv6 DNS servers, in Router Advertisements (RFC 8106 RDNSS) */
	unsigned n_dns6;

	/* [pool] */
	struct conf_range pool[CONF_MAX_ADDRS];
	unsigned n_pool;
	/* IPv6 in the tunnel: each session gets a /64 of it (family 0 = no IPv6, IPV6CP rejected) */
	struct rp_addr prefix6;
	unsigned prefix6_len;

	/* [monitor] — the IP Security Monitor (HTTP(S) page, JSON API, /metrics); all read at start */
	struct rp_addr monitor_listen;      /* address and port; family 0 = off */
	char monitor_certificate[CONF_STR]; /* PEM chain: HTTPS; empty = plain HTTP, loopback only */
	char monitor_private_key[CONF_STR];
	char monitor_ca[CONF_STR]; /* PEM file: clients must present a certificate it validates */

	/* [radius]: servers as address + port (0 = the standard 1812/1813), tried in order */
	struct rp_addr radius_auth[CONF_MAX_ADDRS], radius_acct[CONF_MAX_ADDRS];
	unsigned n_radius_auth, n_radius_acct;
	char radius_secret[CONF_STR];
	char radius_nas_identifier[64];
	struct rp_addr radius_nas_ip[1];
	unsigned n_radius_nas_ip;
	unsigned radius_timeout;     /* seconds before a retransmission */
	unsigned radius_retries;     /* transmissions per server before the next one */
	unsigned radius_interim;     /* seconds between Interim-Updates; 0 = none */
	unsigned radius_local_store; /* enum conf_local_store */
	unsigned radius_acct_queue;  /* accounting records kept while no server answers */
	unsigned radius_dae_port;    /* RFC 5176 Disconnect-Request listener; 0 = off */
	char radius_dae_secret[CONF_STR];

	/* [policy] */
	unsigned policy_resolve_interval; /* seconds between lookups of DNS names in IPsec filters */
};

struct conf *conf_defaults(void);
struct conf *conf_ref(struct conf *c);
void conf_unref(struct conf *c);

/* Line-by-line parsing. `name` is used in error messages ("rampart.conf:12: unknown key"). */
struct conf_parser;
struct conf_parser *conf_parser_new(const char *name);
int conf_parser_line(struct conf_parser *p, const char *line, size_t len); /* 0 or -1 */
/* The finished snapshot (checks that need the whole file), or NULL with the error set. */
struct conf *conf_parser_finish(struct conf_parser *p);
const char *conf_parser_error(const struct conf_parser *p);
void conf_parser_free(struct conf_parser *p);

/* Whole buffer convenience (still no I/O): splits into lines and feeds them. */
struct conf *conf_parse_buffer(const char *name, const char *text, size_t len, char *err, size_t errlen);

/* Writes "section.key = value" lines, secrets masked; returns bytes written (snprintf-style). */
size_t conf_dump(const struct conf *c, char *out, size_t n);

/* The keys one by one (0 .. conf_key_count() - 1): for a reload's report and `show config`. */
size_t conf_key_count(void);
const char *conf_key_section(size_t i);
const char *conf_key_name(size_t i);
bool conf_key_needs_restart(size_t i); /* the [server] and [monitor] keys: read once at start */
enum conf_value_kind {
	CONF_VALUE_NUMBER,
	CONF_VALUE_BOOL,
	CONF_VALUE_STRING,
	CONF_VALUE_NUMBERS,
	CONF_VALUE_STRINGS
};
enum conf_value_kind conf_key_kind(size_t i); /* how conf_key_format's text reads as JSON */
size_t conf_key_format(const struct conf *c, size_t i, char *out, size_t n); /* secrets masked */
bool conf_key_differs(const struct conf *a, const struct conf *b, size_t i);

/* ---- control protocol ----------------------------------------------------------------------
 * Request: one line of words, separated by spaces; a word with spaces or quotes is "quoted" with
 * \" and \\ escapes. Response: body lines each starting with "- ", then a final line "+ok" or
 * "!error text". Lines are at most CTL_LINE bytes. Text, so `socat` is a debugger. */
#define CTL_LINE 4096
#define CTL_MAX_ARGS 32

int ctl_split(const char *line, size_t len, char store[CTL_LINE], char *argv[CTL_MAX_ARGS]); /* argc or -1 */
int ctl_join(char *out, size_t n, int argc, char *const argv[]);                             /* len or -1 */

enum ctl_line_kind { CTL_BODY, CTL_OK, CTL_ERR, CTL_BAD };
/* Classifies one response line (without its newline); *text points at the payload. */
enum ctl_line_kind ctl_response_line(const char *line, size_t len, const char **text, size_t *tlen);

#endif
