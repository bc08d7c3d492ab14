/* RFC 2661 §7 incoming calls at the LNS: ICRQ -> ICRP -> ICCN, CDN both ways, and the PPP glue:
 * PPP gets a send-down sink, a closed callback and an authentication hook that asks the owner
 * (an L2TP_EV_AUTH_REQUEST; auth_seam.c takes the answer). */
#include "l2tp_local.h"

#include "auth.h"
#include "ppp.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#define ICCN_WAIT_MS 60000
#define PPP_PASSIVE_MS 1000 /* how long PPP waits for the peer to speak first (see ppp_started) */

static size_t ip_hash(const struct l2tp *l, uint32_t ip)
{
	uint64_t h = (uint64_t)ip * 0x9e3779b97f4a7c15ull; /* pool addresses are consecutive */
	return (size_t)(h >> 32) & (l->ip_nb - 1);
}

int session_ip_init(struct l2tp *l)
{
	l->ip_nb = L2TP_HASH_MIN;
	l->ip_hash = calloc(l->ip_nb, sizeof *l->ip_hash);
	return l->ip_hash ? 0 : -1;
}

/* Doubles when the sessions reach the buckets; a failed allocation only makes chains longer. */
static void ip_grow(struct l2tp *l)
{
	size_t onb = l->ip_nb;
	struct l2tp_session **old = l->ip_hash, **nt = calloc(onb * 2, sizeof *nt);
	if (!nt)
		return;
	l->ip_hash = nt;
	l->ip_nb = onb * 2;
	for (size_t i = 0; i < onb; i++)
		for (struct l2tp_session *s = old[i], *n; s; s = n) {
			n = s->ip_next;
			size_t b = ip_hash(l, s->ip);
			s->ip_next = nt[b];
			nt[b] = s;
		}
	free(old);
}

struct l2tp_session *session_find(struct l2tp_tunnel *t, uint16_t sid)
{
	for (struct l2tp_session *s = t->sessions; s; s = s->next)
		if (s->sid == sid && s->state != S_DEAD)
			return s;
	return NULL;
}

static struct l2tp_session *find_peer_sid(struct l2tp_tunnel *t, uint16_t psid)
{
	for (struct l2tp_session *s = t->sessions; s; s = s->next)
		if (s->peer_sid == psid && s->state != S_DEAD)
			return s;
	return NULL;
}

void session_hash_ip(struct l2tp_session *s)
{
	struct l2tp *l = s->t->l;
	if (s->ip_hashed)
		return;
	if (l->ip_count >= l->ip_nb)
		ip_grow(l);
	size_t h = ip_hash(l, s->ip);
	s->ip_next = l->ip_hash[h];
	l->ip_hash[h] = s;
	s->ip_hashed = true;
	l->ip_count++;
}

static void unhash_ip(struct l2tp_session *s)
{
	struct l2tp *l = s->t->l;
	if (!s->ip_hashed)
		return;
	for (struct l2tp_session **pp = &l->ip_hash[ip_hash(l, s->ip)]; *pp; pp = &(*pp)->ip_next)
		if (*pp == s) {
			*pp = s->ip_next;
			break;
		}
	s->ip_hashed = false;
	l->ip_count--;
}

void session_release_ip(struct l2tp_session *s)
{
	unhash_ip(s);
	session6_release(s);
	if (s->ip && s->t->l->conf.pool)
		auth_pool_release(s->t->l->conf.pool, s->ip);
	s->ip = 0;
}

void session_free(struct l2tp_session *s)
{
	session_release_ip(s);
	limits_acct_del(s);
	limits_peer_session_del(s);
	ppp_free(s->ppp);
	if (s->t->l->st.sessions)
		s->t->l->st.sessions--;
	free(s);
}

static void send_cdn(struct l2tp_tunnel *t, uint16_t our_sid, uint16_t peer_sid, uint16_t result,
                     uint16_t error, const char *msg)
{
	uint8_t b[256];
	struct rp_wr w;
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, t->peer_tid, peer_sid, 0, 0);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_CDN);
	l2tp_avp_result(&w, result, error, msg);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_SID, true, our_sid ? our_sid : 0xffff);
	l2tp_ctl_end(&w);
	if (rp_wr_ok(&w))
		rel_send(t, b, w.len, false);
}

void session_kill(struct l2tp_session *s, int reason, const char *text, bool cdn)
{
	struct l2tp_tunnel *t = s->t;
	if (s->state == S_DEAD)
		return;
	if (cdn && t->state != T_DEAD && t->state != T_CLOSING) {
		uint16_t rc = reason == L2TP_DOWN_ADMIN     ? L2TP_CDN_ADMIN
		              : reason == L2TP_DOWN_TIMEOUT ? L2TP_CDN_LOST_CARRIER
		                                            : L2TP_CDN_GENERAL;
		send_cdn(t, s->sid, s->peer_sid, rc, 0, text);
	}
	if (s->state == S_ESTABLISHED)
		l2tp_emit_session(t->l, L2TP_EV_SESSION_DOWN, s, reason, text);
	if (s->up_reported && t->l->st.sessions_up)
		t->l->st.sessions_up--;
	rp_logf(t->l->log, RP_LOG_INFO, "l2tp", "session %u/%u (%s) down: %s", t->tid, s->sid,
	        s->account[0] ? s->account : "-", text);
	session_release_ip(s);
	limits_peer_session_del(s);
	s->state = S_DEAD;
	if (t->nsessions && --t->nsessions == 0)
		t->idle_since = t->l->now;
	tunnel_reap_mark(t);
}

/* ---- PPP glue ----------------------------------------------------------------------------- */

static void ppp_send_cb(void *ctx, const uint8_t *frame, size_t len)
{
	struct l2tp_session *s = ctx;
	struct l2tp_tunnel *t = s->t;
	uint8_t b[1700];
	if (t->state == T_DEAD || len + 8 > sizeof b)
		return;
	l2tp_data_hdr(b, sizeof b, t->peer_tid, s->peer_sid, (uint16_t)(len + 8));
	memcpy(b + 8, frame, len);
	if (t->l->conf.data_send)
		t->l->conf.data_send(t->l->conf.data_ctx, &t->link, b, len + 8);
	else
		l2tp_emit_send(t->l, &t->link, t->tid, s->sid, b, len + 8);
}

/* The in-place twin of ppp_send_cb (l2tp_output_ip_buf): the data header goes into b's headroom. */
static void ppp_send_buf_cb(void *ctx, struct rp_buf *b)
{
	struct l2tp_session *s = ctx;
	struct l2tp_tunnel *t = s->t;
	if (t->state == T_DEAD || b->len + 8 > 0xffff)
		return;
	uint8_t *h = rp_buf_push(b, 8);
	if (!h)
		return;
	l2tp_data_hdr(h, 8, t->peer_tid, s->peer_sid, (uint16_t)b->len);
	if (t->l->conf.data_send_buf)
		t->l->conf.data_send_buf(t->l->conf.data_ctx, &t->link, b);
	else if (t->l->conf.data_send)
		t->l->conf.data_send(t->l->conf.data_ctx, &t->link, rp_buf_data(b), b->len);
	else
		l2tp_emit_send(t->l, &t->link, t->tid, s->sid, rp_buf_data(b), b->len);
}

static void ppp_closed_cb(void *ctx, int reason, const char *text)
{
	struct l2tp_session *s = ctx;
	int r = reason == PPP_DOWN_AUTH          ? L2TP_DOWN_AUTH_FAIL
	        : reason == PPP_DOWN_TIMEOUT     ? L2TP_DOWN_TIMEOUT
	        : reason == PPP_DOWN_NEGOTIATION ? L2TP_DOWN_NEGOTIATION
	        : reason == PPP_DOWN_ADMIN       ? L2TP_DOWN_ADMIN
	                                         : L2TP_DOWN_PEER;
	if (s->stop_cause)
		r = s->stop_cause; /* we closed it: the answer's session or idle timeout */
	session_kill(s, r, text, true);
}

/* PPP asks: the question goes out as an event and PPP waits (auth_seam.c takes the answer). */
static int ppp_verify_cb(void *ctx, const struct ppp_auth_req *q, struct ppp_auth_res *r)
{
	struct l2tp_session *s = ctx;
	struct l2tp *l = s->t->l;
	(void)r;
	/* failed-login throttling (throttle.c): a locked account or peer is refused before the
	 * password is checked, so guesses during a lock-out tell the guesser nothing */
	int lim = throttle_check(l, &s->t->link, q->user, q->user_len);
	if (lim) {
		limits_refused(l, lim, &s->t->link, "login");
		return -1; /* refused: PPP answers "no permission" */
	}
	struct rp_ev *ev = rp_ev_new(L2TP_EV_AUTH_REQUEST, sizeof(struct l2tp_ev_auth));
	if (!ev)
		return -1; /* refused: PPP answers "no permission" */
	struct l2tp_ev_auth *e = (struct l2tp_ev_auth *)ev->data;
	e->link = s->t->link;
	e->tid = s->t->tid;
	e->sid = s->sid;
	/* a random low half: a late answer meant for an earlier session with the same IDs, or for
	 * an earlier question of this one, finds no match */
	e->id = (uint64_t)s->t->tid << 48 | (uint64_t)s->sid << 32 | (rp_rng_u32(l->rng) | 1u);
	e->method = q->method;
	e->user_len = q->user_len < sizeof e->user ? q->user_len : sizeof e->user - 1;
	memcpy(e->user, q->user, e->user_len);
	e->password_len = q->password_len < sizeof e->password ? q->password_len : sizeof e->password;
	if (q->password)
		memcpy(e->password, q->password, e->password_len);
	e->chap_id = q->chap_id;
	if (q->challenge && q->challenge_len == sizeof e->challenge)
		memcpy(e->challenge, q->challenge, sizeof e->challenge);
	if (q->response)
		memcpy(e->response, q->response, sizeof e->response);
	if (q->peer_challenge)
		memcpy(e->peer_challenge, q->peer_challenge, sizeof e->peer_challenge);
	if (q->nt_response)
		memcpy(e->nt_response, q->nt_response, sizeof e->nt_response);
	s->auth_id = e->id;
	s->login_len = q->user_len < sizeof s->login ? q->user_len : sizeof s->login;
	memcpy(s->login, q->user, s->login_len);
	rp_evq_push(&l->evq, ev);
	return PPP_VERIFY_PENDING;
}

static void ppp_up_cb(void *ctx, const char *account, uint32_t ip)
{
	struct l2tp_session *s = ctx;
	struct l2tp *l = s->t->l;
	(void)account;
	if (s->ip == ip)
		session_hash_ip(s);
	s->up_reported = true;
	l->st.sessions_up++;
	l2tp_emit_session(l, L2TP_EV_PPP_UP, s, 0, "");
}

static void ppp_ip_cb(void *ctx, const uint8_t *pkt, size_t n)
{
	struct l2tp_session *s = ctx;
	struct l2tp *l = s->t->l;
	if (s->tb_in.rate && !limits_tbf_pass(&s->tb_in, n, l->now)) {
		s->ctr.rx_rate_drops++;
		return;
	}
	s->ctr.rx_pkts++;
	s->ctr.rx_bytes += n;
	s->last_data = l->now;
	pkt = session_mss_clamp(s, pkt, n);
	if (l->conf.ip_deliver) {
		l->conf.ip_deliver(l->conf.data_ctx, &s->t->link, pkt, n);
		return;
	}
	struct rp_ev *ev = rp_ev_new(L2TP_EV_IP, sizeof(struct l2tp_ev_send) + n);
	if (!ev)
		return;
	struct l2tp_ev_send *e = (struct l2tp_ev_send *)ev->data;
	e->link = s->t->link;
	e->tid = s->t->tid;
	e->sid = s->sid;
	e->len = (uint32_t)n;
	memcpy(e->pkt, pkt, n);
	rp_evq_push(&l->evq, ev);
}

/* ---- control messages --------------------------------------------------------------------- */

static void on_icrq(struct l2tp_tunnel *t, const struct l2tp_msg *m)
{
	struct l2tp *l = t->l;
	if (!(m->have & (1ull << L2TP_AVP_ASSIGNED_SID)))
		return; /* nowhere to send a CDN: acknowledged and ignored */
	if (find_peer_sid(t, m->assigned_sid))
		return; /* the same call again */
	if (l2tp_msg_missing(m) >= 0 || m->unknown_m) {
		send_cdn(t, 0, m->assigned_sid, L2TP_CDN_GENERAL,
		         m->unknown_m ? L2TP_ERR_UNKNOWN_M : L2TP_ERR_LENGTH,
		         m->unknown_m ? "unknown mandatory AVP" : "missing mandatory AVP");
		return;
	}
	if (t->nsessions >= l->conf.max_sessions) {
		limits_refused(l, L2TP_LIM_SESSIONS_PER_TUNNEL, &t->link, "session");
		send_cdn(t, 0, m->assigned_sid, L2TP_CDN_GENERAL, L2TP_ERR_RESOURCES, "too many sessions");
		return;
	}
	if (l->st.sessions >= l->conf.max_sessions_total) {
		l->st.refused[L2TP_LIM_SESSIONS]++;
		l2tp_runout(l, &t->link, "L2TP sessions", "l2tp.max_sessions");
		send_cdn(t, 0, m->assigned_sid, L2TP_CDN_GENERAL, L2TP_ERR_RESOURCES, "too many sessions");
		return;
	}
	uint16_t sid = 0;
	for (int i = 0; i < 64 && !sid; i++) {
		uint16_t c = (uint16_t)rp_rng_u32(l->rng);
		if (c && !session_find(t, c))
			sid = c;
	}
	for (uint32_t c = 1; !sid && c <= UINT16_MAX; c++)
		if (!session_find(t, (uint16_t)c))
			sid = (uint16_t)c;
	struct l2tp_session *s = calloc(1, sizeof *s);
	if (!s) {
		send_cdn(t, 0, m->assigned_sid, L2TP_CDN_GENERAL, L2TP_ERR_RESOURCES, "no memory");
		return;
	}
	s->t = t;
	/* sessions per SA, over all its tunnels (issue 12); a peer locked out by failed logins
	 * gets no new session either */
	if (throttle_peer_locked(l, &t->link) || limits_peer_session_add(s)) {
		free(s);
		send_cdn(t, 0, m->assigned_sid, L2TP_CDN_GENERAL, L2TP_ERR_RESOURCES, "too many sessions");
		return;
	}
	s->sid = sid;
	s->peer_sid = m->assigned_sid;
	s->state = S_WAIT_ICCN;
	s->created = l->now;
	s->next = t->sessions;
	t->sessions = s;
	t->nsessions++;
	l->st.sessions++;

	uint8_t b[128];
	struct rp_wr w;
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, t->peer_tid, s->peer_sid, 0, 0);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_ICRP);
	if (l->conf.hide_avps && l->conf.secret) {
		uint8_t rv[16], id[2];
		rp_rng_fill(l->rng, rv, sizeof rv);
		rp_put_u16(id, sid);
		l2tp_avp_put(&w, L2TP_AVP_RANDOM_VECTOR, true, rv, sizeof rv);
		l2tp_avp_put_hidden(&w, L2TP_AVP_ASSIGNED_SID, true, id, 2, l->conf.secret,
		                    l->conf.secret_len, rv);
	} else
		l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_SID, true, sid);
	l2tp_ctl_end(&w);
	rel_send(t, b, w.len, false);
}

static void on_iccn(struct l2tp_tunnel *t, const struct l2tp_hdr *h, const struct l2tp_msg *m)
{
	struct l2tp *l = t->l;
	struct l2tp_session *s = session_find(t, h->sid);
	if (!s || s->state != S_WAIT_ICCN)
		return;
	if (l2tp_msg_missing(m) >= 0 || m->unknown_m) {
		session_kill(s, L2TP_DOWN_PROTOCOL,
		             m->unknown_m ? "unknown mandatory AVP in ICCN" : "ICCN incomplete", true);
		return;
	}
	struct ppp_cb cb = {.ctx = s,
	                    .send = ppp_send_cb,
	                    .send_buf = ppp_send_buf_cb,
	                    .closed = ppp_closed_cb,
	                    .verify = ppp_verify_cb,
	                    .up = ppp_up_cb,
	                    .ip_in = ppp_ip_cb,
	                    .up6 = session6_up,
	                    .ip6_in = session6_ip_in};
	struct ppp_conf pc;
	if (l->conf.ppp)
		pc = *l->conf.ppp;
	else
		ppp_conf_defaults(&pc);
	pc.ipv6 = l->conf.prefix6_len && l->conf.ip6_deliver; /* IPV6CP only when IPv6 is routed */
	s->ppp = ppp_new(&pc, &cb, l->rng, l->log, l->now);
	if (!s->ppp) {
		session_kill(s, L2TP_DOWN_PROTOCOL, "no memory", true);
		return;
	}
	s->state = S_ESTABLISHED;
	rp_logf(l->log, RP_LOG_INFO, "l2tp",
	        "session %u/%u (peer %u/%u) established by ICCN, "
	        "starting PPP",
	        t->tid, s->sid, t->peer_tid, s->peer_sid);
	/* proxy LCP/authentication AVPs are ignored: the LNS renegotiates (§4.4.5 allows it) */
	s->ppp_start_at = l->now + PPP_PASSIVE_MS;
}

static void session_ppp_open(struct l2tp_session *s)
{
	if (!s->ppp_started) {
		s->ppp_started = true;
		ppp_start(s->ppp, s->t->l->now);
	}
}

void session_ctl(struct l2tp_tunnel *t, const struct l2tp_hdr *h, struct l2tp_msg *m)
{
	switch (m->type) {
	case L2TP_ICRQ:
		on_icrq(t, m);
		break;
	case L2TP_ICCN:
		on_iccn(t, h, m);
		break;
	case L2TP_CDN: {
		/* §6.11: a CDN before our ICRP arrived carries session 0; find it by its own ID */
		struct l2tp_session *s = h->sid ? session_find(t, h->sid) : NULL;
		if (!s && (m->have & (1ull << L2TP_AVP_ASSIGNED_SID)))
			s = find_peer_sid(t, m->assigned_sid);
		if (s) {
			char txt[96];
			snprintf(txt, sizeof txt, "CDN from peer (result %u, error %u)", m->result, m->error);
			session_kill(s, L2TP_DOWN_PEER, txt, false);
		}
		break;
	}
	default:
		break;
	}
}

void session_data(struct l2tp_session *s, const uint8_t *p, size_t n)
{
	if (s->state == S_ESTABLISHED && s->ppp) {
		session_ppp_open(s); /* the peer's PPP is listening now: our request will be heard */
		ppp_input(s->ppp, p, n, s->t->l->now);
	}
}

void session_tick(struct l2tp_session *s)
{
	struct l2tp *l = s->t->l;
	if (s->state == S_ESTABLISHED && s->ppp && !s->ppp_started) {
		if (l->now >= s->ppp_start_at)
			session_ppp_open(s);
	} else if (s->state == S_ESTABLISHED && s->ppp) {
		ppp_tick(s->ppp, l->now);
		if (s->state != S_ESTABLISHED || s->stop_cause)
			return;
		/* RFC 2865 §5.27/§5.28 Session-Timeout and Idle-Timeout: ended as the admin would */
		if (s->expire_at && l->now >= s->expire_at)
			s->stop_cause = L2TP_DOWN_SESSION_TIMEOUT;
		else if (s->idle_ms && l->now >= s->last_data + s->idle_ms)
			s->stop_cause = L2TP_DOWN_IDLE_TIMEOUT;
		if (s->stop_cause)
			ppp_close(s->ppp,
			          s->stop_cause == L2TP_DOWN_SESSION_TIMEOUT ? "session timeout"
			                                                     : "idle timeout",
			          l->now);
	} else if (s->state == S_WAIT_ICCN && l->now >= s->created + ICCN_WAIT_MS)
		session_kill(s, L2TP_DOWN_TIMEOUT, "no ICCN", true);
}

uint64_t session_deadline(const struct l2tp_session *s)
{
	if (s->state == S_ESTABLISHED && s->ppp && s->ppp_started) {
		uint64_t d = ppp_next_deadline(s->ppp);
		if (!s->stop_cause && s->expire_at && s->expire_at < d)
			d = s->expire_at;
		if (!s->stop_cause && s->idle_ms && s->last_data + s->idle_ms < d)
			d = s->last_data + s->idle_ms;
		return d;
	}
	if (s->state == S_ESTABLISHED && s->ppp)
		return s->ppp_start_at;
	if (s->state == S_WAIT_ICCN)
		return s->created + ICCN_WAIT_MS;
	return UINT64_MAX;
}

/* TCP MSS clamping (issue 11), both directions: whether pkt is a SYN whose MSS must be lowered,
 * with at->max the limit. The limit follows the session's MRUs (ours and the peer's, both known
 * once LCP is up) and a reload at once. Anything but a TCP SYN leaves after a few compares. */
static bool mss_due(struct l2tp_session *s, const uint8_t *pkt, size_t n, struct ppp_mss_at *at)
{
	struct l2tp *l = s->t->l;
	uint16_t c4 = l->conf.mss_clamp4, c6 = l->conf.mss_clamp6;
	/* any SYN with an MSS option in a family that is clamped (limit 1 finds every MSS above 1) */
	if (!ppp_mss_find(pkt, n, c4 ? 1 : 0, c6 ? 1 : 0, at))
		return false;
	/* the limit: the ceiling, lowered to the session's MRUs (>= 576, lcp.c) less the headers */
	bool v4 = pkt[0] >> 4 == 4;
	unsigned mru = ppp_peer_mru(s->ppp), hdr = v4 ? 40 : 60, lim = v4 ? c4 : c6;
	if (l->conf.ppp && l->conf.ppp->mru && l->conf.ppp->mru < mru)
		mru = l->conf.ppp->mru;
	if (mru - hdr < lim)
		lim = mru - hdr;
	if (at->mss <= lim)
		return false;
	at->max = (uint16_t)lim;
	return true;
}

/* pkt itself when nothing is lowered, else a clamped copy in l->mss_buf (the packets handed to
 * the core are borrowed) */
const uint8_t *session_mss_clamp(struct l2tp_session *s, const uint8_t *pkt, size_t n)
{
	struct l2tp *l = s->t->l;
	struct ppp_mss_at at;
	if (n > sizeof l->mss_buf || !mss_due(s, pkt, n, &at))
		return pkt;
	memcpy(l->mss_buf, pkt, n);
	ppp_mss_apply(l->mss_buf, &at);
	l->st.mss_clamped++;
	return l->mss_buf;
}

bool l2tp_scratch(const struct l2tp *l, const void *p)
{
	const uint8_t *q = p;
	return q >= l->mss_buf && q < l->mss_buf + sizeof l->mss_buf;
}

/* One IP packet into a session towards its peer (IPv4 or IPv6): the account's rate limit, TCP
 * MSS clamping, PPP, then the counters accounting and the idle timeout read. */
int session_output(struct l2tp_session *s, const uint8_t *pkt, size_t n, bool v6, uint64_t now_ms)
{
	return session_output_b(s, pkt, NULL, n, v6, now_ms);
}

/* pkt (copied into PPP's frame) or b (in place, IPv4 only): the same limits and counters */
int session_output_b(struct l2tp_session *s, const uint8_t *pkt, struct rp_buf *b, size_t n, bool v6,
                     uint64_t now_ms)
{
	if (s->tb_out.rate && !limits_tbf_pass(&s->tb_out, n, now_ms)) {
		s->ctr.tx_rate_drops++;
		return -ENOBUFS;
	}
	struct ppp_mss_at at;
	if (!b)
		pkt = session_mss_clamp(s, pkt, n);
	else if (mss_due(s, rp_buf_data(b), n, &at)) { /* in place: the buffer is the caller's to change */
		ppp_mss_apply(rp_buf_data(b), &at);
		s->t->l->st.mss_clamped++;
	}
	int rc = b    ? ppp_output_ip_buf(s->ppp, b)
	         : v6 ? ppp_output_ip6(s->ppp, pkt, n)
	              : ppp_output_ip(s->ppp, pkt, n);
	if (!rc) {
		s->ctr.tx_pkts++;
		s->ctr.tx_bytes += n;
		s->last_data = now_ms;
	}
	return rc;
}

/* The established session an IPv4 address is leased to, or NULL */
static struct l2tp_session *session_by_ip(struct l2tp *l, uint32_t dst)
{
	for (struct l2tp_session *s = l->ip_hash[ip_hash(l, dst)]; s; s = s->ip_next)
		if (s->ip == dst && s->state == S_ESTABLISHED && s->ppp)
			return s;
	return NULL;
}

int l2tp_output_ip(struct l2tp *l, uint32_t dst, const uint8_t *pkt, size_t n, uint64_t now_ms)
{
	l->now = now_ms;
	struct l2tp_session *s = session_by_ip(l, dst);
	return s ? session_output(s, pkt, n, false, now_ms) : -1;
}

int l2tp_output_ip_buf(struct l2tp *l, uint32_t dst, struct rp_buf *b, uint64_t now_ms)
{
	l->now = now_ms;
	struct l2tp_session *s = session_by_ip(l, dst);
	return s ? session_output_b(s, NULL, b, b->len, false, now_ms) : -1;
}

int l2tp_close_session(struct l2tp *l, const struct l2tp_link *link, uint16_t tid, uint16_t sid,
                       uint64_t now_ms)
{
	l->now = now_ms;
	struct l2tp_tunnel *t = tunnel_find(l, link, tid);
	struct l2tp_session *s = t ? session_find(t, sid) : NULL;
	if (!s)
		return -1;
	if (s->ppp && s->state == S_ESTABLISHED)
		ppp_close(s->ppp, "closed by administrator", now_ms); /* CDN when LCP is done */
	else
		session_kill(s, L2TP_DOWN_ADMIN, "closed by administrator", true);
	l2tp_sched(l, t);
	return 0;
}
