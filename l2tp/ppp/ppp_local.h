/* ppp private: the automaton, its callback table, the per-session object. */
#ifndef RP_PPP_LOCAL_H
#define RP_PPP_LOCAL_H

#include "ppp.h"

/* RFC 1661 §5 codes */
enum {
	CP_CONF_REQ = 1,
	CP_CONF_ACK = 2,
	CP_CONF_NAK = 3,
	CP_CONF_REJ = 4,
	CP_TERM_REQ = 5,
	CP_TERM_ACK = 6,
	CP_CODE_REJ = 7,
	CP_PROTO_REJ = 8,
	CP_ECHO_REQ = 9,
	CP_ECHO_REP = 10,
	CP_DISCARD = 11,
};

/* RFC 1661 §4.2 states */
enum fsm_state {
	ST_INITIAL,
	ST_STARTING,
	ST_CLOSED,
	ST_STOPPED,
	ST_CLOSING,
	ST_STOPPING,
	ST_REQ_SENT,
	ST_ACK_RCVD,
	ST_ACK_SENT,
	ST_OPENED,
};

enum { OPT_ACK = CP_CONF_ACK, OPT_NAK = CP_CONF_NAK, OPT_REJ = CP_CONF_REJ };

struct ppp_fsm;

/* npppd/pppd-style callback table: the automaton is generic, each protocol fills this in. */
struct ppp_fsm_cb {
	const char *name;
	void (*resetci)(struct ppp_fsm *f);                /* fresh options before a new negotiation */
	void (*addci)(struct ppp_fsm *f, struct rp_wr *w); /* our Configure-Request options */
	/* the peer's option: OPT_ACK, OPT_NAK (write the suggested value to sugg, set *slen) or
	 * OPT_REJ */
	int (*reqopt)(struct ppp_fsm *f, uint8_t type, const uint8_t *v, size_t n, uint8_t *sugg,
	              size_t *slen);
	/* after all options: may append options the peer must add (Nak); returns true if it did */
	bool (*reqmissing)(struct ppp_fsm *f, struct rp_wr *nak);
	void (*nakopt)(struct ppp_fsm *f, uint8_t type, const uint8_t *v, size_t n);
	void (*rejopt)(struct ppp_fsm *f, uint8_t type);
	void (*up)(struct ppp_fsm *f);
	void (*down)(struct ppp_fsm *f);
	void (*finished)(struct ppp_fsm *f);
	/* codes beyond 7 (LCP: Protocol-Reject, Echo, Discard); false = unknown (Code-Reject) */
	bool (*extcode)(struct ppp_fsm *f, uint8_t code, uint8_t id, const uint8_t *p, size_t n);
};

struct ppp_fsm {
	const struct ppp_fsm_cb *cb;
	struct ppp *ppp;
	uint16_t proto;
	int state;
	uint8_t id;    /* next identifier to use */
	uint8_t reqid; /* identifier of our outstanding Configure-Request */
	bool reqid_valid;
	unsigned restarts; /* restart counter */
	unsigned naks;     /* Configure-Naks sent in a row (max-failure) */
	uint64_t timer;    /* 0 = stopped */
	uint8_t req[128];  /* our last Configure-Request options, to check an Ack against */
	size_t req_len;
	uint8_t term_reason;
	bool heard; /* any packet from the peer for this protocol yet */
};

struct ppp {
	struct ppp_conf conf;
	struct ppp_cb cb;
	struct rp_rng *rng;
	struct rp_log *log;
	uint64_t now, started, last_rx, echo_due;
	unsigned echo_out;
	struct ppp_fsm lcp, ipcp, ipv6cp;
	int phase; /* 0 dead, 1 establish, 2 authenticate, 3 network, 4 terminate */
	bool closed_reported, dying;
	int down_reason;
	char down_text[96];

	/* LCP negotiated values */
	uint16_t peer_mru;
	uint32_t magic, peer_magic;
	unsigned want_auth;  /* the one method in our Configure-Request (0 when none left) */
	unsigned auth_tried; /* methods the peer refused */
	unsigned loop_naks;  /* Magic-Number collisions in a row (§6.4 loopback) */

	/* authentication */
	unsigned auth; /* method agreed */
	uint8_t chal[16];
	uint8_t chal_id;
	unsigned chal_sends;
	unsigned auth_fails;
	uint64_t auth_timer;
	bool auth_done;
	uint8_t success_pkt[128]; /* resent if the peer repeats its Response (lost Success) */
	size_t success_len;
	/* a verify answered later (PPP_VERIFY_PENDING): what the answer needs of the request */
	bool auth_pending;
	uint8_t pend_id;
	char pend_user[64];
	size_t pend_user_len;

	/* IPCP */
	char account[64];
	uint32_t peer_ip;
	bool ip_up;
	bool local_ip_rejected;
	bool ipcp_saw_addr;
	bool up_reported;

	/* IPV6CP */
	uint64_t our_ifid, peer_ifid, sugg_ifid;
	bool ip6_up, ifid_rejected;
};

/* fsm.c */
void fsm_init(struct ppp_fsm *f, struct ppp *p, uint16_t proto, const struct ppp_fsm_cb *cb);
void fsm_lowerup(struct ppp_fsm *f);
void fsm_lowerdown(struct ppp_fsm *f);
void fsm_open(struct ppp_fsm *f);
void fsm_close(struct ppp_fsm *f, const char *why);
void fsm_input(struct ppp_fsm *f, const uint8_t *p, size_t n);
void fsm_timeout(struct ppp_fsm *f);
void fsm_protreject(struct ppp_fsm *f); /* the peer Protocol-Rejected this protocol: RXJ- */
void fsm_send(struct ppp_fsm *f, uint8_t code, uint8_t id, const uint8_t *data, size_t n);
const char *fsm_state_name(int s);

/* ppp.c */
void ppp_send_proto(struct ppp *p, uint16_t proto, const uint8_t *data, size_t n);
void ppp_finish(struct ppp *p, int reason, const char *text);
void ppp_close_r(struct ppp *p, int reason, const char *why); /* first reason wins */
void ppp_lcp_up(struct ppp *p);
void ppp_auth_ok(struct ppp *p);

/* lcp.c, ipcp.c, pap_chap.c */
extern const struct ppp_fsm_cb ppp_lcp_cb, ppp_ipcp_cb, ppp_ipv6cp_cb;
void lcp_echo_tick(struct ppp *p);
void auth_start(struct ppp *p);
void auth_input(struct ppp *p, uint16_t proto, const uint8_t *d, size_t n);
void auth_timeout(struct ppp *p);

#endif
