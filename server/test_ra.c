/* Router Advertisements (server/ra.c), read back by tshark's ICMPv6 dissector (an independent
 * implementation): the Router Solicitation is the one the Linux kernel sends on a PPP link (RFC
 * 4861 §4.1: from the link-local address pppd configured from IPV6CP, to ff02::2, hop limit
 * 255, no link-layer address option since PPP has none). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "tshark_view.h"
#include "ra.h"
#include "rp_base.h"

static const uint8_t peer_ll[16] = {0xfe, 0x80, [8] = 0xa8, 0x95, 0xc4, 0xfe, 0x27, 0xa0, 0xda, 0x70};
static const struct ra_link lnk = {.prefix = 0x20010db801000007ull, .our_ifid = 1};

static struct ra_conf conf(void)
{
	struct ra_conf c = {.ndns = 2, .domain = "corp.example", .router_lifetime_s = 1800};
	struct rp_addr a;
	rp_addr_parse(&a, "2001:db8::53");
	memcpy(c.dns[0], a.ip, 16);
	rp_addr_parse(&a, "2001:db8::54");
	memcpy(c.dns[1], a.ip, 16);
	return c;
}

static uint16_t sum6(const uint8_t *ip, const uint8_t *m, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 8; i < 40; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	s += (uint32_t)n + 58;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(m[i] << 8 | m[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The kernel's RS: 8 octets of ICMPv6 */
static size_t rs(uint8_t *p, const uint8_t src[16], const uint8_t dst[16])
{
	memset(p, 0, 48);
	p[0] = 0x60;
	rp_put_u16(p + 4, 8);
	p[6] = 58;
	p[7] = 255;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	p[40] = 133;
	rp_put_u16(p + 42, sum6(p, p + 40, 8));
	return 48;
}

static const uint8_t ff02_2[16] = {0xff, 2, [15] = 2};

START_TEST(rs_answered)
{
	struct ra_conf c = conf();
	uint8_t req[64], ans[RA_MAX];
	size_t n = rs(req, peer_ll, ff02_2), an = 0;
	const char *why;
	ck_assert_int_eq(ra_input(&c, &lnk, req, n, ans, &an, &why), RA_ANSWER);
	ck_assert_uint_eq(ans[7], 255);
	ck_assert(!memcmp(ans + 24, peer_ll, 16)); /* §6.2.6: to the soliciting host */
	char *v = rp_tshark_view(ans, an);
	ck_assert_msg(strstr(v, "Source Address: fe80::1"), "%s", v);
	ck_assert_msg(strstr(v, "Destination Address: fe80::a895:c4fe:27a0:da70"), "%s", v);
	ck_assert_msg(strstr(v, "Type: Router Advertisement (134)"), "%s", v);
	ck_assert_msg(strstr(v, "[Checksum Status: Good]"), "%s", v);
	ck_assert_msg(strstr(v, "Router lifetime (s): 1800"), "%s", v);
	ck_assert_msg(strstr(v, "Prefix Length: 64"), "%s", v);
	ck_assert_msg(strstr(v, "Prefix: 2001:db8:100:7::"), "%s", v);
	ck_assert_msg(strstr(v, "1... .... = On-link flag(L): Set"), "%s", v);
	ck_assert_msg(strstr(v, ".1.. .... = Autonomous address-configuration flag(A): Set"), "%s", v);
	ck_assert_msg(strstr(v, "Recursive DNS Servers: 2001:db8::53"), "%s", v);
	ck_assert_msg(strstr(v, "Recursive DNS Servers: 2001:db8::54"), "%s", v);
	ck_assert_msg(strstr(v, "Domain Names: corp.example"), "%s", v);
	ck_assert_msg(!strstr(v, "Malformed") && !strstr(v, "Expert Info (Warn"), "%s", v);

	/* from :: (no address yet): to all nodes; no DNS configured: no RDNSS */
	c.ndns = 0;
	c.domain = NULL;
	n = rs(req, (const uint8_t[16]){0}, ff02_2);
	ck_assert_int_eq(ra_input(&c, &lnk, req, n, ans, &an, &why), RA_ANSWER);
	v = rp_tshark_view(ans, an);
	ck_assert_msg(strstr(v, "Destination Address: ff02::1"), "%s", v);
	ck_assert_msg(strstr(v, "[Checksum Status: Good]"), "%s", v);
	ck_assert_msg(!strstr(v, "Recursive DNS") && !strstr(v, "DNS Search List"), "%s", v);
}
END_TEST

START_TEST(other_traffic)
{
	struct ra_conf c = conf();
	uint8_t req[64], ans[RA_MAX];
	size_t n, an;
	const char *why;
	/* a global destination goes on to the TUN */
	uint8_t g[16] = {0x20, 0x01, 0x0d, 0xb8, 1, 0, [15] = 1};
	n = rs(req, peer_ll, g);
	ck_assert_int_eq(ra_input(&c, &lnk, req, n, ans, &an, &why), RA_FORWARD);
	/* an RS with a bad checksum, a wrong hop limit, to another router: dropped with a reason */
	n = rs(req, peer_ll, ff02_2);
	req[47] ^= 1;
	ck_assert_int_eq(ra_input(&c, &lnk, req, n, ans, &an, &why), RA_LOCAL);
	ck_assert_ptr_nonnull(strstr(why, "checksum"));
	n = rs(req, peer_ll, ff02_2);
	req[7] = 64;
	ck_assert_int_eq(ra_input(&c, &lnk, req, n, ans, &an, &why), RA_LOCAL);
	ck_assert_ptr_nonnull(strstr(why, "hop limit"));
	uint8_t other[16] = {0xfe, 0x80, [15] = 9};
	n = rs(req, peer_ll, other);
	ck_assert_int_eq(ra_input(&c, &lnk, req, n, ans, &an, &why), RA_LOCAL);
	/* to our own link-local address: answered */
	uint8_t ours[16] = {0xfe, 0x80, [15] = 1};
	n = rs(req, peer_ll, ours);
	ck_assert_int_eq(ra_input(&c, &lnk, req, n, ans, &an, &why), RA_ANSWER);
	/* MLD report to ff02::16: link-local, dropped */
	uint8_t mld[16] = {0xff, 2, [15] = 0x16};
	n = rs(req, peer_ll, mld);
	req[40] = 143;
	ck_assert_int_eq(ra_input(&c, &lnk, req, n, ans, &an, &why), RA_LOCAL);
	/* every truncation: never an answer from a short packet, never a read beyond */
	n = rs(req, peer_ll, ff02_2);
	for (size_t l = 0; l < n; l++) {
		uint8_t *cp = malloc(l ? l : 1);
		memcpy(cp, req, l);
		ck_assert_int_ne(ra_input(&c, &lnk, cp, l, ans, &an, &why), RA_ANSWER);
		free(cp);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ra");
	TCase *tc = tcase_create("ra");
	tcase_add_test(tc, rs_answered);
	tcase_add_test(tc, other_traffic);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(suite)
