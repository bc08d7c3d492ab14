/* l2tp private: AVP bit layout, the tunnel and session objects shared by lns/tunnel/session. */
#ifndef RP_L2TP_LOCAL_H
#define RP_L2TP_LOCAL_H

#include "l2tp.h"

enum {
	L2TP_AVP_M = 0x8000,
	L2TP_AVP_H = 0x4000,
	L2TP_AVP_RSVD = 0x3c00,
	L2TP_AVP_LEN = 0x03ff,
};

int l2tp_hidden_decrypt(uint8_t *out, size_t *out_len, const uint8_t *in, size_t n, uint16_t type,
                        const uint8_t *secret, size_t sl, const uint8_t *rv, size_t rvl);

struct ppp;

enum { T_IDLE, T_WAIT_CTL_CONN, T_ESTABLISHED, T_CLOSING, T_DEAD };
enum { S_WAIT_ICCN, S_ESTABLISHED, S_DEAD };

/* a control message we sent and the peer has not acknowledged yet (§5.8) */
struct l2tp_txmsg {
	struct l2tp_txmsg *next;
	uint16_t ns;
	bool sent;
	bool is_hello;
	uint64_t sent_at;
	size_t len;
	uint8_t data[];
};

struct l2tp_ooo {
	bool used;
	uint16_t ns;
	size_t len;
	uint8_t *data;
};

/* a token bucket (limits.c): rate in kbit/s = bit/ms, depth and tokens in bits */
struct l2tp_tbf {
	uint64_t rate, depth, tokens, last;
};

struct l2tp_session {
	struct l2tp_session *next;    /* in the tunnel */
	struct l2tp_session *ip_next; /* in the address hash */
	struct l2tp_tunnel *t;
	uint16_t sid, peer_sid;
	int state;
	struct ppp *ppp;
	uint32_t ip; /* leased address, host order; 0 = none */
	bool ip_hashed;
	bool up_reported;
	int64_t account_id;
	char account[64];
	int down_reason;
	char down_text[96];
	uint64_t created;
	/* PPP opens when the peer's first frame arrives, or at ppp_start_at: a LAC often starts its
	 * PPP only after the ICCN (xl2tpd forks pppd then), and a Configure-Request sent at ICCN
	 * would be lost and cost a restart-timer period. */
	bool ppp_started;
	uint64_t ppp_start_at;
	/* IPv6 (session6.c): the /64 given (its upper 64 bits; 0 = none) and the IPV6CP identifiers */
	uint64_t pfx6, our_ifid, peer_ifid;
	struct l2tp_session *pfx6_next; /* in the /64 hash */
	/* the login asked of the owner (L2TP_EV_AUTH_REQUEST), 0 when none is outstanding */
	uint64_t auth_id;
	char login[64]; /* the user name as the peer sent it, for the log */
	size_t login_len;
	/* from the answer: when the session ends (0 = never), idle limit, and why it was ended */
	uint64_t expire_at, idle_ms, last_data;
	int stop_cause;
	struct l2tp_counters ctr;
	/* limits.c: the account's live-session count, and its rate per direction (rate 0 = none) */
	struct l2tp_acct *acct;
	struct l2tp_tbf tb_in, tb_out;
	struct l2tp_peer *peer; /* counted in its peer's sessions (limits.c); NULL once uncounted */
};

struct l2tp_tunnel {
	struct l2tp_tunnel *next, *prev; /* all tunnels */
	struct l2tp_tunnel *hash_next;   /* link hash (every tunnel of a link in one chain) */
	struct l2tp_tunnel *tid_next;    /* (link, our tunnel ID) hash */
	struct l2tp_tunnel *reap_next;   /* on l2tp.reap: it or one of its sessions died */
	bool reap_queued;
	struct l2tp *l;
	uint16_t tid, peer_tid;
	struct l2tp_link link;
	int state;
	char host[64];
	/* §5.8 reliable delivery */
	uint16_t ns, nr;
	uint16_t peer_rws;
	uint16_t rws; /* the receive window we advertised (conf.recv_window at creation) */
	struct l2tp_txmsg *txq, **txq_tail; /* unacknowledged and not yet sent, in Ns order */
	unsigned in_flight;
	uint64_t rexmit_at;
	unsigned rexmit_tries;
	struct l2tp_ooo *ooo; /* our receive window, indexed by Ns % recv_window */
	bool ack_needed;
	/* liveness */
	uint64_t last_rx, hello_at, close_at, idle_since, created;
	uint8_t chal[16];
	bool chal_sent;
	unsigned nsessions;
	struct l2tp_session *sessions;
	bool down_reported;
	uint64_t dl;                  /* cached tunnel_deadline(), the key in the timer heap */
	size_t heap_idx;              /* position in l2tp.heap; SIZE_MAX when out of it */
	struct l2tp_tunnel *due_next; /* l2tp_tick's list of due tunnels */
	struct l2tp_peer *peer;       /* counted in its peer's tunnels (limits.c); NULL once uncounted */
};

/* A peer (limits.c): an IPsec SA whatever inner ports it uses, or a plain-L2TP source address
 * (port ignored). Exists while it holds a tunnel or a session. */
struct l2tp_peer {
	struct l2tp_peer *next;
	uint64_t sa;
	uint8_t ip[16]; /* plain L2TP only */
	unsigned tunnels, sessions;
};

/* Failed logins (throttle.c): one record per (account, peer), per peer and per account. */
struct l2tp_thr;
#define L2TP_THR_MAX 65536 /* records held at most: the oldest goes first */

#define L2TP_HASH_MIN 64 /* buckets; every hash doubles when its entries reach its buckets */
#define L2TP_ACCT_HASH 1024 /* buckets of the per-account session count (limits.c) */
#define L2TP_PFX6_HASH 4096 /* buckets of the IPv6 /64 hash (session6.c) */

struct l2tp {
	struct l2tp_conf conf;
	struct rp_rng *rng;
	struct rp_log *log;
	struct rp_evq evq;
	uint64_t now;
	/* Our tunnel IDs are scoped per link (issue 17): the ID we assign comes back in every
	 * message header from that link only, so tunnels are found by (link, tid) and more than
	 * 65,535 clients fit. */
	struct l2tp_tunnel **tid_hash, **link_hash; /* nb buckets each */
	size_t nb;
	struct l2tp_tunnel *tunnels;
	/* binary min-heap of tunnels by deadline: next_deadline is O(1), a tick touches only the
	 * tunnels that are due (100k tunnels must not be scanned per packet) */
	struct l2tp_tunnel **heap;
	size_t nheap, heap_cap;
	struct l2tp_session **ip_hash; /* sessions by client address, ip_nb buckets */
	size_t ip_nb, ip_count;
	struct l2tp_session *pfx6_hash[L2TP_PFX6_HASH]; /* by /64 (session6.c); fixed size, chains grow */
	uint64_t pfx6_next;                             /* the next /64 number to try */
	struct l2tp_acct *acct_hash[L2TP_ACCT_HASH];    /* live sessions per account (limits.c) */
	struct l2tp_stats st;
	/* a SYN whose MSS is lowered is copied here first: the packets handed to us are borrowed
	 * (const), and the core is never re-entered while the copy is in use */
	uint8_t mss_buf[2048];
	struct l2tp_tunnel *reap; /* tunnels that are dead or hold dead sessions, to be freed */
	uint64_t runout_log_ms;   /* the last l2tp_runout line */
	struct l2tp_peer **peer_hash; /* peer_nb buckets, doubled when peer_n reaches them (limits.c) */
	size_t peer_nb, peer_n;
	/* one line per limit and interval however many are refused (limits_refused) */
	uint64_t lim_log_ms[L2TP_LIM_N];
	uint64_t lim_quiet[L2TP_LIM_N]; /* refused since that line */
	/* throttle.c: records hashed by key, and in order of last change (the oldest expire first) */
	struct l2tp_thr **thr_hash; /* L2TP_THR_HASH buckets */
	struct l2tp_thr *thr_old, *thr_new;
	unsigned thr_n;
	uint64_t thr_log_ms[3]; /* the last "locked out" line per rule */
};
#define L2TP_THR_HASH 16384
#define L2TP_LIM_LOG_MS 10000

/* lns.c */
void l2tp_emit_send(struct l2tp *l, const struct l2tp_link *link, uint16_t tid, uint16_t sid,
                    const uint8_t *p, size_t n);
void l2tp_emit_session(struct l2tp *l, int type, const struct l2tp_session *s, int reason, const char *text);
bool l2tp_link_eq(const struct l2tp_link *a, const struct l2tp_link *b);
void l2tp_drop(struct l2tp *l, const struct l2tp_link *link, const char *reason);
void l2tp_runout(struct l2tp *l, const struct l2tp_link *link, const char *what, const char *key);

int l2tp_heap_add(struct l2tp *l, struct l2tp_tunnel *t);
void l2tp_heap_del(struct l2tp *l, struct l2tp_tunnel *t);
void l2tp_sched(struct l2tp *l, struct l2tp_tunnel *t); /* recompute t's deadline */

/* reliable.c */
void rel_init(struct l2tp_tunnel *t);
void rel_free(struct l2tp_tunnel *t);
int rel_send(struct l2tp_tunnel *t, const uint8_t *msg, size_t len, bool is_hello);
void rel_send_zlb(struct l2tp_tunnel *t);
/* Sequence bookkeeping for one received control message: returns 1 when the message is the next
 * in order and must be processed now, 0 when it was a duplicate / queued / ZLB. */
int rel_rx(struct l2tp_tunnel *t, const struct l2tp_hdr *h, const uint8_t *p, size_t n);
void rel_accepted(struct l2tp_tunnel *t);                           /* the in-order message was processed */
int rel_next_queued(struct l2tp_tunnel *t, uint8_t **p, size_t *n); /* 1 if one is ready */
void rel_tick(struct l2tp_tunnel *t);
uint64_t rel_deadline(const struct l2tp_tunnel *t);
bool rel_idle(const struct l2tp_tunnel *t);

/* tunnel.c */
struct l2tp_tunnel *tunnel_new(struct l2tp *l, const struct l2tp_link *link, uint16_t peer_tid);
void tunnel_free(struct l2tp_tunnel *t);
void tunnel_ctl(struct l2tp_tunnel *t, const struct l2tp_hdr *h, struct l2tp_msg *m);
void tunnel_stop(struct l2tp_tunnel *t, uint16_t result, uint16_t error, const char *msg);
void tunnel_dead(struct l2tp_tunnel *t, int reason, const char *text); /* no StopCCN */
void tunnel_tick(struct l2tp_tunnel *t);
uint64_t tunnel_deadline(const struct l2tp_tunnel *t);
struct l2tp_tunnel *tunnel_find_peer(struct l2tp *l, const struct l2tp_link *link, uint16_t ptid);
struct l2tp_tunnel *tunnel_find(const struct l2tp *l, const struct l2tp_link *link, uint16_t tid);
void tunnel_reap_mark(struct l2tp_tunnel *t);
void tunnel_link_gone(struct l2tp *l, uint64_t sa);
/* tunnel_dead for each tunnel over sa */ /* something in t died: free it at the next reap */
int tunnel_tables_init(struct l2tp *l);
void tunnel_tables_free(struct l2tp *l);

/* session.c */
void session_ctl(struct l2tp_tunnel *t, const struct l2tp_hdr *h, struct l2tp_msg *m);
void session_data(struct l2tp_session *s, const uint8_t *p, size_t n);
struct l2tp_session *session_find(struct l2tp_tunnel *t, uint16_t sid);
void session_kill(struct l2tp_session *s, int reason, const char *text, bool send_cdn);
void session_free(struct l2tp_session *s);
int session_ip_init(struct l2tp *l);
void session_tick(struct l2tp_session *s);
uint64_t session_deadline(const struct l2tp_session *s);
void session_release_ip(struct l2tp_session *s);
const uint8_t *session_mss_clamp(struct l2tp_session *s, const uint8_t *pkt, size_t n);
int session_output(struct l2tp_session *s, const uint8_t *pkt, size_t n, bool v6, uint64_t now_ms);
int session_output_b(struct l2tp_session *s, const uint8_t *pkt, struct rp_buf *b, size_t n, bool v6,
                     uint64_t now_ms);
void session_hash_ip(struct l2tp_session *s);

/* session6.c: PPP callbacks (ctx is the session) and the /64 given back */
void session6_up(void *ctx, uint64_t our_ifid, uint64_t peer_ifid);
void session6_ip_in(void *ctx, const uint8_t *pkt, size_t n);
void session6_release(struct l2tp_session *s);

/* limits.c */
int limits_acct_add(struct l2tp *l, struct l2tp_session *s, const char *name, uint32_t max);
void limits_acct_del(struct l2tp_session *s);
/* Counts a tunnel / session against its peer; -EUSERS (refused: counted, logged once per
 * interval) or -ENOMEM. The _del calls are idempotent. */
int limits_peer_tunnel_add(struct l2tp_tunnel *t);
void limits_peer_tunnel_del(struct l2tp_tunnel *t);
int limits_peer_session_add(struct l2tp_session *s);
void limits_peer_session_del(struct l2tp_session *s);
int limits_tables_init(struct l2tp *l);
void limits_tables_free(struct l2tp *l);
/* A limit refused something: counted, and one line per limit and L2TP_LIM_LOG_MS naming it. */
void limits_refused(struct l2tp *l, int which, const struct l2tp_link *link, const char *what);
void limits_tbf_init(struct l2tp_tbf *b, uint32_t kbit, uint64_t now);
bool limits_tbf_pass(struct l2tp_tbf *b, size_t n, uint64_t now);

/* throttle.c */
/* Whether a login of account (as the peer spelt it) from link may be verified: 0, or the
 * L2TP_LIM_LOGIN_* rule that refuses it (counted and logged once per interval). */
int throttle_check(struct l2tp *l, const struct l2tp_link *link, const char *account, size_t len);
bool throttle_peer_locked(struct l2tp *l, const struct l2tp_link *link); /* new sessions too */
/* A verdict: a failure counts against the pair, the peer and the account; a success clears
 * the pair's record. */
void throttle_result(struct l2tp *l, const struct l2tp_link *link, const char *account, size_t len, bool ok);
void throttle_free(struct l2tp *l);

static inline bool seq_lt(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(a - b) < 0;
}

#endif
