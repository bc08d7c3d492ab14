/* srv_radius.c and srv_radius_ops.c's shared state: the request table, the accounting queue, the
 * sessions' accounting data. Not for other files. */
#ifndef SRV_RADIUS_INT_H
#define SRV_RADIUS_INT_H
#include "radius.h"
#include "srv_local.h"
#include "srv_radius.h"

#define RQ_MAX 256
#define ACCT_INFLIGHT 32
#define ACCT_PAUSE_MS 5000
#define TICK_MS 250

/* K_TEST: rampartctl radius test, an Access-Request whose answer goes to a control connection */
enum { K_AUTH = 1, K_ACCT, K_TEST };

struct acct_rec {
	struct acct_rec *next;
	size_t len;
	uint8_t pkt[];
};

struct rq {
	int kind; /* 0 = free */
	uint8_t auth[16];
	uint8_t *pkt;
	size_t len;
	unsigned server, tries, servers_tried;
	uint64_t due;
	struct l2tp_ev_auth *q;  /* K_AUTH: the question (for the local store as second choice) */
	struct acct_rec *rec;    /* K_ACCT */
	struct srv_ctl_req *ctl; /* K_TEST */
};

struct rsess {
	struct l2tp_link link;
	uint16_t tid, sid;
	bool up;
	char user[64];
	uint32_t ip;
	uint64_t start, next_interim;
	char acct_id[24];
	uint8_t cls[253];
	size_t cls_len;
	char calling[RP_ADDR_STRLEN + 8];
	uint32_t hnext; /* next in its srv_radius.hb chain (an index into sess; UINT32_MAX: none) */
};

struct srv_radius {
	struct srv *s;
	uv_udp_t sock, dae;
	bool sock_open, dae_open;
	unsigned dae_port;
	uv_timer_t timer;
	struct rp_addr auth_srv[CONF_MAX_ADDRS], acct_srv[CONF_MAX_ADDRS];
	unsigned nauth, nacct, auth_cur, acct_cur;
	uint8_t secret[CONF_STR], dae_secret[CONF_STR];
	size_t sl, dsl;
	char nas_id[64];
	uint32_t nas_ip;
	unsigned timeout_ms, retries, interim_s, local_store, acct_max;
	struct rq rq[RQ_MAX];
	uint8_t next_id;
	struct acct_rec *qhead, **qtail;
	unsigned qlen, inflight_acct;
	uint64_t acct_pause_until, acct_dropped, acct_seq;
	struct rsess *sess;
	size_t nsess, capsess;
	uint32_t *hb; /* sessions by (link, tid, sid): chain heads, indexes into sess */
	size_t hnb;
	uint8_t rx[RAD_MAX];
};

struct srv_radius *srad_of(const struct srv *s);
struct rq *srad_rq_alloc(struct srv_radius *r, uint8_t *id);
void srad_rq_free(struct srv_radius *r, struct rq *q);
void srad_rq_transmit(struct srv_radius *r, struct rq *q, uint64_t now);
void srad_put_common(struct srv_radius *r, struct rad_wr *w);
void srad_rx_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b);
void srad_from_sa(const struct sockaddr *sa, struct rp_addr *a);
/* srv_radius_ops.c: the Disconnect-Request listener (port 0 closes it) and radius test's ends */
void srad_dae_apply(struct srv_radius *r, unsigned port);
void srad_test_reply(struct srv_radius *r, struct rq *q, const uint8_t *p, size_t n,
                     const struct rp_addr *from);
void srad_test_give_up(struct srv_radius *r, struct rq *q);
#endif
