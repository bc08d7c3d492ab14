/* ESP AES-GCM with a 16-octet ICV (RFC 4106) in Quick Mode: the responder core against the
 * in-memory initiator (ike_cli.c). The transform (ID 20) with its key length and no
 * authentication-algorithm attribute is chosen, first among the defaults; KEYMAT is the key then
 * the 4-byte salt (§8.1) on both sides; a GCM transform naming an HMAC, without a key length or
 * with another ICV length is not taken; the "ESP[AESGCM128]" words; the SA pair carries the keys
 * to esp/, whose SAs then pass a packet each way. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "esp.h"
#include "test_ike_net.h"

static const struct ike_cli_p2 gcm128[] = {{IKE_ESP_AES_GCM_16, 128, 0}};
static const struct ike_cli_p2 gcm256[] = {{IKE_ESP_AES_GCM_16, 256, 0}};

static void start(struct net *n, const struct ike_cli_p2 *p2, size_t np2, bool nat)
{
	net_init(n, nat);
	net_offer(n, win_modern, 5, p2, np2);
	net_start(n);
}

START_TEST(t_gcm_alone)
{
	/* GCM-128 and GCM-256 offered alone, with and without NAT: chosen, 20 / 36 bytes of KEYMAT
	 * per direction (key + salt), no integrity key, the same on both sides */
	static const struct {
		const struct ike_cli_p2 *p2;
		unsigned bits;
	} c[] = {{gcm128, 128}, {gcm256, 256}};
	for (int nat = 0; nat < 2; nat++)
		for (size_t i = 0; i < RP_ARRAY_LEN(c); i++) {
			struct net n;
			start(&n, c[i].p2, 1, nat);
			int rc = handshake(&n);
			if (rc)
				fprintf(stderr, "%s\n%s", n.t->err, n.logbuf);
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(n.ninst, 1);
			const struct ike_ev_sa *e = &n.inst[0];
			ck_assert_uint_eq(e->esp_transform, IKE_ESP_AES_GCM_16);
			ck_assert_uint_eq(e->auth_alg, 0);
			ck_assert_uint_eq(e->enc_key_bits, c[i].bits);
			ck_assert_uint_eq(e->in.enc_len, c[i].bits / 8 + 4);
			ck_assert_uint_eq(e->out.enc_len, c[i].bits / 8 + 4);
			ck_assert_uint_eq(e->in.auth_len, 0);
			ck_assert_uint_eq(e->out.auth_len, 0);
			check_keys(&n, e);
			ck_assert_uint_eq(n.t->p2chosen.tf, IKE_ESP_AES_GCM_16);
			ck_assert_uint_eq(n.t->p2chosen.auth, 0);
			char want[64];
			snprintf(want, sizeof want, "chose AES-GCM-%u/none,", c[i].bits);
			ck_assert_ptr_nonnull(strstr(n.logbuf, want));
			net_free(&n);
		}
}
END_TEST

START_TEST(t_gcm_first_in_defaults)
{
	/* a client offering AES-CBC + SHA1 first and GCM after it gets GCM (the defaults' first);
	 * the Windows set (no GCM) is unaffected */
	static const struct ike_cli_p2 mixed[] = {{IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA1},
	                                          {IKE_ESP_AES_GCM_16, 128, 0},
	                                          {IKE_ESP_AES_GCM_16, 256, 0}};
	struct net n;
	start(&n, mixed, 3, false);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_uint_eq(n.inst[0].esp_transform, IKE_ESP_AES_GCM_16);
	ck_assert_uint_eq(n.inst[0].enc_key_bits, 256);
	check_keys(&n, &n.inst[0]);
	net_free(&n);
	start(&n, p2_win, 3, false);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_uint_eq(n.inst[0].esp_transform, IKE_ESP_AES);
	ck_assert_uint_eq(n.inst[0].auth_alg, IKE_AUTH_HMAC_SHA1);
	net_free(&n);
}
END_TEST

START_TEST(t_gcm_malformed)
{
	/* not taken: GCM with an HMAC attribute (a combined mode has no separate integrity), without
	 * the key length attribute (RFC 4106 §8.4 requires it), with a key length AES has not, and
	 * the 8- and 12-octet ICV transforms (18, 19) we do not implement. Alone: NO-PROPOSAL-CHOSEN
	 * with the offer in the log line; beside AES-CBC: the CBC transform is chosen. */
	static const struct {
		struct ike_cli_p2 p2;
		const char *log;
	} bad[] = {
	    {{IKE_ESP_AES_GCM_16, 128, IKE_AUTH_HMAC_SHA1}, "client AES-GCM-128/HMAC-SHA1/encap2"},
	    {{IKE_ESP_AES_GCM_16, 128, IKE_AUTH_HMAC_SHA256}, "client AES-GCM-128/HMAC-SHA2-256/encap2"},
	    {{IKE_ESP_AES_GCM_16, 0, 0}, "client AES-GCM-0/none/encap2"},
	    {{IKE_ESP_AES_GCM_16, 160, 0}, "client AES-GCM-160/none/encap2"},
	    {{18, 128, 0}, "client AES-GCM/none/encap2"},
	    {{19, 256, 0}, "client AES-GCM/none/encap2"},
	};
	for (size_t i = 0; i < RP_ARRAY_LEN(bad); i++) {
		struct net n;
		uint8_t scratch[IKE_MAXBUF];
		start(&n, &bad[i].p2, 1, false);
		ck_assert_int_ne(handshake(&n), 0);
		ck_assert_int_eq(n.ninst, 0);
		struct isakmp_notify_pl np;
		ck_assert_int_eq(
		    ike_cli_read_info(n.t, n.reply, n.reply_len, &np, NULL, scratch, sizeof scratch), 0);
		ck_assert_int_eq(np.type, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		if (!strstr(n.logbuf, bad[i].log))
			fprintf(stderr, "#%zu:\n%s", i, n.logbuf);
		ck_assert_ptr_nonnull(strstr(n.logbuf, bad[i].log));
		ck_assert_ptr_nonnull(
		    strstr(n.logbuf, "; ours ESP[AESGCM256],ESP[AESGCM128],ESP[AES256,SHA512]"));
		net_free(&n);
		struct ike_cli_p2 two[] = {bad[i].p2, {IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA1}};
		start(&n, two, 2, false);
		ck_assert_int_eq(handshake(&n), 0);
		ck_assert_uint_eq(n.inst[0].esp_transform, IKE_ESP_AES);
		ck_assert_uint_eq(n.inst[0].auth_alg, IKE_AUTH_HMAC_SHA1);
		ck_assert_uint_eq(n.inst[0].in.enc_len, 16);
		net_free(&n);
	}
}
END_TEST

START_TEST(t_gcm_configured_methods)
{
	/* quick_mode_methods decide: without GCM a GCM-only client is refused; with ESP[AESGCM256]
	 * alone GCM-128 is refused (the key length is part of the method) and GCM-256 accepted */
	struct ike_qm_method qm[2];
	ck_assert_int_eq(ike_qm_method_parse("ESP[AES256,SHA1]", &qm[0]), 0);
	ck_assert_int_eq(ike_qm_method_parse("ESP[AESGCM256]", &qm[1]), 0);
	struct net n;
	net_init(&n, false);
	n.conf.qm_methods = qm;
	n.conf.nqm_methods = 1;
	net_offer(&n, win_modern, 5, gcm256, 1);
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "client AES-GCM-256/none/encap2; ours ESP[AES256,SHA1]"));
	net_free(&n);
	for (int k = 0; k < 2; k++) {
		net_init(&n, false);
		n.conf.qm_methods = &qm[1];
		n.conf.nqm_methods = 1;
		net_offer(&n, win_modern, 5, k ? gcm256 : gcm128, 1);
		net_start(&n);
		ck_assert_int_eq(handshake(&n) == 0, k == 1);
		net_free(&n);
	}
	/* the model agrees */
	struct ike_conf c;
	struct ike_qm_method offer[2] = {{IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA1},
	                                 {IKE_ESP_AES_GCM_16, 128, 0}},
	                     chosen;
	char why[400];
	ike_conf_defaults(&c);
	ck_assert_int_eq(ike_model_qm(&c, NULL, offer, 2, 0, &chosen, why, sizeof why), 0);
	ck_assert_uint_eq(chosen.esp_transform, IKE_ESP_AES_GCM_16);
	ck_assert_uint_eq(chosen.keylen, 128);
	ck_assert_uint_eq(chosen.auth, 0);
	c.qm_methods = qm;
	c.nqm_methods = 2;
	ck_assert_int_eq(ike_model_qm(&c, NULL, &offer[1], 1, 0, &chosen, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "ours ESP[AES256,SHA1],ESP[AESGCM256]"));
}
END_TEST

START_TEST(t_gcm_words)
{
	static const struct {
		const char *in, *out;
		struct ike_qm_method m;
	} ok[] = {
	    {"ESP[AESGCM128]", "ESP[AESGCM128]", {IKE_ESP_AES_GCM_16, 128, 0}},
	    {"esp[aesgcm192]", "ESP[AESGCM192]", {IKE_ESP_AES_GCM_16, 192, 0}},
	    {"ESP[AESGCM256]", "ESP[AESGCM256]", {IKE_ESP_AES_GCM_16, 256, 0}},
	};
	for (size_t i = 0; i < RP_ARRAY_LEN(ok); i++) {
		struct ike_qm_method m;
		char b[40];
		ck_assert_msg(ike_qm_method_parse(ok[i].in, &m) == 0, "%s", ok[i].in);
		ck_assert_mem_eq(&m, &ok[i].m, sizeof m);
		ck_assert_str_eq(ike_qm_method_str(&m, b, sizeof b), ok[i].out);
		ck_assert(ike_qm_method_implemented(&m) && !ike_qm_method_weak(&m));
	}
	static const char *const bad[] = {"ESP[AESGCM128,SHA1]", "ESP[AESGCM128,NONE]", "ESP[AESGCM]",
	                                  "ESP[AESGCM64]",       "ESP[AESGCM128",       "ESP[AESGCM128]x",
	                                  "ESP[AES128]",         "ESP[GCM128]",         "ESP[]",
	                                  "ESP[AESGCM128]]",     "ESP[ AESGCM128]",     "AESGCM128"};
	for (size_t i = 0; i < RP_ARRAY_LEN(bad); i++) {
		struct ike_qm_method m = {9, 9, 9};
		ck_assert_msg(ike_qm_method_parse(bad[i], &m) == -EINVAL, "\"%s\" accepted", bad[i]);
		ck_assert_uint_eq(m.esp_transform, 9);
	}
	/* a peer's GCM transform with an HMAC still prints, for the refusal's log line */
	struct ike_qm_method odd = {IKE_ESP_AES_GCM_16, 128, IKE_AUTH_HMAC_SHA1};
	char b[40];
	ck_assert_str_eq(ike_qm_method_str(&odd, b, sizeof b), "ESP[AESGCM128,SHA1]");
}
END_TEST

/* ---- the keys reach esp/: one packet each way through SAs built from the two sides' keys --- */

static void add_pair(struct esp_sad *sad, const struct ike_ev_sa *e, uint32_t spi_in, uint32_t spi_out,
                     const struct ike_ev_keys *kin, const struct ike_ev_keys *kout, uint32_t *in_id,
                     uint32_t *out_id)
{
	struct esp_sa_params p = {0};
	p.encr = (enum esp_encr)e->esp_transform; /* srv_core's mapping: the IDs are the same */
	p.encr_keybits = e->enc_key_bits;
	p.auth = (enum esp_auth)e->auth_alg;
	p.inner_proto = 17;
	rp_addr_v4(&p.local, 0xcb007101, 0);
	rp_addr_v4(&p.peer, 0xcb007101, 0);
	p.dir = ESP_DIR_OUT;
	p.spi = spi_out;
	memcpy(p.enc_key, kout->enc, kout->enc_len);
	p.enc_key_len = kout->enc_len;
	ck_assert_int_eq(esp_sa_add(sad, &p, 1000, out_id), 0);
	p.dir = ESP_DIR_IN;
	p.spi = spi_in;
	memcpy(p.enc_key, kin->enc, kin->enc_len);
	p.enc_key_len = kin->enc_len;
	ck_assert_int_eq(esp_sa_add(sad, &p, 1000, in_id), 0);
}

static void pass(struct esp_sad *from, uint32_t out_id, struct esp_sad *to, uint32_t want_spi)
{
	static const uint8_t udp[] = {0x06, 0xa5, 0x06, 0xa5, 0x00, 0x0c, 0x00, 0x00, 'g', 'c', 'm', '!'};
	uint8_t mem[256];
	struct rp_buf b;
	rp_buf_view(&b, mem, sizeof mem, ESP_HEADROOM, 0);
	memcpy(rp_buf_put(&b, sizeof udp), udp, sizeof udp);
	ck_assert_int_eq(esp_encap(from, out_id, &b, 1000, NULL), 0);
	ck_assert_uint_eq(b.len, 8 + 8 + sizeof udp + 2 + 2 + 16); /* hdr, IV, data, pad+trailer, ICV */
	struct rp_addr src;
	rp_addr_v4(&src, 0xcb007101, 0);
	struct esp_rx rx;
	ck_assert_int_eq(esp_decap(to, &b, &src, 1000, &rx), 0);
	ck_assert_uint_eq(rx.spi, want_spi);
	ck_assert_uint_eq(rx.payload_len, 4);
	ck_assert_mem_eq(rx.payload, "gcm!", 4);
}

START_TEST(t_gcm_keys_reach_esp)
{
	struct net n;
	start(&n, gcm128, 1, false);
	ck_assert_int_eq(handshake(&n), 0);
	const struct ike_ev_sa *e = &n.inst[0];
	struct rp_rng rng;
	rp_rng_seeded(&rng, 7);
	struct esp_conf ec = {0};
	struct esp_sad *srv = esp_sad_new(&ec, &rng, &n.lg), *cli = esp_sad_new(&ec, &rng, &n.lg);
	ck_assert(srv && cli);
	uint32_t s_in, s_out, c_in, c_out;
	add_pair(srv, e, e->spi_in, e->spi_out, &e->in, &e->out, &s_in, &s_out);
	add_pair(cli, e, n.t->spi_i, n.t->spi_r, &n.t->k_r2i, &n.t->k_i2r, &c_in, &c_out);
	pass(cli, c_out, srv, e->spi_in);
	pass(srv, s_out, cli, n.t->spi_i);
	esp_sad_free(srv);
	esp_sad_free(cli);
	net_free(&n);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ike-gcm");
	TCase *tc = tcase_create("gcm");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_gcm_alone);
	tcase_add_test(tc, t_gcm_first_in_defaults);
	tcase_add_test(tc, t_gcm_malformed);
	tcase_add_test(tc, t_gcm_configured_methods);
	tcase_add_test(tc, t_gcm_words);
	tcase_add_test(tc, t_gcm_keys_reach_esp);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(suite)
