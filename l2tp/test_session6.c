/* IPv6 through the LNS (session6.c): two sessions of the test LAC negotiate IPV6CP, each gets its
 * own /64 of prefix6; an IPv6 packet from the TUN reaches the session owning its destination /64;
 * what a session sends is passed on only from its /64 or its link-local address (no spoofing of
 * another session's addresses). TCP MSS clamping of both families, both ways (issue 11). */
#include "check_main.h"
#include "l2tp_lac.h"
#include "auth.h"
#include "mss_test_util.h"
#include "ppp.h"

#include <stdio.h>

static struct {
	struct l2tp *lns;
	struct auth_db *db; /* the owner answers PPP logins from it (L2TP_EV_AUTH_REQUEST) */
	struct l2tp_lac lac;
	/* what the LAC sent, delivered to the LNS by pump */
	uint8_t out[64][1700];
	size_t out_len[64];
	int nout;
	uint64_t now;
	/* the LNS's IPV6CP Configure-Request per LAC session, and IPv6 frames it sent */
	uint8_t req[2][64];
	size_t reql[2];
	unsigned v6_out[2];
	/* ip6_deliver */
	unsigned delivered;
	struct l2tp_ip6_from last;
	/* the last IP packet delivered (towards the TUN) and sent (an IPv4/IPv6 frame to a peer) */
	uint8_t rx[1600], tx[1600];
	size_t rxl, txl;
} T;

static void deliver6(void *ctx, const struct l2tp_ip6_from *f, const uint8_t *p, size_t n)
{
	(void)ctx;
	T.delivered++;
	T.last = *f;
	memcpy(T.rx, p, n < sizeof T.rx ? n : sizeof T.rx);
	T.rxl = n;
}

static void deliver4(void *ctx, const struct l2tp_link *link, const uint8_t *p, size_t n)
{
	(void)ctx;
	(void)link;
	memcpy(T.rx, p, n < sizeof T.rx ? n : sizeof T.rx);
	T.rxl = n;
}

static void lac_sink(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	ck_assert_int_lt(T.nout, 64);
	ck_assert_uint_le(n, sizeof T.out[0]);
	memcpy(T.out[T.nout], p, n);
	T.out_len[T.nout++] = n;
}

static void pump(void)
{
	for (int r = 0; r < 50; r++) {
		struct rp_ev *ev;
		bool moved = false;
		while ((ev = l2tp_next_event(T.lns))) {
			if (ev->type == L2TP_EV_AUTH_REQUEST) {
				l2tp_auth_from_store(T.lns, T.db, (const struct l2tp_ev_auth *)ev->data,
				                     T.now, NULL);
				moved = true;
			} else if (ev->type == L2TP_EV_SEND) {
				struct l2tp_ev_send *e = (struct l2tp_ev_send *)ev->data;
				struct l2tp_hdr h;
				ck_assert_int_eq(l2tp_hdr_parse(e->pkt, e->len, &h), 0);
				const uint8_t *f = e->pkt + h.payload_off;
				int k = h.ctrl ? -1 : (int)h.sid - 1;
				if (k >= 0 && k < 2 && rp_get_u16(f + 2) == PPP_IPV6CP && f[4] == 1) {
					T.reql[k] = e->len - h.payload_off;
					memcpy(T.req[k], f, T.reql[k]);
				} else if (k >= 0 && k < 2 &&
				           (rp_get_u16(f + 2) == PPP_IPV6 || rp_get_u16(f + 2) == PPP_IP)) {
					T.v6_out[k] += rp_get_u16(f + 2) == PPP_IPV6;
					T.txl = e->len - h.payload_off - 4;
					memcpy(T.tx, f + 4, T.txl);
				} else
					l2tp_lac_input(&T.lac, e->pkt, e->len, T.now);
				moved = true;
			}
			rp_ev_free(ev);
		}
		int nout = T.nout;
		T.nout = 0;
		for (int i = 0; i < nout; i++)
			l2tp_input(T.lns, &T.lac.link, T.out[i], T.out_len[i], T.now);
		moved |= nout > 0;
		if (!moved)
			return;
	}
}

/* A PPP frame from LAC session k (sid k + 1) to the LNS. */
static void ppp_from(int k, const uint8_t *f, size_t n)
{
	uint8_t b[1700];
	l2tp_data_hdr(b, sizeof b, T.lac.lns_tid, T.lac.s[k].lns_sid, (uint16_t)(n + 8));
	memcpy(b + 8, f, n);
	l2tp_input(T.lns, &T.lac.link, b, n + 8, T.now);
	pump();
}

static void v6_from(int k, const char *src)
{
	uint8_t f[4 + 40] = {0xff, 0x03, 0x00, 0x57, 0x60};
	struct rp_addr a;
	ck_assert_int_eq(rp_addr_parse(&a, src), 0);
	f[4 + 6] = 17;
	memcpy(f + 4 + 8, a.ip, 16);
	f[4 + 24] = 0x20; /* to 2001:db8:99::1 */
	f[4 + 25] = 0x01, f[4 + 26] = 0x0d, f[4 + 27] = 0xb8, f[4 + 29] = 0x99, f[4 + 39] = 1;
	ppp_from(k, f, sizeof f);
}

/* The LNS with prefix6 2001:db8:77::/48 and the test LAC with sessions user0 and user1 up to
 * IPCP and IPV6CP (identifiers ::a and ::b). c may carry more settings (mss_clamp4/6); pc is
 * filled with the defaults, mru_ours (0 = default) then applied. */
static struct auth_pool *bring_up(struct l2tp_conf *c, struct ppp_conf *pc, uint16_t mru_ours,
                                  struct rp_rng *rng, struct rp_log *log)
{
	rp_rng_seeded(rng, 6);
	rp_log_init(log, 0, NULL, NULL);
	struct auth_db *db = auth_db_open_file(":memory:", NULL, 0);
	ck_assert_int_eq(auth_account_add(db, "user0", "pw", NULL), 0);
	ck_assert_int_eq(auth_account_add(db, "user1", "pw", NULL), 0);
	struct auth_pool *pool = auth_pool_new();
	auth_pool_add_range(pool, 0xc6130a02, 0xc6130aff);
	ppp_conf_defaults(pc);
	if (mru_ours)
		pc->mru = mru_ours;
	pc->local_ip = 0xc6130a01;
	c->host_name = "rampart-test";
	c->ppp = pc;
	c->pool = pool;
	c->log = log;
	struct rp_addr p6;
	rp_addr_parse(&p6, "2001:db8:77::");
	memcpy(c->prefix6, p6.ip, 16);
	c->prefix6_len = 48;
	c->ip6_deliver = deliver6;
	memset(&T, 0, sizeof T);
	T.now = 1000000;
	T.db = db;
	T.lns = l2tp_new(c, rng, T.now);
	T.lac.send = lac_sink;
	l2tp_lac_start(&T.lac, 1, 100, T.now);
	pump();
	ck_assert(T.lac.sccrp);
	l2tp_lac_add_session(&T.lac, 1, "user0", "pw", T.now);
	l2tp_lac_add_session(&T.lac, 2, "user1", "pw", T.now);
	for (int r = 0; r < 40 && !(ppp_cli_up(&T.lac.s[0].c) && ppp_cli_up(&T.lac.s[1].c)); r++) {
		T.now += 500;
		l2tp_tick(T.lns, T.now);
		l2tp_lac_tick(&T.lac, T.now);
		pump();
	}
	ck_assert(ppp_cli_up(&T.lac.s[0].c) && ppp_cli_up(&T.lac.s[1].c));
	/* IPV6CP both ways: the peers' identifiers ::a and ::b */
	for (int k = 0; k < 2; k++) {
		ck_assert_uint_gt(T.reql[k], 0);
		uint8_t ack[64];
		memcpy(ack, T.req[k], T.reql[k]);
		ack[4] = 2;
		ppp_from(k, ack, T.reql[k]);
		uint8_t req[] = {0xff, 0x03, 0x80, 0x57, 1, 5, 0, 14, 1,
		                 10,   0,    0,    0,    0, 0, 0, 0,  (uint8_t)(0xa + k)};
		ppp_from(k, req, sizeof req);
	}
	return pool;
}

START_TEST(prefix_per_session_and_no_spoofing)
{
	struct rp_rng rng;
	struct rp_log log;
	struct ppp_conf pc;
	struct l2tp_conf c = {0};
	struct auth_pool *pool = bring_up(&c, &pc, 0, &rng, &log);
	struct auth_db *db = T.db;
	struct rp_addr p6;
	unsigned n = 0;
	/* the source check: own link-local, own /64 (any identifier) pass; the other's do not */
	v6_from(0, "fe80::a");
	ck_assert_uint_eq(T.delivered, ++n);
	ck_assert_uint_eq(T.last.prefix, 0x20010db800770001ull); /* the first /64 after the server's */
	ck_assert_uint_eq(T.last.peer_ifid, 0xa);
	ck_assert_uint_eq(T.last.our_ifid, 1);
	v6_from(1, "fe80::b");
	ck_assert_uint_eq(T.delivered, ++n);
	ck_assert_uint_eq(T.last.prefix, 0x20010db800770002ull);
	v6_from(0, "2001:db8:77:1:1234:5678:9abc:def0");
	ck_assert_uint_eq(T.delivered, ++n);
	struct l2tp_stats st0, st1;
	l2tp_get_stats(T.lns, &st0);
	v6_from(0, "2001:db8:77:2::b"); /* session 1's /64 */
	v6_from(0, "fe80::b");          /* session 1's link-local */
	v6_from(0, "2001:db8:99::5");   /* outside prefix6 */
	v6_from(1, "::");               /* unspecified, not ICMPv6 */
	ck_assert_uint_eq(T.delivered, n);
	l2tp_get_stats(T.lns, &st1);
	ck_assert_uint_eq(st1.drops - st0.drops, 4);

	/* from the TUN: routed by the destination /64 */
	uint8_t pkt[40] = {0x60};
	rp_addr_parse(&p6, "2001:db8:77:2::b");
	memcpy(pkt + 24, p6.ip, 16);
	ck_assert_int_eq(l2tp_output_ip6(T.lns, pkt, sizeof pkt, T.now), 0);
	rp_addr_parse(&p6, "2001:db8:77:1:ffff::1");
	memcpy(pkt + 24, p6.ip, 16);
	ck_assert_int_eq(l2tp_output_ip6(T.lns, pkt, sizeof pkt, T.now), 0);
	ck_assert_int_eq(l2tp_output_ip6(T.lns, pkt, sizeof pkt, T.now), 0);
	rp_addr_parse(&p6, "2001:db8:77:3::1"); /* nobody's */
	memcpy(pkt + 24, p6.ip, 16);
	ck_assert_int_eq(l2tp_output_ip6(T.lns, pkt, sizeof pkt, T.now), -1);
	pump();
	ck_assert_uint_eq(T.v6_out[0], 2);
	ck_assert_uint_eq(T.v6_out[1], 1);
	/* IPv6 counts in the session's counters (accounting) and keeps its idle clock going */
	struct l2tp_counters ctr;
	ck_assert_int_eq(l2tp_session_counters(T.lns, &T.last.link, T.last.tid, T.last.sid, &ctr), 0);
	ck_assert_uint_eq(ctr.tx_pkts, 2);
	ck_assert_uint_eq(ctr.tx_bytes, 2 * sizeof pkt);
	ck_assert_uint_ge(ctr.rx_pkts, 2);
	/* a closed session gives its /64 back: no longer routed (T.last is session 0's) */
	ck_assert_uint_eq(T.last.prefix, 0x20010db800770001ull);
	l2tp_close_session(T.lns, &T.last.link, T.last.tid, T.last.sid, T.now);
	pump();
	for (int r = 0; r < 10; r++) {
		T.now += 3000;
		l2tp_tick(T.lns, T.now);
		l2tp_lac_tick(&T.lac, T.now);
		pump();
	}
	ck_assert(!ppp_cli_up(&T.lac.s[0].c) || T.lac.s[0].cdn_rcvd);
	rp_addr_parse(&p6, "2001:db8:77:1::a");
	memcpy(pkt + 24, p6.ip, 16);
	ck_assert_int_eq(l2tp_output_ip6(T.lns, pkt, sizeof pkt, T.now), -1);
	rp_addr_parse(&p6, "2001:db8:77:2::b"); /* the other stays */
	memcpy(pkt + 24, p6.ip, 16);
	ck_assert_int_eq(l2tp_output_ip6(T.lns, pkt, sizeof pkt, T.now), 0);
	l2tp_free(T.lns);
	auth_pool_free(pool);
	auth_db_close(db);
}
END_TEST

/* A TCP SYN (MSS 1460, after a NOP: its value at an odd offset) from src to dst, IPv4 or IPv6,
 * with a right checksum. Returns its length. */
static size_t syn(uint8_t *p, bool v6, const uint8_t *src, const uint8_t *dst)
{
	size_t t = v6 ? 40 : 20, n = t + 28;
	memset(p, 0, n);
	if (v6) {
		p[0] = 0x60;
		p[5] = 28;
		p[6] = 6;
		p[7] = 64;
		memcpy(p + 8, src, 16);
		memcpy(p + 24, dst, 16);
	} else {
		p[0] = 0x45;
		p[3] = (uint8_t)n;
		p[8] = 64;
		p[9] = 6;
		memcpy(p + 12, src, 4);
		memcpy(p + 16, dst, 4);
	}
	static const uint8_t tcp[28] = {0xc3, 0x51, 0, 80, 0, 0, 0x12, 0x78, 0, 0,    0,    0, 0x70, 0x02,
	                                0xfa, 0xf0, 0, 0,  0, 0, 1,    2,    4, 0x05, 0xb4, 1, 1,    0};
	memcpy(p + t, tcp, sizeof tcp);
	mss_t_fill(p, t, 28);
	return n;
}

/* MSS clamping (issue 11) through the session layer, both families, both ways: the limit is the
 * configured ceiling lowered to the MRU (ours 1300 here, the client's 1500) less 40 / 60; the
 * packet handed in is borrowed and stays as it was (a copy is clamped); counted. */
START_TEST(mss_clamped_both_ways)
{
	struct rp_rng rng;
	struct rp_log log;
	struct ppp_conf pc;
	struct l2tp_conf c = {.mss_clamp4 = 1360, .mss_clamp6 = 1340, .ip_deliver = deliver4};
	struct auth_pool *pool = bring_up(&c, &pc, 1300, &rng, &log);
	uint8_t p[100], orig[100], c4[4], s4[4], c6[16], s6[16];
	struct rp_addr a;
	rp_put_u32(c4, T.lac.s[0].c.ip);
	rp_put_u32(s4, 0xc6130a01);
	rp_addr_parse(&a, "2001:db8:77:1::a");
	memcpy(c6, a.ip, 16);
	rp_addr_parse(&a, "2001:db8:99::1");
	memcpy(s6, a.ip, 16);
	struct l2tp_stats st;
	for (int v6 = 0; v6 < 2; v6++) {
		uint16_t want = v6 ? 1300 - 60 : 1300 - 40;
		size_t t = v6 ? 40 : 20;
		/* from the client: what reaches the TUN */
		size_t n = syn(p, v6, v6 ? c6 : c4, v6 ? s6 : s4);
		uint8_t f[4 + 100] = {0xff, 0x03, 0x00, v6 ? 0x57 : 0x21};
		memcpy(f + 4, p, n);
		T.rxl = 0;
		ppp_from(0, f, 4 + n);
		ck_assert_uint_eq(T.rxl, n);
		ck_assert_uint_eq(rp_get_u16(T.rx + t + 23), want);
		ck_assert_uint_eq(mss_t_verify(T.rx, t, 28), 0xffff);
		/* from the TUN: what the client gets; the caller's packet is left as it was */
		n = syn(p, v6, v6 ? s6 : s4, v6 ? c6 : c4);
		memcpy(orig, p, n);
		T.txl = 0;
		ck_assert_int_eq(v6 ? l2tp_output_ip6(T.lns, p, n, T.now)
		                    : l2tp_output_ip(T.lns, T.lac.s[0].c.ip, p, n, T.now),
		                 0);
		pump();
		ck_assert_uint_eq(T.txl, n);
		ck_assert_uint_eq(rp_get_u16(T.tx + t + 23), want);
		ck_assert_uint_eq(mss_t_verify(T.tx, t, 28), 0xffff);
		ck_assert_mem_eq(p, orig, n);
		l2tp_get_stats(T.lns, &st);
		ck_assert_uint_eq(st.mss_clamped, 2u * (unsigned)(v6 + 1));
	}
	/* between the MRU's limit (1260) and the ceiling (1360): lowered all the same */
	size_t n1 = syn(p, false, s4, c4);
	rp_put_u16(p + 20 + 23, 1300);
	mss_t_fill(p, 20, 28);
	ck_assert_int_eq(l2tp_output_ip(T.lns, T.lac.s[0].c.ip, p, n1, T.now), 0);
	pump();
	ck_assert_uint_eq(rp_get_u16(T.tx + 20 + 23), 1260);
	ck_assert_uint_eq(mss_t_verify(T.tx, 20, 28), 0xffff);
	/* below the limit: passed as it is, not counted */
	size_t n = syn(p, false, s4, c4);
	rp_put_u16(p + 20 + 23, 1000);
	mss_t_fill(p, 20, 28);
	ck_assert_int_eq(l2tp_output_ip(T.lns, T.lac.s[0].c.ip, p, n, T.now), 0);
	pump();
	ck_assert_uint_eq(rp_get_u16(T.tx + 20 + 23), 1000);
	/* off (a reload to 0): the next SYN keeps its 1460 */
	c.mss_clamp4 = c.mss_clamp6 = 0;
	l2tp_reconf(T.lns, &c);
	n = syn(p, false, s4, c4);
	ck_assert_int_eq(l2tp_output_ip(T.lns, T.lac.s[0].c.ip, p, n, T.now), 0);
	pump();
	ck_assert_uint_eq(rp_get_u16(T.tx + 20 + 23), 1460);
	l2tp_get_stats(T.lns, &st);
	ck_assert_uint_eq(st.mss_clamped, 5);
	l2tp_free(T.lns);
	auth_pool_free(pool);
	auth_db_close(T.db);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("session6");
	TCase *tc = tcase_create("session6");
	tcase_add_test(tc, prefix_per_session_and_no_spoofing);
	tcase_add_test(tc, mss_clamped_both_ways);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(suite)
