/* L2TPv2 codec: real captures (xl2tpd session decrypted from the harness recording, packetnet data
 * message, tcpdump's malformed AVP captures), hand-built good and malformed messages, hidden AVPs. */
#include "check_main.h"
#include "l2tp_local.h"
#include "test_util.h"

static struct tu_pkt pk[64];

static int parse_ctl(const uint8_t *p, size_t n, struct l2tp_hdr *h, struct l2tp_msg *m)
{
	if (l2tp_hdr_parse(p, n, h))
		return -10;
	if (!h->ctrl)
		return -11;
	return l2tp_msg_parse(m, p + h->payload_off, h->len - h->payload_off, NULL, 0);
}

START_TEST(harness_session)
{
	int n = tu_load_session(RP_DATA "/l2tp-harness-session.txt", pk, 64);
	ck_assert_int_eq(n, 39);
	/* the control messages in order, as tshark decodes them (0 = ZLB) */
	static const int want_ctl[] = {1, 2, 3, 10, 0, 11, 0, 12, 0, 4, 0};
	int ci = 0, data = 0;
	static struct l2tp_msg m;
	for (int i = 0; i < n; i++) {
		struct l2tp_hdr h;
		ck_assert_int_eq(l2tp_hdr_parse(pk[i].data, pk[i].len, &h), 0);
		if (!h.ctrl) {
			/* data: no L, no S, PPP frame with address/control ff03 */
			ck_assert(!h.has_seq);
			ck_assert_uint_eq(h.payload_off, 6);
			ck_assert_uint_eq(pk[i].data[6], 0xff);
			ck_assert_uint_eq(h.tid, pk[i].dir == 'C' ? 0x2dda : 0x7c71);
			ck_assert_uint_eq(h.sid, pk[i].dir == 'C' ? 0xa5ff : 0x60e9);
			data++;
			continue;
		}
		ck_assert_int_eq(
		    l2tp_msg_parse(&m, pk[i].data + h.payload_off, h.len - h.payload_off, NULL, 0), 0);
		ck_assert_int_lt(ci, (int)RP_ARRAY_LEN(want_ctl));
		ck_assert_int_eq(m.type, want_ctl[ci]);
		ck_assert_int_eq(l2tp_msg_missing(&m), -1);
		ck_assert(!m.unknown_m);
		if (ci == 0) { /* the SCCRQ from xl2tpd 1.3.18 */
			ck_assert_uint_eq(h.tid, 0);
			ck_assert_uint_eq(h.ns, 0);
			ck_assert_uint_eq(m.proto_ver, 0x0100);
			ck_assert_uint_eq(m.framing_cap, 3);
			ck_assert_uint_eq(m.firmware, 0x0690);
			ck_assert_uint_eq(m.assigned_tid, 0x7c71);
			ck_assert_uint_eq(m.recv_window, 4);
			ck_assert_uint_eq(m.host_name.len, 6);
			ck_assert(!memcmp(m.host_name.p, "(none)", 6));
			ck_assert(!memcmp(m.vendor_name.p, "xelerance.com", 13));
		}
		if (m.type == L2TP_ICRQ) {
			ck_assert_uint_eq(m.assigned_sid, 0x60e9);
		}
		if (m.type == L2TP_STOPCCN) {
			ck_assert_uint_eq(m.assigned_tid, 0x7c71);
			ck_assert_uint_eq(m.result, 1);
		}
		ci++;
	}
	ck_assert_int_eq(ci, (int)RP_ARRAY_LEN(want_ctl));
	ck_assert_int_eq(data, 39 - ci);
}
END_TEST

START_TEST(packetnet_data)
{
	int n = tu_load_pcap_1701(RP_DATA "/l2tp-packetnet.pcap", pk, 64);
	ck_assert_int_eq(n, 1);
	struct l2tp_hdr h;
	ck_assert_int_eq(l2tp_hdr_parse(pk[0].data, pk[0].len, &h), 0);
	/* O and P bits set, zero Offset Size: tshark shows tunnel 18994, session 54110 */
	ck_assert(!h.ctrl);
	ck_assert(h.prio);
	ck_assert_uint_eq(h.tid, 18994);
	ck_assert_uint_eq(h.sid, 54110);
	ck_assert_uint_eq(h.payload_off, 8);
	ck_assert_uint_eq(pk[0].data[8], 0xff);
	ck_assert_uint_eq(pk[0].data[10], 0xc0);
	ck_assert_uint_eq(pk[0].data[12], 0x09); /* LCP Echo-Request */
}
END_TEST

START_TEST(tcpdump_avp_overflow)
{
	static struct l2tp_msg m;
	int n = tu_load_pcap_1701(RP_DATA "/l2tp-avp-overflow.pcap", pk, 64);
	ck_assert_int_ge(n, 14);
	for (int i = 0; i < n; i++) {
		struct l2tp_hdr h;
		/* every one of these is malformed: rejected at the header or at the AVPs */
		ck_assert_int_ne(parse_ctl(pk[i].data, pk[i].len, &h, &m), 0);
	}
}
END_TEST

static size_t build_sccrq(uint8_t *buf, size_t cap, bool result8, bool unknown_m, bool unknown_opt)
{
	struct rp_wr w;
	rp_wr_init(&w, buf, cap);
	l2tp_ctl_begin(&w, 0, 0, 0, 0);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCRQ);
	l2tp_avp_u16(&w, L2TP_AVP_PROTO_VER, true, 0x0100);
	l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, "win10", 5);
	l2tp_avp_u32(&w, L2TP_AVP_FRAMING_CAP, true, 1);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, 77);
	l2tp_avp_u16(&w, L2TP_AVP_RECV_WINDOW, false, 8);
	if (unknown_opt)
		l2tp_avp_put(&w, 200, false, "x", 1);
	if (unknown_m)
		l2tp_avp_put(&w, 201, true, "y", 1);
	if (result8) {
		uint8_t rc[2] = {0, 1};
		l2tp_avp_put(&w, L2TP_AVP_RESULT, true, rc, 2);
	}
	l2tp_ctl_end(&w);
	ck_assert(rp_wr_ok(&w));
	return w.len;
}

START_TEST(build_parse)
{
	uint8_t b[512];
	static struct l2tp_msg m;
	struct l2tp_hdr h;
	size_t n = build_sccrq(b, sizeof b, false, false, false);
	ck_assert_int_eq(parse_ctl(b, n, &h, &m), 0);
	ck_assert_uint_eq(h.len, n);
	ck_assert_int_eq(m.type, L2TP_SCCRQ);
	ck_assert_uint_eq(m.recv_window, 8);
	ck_assert_uint_eq(m.assigned_tid, 77);
	ck_assert_int_eq(l2tp_msg_missing(&m), -1);

	/* UDP padding after Length is ignored */
	b[n] = 0xee;
	ck_assert_int_eq(parse_ctl(b, n + 1, &h, &m), 0);
	/* Length larger than the datagram: dropped */
	ck_assert_int_ne(parse_ctl(b, n - 1, &h, &m), 0);

	/* MikroTik's 8-byte Result Code AVP is accepted */
	n = build_sccrq(b, sizeof b, true, false, false);
	ck_assert_int_eq(parse_ctl(b, n, &h, &m), 0);
	ck_assert_uint_eq(m.result, 1);
	ck_assert_uint_eq(m.result_msg.len, 0);

	/* unknown optional AVP skipped; unknown mandatory flagged */
	n = build_sccrq(b, sizeof b, false, false, true);
	ck_assert_int_eq(parse_ctl(b, n, &h, &m), 0);
	ck_assert(!m.unknown_m);
	n = build_sccrq(b, sizeof b, false, true, true);
	ck_assert_int_eq(parse_ctl(b, n, &h, &m), 0);
	ck_assert(m.unknown_m);
	ck_assert_uint_eq(m.unknown_m_type, 201);
}
END_TEST

START_TEST(malformed)
{
	uint8_t b[512], c[512];
	static struct l2tp_msg m;
	struct l2tp_hdr h;
	size_t n = build_sccrq(b, sizeof b, false, false, false);

	/* an AVP length running past the message */
	memcpy(c, b, n);
	c[12 + 8] = 0x83; /* second AVP length 0x3xx */
	ck_assert_int_eq(parse_ctl(c, n, &h, &m), -1);
	/* AVP length below the 6-byte header */
	memcpy(c, b, n);
	c[12 + 9] = 4;
	c[12 + 8] = 0x80;
	ck_assert_int_eq(parse_ctl(c, n, &h, &m), -1);
	/* first AVP not Message Type */
	memcpy(c, b, n);
	c[12 + 5] = 2;
	ck_assert_int_eq(parse_ctl(c, n, &h, &m), -1);
	/* control without the S bit, version 3, truncated header */
	memcpy(c, b, n);
	c[0] &= (uint8_t)~0x08;
	ck_assert_int_ne(l2tp_hdr_parse(c, n, &h), 0);
	memcpy(c, b, n);
	c[1] = 3;
	ck_assert_int_ne(l2tp_hdr_parse(c, n, &h), 0);
	ck_assert_int_ne(l2tp_hdr_parse(b, 5, &h), 0);
	/* invalid value of a mandatory AVP (Assigned Tunnel ID 0) */
	memcpy(c, b, n);
	ck_assert_uint_eq(c[12 + 8 + 8 + 11 + 10 + 5], L2TP_AVP_ASSIGNED_TID);
	c[12 + 8 + 8 + 11 + 10 + 6] = 0;
	c[12 + 8 + 8 + 11 + 10 + 7] = 0;
	ck_assert_int_eq(parse_ctl(c, n, &h, &m), -2);
	/* missing required AVP */
	struct rp_wr w;
	rp_wr_init(&w, c, sizeof c);
	l2tp_ctl_begin(&w, 5, 0, 1, 1);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_ICRQ);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_SID, true, 9);
	l2tp_ctl_end(&w);
	ck_assert_int_eq(parse_ctl(c, w.len, &h, &m), 0);
	ck_assert_int_eq(l2tp_msg_missing(&m), L2TP_AVP_CALL_SERIAL);
	/* ZLB */
	rp_wr_init(&w, c, sizeof c);
	l2tp_ctl_begin(&w, 5, 0, 3, 4);
	l2tp_ctl_end(&w);
	ck_assert_int_eq(parse_ctl(c, w.len, &h, &m), 0);
	ck_assert_int_eq(m.type, L2TP_ZLB);
	ck_assert_uint_eq(h.ns, 3);
	ck_assert_uint_eq(h.nr, 4);
}
END_TEST

START_TEST(hidden_roundtrip)
{
	static const uint8_t secret[] = "tunnel-secret";
	uint8_t rv[16], b[512];
	static struct l2tp_msg m;
	struct l2tp_hdr h;
	for (int len = 1; len < 70; len += 7) {
		uint8_t host[80];
		for (int i = 0; i < len; i++)
			host[i] = (uint8_t)('a' + (i * 7 + len) % 26);
		for (int i = 0; i < 16; i++)
			rv[i] = (uint8_t)(i * 13 + len);
		struct rp_wr w;
		rp_wr_init(&w, b, sizeof b);
		l2tp_ctl_begin(&w, 1, 0, 0, 0);
		l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCRQ);
		l2tp_avp_put(&w, L2TP_AVP_RANDOM_VECTOR, true, rv, 16);
		ck_assert_int_eq(l2tp_avp_put_hidden(&w, L2TP_AVP_HOST_NAME, true, host, (size_t)len, secret,
		                                     sizeof secret - 1, rv),
		                 0);
		ck_assert_int_eq(l2tp_avp_put_hidden(&w, L2TP_AVP_ASSIGNED_TID, true, "\x12\x34", 2, secret,
		                                     sizeof secret - 1, rv),
		                 0);
		l2tp_ctl_end(&w);
		ck_assert(rp_wr_ok(&w));
		/* the cleartext does not appear on the wire */
		ck_assert_ptr_null(memmem(b, w.len, host, (size_t)len));
		ck_assert_int_eq(l2tp_hdr_parse(b, w.len, &h), 0);
		ck_assert_int_eq(l2tp_msg_parse(&m, b + 12, w.len - 12, secret, sizeof secret - 1), 0);
		ck_assert_uint_eq(m.host_name.len, (size_t)len);
		ck_assert(!memcmp(m.host_name.p, host, (size_t)len));
		ck_assert_uint_eq(m.assigned_tid, 0x1234);
		/* without the secret, or with another one, the message is refused */
		ck_assert_int_eq(l2tp_msg_parse(&m, b + 12, w.len - 12, NULL, 0), -1);
		int rc = l2tp_msg_parse(&m, b + 12, w.len - 12, (const uint8_t *)"other", 5);
		ck_assert(rc != 0 || m.host_name.len != (size_t)len ||
		          memcmp(m.host_name.p, host, (size_t)len));
	}
}
END_TEST

/* §4.3 known answers, computed at authoring time by a separate Python implementation of the
 * RFC's algorithm (hashlib.md5): secret "secret", Random Vector 00..0f, Host Name AVP (type 7),
 * value padded with zeros to whole 16-byte blocks. One block ("host") and two blocks (20 bytes,
 * exercising b(2) = MD5(secret || c(1))). */
START_TEST(hidden_known_answer)
{
	static const uint8_t one[16] = {0x69, 0xc3, 0xe7, 0xf0, 0xfc, 0xdf, 0xda, 0x69,
	                                0xd6, 0x3a, 0x3b, 0xe2, 0x09, 0x03, 0x0a, 0x89};
	static const uint8_t two[32] = {0x69, 0xd3, 0xee, 0xfd, 0xec, 0xcf, 0xbf, 0x0f, 0xb1, 0x52, 0x52,
	                                0x88, 0x62, 0x6f, 0x67, 0xe7, 0xe1, 0x7b, 0x5f, 0xb0, 0x75, 0x17,
	                                0x6b, 0x6e, 0x5b, 0x25, 0xec, 0xaa, 0x48, 0xfa, 0x6f, 0xa5};
	uint8_t rv[16], b[128];
	for (int i = 0; i < 16; i++)
		rv[i] = (uint8_t)i;
	struct rp_wr w;
	rp_wr_init(&w, b, sizeof b);
	ck_assert_int_eq(l2tp_avp_put_hidden(&w, 7, true, "host", 4, (const uint8_t *)"secret", 6, rv), 0);
	ck_assert_uint_eq(w.len, 6 + 16);
	ck_assert_uint_eq(rp_get_u16(b), 0x8000 | 0x4000 | 22);
	ck_assert_mem_eq(b + 6, one, 16);
	rp_wr_init(&w, b, sizeof b);
	ck_assert_int_eq(
	    l2tp_avp_put_hidden(&w, 7, true, "abcdefghijklmnopqrst", 20, (const uint8_t *)"secret", 6, rv),
	    0);
	ck_assert_uint_eq(w.len, 6 + 32);
	ck_assert_mem_eq(b + 6, two, 32);
	/* and decoding the independently produced bytes */
	uint8_t out[64];
	size_t ol;
	ck_assert_int_eq(l2tp_hidden_decrypt(out, &ol, two, 32, 7, (const uint8_t *)"secret", 6, rv, 16), 0);
	ck_assert_uint_eq(ol, 20);
	ck_assert(!memcmp(out, "abcdefghijklmnopqrst", 20));
	/* a wrong secret yields an Original Length that does not fit: refused */
	ck_assert_int_ne(l2tp_hidden_decrypt(out, &ol, one, 16, 7, (const uint8_t *)"x", 1, rv, 16), 0);
}
END_TEST

/* RFC 2661 §4.2 challenge response: MD5(type || secret || challenge); the expected value is the
 * MD5 of the same byte string computed by coreutils md5sum at authoring time:
 *   printf '\x02secret\x01\x02\x03\x04' | md5sum */
START_TEST(chal_digest)
{
	uint8_t d[16];
	static const uint8_t chal[4] = {1, 2, 3, 4};
	static const uint8_t want[16] = {0xc9, 0x4e, 0x89, 0x91, 0x41, 0x85, 0x52, 0x45,
	                                 0xff, 0xc3, 0x31, 0x4c, 0x4b, 0x25, 0x88, 0x27};
	ck_assert_int_eq(l2tp_chal_digest(d, 2, (const uint8_t *)"secret", 6, chal, 4), 0);
	ck_assert_mem_eq(d, want, 16);
}
END_TEST

static Suite *codec_suite(void)
{
	Suite *s = suite_create("l2tp_codec");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, harness_session);
	tcase_add_test(tc, packetnet_data);
	tcase_add_test(tc, tcpdump_avp_overflow);
	tcase_add_test(tc, build_parse);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, hidden_roundtrip);
	tcase_add_test(tc, hidden_known_answer);
	tcase_add_test(tc, chal_digest);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(codec_suite)
