/* L2TP LAC (the client side of RFC 2661) for rampart-load and as the peer of the LNS tests: an
 * independent, minimal implementation (its own Ns/Nr bookkeeping: in-order acceptance, a ZLB
 * after every message, so HELLOs are acknowledged; retransmission of everything unacknowledged
 * every second, no reorder queue), SCCRQ/SCCRP/SCCCN with an optional tunnel secret,
 * ICRQ/ICRP/ICCN, CDN and StopCCN both ways, driving a PPP client (ppp_cli.h) per session.
 * Sans-IO: packets (the L2TP header on, UDP/1701's payload) and time in; what it sends goes to
 * the sink; the caller calls l2tp_lac_tick at l2tp_lac_deadline. */
#ifndef L2TP_LAC_H
#define L2TP_LAC_H

#include "l2tp.h"
#include "ppp_cli.h"

#define L2TP_LAC_MAX_SESS 8
#define L2TP_LAC_MAX_TX 16 /* unacknowledged control messages */

struct l2tp_lac;

struct l2tp_lac_tx {
	uint16_t ns;
	uint16_t len;
	uint8_t d[256];
};

struct l2tp_lac_sess {
	struct l2tp_lac *tun;
	uint16_t sid, lns_sid;
	bool icrp, cdn_rcvd, cdn_sent, ppp_started;
	struct ppp_cli c;
	uint64_t kick_at;
};

struct l2tp_lac {
	/* where the LAC's packets go (L2TP header first); kept across l2tp_lac_start */
	void (*send)(void *ctx, const uint8_t *p, size_t n);
	void *ctx;
	struct l2tp_link link; /* for the in-memory tests: the link the LNS sees */
	uint16_t tid, lns_tid;
	uint16_t ns, nr;
	struct l2tp_lac_tx tx[L2TP_LAC_MAX_TX];
	int ntx;
	uint64_t rexmit_at;
	bool sccrp, stopccn_rcvd, stopccn_sent;
	bool ignore_hello; /* Android 9/10 */
	bool silent;       /* stops answering anything */
	bool pap;          /* sessions authenticate with PAP (ppp_cli PPP_CLI_AUTH_PAP) */
	uint16_t stop_result, stop_error;
	const uint8_t *secret;
	size_t secret_len;
	uint8_t chal[16];
	bool auth_ok;
	int nsess;
	struct l2tp_lac_sess s[L2TP_LAC_MAX_SESS];
	unsigned hellos, zlb_sent, drops;
};

/* Resets t (keeping send/ctx/pap) and sends SCCRQ with our tunnel ID; _auth adds a Challenge
 * (RFC 2661 §4.2) whose answer in SCCRP sets auth_ok. */
void l2tp_lac_start(struct l2tp_lac *t, uint64_t sa, uint16_t tid, uint64_t now);
void l2tp_lac_start_auth(struct l2tp_lac *t, uint64_t sa, uint16_t tid, uint64_t now, const uint8_t *secret,
                         size_t sl);
/* ICRQ for a new session; PPP starts when ICRP comes. NULL when the table is full. */
struct l2tp_lac_sess *l2tp_lac_add_session(struct l2tp_lac *t, uint16_t sid, const char *user,
                                           const char *pass, uint64_t now);
/* A packet from the LNS: 0, or -EBADMSG (not for this tunnel, does not parse: dropped). */
int l2tp_lac_input(struct l2tp_lac *t, const uint8_t *p, size_t n, uint64_t now);
void l2tp_lac_tick(struct l2tp_lac *t, uint64_t now);
uint64_t l2tp_lac_deadline(const struct l2tp_lac *t); /* UINT64_MAX when nothing is due */
void l2tp_lac_cdn(struct l2tp_lac *t, struct l2tp_lac_sess *s, uint64_t now);
void l2tp_lac_stopccn(struct l2tp_lac *t, uint64_t now);
struct l2tp_lac_sess *l2tp_lac_sess_by_sid(struct l2tp_lac *t, uint16_t sid);
/* A PPP frame (ff 03 + protocol ...) on the session as an L2TP data message. */
void l2tp_lac_ppp_send(struct l2tp_lac_sess *s, const uint8_t *f, size_t n);
/* Building blocks for hand-made control messages (tests): the header and Message Type, then
 * l2tp_lac_ctl_send numbers, queues for retransmission and sends it; -ENOSPC when the
 * retransmission queue is full or the message too long. */
void l2tp_lac_begin(struct l2tp_lac *t, struct rp_wr *w, uint8_t *b, size_t cap, uint16_t sid, uint16_t mt);
int l2tp_lac_ctl_send(struct l2tp_lac *t, struct rp_wr *w, uint64_t now);

#endif
