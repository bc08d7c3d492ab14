/* DHCPINFORM answers (server/dhcp.c), checked by our reading and by tshark's DHCP dissector (an
 * independent implementation): the classless static routes it decodes from options 121 and 249
 * must be the configured ones. The request has the layout RFC 2131 §4.4.3 gives a DHCPINFORM
 * (ciaddr = the client's address, yiaddr 0) with the options a Windows client puts in it: client
 * identifier, host name, vendor class "MSFT 5.0" and a parameter request list naming 121 and 249
 * (Microsoft [MS-DHCPE] §2.2.9 for 249). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "tshark_view.h"
#include "dhcp.h"
#include "rp_base.h"

#define SERVER 0xc6120501u /* 198.18.5.1 */
#define CLIENT 0xc612050au /* 198.18.5.10 */

static const struct dhcp_route routes[] = {{0xc6126300u, 24}, {0xc6130000u, 16}, {0x0a000000u, 8}};
static const struct dhcp_conf conf = {
    .server = SERVER, .routes = routes, .nroutes = 3, .domain = "corp.example", .dns = {0xc6120035u, 0}};

static size_t inform(uint8_t *p, uint32_t src, uint32_t dst, uint8_t type, bool prl)
{
	memset(p, 0, 600);
	uint8_t *b = p + 28, *o = b + 240;
	b[0] = 1, b[1] = 1, b[2] = 6;
	rp_put_u32(b + 4, 0x5e1f00d5);
	rp_put_u32(b + 12, src);
	memcpy(b + 28, "\x00\x15\x5d\x01\x02\x03", 6);
	rp_put_u32(b + 236, 0x63825363);
	size_t n = 0;
	o[n++] = 53, o[n++] = 1, o[n++] = type;
	o[n++] = 61, o[n++] = 7, o[n++] = 1;
	memcpy(o + n, b + 28, 6), n += 6;
	o[n++] = 12, o[n++] = 15;
	memcpy(o + n, "DESKTOP-RAMPART", 15), n += 15;
	o[n++] = 60, o[n++] = 8;
	memcpy(o + n, "MSFT 5.0", 8), n += 8;
	if (prl) {
		static const uint8_t l[] = {1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252};
		o[n++] = 55, o[n++] = sizeof l;
		memcpy(o + n, l, sizeof l), n += sizeof l;
	}
	o[n++] = 255;
	size_t blen = 240 + n, len = 28 + blen;
	p[0] = 0x45;
	rp_put_u16(p + 2, (uint16_t)len);
	p[8] = 128;
	p[9] = 17;
	rp_put_u32(p + 12, src);
	rp_put_u32(p + 16, dst);
	rp_put_u16(p + 20, 68);
	rp_put_u16(p + 22, 67);
	rp_put_u16(p + 24, (uint16_t)(8 + blen));
	return len;
}

START_TEST(windows_inform_answered)
{
	uint8_t req[600], ans[DHCP_MAX_ANSWER];
	size_t n = inform(req, CLIENT, 0xffffffffu, 8, true), an = 0;
	const char *why = NULL;
	ck_assert_int_eq(dhcp_inform(&conf, req, n, ans, &an, &why), DHCP_ANSWER);
	ck_assert_uint_ge(an, 28 + 300);
	ck_assert_uint_eq(rp_get_u32(ans + 12), SERVER);
	ck_assert_uint_eq(rp_get_u32(ans + 16), CLIENT); /* RFC 2131 §4.3.5: to ciaddr */
	ck_assert_uint_eq(rp_get_u16(ans + 20), 67);
	ck_assert_uint_eq(rp_get_u16(ans + 22), 68);
	ck_assert_uint_eq(ans[28], 2);
	ck_assert_uint_eq(rp_get_u32(ans + 28 + 4), 0x5e1f00d5); /* xid echoed */
	ck_assert_uint_eq(rp_get_u32(ans + 28 + 16), 0);         /* yiaddr 0 for DHCPINFORM */
	char *v = rp_tshark_view(ans, an);
	ck_assert_msg(strstr(v, "DHCP: ACK (5)"), "%s", v);
	ck_assert_msg(strstr(v, "Checksum Status: Good") || strstr(v, "[Checksum Status: Unverified]"), "%s",
	              v);
	ck_assert_msg(strstr(v, "Option: (121) Classless Static Route"), "%s", v);
	ck_assert_msg(strstr(v, "Option: (249) Private/Classless Static Route (Microsoft)"), "%s", v);
	ck_assert_msg(strstr(v, "198.18.99.0/24-198.18.5.1"), "%s", v);
	ck_assert_msg(strstr(v, "198.19.0.0/16-198.18.5.1"), "%s", v);
	ck_assert_msg(strstr(v, "10.0.0.0/8-198.18.5.1"), "%s", v);
	ck_assert_msg(strstr(v, "Domain Name: corp.example"), "%s", v);
	ck_assert_msg(strstr(v, "Domain Name Server: 198.18.0.53"), "%s", v);
	ck_assert_msg(strstr(v, "DHCP Server Identifier: 198.18.5.1"), "%s", v);
}
END_TEST

START_TEST(only_what_is_asked)
{
	uint8_t req[600], ans[DHCP_MAX_ANSWER];
	size_t n = inform(req, CLIENT, SERVER, 8, true), an = 0;
	const char *why;
	/* the list names 121, 249, 15, 6, 44: WINS is not configured, so no option 44 */
	ck_assert_int_eq(dhcp_inform(&conf, req, n, ans, &an, &why), DHCP_ANSWER);
	char *v = rp_tshark_view(ans, an);
	ck_assert_ptr_null(strstr(v, "Option: (44)"));
	/* a request list without 249 (a Linux dhclient asks for 121 only): no 249 */
	uint8_t *o = req + 28 + 240;
	for (size_t i = 0; i + 1 < 100; i++)
		if (o[i] == 55)
			for (size_t j = 0; j < o[i + 1]; j++)
				if (o[i + 2 + j] == 249)
					o[i + 2 + j] = 1;
	ck_assert_int_eq(dhcp_inform(&conf, req, n, ans, &an, &why), DHCP_ANSWER);
	v = rp_tshark_view(ans, an);
	ck_assert_ptr_nonnull(strstr(v, "Option: (121)"));
	ck_assert_ptr_null(strstr(v, "Option: (249)"));
}
END_TEST

START_TEST(dropped_with_reason)
{
	uint8_t req[600], ans[DHCP_MAX_ANSWER];
	size_t an;
	const char *why;
	size_t n = inform(req, CLIENT, 0xffffffffu, 1, true); /* DHCPDISCOVER */
	ck_assert_int_eq(dhcp_inform(&conf, req, n, ans, &an, &why), DHCP_DROP);
	ck_assert_ptr_nonnull(strstr(why, "other than DHCPINFORM"));
	n = inform(req, CLIENT, 0xc6120599u, 8, true); /* to someone else's address */
	ck_assert_int_eq(dhcp_inform(&conf, req, n, ans, &an, &why), DHCP_DROP);
	n = inform(req, CLIENT, 0xffffffffu, 8, true);
	rp_put_u32(req + 28 + 12, 0xc6120577u); /* ciaddr not its source */
	ck_assert_int_eq(dhcp_inform(&conf, req, n, ans, &an, &why), DHCP_DROP);
	/* truncated: every length from 0 up drops or passes, never reads beyond */
	n = inform(req, CLIENT, 0xffffffffu, 8, true);
	for (size_t l = 0; l < n; l++) {
		uint8_t *cp = malloc(l ? l : 1);
		memcpy(cp, req, l);
		enum dhcp_verdict v = dhcp_inform(&conf, cp, l, ans, &an, &why);
		ck_assert(v != DHCP_ANSWER || l >= 28 + 240 + 3);
		free(cp);
	}
	/* not DHCP at all */
	req[22] = 0, req[23] = 53;
	ck_assert_int_eq(dhcp_inform(&conf, req, n, ans, &an, &why), DHCP_NOT_DHCP);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dhcp");
	TCase *tc = tcase_create("inform");
	tcase_add_test(tc, windows_inform_answered);
	tcase_add_test(tc, only_what_is_asked);
	tcase_add_test(tc, dropped_with_reason);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(suite)
