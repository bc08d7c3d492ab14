/* RADIUS codec: the RFC 2865 §7.1 example byte for byte (PAP hiding, Response Authenticator),
 * Message-Authenticator both ways, accounting and Disconnect-Request signatures, Microsoft VSAs,
 * malformed packets. */
#include "check_main.h"
#include "radius.h"

#include <string.h>

static const uint8_t secret[] = "xyzzy5461";
#define SL (sizeof secret - 1)

/* RFC 2865 §7.1: NAS 192.168.1.16 port 3, user nemo, password arctangent */
static const uint8_t rfc_req[] = {0x01, 0x00, 0x00, 0x38, 0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57,
                                  0xbd, 0x83, 0xd5, 0xcb, 0x98, 0xf4, 0x22, 0x7a, 0x01, 0x06, 0x6e, 0x65,
                                  0x6d, 0x6f, 0x02, 0x12, 0x0d, 0xbe, 0x70, 0x8d, 0x93, 0xd4, 0x13, 0xce,
                                  0x31, 0x96, 0xe4, 0x3f, 0x78, 0x2a, 0x0a, 0xee, 0x04, 0x06, 0xc0, 0xa8,
                                  0x01, 0x10, 0x05, 0x06, 0x00, 0x00, 0x00, 0x03};
static const uint8_t rfc_acc[] = {0x02, 0x00, 0x00, 0x26, 0x86, 0xfe, 0x22, 0x0e, 0x76, 0x24,
                                  0xba, 0x2a, 0x10, 0x05, 0xf6, 0xbf, 0x9b, 0x55, 0xe0, 0xb2,
                                  0x06, 0x06, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x06, 0x00, 0x00,
                                  0x00, 0x00, 0x0e, 0x06, 0xc0, 0xa8, 0x01, 0x03};

START_TEST(rfc2865_example)
{
	uint8_t b[256];
	struct rad_wr w;
	rad_begin(&w, b, sizeof b, RAD_ACCESS_REQUEST, 0, rfc_req + 4);
	rad_put_str(&w, RAD_USER_NAME, "nemo");
	rad_put_password(&w, secret, SL, rfc_req + 4, (const uint8_t *)"arctangent", 10);
	rad_put_u32(&w, RAD_NAS_IP_ADDRESS, 0xc0a80110);
	rad_put_u32(&w, RAD_NAS_PORT, 3);
	ck_assert_int_eq(rad_finish(&w, RAD_SIGN_ACCESS_REQUEST, secret, SL, NULL), (int)sizeof rfc_req);
	ck_assert_mem_eq(b, rfc_req, sizeof rfc_req);
	/* the Access-Accept verifies (no Message-Authenticator in 2000: allowed unless required) */
	ck_assert_int_eq(rad_check_response(rfc_acc, sizeof rfc_acc, secret, SL, rfc_req + 4, false), 0);
	ck_assert_int_eq(rad_check_response(rfc_acc, sizeof rfc_acc, secret, SL, rfc_req + 4, true), -1);
	ck_assert_int_eq(
	    rad_check_response(rfc_acc, sizeof rfc_acc, (const uint8_t *)"xyzzy5462", SL, rfc_req + 4, false),
	    -1);
	uint32_t st;
	ck_assert_int_eq(rad_find_u32(rfc_acc, sizeof rfc_acc, RAD_SERVICE_TYPE, &st), 0);
	ck_assert_uint_eq(st, 1);
	/* our own reply builder gives the same bytes */
	rad_begin(&w, b, sizeof b, RAD_ACCESS_ACCEPT, 0, NULL);
	rad_put_u32(&w, RAD_SERVICE_TYPE, 1);
	rad_put_u32(&w, 15, 0);
	rad_put_u32(&w, 14, 0xc0a80103);
	ck_assert_int_eq(rad_finish(&w, RAD_SIGN_RESPONSE, secret, SL, rfc_req + 4), (int)sizeof rfc_acc);
	ck_assert_mem_eq(b, rfc_acc, sizeof rfc_acc);
}
END_TEST

START_TEST(message_authenticator)
{
	uint8_t b[256], r[256], ra[16];
	memset(ra, 0x5a, sizeof ra);
	struct rad_wr w;
	rad_begin(&w, b, sizeof b, RAD_ACCESS_REQUEST, 7, ra);
	rad_put_str(&w, RAD_USER_NAME, "alice");
	rad_put_msg_auth(&w);
	int n = rad_finish(&w, RAD_SIGN_ACCESS_REQUEST, secret, SL, NULL);
	ck_assert_int_gt(n, 0);
	/* a server's reply with a Message-Authenticator, checked as required */
	rad_begin(&w, r, sizeof r, RAD_ACCESS_ACCEPT, 7, NULL);
	rad_put_u32(&w, RAD_FRAMED_IP_ADDRESS, 0xc6120605);
	rad_put_vsa(&w, RAD_VENDOR_MICROSOFT, RAD_MS_CHAP2_SUCCESS, "\x01S=0123", 7);
	rad_put_msg_auth(&w);
	int m = rad_finish(&w, RAD_SIGN_RESPONSE, secret, SL, ra);
	ck_assert_int_gt(m, 0);
	ck_assert_int_eq(rad_check_response(r, (size_t)m, secret, SL, ra, true), 0);
	const uint8_t *v;
	size_t vn;
	ck_assert_int_eq(rad_find(r, (size_t)m, RAD_VENDOR_MICROSOFT, RAD_MS_CHAP2_SUCCESS, &v, &vn), 0);
	ck_assert_uint_eq(vn, 7);
	ck_assert_mem_eq(v, "\x01S=0123", 7);
	ck_assert_int_eq(rad_find(r, (size_t)m, RAD_VENDOR_MICROSOFT, RAD_MS_CHAP_ERROR, &v, &vn), -1);
	/* a forged attribute with both authenticators recomputed without the secret fails: flip a
	 * byte of the address and the Response Authenticator no longer matches */
	r[RAD_HDR + 5] ^= 1;
	ck_assert_int_eq(rad_check_response(r, (size_t)m, secret, SL, ra, true), -1);
	r[RAD_HDR + 5] ^= 1;
	/* another request's authenticator */
	ra[0] ^= 1;
	ck_assert_int_eq(rad_check_response(r, (size_t)m, secret, SL, ra, true), -1);
}
END_TEST

START_TEST(requests_signed)
{
	uint8_t b[256];
	struct rad_wr w;
	rad_begin(&w, b, sizeof b, RAD_ACCT_REQUEST, 9, NULL);
	rad_put_u32(&w, RAD_ACCT_STATUS_TYPE, RAD_ACCT_START);
	rad_put_str(&w, RAD_ACCT_SESSION_ID, "0001");
	int n = rad_finish(&w, RAD_SIGN_REQUEST, secret, SL, NULL);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(rad_check_request(b, (size_t)n, secret, SL), 0);
	b[n - 1] ^= 1;
	ck_assert_int_eq(rad_check_request(b, (size_t)n, secret, SL), -1);
	/* Disconnect-Request with a Message-Authenticator (RFC 5176 §3.1: computed over zeros) */
	rad_begin(&w, b, sizeof b, RAD_DISCONNECT_REQUEST, 1, NULL);
	rad_put_str(&w, RAD_USER_NAME, "bob");
	rad_put_msg_auth(&w);
	n = rad_finish(&w, RAD_SIGN_REQUEST, secret, SL, NULL);
	ck_assert_int_eq(rad_check_request(b, (size_t)n, secret, SL), 0);
	b[n - 3] ^= 1; /* inside the Message-Authenticator: the MD5 authenticator catches it too */
	ck_assert_int_eq(rad_check_request(b, (size_t)n, secret, SL), -1);
}
END_TEST

START_TEST(malformed)
{
	uint8_t b[64] = {1, 0, 0, 22};
	ck_assert_int_eq(rad_validate(b, 19), -1);
	b[20] = 1;
	b[21] = 1; /* attribute length < 2 */
	ck_assert_int_eq(rad_validate(b, 22), -1);
	b[21] = 3; /* runs past the packet */
	ck_assert_int_eq(rad_validate(b, 22), -1);
	b[21] = 2;
	ck_assert_int_eq(rad_validate(b, 40), 22); /* trailing bytes are padding */
	b[3] = 30;
	ck_assert_int_eq(rad_validate(b, 22), -1); /* length beyond the datagram */
	uint8_t big[300];
	struct rad_wr w;
	rad_begin(&w, big, sizeof big, RAD_ACCESS_REQUEST, 0, NULL);
	rad_put(&w, RAD_USER_NAME, big, 254);
	ck_assert_int_eq(rad_finish(&w, RAD_SIGN_REQUEST, secret, SL, NULL), -1);
}
END_TEST

/* rampartctl radius test prints the answer's attributes through rad_attr_str */
START_TEST(attr_strings)
{
	char o[64];
	static const uint8_t ip[] = {198, 18, 6, 77}, st[] = {0, 0, 0x0e, 0x10}, three[] = {1, 2, 3};
	ck_assert_uint_eq(rad_attr_str(RAD_FRAMED_IP_ADDRESS, ip, 4, o, sizeof o), 31);
	ck_assert_str_eq(o, "Framed-IP-Address = 198.18.6.77");
	rad_attr_str(RAD_SESSION_TIMEOUT, st, 4, o, sizeof o);
	ck_assert_str_eq(o, "Session-Timeout = 3600");
	rad_attr_str(RAD_SESSION_TIMEOUT, three, 3, o, sizeof o); /* wrong length: the bytes */
	ck_assert_str_eq(o, "Session-Timeout = 0x010203");
	rad_attr_str(RAD_REPLY_MESSAGE, (const uint8_t *)"hi \"x\"\n", 7, o, sizeof o);
	ck_assert_str_eq(o, "Reply-Message = \"hi \\\"x\\\"\\x0a\"");
	rad_attr_str(RAD_CLASS, (const uint8_t *)"rp", 2, o, sizeof o);
	ck_assert_str_eq(o, "Class = 0x7270");
	rad_attr_str(200, three, 3, o, sizeof o);
	ck_assert_str_eq(o, "Attr-200 = 0x010203");
	/* cut to fit, never past the buffer, always terminated */
	uint8_t big[253];
	memset(big, 0xab, sizeof big);
	size_t n = rad_attr_str(RAD_CLASS, big, sizeof big, o, sizeof o);
	ck_assert_uint_lt(n, sizeof o);
	ck_assert_uint_eq(strlen(o), n);
	ck_assert_uint_eq(rad_attr_str(RAD_CLASS, big, 1, o, 0), 0);
}
END_TEST

static Suite *radius_suite(void)
{
	Suite *s = suite_create("radius");
	TCase *tc = tcase_create("radius");
	tcase_add_test(tc, rfc2865_example);
	tcase_add_test(tc, message_authenticator);
	tcase_add_test(tc, requests_signed);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, attr_strings);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(radius_suite)
