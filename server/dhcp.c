/* DHCPINFORM -> DHCPACK (RFC 2131 §3.4, §4.3.5): the client already has its address (IPCP), so
 * the answer carries parameters only: yiaddr 0, sent to ciaddr. */
#include <string.h>

#include "dhcp.h"
#include "rp_base.h"

#define BOOTP_MIN 236 /* fixed part up to and including file[] */
#define MAGIC 0x63825363u

enum {
	OPT_PAD = 0,
	OPT_DNS = 6,
	OPT_DOMAIN = 15,
	OPT_WINS = 44,
	OPT_MSG_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_PRL = 55,
	OPT_ROUTES = 121,
	OPT_MS_ROUTES = 249,
	OPT_END = 255,
};

/* The option's bytes in the request, or NULL. Bounded: a malformed list ends the search. */
static const uint8_t *find_opt(const uint8_t *o, size_t n, uint8_t code, uint8_t *len)
{
	size_t i = 0;
	while (i < n && o[i] != OPT_END) {
		if (o[i] == OPT_PAD) {
			i++;
			continue;
		}
		if (i + 1 >= n || i + 2 + o[i + 1] > n)
			return NULL;
		if (o[i] == code) {
			*len = o[i + 1];
			return o + i + 2;
		}
		i += 2u + o[i + 1];
	}
	return NULL;
}

static int requested(const uint8_t *prl, uint8_t prl_len, uint8_t code)
{
	if (!prl)
		return 1; /* no list: everything we have */
	for (uint8_t i = 0; i < prl_len; i++)
		if (prl[i] == code)
			return 1;
	return 0;
}

/* RFC 3442 §3: prefix length, the significant octets of the destination, the router. */
static void put_routes(struct rp_wr *w, uint8_t code, const struct dhcp_conf *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nroutes; i++)
		n += 1u + (c->routes[i].len + 7u) / 8u + 4u;
	if (!c->nroutes || n > 255)
		return; /* 16 routes of /32 would not fit one option; the parser caps the count */
	rp_wr_u8(w, code);
	rp_wr_u8(w, (uint8_t)n);
	for (size_t i = 0; i < c->nroutes; i++) {
		uint8_t net[4];
		rp_put_u32(net, c->routes[i].net);
		rp_wr_u8(w, c->routes[i].len);
		rp_wr_bytes(w, net, (c->routes[i].len + 7u) / 8u);
		rp_wr_u32(w, c->server);
	}
}

static void put_addrs(struct rp_wr *w, uint8_t code, const uint32_t a[2])
{
	int n = (a[0] != 0) + (a[1] != 0);
	if (!n)
		return;
	rp_wr_u8(w, code);
	rp_wr_u8(w, (uint8_t)(4 * n));
	for (int i = 0; i < 2; i++)
		if (a[i])
			rp_wr_u32(w, a[i]);
}

enum dhcp_verdict dhcp_inform(const struct dhcp_conf *c, const uint8_t *pkt, size_t len, uint8_t *out,
                              size_t *outlen, const char **why)
{
	if (len < 20 || pkt[0] >> 4 != 4 || pkt[9] != 17)
		return DHCP_NOT_DHCP;
	size_t ihl = (size_t)(pkt[0] & 15) * 4;
	if (ihl < 20 || len < ihl + 8 || rp_get_u16(pkt + ihl + 2) != 67)
		return DHCP_NOT_DHCP;
	uint32_t src = rp_get_u32(pkt + 12), dst = rp_get_u32(pkt + 16);
	const uint8_t *b = pkt + ihl + 8;
	size_t bl = len - ihl - 8, ul = rp_get_u16(pkt + ihl + 4);
	if (ul >= 8 && ul - 8 < bl)
		bl = ul - 8; /* trailing bytes beyond the UDP length are not ours */
	*why = "not a DHCP request";
	if (dst != 0xffffffffu && dst != c->server)
		return (*why = "DHCP to an address other than ours or broadcast"), DHCP_DROP;
	if (bl < BOOTP_MIN + 4 || b[0] != 1 || rp_get_u32(b + BOOTP_MIN) != MAGIC)
		return DHCP_DROP;
	const uint8_t *opts = b + BOOTP_MIN + 4;
	size_t ol = bl - BOOTP_MIN - 4;
	uint8_t tl = 0, prl_len = 0;
	const uint8_t *type = find_opt(opts, ol, OPT_MSG_TYPE, &tl),
	              *prl = find_opt(opts, ol, OPT_PRL, &prl_len);
	if (!type || tl != 1 || type[0] != 8)
		return (*why = "DHCP message other than DHCPINFORM (the address comes from IPCP)"), DHCP_DROP;
	uint32_t ciaddr = rp_get_u32(b + 12);
	if (ciaddr != src || !src)
		return (*why = "DHCPINFORM whose ciaddr is not its source address"), DHCP_DROP;

	/* the answer: IPv4 + UDP + BOOTP */
	memset(out, 0, DHCP_MAX_ANSWER);
	uint8_t *ip = out, *udp = out + 20, *r = out + 28;
	struct rp_wr w;
	memcpy(r, b, 4); /* op htype hlen hops */
	r[0] = 2;
	r[3] = 0;
	memcpy(r + 4, b + 4, 4);   /* xid */
	memcpy(r + 10, b + 10, 2); /* flags */
	rp_put_u32(r + 12, ciaddr);
	memcpy(r + 28, b + 28, 16); /* chaddr */
	rp_put_u32(r + BOOTP_MIN, MAGIC);
	rp_wr_init(&w, r + BOOTP_MIN + 4, DHCP_MAX_ANSWER - 28 - BOOTP_MIN - 4);
	rp_wr_u8(&w, OPT_MSG_TYPE);
	rp_wr_u8(&w, 1);
	rp_wr_u8(&w, 5); /* DHCPACK */
	rp_wr_u8(&w, OPT_SERVER_ID);
	rp_wr_u8(&w, 4);
	rp_wr_u32(&w, c->server);
	if (requested(prl, prl_len, OPT_ROUTES))
		put_routes(&w, OPT_ROUTES, c);
	if (requested(prl, prl_len, OPT_MS_ROUTES))
		put_routes(&w, OPT_MS_ROUTES, c);
	size_t dl = c->domain ? strnlen(c->domain, 255) : 0;
	if (dl && requested(prl, prl_len, OPT_DOMAIN)) {
		rp_wr_u8(&w, OPT_DOMAIN);
		rp_wr_u8(&w, (uint8_t)dl);
		rp_wr_bytes(&w, c->domain, dl);
	}
	if (requested(prl, prl_len, OPT_DNS))
		put_addrs(&w, OPT_DNS, c->dns);
	if (requested(prl, prl_len, OPT_WINS))
		put_addrs(&w, OPT_WINS, c->wins);
	rp_wr_u8(&w, OPT_END);
	if (!rp_wr_ok(&w))
		return (*why = "answer too large"), DHCP_DROP;
	size_t blen = BOOTP_MIN + 4 + w.len;
	if (blen < 300)
		blen = 300; /* BOOTP's minimum message (RFC 1542 §2.1): some clients insist */

	ip[0] = 0x45;
	rp_put_u16(ip + 2, (uint16_t)(20 + 8 + blen));
	ip[8] = 64;
	ip[9] = 17;
	rp_put_u32(ip + 12, c->server);
	rp_put_u32(ip + 16, ciaddr);
	rp_put_u16(ip + 10, (uint16_t)~rp_fold16(rp_sum16(0, ip, 20)));
	rp_put_u16(udp, 67);
	rp_put_u16(udp + 2, 68);
	rp_put_u16(udp + 4, (uint16_t)(8 + blen));
	uint8_t pseudo[12];
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	rp_put_u16(pseudo + 10, (uint16_t)(8 + blen));
	uint16_t sum = (uint16_t)~rp_fold16(rp_sum16(rp_sum16(0, pseudo, 12), udp, 8 + blen));
	rp_put_u16(udp + 6, sum ? sum : 0xffff);
	*outlen = 28 + blen;
	return DHCP_ANSWER;
}
