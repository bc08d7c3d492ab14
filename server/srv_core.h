#ifndef SRV_CORE_H
#define SRV_CORE_H
/* The cores wired together (DESIGN.md "A packet's way"): IKE installs SAs into the ESP SAD,
 * ESP hands inner UDP/1701 to the L2TP LNS, PPP's IP packets go to the TUN and back. */
#include <stdint.h>
#include <stdio.h>

#include "auth.h"
#include "dhcp.h"
#include "dispatch.h"
#include "esp.h"
#include "ike.h"
#include "l2tp.h"
#include "ppp.h"
#include "ra.h"
#include "srv_cert.h"
#include "srv_tab.h"

struct srv;

/* What the cores are handed from one snapshot. They keep pointers into it (the PSK, the tunnel
 * secret, the group lists, our certificate chain and key), so it lives until a reload has handed
 * them the next one (DESIGN.md: a core owns what it keeps). */
struct srv_params {
	struct conf *cf; /* a reference on the snapshot */
	struct ike_psk psk;
	uint16_t groups[16];
	struct ike_conf ike;
	struct ppp_conf ppp;
	struct l2tp_conf l2tp;
	struct srv_cert cert;
	struct dhcp_route routes[CONF_MAX_ROUTES];
	struct dhcp_conf dhcp;
	struct ra_conf ra;
};

/* srv_params.c: built from cf (the reference on it taken), or NULL with err; freed whole. */
struct srv_params *srv_params_new(struct srv *s, struct conf *cf, char *err, size_t errlen);
void srv_params_free(struct srv_params *p);

/* A DHCPINFORM answer waiting to go back into its session (server/dhcp.c). */
struct srv_dhcp_answer {
	uint32_t to; /* the client's tunnel address, host order */
	size_t len;
	uint8_t pkt[DHCP_MAX_ANSWER];
};

/* A Router Advertisement waiting to go back into the session that solicited it (server/ra.c). */
struct srv_ra_answer {
	struct l2tp_link link; /* tunnel IDs are per link */
	uint16_t tid, sid;
	size_t len;
	uint8_t pkt[RA_MAX];
};

/* A client being disconnected (srv_admin.c): its session is closing, its SAs go next. */
struct srv_kill {
	uint32_t spi_in; /* the SA pair (0: none) */
	uint8_t icky[8], rcky[8];
	struct l2tp_link link; /* the session's link and IDs (tid 0: none; tunnel IDs are per link) */
	uint16_t tid, sid;
	uint64_t deadline;
};

struct srv_core {
	struct srv_params *p; /* what the cores were handed from the snapshot in force */
	struct ike *ike;
	struct esp_sad *sad;
	struct l2tp *l2tp;
	struct auth_db *db;
	struct auth_pool *pool;
	struct srv_radius *radius; /* srv_radius.c */
	struct srv_policy *pol;    /* srv_policy.c */
	struct rp_rng rng_nonce, rng_random, rng_key;
	struct srv_tab tab; /* SA pairs and PPP sessions, by hash */
	struct srv_kill *kill;
	size_t nkill, capkill;
	uint64_t sessions_up, sessions_down; /* since start */
	struct srv_dhcp_answer dhcp[4];
	size_t ndhcp;
	uint64_t dhcp_answered, dhcp_dropped;
	/* IPv6 (srv_ip6.c): the RA options of the snapshot in force, answers queued like DHCP's */
	struct ra_conf ra;
	struct srv_ra_answer ras[4];
	size_t nras;
	uint64_t ra_answered, ip6_link_dropped;
	uint64_t short_log_ms; /* the last "ran out of" line (srv_core_short, rate-limited) */
	/* refusals by the key that would raise the limit (show stats); "memory" when none */
	struct {
		const char *key;
		uint64_t n;
	} refused[8];
	uint8_t tx[65536 + 256]; /* outbound packet assembly: headroom for UDP + ESP headers */
};

int srv_core_init(struct srv *s, char *err, size_t errlen);
void srv_core_free(struct srv *s);
/* UDP payload that arrived on one of our ports (mutable: ESP is decrypted in place), with the class
 * dispatch gave it (DP_IKE, DP_NATT_KEEPALIVE, DP_ESP_UDP, DP_L2TP). The packet functions handle
 * the events a packet causes at once and leave ticks and the timer to srv_core_run at the end of
 * the batch (s->core_due). */
void srv_core_udp(struct srv *s, enum disp_proto cls, uint8_t *data, size_t len, const struct rp_addr *src,
                  const struct rp_addr *local);
void srv_core_esp(struct srv *s, uint8_t *data, size_t len, const struct rp_addr *src,
                  const struct rp_addr *local);
/* An IP packet read from the TUN into b, with headroom for PPP, L2TP, UDP and ESP: IPv4 leaves in
 * place through l2tp_output_ip_buf and srv_udp_queue_buf (no copy). */
void srv_core_tun(struct srv *s, struct rp_buf *b);
/* Runs due timers and drains every core's events; rearms the loop timer. */
void srv_core_run(struct srv *s);
void srv_core_events(struct srv *s, uint64_t now);
/* srv_send.c: datagrams to peers (kind: SRV_IKE/SRV_NATT/SRV_L2TP), L2TP frames through their SA,
 * the L2TP core's data callbacks */
void srv_send_udp(struct srv *s, int kind, const struct rp_addr *local, const struct rp_addr *dst,
                  const uint8_t *p, size_t n);
void srv_send_l2tp(struct srv *s, const struct l2tp_link *link, const uint8_t *p, size_t n, uint64_t now);
void srv_l2tp_data_send(void *ctx, const struct l2tp_link *link, const uint8_t *p, size_t n);
void srv_l2tp_data_send_buf(void *ctx, const struct l2tp_link *link, struct rp_buf *b);
/* An IP packet from a session to the TUN (queued for the batch's coalesced write with tun_offload) */
void srv_tun_write(struct srv *s, uint8_t *pkt, size_t n);
/* Reload: every core gets its values from cf (PSK, groups, lifetimes, DPD, certificate, key, CA,
 * CRL, pool, PPP and L2TP options) for the next negotiation or session; what is up stays up.
 * -1 with err when cf cannot be applied (unreadable certificate, bad pool): nothing changed. */
int srv_core_reconf(struct srv *s, struct conf *cf, char *err, size_t errlen);
void srv_core_show_sas(struct srv *s, void (*line)(void *ctx, const char *text), void *ctx);
/* SIGTERM, in two steps: close every PPP session (LCP Terminate, then CDN/StopCCN once the
 * client acknowledges), and when they are gone or time is up, delete every IPsec SA (IKE DELETE).
 * Deleting first would cut the path the CDN needs. */
size_t srv_core_close_sessions(struct srv *s); /* sessions still open */
void srv_core_delete_sas(struct srv *s);
size_t srv_core_sessions(struct srv *s);
/* The routing steps, public for server/test_srv_core.c: an SA pair from IKE into the SAD and the
 * table; the login check the L2TP core asks (l2tp_conf.ppp_authorize). */
void srv_core_sa_install(struct srv *s, const struct ike_ev_sa *e, uint64_t now);
int srv_core_ppp_authorize(void *ctx, const struct l2tp_link *link, const char *account, char *why,
                           size_t whylen);
/* The L2TP core's other callbacks (srv_params.c hands them over): a session's IP packet for the
 * TUN (or DHCP/RA), and a link's outer peer address. */
void srv_core_ip_deliver(void *ctx, const struct l2tp_link *link, const uint8_t *p, size_t n);
int srv_core_peer_of(void *ctx, const struct l2tp_link *link, struct rp_addr *outer);
void srv_core_auth_request(struct srv *s, const struct l2tp_ev_auth *q, uint64_t now);
void srv_core_print_stats(struct srv *s, FILE *f);
void srv_core_keepalives(
    struct srv *s); /* [esp] natt_keepalive: one 0xFF to each peer we are behind NAT from */
const char *srv_esp_name(uint16_t transform);
const char *srv_auth_name(uint16_t auth);
struct srv_child *srv_child_by_in(struct srv_core *c, uint32_t spi_in);
/* What ran out (and the key that raises it, NULL: memory): one rate-limited log line. */
void srv_core_short(struct srv *s, const char *what, const char *key);
/* One pass over every core's event queue; true when there was any. */
bool srv_core_drain(struct srv *s, uint64_t now);

/* rampartctl disconnect account=NAME | ip=ADDR | peer=ADDR[:PORT] | ike=COOKIE | all: one line per
 * client being ended; -1 with err when nothing matched or the argument is wrong. */
int srv_core_disconnect(struct srv *s, const char *arg, void (*line)(void *ctx, const char *text), void *ctx,
                        char *err, size_t errlen);
bool srv_core_kills_due(struct srv *s, uint64_t now);

/* srv_ip6.c: IPv6 between the sessions and the TUN ([pool] prefix6) */
void srv_ip6_conf(struct srv *s, const struct conf *cf, struct l2tp_conf *lc, struct ra_conf *ra);
void srv_ip6_deliver(void *ctx, const struct l2tp_ip6_from *from, const uint8_t *pkt, size_t n);
void srv_ip6_flush(struct srv *s, uint64_t now); /* the queued Router Advertisements */
void srv_ip6_tun(struct srv *s, const uint8_t *pkt, size_t len);
uint64_t srv_core_kill_deadline(const struct srv_core *c);
#endif
