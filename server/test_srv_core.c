/* The routing glue with a daemon built without sockets (srv_new_detached): what the L2TP core
 * is told about a PPP login over an SA (issue 10 item 5: an SA without a record failed open). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "srv_local.h"

static char dir[64];

static struct srv *daemon_new(const char *extra)
{
	char path[128], text[1024], err[512];
	snprintf(dir, sizeof dir, "/tmp/test_srv_core.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/rampart.conf", dir);
	snprintf(
	    text, sizeof text,
	    "[server]\nlisten = 127.0.0.1\ntun_address = 198.18.5.1/24\nstate_dir = %s/state\n"
	    "control_socket = %s/ctl.sock\n[ike]\npsk = test\n[pool]\nrange = 198.18.5.10-198.18.5.20\n%s",
	    dir, dir, extra);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
	struct conf *c = srv_load_conf(path, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	struct srv *s = srv_new_detached(c, path, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	return s;
}

static void daemon_free(struct srv *s)
{
	char cmd[128];
	srv_free(s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
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

static Suite *suite(void)
{
	Suite *su = suite_create("srv_core");
	TCase *tc = tcase_create("glue");
	tcase_add_test(tc, authorize_without_record_refused);
	tcase_add_test(tc, authorize_certificate_account);
	suite_add_tcase(su, tc);
	return su;
}

RP_CHECK_MAIN(suite)
