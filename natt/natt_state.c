/* Port floating, keepalive timing, NAT-OA, and the UDP framing of RFC 3948. */
#include <errno.h>
#include <string.h>

#include "natt.h"

void natt_float_init(struct natt_float *f, const struct rp_addr *local, const struct rp_addr *peer)
{
	memset(f, 0, sizeof *f);
	f->local = *local;
	f->peer = *peer;
}

void natt_float_detected(struct natt_float *f, bool supported, const struct natt_detect *d)
{
	f->supported = supported;
	f->nat = supported && natt_any_nat(d);
}

bool natt_float_rx(struct natt_float *f, const struct rp_addr *local, const struct rp_addr *src)
{
	/* RFC 3947 §4: once NAT-T is negotiated the initiator moves to 4500; packets arriving on
	 * 4500 are from the floated SA, and the NAT may give them a new source port. */
	if (local->port == NATT_PORT_NATT && f->supported && !f->floated) {
		f->floated = true;
		f->local = *local;
	}
	if (rp_addr_eq(&f->peer, src))
		return false;
	f->peer = *src;
	return true;
}

void natt_ka_init(struct natt_ka *k, bool enabled, uint64_t interval_ms, uint64_t now_ms)
{
	k->enabled = enabled;
	k->interval_ms = interval_ms ? interval_ms : NATT_KEEPALIVE_MS;
	k->last_tx_ms = now_ms;
}

void natt_ka_sent(struct natt_ka *k, uint64_t now_ms)
{
	if (now_ms > k->last_tx_ms)
		k->last_tx_ms = now_ms;
}

uint64_t natt_ka_next_deadline(const struct natt_ka *k)
{
	return k->enabled ? k->last_tx_ms + k->interval_ms : UINT64_MAX;
}

bool natt_ka_tick(struct natt_ka *k, uint64_t now_ms)
{
	if (!k->enabled || now_ms < k->last_tx_ms + k->interval_ms)
		return false;
	k->last_tx_ms = now_ms;
	return true;
}

int natt_oa_build(struct rp_wr *w, const struct rp_addr *a)
{
	if (a->family != 4 && a->family != 6)
		return -EINVAL;
	rp_wr_u8(w, a->family == 4 ? 1 : 5); /* RFC 2407 §4.6.2.1 ID_IPV4_ADDR / ID_IPV6_ADDR */
	rp_wr_zero(w, 3);
	rp_wr_bytes(w, a->ip, a->family == 4 ? 4 : 16);
	return rp_wr_ok(w) ? 0 : -ENOSPC;
}

int natt_oa_parse(const uint8_t *body, size_t len, struct rp_addr *a)
{
	struct rp_rd r;
	uint8_t type;
	rp_rd_init(&r, body, len);
	if (rp_rd_u8(&r, &type) || rp_rd_skip(&r, 3))
		return -EINVAL;
	memset(a, 0, sizeof *a);
	size_t n = type == 1 ? 4 : type == 5 ? 16 : 0;
	if (!n || rp_rd_left(&r) != n || rp_rd_bytes(&r, a->ip, n))
		return -EINVAL;
	a->family = type == 1 ? 4 : 6;
	return 0;
}

void natt_oa_values(bool initiator, const struct rp_addr *local, const struct rp_addr *peer,
                    struct rp_addr *oa_i, struct rp_addr *oa_r)
{
	*oa_i = initiator ? *local : *peer;
	*oa_r = initiator ? *peer : *local;
	oa_i->port = oa_r->port = 0;
}

int natt_udp_push(struct rp_buf *b, uint16_t sport, uint16_t dport)
{
	if (b->len + 8 > 0xffff)
		return -1;
	uint8_t *h = rp_buf_push(b, 8);
	if (!h)
		return -1;
	rp_put_u16(h, sport);
	rp_put_u16(h + 2, dport);
	rp_put_u16(h + 4, (uint16_t)b->len);
	rp_put_u16(h + 6, 0);
	return 0;
}

uint16_t natt_udp_csum(const struct rp_addr *src, const struct rp_addr *dst, const uint8_t *udp, size_t len)
{
	size_t al = src->family == 6 ? 16 : 4;
	uint32_t s = rp_sum16(0, src->ip, al);
	s = rp_sum16(s, dst->ip, al);
	s += 17; /* protocol */
	s += (uint32_t)(len & 0xffff) + (uint32_t)(len >> 16);
	s = rp_sum16(s, udp, len);
	return (uint16_t)~rp_fold16(s);
}

