/* Admission control (issue 12, ike_adm.c): half-open limits per address and in total, the SA
 * payload cap, the DH budget with its preference for known addresses, MM3 from the wrong
 * address, child SAs per IKE SA. Socketless: the responder core and test initiators. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "test_ike_net.h"

/* One initiator message from an address of the test's choosing (an attacker, another client). */
static int deliver_from(struct net *n, uint32_t ip, uint16_t port, const uint8_t *msg, size_t len)
{
	struct rp_pkt p = {.data = msg, .len = len, .rx_ms = n->now};
	rp_addr_v4(&p.src, ip, port);
	p.dst = n->srv;
	n->reply_len = 0;
	int rc = ike_input(n->r, &p, n->now);
	drain(n);
	return rc;
}

/* MM1 from ip:port with a fresh initiator; returns it (caller frees), reply in n->reply. */
static struct ike_cli *mm1_from(struct net *n, struct rp_rng *rng, uint32_t ip, uint16_t port)
{
	uint8_t out[IKE_MAXBUF];
	struct ike_cli *t = ike_cli_new(&n->tc, rng);
	deliver_from(n, ip, port, out, ike_cli_start(t, out, sizeof out));
	return t;
}

static void legacy(struct net *n)
{
	n->tc.p1 = win_modern + 1; /* ECP-256: cheap DH */
	n->tc.np1 = 1;
	n->tc.p2 = p2_win;
	n->tc.np2 = 1;
}

START_TEST(t_halfopen_per_ip)
{
	/* one address (many ports) holds at most max_halfopen_per_ip half-open SAs. A flood from a
	 * NAT's address that legitimate clients share (nobody answers MM2) only replaces its own
	 * unanswered SAs: the real client behind that NAT still completes. */
	struct net n;
	struct rp_rng ri;
	net_init(&n, false);
	legacy(&n);
	n.conf.max_halfopen_ip = 10;
	net_start(&n);
	rp_rng_seeded(&ri, 7);
	uint32_t nat = rp_get_u32(n.priv.ip);
	for (int i = 0; i < 30; i++)
		ike_cli_free(mm1_from(&n, &ri, nat, (uint16_t)(1000 + i)));
	ck_assert_uint_eq(ike_sa_count(n.r), 10);
	ck_assert_int_eq(handshake(&n), 0);
	struct ike_stats st;
	ike_get_stats(n.r, &st);
	ck_assert_uint_eq(st.adm[IKE_A_EVICTED], 21);
	ck_assert_uint_eq(st.adm[IKE_A_HALFOPEN_IP], 0);
	ck_assert_uint_eq(st.halfopen, 9);
	ck_assert_int_eq(count_lines(n.logbuf, "admission: halfopen_evicted"), 1);
	/* the half-open ones expire on the timer heap and give their counts back */
	n.now += 31000;
	ike_tick(n.r, n.now);
	ike_get_stats(n.r, &st);
	ck_assert_uint_eq(st.halfopen, 0);
	ck_assert_uint_eq(ike_sa_count(n.r), 1);
	net_free(&n);
}
END_TEST

START_TEST(t_halfopen_per_ip_proven_refused)
{
	/* when every half-open SA of an address has answered MM2, the next MM1 from it is refused
	 * (one log line however many), and other addresses still get in */
	struct net n;
	struct rp_rng ri;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, false);
	legacy(&n);
	n.conf.max_halfopen_ip = 10;
	net_start(&n);
	rp_rng_seeded(&ri, 7);
	for (int i = 0; i < 30; i++) {
		struct ike_cli *t = mm1_from(&n, &ri, 0xcb0071aa, (uint16_t)(1000 + i));
		if (n.reply_len) {
			long l = ike_cli_input(t, n.reply, n.reply_len, out, sizeof out);
			deliver_from(&n, 0xcb0071aa, (uint16_t)(1000 + i), out, (size_t)l);
		}
		ike_cli_free(t);
	}
	ck_assert_uint_eq(ike_sa_count(n.r), 10);
	ike_cli_free(mm1_from(&n, &ri, 0xcb0071ab, 500));
	ck_assert_uint_gt(n.reply_len, 0);
	struct ike_stats st;
	ike_get_stats(n.r, &st);
	ck_assert_uint_eq(st.adm[IKE_A_HALFOPEN_IP], 20);
	ck_assert_uint_eq(st.adm[IKE_A_EVICTED], 0);
	ck_assert_int_eq(count_lines(n.logbuf, "admission: halfopen_per_ip"), 1);
	net_free(&n);
}
END_TEST

START_TEST(t_halfopen_total_evicts_spoofed)
{
	/* a flood of MM1 from spoofed addresses (nobody answers MM2) cannot fill the table: at
	 * max_halfopen the oldest unanswered one makes room, and a client that answered MM2
	 * (MM3 with our cookie) keeps its place and completes */
	struct net n;
	struct rp_rng ri;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, false);
	legacy(&n);
	n.conf.max_halfopen = 50;
	net_start(&n);
	rp_rng_seeded(&ri, 8);
	long len = (long)ike_cli_start(n.t, out, sizeof out);
	deliver(&n, out, (size_t)len); /* MM1 */
	len = ike_cli_input(n.t, n.reply, n.reply_len, out, sizeof out);
	deliver(&n, out, (size_t)len); /* MM3: proven */
	ck_assert_uint_gt(n.reply_len, 0);
	for (uint32_t i = 0; i < 400; i++) {
		ike_cli_free(mm1_from(&n, &ri, 0xc6120000 + i, 500));
		ck_assert_uint_gt(n.reply_len, 0); /* every new one is answered */
	}
	ck_assert_uint_le(ike_sa_count(n.r), 50);
	struct ike_stats st;
	ike_get_stats(n.r, &st);
	ck_assert_uint_eq(st.adm[IKE_A_EVICTED], 351);
	ck_assert_int_eq(count_lines(n.logbuf, "admission: halfopen_evicted"), 1);
	net_free(&n);
}
END_TEST

START_TEST(t_proven_survives_flood)
{
	struct net n;
	struct rp_rng ri;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, false);
	legacy(&n);
	n.conf.max_halfopen = 50;
	net_start(&n);
	rp_rng_seeded(&ri, 8);
	long len = (long)ike_cli_start(n.t, out, sizeof out);
	deliver(&n, out, (size_t)len);
	len = ike_cli_input(n.t, n.reply, n.reply_len, out, sizeof out);
	deliver(&n, out, (size_t)len); /* MM3 -> MM4 */
	uint8_t mm4[IKE_MAXBUF];
	size_t mm4len = n.reply_len;
	memcpy(mm4, n.reply, mm4len);
	for (uint32_t i = 0; i < 400; i++)
		ike_cli_free(mm1_from(&n, &ri, 0xc6120000 + i, 500));
	len = ike_cli_input(n.t, mm4, mm4len, out, sizeof out);
	ck_assert_int_gt(len, 0);
	deliver(&n, out, (size_t)len); /* MM5 -> MM6 */
	ck_assert_int_eq(n.nup, 1);
	ck_assert_uint_le(ike_sa_count(n.r), 50);
	net_free(&n);
}
END_TEST

START_TEST(t_unanswered_timeouts_one_line)
{
	/* half-open SAs whose peer never answered MM2 (spoofed sources) time out with one line a
	 * while and a count, not a line each; one that answered still gets its own line */
	struct net n;
	struct rp_rng ri;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, false);
	legacy(&n);
	net_start(&n);
	rp_rng_seeded(&ri, 11);
	for (uint32_t i = 0; i < 50; i++)
		ike_cli_free(mm1_from(&n, &ri, 0xc6180000 + i, 500));
	long len = (long)ike_cli_start(n.t, out, sizeof out);
	deliver(&n, out, (size_t)len);
	len = ike_cli_input(n.t, n.reply, n.reply_len, out, sizeof out);
	deliver(&n, out, (size_t)len); /* MM3: answered, then silence */
	n.now += 31000;
	ike_tick(n.r, n.now);
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	struct ike_stats st;
	ike_get_stats(n.r, &st);
	ck_assert_uint_eq(st.adm[IKE_A_UNANSWERED], 50);
	ck_assert_uint_eq(st.result[IKE_R_TIMEOUT], 51);
	ck_assert_int_eq(count_lines(n.logbuf, "admission: halfopen_unanswered_timeout"), 1);
	ck_assert_int_eq(count_lines(n.logbuf, "timed out in state"), 1);
	net_free(&n);
}
END_TEST

START_TEST(t_halfopen_all_proven_refused)
{
	/* when every half-open SA has answered MM2, a new MM1 beyond max_halfopen is refused */
	struct net n;
	struct rp_rng ri;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, false);
	legacy(&n);
	n.conf.max_halfopen = 5;
	net_start(&n);
	rp_rng_seeded(&ri, 3);
	for (uint32_t i = 0; i < 5; i++) {
		struct ike_cli *t = mm1_from(&n, &ri, 0xc6130000 + i, 500);
		long l = ike_cli_input(t, n.reply, n.reply_len, out, sizeof out);
		deliver_from(&n, 0xc6130000 + i, 500, out, (size_t)l);
		ck_assert_uint_gt(n.reply_len, 0);
		ike_cli_free(t);
	}
	ike_cli_free(mm1_from(&n, &ri, 0xc6140000, 500));
	ck_assert_uint_eq(n.reply_len, 0);
	ck_assert_uint_eq(ike_sa_count(n.r), 5);
	struct ike_stats st;
	ike_get_stats(n.r, &st);
	ck_assert_uint_eq(st.adm[IKE_A_HALFOPEN_TOTAL], 1);
	net_free(&n);
}
END_TEST

START_TEST(t_sa_payload_cap)
{
	/* the SA payload is kept until MM5: an offer beyond max_sa_payload makes no state (the
	 * finding: a padded one made each half-open SA ~64 KiB) */
	static struct ike_p1_alg many[100];
	struct net n;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, false);
	for (int i = 0; i < 100; i++)
		many[i] = win_modern[i % 5];
	net_offer(&n, many, 100, p2_win, 1);
	net_start(&n);
	size_t len = ike_cli_start(n.t, out, sizeof out);
	ck_assert_uint_gt(len, 2048 + 28);
	deliver(&n, out, len);
	ck_assert_uint_eq(n.reply_len, 0);
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	struct ike_stats st;
	ike_get_stats(n.r, &st);
	ck_assert_uint_eq(st.adm[IKE_A_SA_PAYLOAD], 1);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "(ike.max_sa_payload)"));
	/* 14 transforms, as Windows offers, are well within */
	ike_cli_free(n.t);
	n.tc.np1 = 14;
	n.t = ike_cli_new(&n.tc, &n.ri);
	ck_assert_int_eq(handshake(&n), 0);
	net_free(&n);
}
END_TEST

/* MM1 and MM3 of a fresh initiator from ip:port: whether MM3 was answered (the DH was done). */
static bool mm3_answered(struct net *n, struct rp_rng *rng, uint32_t ip, uint16_t port)
{
	uint8_t out[IKE_MAXBUF];
	struct ike_cli *t = mm1_from(n, rng, ip, port);
	ck_assert_uint_gt(n->reply_len, 0);
	long l = ike_cli_input(t, n->reply, n->reply_len, out, sizeof out);
	ck_assert_int_gt(l, 0);
	deliver_from(n, ip, port, out, (size_t)l);
	ike_cli_free(t);
	return n->reply_len > 0;
}

START_TEST(t_dh_budget)
{
	/* peers without a recent success share dh_per_s DH computations a second (MODP-2048
	 * equivalents), one address at most a quarter; an address that completed Main Mode is
	 * served even when the budget is spent */
	static const struct ike_p1_alg modp4096[] = {A(AES, 256, SHA1, 16)};
	struct net n;
	struct rp_rng ri;
	net_init(&n, false);
	legacy(&n);
	n.tc.p1 = win_modern + 2; /* MODP-2048: one unit of the budget each */
	n.conf.dh_per_s = 8;
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0); /* one of the eight */
	rp_rng_seeded(&ri, 5);
	int answered = 0;
	for (uint32_t i = 0; i < 20; i++)
		answered += mm3_answered(&n, &ri, 0xc6150000 + i, 500);
	ck_assert_int_eq(answered, 7);
	struct ike_stats st;
	ike_get_stats(n.r, &st);
	ck_assert_uint_eq(st.adm[IKE_A_DH_DEFERRED], 13);
	ck_assert_int_eq(count_lines(n.logbuf, "admission: dh_deferred"), 1);
	/* the known address again, budget spent: served */
	ike_cli_free(n.t);
	n.ninst = 0;
	n.t = ike_cli_new(&n.tc, &n.ri);
	ck_assert_int_eq(handshake(&n), 0);
	ike_get_stats(n.r, &st);
	ck_assert_uint_eq(st.dh_preferred, 1);

	/* a second later the budget is whole again: one address alone gets a quarter of it */
	n.now += 1000;
	answered = 0;
	for (uint16_t i = 0; i < 5; i++)
		answered += mm3_answered(&n, &ri, 0xc6160000, (uint16_t)(3000 + i));
	ck_assert_int_eq(answered, 2);
	/* and a MODP-4096 one (~6 times the CPU) leaves room for fewer MODP-2048 ones after it */
	n.now += 1000;
	n.tc.p1 = modp4096;
	ck_assert(mm3_answered(&n, &ri, 0xc6170000, 500));
	n.tc.p1 = win_modern + 2;
	answered = 0;
	for (uint32_t i = 1; i < 8; i++)
		answered += mm3_answered(&n, &ri, 0xc6170000 + i, 500);
	ck_assert_int_eq(answered, 2);
	net_free(&n);
}
END_TEST

START_TEST(t_mm3_wrong_source)
{
	/* whoever learnt the cookies gets no DH work unless it sends from MM1's address */
	struct net n;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, false);
	legacy(&n);
	net_start(&n);
	long len = (long)ike_cli_start(n.t, out, sizeof out);
	deliver(&n, out, (size_t)len);
	len = ike_cli_input(n.t, n.reply, n.reply_len, out, sizeof out);
	deliver_from(&n, 0xc6170001, 500, out, (size_t)len);
	ck_assert_uint_eq(n.reply_len, 0);
	struct ike_stats st;
	ike_get_stats(n.r, &st);
	ck_assert_uint_eq(st.adm[IKE_A_MM3_SOURCE], 1);
	deliver(&n, out, (size_t)len); /* the real peer still can */
	ck_assert_uint_gt(n.reply_len, 0);
	net_free(&n);
}
END_TEST

START_TEST(t_child_cap)
{
	/* the finding: 5,000 Quick Modes on one IKE SA each installed an SA pair */
	struct net n;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, true);
	n.conf.max_child = 4;
	up(&n, false);
	for (int i = 0; i < 7; i++) {
		size_t l = ike_cli_quick(n.t, out, sizeof out);
		deliver(&n, out, l);
		if (!n.reply_len)
			continue;
		long l3 = ike_cli_input(n.t, n.reply, n.reply_len, out, sizeof out);
		ck_assert_int_gt(l3, 0);
		deliver(&n, out, (size_t)l3);
	}
	ck_assert_uint_eq(ike_child_count(n.r), 4);
	ck_assert_int_eq(n.ninst, 4);
	struct ike_stats st;
	ike_get_stats(n.r, &st);
	ck_assert_uint_eq(st.adm[IKE_A_CHILD_LIMIT], 4);
	net_free(&n);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ike_adm");
	TCase *tc = tcase_create("admission");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_halfopen_per_ip);
	tcase_add_test(tc, t_halfopen_per_ip_proven_refused);
	tcase_add_test(tc, t_halfopen_total_evicts_spoofed);
	tcase_add_test(tc, t_proven_survives_flood);
	tcase_add_test(tc, t_unanswered_timeouts_one_line);
	tcase_add_test(tc, t_halfopen_all_proven_refused);
	tcase_add_test(tc, t_sa_payload_cap);
	tcase_add_test(tc, t_dh_budget);
	tcase_add_test(tc, t_mm3_wrong_source);
	tcase_add_test(tc, t_child_cap);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(suite)
