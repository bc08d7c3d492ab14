/* Router Solicitation -> Router Advertisement on a PPP link (RFC 4861 §6.1.1, §6.2.3, §4.2),
 * with the options a client needs for SLAAC and DNS: Prefix Information (§4.6.2) and RFC 8106
 * RDNSS/DNSSL. */
#include <string.h>

#include "ra.h"
#include "rp_base.h"

enum {
	ICMP6_RS = 133,
	ICMP6_RA = 134,
	OPT_SLLA = 1,
	OPT_PREFIX = 3,
	OPT_RDNSS = 25,
	OPT_DNSSL = 31,
	NH_ICMP6 = 58,
};

static const uint8_t all_nodes[16] = {0xff, 2, [15] = 1}, all_routers[16] = {0xff, 2, [15] = 2};

/* The ICMPv6 checksum over the pseudo-header (RFC 8200 §8.1) and the message. */
static uint16_t icmp6_sum(const uint8_t *ip6, const uint8_t *m, size_t n)
{
	uint32_t s = rp_sum16(0, ip6 + 8, 32); /* source and destination */
	s += (uint32_t)(n >> 16) + (uint32_t)(n & 0xffff) + NH_ICMP6;
	return (uint16_t)~rp_fold16(rp_sum16(s, m, n));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	rp_put_u32(p, (uint32_t)(v >> 32));
	rp_put_u32(p + 4, (uint32_t)v);
}

/* RFC 1035 §3.1 labels, as RFC 8106 §5.2 wants them in DNSSL. 0 when the name does not fit. */
static size_t dns_name(const char *name, uint8_t *out, size_t cap)
{
	size_t o = 0;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		if (l == 0 || l > 63 || o + 1 + l + 1 > cap)
			return 0;
		out[o++] = (uint8_t)l;
		memcpy(out + o, name, l);
		o += l;
		name += l + (dot ? 1 : 0);
	}
	if (!o)
		return 0;
	out[o++] = 0;
	return o;
}

size_t ra_build(const struct ra_conf *c, const struct ra_link *l, const uint8_t dst[16], uint8_t *out,
                size_t cap)
{
	struct rp_wr w;
	if (cap < 40 + 16)
		return 0;
	memset(out, 0, 40);
	out[0] = 0x60;
	out[6] = NH_ICMP6;
	out[7] = 255; /* §6.1.2: a receiver drops an RA whose hop limit is not 255 */
	out[8] = 0xfe;
	out[9] = 0x80;
	put_u64(out + 16, l->our_ifid);
	memcpy(out + 24, dst, 16);
	uint32_t life = c->router_lifetime_s > 9000 ? 9000 : c->router_lifetime_s;
	rp_wr_init(&w, out + 40, cap - 40);
	rp_wr_u8(&w, ICMP6_RA);
	rp_wr_u8(&w, 0);
	rp_wr_u16(&w, 0); /* checksum, below */
	rp_wr_u8(&w, 64); /* Cur Hop Limit */
	rp_wr_u8(&w, 0);  /* M=0 O=0: no DHCPv6, everything is in here */
	rp_wr_u16(&w, (uint16_t)life);
	rp_wr_u32(&w, 0); /* Reachable Time: unspecified */
	rp_wr_u32(&w, 0); /* Retrans Timer: unspecified */
	if (l->prefix) {
		/* §4.6.2: on-link and autonomous; the /64 is the session's alone */
		rp_wr_u8(&w, OPT_PREFIX);
		rp_wr_u8(&w, 4);
		rp_wr_u8(&w, 64);
		rp_wr_u8(&w, 0xc0);
		rp_wr_u32(&w, c->valid_s ? c->valid_s : 86400);
		rp_wr_u32(&w, c->preferred_s ? c->preferred_s : 14400);
		rp_wr_u32(&w, 0);
		rp_wr_u64(&w, l->prefix);
		rp_wr_u64(&w, 0);
	}
	/* RFC 8106 §5.1: lifetime at least 3 × MaxRtrAdvInterval is advised; a client asks again
	 * with a Router Solicitation when it needs to */
	uint32_t dlife = life ? life : 1800;
	if (c->ndns) {
		rp_wr_u8(&w, OPT_RDNSS);
		rp_wr_u8(&w, (uint8_t)(1 + 2 * c->ndns));
		rp_wr_u16(&w, 0);
		rp_wr_u32(&w, dlife);
		for (unsigned i = 0; i < c->ndns && i < 2; i++)
			rp_wr_bytes(&w, c->dns[i], 16);
	}
	uint8_t name[256];
	size_t nl = c->domain && c->domain[0] ? dns_name(c->domain, name, sizeof name) : 0;
	if (nl) {
		size_t olen = (8 + nl + 7) / 8; /* padded with zeros to 8 octets (§5.2) */
		rp_wr_u8(&w, OPT_DNSSL);
		rp_wr_u8(&w, (uint8_t)olen);
		rp_wr_u16(&w, 0);
		rp_wr_u32(&w, dlife);
		rp_wr_bytes(&w, name, nl);
		rp_wr_zero(&w, olen * 8 - 8 - nl);
	}
	if (!rp_wr_ok(&w))
		return 0;
	rp_put_u16(out + 4, (uint16_t)w.len);
	rp_put_u16(out + 42, icmp6_sum(out, out + 40, w.len));
	return 40 + w.len;
}

enum ra_verdict ra_input(const struct ra_conf *c, const struct ra_link *l, const uint8_t *pkt, size_t len,
                         uint8_t *out, size_t *outlen, const char **why)
{
	const uint8_t *dst = pkt + 24;
	*why = "";
	if (len < 40)
		return (*why = "short IPv6 packet"), RA_LOCAL;
	/* link-local (fe80::/10) and multicast destinations belong to the link, not the TUN */
	bool link = (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80) || dst[0] == 0xff;
	if (!link)
		return RA_FORWARD;
	size_t plen = rp_get_u16(pkt + 4);
	if (plen > len - 40)
		return (*why = "IPv6 payload length beyond the packet"), RA_LOCAL;
	const uint8_t *m = pkt + 40;
	/* §6.1.1: hop limit 255, code 0, at least 8 octets, a valid checksum; no extension headers
	 * are expected from a host soliciting */
	if (pkt[6] != NH_ICMP6 || plen < 8 || m[0] != ICMP6_RS)
		return (*why = "link-scoped IPv6 other than a Router Solicitation"), RA_LOCAL;
	if (pkt[7] != 255 || m[1] != 0)
		return (*why = "Router Solicitation with hop limit other than 255 (RFC 4861 §6.1.1)"),
		       RA_LOCAL;
	if (icmp6_sum(pkt, m, plen) != 0)
		return (*why = "Router Solicitation with a bad checksum"), RA_LOCAL;
	if (memcmp(dst, all_routers, 16) &&
	    !(dst[0] == 0xfe && dst[1] == 0x80 && rp_get_u32(dst + 8) == (uint32_t)(l->our_ifid >> 32) &&
	      rp_get_u32(dst + 12) == (uint32_t)l->our_ifid))
		return (*why = "Router Solicitation to someone else"), RA_LOCAL;
	bool unspec = true;
	for (int i = 8; i < 24; i++)
		unspec &= pkt[i] == 0;
	for (size_t o = 8; o < plen;) { /* options must be well formed (length > 0) */
		if (o + 2 > plen || m[o + 1] == 0 || o + m[o + 1] * 8u > plen)
			return (*why = "Router Solicitation with a malformed option"), RA_LOCAL;
		if (m[o] == OPT_SLLA && unspec)
			return (*why = "Router Solicitation from :: with a link-layer address"), RA_LOCAL;
		o += m[o + 1] * 8u;
	}
	/* §6.2.6: answered to the soliciting host's address, or to all nodes when it has none */
	*outlen = ra_build(c, l, unspec ? all_nodes : pkt + 8, out, RA_MAX);
	return *outlen ? RA_ANSWER : ((*why = "answer too large"), RA_LOCAL);
}
