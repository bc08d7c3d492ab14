/* TCP MSS clamping (mss.c): IPv4 and IPv6 SYN/SYN-ACK lowered with the checksum still right
 * (checked by a from-scratch sum), options in odd places, and every malformed or truncated form
 * left alone without a read past the end (each truncation is an exact-size heap copy, so ASan
 * sees a read of one byte too many). */
#include "check_main.h"
#include "mss_test_util.h"
#include "ppp.h"

#include <stdlib.h>
#include <string.h>

enum { SYN = 0x02, ACK = 0x10 };

/* An IPv4 (v6 = false) or IPv6 TCP segment with these options (a multiple of 4 bytes), flags and
 * payload; ext6 bytes of IPv6 extension headers (already chained, ending in next header 6) go
 * between the IPv6 header and TCP. Returns the packet length; *tcp gets the TCP offset. */
static size_t build(uint8_t *p, bool v6, const uint8_t *ext6, size_t next6, uint8_t first6,
                    const uint8_t *opts, size_t optlen, uint8_t flags, size_t payload, size_t *tcp)
{
	size_t t = v6 ? 40 + next6 : 20, seg = 20 + optlen + payload, n = t + seg;
	memset(p, 0, n);
	if (v6) {
		p[0] = 0x60;
		p[4] = (uint8_t)((n - 40) >> 8);
		p[5] = (uint8_t)(n - 40);
		p[6] = next6 ? first6 : 6;
		p[7] = 64;
		for (int i = 0; i < 16; i++) {
			p[8 + i] = (uint8_t)(0x20 + i);
			p[24 + i] = (uint8_t)(0xfd - i);
		}
		if (next6)
			memcpy(p + 40, ext6, next6);
	} else {
		p[0] = 0x45;
		p[2] = (uint8_t)(n >> 8);
		p[3] = (uint8_t)n;
		p[8] = 64;
		p[9] = 6;
		memcpy(p + 12, (uint8_t[]){100, 115, 92, 10, 198, 18, 7, 1}, 8);
	}
	uint8_t *h = p + t;
	h[0] = 0xc3;
	h[1] = 0x51; /* source port 50001 */
	h[3] = 80;
	h[4] = 0x12;
	h[7] = 0x78; /* sequence number */
	h[12] = (uint8_t)((20 + optlen) / 4 << 4);
	h[13] = flags;
	h[14] = 0xfa;
	h[15] = 0xf0; /* window */
	memcpy(h + 20, opts, optlen);
	for (size_t i = 0; i < payload; i++)
		h[20 + optlen + i] = (uint8_t)(i * 7 + 3);
	mss_t_fill(p, t, seg);
	*tcp = t;
	return n;
}

static const uint8_t linux_syn[] = {2,    4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x12,
                                    0x34, 0, 0,    0,    0, 1, 3, 3,  7}; /* MSS 1460, SACK, TS, NOP, WS */

START_TEST(ipv4_syn_clamped)
{
	uint8_t p[200];
	size_t tcp, n = build(p, false, NULL, 0, 0, linux_syn, sizeof linux_syn, SYN, 0, &tcp);
	ck_assert_uint_eq(mss_t_verify(p, tcp, n - tcp), 0xffff);
	ck_assert_int_eq(ppp_mss_clamp(p, n, 1360, 1340), 1);
	ck_assert_uint_eq(rp_get_u16(p + tcp + 22), 1360);
	ck_assert_uint_eq(mss_t_verify(p, tcp, n - tcp), 0xffff);
	/* done once: the lowered value is not above the limit any more */
	ck_assert_int_eq(ppp_mss_clamp(p, n, 1360, 1340), 0);
	/* SYN-ACK too, and its payload-carrying (TFO) form */
	n = build(p, false, NULL, 0, 0, linux_syn, sizeof linux_syn, SYN | ACK, 33, &tcp);
	ck_assert_int_eq(ppp_mss_clamp(p, n, 1000, 0), 1);
	ck_assert_uint_eq(rp_get_u16(p + tcp + 22), 1000);
	ck_assert_uint_eq(mss_t_verify(p, tcp, n - tcp), 0xffff);
}
END_TEST

START_TEST(ipv4_left_alone)
{
	uint8_t p[200];
	size_t tcp, n;
	/* already small enough */
	n = build(p, false, NULL, 0, 0, linux_syn, sizeof linux_syn, SYN, 0, &tcp);
	ck_assert_int_eq(ppp_mss_clamp(p, n, 1460, 1440), 0);
	ck_assert_int_eq(ppp_mss_clamp(p, n, 9000, 1), 0);
	/* IPv4 clamping off */
	ck_assert_int_eq(ppp_mss_clamp(p, n, 0, 1000), 0);
	/* not a SYN: an MSS option elsewhere is meaningless (RFC 9293 §3.7.1) and left */
	n = build(p, false, NULL, 0, 0, linux_syn, sizeof linux_syn, ACK, 10, &tcp);
	ck_assert_int_eq(ppp_mss_clamp(p, n, 500, 500), 0);
	/* a SYN without an MSS option */
	static const uint8_t nomss[] = {1, 1, 4, 2};
	n = build(p, false, NULL, 0, 0, nomss, sizeof nomss, SYN, 0, &tcp);
	ck_assert_int_eq(ppp_mss_clamp(p, n, 500, 500), 0);
	/* UDP with the same bytes */
	n = build(p, false, NULL, 0, 0, linux_syn, sizeof linux_syn, SYN, 0, &tcp);
	p[9] = 17;
	ck_assert_int_eq(ppp_mss_clamp(p, n, 500, 500), 0);
	/* a later fragment: its first bytes are payload, not a TCP header */
	p[9] = 6;
	p[7] = 0x10;
	ck_assert_int_eq(ppp_mss_clamp(p, n, 500, 500), 0);
	/* the first fragment (MF, offset 0) carries the header: clamped */
	p[6] = 0x20;
	p[7] = 0;
	ck_assert_int_eq(ppp_mss_clamp(p, n, 500, 500), 1);
	ck_assert_uint_eq(mss_t_verify(p, tcp, n - tcp), 0xffff);
}
END_TEST

/* The MSS option after 1, 2 and 3 NOPs (its value at odd and even offsets within the header),
 * after a timestamp, and the END option hiding one; random values and payloads of odd length. */
START_TEST(options_in_odd_places)
{
	uint32_t seed = 12345;
	for (int nops = 0; nops < 8; nops++) {
		for (int round = 0; round < 200; round++) {
			uint8_t o[40] = {0}, p[300];
			size_t k = 0;
			if (nops >= 4) { /* timestamp first: MSS at offset 20 + 10 + (nops - 4) */
				memcpy(o, (uint8_t[]){8, 10, 1, 2, 3, 4, 5, 6, 7, 8}, 10);
				k = 10;
			}
			for (int i = 0; i < nops % 4; i++)
				o[k++] = 1;
			seed = seed * 1103515245u + 12345u;
			uint16_t mss = (uint16_t)(seed >> 8);
			uint16_t max = (uint16_t)(seed >> 20 & 0xfff);
			size_t at = k + 2;
			o[k++] = 2;
			o[k++] = 4;
			o[k++] = (uint8_t)(mss >> 8);
			o[k++] = (uint8_t)mss;
			while (k % 4)
				o[k++] = 1;
			size_t tcp,
			    n = build(p, round & 1, NULL, 0, 0, o, k, SYN, (size_t)(seed >> 16) % 101, &tcp);
			int r = ppp_mss_clamp(p, n, max ? max : 1, max ? max : 1);
			uint16_t want = max ? max : 1;
			ck_assert_int_eq(r, mss > want);
			ck_assert_uint_eq(rp_get_u16(p + tcp + 20 + at), mss > want ? want : mss);
			ck_assert_uint_eq(mss_t_verify(p, tcp, n - tcp), 0xffff);
		}
	}
	/* END before MSS: no option follows END */
	static const uint8_t end_first[] = {0, 2, 4, 5, 0xb4, 0, 0, 0};
	uint8_t p[100];
	size_t tcp, n = build(p, false, NULL, 0, 0, end_first, sizeof end_first, SYN, 0, &tcp);
	ck_assert_int_eq(ppp_mss_clamp(p, n, 500, 500), 0);
}
END_TEST

START_TEST(ipv6_syn_and_extension_headers)
{
	uint8_t p[300];
	size_t tcp, n = build(p, true, NULL, 0, 0, linux_syn, sizeof linux_syn, SYN, 0, &tcp);
	ck_assert_uint_eq(tcp, 40);
	ck_assert_int_eq(ppp_mss_clamp(p, n, 1360, 0), 0); /* IPv6 off */
	ck_assert_int_eq(ppp_mss_clamp(p, n, 0, 1340), 1);
	ck_assert_uint_eq(rp_get_u16(p + tcp + 22), 1340);
	ck_assert_uint_eq(mss_t_verify(p, tcp, n - tcp), 0xffff);
	/* Hop-by-Hop (8 bytes, PadN) then Destination Options (16 bytes) then TCP */
	uint8_t ext[24] = {60, 0, 1, 4, 0, 0, 0, 0, 6, 1, 1, 10};
	n = build(p, true, ext, sizeof ext, 0, linux_syn, sizeof linux_syn, SYN | ACK, 5, &tcp);
	ck_assert_uint_eq(tcp, 64);
	ck_assert_int_eq(ppp_mss_clamp(p, n, 0, 1220), 1);
	ck_assert_uint_eq(rp_get_u16(p + tcp + 22), 1220);
	ck_assert_uint_eq(mss_t_verify(p, tcp, n - tcp), 0xffff);
	/* a first fragment header then TCP: clamped; a later fragment: left alone */
	uint8_t frag[8] = {6, 0, 0, 1, 0, 0, 0, 9};
	n = build(p, true, frag, sizeof frag, 44, linux_syn, sizeof linux_syn, SYN, 0, &tcp);
	ck_assert_int_eq(ppp_mss_clamp(p, n, 0, 1220), 1);
	ck_assert_uint_eq(mss_t_verify(p, tcp, n - tcp), 0xffff);
	frag[3] = 0x09; /* offset 1 (8 bytes), M set */
	n = build(p, true, frag, sizeof frag, 44, linux_syn, sizeof linux_syn, SYN, 0, &tcp);
	ck_assert_int_eq(ppp_mss_clamp(p, n, 0, 1220), 0);
	/* an unknown next header (ESP) */
	n = build(p, true, NULL, 0, 0, linux_syn, sizeof linux_syn, SYN, 0, &tcp);
	p[6] = 50;
	ck_assert_int_eq(ppp_mss_clamp(p, n, 0, 1220), 0);
}
END_TEST

/* Each prefix of a packet in an exact-size allocation: a read past n is an ASan error. Only the
 * whole packet (or one cut in its payload) may be clamped. */
static void each_truncation(const uint8_t *p, size_t n, size_t need)
{
	for (size_t k = 0; k <= n; k++) {
		uint8_t *c = malloc(k ? k : 1);
		memcpy(c, p, k);
		/* the length fields still claim the whole packet: a cut packet must not trust them */
		int r = ppp_mss_clamp(c, k, 500, 500);
		ck_assert_int_eq(r, k >= need);
		free(c);
	}
}

START_TEST(truncated_everywhere)
{
	uint8_t p[300];
	size_t tcp, n = build(p, false, NULL, 0, 0, linux_syn, sizeof linux_syn, SYN, 7, &tcp);
	each_truncation(p, n, tcp + 20 + sizeof linux_syn);
	uint8_t ext[8] = {6, 0, 1, 4, 0, 0, 0, 0};
	n = build(p, true, ext, sizeof ext, 0, linux_syn, sizeof linux_syn, SYN, 3, &tcp);
	each_truncation(p, n, tcp + 20 + sizeof linux_syn);
}
END_TEST

START_TEST(malformed_options)
{
	static const uint8_t bad[][8] = {
	    {2, 0, 5, 0xb4, 1, 1, 1, 1},     /* length 0 */
	    {2, 1, 5, 0xb4, 1, 1, 1, 1},     /* length 1 */
	    {2, 3, 5, 0xb4, 1, 1, 1, 1},     /* MSS with length 3 */
	    {2, 5, 5, 0xb4, 0, 1, 1, 1},     /* MSS with length 5 */
	    {8, 0, 2, 4, 5, 0xb4, 1, 1},     /* an option of length 0 before it */
	    {1, 1, 1, 1, 1, 1, 8, 9},        /* the last option runs past the header */
	    {1, 1, 1, 1, 1, 1, 1, 2},        /* a kind with no room for its length */
	    {1, 1, 1, 1, 2, 4, 5, 0xb4 - 1}, /* fine: the control case */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t p[100];
		size_t tcp, n = build(p, i & 1, NULL, 0, 0, bad[i], 8, SYN, 0, &tcp);
		each_truncation(p, n, i == 7 ? n : n + 1);
		ck_assert_int_eq(ppp_mss_clamp(p, n, 500, 500), i == 7);
	}
	/* data offset below 5, and above what the packet holds */
	uint8_t p[100];
	size_t tcp, n = build(p, false, NULL, 0, 0, linux_syn, sizeof linux_syn, SYN, 0, &tcp);
	p[tcp + 12] = 0x40;
	ck_assert_int_eq(ppp_mss_clamp(p, n, 500, 500), 0);
	p[tcp + 12] = 0xf0;
	ck_assert_int_eq(ppp_mss_clamp(p, n, 500, 500), 0);
	/* IHL below 5, and an IPv4 total length shorter than the options */
	n = build(p, false, NULL, 0, 0, linux_syn, sizeof linux_syn, SYN, 0, &tcp);
	p[0] = 0x44;
	ck_assert_int_eq(ppp_mss_clamp(p, n, 500, 500), 0);
	p[0] = 0x45;
	p[3] = 30;
	ck_assert_int_eq(ppp_mss_clamp(p, n, 500, 500), 0);
	/* an IPv6 extension header longer than the packet */
	uint8_t ext[8] = {6, 200};
	n = build(p, true, ext, sizeof ext, 0, linux_syn, sizeof linux_syn, SYN, 0, &tcp);
	ck_assert_int_eq(ppp_mss_clamp(p, n, 500, 500), 0);
	/* not IP at all */
	p[0] = 0x15;
	ck_assert_int_eq(ppp_mss_clamp(p, n, 500, 500), 0);
}
END_TEST

static Suite *mss_suite(void)
{
	Suite *s = suite_create("mss");
	TCase *tc = tcase_create("mss");
	tcase_add_test(tc, ipv4_syn_clamped);
	tcase_add_test(tc, ipv4_left_alone);
	tcase_add_test(tc, options_in_odd_places);
	tcase_add_test(tc, ipv6_syn_and_extension_headers);
	tcase_add_test(tc, truncated_everywhere);
	tcase_add_test(tc, malformed_options);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(mss_suite)
