/* The responder core over time, against the in-memory initiator: informational exchanges
 * (DELETE both ways, DPD both ways, INITIAL-CONTACT), lifetimes and half-open timers (now jumps
 * to ike_next_deadline), re-keys, NAT rebinding, several clients behind one NAT, key log, SPI
 * allocation by the SAD. */
#include "check_main.h"
#include "test_ike_net.h"

/* ---- informational, DPD, timers ----------------------------------------------------------------- */

START_TEST(t_delete_esp_and_ike)
{
	struct net n;
	uint8_t out[IKE_MAXBUF], spi[4], ck[16];
	net_init(&n, true);
	up(&n, false);
	rp_put_u32(spi, n.t->spi_i);
	size_t l = ike_cli_info(n.t, true, ISAKMP_PROTO_ESP, spi, 4, 0, NULL, 0, out, sizeof out);
	ck_assert_int_eq(deliver(&n, out, l), 0);
	ck_assert_int_eq(n.ndel, 1);
	ck_assert_uint_eq(ike_child_count(n.r), 0);
	memcpy(ck, n.t->icky, 8);
	memcpy(ck + 8, n.t->rcky, 8);
	l = ike_cli_info(n.t, true, ISAKMP_PROTO_ISAKMP, ck, 16, 0, NULL, 0, out, sizeof out);
	ck_assert_int_eq(deliver(&n, out, l), 0);
	ck_assert_int_eq(n.ndown, 1);
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	net_free(&n);
}
END_TEST

START_TEST(t_unauthenticated_delete_ignored)
{
	struct net n;
	uint8_t out[IKE_MAXBUF], spi[4];
	net_init(&n, false);
	up(&n, false);
	struct isakmp_wr w;
	isakmp_wr_init(&w, out, sizeof out);
	isakmp_wr_hdr(&w, n.t->icky, n.t->rcky, ISAKMP_EX_INFO, 0, 1234);
	rp_put_u32(spi, n.t->spi_i);
	isakmp_wr_delete(&w, ISAKMP_PROTO_ESP, spi, 4);
	size_t l = isakmp_wr_finish(&w);
	ck_assert_int_eq(deliver(&n, out, l), -1);
	ck_assert_int_eq(n.ndel, 0);
	/* and a protected one with a wrong hash */
	l = ike_cli_info(n.t, true, ISAKMP_PROTO_ESP, spi, 4, 0, NULL, 0, out, sizeof out);
	n.t->k.a[0] ^= 1;
	l = ike_cli_info(n.t, true, ISAKMP_PROTO_ESP, spi, 4, 0, NULL, 0, out, sizeof out);
	ck_assert_int_eq(deliver(&n, out, l), -1);
	ck_assert_int_eq(n.ndel, 0);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	net_free(&n);
}
END_TEST

START_TEST(t_dpd_answer)
{
	struct net n;
	uint8_t out[IKE_MAXBUF], ck[16], seq[4] = {0, 0, 0x12, 0x34}, scratch[IKE_MAXBUF];
	net_init(&n, true);
	up(&n, true);
	memcpy(ck, n.t->icky, 8);
	memcpy(ck + 8, n.t->rcky, 8);
	size_t l = ike_cli_info(n.t, false, ISAKMP_PROTO_ISAKMP, ck, 16, ISAKMP_N_DPD_R_U_THERE, seq, 4, out,
	                        sizeof out);
	ck_assert_int_eq(deliver(&n, out, l), 0);
	ck_assert_uint_gt(n.reply_len, 0);
	struct isakmp_notify_pl np;
	ck_assert_int_eq(ike_cli_read_info(n.t, n.reply, n.reply_len, &np, NULL, scratch, sizeof scratch), 0);
	ck_assert_int_eq(np.type, ISAKMP_N_DPD_R_U_THERE_ACK);
	ck_assert_int_eq(np.len, 4);
	ck_assert_mem_eq(np.data, seq, 4);
	/* the same message again (replayed): not answered twice */
	int sends = n.nsend;
	ck_assert_int_eq(deliver(&n, out, l), -1);
	ck_assert_int_eq(n.nsend, sends);
	net_free(&n);
}
END_TEST

START_TEST(t_dpd_dead_peer)
{
	struct net n;
	uint8_t scratch[IKE_MAXBUF];
	net_init(&n, true);
	up(&n, true);
	int sends = n.nsend, probes = 0;
	while (n.ndown == 0) {
		uint64_t d = ike_next_deadline(n.r);
		ck_assert_uint_ne(d, UINT64_MAX);
		n.now = d;
		ike_tick(n.r, n.now);
		drain(&n);
		if (n.nsend > sends) {
			struct isakmp_notify_pl np;
			ck_assert_int_eq(
			    ike_cli_read_info(n.t, n.reply, n.reply_len, &np, NULL, scratch, sizeof scratch),
			    0);
			ck_assert_int_eq(np.type, ISAKMP_N_DPD_R_U_THERE);
			sends = n.nsend;
			probes++;
		}
	}
	ck_assert_int_gt(probes, 1);
	ck_assert_int_eq(n.ndel, 1); /* its IPsec SA goes with it */
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	ck_assert_uint_ge(n.now, 1000 + 120000);
	net_free(&n);
}
END_TEST

START_TEST(t_dpd_ack_keeps_alive)
{
	struct net n;
	uint8_t scratch[IKE_MAXBUF], out[IKE_MAXBUF], ck[16];
	net_init(&n, false);
	up(&n, true);
	memcpy(ck, n.t->icky, 8);
	memcpy(ck + 8, n.t->rcky, 8);
	for (int i = 0; i < 10; i++) {
		int sends = n.nsend;
		for (int k = 0; k < 3 && n.nsend == sends; k++) { /* other timers may come first */
			n.now = ike_next_deadline(n.r);
			ike_tick(n.r, n.now);
			drain(&n);
		}
		ck_assert_int_eq(n.nsend, sends + 1);
		struct isakmp_notify_pl np;
		ck_assert_int_eq(
		    ike_cli_read_info(n.t, n.reply, n.reply_len, &np, NULL, scratch, sizeof scratch), 0);
		ck_assert_int_eq(np.type, ISAKMP_N_DPD_R_U_THERE);
		size_t l = ike_cli_info(n.t, false, ISAKMP_PROTO_ISAKMP, ck, 16, ISAKMP_N_DPD_R_U_THERE_ACK,
		                        np.data, 4, out, sizeof out);
		ck_assert_int_eq(deliver(&n, out, l), 0);
	}
	ck_assert_int_eq(n.ndown, 0);
	ck_assert_uint_eq(ike_sa_count(n.r), 1);
	net_free(&n);
}
END_TEST

START_TEST(t_halfopen_timeout)
{
	struct net n;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, false);
	n.tc.p1 = win_legacy;
	n.tc.np1 = 1;
	net_start(&n);
	deliver(&n, out, ike_cli_start(n.t, out, sizeof out));
	ck_assert_uint_eq(ike_sa_count(n.r), 1);
	ck_assert_uint_eq(ike_next_deadline(n.r), 1000 + 30000);
	ike_tick(n.r, 1000 + 29999);
	ck_assert_uint_eq(ike_sa_count(n.r), 1);
	ike_tick(n.r, 1000 + 30000);
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	ck_assert_uint_eq(ike_next_deadline(n.r), UINT64_MAX);
	net_free(&n);
}
END_TEST

/* Main Mode and QM1/QM2, and QM3 lost on the way (the pair is installed at QM2). */
static void up_without_qm3(struct net *n)
{
	uint8_t out[IKE_MAXBUF];
	net_offer(n, win_modern, 5, p2_win, 3);
	net_start(n);
	long len = (long)ike_cli_start(n->t, out, sizeof out);
	while (len > 0 && n->t->step < 9) {
		deliver(n, out, (size_t)len);
		ck_assert_uint_gt(n->reply_len, 0);
		len = ike_cli_input(n->t, n->reply, n->reply_len, out, sizeof out);
	}
	ck_assert_int_eq(n->t->step, 9); /* out holds QM3: not delivered */
	ck_assert_int_eq(n->ninst, 1);
}

/* Without QM3 the pair is withdrawn once the Quick Mode times out... */
START_TEST(t_qm3_lost_withdraws)
{
	struct net n;
	net_init(&n, true);
	up_without_qm3(&n);
	ike_tick(n.r, n.now + 30000);
	drain(&n);
	ck_assert_int_eq(n.ndel, 1);
	ck_assert_uint_eq(ike_child_count(n.r), 0);
	net_free(&n);
}
END_TEST

/* ...unless ESP authenticated on it first: that proves what QM3 would have (the first ESP
 * packet arrives while QM3 is lost; issue 12's impaired links lost sessions this way). */
START_TEST(t_qm3_lost_esp_proves)
{
	struct net n;
	net_init(&n, true);
	up_without_qm3(&n);
	uint32_t spi = n.inst[0].spi_in;
	ck_assert_int_eq(ike_child_proven(n.r, spi + 1, n.now), -1);
	ck_assert_int_eq(ike_child_proven(n.r, spi, n.now + 10), 0);
	ck_assert_int_eq(ike_child_proven(n.r, spi, n.now + 20), 1); /* nothing left to complete */
	ike_tick(n.r, n.now + 31000);
	drain(&n);
	ck_assert_int_eq(n.ndel, 0);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	net_free(&n);
}
END_TEST

/* The SA timer heap: half-open SAs created at shuffled times (and touched again by
 * retransmissions, which must not move their timers) time out one at a time, in order, each
 * exactly at its deadline; a tick just before touches nothing. */
START_TEST(t_halfopen_heap_order)
{
	enum { K = 40 };
	struct net n;
	uint8_t out[IKE_MAXBUF];
	size_t len[K];
	static uint8_t mm1[K][IKE_MAXBUF];
	struct ike_cli *ti[K];
	net_init(&n, false);
	n.tc.p1 = win_legacy;
	n.tc.np1 = 1;
	net_start(&n);
	for (unsigned i = 0; i < K; i++) {
		ti[i] = ike_cli_new(&n.tc, &n.ri);
		n.now = 1000 + (uint64_t)((i * 17u) % K) * 100u;
		n.priv.port = (uint16_t)(2000 + i);
		len[i] = ike_cli_start(ti[i], mm1[i], sizeof mm1[i]);
		ck_assert_int_eq(deliver1(&n, mm1[i], len[i]), 0);
	}
	ck_assert_uint_eq(ike_sa_count(n.r), K);
	for (unsigned i = 0; i < K; i += 3) { /* retransmissions later on: answered, timers kept */
		n.now = 1000 + K * 100;
		n.priv.port = (uint16_t)(2000 + i);
		ck_assert_int_eq(deliver1(&n, mm1[i], len[i]), 0);
	}
	for (unsigned k = 0; k < K; k++) {
		uint64_t d = ike_next_deadline(n.r);
		ck_assert_uint_eq(d, 1000 + (uint64_t)k * 100u + 30000);
		ike_tick(n.r, d - 1);
		ck_assert_uint_eq(ike_sa_count(n.r), K - k);
		ike_tick(n.r, d);
		ck_assert_uint_eq(ike_sa_count(n.r), K - k - 1);
	}
	ck_assert_uint_eq(ike_next_deadline(n.r), UINT64_MAX);
	for (unsigned i = 0; i < K; i++)
		ike_cli_free(ti[i]);
	(void)out;
	net_free(&n);
}
END_TEST

START_TEST(t_lifetimes)
{
	/* the client asks for 8 h in phase 2: we shorten to 1 h and say so (RESPONDER-LIFETIME);
	 * at the hour the IPsec SA is deleted (with a DELETE to the peer), phase 1 at 8 h */
	struct net n;
	uint8_t scratch[IKE_MAXBUF];
	net_init(&n, false);
	n.tc.p2_life_s = 28800;
	up(&n, false);
	ck_assert(n.t->responder_lifetime);
	ck_assert_uint_eq(n.t->resp_life_s, 3600);
	ck_assert_uint_eq(n.inst[0].life_s, 3600);
	while (n.ndel == 0) {
		n.now = ike_next_deadline(n.r);
		ike_tick(n.r, n.now);
		drain(&n);
	}
	ck_assert_uint_eq(n.now, 1000 + 3600 * 1000);
	struct isakmp_delete_pl d;
	ck_assert_int_eq(ike_cli_read_info(n.t, n.reply, n.reply_len, NULL, &d, scratch, sizeof scratch), 0);
	ck_assert_int_eq(d.proto, ISAKMP_PROTO_ESP);
	ck_assert_uint_eq(rp_get_u32(d.spis), n.t->spi_r);
	ck_assert_uint_eq(ike_next_deadline(n.r), 1000 + 28800 * 1000);
	n.now = ike_next_deadline(n.r);
	ike_tick(n.r, n.now);
	drain(&n);
	ck_assert_int_eq(n.ndown, 1);
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	net_free(&n);
}
END_TEST

START_TEST(t_lifetime_kilobytes_and_phase1)
{
	/* the client asks for 250000 KB and phase 1 for 24 h: with a 100000 KB limit of ours the
	 * phase-2 answer says so (RESPONDER-LIFETIME with both durations); phase 1 is capped at 8 h */
	struct net n;
	net_init(&n, false);
	n.conf.p2_life_max_kb = 100000;
	n.tc.p2_life_s = 3600;
	n.tc.p2_life_kb = 250000;
	n.tc.p1_life_s = 86400;
	up(&n, false);
	ck_assert(n.t->responder_lifetime);
	ck_assert_uint_eq(n.t->resp_life_s, 3600);
	ck_assert_uint_eq(n.t->resp_life_kb, 100000);
	ck_assert_uint_eq(n.inst[0].life_kb, 100000);
	ck_assert_uint_eq(n.inst[0].life_s, 3600);
	ck_assert_uint_eq(n.p1_life, 28800);
	/* a client asking less than our limits gets no RESPONDER-LIFETIME */
	net_free(&n);
	net_init(&n, false);
	n.conf.p2_life_max_kb = 100000;
	n.tc.p2_life_s = 1800;
	n.tc.p2_life_kb = 50000;
	up(&n, false);
	ck_assert(!n.t->responder_lifetime);
	ck_assert_uint_eq(n.inst[0].life_kb, 50000);
	ck_assert_uint_eq(n.inst[0].life_s, 1800);
	net_free(&n);
}
END_TEST

START_TEST(t_initial_contact)
{
	struct net n;
	net_init(&n, true);
	up(&n, false);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	/* the client reboots and comes back with INITIAL-CONTACT: its NAT mapping on 500 is new, the
	 * one on 4500 (where MM5 arrives, float_port) survived, as a NAT keeps it while the old SA's
	 * keepalives ran: the same address and port, so the same client */
	ike_cli_free(n.t);
	n.pub.port = 40200;
	n.tc.initial_contact = true;
	n.t = ike_cli_new(&n.tc, &n.ri);
	n.ninst = 0;
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_int_eq(n.ndown, 1);
	ck_assert_int_eq(n.ndel, 1);
	ck_assert_uint_eq(ike_sa_count(n.r), 1);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	net_free(&n);
}
END_TEST

START_TEST(t_initial_contact_same_id_other_port)
{
	/* Issue 10: two PSK clients behind one NAT assert the same phase-1 ID (a shared FQDN; Windows
	 * clients often share a private address as ID too). The second's INITIAL-CONTACT, in MM5 and
	 * again in an authenticated informational, must leave the first's IKE and IPsec SAs alone:
	 * only the NAT's port tells the two apart. */
	struct net n;
	uint8_t out[IKE_MAXBUF], ck[16];
	net_init(&n, true);
	n.tc.id_type = ISAKMP_ID_FQDN;
	n.tc.id = "vpn-users.example.test";
	up(&n, false);
	struct ike_cli *first = n.t;
	uint32_t first_spi = n.inst[0].spi_in;
	n.pub.port = 40300;
	n.float_port = 40301;
	rp_addr_v4(&n.tc.local, 0x64400a0b, 500);
	n.tc.initial_contact = true;
	n.t = ike_cli_new(&n.tc, &n.ri);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_str_eq(n.inst[1].peer_id, n.inst[0].peer_id);
	ck_assert_int_eq(n.ndown, 0);
	ck_assert_int_eq(n.ndel, 0);
	ck_assert_uint_eq(ike_sa_count(n.r), 2);
	ck_assert_uint_eq(ike_child_count(n.r), 2);
	memcpy(ck, n.t->icky, 8);
	memcpy(ck + 8, n.t->rcky, 8);
	size_t l = ike_cli_info(n.t, false, ISAKMP_PROTO_ISAKMP, ck, 16, ISAKMP_N_INITIAL_CONTACT, NULL, 0,
	                        out, sizeof out);
	ck_assert_int_eq(deliver(&n, out, l), 0);
	ck_assert_int_eq(n.ndown, 0);
	ck_assert_int_eq(n.ndel, 0);
	ck_assert_uint_eq(ike_child_count(n.r), 2);
	/* the first client's IKE SA still answers: a phase-2 re-key on it */
	struct ike_cli *second = n.t;
	n.t = first;
	n.pub.port = 40123;
	n.float_port = 40124;
	l = ike_cli_quick(first, out, sizeof out);
	ck_assert_int_eq(deliver(&n, out, l), 0);
	long l3 = ike_cli_input(first, n.reply, n.reply_len, out, sizeof out);
	ck_assert_int_gt(l3, 0);
	ck_assert_int_eq(deliver(&n, out, (size_t)l3), 0);
	ck_assert_int_eq(n.ninst, 3);
	ck_assert_uint_eq(ike_child_count(n.r), 3);
	/* and its first IPsec SA is still there to delete */
	ck_assert_uint_eq(ike_delete_child(n.r, first_spi, n.now), 0);
	drain(&n);
	ck_assert_int_eq(n.ndel, 1);
	ike_cli_free(second);
	net_free(&n);
}
END_TEST

START_TEST(t_two_clients_behind_one_nat)
{
	/* same public address, same inner port 1701, different identities: both stay up */
	struct net n;
	net_init(&n, true);
	up(&n, false);
	struct ike_cli *first = n.t;
	n.pub.port = 40300;
	rp_addr_v4(&n.tc.local, 0x64400a0b, 500);
	n.tc.initial_contact = true;
	n.t = ike_cli_new(&n.tc, &n.ri);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_int_eq(n.ndown, 0);
	ck_assert_uint_eq(ike_child_count(n.r), 2);
	ck_assert_uint_ne(n.inst[0].spi_in, n.inst[1].spi_in);
	ike_cli_free(first);
	net_free(&n);
}
END_TEST

START_TEST(t_phase1_rekey_keeps_child)
{
	/* racoon-style phase-1 re-key: a second Main Mode from the same client, then DELETE of the
	 * first ISAKMP SA: the IPsec SA stays and is later deleted through the new IKE SA */
	struct net n;
	uint8_t out[IKE_MAXBUF], ck[16], scratch[IKE_MAXBUF];
	net_init(&n, true);
	up(&n, false);
	struct ike_cli *old = n.t;
	n.t = ike_cli_new(&n.tc, &n.ri);
	n.t->use4500 = true; /* the client keeps talking from its floated port */
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_uint_eq(ike_sa_count(n.r), 2);
	ck_assert_uint_eq(ike_child_count(n.r), 2);
	memcpy(ck, old->icky, 8);
	memcpy(ck + 8, old->rcky, 8);
	struct ike_cli *cur = n.t;
	n.t = old;
	size_t l = ike_cli_info(old, true, ISAKMP_PROTO_ISAKMP, ck, 16, 0, NULL, 0, out, sizeof out);
	ck_assert_int_eq(deliver(&n, out, l), 0);
	n.t = cur;
	ck_assert_int_eq(n.ndown, 1);
	ck_assert_int_eq(n.ndel, 0);
	ck_assert_uint_eq(ike_child_count(n.r), 2);
	ck_assert_uint_eq(ike_delete_child(n.r, n.inst[0].spi_in, n.now), 0);
	drain(&n);
	struct isakmp_delete_pl d;
	ck_assert_int_eq(ike_cli_read_info(cur, n.reply, n.reply_len, NULL, &d, scratch, sizeof scratch), 0);
	ck_assert_uint_eq(rp_get_u32(d.spis), n.inst[0].spi_in);
	ike_cli_free(old);
	net_free(&n);
}
END_TEST

START_TEST(t_quick_mode_rekey)
{
	/* the client re-keys phase 2 on the same IKE SA */
	struct net n;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, true);
	up(&n, false);
	size_t l = ike_cli_quick(n.t, out, sizeof out);
	deliver(&n, out, l);
	long l3 = ike_cli_input(n.t, n.reply, n.reply_len, out, sizeof out);
	ck_assert_int_gt(l3, 0);
	deliver(&n, out, (size_t)l3);
	ck_assert_int_eq(n.ninst, 2);
	check_keys(&n, &n.inst[1]);
	ck_assert_uint_eq(ike_child_count(n.r), 2);
	net_free(&n);
}
END_TEST

START_TEST(t_nat_rebinding)
{
	/* the NAT gives the client a new port: after an authenticated message IKE follows it;
	 * an unauthenticated one from elsewhere does not move anything */
	struct net n;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, true);
	up(&n, false);
	n.float_port = 41000;
	struct isakmp_wr w;
	isakmp_wr_init(&w, out, sizeof out);
	isakmp_wr_hdr(&w, n.t->icky, n.t->rcky, ISAKMP_EX_INFO, 0, 99);
	isakmp_wr_notify(&w, ISAKMP_PROTO_ISAKMP, NULL, 0, ISAKMP_N_INITIAL_CONTACT, NULL, 0);
	ck_assert_int_eq(deliver(&n, out, isakmp_wr_finish(&w)), -1);
	size_t l = ike_cli_quick(n.t, out, sizeof out);
	deliver(&n, out, l);
	ck_assert_uint_gt(n.reply_len, 0);
	ck_assert_uint_eq(n.reply_dst.port, 41000);
	ck_assert_int_eq(n.ninst, 2);
	ck_assert_uint_eq(n.inst[1].peer.port, 41000);
	net_free(&n);
}
END_TEST

START_TEST(t_no_ids_and_port0)
{
	struct net n;
	net_init(&n, false);
	n.tc.no_ids = true;
	up(&n, false);
	ck_assert_uint_eq(n.inst[0].peer_inner.port, 0);
	ck_assert(rp_addr_ipeq(&n.inst[0].peer_inner, &n.priv));
	net_free(&n);
}
END_TEST

START_TEST(t_keylog_line)
{
	struct net n;
	net_init(&n, false);
	up(&n, false);
	char want[200];
	ike_keylog_line(want, sizeof want, n.t->icky, n.t->k.key, n.t->k.klen);
	ck_assert_str_eq(n.keylog, want);
	ck_assert_int_eq((int)strlen(want), 16 + 1 + 64); /* AES-256 */
	net_free(&n);
}
END_TEST

/* The ESP SAD owns SPI allocation: the responder takes its SPIs from the callback and gives
 * them back when an SA or a failed exchange ends. */
struct spi_pool {
	uint32_t next;
	int allocated, released;
};

static int pool_alloc(void *ctx, uint32_t *spi)
{
	struct spi_pool *p = ctx;
	*spi = p->next++;
	p->allocated++;
	return 0;
}

static void pool_release(void *ctx, uint32_t spi)
{
	struct spi_pool *p = ctx;
	(void)spi;
	p->released++;
}

START_TEST(t_spi_allocator)
{
	/* The ESP SAD owns SPI allocation: the responder takes its SPIs from the callback; an
	 * installed SPI ends with SA_DELETE naming it, never with spi_release */
	struct net n;
	struct spi_pool pool = {0x5000, 0, 0};
	uint8_t out[IKE_MAXBUF];
	net_init(&n, false);
	n.conf.spi_alloc = pool_alloc;
	n.conf.spi_release = pool_release;
	n.conf.spi_ctx = &pool;
	up(&n, false);
	ck_assert_uint_eq(n.inst[0].spi_in, 0x5000);
	ck_assert_int_eq(pool.allocated, 1);
	/* a Quick Mode that never completes: installed at QM2, withdrawn at the half-open deadline */
	size_t l = ike_cli_quick(n.t, out, sizeof out);
	deliver(&n, out, l);
	ck_assert_int_eq(pool.allocated, 2);
	ck_assert_int_eq(n.ninst, 2);
	ck_assert_uint_eq(n.inst[1].spi_in, 0x5001);
	n.now += 30000;
	ike_tick(n.r, n.now);
	drain(&n);
	ck_assert_int_eq(n.ndel, 1);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	ck_assert_uint_eq(ike_delete_child(n.r, 0x5000, n.now), 0);
	drain(&n);
	ck_assert_int_eq(n.ndel, 2);
	ck_assert_uint_eq(ike_child_count(n.r), 0);
	ck_assert_int_eq(pool.released, 0);
	ck_assert_uint_eq(ike_delete_child(n.r, 0x5000, n.now), (size_t)-1);
	net_free(&n);
}
END_TEST

START_TEST(t_delete_ike_and_all)
{
	/* local deletion tells the peer: DELETE for the IPsec SA, then for the ISAKMP SA */
	struct net n;
	uint8_t scratch[IKE_MAXBUF];
	net_init(&n, true);
	up(&n, false);
	int sends = n.nsend;
	ck_assert_int_eq(ike_delete_ike(n.r, n.t->icky, n.t->rcky, n.now), 0);
	struct rp_ev *ev;
	int deletes = 0;
	while ((ev = ike_next_event(n.r))) {
		if (ev->type == IKE_EV_SEND) {
			struct isakmp_delete_pl d;
			ck_assert_int_eq(ike_cli_read_info(n.t, ev->data + 4, ev->len - 4, NULL, &d, scratch,
			                                   sizeof scratch),
			                 0);
			ck_assert_int_eq(d.proto, deletes == 0 ? ISAKMP_PROTO_ESP : ISAKMP_PROTO_ISAKMP);
			deletes++;
		} else if (ev->type == IKE_EV_SA_DELETE) {
			n.ndel++;
		} else if (ev->type == IKE_EV_IKE_DOWN) {
			n.ndown++;
		}
		rp_ev_free(ev);
	}
	ck_assert_int_eq(deletes, 2);
	ck_assert_int_eq(n.ndel, 1);
	ck_assert_int_eq(n.ndown, 1);
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	ck_assert_int_eq(ike_delete_ike(n.r, n.t->icky, n.t->rcky, n.now), -1);
	(void)sends;
	/* shutdown with two clients, one of them half-open */
	ike_cli_free(n.t);
	n.t = ike_cli_new(&n.tc, &n.ri);
	ck_assert_int_eq(handshake(&n), 0);
	struct ike_cli *t2 = ike_cli_new(&n.tc, &n.ri);
	uint8_t out[IKE_MAXBUF];
	deliver(&n, out, ike_cli_start(t2, out, sizeof out));
	ck_assert_uint_eq(ike_sa_count(n.r), 2);
	ike_delete_all(n.r, n.now);
	drain(&n);
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	ck_assert_uint_eq(ike_child_count(n.r), 0);
	ck_assert_int_eq(n.ndel, 2);
	ck_assert_int_eq(n.ndown, 2);
	ike_cli_free(t2);
	net_free(&n);
}
END_TEST

/* The IKE SA's DELETE of itself (no newer IKE SA of the peer to inherit its IPsec SA) */
static void delete_own_ike(struct net *n)
{
	uint8_t out[IKE_MAXBUF], ck[16];
	memcpy(ck, n->t->icky, 8);
	memcpy(ck + 8, n->t->rcky, 8);
	size_t l = ike_cli_info(n->t, true, ISAKMP_PROTO_ISAKMP, ck, 16, 0, NULL, 0, out, sizeof out);
	ck_assert_int_eq(deliver(n, out, l), 0);
}

START_TEST(t_orphans)
{
	/* IPsec SAs left orphaned by their IKE SA are found again by the peer's address, not by a
	 * walk over every SA (issue 17): adopted by a new Main Mode from the same address, port and
	 * ID; named in a DELETE by another IKE SA of the same IP; removed by INITIAL-CONTACT. */
	struct net n;
	uint8_t out[IKE_MAXBUF], scratch[IKE_MAXBUF], spi[4];
	struct isakmp_delete_pl d;
	net_init(&n, true);
	up(&n, false);
	struct ike_cli *a = n.t;
	delete_own_ike(&n);
	ck_assert_int_eq(n.ndown, 1);
	ck_assert_int_eq(n.ndel, 0);
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	/* 1. adopted: a local DELETE of it goes out under the new IKE SA's keys */
	n.t = ike_cli_new(&n.tc, &n.ri);
	n.t->use4500 = true;
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_uint_eq(ike_child_count(n.r), 2);
	ck_assert_uint_eq(ike_delete_child(n.r, n.inst[0].spi_in, n.now), 0);
	drain(&n);
	ck_assert_int_eq(n.ndel, 1);
	ck_assert_uint_gt(n.reply_len, 0);
	ck_assert_int_eq(ike_cli_read_info(n.t, n.reply, n.reply_len, NULL, &d, scratch, sizeof scratch), 0);
	ck_assert_uint_eq(rp_get_u32(d.spis), n.inst[0].spi_in);
	/* 2. orphaned again; a client of the same IP on another port does not adopt it, but its
	 * DELETE naming the SPI removes it */
	struct ike_cli *b = n.t;
	delete_own_ike(&n);
	ck_assert_int_eq(n.ndown, 2);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	n.pub.port = 40300;
	n.float_port = 40301;
	rp_addr_v4(&n.tc.local, 0x64400a0b, 500);
	n.t = ike_cli_new(&n.tc, &n.ri);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_uint_eq(ike_child_count(n.r), 2);
	rp_put_u32(spi, n.inst[1].spi_out);
	size_t l = ike_cli_info(n.t, true, ISAKMP_PROTO_ESP, spi, 4, 0, NULL, 0, out, sizeof out);
	ck_assert_int_eq(deliver(&n, out, l), 0);
	ck_assert_int_eq(n.ndel, 2);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "deleted by the peer"));
	/* 3. this client's own IPsec SA orphaned, then INITIAL-CONTACT from its address: removed
	 * (adopted instead without it, as in 1) */
	struct ike_cli *c = n.t;
	delete_own_ike(&n);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	n.tc.initial_contact = true;
	n.t = ike_cli_new(&n.tc, &n.ri);
	n.t->use4500 = true;
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_int_eq(n.ndel, 3);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	ck_assert_uint_eq(ike_sa_count(n.r), 1);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "INITIAL-CONTACT"));
	ike_cli_free(a);
	ike_cli_free(b);
	ike_cli_free(c);
	net_free(&n);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ike-life");
	TCase *tc = tcase_create("lifecycle");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_delete_esp_and_ike);
	tcase_add_test(tc, t_unauthenticated_delete_ignored);
	tcase_add_test(tc, t_dpd_answer);
	tcase_add_test(tc, t_dpd_dead_peer);
	tcase_add_test(tc, t_dpd_ack_keeps_alive);
	tcase_add_test(tc, t_halfopen_timeout);
	tcase_add_test(tc, t_qm3_lost_withdraws);
	tcase_add_test(tc, t_qm3_lost_esp_proves);
	tcase_add_test(tc, t_halfopen_heap_order);
	tcase_add_test(tc, t_lifetimes);
	tcase_add_test(tc, t_lifetime_kilobytes_and_phase1);
	tcase_add_test(tc, t_initial_contact);
	tcase_add_test(tc, t_initial_contact_same_id_other_port);
	tcase_add_test(tc, t_two_clients_behind_one_nat);
	tcase_add_test(tc, t_phase1_rekey_keeps_child);
	tcase_add_test(tc, t_quick_mode_rekey);
	tcase_add_test(tc, t_orphans);
	tcase_add_test(tc, t_nat_rebinding);
	tcase_add_test(tc, t_no_ids_and_port0);
	tcase_add_test(tc, t_keylog_line);
	tcase_add_test(tc, t_spi_allocator);
	tcase_add_test(tc, t_delete_ike_and_all);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(suite)
