/* RFC 2661 §7 control connection, LNS side: SCCRQ -> SCCRP -> SCCCN, StopCCN both ways, HELLO,
 * optional tunnel authentication (§4.2 Challenge / Challenge Response with the shared secret). */
#include "l2tp_local.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOP_HOLD_MS 31000 /* §5.7: keep the state one full retransmission cycle after StopCCN */
#define CONN_SETUP_MS 60000

/* The link hash covers the link only, so one chain holds every tunnel of a link: that is what
 * lets tunnel_new() count them cheaply to enforce max_tunnels_per_link. An IPsec link is its SA
 * pair (unique); a plain-L2TP link is the peer's address and port. */
static uint64_t link_key(const struct l2tp_link *k)
{
	if (k->sa)
		return k->sa;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < 16; i++)
		h = (h ^ k->peer.ip[i]) * 1099511628211ull;
	return (h ^ k->peer.port) * 1099511628211ull;
}

static size_t mix(uint64_t h, size_t nb)
{
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return (size_t)h & (nb - 1);
}

static size_t link_bucket(const struct l2tp *l, const struct l2tp_link *k)
{
	return mix(link_key(k), l->nb);
}

static size_t tid_bucket(const struct l2tp *l, const struct l2tp_link *k, uint16_t tid)
{
	return mix(link_key(k) * 0x9e3779b97f4a7c15ull + tid, l->nb);
}

int tunnel_tables_init(struct l2tp *l)
{
	l->nb = L2TP_HASH_MIN;
	l->tid_hash = calloc(l->nb, sizeof *l->tid_hash);
	l->link_hash = calloc(l->nb, sizeof *l->link_hash);
	return l->tid_hash && l->link_hash ? 0 : -1;
}

void tunnel_tables_free(struct l2tp *l)
{
	free(l->tid_hash);
	free(l->link_hash);
}

/* Both hashes double together; a failed allocation only makes chains longer. */
static void tables_grow(struct l2tp *l)
{
	size_t nb = l->nb * 2;
	struct l2tp_tunnel **th = calloc(nb, sizeof *th), **lh = calloc(nb, sizeof *lh);
	if (!th || !lh) {
		free(th);
		free(lh);
		return;
	}
	free(l->tid_hash);
	free(l->link_hash);
	l->tid_hash = th;
	l->link_hash = lh;
	l->nb = nb;
	for (struct l2tp_tunnel *t = l->tunnels; t; t = t->next) {
		size_t b = tid_bucket(l, &t->link, t->tid);
		t->tid_next = th[b];
		th[b] = t;
		b = link_bucket(l, &t->link);
		t->hash_next = lh[b];
		lh[b] = t;
	}
}

struct l2tp_tunnel *tunnel_find_peer(struct l2tp *l, const struct l2tp_link *link, uint16_t ptid)
{
	for (struct l2tp_tunnel *t = l->link_hash[link_bucket(l, link)]; t; t = t->hash_next)
		if (t->peer_tid == ptid && t->state != T_DEAD && l2tp_link_eq(&t->link, link))
			return t;
	return NULL;
}

struct l2tp_tunnel *tunnel_find(const struct l2tp *l, const struct l2tp_link *link, uint16_t tid)
{
	for (struct l2tp_tunnel *t = l->tid_hash[tid_bucket(l, link, tid)]; t; t = t->tid_next)
		if (t->tid == tid && l2tp_link_eq(&t->link, link))
			return t;
	return NULL;
}

/* Every tunnel over an IPsec SA pair: one chain of the link hash (link_key is the SA). */
void tunnel_link_gone(struct l2tp *l, uint64_t sa)
{
	struct l2tp_link k = {.sa = sa};
	for (struct l2tp_tunnel *t = l->link_hash[link_bucket(l, &k)]; t; t = t->hash_next)
		if (t->link.sa == sa)
			tunnel_dead(t, L2TP_DOWN_PEER, "IPsec SA deleted");
}

void tunnel_reap_mark(struct l2tp_tunnel *t)
{
	if (t->reap_queued)
		return;
	t->reap_queued = true;
	t->reap_next = t->l->reap;
	t->l->reap = t;
}

struct l2tp_tunnel *tunnel_new(struct l2tp *l, const struct l2tp_link *link, uint16_t peer_tid)
{
	uint16_t tid = 0;
	if (l->st.tunnels >= l->conf.max_tunnels) {
		l->st.drops++;
		l->st.refused[L2TP_LIM_TUNNELS]++;
		l2tp_runout(l, link, "L2TP tunnels", "l2tp.max_tunnels");
		return NULL;
	}
	/* one IPsec SA (or one plain-L2TP address) cannot take the whole tunnel table */
	unsigned same = 0;
	for (struct l2tp_tunnel *o = l->link_hash[link_bucket(l, link)]; o; o = o->hash_next)
		if (o->state != T_DEAD && l2tp_link_eq(&o->link, link))
			same++;
	if (same >= l->conf.max_tunnels_per_link) {
		l->st.refused[L2TP_LIM_TUNNELS_PER_SA]++;
		l2tp_drop(l, link, "tunnel limit of this link reached");
		return NULL;
	}
	/* random, non-zero, unique on this link (§3.1 IDs are ours to pick; random makes them
	 * unguessable); a link holds at most max_tunnels_per_link, so this cannot run out */
	for (int i = 0; i < 64 && !tid; i++) {
		uint16_t c = (uint16_t)rp_rng_u32(l->rng);
		if (c && !tunnel_find(l, link, c))
			tid = c;
	}
	if (!tid) {
		l2tp_drop(l, link, "no free tunnel ID on this link");
		return NULL;
	}
	struct l2tp_tunnel *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->l = l;
	t->tid = tid;
	t->peer_tid = peer_tid;
	t->link = *link;
	/* one SA whatever its inner ports (issue 12): refused with one line per interval */
	if (limits_peer_tunnel_add(t)) {
		l->st.drops++;
		free(t);
		return NULL;
	}
	t->state = T_IDLE;
	t->last_rx = t->idle_since = t->created = l->now;
	rel_init(t);
	t->heap_idx = SIZE_MAX;
	if (l2tp_heap_add(l, t)) {
		limits_peer_tunnel_del(t);
		rel_free(t);
		free(t);
		return NULL;
	}
	if (l->st.tunnels >= l->nb)
		tables_grow(l);
	t->next = l->tunnels;
	if (t->next)
		t->next->prev = t;
	l->tunnels = t;
	size_t h = link_bucket(l, link);
	t->hash_next = l->link_hash[h];
	l->link_hash[h] = t;
	h = tid_bucket(l, link, tid);
	t->tid_next = l->tid_hash[h];
	l->tid_hash[h] = t;
	l->st.tunnels++;
	return t;
}

void tunnel_free(struct l2tp_tunnel *t)
{
	struct l2tp *l = t->l;
	while (t->sessions) {
		struct l2tp_session *s = t->sessions;
		t->sessions = s->next;
		session_free(s);
	}
	limits_peer_tunnel_del(t);
	rel_free(t);
	l2tp_heap_del(l, t);
	if (t->prev)
		t->prev->next = t->next;
	else
		l->tunnels = t->next;
	if (t->next)
		t->next->prev = t->prev;
	/* the chains hold this link's tunnels and few others: short */
	for (struct l2tp_tunnel **pp = &l->link_hash[link_bucket(l, &t->link)]; *pp; pp = &(*pp)->hash_next)
		if (*pp == t) {
			*pp = t->hash_next;
			break;
		}
	for (struct l2tp_tunnel **pp = &l->tid_hash[tid_bucket(l, &t->link, t->tid)]; *pp;
	     pp = &(*pp)->tid_next)
		if (*pp == t) {
			*pp = t->tid_next;
			break;
		}
	l->st.tunnels--;
	free(t);
}

static void tunnel_down_event(struct l2tp_tunnel *t, int reason, const char *text)
{
	if (t->down_reported)
		return;
	t->down_reported = true;
	struct l2tp_session s0;
	memset(&s0, 0, sizeof s0);
	s0.t = t;
	l2tp_emit_session(t->l, L2TP_EV_TUNNEL_DOWN, &s0, reason, text);
	rp_logf(t->l->log, RP_LOG_INFO, "l2tp", "tunnel %u (peer %u, host \"%s\") down: %s", t->tid,
	        t->peer_tid, t->host, text);
}

static void kill_sessions(struct l2tp_tunnel *t, int reason, const char *text)
{
	for (struct l2tp_session *s = t->sessions; s; s = s->next)
		session_kill(s, reason, text, false);
}

void tunnel_dead(struct l2tp_tunnel *t, int reason, const char *text)
{
	if (t->state == T_DEAD)
		return;
	kill_sessions(t, reason, text);
	tunnel_down_event(t, reason, text);
	t->state = T_DEAD;
	limits_peer_tunnel_del(t);
	tunnel_reap_mark(t);
}

void tunnel_stop(struct l2tp_tunnel *t, uint16_t result, uint16_t error, const char *msg)
{
	uint8_t b[256];
	struct rp_wr w;
	if (t->state == T_CLOSING || t->state == T_DEAD)
		return;
	/* §6.6 StopCCN clears every session of the tunnel without CDNs */
	kill_sessions(t, result == L2TP_STOP_CLEAR ? L2TP_DOWN_ADMIN : L2TP_DOWN_PROTOCOL, msg);
	tunnel_down_event(t, result == L2TP_STOP_CLEAR ? L2TP_DOWN_ADMIN : L2TP_DOWN_PROTOCOL, msg);
	if (!t->peer_tid) {
		/* we never learned where to send it */
		t->state = T_DEAD;
		limits_peer_tunnel_del(t);
		tunnel_reap_mark(t);
		return;
	}
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, t->peer_tid, 0, 0, 0);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_STOPCCN);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, t->tid);
	l2tp_avp_result(&w, result, error, msg);
	l2tp_ctl_end(&w);
	if (rp_wr_ok(&w))
		rel_send(t, b, w.len, false);
	t->state = T_CLOSING;
	t->close_at = t->l->now + STOP_HOLD_MS;
}

static void send_sccrp(struct l2tp_tunnel *t, const struct l2tp_msg *m)
{
	struct l2tp *l = t->l;
	uint8_t b[512];
	struct rp_wr w;
	const char *host = l->conf.host_name ? l->conf.host_name : "rampart";
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, t->peer_tid, 0, 0, 0);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCRP);
	l2tp_avp_u16(&w, L2TP_AVP_PROTO_VER, true, 0x0100);
	l2tp_avp_u32(&w, L2TP_AVP_FRAMING_CAP, true, 3); /* sync and async */
	l2tp_avp_u32(&w, L2TP_AVP_BEARER_CAP, true, 0);
	l2tp_avp_u16(&w, L2TP_AVP_FIRMWARE, false, 0x0100);
	l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, host, strlen(host));
	l2tp_avp_put(&w, L2TP_AVP_VENDOR_NAME, false, "rampart", 7);
	if (l->conf.hide_avps && l->conf.secret) {
		/* §4.3: a fresh Random Vector before the hidden AVPs it applies to */
		uint8_t rv[16], id[2];
		rp_rng_fill(l->rng, rv, sizeof rv);
		rp_put_u16(id, t->tid);
		l2tp_avp_put(&w, L2TP_AVP_RANDOM_VECTOR, true, rv, sizeof rv);
		l2tp_avp_put_hidden(&w, L2TP_AVP_ASSIGNED_TID, true, id, 2, l->conf.secret,
		                    l->conf.secret_len, rv);
	} else
		l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, t->tid);
	l2tp_avp_u16(&w, L2TP_AVP_RECV_WINDOW, true, t->rws);
	if (l->conf.secret) {
		/* we challenge the LAC too, so a peer without the secret cannot finish (§4.2) */
		rp_rng_fill(l->rng, t->chal, sizeof t->chal);
		t->chal_sent = true;
		l2tp_avp_put(&w, L2TP_AVP_CHALLENGE, true, t->chal, sizeof t->chal);
		if (m->challenge.len) {
			uint8_t d[16];
			l2tp_chal_digest(d, L2TP_SCCRP, l->conf.secret, l->conf.secret_len, m->challenge.p,
			                 m->challenge.len);
			l2tp_avp_put(&w, L2TP_AVP_CHALLENGE_RESP, true, d, 16);
		}
	}
	l2tp_ctl_end(&w);
	if (rp_wr_ok(&w))
		rel_send(t, b, w.len, false);
}

static void on_sccrq(struct l2tp_tunnel *t, const struct l2tp_msg *m)
{
	struct l2tp *l = t->l;
	char missing[48];
	int miss = l2tp_msg_missing(m);
	/* the peer's Host Name is kept escaped (rp_esc): it goes into log lines and "show sas" */
	if (m->host_name.p)
		rp_esc(m->host_name.p, m->host_name.len, t->host, sizeof t->host);
	if (m->recv_window)
		t->peer_rws = m->recv_window > 256 ? 256 : m->recv_window;
	if (miss >= 0) {
		snprintf(missing, sizeof missing, "missing mandatory AVP %d", miss);
		tunnel_stop(t, L2TP_STOP_GENERAL, L2TP_ERR_LENGTH, missing);
	} else if (m->unknown_m) {
		tunnel_stop(t, L2TP_STOP_GENERAL, L2TP_ERR_UNKNOWN_M, "unknown mandatory AVP");
	} else if ((m->proto_ver >> 8) != 1) {
		tunnel_stop(t, L2TP_STOP_BAD_VERSION, 0x0100, "only L2TP version 1.0 (RFC 2661)");
	} else if ((l->conf.require_tunnel_auth || m->challenge.len) && !l->conf.secret) {
		tunnel_stop(t, L2TP_STOP_NOT_AUTH, 0, "tunnel authentication not configured");
	} else if (l->conf.require_tunnel_auth && !m->challenge.len) {
		tunnel_stop(t, L2TP_STOP_NOT_AUTH, 0, "tunnel authentication required");
	} else {
		send_sccrp(t, m);
		t->state = T_WAIT_CTL_CONN;
		rp_logf(l->log, RP_LOG_DETAIL, "l2tp",
		        "SCCRQ from \"%s\" (peer tunnel %u, window %u): tunnel %u", t->host, t->peer_tid,
		        t->peer_rws, t->tid);
	}
}

static void on_scccn(struct l2tp_tunnel *t, const struct l2tp_msg *m)
{
	struct l2tp *l = t->l;
	if (t->chal_sent) {
		uint8_t d[16];
		l2tp_chal_digest(d, L2TP_SCCCN, l->conf.secret, l->conf.secret_len, t->chal, 16);
		if (m->challenge_resp.len != 16 || !rp_ct_memeq(d, m->challenge_resp.p, 16)) {
			tunnel_stop(t, L2TP_STOP_NOT_AUTH, 0, "tunnel authentication failed");
			return;
		}
	}
	t->state = T_ESTABLISHED;
	t->idle_since = l->now;
	rp_logf(l->log, RP_LOG_INFO, "l2tp", "tunnel %u established with \"%s\"", t->tid, t->host);
}

void tunnel_ctl(struct l2tp_tunnel *t, const struct l2tp_hdr *h, struct l2tp_msg *m)
{
	switch (m->type) {
	case L2TP_SCCRQ:
		if (t->state == T_IDLE)
			on_sccrq(t, m);
		return;
	case L2TP_SCCCN:
		if (t->state == T_WAIT_CTL_CONN)
			on_scccn(t, m);
		return;
	case L2TP_STOPCCN:
		if (t->state == T_CLOSING || t->state == T_DEAD)
			return;
		kill_sessions(t, L2TP_DOWN_PEER, "StopCCN from peer");
		tunnel_down_event(t, L2TP_DOWN_PEER, "StopCCN from peer");
		/* acknowledge (the ZLB follows) and hold the state for retransmissions (§5.7) */
		t->state = T_CLOSING;
		t->close_at = t->l->now + STOP_HOLD_MS;
		return;
	case L2TP_HELLO:
		return; /* the acknowledgement is all a HELLO needs */
	case L2TP_ICRQ:
	case L2TP_ICCN:
	case L2TP_CDN:
		if (t->state == T_ESTABLISHED)
			session_ctl(t, h, m);
		return;
	case L2TP_WEN:
	case L2TP_SLI:
		return; /* tolerated: a PPP-over-sync LNS has nothing to do with them */
	case L2TP_SCCRP:
	case L2TP_OCRQ:
	case L2TP_OCRP:
	case L2TP_OCCN:
	case L2TP_ICRP:
		return; /* not for an LNS; acknowledged and ignored */
	default:
		/* §4.4.1: an unknown Message Type with the M bit clears the tunnel */
		if (m->type_m)
			tunnel_stop(t, L2TP_STOP_GENERAL, L2TP_ERR_UNKNOWN_M,
			            "unknown mandatory message type");
		return;
	}
}

void tunnel_tick(struct l2tp_tunnel *t)
{
	struct l2tp *l = t->l;
	if (t->state == T_DEAD)
		return;
	rel_tick(t);
	if (t->state == T_DEAD)
		return;
	if (t->state == T_CLOSING) {
		if (l->now >= t->close_at) {
			t->state = T_DEAD;
			tunnel_reap_mark(t);
		}
		return;
	}
	for (struct l2tp_session *s = t->sessions; s; s = s->next)
		session_tick(s);
	if (t->state != T_ESTABLISHED) {
		if (l->now >= t->idle_since + CONN_SETUP_MS)
			tunnel_dead(t, L2TP_DOWN_TIMEOUT, "control connection setup timed out");
		return;
	}
	if (!t->nsessions && l->conf.idle_setup_s &&
	    l->now >= t->idle_since + l->conf.idle_setup_s * 1000ull) {
		tunnel_stop(t, L2TP_STOP_CLEAR, 0, "no session");
		return;
	}
	/* §6.5 HELLO after a period of silence; data traffic counts as activity */
	uint64_t hello = l->conf.hello_s * 1000ull;
	if (hello && l->now >= t->last_rx + hello && l->now >= t->hello_at) {
		uint8_t b[32];
		struct rp_wr w;
		rp_wr_init(&w, b, sizeof b);
		l2tp_ctl_begin(&w, t->peer_tid, 0, 0, 0);
		l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_HELLO);
		l2tp_ctl_end(&w);
		rel_send(t, b, w.len, true);
		t->hello_at = l->now + hello;
	}
}

static uint64_t umin(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t tunnel_deadline(const struct l2tp_tunnel *t)
{
	const struct l2tp *l = t->l;
	uint64_t d = rel_deadline(t);
	if (t->state == T_DEAD)
		return l->now;
	if (t->state == T_CLOSING)
		return umin(d, t->close_at);
	for (const struct l2tp_session *s = t->sessions; s; s = s->next)
		d = umin(d, session_deadline(s));
	if (t->state != T_ESTABLISHED)
		return umin(d, t->idle_since + CONN_SETUP_MS);
	if (!t->nsessions && l->conf.idle_setup_s)
		d = umin(d, t->idle_since + l->conf.idle_setup_s * 1000ull);
	if (l->conf.hello_s) {
		uint64_t h = t->last_rx + l->conf.hello_s * 1000ull;
		d = umin(d, h > t->hello_at ? h : t->hello_at);
	}
	return d;
}
