/* Indexes that keep connect and disconnect independent of the number of SAs held (issue 17):
 * established IKE SAs by peer address+port and by peer IP+ID, orphaned IPsec SAs by peer IP, and
 * each IKE SA's own IPsec SAs as a list. INITIAL-CONTACT, the heir search when an IKE SA goes,
 * orphan adoption at MM5/MM6 and DELETE handling used to walk every SA for these answers. */
#include <stdlib.h>
#include <string.h>

#include "ike_local.h"

#define IDX_NB0 64

static int htab_init(struct ike_htab *t)
{
	t->nb = IDX_NB0;
	t->n = 0;
	t->t = calloc(t->nb, sizeof *t->t);
	return t->t ? 0 : -1;
}

int ike_idx_init(struct ike *ike)
{
	ike->hseed = ((uint64_t)rp_rng_u32(ike->rng) << 32) | rp_rng_u32(ike->rng);
	if (htab_init(&ike->by_addr) || htab_init(&ike->by_id) || htab_init(&ike->orphans)) {
		ike_idx_free(ike);
		return -1;
	}
	return 0;
}

void ike_idx_free(struct ike *ike)
{
	free(ike->by_addr.t);
	free(ike->by_id.t);
	free(ike->orphans.t);
	ike->by_addr.t = ike->by_id.t = ike->orphans.t = NULL;
}

/* FNV-1a from a per-core random seed, then a 64-bit finaliser (splitmix64) for the low bits. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t fin(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

static uint64_t hash_ip(const struct ike *ike, const struct rp_addr *a)
{
	uint64_t h = fnv(ike->hseed ^ 0xcbf29ce484222325ull, &a->family, 1);
	return fnv(h, a->ip, a->family == 6 ? 16 : 4);
}

uint64_t ike_hash_addr(const struct ike *ike, const struct rp_addr *a, bool port)
{
	uint64_t h = hash_ip(ike, a);
	if (port) {
		uint8_t p[2] = {(uint8_t)(a->port >> 8), (uint8_t)a->port};
		h = fnv(h, p, 2);
	}
	return fin(h);
}

uint64_t ike_hash_id(const struct ike *ike, const struct rp_addr *a, const char *peer_id)
{
	return fin(fnv(hash_ip(ike, a), peer_id, strlen(peer_id) + 1));
}

struct ike_hnode *ike_htab_head(const struct ike_htab *t, uint64_t h)
{
	return t->t[h & (t->nb - 1)];
}

static void htab_grow(struct ike_htab *t)
{
	size_t nb = t->nb * 2;
	struct ike_hnode **n = calloc(nb, sizeof *n);
	if (!n)
		return; /* chains just get longer */
	for (size_t i = 0; i < t->nb; i++)
		for (struct ike_hnode *x = t->t[i], *nx; x; x = nx) {
			nx = x->next;
			struct ike_hnode **b = &n[x->h & (nb - 1)];
			x->next = *b;
			if (*b)
				(*b)->pprev = &x->next;
			*b = x;
			x->pprev = b;
		}
	free(t->t);
	t->t = n;
	t->nb = nb;
}

static void htab_add(struct ike_htab *t, struct ike_hnode *x, uint64_t h)
{
	if (t->n >= t->nb)
		htab_grow(t);
	struct ike_hnode **b = &t->t[h & (t->nb - 1)];
	x->h = h;
	x->next = *b;
	if (*b)
		(*b)->pprev = &x->next;
	*b = x;
	x->pprev = b;
	t->n++;
}

static void htab_del(struct ike_htab *t, struct ike_hnode *x)
{
	if (!x->pprev)
		return;
	*x->pprev = x->next;
	if (x->next)
		x->next->pprev = x->pprev;
	x->next = NULL;
	x->pprev = NULL;
	t->n--;
}

void ike_htab_add(struct ike_htab *t, struct ike_hnode *x, uint64_t h)
{
	htab_add(t, x, h);
}

void ike_htab_del(struct ike_htab *t, struct ike_hnode *x)
{
	htab_del(t, x);
}

int ike_htab_init(struct ike_htab *t)
{
	return htab_init(t);
}

void ike_sa_index(struct ike *ike, struct ike_sa *sa)
{
	ike_sa_unindex(ike, sa);
	htab_add(&ike->by_addr, &sa->by_addr, ike_hash_addr(ike, &sa->peer, true));
	htab_add(&ike->by_id, &sa->by_id, ike_hash_id(ike, &sa->peer, sa->peer_id));
}

void ike_sa_unindex(struct ike *ike, struct ike_sa *sa)
{
	htab_del(&ike->by_addr, &sa->by_addr);
	htab_del(&ike->by_id, &sa->by_id);
}

void ike_sa_set_peer(struct ike *ike, struct ike_sa *sa, const struct rp_addr *peer)
{
	bool indexed = sa->by_addr.pprev != NULL;
	sa->peer = *peer;
	if (indexed)
		ike_sa_index(ike, sa);
}

void ike_child_unown(struct ike *ike, struct ike_child *c)
{
	htab_del(&ike->orphans, &c->orphan);
	if (c->sprev)
		c->sprev->snext = c->snext;
	else if (c->owner && c->owner->kids == c)
		c->owner->kids = c->snext;
	if (c->snext)
		c->snext->sprev = c->sprev;
	c->snext = c->sprev = NULL;
}

void ike_child_set_owner(struct ike *ike, struct ike_child *c, struct ike_sa *owner)
{
	ike_child_unown(ike, c);
	c->owner = owner;
	if (!owner) {
		htab_add(&ike->orphans, &c->orphan, ike_hash_addr(ike, &c->ev.peer, false));
		return;
	}
	c->sprev = NULL;
	c->snext = owner->kids;
	if (c->snext)
		c->snext->sprev = c;
	owner->kids = c;
}
