/* The routing glue with a daemon built without sockets (srv_new_detached): what the L2TP core
 * is told about a PPP login over an SA (issue 10 item 5: an SA without a record failed open). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "test_daemon.h"
#include "srv_local.h"
#include "srv_json.h"

static char dir[64];

static struct srv *daemon_new(const char *extra)
{
	char rest[1024];
	snprintf(rest, sizeof rest, "[ike]\npsk = test\n[pool]\nrange = 198.18.5.10-198.18.5.20\n%s", extra);
	return rp_test_daemon(dir, rest);
}

static void daemon_free(struct srv *s)
{
	rp_test_daemon_free(s, dir);
}

static void install(struct srv *s, uint32_t spi_in, const char *account)
{
	struct ike_ev_sa e;
	memset(&e, 0, sizeof e);
	e.spi_in = spi_in;
	e.spi_out = 0x1000;
	e.esp_transform = IKE_ESP_AES;
	e.enc_key_bits = 128;
	e.auth_alg = IKE_AUTH_HMAC_SHA1;
	e.udp_encap = true;
	rp_addr_v4(&e.local, 0xc6120001, 4500);
	rp_addr_v4(&e.peer, 0xc6120002, 4500);
	e.peer_inner = e.peer;
	e.local_inner = e.local;
	e.life_s = 3600;
	e.in.enc_len = e.out.enc_len = 16;
	e.in.auth_len = e.out.auth_len = 20;
	snprintf(e.account, sizeof e.account, "%s", account);
	srv_core_sa_install(s, &e, srv_now(s));
	ck_assert_ptr_nonnull(srv_child_by_in(s->core, spi_in));
}

START_TEST(authorize_without_record_refused)
{
	struct srv *s = daemon_new("");
	char why[160] = "";
	/* a link over IPsec whose SA pair the server has no record of: refused (it was allowed) */
	struct l2tp_link link = {.sa = (uint64_t)0x4242 << 32 | 7};
	ck_assert_int_ne(srv_core_ppp_authorize(s, &link, "alice", why, sizeof why), 0);
	ck_assert_ptr_nonnull(strstr(why, "no record"));
	/* plain L2TP (l2tp.allow_plain): no IPsec identity to match */
	struct l2tp_link plain = {.sa = 0};
	ck_assert_int_eq(srv_core_ppp_authorize(s, &plain, "alice", why, sizeof why), 0);
	daemon_free(s);
}
END_TEST

START_TEST(authorize_certificate_account)
{
	struct srv *s = daemon_new("");
	char why[160] = "";
	install(s, 0x5001, "alice");
	install(s, 0x5002, ""); /* PSK: any account */
	struct l2tp_link a = {.sa = (uint64_t)0x5001 << 32}, p = {.sa = (uint64_t)0x5002 << 32};
	ck_assert_int_eq(srv_core_ppp_authorize(s, &a, "alice", why, sizeof why), 0);
	ck_assert_int_ne(srv_core_ppp_authorize(s, &a, "bob", why, sizeof why), 0);
	ck_assert_ptr_nonnull(strstr(why, "\"alice\""));
	ck_assert_int_eq(srv_core_ppp_authorize(s, &p, "bob", why, sizeof why), 0);
	daemon_free(s);
	/* the binding can be switched off */
	s = daemon_new("[ppp]\nlogin_must_match_certificate = no\n");
	install(s, 0x5001, "alice");
	ck_assert_int_eq(srv_core_ppp_authorize(s, &a, "bob", why, sizeof why), 0);
	daemon_free(s);
}
END_TEST

/* ---- the records by hash (srv_tab.c, issue 17) ---- */

static struct l2tp_link mklink(uint32_t spi_in, uint32_t ip)
{
	struct l2tp_link l = {.sa = (uint64_t)spi_in << 32 | 9};
	rp_addr_v4(&l.peer, ip, 1701);
	return l;
}

START_TEST(tab_lookups)
{
	struct srv_tab t;
	ck_assert_int_eq(srv_tab_init(&t), 0);
	const uint8_t ck1[8] = {1}, ck2[8] = {2}, r[8] = {3};
	enum { N = 1000 }; /* past the first bucket counts: the hashes grow */
	for (uint32_t i = 0; i < N; i++)
		ck_assert_ptr_nonnull(srv_tab_child_new(&t, 0x1000 + i, i == 1 ? ck1 : ck2, r));
	ck_assert_ptr_nonnull(srv_tab_child_new(&t, 0x9000, ck1, r));
	for (uint32_t i = 0; i < N; i++) {
		struct srv_child *c = srv_tab_child_by_in(&t, 0x1000 + i);
		ck_assert_ptr_nonnull(c);
		ck_assert_uint_eq(c->spi_in, 0x1000 + i);
	}
	ck_assert_ptr_null(srv_tab_child_by_in(&t, 0x8000));
	/* two pairs under ck1: shared; a pair alone under its cookies: not */
	ck_assert(srv_tab_ike_shared(&t, ck1, r, 0x1001));
	ck_assert(!srv_tab_ike_shared(&t, ck1, (const uint8_t[8]){4}, 0x1001));
	/* the same tunnel and session IDs on two links are two sessions (IDs are per link) */
	struct l2tp_link a = mklink(0x1000, 0xc6120002), b = mklink(0x1001, 0xc6120003);
	struct srv_sess *sa = srv_tab_sess_new(&t, &a, 7, 9), *sb = srv_tab_sess_new(&t, &b, 7, 9);
	ck_assert_ptr_eq(srv_tab_sess_find(&t, &a, 7, 9), sa);
	ck_assert_ptr_eq(srv_tab_sess_find(&t, &b, 7, 9), sb);
	ck_assert_ptr_eq(sa->child, srv_tab_child_by_in(&t, 0x1000));
	ck_assert_ptr_eq(srv_tab_child_by_in(&t, 0x1000)->sess, sa);
	ck_assert(!srv_tab_tunnel_shared(&t, &a, 7, 9));
	struct srv_sess *sa2 = srv_tab_sess_new(&t, &a, 7, 10);
	ck_assert(srv_tab_tunnel_shared(&t, &a, 7, 9));
	ck_assert_uint_eq(srv_tab_child_by_in(&t, 0x1000)->nsess, 2);
	ck_assert_ptr_eq(srv_tab_child_by_in(&t, 0x1000)->sess, sa); /* the oldest first */
	/* by client address within the link (the DHCPINFORM's session) */
	sa->ip = 0x64400a0a;
	sa2->ip = 0x64400a0b;
	sb->ip = 0x64400a0b;
	ck_assert_ptr_eq(srv_tab_sess_by_ip(&t, &a, 0x64400a0b), sa2);
	ck_assert_ptr_eq(srv_tab_sess_by_ip(&t, &a, 0x64400a0a), sa);
	ck_assert_ptr_eq(srv_tab_sess_by_ip(&t, &b, 0x64400a0b), sb);
	ck_assert_ptr_null(srv_tab_sess_by_ip(&t, &b, 0x64400a0a));
	/* owned by the record: freed with it (ASan sees a leak otherwise) */
	sa2->net = calloc(1, sizeof *sa2->net);
	srv_tab_sess_del(&t, sa2);
	ck_assert(!srv_tab_tunnel_shared(&t, &a, 7, 9));
	/* plain L2TP sessions are listed apart */
	struct l2tp_link p = {.sa = 0};
	rp_addr_v4(&p.peer, 0xc6120004, 1701);
	struct srv_sess *sp = srv_tab_sess_new(&t, &p, 7, 9);
	ck_assert_ptr_eq(t.plain, sp);
	ck_assert_ptr_null(sp->child);
	/* a pair that goes leaves its sessions, unattached, to their own end */
	srv_tab_child_del(&t, srv_tab_child_by_in(&t, 0x1000));
	ck_assert_ptr_null(sa->child);
	ck_assert_ptr_eq(srv_tab_sess_find(&t, &a, 7, 9), sa);
	srv_tab_sess_del(&t, sa);
	ck_assert_uint_eq(t.nchild, N);
	ck_assert_uint_eq(t.nsess, 2);
	/* iteration keeps arrival order */
	uint32_t prev = 0;
	for (struct srv_child *c = t.children; c; c = c->next) {
		ck_assert_uint_gt(c->spi_in, prev);
		prev = c->spi_in;
	}
	srv_tab_free(&t);
}
END_TEST

/* Running out (issue 17): beyond [esp] max_sa the next SA pair is refused with one line naming
 * the key, however many follow; the pair that is up stays. */
static char logged[8192];
static void log_sink(void *ctx, int level, const char *module, const char *msg)
{
	size_t l = strlen(logged);
	(void)ctx;
	(void)level;
	snprintf(logged + l, sizeof logged - l, "%s: %s\n", module, msg);
}

START_TEST(runout_esp_max_sa)
{
	struct srv *s = daemon_new("[esp]\nmax_sa = 3\n");
	logged[0] = 0;
	s->log.sink = log_sink;
	install(s, 0x6001, "");
	for (uint32_t spi = 0x6002; spi < 0x6006; spi++) {
		struct ike_ev_sa e;
		memset(&e, 0, sizeof e);
		e.spi_in = spi;
		e.spi_out = 0x1000;
		e.esp_transform = IKE_ESP_AES;
		e.enc_key_bits = 128;
		e.auth_alg = IKE_AUTH_HMAC_SHA1;
		rp_addr_v4(&e.local, 0xc6120001, 0);
		rp_addr_v4(&e.peer, 0xc6120002, 0);
		e.in.enc_len = e.out.enc_len = 16;
		e.in.auth_len = e.out.auth_len = 20;
		srv_core_sa_install(s, &e, srv_now(s));
		ck_assert_ptr_null(srv_child_by_in(s->core, spi));
	}
	ck_assert_ptr_nonnull(srv_child_by_in(s->core, 0x6001));
	const char *l = strstr(logged, "out of IPsec SAs: new clients are refused (raise esp.max_sa)");
	ck_assert_msg(l != NULL, "%s", logged);
	ck_assert_ptr_null(strstr(l + 1, "out of IPsec SAs"));
	/* issue 12: show stats counts them by the key that raises the limit */
	char *txt = NULL;
	size_t tl = 0;
	FILE *f = open_memstream(&txt, &tl);
	srv_core_print_stats(s, f);
	fclose(f);
	ck_assert_msg(strstr(txt, " esp.max_sa 4"), "%s", txt);
	free(txt);
	json_t *j = srv_json_stats(s);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(json_object_get(j, "limits"), "refused"), "esp.max_sa")),
	                 4);
	json_decref(j);
	s->log.sink = NULL;
	daemon_free(s);
}
END_TEST

/* Issue 12: the limit keys reach the cores, and show stats (text and JSON) counts what each
 * refused: [l2tp] max_tunnels_per_sa against one plain-L2TP address over five source ports,
 * [log] line_budget on the daemon's log. */
START_TEST(limit_keys_and_stats)
{
	struct srv *s =
	    daemon_new("[l2tp]\nallow_plain = yes\nmax_tunnels_per_sa = 2\n[log]\nline_budget = 50\n"
	               "[ppp]\nlogin_fail_max = 0\n");
	ck_assert_uint_eq(s->log.budget, 50);
	for (uint16_t port = 1; port <= 5; port++) {
		uint8_t b[128];
		struct rp_wr w;
		struct l2tp_link link = {.sa = 0};
		rp_addr_v4(&link.peer, 0xc6120009, port);
		rp_wr_init(&w, b, sizeof b);
		l2tp_ctl_begin(&w, 0, 0, 0, 0);
		l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCRQ);
		l2tp_avp_u16(&w, L2TP_AVP_PROTO_VER, true, 0x0100);
		l2tp_avp_u32(&w, L2TP_AVP_FRAMING_CAP, true, 1);
		l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, "h", 1);
		l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, 9);
		l2tp_ctl_end(&w);
		l2tp_input(s->core->l2tp, &link, b, w.len, srv_now(s));
	}
	srv_core_run(s);
	struct l2tp_stats ls;
	l2tp_get_stats(s->core->l2tp, &ls);
	ck_assert_uint_eq(ls.tunnels, 2);
	char *txt = NULL;
	size_t tl = 0;
	FILE *f = open_memstream(&txt, &tl);
	srv_core_print_stats(s, f);
	fclose(f);
	ck_assert_msg(strstr(txt, " l2tp.max_tunnels_per_sa 3"), "%s", txt);
	ck_assert_msg(strstr(txt, "login throttle: 0 records"), "%s", txt);
	free(txt);
	json_t *j = srv_json_stats(s);
	json_t *lim = json_object_get(j, "limits");
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(lim, "refused"), "l2tp.max_tunnels_per_sa")),
	    3);
	ck_assert_ptr_nonnull(json_object_get(lim, "log_lines_over_budget"));
	json_decref(j);
	daemon_free(s);
}
END_TEST

/* Issue 11: an AES-GCM SA pair from Quick Mode (transform 20, no HMAC, key + 4-byte salt) becomes
 * an esp/ GCM pair (it was installed as AES-CBC, whose key length the SAD refused), a packet
 * sealed by a client SA with the same key opens on the daemon's inbound SA, and show sas and
 * the JSON name the transform. */
START_TEST(install_gcm)
{
	struct srv *s = daemon_new("");
	struct ike_ev_sa e;
	memset(&e, 0, sizeof e);
	e.spi_in = 0x7001;
	e.spi_out = 0x1000;
	e.esp_transform = IKE_ESP_AES_GCM_16;
	e.enc_key_bits = 128;
	rp_addr_v4(&e.local, 0xc6120001, 0);
	rp_addr_v4(&e.peer, 0xc6120002, 0);
	e.peer_inner = e.peer;
	e.local_inner = e.local;
	e.life_s = 3600;
	e.in.enc_len = e.out.enc_len = 20;
	for (int i = 0; i < 20; i++)
		e.in.enc[i] = (uint8_t)(i + 1);
	srv_core_sa_install(s, &e, srv_now(s));
	const struct srv_child *ch = srv_child_by_in(s->core, 0x7001);
	ck_assert_ptr_nonnull(ch);
	/* the client's outbound SA: the same key and salt */
	struct esp_conf ec = {0};
	struct rp_rng rng;
	rp_rng_seeded(&rng, 3);
	struct esp_sad *cli = esp_sad_new(&ec, &rng, &s->log);
	struct esp_sa_params p = {.dir = ESP_DIR_OUT,
	                          .spi = 0x7001,
	                          .encr = ESP_ENCR_AES_GCM_16,
	                          .encr_keybits = 128,
	                          .enc_key_len = 20};
	memcpy(p.enc_key, e.in.enc, 20);
	p.local = e.peer;
	p.peer = e.local;
	uint32_t out_id;
	ck_assert_int_eq(esp_sa_add(cli, &p, srv_now(s), &out_id), 0);
	static const uint8_t udp[] = {0x06, 0xa5, 0x06, 0xa5, 0x00, 0x0c, 0x00, 0x00, 1, 2, 3, 4};
	uint8_t mem[256];
	struct rp_buf b;
	rp_buf_view(&b, mem, sizeof mem, ESP_HEADROOM, 0);
	memcpy(rp_buf_put(&b, sizeof udp), udp, sizeof udp);
	ck_assert_int_eq(esp_encap(cli, out_id, &b, srv_now(s), NULL), 0);
	struct esp_rx rx;
	ck_assert_int_eq(esp_decap(s->core->sad, &b, &e.peer, srv_now(s), &rx), 0);
	ck_assert_uint_eq(rx.spi, 0x7001);
	esp_sad_free(cli);
	char t[64];
	srv_json_transform(ch, t, sizeof t);
	ck_assert_str_eq(t, "AES-GCM-16-128/AEAD");
	daemon_free(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *su = suite_create("srv_core");
	TCase *tc = tcase_create("glue");
	tcase_add_test(tc, authorize_without_record_refused);
	tcase_add_test(tc, authorize_certificate_account);
	tcase_add_test(tc, tab_lookups);
	tcase_add_test(tc, runout_esp_max_sa);
	tcase_add_test(tc, limit_keys_and_stats);
	tcase_add_test(tc, install_gcm);
	suite_add_tcase(su, tc);
	return su;
}

RP_CHECK_MAIN(suite)
