/* ISAKMP header and payload chain (RFC 2408 §3.1, §3.2), ID/notify/delete/NAT-OA bodies.
 * Every length is checked against what is left before anything is read (DESIGN.md conv. 4): the
 * IKEv1 CVE history (tcpdump isakmp_*_print, racoon, pluto) is missing length checks. */
#include <stdio.h>
#include <string.h>

#include "isakmp.h"

int isakmp_hdr_parse(const uint8_t *p, size_t len, struct isakmp_hdr *h)
{
	struct rp_rd r;
	rp_rd_init(&r, p, len);
	if (rp_rd_bytes(&r, h->icky, 8) || rp_rd_bytes(&r, h->rcky, 8) || rp_rd_u8(&r, &h->np) ||
	    rp_rd_u8(&r, &h->version) || rp_rd_u8(&r, &h->exch) || rp_rd_u8(&r, &h->flags) ||
	    rp_rd_u32(&r, &h->msgid) || rp_rd_u32(&r, &h->len))
		return -1;
	/* RFC 2408 §3.1: a major version we do not speak is dropped (IKEv2 is 0x20). */
	if ((h->version >> 4) != 1)
		return -1;
	if (h->len < ISAKMP_HDR_LEN || h->len > len)
		return -1;
	return 0;
}

int isakmp_chain_parse(uint8_t np, const uint8_t *p, size_t len, bool allow_pad, struct isakmp_msg *m)
{
	struct rp_rd r;
	rp_rd_init(&r, p, len);
	m->npl = 0;
	while (np != ISAKMP_PL_NONE) {
		/* Proposal and transform payloads live only inside an SA payload (RFC 2408 §3.4).
		 * Other types we do not know are kept and ignored by the exchange handlers: IKEv1 has
		 * no critical bit, and peers use private numbers (Cisco's pre-RFC NAT-D is 15). */
		if (np == ISAKMP_PL_P || np == ISAKMP_PL_T)
			return -1;
		if (m->npl == ISAKMP_MAX_PL)
			return -1;
		const uint8_t *raw = rp_rd_ptr(&r);
		uint8_t next, resv;
		uint16_t plen;
		if (rp_rd_u8(&r, &next) || rp_rd_u8(&r, &resv) || rp_rd_u16(&r, &plen))
			return -1;
		/* A payload shorter than its own header would loop forever (tcpdump
		 * isakmp-pointer-loop); one longer than what is left overruns. */
		if (plen < ISAKMP_GEN_LEN || (size_t)plen - ISAKMP_GEN_LEN > rp_rd_left(&r))
			return -1;
		struct isakmp_pl *pl = &m->pl[m->npl++];
		pl->type = np;
		pl->raw = raw;
		pl->rawlen = plen;
		if (rp_rd_ref(&r, &pl->body, plen - ISAKMP_GEN_LEN))
			return -1;
		pl->len = plen - ISAKMP_GEN_LEN;
		np = next;
	}
	if (rp_rd_left(&r) && !allow_pad)
		return -1;
	return 0;
}

int isakmp_msg_parse(const uint8_t *p, size_t len, struct isakmp_msg *m)
{
	if (isakmp_hdr_parse(p, len, &m->h))
		return -1;
	/* Trailing bytes after the header's length (UDP longer than ISAKMP) are ignored as RFC
	 * 2408 §3.1 defines the message by its length field. */
	if (m->h.flags & ISAKMP_FLAG_ENC) {
		m->npl = 0; /* the chain is parsed after decryption */
		return 0;
	}
	return isakmp_chain_parse(m->h.np, p + ISAKMP_HDR_LEN, m->h.len - ISAKMP_HDR_LEN, false, m);
}

const struct isakmp_pl *isakmp_find(const struct isakmp_msg *m, uint8_t t, unsigned k)
{
	for (size_t i = 0; i < m->npl; i++)
		if (m->pl[i].type == t && k-- == 0)
			return &m->pl[i];
	return NULL;
}

size_t isakmp_count(const struct isakmp_msg *m, uint8_t t)
{
	size_t n = 0;
	for (size_t i = 0; i < m->npl; i++)
		n += m->pl[i].type == t;
	return n;
}

int isakmp_id_parse(const uint8_t *body, size_t len, struct isakmp_id_pl *id)
{
	struct rp_rd r;
	rp_rd_init(&r, body, len);
	if (rp_rd_u8(&r, &id->type) || rp_rd_u8(&r, &id->proto) || rp_rd_u16(&r, &id->port))
		return -1;
	id->data = rp_rd_ptr(&r);
	id->len = rp_rd_left(&r);
	/* Fixed-size types must have exactly their size (tcpdump ikev1_id_ipv6_addr_subnet-oobr). */
	size_t want = 0;
	switch (id->type) {
	case ISAKMP_ID_IPV4:
		want = 4;
		break;
	case ISAKMP_ID_IPV4_SUBNET:
	case ISAKMP_ID_IPV4_RANGE:
		want = 8;
		break;
	case ISAKMP_ID_IPV6:
		want = 16;
		break;
	case ISAKMP_ID_IPV6_SUBNET:
	case ISAKMP_ID_IPV6_RANGE:
		want = 32;
		break;
	case ISAKMP_ID_FQDN:
	case ISAKMP_ID_USER_FQDN:
	case ISAKMP_ID_DER_ASN1_DN:
	case ISAKMP_ID_DER_ASN1_GN:
	case ISAKMP_ID_KEY_ID:
		return id->len ? 0 : -1;
	default:
		return -1;
	}
	return id->len == want ? 0 : -1;
}

static int mask_len(const uint8_t *m, size_t n)
{
	int bits = 0;
	size_t i = 0;
	for (; i < n && m[i] == 0xff; i++)
		bits += 8;
	if (i < n) {
		uint8_t b = m[i];
		while (b & 0x80) {
			bits++;
			b = (uint8_t)(b << 1);
		}
	}
	return bits;
}

const char *isakmp_id_str(const struct isakmp_id_pl *id, char *out, size_t n)
{
	struct rp_addr a = {0};
	char s1[RP_ADDR_STRLEN], s2[RP_ADDR_STRLEN];
	switch (id->type) {
	case ISAKMP_ID_IPV4:
	case ISAKMP_ID_IPV6:
		a.family = id->type == ISAKMP_ID_IPV4 ? 4 : 6;
		memcpy(a.ip, id->data, id->len);
		snprintf(out, n, "%s", rp_addr_ipstr(&a, s1, sizeof s1));
		break;
	case ISAKMP_ID_IPV4_SUBNET:
	case ISAKMP_ID_IPV6_SUBNET:
		a.family = id->type == ISAKMP_ID_IPV4_SUBNET ? 4 : 6;
		memcpy(a.ip, id->data, id->len / 2);
		snprintf(out, n, "%s/%d", rp_addr_ipstr(&a, s1, sizeof s1),
		         mask_len(id->data + id->len / 2, id->len / 2));
		break;
	case ISAKMP_ID_IPV4_RANGE:
	case ISAKMP_ID_IPV6_RANGE: {
		struct rp_addr b = {0};
		a.family = b.family = id->type == ISAKMP_ID_IPV4_RANGE ? 4 : 6;
		memcpy(a.ip, id->data, id->len / 2);
		memcpy(b.ip, id->data + id->len / 2, id->len / 2);
		snprintf(out, n, "%s-%s", rp_addr_ipstr(&a, s1, sizeof s1), rp_addr_ipstr(&b, s2, sizeof s2));
		break;
	}
	case ISAKMP_ID_FQDN:
	case ISAKMP_ID_USER_FQDN:
		rp_esc(id->data, id->len, out, n); /* the peer's bytes: escaped for logs and events */
		break;
	default: {
		int k = snprintf(out, n, "%s:", id->type == ISAKMP_ID_KEY_ID ? "keyid" : "der");
		for (size_t i = 0; i < id->len && k > 0 && (size_t)k + 3 < n; i++)
			k += snprintf(out + k, n - (size_t)k, "%02x", id->data[i]);
		break;
	}
	}
	return out;
}

int isakmp_notify_parse(const uint8_t *body, size_t len, struct isakmp_notify_pl *n)
{
	struct rp_rd r;
	rp_rd_init(&r, body, len);
	if (rp_rd_u32(&r, &n->doi) || rp_rd_u8(&r, &n->proto) || rp_rd_u8(&r, &n->spi_size) ||
	    rp_rd_u16(&r, &n->type) || rp_rd_ref(&r, &n->spi, n->spi_size))
		return -1;
	n->data = rp_rd_ptr(&r);
	n->len = rp_rd_left(&r);
	return 0;
}

int isakmp_delete_parse(const uint8_t *body, size_t len, struct isakmp_delete_pl *d)
{
	struct rp_rd r;
	rp_rd_init(&r, body, len);
	if (rp_rd_u32(&r, &d->doi) || rp_rd_u8(&r, &d->proto) || rp_rd_u8(&r, &d->spi_size) ||
	    rp_rd_u16(&r, &d->nspi))
		return -1;
	/* tcpdump isakmp-delete-segfault: the SPI count must fit in what is there. */
	if (d->spi_size == 0 || (size_t)d->nspi * d->spi_size != rp_rd_left(&r))
		return -1;
	d->spis = rp_rd_ptr(&r);
	return 0;
}

int isakmp_natoa_parse(const uint8_t *body, size_t len, struct rp_addr *a)
{
	struct rp_rd r;
	uint8_t type;
	rp_rd_init(&r, body, len);
	memset(a, 0, sizeof *a);
	if (rp_rd_u8(&r, &type) || rp_rd_skip(&r, 3))
		return -1;
	if (type == ISAKMP_ID_IPV4 && rp_rd_left(&r) == 4)
		a->family = 4;
	else if (type == ISAKMP_ID_IPV6 && rp_rd_left(&r) == 16)
		a->family = 6;
	else
		return -1;
	return rp_rd_bytes(&r, a->ip, rp_rd_left(&r));
}

const char *isakmp_pl_name(uint8_t t)
{
	static const char *const names[] = {"NONE", "SA",  "P",     "T", "KE", "ID",  "CERT", "CR",
	                                    "HASH", "SIG", "NONCE", "N", "D",  "VID", "ATTR"};
	if (t < RP_ARRAY_LEN(names))
		return names[t];
	switch (t) {
	case ISAKMP_PL_NATD:
	case ISAKMP_PL_NATD_DRAFT:
		return "NAT-D";
	case ISAKMP_PL_NATOA:
	case ISAKMP_PL_NATOA_DRAFT:
		return "NAT-OA";
	default:
		return "?";
	}
}

const char *isakmp_exch_name(uint8_t e)
{
	switch (e) {
	case ISAKMP_EX_IDPROT:
		return "Main Mode";
	case ISAKMP_EX_AGGR:
		return "Aggressive Mode";
	case ISAKMP_EX_INFO:
		return "Informational";
	case ISAKMP_EX_QUICK:
		return "Quick Mode";
	case ISAKMP_EX_TRANSACTION:
		return "Transaction";
	default:
		return "unknown exchange";
	}
}
