/* RADIUS client on the libuv loop (see srv_radius.h). One UDP socket for every request; the
 * 8-bit Identifier space is the table of requests in flight. A request that gets no answer after
 * [radius] retries transmissions `timeout` seconds apart moves to the next server; the server that
 * answered last is tried first. Accounting records wait in a bounded FIFO: when no accounting
 * server answers, the record goes back to the head and the queue pauses, so a Stop survives a
 * server that is down for a while; records beyond acct_queue are dropped, counted and logged. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_radius_int.h"

struct srv_radius *srad_of(const struct srv *s)
{
	return s->core ? s->core->radius : NULL;
}

/* By link and IDs (tunnel IDs are per link): a hash over the array, so a PPP event, an
 * accounting answer or a session's end costs the same with 10 sessions or 100,000 (issue 17). */
#define HNONE UINT32_MAX

static size_t sess_hash(const struct srv_radius *r, const struct l2tp_link *link, uint16_t tid, uint16_t sid)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint8_t k[8 + 1 + 16 + 2 + 2 + 2];
	memcpy(k, &link->sa, 8);
	k[8] = link->peer.family;
	memcpy(k + 9, link->peer.ip, 16);
	memcpy(k + 25, &link->peer.port, 2);
	memcpy(k + 27, &tid, 2);
	memcpy(k + 29, &sid, 2);
	for (size_t i = 0; i < sizeof k; i++)
		h = (h ^ k[i]) * 0x100000001b3ull;
	h ^= h >> 29;
	return (size_t)h & (r->hnb - 1);
}

static size_t sess_bucket(const struct srv_radius *r, const struct rsess *x)
{
	return sess_hash(r, &x->link, x->tid, x->sid);
}

static void sess_link(struct srv_radius *r, uint32_t i)
{
	size_t b = sess_bucket(r, &r->sess[i]);
	r->sess[i].hnext = r->hb[b];
	r->hb[b] = i;
}

static void sess_unlink(struct srv_radius *r, uint32_t i)
{
	for (uint32_t *pp = &r->hb[sess_bucket(r, &r->sess[i])]; *pp != HNONE; pp = &r->sess[*pp].hnext)
		if (*pp == i) {
			*pp = r->sess[i].hnext;
			return;
		}
}

/* Buckets as many as sessions (a power of two), rebuilt from the array when it doubles. */
static int sess_rehash(struct srv_radius *r, size_t want)
{
	size_t nb = r->hnb ? r->hnb : 16;
	while (nb < want)
		nb *= 2;
	if (nb == r->hnb)
		return 0;
	uint32_t *hb = malloc(nb * sizeof *hb);
	if (!hb)
		return r->hnb ? 0 : -1; /* chains just get longer */
	for (size_t i = 0; i < nb; i++)
		hb[i] = HNONE;
	free(r->hb);
	r->hb = hb;
	r->hnb = nb;
	for (size_t i = 0; i < r->nsess; i++)
		sess_link(r, (uint32_t)i);
	return 0;
}

static struct rsess *sess_find(struct srv_radius *r, const struct l2tp_link *link, uint16_t tid, uint16_t sid)
{
	if (!r->hnb)
		return NULL;
	for (uint32_t i = r->hb[sess_hash(r, link, tid, sid)]; i != HNONE; i = r->sess[i].hnext)
		if (r->sess[i].tid == tid && r->sess[i].sid == sid && r->sess[i].link.sa == link->sa &&
		    rp_addr_eq(&r->sess[i].link.peer, &link->peer))
			return &r->sess[i];
	return NULL;
}

static struct rsess *sess_add(struct srv_radius *r, const struct l2tp_link *link, uint16_t tid, uint16_t sid)
{
	struct rsess *x = sess_find(r, link, tid, sid);
	if (x)
		return x;
	if (r->nsess == r->capsess) {
		size_t nc = r->capsess ? r->capsess * 2 : 16;
		struct rsess *n = nc < HNONE ? realloc(r->sess, nc * sizeof *n) : NULL;
		if (!n)
			return NULL;
		r->sess = n;
		r->capsess = nc;
	}
	if (sess_rehash(r, r->nsess + 1))
		return NULL;
	x = &r->sess[r->nsess];
	memset(x, 0, sizeof *x);
	x->link = *link;
	x->tid = tid;
	x->sid = sid;
	sess_link(r, (uint32_t)r->nsess++);
	return x;
}

/* The last entry moves into the hole (its chain is told). */
static void sess_del(struct srv_radius *r, struct rsess *x)
{
	uint32_t i = (uint32_t)(x - r->sess), last = (uint32_t)(r->nsess - 1);
	sess_unlink(r, i);
	if (i != last) {
		sess_unlink(r, last);
		*x = r->sess[last];
		sess_link(r, i);
	}
	r->nsess--;
}

/* ---- sending ---- */

static void send_to(struct srv_radius *r, uv_udp_t *h, const struct rp_addr *a, unsigned dflt_port,
                    const uint8_t *p, size_t n)
{
	struct sockaddr_storage ss;
	srv_sockaddr(a, a->port ? a->port : dflt_port, &ss);
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
	int rc = uv_udp_try_send(h, &b, 1, (const struct sockaddr *)&ss);
	if (rc < 0) {
		char t[RP_ADDR_STRLEN];
		rp_logf(&r->s->log, RP_LOG_WARN, "radius", "send to %s failed: %s",
		        rp_addr_ipstr(a, t, sizeof t), uv_strerror(rc));
	}
}

void srad_rq_transmit(struct srv_radius *r, struct rq *q, uint64_t now)
{
	const struct rp_addr *a = q->kind != K_ACCT ? &r->auth_srv[q->server] : &r->acct_srv[q->server];
	send_to(r, &r->sock, a, q->kind != K_ACCT ? 1812 : 1813, q->pkt, q->len);
	q->tries++;
	q->due = now + r->timeout_ms;
}

struct rq *srad_rq_alloc(struct srv_radius *r, uint8_t *id)
{
	for (unsigned k = 0; k < RQ_MAX; k++) {
		uint8_t i = (uint8_t)(r->next_id + k);
		if (!r->rq[i].kind) {
			r->next_id = (uint8_t)(i + 1);
			*id = i;
			memset(&r->rq[i], 0, sizeof r->rq[i]);
			return &r->rq[i];
		}
	}
	return NULL;
}

void srad_rq_free(struct srv_radius *r, struct rq *q)
{
	if (q->q) {
		rp_wipe(q->q, sizeof *q->q);
		free(q->q);
	}
	if (q->kind != K_ACCT)
		free(q->pkt);
	else if (q->rec) {
		free(q->rec);
		r->inflight_acct--;
	}
	memset(q, 0, sizeof *q);
}

void srad_put_common(struct srv_radius *r, struct rad_wr *w)
{
	rad_put_str(w, RAD_NAS_IDENTIFIER, r->nas_id);
	if (r->nas_ip)
		rad_put_u32(w, RAD_NAS_IP_ADDRESS, r->nas_ip);
	rad_put_u32(w, RAD_NAS_PORT_TYPE, 5); /* Virtual (RFC 2865 §5.41) */
}

/* the client's outer address and port: the SA's peer, or the plain L2TP source */
static void calling_station(struct srv *s, const struct l2tp_link *link, char *out, size_t n)
{
	const struct srv_child *ch = link->sa ? srv_child_by_in(s->core, (uint32_t)(link->sa >> 32)) : NULL;
	rp_addr_str(ch ? &ch->peer : &link->peer, out, n);
}

/* ---- authentication ---- */

bool srv_radius_auth_enabled(const struct srv *s)
{
	const struct srv_radius *r = srad_of(s);
	return r && r->nauth && r->sock_open;
}

int srv_radius_auth(struct srv *s, const struct l2tp_ev_auth *e, uint64_t now)
{
	struct srv_radius *r = srad_of(s);
	uint8_t id, b[1024];
	struct rq *q = r ? srad_rq_alloc(r, &id) : NULL;
	if (!q)
		return -1;
	rp_rng_fill(&s->core->rng_nonce, q->auth, 16);
	struct rad_wr w;
	rad_begin(&w, b, sizeof b, RAD_ACCESS_REQUEST, id, q->auth);
	rad_put(&w, RAD_USER_NAME, e->user, e->user_len);
	rad_put_u32(&w, RAD_SERVICE_TYPE, 2);    /* Framed */
	rad_put_u32(&w, RAD_FRAMED_PROTOCOL, 1); /* PPP */
	rad_put_u32(&w, RAD_NAS_PORT, (uint32_t)e->tid << 16 | e->sid);
	char cs[RP_ADDR_STRLEN + 8];
	calling_station(s, &e->link, cs, sizeof cs);
	rad_put_str(&w, RAD_CALLING_STATION_ID, cs);
	srad_put_common(r, &w);
	if (e->method == PPP_AUTH_PAP) {
		rad_put_password(&w, r->secret, r->sl, q->auth, e->password, e->password_len);
	} else if (e->method == PPP_AUTH_CHAP_MD5) {
		uint8_t cp[17];
		cp[0] = e->chap_id;
		memcpy(cp + 1, e->response, 16);
		rad_put(&w, RAD_CHAP_PASSWORD, cp, sizeof cp);
		rad_put(&w, RAD_CHAP_CHALLENGE, e->challenge, 16);
	} else {
		/* RFC 2548 §2.3.2 MS-CHAP2-Response: Ident, Flags, Peer-Challenge, Reserved, Response */
		uint8_t mr[50] = {0};
		mr[0] = e->chap_id;
		memcpy(mr + 2, e->peer_challenge, 16);
		memcpy(mr + 26, e->nt_response, 24);
		rad_put_vsa(&w, RAD_VENDOR_MICROSOFT, RAD_MS_CHAP_CHALLENGE, e->challenge, 16);
		rad_put_vsa(&w, RAD_VENDOR_MICROSOFT, RAD_MS_CHAP2_RESPONSE, mr, sizeof mr);
	}
	rad_put_msg_auth(&w);
	int n = rad_finish(&w, RAD_SIGN_ACCESS_REQUEST, r->secret, r->sl, NULL);
	q->pkt = n > 0 ? malloc((size_t)n) : NULL;
	q->q = malloc(sizeof *q->q);
	if (!q->pkt || !q->q) {
		free(q->pkt);
		free(q->q);
		memset(q, 0, sizeof *q);
		rp_wipe(b, sizeof b);
		return -1;
	}
	memcpy(q->pkt, b, (size_t)n);
	rp_wipe(b, sizeof b);
	q->len = (size_t)n;
	*q->q = *e;
	q->kind = K_AUTH;
	q->server = r->auth_cur % r->nauth;
	srad_rq_transmit(r, q, now);
	return 0;
}

/* No server answered: the local store when it is the second choice, else a refusal. */
static void auth_give_up(struct srv_radius *r, struct rq *q, uint64_t now)
{
	struct srv *s = r->s;
	if (r->local_store == CONF_LOCAL_SECOND) {
		rp_logf(&s->log, RP_LOG_WARN, "radius",
		        "no RADIUS server answered: local account store used");
		l2tp_auth_from_store(s->core->l2tp, s->core->db, q->q, now, NULL);
	} else {
		struct l2tp_auth_ans a = {.result = AUTH_FAIL_INTERNAL};
		memcpy(a.account, q->q->user,
		       q->q->user_len < sizeof a.account ? q->q->user_len : sizeof a.account - 1);
		snprintf(a.detail, sizeof a.detail, "no RADIUS server answered");
		l2tp_auth_answer(s->core->l2tp, &q->q->link, q->q->id, &a, now);
	}
}

static void auth_reply(struct srv_radius *r, struct rq *q, const uint8_t *p, size_t n, uint64_t now)
{
	struct srv *s = r->s;
	const struct l2tp_ev_auth *e = q->q;
	struct l2tp_auth_ans a;
	memset(&a, 0, sizeof a);
	memcpy(a.account, e->user, e->user_len < sizeof a.account ? e->user_len : sizeof a.account - 1);
	const uint8_t *v;
	size_t vn;
	if (!rad_find(p, n, 0, RAD_REPLY_MESSAGE, &v, &vn))
		memcpy(a.detail, v, vn < sizeof a.detail ? vn : sizeof a.detail - 1);
	else if (!rad_find(p, n, RAD_VENDOR_MICROSOFT, RAD_MS_CHAP_ERROR, &v, &vn) && vn > 1)
		memcpy(a.detail, v + 1, vn - 1 < sizeof a.detail ? vn - 1 : sizeof a.detail - 1);
	if (p[0] != RAD_ACCESS_ACCEPT) {
		a.result = AUTH_FAIL_PASSWORD; /* Access-Reject (or a Challenge we cannot relay) */
		if (!a.detail[0])
			snprintf(a.detail, sizeof a.detail, "%s from the RADIUS server", rad_code_name(p[0]));
		l2tp_auth_answer(s->core->l2tp, &e->link, e->id, &a, now);
		return;
	}
	a.result = AUTH_OK;
	if (e->method == PPP_AUTH_MSCHAPV2) {
		/* RFC 2548 §2.3.3: Ident + "S=" and 40 hex digits, for our Success packet; the client
		 * checks it against the password, so a wrong one fails there, but a malformed one or one
		 * for another exchange is refused here */
		bool ok = !rad_find(p, n, RAD_VENDOR_MICROSOFT, RAD_MS_CHAP2_SUCCESS, &v, &vn) && vn == 43 &&
		          v[0] == e->chap_id && v[1] == 'S' && v[2] == '=';
		for (size_t i = 3; ok && i < 43; i++)
			ok = (v[i] >= '0' && v[i] <= '9') || (v[i] >= 'A' && v[i] <= 'F') ||
			     (v[i] >= 'a' && v[i] <= 'f');
		if (!ok) {
			a.result = AUTH_FAIL_INTERNAL;
			snprintf(a.detail, sizeof a.detail, "Access-Accept without a valid MS-CHAP2-Success");
			l2tp_auth_answer(s->core->l2tp, &e->link, e->id, &a, now);
			return;
		}
		memcpy(a.auth_response, v + 1, 42);
	}
	uint32_t u;
	/* 0xFFFFFFFE: the NAS picks (our pool); 0xFFFFFFFF: the user would choose — also the pool */
	if (!rad_find_u32(p, n, RAD_FRAMED_IP_ADDRESS, &u) && u < 0xfffffffe)
		a.ip = u;
	if (!rad_find_u32(p, n, RAD_SESSION_TIMEOUT, &u))
		a.session_timeout_s = u;
	if (!rad_find_u32(p, n, RAD_IDLE_TIMEOUT, &u))
		a.idle_timeout_s = u;
	/* RFC 2865 §5.42 Port-Limit, "the maximum number of ports to be provided to the user": the
	 * account's max_sessions (issue 16). Rates have only vendor attributes: not mapped. */
	if (!rad_find_u32(p, n, RAD_PORT_LIMIT, &u))
		a.max_sessions = u;
	struct rsess *x = sess_add(r, &e->link, e->tid, e->sid);
	if (x) {
		x->cls_len = 0;
		if (!rad_find(p, n, 0, RAD_CLASS, &v, &vn)) {
			memcpy(x->cls, v, vn);
			x->cls_len = vn;
		}
	}
	l2tp_auth_answer(s->core->l2tp, &e->link, e->id, &a, now);
	rp_wipe(&a, sizeof a);
}

/* ---- accounting ---- */

static void acct_pump(struct srv_radius *r, uint64_t now)
{
	while (r->qhead && r->nacct && r->inflight_acct < ACCT_INFLIGHT && now >= r->acct_pause_until) {
		uint8_t id;
		struct rq *q = srad_rq_alloc(r, &id);
		if (!q)
			return;
		struct acct_rec *rec = r->qhead;
		r->qhead = rec->next;
		if (!r->qhead)
			r->qtail = &r->qhead;
		r->qlen--;
		/* the Identifier is part of the signed packet: sign again for this one */
		rec->pkt[1] = id;
		struct rad_wr w = {.b = rec->pkt, .cap = rec->len, .len = rec->len};
		rad_finish(&w, RAD_SIGN_REQUEST, r->secret, r->sl, NULL);
		q->kind = K_ACCT;
		memcpy(q->auth, rec->pkt + 4, 16); /* the reply's authenticator is computed over it */
		q->rec = rec;
		q->pkt = rec->pkt;
		q->len = rec->len;
		q->server = r->acct_cur % r->nacct;
		r->inflight_acct++;
		srad_rq_transmit(r, q, now);
	}
}

static void acct_queue(struct srv_radius *r, const uint8_t *p, size_t n, uint64_t now)
{
	struct acct_rec *rec = malloc(sizeof *rec + n);
	if (!rec) {
		r->acct_dropped++;
		return;
	}
	rec->next = NULL;
	rec->len = n;
	memcpy(rec->pkt, p, n);
	*r->qtail = rec;
	r->qtail = &rec->next;
	r->qlen++;
	while (r->qlen > r->acct_max) {
		struct acct_rec *old = r->qhead;
		r->qhead = old->next;
		r->qlen--;
		free(old);
		r->acct_dropped++;
		rp_logf(&r->s->log, RP_LOG_WARN, "radius",
		        "accounting queue full (%u): oldest record dropped (%llu dropped so far)",
		        r->acct_max, (unsigned long long)r->acct_dropped);
	}
	if (!r->qhead)
		r->qtail = &r->qhead;
	acct_pump(r, now);
}

static void acct_send(struct srv_radius *r, struct rsess *x, int status, const struct l2tp_counters *c,
                      int cause, uint64_t now)
{
	if (!r->nacct || !r->sock_open)
		return;
	uint8_t b[1024];
	struct rad_wr w;
	rad_begin(&w, b, sizeof b, RAD_ACCT_REQUEST, 0, NULL);
	rad_put_u32(&w, RAD_ACCT_STATUS_TYPE, (uint32_t)status);
	rad_put_str(&w, RAD_ACCT_SESSION_ID, x->acct_id);
	rad_put_str(&w, RAD_USER_NAME, x->user);
	rad_put_u32(&w, RAD_FRAMED_IP_ADDRESS, x->ip);
	rad_put_str(&w, RAD_CALLING_STATION_ID, x->calling);
	rad_put_u32(&w, RAD_NAS_PORT, (uint32_t)x->tid << 16 | x->sid);
	rad_put_u32(&w, RAD_SERVICE_TYPE, 2);
	rad_put_u32(&w, RAD_FRAMED_PROTOCOL, 1);
	rad_put_u32(&w, RAD_ACCT_AUTHENTIC, x->cls_len ? 1 : 2); /* RADIUS or Local (RFC 2866 §5.6) */
	srad_put_common(r, &w);
	if (x->cls_len)
		rad_put(&w, RAD_CLASS, x->cls, x->cls_len);
	if (status != RAD_ACCT_START) {
		rad_put_u32(&w, RAD_ACCT_SESSION_TIME, (uint32_t)((now - x->start) / 1000));
		/* RFC 2869 §5.1/5.2: the octets beyond 32 bits in the Gigawords attributes */
		rad_put_u32(&w, RAD_ACCT_INPUT_OCTETS, (uint32_t)c->rx_bytes);
		rad_put_u32(&w, RAD_ACCT_OUTPUT_OCTETS, (uint32_t)c->tx_bytes);
		rad_put_u32(&w, RAD_ACCT_INPUT_GIGAWORDS, (uint32_t)(c->rx_bytes >> 32));
		rad_put_u32(&w, RAD_ACCT_OUTPUT_GIGAWORDS, (uint32_t)(c->tx_bytes >> 32));
		rad_put_u32(&w, RAD_ACCT_INPUT_PACKETS, (uint32_t)c->rx_pkts);
		rad_put_u32(&w, RAD_ACCT_OUTPUT_PACKETS, (uint32_t)c->tx_pkts);
	}
	if (status == RAD_ACCT_STOP)
		rad_put_u32(&w, RAD_ACCT_TERMINATE_CAUSE, (uint32_t)cause);
	int n = rad_finish(&w, RAD_SIGN_REQUEST, r->secret, r->sl, NULL);
	if (n > 0)
		acct_queue(r, b, (size_t)n, now);
}

void srv_radius_session_up(struct srv *s, const struct l2tp_ev_session *se, uint64_t now)
{
	struct srv_radius *r = srad_of(s);
	/* Only with accounting servers: the record (~450 bytes) is for Accounting-Request alone,
	 * and held for every session (issue 17, memory per client). A record made at the
	 * Access-Accept (its Class) still goes at the session's end. */
	struct rsess *x = r && r->nacct ? sess_add(r, &se->link, se->tid, se->sid) : NULL;
	if (!x)
		return;
	x->up = true;
	snprintf(x->user, sizeof x->user, "%s", se->account);
	x->ip = se->ip;
	x->start = now;
	x->next_interim = r->interim_s ? now + r->interim_s * 1000ull : 0;
	/* unique across restarts too: the start time's seconds, then a counter */
	snprintf(x->acct_id, sizeof x->acct_id, "%08X%08llX", (unsigned)(srv_now(s) / 1000),
	         (unsigned long long)++r->acct_seq);
	calling_station(s, &se->link, x->calling, sizeof x->calling);
	acct_send(r, x, RAD_ACCT_START, NULL, 0, now);
}

static int terminate_cause(struct srv *s, int reason)
{
	if (s->stopping)
		return RAD_TC_NAS_REBOOT;
	switch (reason) {
	case L2TP_DOWN_PEER:
		return RAD_TC_USER_REQUEST;
	case L2TP_DOWN_TIMEOUT:
		return RAD_TC_LOST_CARRIER;
	case L2TP_DOWN_ADMIN:
		return RAD_TC_ADMIN_RESET;
	case L2TP_DOWN_SESSION_TIMEOUT:
		return RAD_TC_SESSION_TIMEOUT;
	case L2TP_DOWN_IDLE_TIMEOUT:
		return RAD_TC_IDLE_TIMEOUT;
	case L2TP_DOWN_PROTOCOL:
		return RAD_TC_USER_ERROR;
	default:
		return RAD_TC_NAS_ERROR;
	}
}

void srv_radius_session_down(struct srv *s, const struct l2tp_ev_session *se, uint64_t now)
{
	struct srv_radius *r = srad_of(s);
	struct rsess *x = r ? sess_find(r, &se->link, se->tid, se->sid) : NULL;
	if (!x)
		return;
	if (x->up) {
		struct l2tp_counters c = {se->rx_bytes, se->rx_pkts, se->tx_bytes, se->tx_pkts};
		acct_send(r, x, RAD_ACCT_STOP, &c, terminate_cause(s, se->reason), now);
	}
	sess_del(r, x);
}

/* ---- replies, timers ---- */

static void on_reply(struct srv_radius *r, const uint8_t *p, size_t n, const struct rp_addr *from,
                     uint64_t now)
{
	char t[RP_ADDR_STRLEN];
	int len = rad_validate(p, n);
	struct rq *q = len > 0 ? &r->rq[p[1]] : NULL;
	if (!q || !q->kind)
		return;
	bool access = q->kind != K_ACCT; /* K_AUTH and K_TEST */
	const struct rp_addr *want = access ? &r->auth_srv[q->server] : &r->acct_srv[q->server];
	bool ok = rp_addr_ipeq(from, want) && from->port == (want->port ? want->port : access ? 1812 : 1813);
	ok = ok &&
	     (access ? p[0] == RAD_ACCESS_ACCEPT || p[0] == RAD_ACCESS_REJECT || p[0] == RAD_ACCESS_CHALLENGE
	             : p[0] == RAD_ACCT_RESPONSE);
	/* RFC 3579 §3.2 / RFC 5080 §2.2.2: Access-* replies must carry a valid Message-Authenticator */
	const char *why =
	    !ok ? "not an answer to a request in flight"
	    : rad_check_response(p, (size_t)len, r->secret, r->sl, q->auth, false)
	        ? "the Response Authenticator or Message-Authenticator does not verify (secret?)"
	    : access && rad_check_response(p, (size_t)len, r->secret, r->sl, q->auth, true)
	        ? "no Message-Authenticator"
	        : NULL;
	if (why) {
		rp_logf(&r->s->log, RP_LOG_WARN, "radius", "reply from %s dropped: %s",
		        rp_addr_str(from, t, sizeof t), why);
		return;
	}
	if (q->kind == K_AUTH) {
		r->auth_cur = q->server;
		auth_reply(r, q, p, (size_t)len, now);
	} else if (q->kind == K_TEST) {
		r->auth_cur = q->server;
		srad_test_reply(r, q, p, (size_t)len, from);
	} else
		r->acct_cur = q->server;
	srad_rq_free(r, q);
	acct_pump(r, now);
	srv_core_run(r->s);
}

static void on_timer(uv_timer_t *h)
{
	struct srv_radius *r = h->data;
	uint64_t now = srv_now(r->s);
	char t[RP_ADDR_STRLEN];
	for (unsigned i = 0; i < RQ_MAX; i++) {
		struct rq *q = &r->rq[i];
		if (!q->kind || now < q->due)
			continue;
		unsigned nsrv = q->kind != K_ACCT ? r->nauth : r->nacct;
		if (q->tries >= r->retries) {
			const struct rp_addr *a =
			    q->kind != K_ACCT ? &r->auth_srv[q->server] : &r->acct_srv[q->server];
			rp_logf(&r->s->log, RP_LOG_WARN, "radius", "%s server %s does not answer",
			        q->kind != K_ACCT ? "authentication" : "accounting",
			        rp_addr_str(a, t, sizeof t));
			q->servers_tried++;
			q->server = (q->server + 1) % (nsrv ? nsrv : 1);
			q->tries = 0;
			if (q->servers_tried >= nsrv) {
				if (q->kind != K_ACCT) {
					if (q->kind == K_AUTH)
						auth_give_up(r, q, now);
					else
						srad_test_give_up(r, q);
					srad_rq_free(r, q);
				} else {
					/* nobody answers: back to the head of the queue, try again later */
					struct acct_rec *rec = q->rec;
					q->rec = NULL;
					r->inflight_acct--;
					rec->next = r->qhead;
					if (!r->qhead)
						r->qtail = &rec->next;
					r->qhead = rec;
					r->qlen++;
					/* stopping: no pause, the stop grace is all the time left */
					r->acct_pause_until = r->s->stopping ? 0 : now + ACCT_PAUSE_MS;
					memset(q, 0, sizeof *q);
				}
				continue;
			}
		}
		srad_rq_transmit(r, q, now);
	}
	for (size_t i = 0; r->interim_s && i < r->nsess; i++) {
		struct rsess *x = &r->sess[i];
		if (!x->up || !x->next_interim || now < x->next_interim)
			continue;
		struct l2tp_counters c = {0};
		l2tp_session_counters(r->s->core->l2tp, &x->link, x->tid, x->sid, &c);
		x->next_interim = now + r->interim_s * 1000ull;
		acct_send(r, x, RAD_ACCT_INTERIM, &c, 0, now);
	}
	acct_pump(r, now);
	srv_core_run(r->s);
}

void srad_rx_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	struct srv_radius *r = h->data;
	(void)sz;
	*b = uv_buf_init((char *)r->rx, sizeof r->rx);
}

void srad_from_sa(const struct sockaddr *sa, struct rp_addr *a)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		a->family = 4;
		memcpy(a->ip, &s4->sin_addr, 4);
		a->port = ntohs(s4->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		a->family = 6;
		memcpy(a->ip, &s6->sin6_addr, 16);
		a->port = ntohs(s6->sin6_port);
	}
}

static void on_rx(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *sa, unsigned flags)
{
	struct srv_radius *r = h->data;
	(void)flags;
	if (n <= 0 || !sa)
		return;
	struct rp_addr from;
	srad_from_sa(sa, &from);
	on_reply(r, (const uint8_t *)b->base, (size_t)n, &from, srv_now(r->s));
}

/* ---- life cycle ---- */

static int open_sock(struct srv_radius *r, char *err, size_t errlen)
{
	struct srv *s = r->s;
	/* from nas_ip_address when set: the server knows us as a client by that address */
	struct sockaddr_in any = {.sin_family = AF_INET};
	if (r->nas_ip)
		any.sin_addr.s_addr = htonl(r->nas_ip);
	uv_udp_init(&s->loop, &r->sock);
	r->sock.data = r;
	r->sock_open = true;
	int rc = uv_udp_bind(&r->sock, (const struct sockaddr *)&any, 0);
	if (!rc)
		rc = uv_udp_recv_start(&r->sock, srad_rx_alloc, on_rx);
	if (rc) {
		snprintf(err, errlen, "RADIUS client socket: %s", uv_strerror(rc));
		return -1;
	}
	return 0;
}

void srv_radius_reconf(struct srv *s, const struct conf *cf)
{
	struct srv_radius *r = srad_of(s);
	if (!r)
		return;
	r->nauth = cf->n_radius_auth;
	r->nacct = cf->n_radius_acct;
	memcpy(r->auth_srv, cf->radius_auth, sizeof r->auth_srv);
	memcpy(r->acct_srv, cf->radius_acct, sizeof r->acct_srv);
	r->auth_cur = r->acct_cur = 0;
	r->sl = strlen(cf->radius_secret);
	memcpy(r->secret, cf->radius_secret, r->sl);
	r->dsl = strlen(cf->radius_dae_secret);
	memcpy(r->dae_secret, cf->radius_dae_secret, r->dsl);
	snprintf(r->nas_id, sizeof r->nas_id, "%s", cf->radius_nas_identifier);
	r->nas_ip =
	    cf->n_radius_nas_ip && cf->radius_nas_ip[0].family == 4 ? rp_get_u32(cf->radius_nas_ip[0].ip) : 0;
	r->timeout_ms = cf->radius_timeout * 1000u;
	r->retries = cf->radius_retries;
	r->interim_s = cf->radius_interim;
	r->local_store = cf->radius_local_store;
	r->acct_max = cf->radius_acct_queue;
	char err[128];
	if ((r->nauth || r->nacct) && !r->sock_open && open_sock(r, err, sizeof err))
		rp_logf(&s->log, RP_LOG_ERR, "radius", "%s", err);
	srad_dae_apply(r, cf->radius_dae_port);
	/* a request in flight to a server no longer listed moves to the first one */
	for (unsigned i = 0; i < RQ_MAX; i++) {
		struct rq *q = &r->rq[i];
		unsigned nsrv = q->kind != K_ACCT ? r->nauth : r->nacct;
		if (q->kind && q->server >= nsrv)
			q->server = 0;
		if (q->kind && q->kind != K_ACCT && !nsrv) {
			if (q->kind == K_AUTH)
				auth_give_up(r, q, srv_now(s));
			else
				srad_test_give_up(r, q);
			srad_rq_free(r, q);
		}
	}
}

int srv_radius_init(struct srv *s, char *err, size_t errlen)
{
	struct srv_radius *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->core->radius = r;
	r->s = s;
	r->qtail = &r->qhead;
	uv_timer_init(&s->loop, &r->timer);
	r->timer.data = r;
	uv_timer_start(&r->timer, on_timer, TICK_MS, TICK_MS);
	uv_unref((uv_handle_t *)&r->timer);
	srv_radius_reconf(s, s->conf);
	return 0;
}

size_t srv_radius_stopping(struct srv *s)
{
	struct srv_radius *r = srad_of(s);
	if (!r || !r->sock_open)
		return 0;
	r->acct_pause_until = 0;
	acct_pump(r, srv_now(s));
	return r->qlen + r->inflight_acct;
}

void srv_radius_free(struct srv *s)
{
	struct srv_radius *r = srad_of(s);
	if (!r)
		return;
	if (r->qlen + r->inflight_acct)
		rp_logf(&s->log, RP_LOG_WARN, "radius",
		        "%u accounting record(s) not acknowledged by a server at exit (%llu dropped before)",
		        r->qlen + r->inflight_acct, (unsigned long long)r->acct_dropped);
	for (unsigned i = 0; i < RQ_MAX; i++)
		if (r->rq[i].kind)
			srad_rq_free(r, &r->rq[i]);
	while (r->qhead) {
		struct acct_rec *n = r->qhead->next;
		free(r->qhead);
		r->qhead = n;
	}
	free(r->sess);
	free(r->hb);
	rp_wipe(r, sizeof *r);
	free(r);
	s->core->radius = NULL;
}
