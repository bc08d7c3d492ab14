/* SA, Proposal and Transform payloads and their data attributes (RFC 2408 §3.3-3.6).
 * Validated completely (framing, counts, attribute lengths) before the caller sees anything. */
#include <string.h>

#include "isakmp.h"

/* Phase-1 attribute classes (RFC 2409 appendix A) */
enum {
	P1_ENC = 1,
	P1_HASH = 2,
	P1_AUTH = 3,
	P1_GROUP_DESC = 4,
	P1_GROUP_TYPE = 5,
	P1_GROUP_PRIME = 6,
	P1_GROUP_GEN1 = 7,
	P1_GROUP_GEN2 = 8,
	P1_GROUP_CURVE_A = 9,
	P1_GROUP_CURVE_B = 10,
	P1_LIFE_TYPE = 11,
	P1_LIFE_DUR = 12,
	P1_PRF = 13,
	P1_KEYLEN = 14,
	P1_FIELD_SIZE = 15,
	P1_GROUP_ORDER = 16,
};
/* IPsec DOI attributes (RFC 2407 §4.5) */
enum {
	P2_LIFE_TYPE = 1,
	P2_LIFE_DUR = 2,
	P2_GROUP = 3,
	P2_ENCAP = 4,
	P2_AUTH = 5,
	P2_KEYLEN = 6,
	P2_KEY_ROUNDS = 7,
	P2_COMP_DICT = 8,
	P2_COMP_PRIV = 9,
};
enum { LIFE_SECONDS = 1, LIFE_KB = 2 };

/* Variable-length values (durations may come as 4 or even 8 bytes): big-endian, saturating. */
static uint32_t val_of(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		v = v << 8 | p[i];
		if (v > UINT32_MAX)
			return UINT32_MAX;
	}
	return (uint32_t)v;
}

/* A life duration follows its type (RFC 2409 appendix A, RFC 2407 §4.5), in both phases. */
static int set_life(struct isakmp_attrs *a, uint16_t life_type, uint32_t v)
{
	if (life_type == LIFE_SECONDS)
		a->life_s = v;
	else if (life_type == LIFE_KB)
		a->life_kb = v;
	else
		return -1;
	return 0;
}

int isakmp_attrs_parse(uint8_t proto, const uint8_t *p, size_t len, struct isakmp_attrs *a)
{
	struct rp_rd r;
	uint16_t life_type = 0;
	bool p1 = proto == ISAKMP_PROTO_ISAKMP;

	memset(a, 0, sizeof *a);
	rp_rd_init(&r, p, len);
	while (rp_rd_left(&r)) {
		uint16_t t, lv;
		const uint8_t *vp;
		size_t vn;
		if (rp_rd_u16(&r, &t) || rp_rd_u16(&r, &lv))
			return -1;
		if (t & 0x8000) { /* TV: the value is the 2-byte field (RFC 2408 §3.3, AF = 1) */
			vp = rp_rd_ptr(&r) - 2;
			vn = 2;
		} else if (rp_rd_ref(&r, &vp, lv)) {
			return -1;
		} else {
			vn = lv;
		}
		t &= 0x7fff;
		uint32_t v = val_of(vp, vn);
		if (p1) {
			switch (t) {
			case P1_ENC:
				a->enc = (uint16_t)v;
				break;
			case P1_HASH:
				a->hash = (uint16_t)v;
				break;
			case P1_AUTH:
				a->auth = (uint16_t)v;
				break;
			case P1_GROUP_DESC:
				a->group = (uint16_t)v;
				break;
			case P1_KEYLEN:
				a->keylen = (uint16_t)v;
				break;
			case P1_PRF:
				a->prf = (uint16_t)v;
				break;
			case P1_LIFE_TYPE:
				life_type = (uint16_t)v;
				break;
			case P1_LIFE_DUR:
				if (set_life(a, life_type, v))
					return -1;
				break;
			case P1_GROUP_TYPE:
			case P1_GROUP_PRIME:
			case P1_GROUP_GEN1:
			case P1_GROUP_GEN2:
			case P1_GROUP_CURVE_A:
			case P1_GROUP_CURVE_B:
			case P1_FIELD_SIZE:
			case P1_GROUP_ORDER:
				a->custom_group = true;
				break;
			default:
				if (!a->unknown)
					a->unknown = t;
			}
		} else {
			switch (t) {
			case P2_LIFE_TYPE:
				life_type = (uint16_t)v;
				break;
			case P2_LIFE_DUR:
				if (set_life(a, life_type, v))
					return -1;
				break;
			case P2_GROUP:
				a->group = (uint16_t)v;
				break;
			case P2_ENCAP:
				a->encap = (uint16_t)v;
				break;
			case P2_AUTH:
				a->authalg = (uint16_t)v;
				break;
			case P2_KEYLEN:
				a->keylen = (uint16_t)v;
				break;
			default:
				if (!a->unknown)
					a->unknown = t;
			}
		}
	}
	return 0;
}

static int parse_prop(struct rp_rd *r, struct isakmp_sa *sa, struct isakmp_prop *pr)
{
	uint8_t np = ISAKMP_PL_T;
	if (rp_rd_u8(r, &pr->num) || rp_rd_u8(r, &pr->proto) || rp_rd_u8(r, &pr->spi_size) ||
	    rp_rd_u8(r, &pr->ntf))
		return -1;
	if (pr->spi_size > sizeof pr->spi || rp_rd_bytes(r, pr->spi, pr->spi_size))
		return -1;
	if (pr->ntf == 0)
		return -1;
	pr->xf0 = sa->nxf;
	pr->nxf = 0;
	for (unsigned i = 0; i < pr->ntf; i++) {
		uint8_t next, resv;
		uint16_t plen;
		const uint8_t *raw = rp_rd_ptr(r);
		if (np != ISAKMP_PL_T)
			return -1; /* fewer transforms chained than counted */
		if (rp_rd_u8(r, &next) || rp_rd_u8(r, &resv) || rp_rd_u16(r, &plen))
			return -1;
		if (plen < 8 || (size_t)plen - ISAKMP_GEN_LEN > rp_rd_left(r))
			return -1;
		struct rp_rd t;
		rp_rd_sub(r, &t, plen - ISAKMP_GEN_LEN);
		struct isakmp_xf xf = {.raw = raw, .rawlen = plen};
		if (rp_rd_u8(&t, &xf.num) || rp_rd_u8(&t, &xf.id) || rp_rd_skip(&t, 2))
			return -1;
		if (isakmp_attrs_parse(pr->proto, rp_rd_ptr(&t), rp_rd_left(&t), &xf.a))
			return -1;
		/* Beyond our storage the offer stays valid; we simply consider the first ones. */
		if (sa->nxf < ISAKMP_MAX_XF) {
			sa->xf[sa->nxf++] = xf;
			pr->nxf++;
		}
		np = next;
	}
	if (np != ISAKMP_PL_NONE || rp_rd_left(r))
		return -1; /* more transforms chained than counted, or trailing bytes */
	return 0;
}

int isakmp_sa_parse(const uint8_t *body, size_t len, struct isakmp_sa *sa)
{
	struct rp_rd r;
	uint8_t np = ISAKMP_PL_P;
	rp_rd_init(&r, body, len);
	sa->nprop = sa->nxf = 0;
	if (rp_rd_u32(&r, &sa->doi) || rp_rd_u32(&r, &sa->sit))
		return -1;
	/* IPsec DOI (RFC 2407 §4.2): SIT_IDENTITY_ONLY alone; secrecy/integrity labels would follow
	 * the situation and are not supported. */
	if (sa->doi != 1 || sa->sit != 1)
		return -1;
	while (rp_rd_left(&r)) {
		uint8_t next, resv;
		uint16_t plen;
		if (np != ISAKMP_PL_P)
			return -1;
		if (rp_rd_u8(&r, &next) || rp_rd_u8(&r, &resv) || rp_rd_u16(&r, &plen))
			return -1;
		if (plen < 8 || (size_t)plen - ISAKMP_GEN_LEN > rp_rd_left(&r))
			return -1;
		struct rp_rd pr;
		rp_rd_sub(&r, &pr, plen - ISAKMP_GEN_LEN);
		struct isakmp_prop tmp;
		if (sa->nprop < ISAKMP_MAX_PROP) {
			if (parse_prop(&pr, sa, &sa->p[sa->nprop]))
				return -1;
			sa->nprop++;
		} else {
			size_t keep = sa->nxf;
			if (parse_prop(&pr, sa, &tmp))
				return -1;
			sa->nxf = keep;
		}
		np = next;
	}
	if (np != ISAKMP_PL_NONE || sa->nprop == 0)
		return -1;
	return 0;
}
