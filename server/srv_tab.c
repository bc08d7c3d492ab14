/* The server's records of SA pairs and PPP sessions, by hash (srv_tab.h). Every hash doubles when
 * its entries reach its buckets; a failed allocation only makes chains longer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "srv_tab.h"

#define MIN_BUCKETS 64

static bool link_eq(const struct l2tp_link *a, const struct l2tp_link *b)
{
	return a->sa == b->sa && rp_addr_eq(&a->peer, &b->peer);
}

static size_t mix(uint64_t h, size_t nb)
{
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return (size_t)h & (nb - 1);
}

static size_t spi_b(const struct srv_tab *t, uint32_t spi)
{
	return mix(spi, t->cnb);
}

static size_t cky_b(const struct srv_tab *t, const uint8_t icky[8])
{
	uint64_t h;
	memcpy(&h, icky, 8); /* initiator cookies are random (RFC 2408 §2.5.3) */
	return mix(h, t->cnb);
}

static size_t id_b(const struct srv_tab *t, const struct l2tp_link *link, uint16_t tid, uint16_t sid)
{
	uint64_t h = link->sa;
	if (!h) /* plain L2TP: the peer's address and port */
		for (size_t i = 0; i < 16; i++)
			h = (h ^ link->peer.ip[i]) * 1099511628211ull;
	return mix((h ^ link->peer.port) * 0x9e3779b97f4a7c15ull + ((uint64_t)tid << 16 | sid), t->snb);
}

int srv_tab_init(struct srv_tab *t)
{
	memset(t, 0, sizeof *t);
	t->cnb = t->snb = MIN_BUCKETS;
	t->by_spi = calloc(t->cnb, sizeof *t->by_spi);
	t->by_cky = calloc(t->cnb, sizeof *t->by_cky);
	t->by_id = calloc(t->snb, sizeof *t->by_id);
	if (!t->by_spi || !t->by_cky || !t->by_id) {
		srv_tab_free(t);
		return -ENOMEM;
	}
	return 0;
}

void srv_tab_free(struct srv_tab *t)
{
	for (struct srv_child *c = t->children, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	for (struct srv_sess *s = t->sessions, *n; s; s = n) {
		n = s->next;
		free(s->net);
		free(s);
	}
	free(t->by_spi);
	free(t->by_cky);
	free(t->by_id);
	memset(t, 0, sizeof *t);
}

static void child_grow(struct srv_tab *t)
{
	size_t nb = t->cnb * 2;
	struct srv_child **a = calloc(nb, sizeof *a), **b = calloc(nb, sizeof *b);
	if (!a || !b) {
		free(a);
		free(b);
		return;
	}
	free(t->by_spi);
	free(t->by_cky);
	t->by_spi = a;
	t->by_cky = b;
	t->cnb = nb;
	for (struct srv_child *c = t->children; c; c = c->next) {
		size_t i = spi_b(t, c->spi_in), j = cky_b(t, c->icky);
		c->hnext = a[i];
		a[i] = c;
		c->cnext = b[j];
		b[j] = c;
	}
}

struct srv_child *srv_tab_child_new(struct srv_tab *t, uint32_t spi_in, const uint8_t icky[8],
                                    const uint8_t rcky[8])
{
	struct srv_child *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	if (t->nchild >= t->cnb)
		child_grow(t);
	c->spi_in = spi_in;
	memcpy(c->icky, icky, 8);
	memcpy(c->rcky, rcky, 8);
	size_t i = spi_b(t, spi_in), j = cky_b(t, icky);
	c->hnext = t->by_spi[i];
	t->by_spi[i] = c;
	c->cnext = t->by_cky[j];
	t->by_cky[j] = c;
	c->prev = t->child_tail;
	if (t->child_tail)
		t->child_tail->next = c;
	else
		t->children = c;
	t->child_tail = c;
	t->nchild++;
	return c;
}

static void list_out(struct srv_sess **head, struct srv_sess *s)
{
	if (s->lprev)
		s->lprev->lnext = s->lnext;
	else
		*head = s->lnext;
	if (s->lnext)
		s->lnext->lprev = s->lprev;
	s->lnext = s->lprev = NULL;
	s->listed = false;
}

/* Appended, so that a pair's first session is its oldest (what `show sas` prints). */
static void list_in(struct srv_sess **head, struct srv_sess *s)
{
	struct srv_sess *last = *head;
	while (last && last->lnext) /* a pair has one session; a plain list is for debugging */
		last = last->lnext;
	s->lprev = last;
	s->lnext = NULL;
	if (last)
		last->lnext = s;
	else
		*head = s;
	s->listed = true;
}

void srv_tab_child_del(struct srv_tab *t, struct srv_child *c)
{
	for (struct srv_child **pp = &t->by_spi[spi_b(t, c->spi_in)]; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	for (struct srv_child **pp = &t->by_cky[cky_b(t, c->icky)]; *pp; pp = &(*pp)->cnext)
		if (*pp == c) {
			*pp = c->cnext;
			break;
		}
	while (c->sess) { /* they end by their own SESSION_DOWN (the L2TP link is gone) */
		struct srv_sess *s = c->sess;
		list_out(&c->sess, s);
		s->child = NULL;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		t->children = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		t->child_tail = c->prev;
	t->nchild--;
	free(c);
}

struct srv_child *srv_tab_child_by_in(const struct srv_tab *t, uint32_t spi_in)
{
	for (struct srv_child *c = t->by_spi[spi_b(t, spi_in)]; c; c = c->hnext)
		if (c->spi_in == spi_in)
			return c;
	return NULL;
}

bool srv_tab_ike_shared(const struct srv_tab *t, const uint8_t icky[8], const uint8_t rcky[8],
                        uint32_t spi_in)
{
	for (struct srv_child *c = t->by_cky[cky_b(t, icky)]; c; c = c->cnext)
		if (c->spi_in != spi_in && !memcmp(c->icky, icky, 8) && !memcmp(c->rcky, rcky, 8))
			return true;
	return false;
}

static void sess_grow(struct srv_tab *t)
{
	size_t nb = t->snb * 2;
	struct srv_sess **a = calloc(nb, sizeof *a);
	if (!a)
		return;
	free(t->by_id);
	t->by_id = a;
	t->snb = nb;
	for (struct srv_sess *s = t->sessions; s; s = s->next) {
		size_t i = id_b(t, &s->link, s->tid, s->sid);
		s->hnext = a[i];
		a[i] = s;
	}
}

struct srv_sess *srv_tab_sess_new(struct srv_tab *t, const struct l2tp_link *link, uint16_t tid, uint16_t sid)
{
	struct srv_sess *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	if (t->nsess >= t->snb)
		sess_grow(t);
	s->link = *link;
	s->link_sa = link->sa;
	s->tid = tid;
	s->sid = sid;
	size_t i = id_b(t, link, tid, sid);
	s->hnext = t->by_id[i];
	t->by_id[i] = s;
	s->prev = t->sess_tail;
	if (t->sess_tail)
		t->sess_tail->next = s;
	else
		t->sessions = s;
	t->sess_tail = s;
	t->nsess++;
	if (!link->sa) {
		list_in(&t->plain, s);
	} else if ((s->child = srv_tab_child_by_in(t, (uint32_t)(link->sa >> 32))) != NULL) {
		list_in(&s->child->sess, s);
		s->child->nsess++;
	}
	return s;
}

void srv_tab_sess_del(struct srv_tab *t, struct srv_sess *s)
{
	for (struct srv_sess **pp = &t->by_id[id_b(t, &s->link, s->tid, s->sid)]; *pp; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			break;
		}
	if (s->child) {
		list_out(&s->child->sess, s);
		s->child->nsess--;
	} else if (s->listed) {
		list_out(&t->plain, s);
	}
	if (s->prev)
		s->prev->next = s->next;
	else
		t->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		t->sess_tail = s->prev;
	t->nsess--;
	free(s->net);
	free(s);
}

struct srv_sess *srv_tab_sess_find(const struct srv_tab *t, const struct l2tp_link *link, uint16_t tid,
                                   uint16_t sid)
{
	for (struct srv_sess *s = t->by_id[id_b(t, link, tid, sid)]; s; s = s->hnext)
		if (s->tid == tid && s->sid == sid && link_eq(&s->link, link))
			return s;
	return NULL;
}

struct srv_sess *srv_tab_sess_by_ip(const struct srv_tab *t, const struct l2tp_link *link, uint32_t ip)
{
	const struct srv_child *c = link->sa ? srv_tab_child_by_in(t, (uint32_t)(link->sa >> 32)) : NULL;
	struct srv_sess *head = c ? c->sess : link->sa ? NULL : t->plain;
	for (struct srv_sess *s = head; s; s = s->lnext)
		if (s->ip == ip && link_eq(&s->link, link))
			return s;
	return NULL;
}

bool srv_tab_tunnel_shared(const struct srv_tab *t, const struct l2tp_link *link, uint16_t tid, uint16_t sid)
{
	const struct srv_child *c = link->sa ? srv_tab_child_by_in(t, (uint32_t)(link->sa >> 32)) : NULL;
	const struct srv_sess *head = c ? c->sess : link->sa ? NULL : t->plain;
	for (const struct srv_sess *s = head; s; s = s->lnext)
		if (s->tid == tid && s->sid != sid && link_eq(&s->link, link))
			return true;
	return false;
}
