/* natt tests: the 4500 classifier; NAT-D hashes against a real strongSwan Main Mode (the
 * harness-reference capture: client 100.64.77.10 behind a NAT that shows it as 203.0.113.2:182,
 * server 203.0.113.1:500, SHA-1 negotiated); who-is-behind-NAT; floating; keepalive timing;
 * NAT-OA; UDP header and checksum helpers against hand-computed RFC 768 / RFC 1624 results. */
#include <check.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <string.h>

#include "check_main.h"
#include "natt.h"

START_TEST(classify_basic)
{
	size_t skip;
	uint8_t ka = 0xff;
	ck_assert_int_eq(natt_classify(&ka, 1, &skip), NATT_KEEPALIVE);
	uint8_t ike[4 + 28] = {0};
	ike[4] = 1;
	ck_assert_int_eq(natt_classify(ike, sizeof ike, &skip), NATT_IKE);
	ck_assert_uint_eq(skip, 4);
	ck_assert_int_eq(natt_classify(ike, 31, &skip), NATT_DROP);
	uint8_t esp[8] = {0xc5, 0x21, 0x24, 0xa7, 0, 0, 0, 1};
	ck_assert_int_eq(natt_classify(esp, 8, &skip), NATT_ESP);
	uint8_t low[8] = {0, 0, 0, 255, 0, 0, 0, 1};
	ck_assert_int_eq(natt_classify(low, 8, &skip), NATT_DROP);
	ck_assert_int_eq(natt_classify(esp, 7, &skip), NATT_DROP);
	uint8_t two[2] = {0xff, 0xff}; /* a keepalive is exactly one byte */
	ck_assert_int_eq(natt_classify(two, 2, &skip), NATT_DROP);
}
END_TEST

/* ---- NAT-D from the capture ---- */

struct mm {
	uint8_t cky_i[8], cky_r[8];
	struct rp_addr src, dst;
	const uint8_t *natd[4];
	size_t natd_len[4], n;
	uint8_t raw[1500];
};

/* The Main Mode messages 3 and 4 (the only ones with NAT-D, RFC 3947 §3.2) of the capture:
 * walk the ISAKMP payload chain with bounded reads. */
static int read_mm(struct mm out[2])
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(RP_DATA "/esp-harness-natt-wan.pcap", err);
	ck_assert_msg(pc != NULL, "%s", err);
	struct pcap_pkthdr *h;
	const u_char *d;
	int found = 0;
	while (found < 2 && pcap_next_ex(pc, &h, &d) == 1) {
		if (h->caplen < 14 + 20 + 8 + 28 || d[23] != 17)
			continue;
		const uint8_t *ip = d + 14, *udp = ip + (ip[0] & 15) * 4;
		if (rp_get_u16(udp + 2) != 500 && rp_get_u16(udp) != 500)
			continue;
		struct mm *m = &out[found];
		size_t len = rp_get_u16(udp + 4) - 8;
		memcpy(m->raw, udp + 8, len);
		struct rp_rd r, pl;
		rp_rd_init(&r, m->raw, len);
		uint8_t next, exch;
		rp_rd_bytes(&r, m->cky_i, 8);
		rp_rd_bytes(&r, m->cky_r, 8);
		rp_rd_u8(&r, &next);
		rp_rd_skip(&r, 1);
		rp_rd_u8(&r, &exch);
		rp_rd_skip(&r, 1 + 4 + 4);
		m->n = 0;
		while (next && rp_rd_left(&r) >= 4) {
			uint8_t cur = next;
			uint16_t plen;
			rp_rd_u8(&r, &next);
			rp_rd_skip(&r, 1);
			ck_assert_int_eq(rp_rd_u16(&r, &plen), 0);
			ck_assert_int_eq(rp_rd_sub(&r, &pl, plen - 4u), 0);
			if (cur == 20 && m->n < 4) { /* NAT-D (RFC 3947) */
				m->natd[m->n] = rp_rd_ptr(&pl);
				m->natd_len[m->n++] = rp_rd_left(&pl);
			}
		}
		if (m->n == 0)
			continue;
		rp_addr_v4(&m->src, rp_get_u32(ip + 12), rp_get_u16(udp));
		rp_addr_v4(&m->dst, rp_get_u32(ip + 16), rp_get_u16(udp + 2));
		found++;
	}
	pcap_close(pc);
	return found;
}

START_TEST(nat_d_real_exchange)
{
	static struct mm m[2];
	ck_assert_int_eq(read_mm(m), 2);
	struct mm *mm3 = &m[0], *mm4 = &m[1];
	ck_assert_uint_eq(mm3->n, 2);
	ck_assert_uint_eq(mm4->n, 2);
	struct rp_addr server, nat_view, client_private;
	rp_addr_parse(&server, "203.0.113.1");
	server.port = 500;
	rp_addr_parse(&nat_view, "203.0.113.2");
	nat_view.port = 182;
	rp_addr_parse(&client_private, "100.64.77.10");
	client_private.port = 500;
	ck_assert(rp_addr_eq(&mm3->src, &nat_view));
	ck_assert(rp_addr_eq(&mm3->dst, &server));

	uint8_t h[NATT_HASH_MAX];
	size_t hl;
	/* the client's message 3: first the server as it addressed it, then its own private address */
	ck_assert_int_eq(natt_nat_d(GNUTLS_DIG_SHA1, mm3->cky_i, mm3->cky_r, &server, h, &hl), 0);
	ck_assert_uint_eq(hl, 20);
	ck_assert(hl == mm3->natd_len[0] && memcmp(h, mm3->natd[0], hl) == 0);
	ck_assert(natt_nat_d_match(GNUTLS_DIG_SHA1, mm3->cky_i, mm3->cky_r, &client_private, mm3->natd[1],
	                           mm3->natd_len[1]));
	/* the reference server's message 4: the client as it saw it (behind the NAT), then itself */
	ck_assert(natt_nat_d_match(GNUTLS_DIG_SHA1, mm4->cky_i, mm4->cky_r, &nat_view, mm4->natd[0],
	                           mm4->natd_len[0]));
	ck_assert(natt_nat_d_match(GNUTLS_DIG_SHA1, mm4->cky_i, mm4->cky_r, &server, mm4->natd[1],
	                           mm4->natd_len[1]));
	/* a different port, address or hash algorithm does not match */
	struct rp_addr other = nat_view;
	other.port = 183;
	ck_assert(!natt_nat_d_match(GNUTLS_DIG_SHA1, mm4->cky_i, mm4->cky_r, &other, mm4->natd[0],
	                            mm4->natd_len[0]));
	ck_assert(!natt_nat_d_match(GNUTLS_DIG_SHA256, mm4->cky_i, mm4->cky_r, &nat_view, mm4->natd[0],
	                            mm4->natd_len[0]));

	/* as the server receiving message 3: we are not behind NAT, the client is */
	struct natt_detect det;
	ck_assert_int_eq(natt_detect(GNUTLS_DIG_SHA1, mm3->cky_i, mm3->cky_r, &server, &mm3->src, mm3->natd,
	                             mm3->natd_len, mm3->n, &det),
	                 0);
	ck_assert(!det.local_behind_nat);
	ck_assert(det.peer_behind_nat);
	/* as the client receiving message 4 (local = its private address): it is behind NAT */
	ck_assert_int_eq(natt_detect(GNUTLS_DIG_SHA1, mm4->cky_i, mm4->cky_r, &client_private, &mm4->src,
	                             mm4->natd, mm4->natd_len, mm4->n, &det),
	                 0);
	ck_assert(det.local_behind_nat);
	ck_assert(!det.peer_behind_nat);
	ck_assert_int_eq(natt_detect(GNUTLS_DIG_SHA1, mm4->cky_i, mm4->cky_r, &server, &mm4->src, mm4->natd,
	                             mm4->natd_len, 1, &det),
	                 -EINVAL);
}
END_TEST

START_TEST(floating)
{
	struct rp_addr l500, l4500, peer, peer2;
	rp_addr_parse(&l500, "203.0.113.1");
	l500.port = 500;
	l4500 = l500;
	l4500.port = 4500;
	rp_addr_parse(&peer, "203.0.113.2");
	peer.port = 182;
	peer2 = peer;
	peer2.port = 7338;
	struct natt_float f;
	natt_float_init(&f, &l500, &peer);
	struct natt_detect d = {false, true};
	natt_float_detected(&f, true, &d);
	ck_assert(natt_float_udp_encap(&f));
	ck_assert(!natt_float_use_4500(&f));
	ck_assert(!natt_float_rx(&f, &l500, &peer));  /* nothing changed */
	ck_assert(natt_float_rx(&f, &l4500, &peer2)); /* message 5 arrives on 4500 from a new port */
	ck_assert(natt_float_use_4500(&f));
	ck_assert(rp_addr_eq(&f.peer, &peer2));
	/* without NAT-T support, nothing floats and ESP stays raw */
	natt_float_init(&f, &l500, &peer);
	natt_float_detected(&f, false, &d);
	ck_assert(!natt_float_udp_encap(&f));
	natt_float_rx(&f, &l4500, &peer);
	ck_assert(!natt_float_use_4500(&f));
	/* NAT-T supported but no NAT: no UDP encapsulation */
	struct natt_detect none = {false, false};
	natt_float_detected(&f, true, &none);
	ck_assert(!natt_float_udp_encap(&f));
}
END_TEST

START_TEST(keepalive_timer)
{
	struct natt_ka k;
	natt_ka_init(&k, true, 0, 1000);
	ck_assert_uint_eq(natt_ka_next_deadline(&k), 1000 + NATT_KEEPALIVE_MS);
	ck_assert(!natt_ka_tick(&k, 20999));
	ck_assert(natt_ka_tick(&k, 21000));
	ck_assert_uint_eq(natt_ka_next_deadline(&k), 41000);
	natt_ka_sent(&k, 30000); /* other traffic postpones it (RFC 3948 §4) */
	ck_assert(!natt_ka_tick(&k, 41000));
	ck_assert_uint_eq(natt_ka_next_deadline(&k), 50000);
	natt_ka_sent(&k, 10); /* time does not run backwards */
	ck_assert_uint_eq(natt_ka_next_deadline(&k), 50000);
	natt_ka_init(&k, false, 5000, 0);
	ck_assert_uint_eq(natt_ka_next_deadline(&k), UINT64_MAX);
	ck_assert(!natt_ka_tick(&k, 1000000));
}
END_TEST

START_TEST(nat_oa)
{
	struct rp_addr a, b;
	rp_addr_parse(&a, "100.64.77.10");
	uint8_t buf[32];
	struct rp_wr w;
	rp_wr_init(&w, buf, sizeof buf);
	ck_assert_int_eq(natt_oa_build(&w, &a), 0);
	const uint8_t want[] = {1, 0, 0, 0, 100, 64, 77, 10};
	ck_assert_uint_eq(w.len, sizeof want);
	ck_assert(memcmp(buf, want, sizeof want) == 0);
	ck_assert_int_eq(natt_oa_parse(buf, w.len, &b), 0);
	ck_assert(rp_addr_ipeq(&a, &b));
	ck_assert_int_eq(natt_oa_parse(buf, 7, &b), -EINVAL);
	buf[0] = 2;
	ck_assert_int_eq(natt_oa_parse(buf, 8, &b), -EINVAL);
	rp_addr_parse(&a, "2001:db8::1");
	rp_wr_init(&w, buf, sizeof buf);
	ck_assert_int_eq(natt_oa_build(&w, &a), 0);
	ck_assert_uint_eq(w.len, 20);
	ck_assert_int_eq(natt_oa_parse(buf, 20, &b), 0);
	ck_assert(rp_addr_ipeq(&a, &b));
	rp_wr_init(&w, buf, 10);
	ck_assert_int_eq(natt_oa_build(&w, &a), -ENOSPC);

	struct rp_addr local, peer, oi, orr;
	rp_addr_parse(&local, "203.0.113.1");
	local.port = 4500;
	rp_addr_parse(&peer, "203.0.113.2");
	peer.port = 7338;
	natt_oa_values(false, &local, &peer, &oi, &orr); /* responder */
	ck_assert(rp_addr_ipeq(&oi, &peer));
	ck_assert(rp_addr_ipeq(&orr, &local));
	ck_assert_uint_eq(oi.port, 0);
	natt_oa_values(true, &local, &peer, &oi, &orr);
	ck_assert(rp_addr_ipeq(&oi, &local));
}
END_TEST

START_TEST(udp_helpers)
{
	uint8_t mem[64];
	struct rp_buf b;
	rp_buf_view(&b, mem, sizeof mem, 8, 0);
	uint8_t *p = rp_buf_put(&b, 4);
	memcpy(p, "\x01\x02\x03\x04", 4);
	ck_assert_int_eq(natt_udp_push(&b, 4500, 7338), 0);
	const uint8_t hdr[8] = {0x11, 0x94, 0x1c, 0xaa, 0x00, 0x0c, 0x00, 0x00};
	ck_assert(memcmp(rp_buf_data(&b), hdr, 8) == 0);
	ck_assert_int_eq(natt_udp_push(&b, 1, 2), -1); /* no headroom left */

	/* RFC 768 checksum by hand: pseudo header 10.0.0.1 > 10.0.0.2, proto 17, length 12;
	 * words: 0a00 0001 0a00 0002 0011 000c | 1194 1caa 000c 0000 | 0102 0304 */
	struct rp_addr s, d;
	rp_addr_parse(&s, "10.0.0.1");
	rp_addr_parse(&d, "10.0.0.2");
	uint32_t sum =
	    0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x0011 + 0x000c + 0x1194 + 0x1caa + 0x000c + 0x0102 + 0x0304;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t cs = natt_udp_csum(&s, &d, rp_buf_data(&b), b.len);
	ck_assert_uint_eq(cs, (uint16_t)~sum);
	rp_put_u16(rp_buf_data(&b) + 6, cs);
	ck_assert_uint_eq(natt_udp_csum(&s, &d, rp_buf_data(&b), b.len), 0);
	/* RFC 1624 incremental update equals recomputation after the source address changes */
	struct rp_addr s2;
	rp_addr_parse(&s2, "192.168.77.200");
	uint16_t inc = rp_csum_replace(cs, s.ip, s2.ip, 4);
	rp_put_u16(rp_buf_data(&b) + 6, 0);
	ck_assert_uint_eq(inc, natt_udp_csum(&s2, &d, rp_buf_data(&b), b.len));
}
END_TEST

static Suite *natt_suite(void)
{
	Suite *s = suite_create("natt");
	TCase *t = tcase_create("natt");
	tcase_add_test(t, classify_basic);
	tcase_add_test(t, nat_d_real_exchange);
	tcase_add_test(t, floating);
	tcase_add_test(t, keepalive_timer);
	tcase_add_test(t, nat_oa);
	tcase_add_test(t, udp_helpers);
	suite_add_tcase(s, t);
	return s;
}

RP_CHECK_MAIN(natt_suite)
