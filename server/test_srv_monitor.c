/* The monitor's own documents with a daemon built without sockets (srv_new_detached): /metrics in
 * the Prometheus text format, the policy view of the configuration, the embedded page. The HTTP
 * side runs against a real rampartd in tests/server/monitor.sh. */
#include <check.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "test_daemon.h"
#include "srv_json.h"
#include "srv_local.h"
#include "srv_monitor.h"
#include "srv_policy.h"
#include "policy.h"

static char dir[64];

static struct srv *daemon_new(const char *extra)
{
	char rest[1024];
	snprintf(rest, sizeof rest, "[pool]\nrange = 198.18.5.10-198.18.5.20 198.18.5.30-198.18.5.31\n%s",
	         extra);
	return rp_test_daemon(dir, rest);
}

static void daemon_free(struct srv *s)
{
	rp_test_daemon_free(s, dir);
}

/* Every line is a comment (# HELP / # TYPE of the family that follows) or `name{labels} value`,
 * every family is announced before its samples, counters end in _total; and the figures of an
 * idle daemon with a pool of 13 addresses. */
START_TEST(metrics_text_format)
{
	struct srv *s = daemon_new("[ike]\npsk = a-test-psk\n");
	size_t len;
	char *m = srv_monitor_metrics(s, &len);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(strlen(m), len);
	regex_t sample, type;
	ck_assert_int_eq(
	    regcomp(&sample,
	            "^([a-z0-9_]+)(\\{[a-z0-9_]+=\"[^\"]*\"(,[a-z0-9_]+=\"[^\"]*\")*\\})? [0-9][0-9.]*$",
	            REG_EXTENDED),
	    0);
	ck_assert_int_eq(regcomp(&type, "^# TYPE ([a-z0-9_]+) (counter|gauge|histogram)$", REG_EXTENDED), 0);
	char family[96] = "", kind[16] = "";
	unsigned samples = 0;
	for (char *save = NULL, *l = strtok_r(m, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		regmatch_t g[3];
		if (strncmp(l, "# HELP ", 7) == 0)
			continue;
		if (regexec(&type, l, 3, g, 0) == 0) {
			snprintf(family, sizeof family, "%.*s", (int)(g[1].rm_eo - g[1].rm_so),
			         l + g[1].rm_so);
			snprintf(kind, sizeof kind, "%.*s", (int)(g[2].rm_eo - g[2].rm_so), l + g[2].rm_so);
			ck_assert_msg(strcmp(kind, "counter") || strstr(family, "_total"),
			              "%s: counter without _total", family);
			continue;
		}
		ck_assert_msg(regexec(&sample, l, 3, g, 0) == 0, "not a sample: %s", l);
		ck_assert_msg(strncmp(l, family, strlen(family)) == 0 && family[0],
		              "%s outside its family %s", l, family);
		samples++;
	}
	ck_assert_uint_gt(samples, 50);
	regfree(&sample);
	regfree(&type);
	free(m);
	m = srv_monitor_metrics(s, &len);
	ck_assert_ptr_nonnull(strstr(m, "\nrampart_pool_addresses{state=\"free\"} 13\n"));
	ck_assert_ptr_nonnull(strstr(m, "\nrampart_pool_addresses{state=\"leased\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(m, "\nrampart_sessions 0\n"));
	ck_assert_ptr_nonnull(
	    strstr(m, "\nrampart_limit_refused_total{limit=\"l2tp.max_tunnels_per_sa\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(m, "\nrampart_log_lines_over_budget_total 0\n"));
	ck_assert_ptr_nonnull(strstr(m, "\nrampart_ike_main_mode_duration_seconds_bucket{le=\"0.005\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(m, "\nrampart_ike_main_mode_duration_seconds_bucket{le=\"+Inf\"} 0\n"));
	ck_assert_ptr_null(strstr(m, "rampart_monitor_requests_total")); /* no monitor running */
	free(m);
	daemon_free(s);
}
END_TEST

/* The policy view follows the configuration: PSK and certificate authentication, groups, lifetimes. */
START_TEST(policy_from_config)
{
	static const char pki[] = RP_DATA "/pki";
	char extra[1024];
	snprintf(extra, sizeof extra,
	         "[ike]\npsk = a-test-psk\ndh_groups = 14 19\nphase2_lifetime = 1800\ncertificate = "
	         "%s/server.pem\n"
	         "private_key = %s/server-key.pem\nca = %s/ca.pem\n[l2tp]\nallow_plain = yes\n",
	         pki, pki, pki);
	struct srv *s = daemon_new(extra);
	json_t *p = srv_monitor_policy(s);
	ck_assert_ptr_nonnull(p);
	char *txt = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_ptr_nonnull(
	    strstr(txt, "\"authentication\":[\"certificate (RSA signature)\",\"preshared key\"]"));
	ck_assert_ptr_nonnull(strstr(txt, "\"dh_groups\":[14,19]"));
	ck_assert_ptr_nonnull(strstr(txt, "\"quick_mode\":{\"lifetime_s\":1800,"));
	ck_assert_ptr_nonnull(strstr(txt, "\"natt_keepalive_s\":20,\"pfs_dh_groups\":[14,19],\"replay_window\":1024}"));
	ck_assert_ptr_nonnull(strstr(txt, "\"plain_l2tp_permitted\":true"));
	ck_assert_ptr_nonnull(strstr(txt, "No IPsec policy is assigned"));
	ck_assert_ptr_null(strstr(txt, "a-test-psk"));
	free(txt);
	json_decref(p);
	daemon_free(s);
}
END_TEST

START_TEST(page_embedded)
{
	const struct srv_monitor_asset *a = srv_monitor_asset("/");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->mime, "text/html; charset=utf-8");
	ck_assert_ptr_eq(a->data, srv_monitor_asset("/index.html")->data);
	ck_assert_ptr_nonnull(memmem(a->data, a->len, "<script src=\"/monitor.js\">", 26));
	ck_assert_ptr_nonnull(srv_monitor_asset("/monitor.js"));
	ck_assert_str_eq(srv_monitor_asset("/monitor.css")->mime, "text/css; charset=utf-8");
	ck_assert_ptr_null(srv_monitor_asset("/../etc/passwd"));
	ck_assert_ptr_null(srv_monitor_asset("/index.htm"));
}
END_TEST

/* An SA pair (peer 203.0.113.P:4500) with a PPP session of account over it. */
static void pair(struct srv *s, uint32_t spi_in, unsigned p, const char *account, uint32_t ip)
{
	struct ike_ev_sa e;
	memset(&e, 0, sizeof e);
	e.spi_in = spi_in;
	e.spi_out = 0x1000 + p;
	e.esp_transform = IKE_ESP_AES;
	e.enc_key_bits = 128;
	e.auth_alg = IKE_AUTH_HMAC_SHA1;
	e.udp_encap = true;
	e.icky[0] = (uint8_t)p;
	rp_addr_v4(&e.local, 0xc6120001, 4500);
	rp_addr_v4(&e.peer, 0xcb007100 + p, 4500);
	e.peer_inner = e.peer;
	e.local_inner = e.local;
	e.life_s = 3600;
	e.in.enc_len = e.out.enc_len = 16;
	e.in.auth_len = e.out.auth_len = 20;
	snprintf(e.peer_id, sizeof e.peer_id, "peer%u", p);
	srv_core_sa_install(s, &e, srv_now(s));
	struct l2tp_link l = {.sa = (uint64_t)spi_in << 32 | 1, .peer = e.peer};
	struct srv_sess *se = srv_tab_sess_new(&s->core->tab, &l, (uint16_t)p, 1);
	ck_assert_ptr_nonnull(se);
	snprintf(se->account, sizeof se->account, "%s", account);
	se->ip = ip;
}

/* the SPIs (or accounts) of a page, space-separated */
static const char *listed(json_t *d, char *buf, size_t n)
{
	size_t i, j = 0;
	json_t *e;
	buf[0] = 0;
	json_t *a = json_object_get(d, "sas");
	json_array_foreach(a ? a : json_object_get(d, "sessions"), i, e)
	{
		const char *v = a ? json_string_value(json_object_get(json_object_get(e, "esp"), "spi_in"))
		                  : json_string_value(json_object_get(e, "account"));
		j += (size_t)snprintf(buf + j, n - j, "%s%s", j ? " " : "", v ? v : "?");
	}
	return buf;
}

static json_int_t inum(json_t *d, const char *k)
{
	return json_integer_value(json_object_get(d, k));
}

/* The paged lists choose their page from the tables: order, sort either way (ties in table
 * order), case-insensitive filter over what the page shows, offset and limit, and entries equal
 * to the full document's (rampartctl --json). */
START_TEST(paged_lists)
{
	struct srv *s = daemon_new("[ike]\npsk = a-test-psk\n");
	pair(s, 0x100030, 3, "carol", 0xc612050c);
	pair(s, 0x100010, 1, "Alice", 0xc612050a);
	pair(s, 0x100050, 5, "bob", 0xc612050b);
	pair(s, 0x100020, 2, "alice2", 0xc612050d);
	char b[256];
	int err;
	struct srv_mon_query q = {.limit = 200};
	json_t *d = srv_monitor_sas(s, &q, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(listed(d, b, sizeof b), "00100030 00100010 00100050 00100020");
	ck_assert_int_eq(inum(d, "matched"), 4);
	ck_assert_int_eq(inum(d, "ipsec_sa_pairs"), 4);
	json_t *full = srv_json_sas(s);
	ck_assert(json_equal(json_object_get(d, "sas"), json_object_get(full, "sas")));
	json_decref(full);
	json_decref(d);

	q = (struct srv_mon_query){.limit = 2, .offset = 1, .sort = "spi_in", .desc = true};
	d = srv_monitor_sas(s, &q, &err);
	ck_assert_str_eq(listed(d, b, sizeof b), "00100030 00100020");
	json_decref(d);
	q = (struct srv_mon_query){.limit = 200, .sort = "account"};
	d = srv_monitor_sas(s, &q, &err);
	ck_assert_str_eq(listed(d, b, sizeof b), "00100010 00100020 00100050 00100030");
	json_decref(d);
	q = (struct srv_mon_query){.limit = 200, .sort = "peer", .desc = true, .filter = "ALICE"};
	d = srv_monitor_sas(s, &q, &err);
	ck_assert_str_eq(listed(d, b, sizeof b), "00100020 00100010");
	ck_assert_int_eq(inum(d, "matched"), 2);
	json_decref(d);
	q = (struct srv_mon_query){.limit = 200, .filter = "198.18.5.11"}; /* bob's tunnel address */
	d = srv_monitor_sas(s, &q, &err);
	ck_assert_str_eq(listed(d, b, sizeof b), "00100050");
	json_decref(d);
	q = (struct srv_mon_query){.limit = 200, .offset = 4};
	d = srv_monitor_sas(s, &q, &err);
	ck_assert_str_eq(listed(d, b, sizeof b), "");
	ck_assert_int_eq(inum(d, "matched"), 4);
	json_decref(d);
	q = (struct srv_mon_query){.limit = 200, .sort = "nope"};
	ck_assert_ptr_null(srv_monitor_sas(s, &q, &err));
	ck_assert_int_eq(err, -EINVAL);

	q = (struct srv_mon_query){.limit = 200, .sort = "tunnel_ip", .desc = true};
	d = srv_monitor_sessions(s, &q, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(listed(d, b, sizeof b), "alice2 carol bob Alice");
	json_t *t = json_object_get(json_array_get(json_object_get(d, "sessions"), 0), "transport");
	ck_assert_str_eq(json_string_value(json_object_get(t, "spi_in")), "00100020");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(t, "peer"), "address")),
	                 "203.0.113.2");
	json_decref(d);
	q = (struct srv_mon_query){.limit = 200, .filter = "203.0.113.3:"};
	d = srv_monitor_sessions(s, &q, &err);
	ck_assert_str_eq(listed(d, b, sizeof b), "carol");
	json_decref(d);
	daemon_free(s);
}
END_TEST

static void quiet(void *ctx, const char *text)
{
	(void)ctx;
	(void)text;
}

static void dyn(struct srv *s, const char *cmd)
{
	char line[512], *argv[24], err[256] = "";
	snprintf(line, sizeof line, "ipsec dynamic %s", cmd);
	int argc = pol_split(line, argv, 24);
	ck_assert_msg(srv_policy_ctl(s, argc, argv, quiet, NULL, err, sizeof err) == 0, "%s: %s", cmd, err);
}

/* An assigned policy's rules appear in the order weighed, with their filters, action, methods
 * and the rule's own authentication (its PSK never), then the configuration's default response;
 * a rule not activated is not in force and not shown. */
START_TEST(policy_with_rules)
{
	struct srv *s = daemon_new("[ike]\npsk = a-test-psk\n");
	dyn(s, "add policy name=office assign=yes mmsecmethods=AES256-SHA1-14");
	dyn(s, "add filterlist name=mgmt");
	dyn(s, "add filter filterlist=mgmt srcaddr=198.18.63.0 srcmask=24 dstaddr=me protocol=UDP");
	dyn(s, "add filteraction name=plain action=permit");
	dyn(s, "add filteraction name=strong action=negotiate qmsecmethods=ESP[AES256,SHA1]");
	dyn(s, "add rule name=r-mgmt policy=office filterlist=mgmt filteraction=plain");
	dyn(s, "add rule name=r-strong policy=office filterlist=mgmt filteraction=strong psk=rule-secret");
	dyn(s, "add filteraction name=no action=block");
	dyn(s, "add rule name=r-off policy=office filterlist=mgmt filteraction=no activate=no");
	json_t *p = srv_monitor_policy(s);
	ck_assert_ptr_nonnull(p);
	char *txt = json_dumps(p, JSON_COMPACT);
	ck_assert_str_eq(json_string_value(json_object_get(p, "name")), "office");
	ck_assert_str_eq(json_string_value(json_object_get(p, "store")), "dynamic");
	json_t *r = json_object_get(p, "rules");
	ck_assert_uint_eq(json_array_size(r), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(r, 0), "name")), "r-mgmt");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(r, 1), "name")), "r-strong");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(r, 2), "name")),
	                 "default response (the configuration)");
	ck_assert_ptr_nonnull(strstr(txt, "\"filter\":{\"source\":\"198.18.63.0/24\",\"destination\":\"me (mirrored)\","
	                                  "\"protocol\":\"UDP\",\"port\":\"0:0\"}"));
	ck_assert_ptr_nonnull(strstr(txt, "\"plain_l2tp_permitted\":true"));
	ck_assert_ptr_nonnull(strstr(txt, "\"quick_mode_methods\":\"ESP[AES256,SHA1]\""));
	ck_assert_ptr_nonnull(strstr(txt, "\"authentication\":[\"preshared key (the rule's)\"]"));
	ck_assert_ptr_nonnull(strstr(txt, "\"policy_methods\":\"office: AES256-SHA1-14\""));
	ck_assert_ptr_null(strstr(txt, "rule-secret"));
	ck_assert_ptr_null(strstr(txt, "a-test-psk"));
	ck_assert_ptr_null(strstr(txt, "r-off"));
	free(txt);
	json_decref(p);
	daemon_free(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("srv_monitor");
	TCase *tc = tcase_create("docs");
	tcase_add_test(tc, metrics_text_format);
	tcase_add_test(tc, policy_from_config);
	tcase_add_test(tc, policy_with_rules);
	tcase_add_test(tc, page_embedded);
	tcase_add_test(tc, paged_lists);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(suite)
