/* TCP MSS clamping (issue 11): a TCP SYN or SYN-ACK crossing the tunnel has the Maximum Segment
 * Size option (RFC 9293 §3.7.1, kind 2 length 4) lowered to what fits the tunnel, so neither end
 * sends segments the PPP MRU or the TUN MTU would drop (PMTU discovery is often blackholed).
 * Pure functions over one IP packet: bounded reads only, malformed or truncated headers and
 * options mean "nothing to do", never a read past n. */
#include <string.h>

#include "ppp.h"

/* TCP options between byte 20 and the data offset: the value offset of a well-formed MSS option,
 * 0 when there is none. Kinds 0 (end) and 1 (NOP) are one byte; every other option carries its
 * length (RFC 9293 §3.1), and a length below 2 or past the header ends the walk. */
static size_t find_mss_opt(const uint8_t *tcp, size_t hlen)
{
	size_t i = 20;
	while (i < hlen) {
		uint8_t kind = tcp[i];
		if (kind == 0)
			return 0;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hlen)
			return 0;
		uint8_t len = tcp[i + 1];
		if (len < 2 || len > hlen - i)
			return 0;
		if (kind == 2)
			return len == 4 ? i + 2 : 0;
		i += len;
	}
	return 0;
}

/* IPv6 extension headers a SYN may carry before TCP (RFC 8200 §4): Hop-by-Hop, Routing,
 * Destination Options (length in 8-octet units past the first 8) and Fragment (first fragment
 * only). At most 8 are walked: a longer chain is not a SYN anyone sends. */
static size_t ip6_tcp_offset(const uint8_t *p, size_t n)
{
	uint8_t next = p[6];
	size_t off = 40;
	for (int k = 0; k < 8; k++) {
		if (next == 6)
			return off;
		if (n < off + 8)
			return 0;
		if (next == 0 || next == 43 || next == 60) {
			size_t len = ((size_t)p[off + 1] + 1) * 8;
			next = p[off];
			off += len;
		} else if (next == 44) {
			if ((rp_get_u16(p + off + 2) & 0xfff8) != 0)
				return 0; /* not the first fragment: no TCP header here */
			next = p[off];
			off += 8;
		} else
			return 0;
	}
	return 0;
}

bool ppp_mss_find(const uint8_t *pkt, size_t n, uint16_t max4, uint16_t max6, struct ppp_mss_at *at)
{
	size_t tcp;
	uint16_t max;
	if (n < 20)
		return false;
	if (pkt[0] >> 4 == 4) {
		size_t ihl = (size_t)(pkt[0] & 15) * 4;
		/* the common case leaves here: not TCP, or TCP without SYN (read within n) */
		if (!max4 || pkt[9] != 6 || n < ihl + 20 || !(pkt[ihl + 13] & 0x02))
			return false;
		if (rp_get_u16(pkt + 2) < n) /* link-layer padding past the datagram is not TCP */
			n = rp_get_u16(pkt + 2);
		if (ihl < 20 || (rp_get_u16(pkt + 6) & 0x1fff))
			return false; /* a later fragment */
		tcp = ihl;
		max = max4;
	} else if (pkt[0] >> 4 == 6) {
		if (n >= 40 && 40u + rp_get_u16(pkt + 4) < n)
			n = 40u + rp_get_u16(pkt + 4);
		if (!max6 || n < 40 || !(tcp = ip6_tcp_offset(pkt, n)))
			return false;
		max = max6;
	} else
		return false;
	if (tcp > n || n - tcp < 20 || !(pkt[tcp + 13] & 0x02))
		return false; /* no whole TCP header, or not SYN (SYN-ACK has SYN too) */
	size_t hlen = (size_t)(pkt[tcp + 12] >> 4) * 4;
	if (hlen <= 20 || hlen > n - tcp)
		return false;
	size_t opt = find_mss_opt(pkt + tcp, hlen);
	if (!opt)
		return false;
	uint16_t mss = rp_get_u16(pkt + tcp + opt);
	if (mss <= max)
		return false;
	at->val = tcp + opt;
	at->csum = tcp + 16;
	at->mss = mss;
	at->max = max;
	return true;
}

/* The checksum, updated incrementally (rp_csum_replace, RFC 1624), sums 16-bit words aligned to
 * the TCP header (which starts at an even offset of the IP packet): an MSS value at an odd offset
 * straddles two words, so the four bytes from the one before it are replaced. */
void ppp_mss_apply(uint8_t *pkt, const struct ppp_mss_at *at)
{
	size_t w = at->val - ((at->val - at->csum) & 1), n = w == at->val ? 2 : 4;
	uint8_t old[4];
	memcpy(old, pkt + w, n);
	rp_put_u16(pkt + at->val, at->max);
	rp_put_u16(pkt + at->csum, rp_csum_replace(rp_get_u16(pkt + at->csum), old, pkt + w, n));
}

int ppp_mss_clamp(uint8_t *pkt, size_t n, uint16_t max4, uint16_t max6)
{
	struct ppp_mss_at at;
	if (!ppp_mss_find(pkt, n, max4, max6, &at))
		return 0;
	ppp_mss_apply(pkt, &at);
	return 1;
}
