/* rp_buf, rp_rd and rp_wr: the only way rampart code touches packet bytes. */
#include <stdlib.h>
#include <string.h>

#include "rp_base.h"

int rp_buf_alloc(struct rp_buf *b, size_t headroom, size_t cap, unsigned flags)
{
	if (headroom > cap)
		return -1;
	uint8_t *m = calloc(1, cap ? cap : 1);
	if (!m)
		return -1;
	b->base = m;
	b->cap = cap;
	b->off = headroom;
	b->len = 0;
	b->flags = flags | RP_BUF_OWNED;
	return 0;
}

void rp_buf_view(struct rp_buf *b, uint8_t *mem, size_t cap, size_t off, size_t len)
{
	b->base = mem;
	b->cap = cap;
	b->off = off;
	b->len = len;
	b->flags = 0;
}

void rp_buf_release(struct rp_buf *b)
{
	if (!b->base)
		return;
	if (b->flags & RP_BUF_SECRET)
		rp_wipe(b->base, b->cap);
	if (b->flags & RP_BUF_OWNED)
		free(b->base);
	memset(b, 0, sizeof *b);
}

uint8_t *rp_buf_push(struct rp_buf *b, size_t n)
{
	if (n > b->off)
		return NULL;
	b->off -= n;
	b->len += n;
	return b->base + b->off;
}

uint8_t *rp_buf_pull(struct rp_buf *b, size_t n)
{
	if (n > b->len)
		return NULL;
	uint8_t *p = b->base + b->off;
	b->off += n;
	b->len -= n;
	return p;
}

uint8_t *rp_buf_put(struct rp_buf *b, size_t n)
{
	if (n > rp_buf_tailroom(b))
		return NULL;
	uint8_t *p = b->base + b->off + b->len;
	b->len += n;
	return p;
}

int rp_buf_trim(struct rp_buf *b, size_t n)
{
	if (n > b->len)
		return -1;
	b->len -= n;
	return 0;
}

/* ---- reader ---- */

int rp_rd_ref(struct rp_rd *r, const uint8_t **p, size_t n)
{
	if (n > rp_rd_left(r))
		return -1;
	*p = r->p + r->pos;
	r->pos += n;
	return 0;
}

int rp_rd_u8(struct rp_rd *r, uint8_t *v)
{
	const uint8_t *p;
	if (rp_rd_ref(r, &p, 1))
		return -1;
	*v = p[0];
	return 0;
}

int rp_rd_u16(struct rp_rd *r, uint16_t *v)
{
	const uint8_t *p;
	if (rp_rd_ref(r, &p, 2))
		return -1;
	*v = rp_get_u16(p);
	return 0;
}

int rp_rd_u32(struct rp_rd *r, uint32_t *v)
{
	const uint8_t *p;
	if (rp_rd_ref(r, &p, 4))
		return -1;
	*v = rp_get_u32(p);
	return 0;
}

int rp_rd_u64(struct rp_rd *r, uint64_t *v)
{
	const uint8_t *p;
	if (rp_rd_ref(r, &p, 8))
		return -1;
	*v = (uint64_t)rp_get_u32(p) << 32 | rp_get_u32(p + 4);
	return 0;
}

int rp_rd_bytes(struct rp_rd *r, void *out, size_t n)
{
	const uint8_t *p;
	if (rp_rd_ref(r, &p, n))
		return -1;
	if (n)
		memcpy(out, p, n);
	return 0;
}

int rp_rd_skip(struct rp_rd *r, size_t n)
{
	const uint8_t *p;
	return rp_rd_ref(r, &p, n);
}

int rp_rd_sub(struct rp_rd *r, struct rp_rd *sub, size_t n)
{
	const uint8_t *p;
	if (rp_rd_ref(r, &p, n))
		return -1;
	rp_rd_init(sub, p, n);
	return 0;
}

/* ---- writer ---- */

uint8_t *rp_wr_reserve(struct rp_wr *w, size_t n)
{
	if (w->err || n > w->cap - w->len) {
		w->err = true;
		return NULL;
	}
	uint8_t *p = w->p + w->len;
	w->len += n;
	return p;
}

void rp_wr_u8(struct rp_wr *w, uint8_t v)
{
	uint8_t *p = rp_wr_reserve(w, 1);
	if (p)
		p[0] = v;
}

void rp_wr_u16(struct rp_wr *w, uint16_t v)
{
	uint8_t *p = rp_wr_reserve(w, 2);
	if (p)
		rp_put_u16(p, v);
}

void rp_wr_u32(struct rp_wr *w, uint32_t v)
{
	uint8_t *p = rp_wr_reserve(w, 4);
	if (p)
		rp_put_u32(p, v);
}

void rp_wr_u64(struct rp_wr *w, uint64_t v)
{
	rp_wr_u32(w, (uint32_t)(v >> 32));
	rp_wr_u32(w, (uint32_t)v);
}

void rp_wr_bytes(struct rp_wr *w, const void *src, size_t n)
{
	uint8_t *p = rp_wr_reserve(w, n);
	if (p && n)
		memcpy(p, src, n);
}

void rp_wr_zero(struct rp_wr *w, size_t n)
{
	uint8_t *p = rp_wr_reserve(w, n);
	if (p && n)
		memset(p, 0, n);
}

void rp_wr_put_u16_at(struct rp_wr *w, size_t at, uint16_t v)
{
	if (w->err || at + 2 > w->len) {
		w->err = true;
		return;
	}
	rp_put_u16(w->p + at, v);
}
