/* RFC 2661 §5.8 reliable delivery of control messages: Ns/Nr, the peer's receive window, ZLB
 * acknowledgements, retransmission with exponential back-off and a bound, duplicates, and an
 * out-of-order queue the size of the window we advertise. */
#include "l2tp_local.h"

#include <stdlib.h>
#include <string.h>

void rel_init(struct l2tp_tunnel *t)
{
	t->txq = NULL;
	t->txq_tail = &t->txq;
	t->peer_rws = 4;                 /* §5.8: 4 when the peer sends no Receive Window Size AVP */
	t->rws = t->l->conf.recv_window; /* fixed for the tunnel's life: a reload may change the conf */
	/* the out-of-order queue comes with the first message that needs it: most tunnels never
	 * see one, and rws slots up front cost every client (issue 17, memory per client) */
	t->ooo = NULL;
}

void rel_free(struct l2tp_tunnel *t)
{
	struct l2tp_txmsg *m, *n;
	for (m = t->txq; m; m = n) {
		n = m->next;
		free(m);
	}
	t->txq = NULL;
	t->txq_tail = &t->txq;
	t->in_flight = 0;
	if (t->ooo) {
		for (unsigned i = 0; i < t->rws; i++)
			free(t->ooo[i].data);
		free(t->ooo);
		t->ooo = NULL;
	}
}

static void xmit(struct l2tp_tunnel *t, struct l2tp_txmsg *m)
{
	/* Nr is always the latest: a retransmission also acknowledges what arrived since */
	rp_put_u16(m->data + 10, t->nr);
	l2tp_emit_send(t->l, &t->link, t->tid, 0, m->data, m->len);
	t->ack_needed = false;
	t->l->st.tx_ctl++;
}

static void pump(struct l2tp_tunnel *t)
{
	for (struct l2tp_txmsg *m = t->txq; m; m = m->next) {
		if (m->sent)
			continue;
		if (t->in_flight >= t->peer_rws)
			break; /* honour the peer's window */
		xmit(t, m);
		m->sent = true;
		m->sent_at = t->l->now;
		t->in_flight++;
		if (!t->rexmit_at) {
			t->rexmit_tries = 0;
			t->rexmit_at = t->l->now + 1000;
		}
	}
}

int rel_send(struct l2tp_tunnel *t, const uint8_t *msg, size_t len, bool is_hello)
{
	struct l2tp_txmsg *m = malloc(sizeof *m + len);
	if (!m)
		return -1;
	memset(m, 0, sizeof *m);
	memcpy(m->data, msg, len);
	m->len = len;
	m->ns = t->ns++;
	m->is_hello = is_hello;
	rp_put_u16(m->data + 8, m->ns);
	*t->txq_tail = m;
	t->txq_tail = &m->next;
	pump(t);
	return 0;
}

void rel_send_zlb(struct l2tp_tunnel *t)
{
	uint8_t b[L2TP_CTL_HDR_LEN];
	struct rp_wr w;
	rp_wr_init(&w, b, sizeof b);
	/* a ZLB carries the next Ns without consuming it (§5.8) */
	l2tp_ctl_begin(&w, t->peer_tid, 0, t->ns, t->nr);
	l2tp_ctl_end(&w);
	l2tp_emit_send(t->l, &t->link, t->tid, 0, b, w.len);
	t->ack_needed = false;
	t->l->st.tx_ctl++;
}

static void ack(struct l2tp_tunnel *t, uint16_t nr)
{
	/* Nr beyond what we have sent is bogus: ignore it rather than free unsent messages */
	if (seq_lt(t->ns, nr))
		return;
	bool any = false;
	while (t->txq && t->txq->sent && seq_lt(t->txq->ns, nr)) {
		struct l2tp_txmsg *m = t->txq;
		t->txq = m->next;
		if (!t->txq)
			t->txq_tail = &t->txq;
		free(m);
		t->in_flight--;
		any = true;
	}
	if (any) {
		t->rexmit_tries = 0;
		t->rexmit_at = t->in_flight ? t->l->now + 1000 : 0;
		pump(t);
	}
}

int rel_rx(struct l2tp_tunnel *t, const struct l2tp_hdr *h, const uint8_t *p, size_t n)
{
	ack(t, h->nr);
	if (h->len == h->payload_off)
		return 0; /* ZLB: acknowledgement only */
	if (h->ns == t->nr)
		return 1;
	if (seq_lt(h->ns, t->nr)) {
		/* a duplicate: our acknowledgement was lost; acknowledge again (§5.8) */
		t->ack_needed = true;
		t->l->st.dups++;
		return 0;
	}
	uint16_t ahead = (uint16_t)(h->ns - t->nr);
	unsigned rws = t->rws;
	if (ahead < rws && !t->ooo)
		t->ooo = calloc(rws, sizeof *t->ooo); /* NULL: dropped, the peer retransmits it */
	if (ahead < rws && t->ooo) {
		struct l2tp_ooo *o = &t->ooo[h->ns % rws];
		if (!o->used) {
			o->data = malloc(n);
			if (o->data) {
				memcpy(o->data, p, n);
				o->len = n;
				o->ns = h->ns;
				o->used = true;
			}
		}
		return 0;
	}
	l2tp_drop(t->l, &t->link, "control message outside the receive window");
	return 0;
}

void rel_accepted(struct l2tp_tunnel *t)
{
	t->nr++;
	t->ack_needed = true;
}

int rel_next_queued(struct l2tp_tunnel *t, uint8_t **p, size_t *n)
{
	if (!t->ooo)
		return 0;
	struct l2tp_ooo *o = &t->ooo[t->nr % t->rws];
	if (!o->used || o->ns != t->nr)
		return 0;
	*p = o->data;
	*n = o->len;
	o->used = false;
	o->data = NULL;
	return 1;
}

/* Returns via t->state: exhausting the retransmissions kills the tunnel (tunnel_tick checks). */
void rel_tick(struct l2tp_tunnel *t)
{
	struct l2tp *l = t->l;
	if (!t->rexmit_at || l->now < t->rexmit_at)
		return;
	if (t->rexmit_tries >= l->conf.rexmit_max) {
		/* Android 9/10 never acknowledge HELLO (docs/clients.md, Android): when only HELLOs are
		 * outstanding and the peer's PPP keeps talking, take that as liveness and forget
		 * the HELLO instead of killing a working tunnel. */
		bool only_hello = true;
		for (struct l2tp_txmsg *m = t->txq; m && m->sent; m = m->next)
			if (!m->is_hello)
				only_hello = false;
		if (only_hello && t->txq && t->last_rx > t->txq->sent_at) {
			while (t->txq && t->txq->sent) {
				struct l2tp_txmsg *m = t->txq;
				t->txq = m->next;
				free(m);
				t->in_flight--;
			}
			if (!t->txq)
				t->txq_tail = &t->txq;
			t->rexmit_at = 0;
			pump(t);
			return;
		}
		t->rexmit_at = 0;
		tunnel_dead(t, L2TP_DOWN_TIMEOUT, "control message retransmissions exhausted");
		return;
	}
	for (struct l2tp_txmsg *m = t->txq; m && m->sent; m = m->next) {
		xmit(t, m);
		l->st.rexmits++;
	}
	t->rexmit_tries++;
	/* §5.8: exponential back-off, capped (at least 8 s by the RFC's recommendation) */
	uint64_t d = 1000ull << (t->rexmit_tries < 16 ? t->rexmit_tries : 16);
	uint64_t cap = l->conf.rexmit_cap_s * 1000ull;
	t->rexmit_at = l->now + (d < cap ? d : cap);
}

uint64_t rel_deadline(const struct l2tp_tunnel *t)
{
	return t->rexmit_at ? t->rexmit_at : UINT64_MAX;
}

bool rel_idle(const struct l2tp_tunnel *t)
{
	return t->txq == NULL;
}
