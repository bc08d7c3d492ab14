/* The TCP checksum from scratch (RFC 9293 §3.1 pseudo-header, RFC 8200 §8.1 for IPv6), for the
 * MSS clamping tests and fuzz target to check ppp_mss_apply's incremental update against. */
#ifndef RP_MSS_TEST_UTIL_H
#define RP_MSS_TEST_UTIL_H
#include <stddef.h>
#include <stdint.h>

static inline uint32_t mss_t_sum(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

/* The one's-complement sum of pseudo-header and segment (checksum field included): 0xffff when
 * the checksum is right. tcp is the offset of the TCP header, seg its length to the end. */
static inline uint16_t mss_t_verify(const uint8_t *pkt, size_t tcp, size_t seg)
{
	uint32_t s = 0;
	if (pkt[0] >> 4 == 4)
		s = mss_t_sum(s, pkt + 12, 8);
	else
		s = mss_t_sum(s, pkt + 8, 32);
	s += 6 + (uint32_t)(seg & 0xffff) + (uint32_t)(seg >> 16);
	s = mss_t_sum(s, pkt + tcp, seg);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Writes the checksum of the segment at tcp (length seg). */
static inline void mss_t_fill(uint8_t *pkt, size_t tcp, size_t seg)
{
	pkt[tcp + 16] = pkt[tcp + 17] = 0;
	uint16_t s = (uint16_t)~mss_t_verify(pkt, tcp, seg);
	pkt[tcp + 16] = (uint8_t)(s >> 8);
	pkt[tcp + 17] = (uint8_t)s;
}
#endif
