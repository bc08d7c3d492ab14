/* The LNS core object: configuration, the tunnel table, input dispatch, events, timers. */
#include "l2tp_local.h"

#include "ppp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool l2tp_link_eq(const struct l2tp_link *a, const struct l2tp_link *b)
{
	return a->sa == b->sa && rp_addr_eq(&a->peer, &b->peer);
}

void l2tp_drop(struct l2tp *l, const struct l2tp_link *link, const char *reason)
{
	l->st.drops++;
	if (l->log)
		rp_log_drop(l->log, l->now, "l2tp", &link->peer, reason, "sa %llu: %s",
		            (unsigned long long)link->sa, reason);
}

/* Something ran out (issue 17): the client is refused, the others are served, and one line a
 * while names what and the key that raises it, however many clients hit it. */
#define L2TP_RUNOUT_LOG_MS 10000
void l2tp_runout(struct l2tp *l, const struct l2tp_link *link, const char *what, const char *key)
{
	(void)link;
	if (!l->log || (l->runout_log_ms && l->now - l->runout_log_ms < L2TP_RUNOUT_LOG_MS))
		return;
	l->runout_log_ms = l->now ? l->now : 1;
	rp_logf(l->log, RP_LOG_ERR, "l2tp", "out of %s: new clients are refused (raise %s)", what, key);
}

void l2tp_emit_send(struct l2tp *l, const struct l2tp_link *link, uint16_t tid, uint16_t sid,
                    const uint8_t *p, size_t n)
{
	struct rp_ev *ev = rp_ev_new(L2TP_EV_SEND, sizeof(struct l2tp_ev_send) + n);
	if (!ev)
		return;
	struct l2tp_ev_send *e = (struct l2tp_ev_send *)ev->data;
	e->link = *link;
	e->tid = tid;
	e->sid = sid;
	e->len = (uint32_t)n;
	memcpy(e->pkt, p, n);
	ev->dst = link->peer;
	rp_evq_push(&l->evq, ev);
}

void l2tp_emit_session(struct l2tp *l, int type, const struct l2tp_session *s, int reason, const char *text)
{
	struct rp_ev *ev = rp_ev_new(type, sizeof(struct l2tp_ev_session));
	if (!ev)
		return;
	struct l2tp_ev_session *e = (struct l2tp_ev_session *)ev->data;
	e->link = s->t->link;
	e->tid = s->t->tid;
	e->sid = s->sid;
	e->ip = s->ip;
	e->mru = s->ppp ? ppp_peer_mru(s->ppp) : 0;
	e->account_id = s->account_id;
	memcpy(e->account, s->account, sizeof e->account);
	e->reason = reason;
	strncpy(e->text, text ? text : "", sizeof e->text - 1);
	e->rx_bytes = s->ctr.rx_bytes;
	e->rx_pkts = s->ctr.rx_pkts;
	e->tx_bytes = s->ctr.tx_bytes;
	e->tx_pkts = s->ctr.tx_pkts;
	ev->dst = s->t->link.peer;
	rp_evq_push(&l->evq, ev);
}

/* ---- timer heap --------------------------------------------------------------------------- */

static void heap_set(struct l2tp *l, size_t i, struct l2tp_tunnel *t)
{
	l->heap[i] = t;
	t->heap_idx = i;
}

static void heap_up(struct l2tp *l, size_t i)
{
	struct l2tp_tunnel *t = l->heap[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (l->heap[p]->dl <= t->dl)
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, t);
}

static void heap_down(struct l2tp *l, size_t i)
{
	struct l2tp_tunnel *t = l->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && l->heap[c + 1]->dl < l->heap[c]->dl)
			c++;
		if (t->dl <= l->heap[c]->dl)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

int l2tp_heap_add(struct l2tp *l, struct l2tp_tunnel *t)
{
	if (l->nheap == l->heap_cap) {
		size_t nc = l->heap_cap ? l->heap_cap * 2 : 64;
		struct l2tp_tunnel **nh = realloc(l->heap, nc * sizeof *nh);
		if (!nh)
			return -1;
		l->heap = nh;
		l->heap_cap = nc;
	}
	t->dl = tunnel_deadline(t);
	heap_set(l, l->nheap++, t);
	heap_up(l, t->heap_idx);
	return 0;
}

void l2tp_heap_del(struct l2tp *l, struct l2tp_tunnel *t)
{
	size_t i = t->heap_idx;
	if (i == SIZE_MAX)
		return;
	t->heap_idx = SIZE_MAX;
	struct l2tp_tunnel *last = l->heap[--l->nheap];
	if (i == l->nheap)
		return;
	heap_set(l, i, last);
	heap_up(l, i);
	heap_down(l, last->heap_idx);
}

void l2tp_sched(struct l2tp *l, struct l2tp_tunnel *t)
{
	uint64_t d = tunnel_deadline(t);
	if (d == t->dl || t->heap_idx == SIZE_MAX)
		return;
	t->dl = d;
	heap_up(l, t->heap_idx);
	heap_down(l, t->heap_idx);
}

static void conf_fill(struct l2tp_conf *out, const struct l2tp_conf *conf)
{
	*out = *conf;
	if (!out->recv_window)
		out->recv_window = 16;
	if (out->recv_window > 256)
		out->recv_window = 256;
	if (!out->rexmit_max)
		out->rexmit_max = 5;
	if (out->rexmit_cap_s < 8)
		out->rexmit_cap_s = 8;
	if (!out->max_tunnels)
		out->max_tunnels = L2TP_MAX_TUNNELS_DEFAULT;
	if (!out->max_tunnels_per_link)
		out->max_tunnels_per_link = 64;
	if (!out->max_sessions)
		out->max_sessions = 1024;
	if (!out->max_sessions_total)
		out->max_sessions_total = L2TP_MAX_TUNNELS_DEFAULT;
	if (!out->max_tunnels_per_sa)
		out->max_tunnels_per_sa = 16;
	if (!out->max_sessions_per_sa)
		out->max_sessions_per_sa = 64;
	if (!out->login_fail_window_s)
		out->login_fail_window_s = 300;
	if (!out->login_lockout_s)
		out->login_lockout_s = 300;
	if (!out->login_account_lockout_s)
		out->login_account_lockout_s = 60;
	if (!out->secret_len)
		out->secret = NULL;
}

struct l2tp *l2tp_new(const struct l2tp_conf *conf, struct rp_rng *rng, uint64_t now_ms)
{
	struct l2tp *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	conf_fill(&l->conf, conf);
	l->rng = rng;
	l->log = conf->log;
	l->now = now_ms;
	rp_evq_init(&l->evq);
	if (tunnel_tables_init(l) || session_ip_init(l) || limits_tables_init(l)) {
		limits_tables_free(l);
		tunnel_tables_free(l);
		free(l->ip_hash);
		free(l);
		return NULL;
	}
	return l;
}

/* Reload: new tunnels and sessions take the new values; a tunnel keeps the receive window it
 * advertised. The wiring (callbacks, log, account store, pool) stays as created. */
void l2tp_reconf(struct l2tp *l, const struct l2tp_conf *conf)
{
	struct l2tp_conf old = l->conf;
	conf_fill(&l->conf, conf);
	l->conf.log = old.log;
	l->conf.pool = old.pool;
	l->conf.data_send = old.data_send;
	l->conf.data_send_buf = old.data_send_buf;
	l->conf.ip_deliver = old.ip_deliver;
	l->conf.data_ctx = old.data_ctx;
	l->conf.ppp_authorize = old.ppp_authorize;
	l->conf.peer_of = old.peer_of;
	l->conf.ip6_deliver = old.ip6_deliver;
	for (struct l2tp_tunnel *t = l->tunnels; t; t = t->next)
		l2tp_sched(l, t); /* HELLO and idle deadlines follow the new intervals */
}

void l2tp_free(struct l2tp *l)
{
	if (!l)
		return;
	while (l->tunnels)
		tunnel_free(l->tunnels);
	rp_evq_clear(&l->evq);
	free(l->heap);
	tunnel_tables_free(l);
	limits_tables_free(l);
	free(l->ip_hash);
	free(l);
}

static void reap(struct l2tp *l)
{
	/* only the tunnels where something died (tunnel_reap_mark), not all of them */
	while (l->reap) {
		struct l2tp_tunnel *t = l->reap;
		l->reap = t->reap_next;
		t->reap_queued = false;
		for (struct l2tp_session **pp = &t->sessions; *pp;) {
			struct l2tp_session *s = *pp;
			if (s->state == S_DEAD) {
				*pp = s->next;
				session_free(s);
			} else
				pp = &s->next;
		}
		if (t->state == T_DEAD)
			tunnel_free(t);
	}
}

/* One in-order control message: parse (with the tunnel secret for hidden AVPs) and dispatch.
 * Returns -1 when it is malformed: it is then not acknowledged, and the peer's retransmissions
 * eventually give up. */
static int process(struct l2tp_tunnel *t, const uint8_t *p, size_t n)
{
	struct l2tp_hdr h;
	struct l2tp_msg m;
	if (l2tp_hdr_parse(p, n, &h))
		return -1;
	int rc = l2tp_msg_parse(&m, p + h.payload_off, h.len - h.payload_off, t->l->conf.secret,
	                        t->l->conf.secret_len);
	if (rc == -1) {
		l2tp_drop(t->l, &t->link, "malformed control message");
		return -1;
	}
	if (rc == -2)
		m.unknown_m = true; /* an invalid mandatory value is handled like an unknown one */
	rel_accepted(t);
	rp_logf(t->l->log, RP_LOG_PKT, "l2tp", "tunnel %u: %s Ns=%u Nr=%u", t->tid, l2tp_mt_name(m.type),
	        h.ns, h.nr);
	/* an unknown mandatory AVP in a tunnel-level message clears the tunnel (§4.1); session
	 * messages are answered with a CDN in session.c */
	if (m.unknown_m && (m.type == L2TP_SCCCN || m.type == L2TP_HELLO))
		tunnel_stop(t, L2TP_STOP_GENERAL, L2TP_ERR_UNKNOWN_M, "unknown mandatory AVP");
	else
		tunnel_ctl(t, &h, &m);
	return 0;
}

static void ctl_input(struct l2tp *l, const struct l2tp_link *link, const struct l2tp_hdr *h,
                      const uint8_t *p, size_t n)
{
	struct l2tp_tunnel *t;
	l->st.rx_ctl++;
	if (h->tid == 0) {
		/* only an SCCRQ may be sent to tunnel 0 (§3.1); find a retransmission by the
		 * peer's Assigned Tunnel ID on the same link */
		struct l2tp_msg m;
		if (l2tp_msg_parse(&m, p + h->payload_off, h->len - h->payload_off, l->conf.secret,
		                   l->conf.secret_len) == -1 ||
		    m.type != L2TP_SCCRQ || !m.assigned_tid) {
			l2tp_drop(l, link, "control message for tunnel 0 that is not an SCCRQ");
			return;
		}
		t = tunnel_find_peer(l, link, m.assigned_tid);
		if (!t) {
			if (h->ns != 0) {
				l2tp_drop(l, link, "SCCRQ with Ns != 0 for an unknown tunnel");
				return;
			}
			t = tunnel_new(l, link, m.assigned_tid);
			if (!t)
				return; /* tunnel_new said which limit */
		}
	} else {
		t = tunnel_find(l, link, h->tid);
		if (!t) {
			l2tp_drop(l, link, "control message for an unknown tunnel");
			return;
		}
	}
	if (t->state == T_DEAD)
		return;
	t->last_rx = l->now;
	if (rel_rx(t, h, p, n) == 1 && process(t, p, n) == 0) {
		uint8_t *q;
		size_t qn;
		/* messages that arrived early and are now in order */
		while (t->state != T_DEAD && rel_next_queued(t, &q, &qn)) {
			int rc = process(t, q, qn);
			free(q);
			if (rc)
				break;
		}
	}
	if (t->ack_needed && t->state != T_DEAD)
		rel_send_zlb(t);
	l2tp_sched(l, t);
}

int l2tp_input(struct l2tp *l, const struct l2tp_link *link, const uint8_t *p, size_t n, uint64_t now_ms)
{
	struct l2tp_hdr h;
	l->now = now_ms;
	if (l2tp_hdr_parse(p, n, &h)) {
		l2tp_drop(l, link, "malformed L2TP header");
		return 0;
	}
	if (h.ctrl) {
		ctl_input(l, link, &h, p, h.len);
	} else {
		struct l2tp_tunnel *t = tunnel_find(l, link, h.tid);
		struct l2tp_session *s;
		l->st.rx_data++;
		if (!t || !(s = session_find(t, h.sid))) {
			l2tp_drop(l, link, "data message for an unknown tunnel or session");
			return 0;
		}
		/* data (PPP) traffic is liveness for the tunnel: Android never answers HELLO */
		t->last_rx = now_ms;
		session_data(s, p + h.payload_off, h.len - h.payload_off);
		l2tp_sched(l, t);
	}
	reap(l);
	return 0;
}

int l2tp_tick(struct l2tp *l, uint64_t now_ms)
{
	l->now = now_ms;
	/* run every due tunnel once; a tunnel still due afterwards (e.g. dead, to be reaped) is not
	 * run again in this call */
	struct l2tp_tunnel *due = NULL;
	while (l->nheap && l->heap[0]->dl <= now_ms) {
		struct l2tp_tunnel *t = l->heap[0];
		l2tp_heap_del(l, t);
		t->due_next = due;
		due = t;
	}
	while (due) {
		struct l2tp_tunnel *t = due;
		due = t->due_next;
		tunnel_tick(t);
		/* re-inserting cannot fail: the heap had room for it a moment ago */
		l2tp_heap_add(l, t);
	}
	reap(l);
	return 0;
}

uint64_t l2tp_next_deadline(const struct l2tp *l)
{
	return l->nheap ? l->heap[0]->dl : UINT64_MAX;
}

struct rp_ev *l2tp_next_event(struct l2tp *l)
{
	return rp_evq_pop(&l->evq);
}

void l2tp_link_gone(struct l2tp *l, uint64_t sa, uint64_t now_ms)
{
	l->now = now_ms;
	if (sa)
		tunnel_link_gone(l, sa);
	reap(l);
}

void l2tp_stop_all(struct l2tp *l, uint64_t now_ms)
{
	l->now = now_ms;
	for (struct l2tp_tunnel *t = l->tunnels; t; t = t->next) {
		tunnel_stop(t, L2TP_STOP_SHUTDOWN, L2TP_ERR_NONE, "server shutting down");
		l2tp_sched(l, t);
	}
	reap(l);
}

int l2tp_stop_tunnel(struct l2tp *l, const struct l2tp_link *link, uint16_t tid, uint64_t now_ms)
{
	l->now = now_ms;
	struct l2tp_tunnel *t = tunnel_find(l, link, tid);
	if (!t || t->state == T_DEAD)
		return -1;
	tunnel_stop(t, L2TP_STOP_CLEAR, L2TP_ERR_NONE, "closed by administrator");
	l2tp_sched(l, t);
	reap(l);
	return 0;
}

const char *l2tp_auth_result_name(int r)
{
	static const char *const n[L2TP_AUTH_R_N] = {
	    "ok", "bad_password", "disabled", "no_permission", "refused", "no_address", "max_sessions"};
	return r >= 0 && r < L2TP_AUTH_R_N ? n[r] : "?";
}

void l2tp_get_stats(const struct l2tp *l, struct l2tp_stats *st)
{
	*st = l->st;
}

void l2tp_foreach_session(const struct l2tp *l, int (*fn)(void *ctx, const struct l2tp_session_info *si),
                          void *ctx)
{
	struct l2tp_session_info si;
	for (const struct l2tp_tunnel *t = l->tunnels; t; t = t->next) {
		if (t->state == T_DEAD)
			continue;
		memset(&si, 0, sizeof si);
		si.link = t->link;
		si.tid = t->tid;
		si.peer_tid = t->peer_tid;
		memcpy(si.host, t->host, sizeof si.host);
		si.tunnel_up = t->state == T_ESTABLISHED;
		si.since_ms = t->created;
		bool any = false;
		for (const struct l2tp_session *s = t->sessions; s; s = s->next) {
			if (s->state == S_DEAD)
				continue;
			any = true;
			si.sid = s->sid;
			si.peer_sid = s->peer_sid;
			si.ppp_up = s->up_reported;
			si.ip = s->ip;
			si.prefix6 = s->pfx6;
			memcpy(si.account, s->account, sizeof si.account);
			si.since_ms = s->created;
			if (fn(ctx, &si))
				return;
		}
		if (!any && fn(ctx, &si))
			return;
	}
}
