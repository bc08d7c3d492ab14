/* IKE timers without walking every SA (issue 17): IKE SAs and IPsec SAs (children) sit in binary
 * min-heaps keyed by their next deadline (l2tp/lns.c's heap is the model); an SA whose timers may
 * have moved (a packet handled for it, a reload) is touched onto a dirty list and re-keyed before
 * the heap is next read, so ike_tick and ike_next_deadline cost O(1) when nothing is due and
 * O(log n) per SA that is. Children are also found by inbound SPI through a hash that grows. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ike_local.h"

static uint64_t sa_deadline(const struct ike *ike, const struct ike_sa *sa)
{
	uint64_t d = sa->expire_ms;
	if (sa->frag && sa->frag->expire_ms < d)
		d = sa->frag->expire_ms;
	for (const struct ike_qm *q = sa->qms; q; q = q->next)
		if (q->expire_ms < d)
			d = q->expire_ms;
	if (sa->state == IKE_ST_EST && sa->vids.dpd) {
		if (sa->dpd_next_ms < d)
			d = sa->dpd_next_ms;
		uint64_t dead = sa->last_rx_ms + (uint64_t)ike->conf.dpd_timeout_s * 1000;
		if (sa->dpd_pending && dead < d)
			d = dead;
	}
	return d;
}

/* ---- timer heaps ---- */

static void heap_set(struct ike_heap *h, size_t i, struct ike_tm *t)
{
	h->v[i] = t;
	t->hidx = i;
}

static void heap_up(struct ike_heap *h, size_t i)
{
	struct ike_tm *t = h->v[i];
	while (i) {
		size_t p = (i - 1) / 2;
		if (h->v[p]->due <= t->due)
			break;
		heap_set(h, i, h->v[p]);
		i = p;
	}
	heap_set(h, i, t);
}

static void heap_down(struct ike_heap *h, size_t i)
{
	struct ike_tm *t = h->v[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1]->due < h->v[c]->due)
			c++;
		if (t->due <= h->v[c]->due)
			break;
		heap_set(h, i, h->v[c]);
		i = c;
	}
	heap_set(h, i, t);
}

static int heap_add(struct ike_heap *h, struct ike_tm *t)
{
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 64;
		struct ike_tm **nv = realloc(h->v, nc * sizeof *nv);
		if (!nv)
			return -1;
		h->v = nv;
		h->cap = nc;
	}
	heap_set(h, h->n++, t);
	heap_up(h, t->hidx);
	return 0;
}

static void heap_del(struct ike_heap *h, struct ike_tm *t)
{
	size_t i = t->hidx;
	if (i == SIZE_MAX)
		return;
	t->hidx = SIZE_MAX;
	struct ike_tm *last = h->v[--h->n];
	if (i == h->n)
		return;
	heap_set(h, i, last);
	heap_up(h, i);
	heap_down(h, last->hidx);
}

static void heap_fix(struct ike_heap *h, struct ike_tm *t, uint64_t due)
{
	t->due = due;
	if (t->hidx == SIZE_MAX) {
		heap_add(h, t); /* an SA that could not be put in before: retried here */
		return;
	}
	heap_up(h, t->hidx);
	heap_down(h, t->hidx);
}

#define SA_OF(t) ((struct ike_sa *)((char *)(t)-offsetof(struct ike_sa, tm)))
#define CHILD_OF(t) ((struct ike_child *)((char *)(t)-offsetof(struct ike_child, tm)))

void ike_sa_touch(struct ike *ike, struct ike_sa *sa)
{
	if (sa->dirty)
		return;
	sa->dirty = true;
	sa->dprev = NULL;
	sa->dnext = ike->dirty;
	if (sa->dnext)
		sa->dnext->dprev = sa;
	ike->dirty = sa;
}

static void undirty(struct ike *ike, struct ike_sa *sa)
{
	if (!sa->dirty)
		return;
	if (sa->dprev)
		sa->dprev->dnext = sa->dnext;
	else
		ike->dirty = sa->dnext;
	if (sa->dnext)
		sa->dnext->dprev = sa->dprev;
	sa->dirty = false;
}

/* Re-key every touched SA: afterwards the heap's top is the earliest deadline. */
static void flush_dirty(struct ike *ike)
{
	while (ike->dirty) {
		struct ike_sa *sa = ike->dirty;
		undirty(ike, sa);
		heap_fix(&ike->sheap, &sa->tm, sa_deadline(ike, sa));
	}
}

/* ---- children: all, by inbound SPI, by deadline ---- */

static size_t cbucket(const struct ike *ike, uint32_t spi)
{
	return (size_t)((spi * 0x9e3779b1u) >> 7) & (ike->cnb - 1); /* SPIs are random already */
}

static void cgrow(struct ike *ike)
{
	size_t nb = ike->cnb ? ike->cnb * 2 : 64;
	struct ike_child **t = calloc(nb, sizeof *t);
	if (!t)
		return; /* chains just get longer */
	struct ike_child **old = ike->ctab;
	size_t onb = ike->cnb;
	ike->ctab = t;
	ike->cnb = nb;
	for (size_t i = 0; i < onb; i++)
		for (struct ike_child *c = old[i], *n; c; c = n) {
			n = c->hnext;
			size_t b = cbucket(ike, c->ev.spi_in);
			c->hnext = t[b];
			t[b] = c;
		}
	free(old);
}

struct ike_child *ike_child_find(const struct ike *ike, uint32_t spi_in)
{
	if (!ike->cnb)
		return NULL;
	for (struct ike_child *c = ike->ctab[cbucket(ike, spi_in)]; c; c = c->hnext)
		if (c->ev.spi_in == spi_in)
			return c;
	return NULL;
}

int ike_child_link(struct ike *ike, struct ike_child *c)
{
	if (ike->nchildren >= ike->cnb)
		cgrow(ike);
	if (!ike->cnb)
		return -1;
	c->tm.due = c->expire_ms;
	if (heap_add(&ike->cheap, &c->tm))
		return -1;
	size_t b = cbucket(ike, c->ev.spi_in);
	c->hnext = ike->ctab[b];
	ike->ctab[b] = c;
	c->prev = NULL;
	c->next = ike->children;
	if (c->next)
		c->next->prev = c;
	ike->children = c;
	ike->nchildren++;
	struct ike_sa *owner = c->owner; /* set by the caller; now into its kids (or the orphans) */
	c->owner = NULL;
	ike_child_set_owner(ike, c, owner);
	return 0;
}

void ike_child_unlink(struct ike *ike, struct ike_child *c)
{
	ike_child_unown(ike, c);
	heap_del(&ike->cheap, &c->tm);
	for (struct ike_child **pp = &ike->ctab[cbucket(ike, c->ev.spi_in)]; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	if (c->prev)
		c->prev->next = c->next;
	else
		ike->children = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ike->nchildren--;
}

void ike_sa_untime(struct ike *ike, struct ike_sa *sa)
{
	heap_del(&ike->sheap, &sa->tm);
	undirty(ike, sa);
}

/* One SA's timers (the body of the old walk over all SAs); false when the SA is gone. */
static bool sa_tick(struct ike *ike, struct ike_sa *sa, uint64_t now)
{
	if (sa->state != IKE_ST_EST && now >= sa->expire_ms) {
		char who[RP_ADDR_STRLEN];
		if (sa->unproven) /* never answered MM2: most likely a spoofed source, one line a while */
			ike_adm_note(ike, IKE_A_UNANSWERED, &sa->peer);
		else
			rp_logf(ike->log, RP_LOG_WARN, "ike",
			        "half-open Main Mode from %s timed out in state %d",
			        rp_addr_str(&sa->peer, who, sizeof who), sa->state);
		ike_count(ike, sa, IKE_R_TIMEOUT);
		ike_sa_remove(ike, sa, NULL, false);
		return false;
	}
	if (sa->state == IKE_ST_EST && now >= sa->expire_ms) {
		/* Phase-1 lifetime over: tell the peer; its IPsec SAs live on to their own
		 * lifetime (a client re-keys phase 1 by a new Main Mode). */
		ike_info_send_delete(ike, sa, ISAKMP_PROTO_ISAKMP, sa->icky, 16);
		ike_sa_remove(ike, sa, "phase-1 lifetime expired", false);
		return false;
	}
	if (sa->frag && now >= sa->frag->expire_ms)
		ike_frag_free(ike, sa); /* an unfinished reassembly gives its memory back on time */
	for (struct ike_qm **pp = &sa->qms; *pp;) {
		struct ike_qm *q = *pp;
		if (now >= q->expire_ms) {
			if (!q->done) {
				char who[RP_ADDR_STRLEN];
				rp_logf(ike->log, RP_LOG_WARN, "ike",
				        "Quick Mode %08x from %s: no QM3 in time", q->msgid,
				        rp_addr_str(&sa->peer, who, sizeof who));
				ike_qm_abort(ike, q, "Quick Mode not completed (no QM3)");
			}
			*pp = q->next;
			ike_qm_free(q);
		} else {
			pp = &q->next;
		}
	}
	if (sa->state == IKE_ST_EST && sa->vids.dpd) {
		uint64_t dead = sa->last_rx_ms + (uint64_t)ike->conf.dpd_timeout_s * 1000;
		bool dies = sa->dpd_pending && now >= dead;
		ike_dpd_tick(ike, sa, now);
		if (dies)
			return false; /* ike_dpd_tick removed it */
	}
	return true;
}

/* Only what is due: the tops of the SA and child heaps (O(log n) each), none when nothing is. */
int ike_tick(struct ike *ike, uint64_t now)
{
	ike->now = now;
	flush_dirty(ike);
	while (ike->sheap.n && ike->sheap.v[0]->due <= now) {
		struct ike_sa *sa = SA_OF(ike->sheap.v[0]);
		if (!sa_tick(ike, sa, now))
			continue;
		uint64_t d = sa_deadline(ike, sa);
		/* a deadline the SA's timers leave in the past would spin here: look again in 1 ms */
		heap_fix(&ike->sheap, &sa->tm, d > now ? d : now + 1);
		undirty(ike, sa);
	}
	while (ike->cheap.n && ike->cheap.v[0]->due <= now) {
		struct ike_child *c = CHILD_OF(ike->cheap.v[0]);
		if (c->owner)
			ike_sa_touch(ike, c->owner);
		ike_child_delete(ike, c, true, "lifetime expired");
	}
	flush_dirty(ike); /* e.g. a DELETE just sent */
	return 0;
}

uint64_t ike_next_deadline(const struct ike *cike)
{
	struct ike *ike = (struct ike *)cike; /* only the heaps' order changes */
	flush_dirty(ike);
	uint64_t d = ike->sheap.n ? ike->sheap.v[0]->due : UINT64_MAX;
	if (ike->cheap.n && ike->cheap.v[0]->due < d)
		d = ike->cheap.v[0]->due;
	return d;
}
