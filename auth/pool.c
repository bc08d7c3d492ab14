/* IPv4 address pools: a bitmap per configured range, a next-fit cursor so a released address is
 * not handed out again at once, and a small set for static addresses outside every range. */
#include "auth_local.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct pool_range {
	uint32_t first, last;
	uint64_t *bits;
	uint32_t cursor;
};

struct auth_pool {
	struct pool_range *r;
	size_t nr;
	uint32_t *ext; /* leased static addresses outside the ranges */
	size_t next, ext_cap;
	unsigned in_use;
};

struct auth_pool *auth_pool_new(void)
{
	return calloc(1, sizeof(struct auth_pool));
}

void auth_pool_free(struct auth_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nr; i++)
		free(p->r[i].bits);
	free(p->r);
	free(p->ext);
	free(p);
}

int auth_pool_add_range(struct auth_pool *p, uint32_t first, uint32_t last)
{
	if (first == 0 || last < first || last - first >= (1u << 24))
		return -EINVAL;
	for (size_t i = 0; i < p->nr; i++)
		if (!(last < p->r[i].first || first > p->r[i].last))
			return -EINVAL;
	struct pool_range *nr = realloc(p->r, (p->nr + 1) * sizeof *nr);
	if (!nr)
		return -ENOMEM;
	p->r = nr;
	size_t words = ((size_t)(last - first) + 1 + 63) / 64;
	uint64_t *bits = calloc(words, sizeof *bits);
	if (!bits)
		return -ENOMEM;
	p->r[p->nr++] = (struct pool_range){first, last, bits, 0};
	return 0;
}

static struct pool_range *range_of(const struct auth_pool *p, uint32_t ip)
{
	for (size_t i = 0; i < p->nr; i++)
		if (ip >= p->r[i].first && ip <= p->r[i].last)
			return &p->r[i];
	return NULL;
}

static bool bit(const struct pool_range *r, uint32_t off)
{
	return r->bits[off / 64] >> (off % 64) & 1;
}

static void set_bit(struct pool_range *r, uint32_t off, bool v)
{
	if (v)
		r->bits[off / 64] |= 1ull << (off % 64);
	else
		r->bits[off / 64] &= ~(1ull << (off % 64));
}

static ssize_t ext_find(const struct auth_pool *p, uint32_t ip)
{
	for (size_t i = 0; i < p->next; i++)
		if (p->ext[i] == ip)
			return (ssize_t)i;
	return -1;
}

bool auth_pool_leased(const struct auth_pool *p, uint32_t ip)
{
	const struct pool_range *r = range_of(p, ip);
	return r ? bit(r, ip - r->first) : ext_find(p, ip) >= 0;
}

int auth_pool_lease(struct auth_pool *p, uint32_t want, uint32_t *out)
{
	if (want) {
		struct pool_range *r = range_of(p, want);
		if (auth_pool_leased(p, want))
			return -EADDRINUSE;
		if (r) {
			set_bit(r, want - r->first, true);
		} else {
			if (p->next == p->ext_cap) {
				size_t nc = p->ext_cap ? p->ext_cap * 2 : 16;
				uint32_t *ne = realloc(p->ext, nc * sizeof *ne);
				if (!ne)
					return -ENOMEM;
				p->ext = ne;
				p->ext_cap = nc;
			}
			p->ext[p->next++] = want;
		}
		p->in_use++;
		*out = want;
		return 0;
	}
	for (size_t i = 0; i < p->nr; i++) {
		struct pool_range *r = &p->r[i];
		uint32_t size = r->last - r->first + 1;
		for (uint32_t k = 0; k < size; k++) {
			uint32_t off = (r->cursor + k) % size;
			if (bit(r, off))
				continue;
			/* skip .0 and .255 of a /24 so no client gets a broadcast-looking address */
			uint8_t low = (uint8_t)(r->first + off);
			if (low == 0 || low == 255)
				continue;
			set_bit(r, off, true);
			r->cursor = (off + 1) % size;
			p->in_use++;
			*out = r->first + off;
			return 0;
		}
	}
	return -ENOSPC;
}

int auth_pool_release(struct auth_pool *p, uint32_t ip)
{
	struct pool_range *r = range_of(p, ip);
	if (r) {
		if (!bit(r, ip - r->first))
			return -ENOENT;
		set_bit(r, ip - r->first, false);
	} else {
		ssize_t i = ext_find(p, ip);
		if (i < 0)
			return -ENOENT;
		p->ext[i] = p->ext[--p->next];
	}
	p->in_use--;
	return 0;
}

unsigned auth_pool_in_use(const struct auth_pool *p)
{
	return p->in_use;
}

/* Reload: the pool takes new ranges and keeps every lease it has. A leased address outside
 * the new ranges stays leased (as a static one would) until its session ends and releases it;
 * it is not handed out again. */
int auth_pool_set_ranges(struct auth_pool *p, const uint32_t (*ranges)[2], size_t n)
{
	struct auth_pool *np = auth_pool_new();
	int rc = np ? 0 : -ENOMEM;
	for (size_t i = 0; !rc && i < n; i++)
		rc = auth_pool_add_range(np, ranges[i][0], ranges[i][1]);
	uint32_t ip;
	for (size_t i = 0; !rc && i < p->nr; i++)
		for (uint32_t off = 0; !rc && off <= p->r[i].last - p->r[i].first; off++)
			if (bit(&p->r[i], off))
				rc = auth_pool_lease(np, p->r[i].first + off, &ip);
	for (size_t i = 0; !rc && i < p->next; i++)
		rc = auth_pool_lease(np, p->ext[i], &ip);
	if (rc) {
		auth_pool_free(np);
		return rc;
	}
	/* keep each surviving range's cursor, so a reload does not reuse a just-released address */
	for (size_t i = 0; i < np->nr; i++) {
		const struct pool_range *o = range_of(p, np->r[i].first);
		if (o && o->first == np->r[i].first && o->last == np->r[i].last)
			np->r[i].cursor = o->cursor;
	}
	struct auth_pool tmp = *p;
	*p = *np;
	*np = tmp;
	auth_pool_free(np);
	return 0;
}
