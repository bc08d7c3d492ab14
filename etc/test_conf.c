#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "conf.h"
#include "conf_local.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	static char buf[65536];
	*len = fread(buf, 1, sizeof buf - 1, f);
	buf[*len] = 0;
	fclose(f);
	return buf;
}

static struct conf *parse(const char *text, char *err)
{
	return conf_parse_buffer("t.conf", text, strlen(text), err, 400);
}

START_TEST(shipped_file_is_the_defaults)
{
	size_t len;
	char err[400] = "", a[8192], b[8192];
	const char *text = slurp(RP_ETC "/rampart.conf", &len);
	struct conf *c = conf_parse_buffer("rampart.conf", text, len, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	struct conf *d = conf_defaults();
	conf_dump(c, a, sizeof a);
	conf_dump(d, b, sizeof b);
	ck_assert_str_eq(a, b);
	/* every key is documented in the shipped file (set, or shown commented out) */
	for (size_t i = 0; i < conf_nkeys; i++) {
		char pat[64];
		snprintf(pat, sizeof pat, "\n%s = ", conf_keys[i].key);
		char pat2[64];
		snprintf(pat2, sizeof pat2, "\n# %s = ", conf_keys[i].key);
		ck_assert_msg(strstr(text, pat) || strstr(text, pat2), "%s not in rampart.conf", conf_keys[i].key);
	}
	conf_unref(c);
	conf_unref(d);
}
END_TEST

START_TEST(values_parsed)
{
	char err[400] = "";
	struct conf *c = parse("# comment\n[server]\nlisten = 203.0.113.1, ::1\n tun_address = 198.18.0.1/24\r\n"
			       "[log]\nipsecdiagnostics = 7\nikelogging = on\n[ike]\npsk = \" a secret \"\n"
			       "dh_groups = 14 19\n[ppp]\nauth = pap mschapv2\ndns = 198.18.0.53\n"
			       "dns6 = 2001:db8::53\n"
			       "[pool]\nrange = 198.18.0.10-198.18.0.20 198.18.0.30-198.18.0.40\n"
			       "prefix6 = 2001:db8:100:ff::1/48\n",
			       err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->n_listen, 2);
	ck_assert_uint_eq(c->listen[1].family, 6);
	ck_assert_uint_eq(c->tun_prefix, 24);
	ck_assert_uint_eq(c->monitor_listen.family, 0); /* off by default */
	ck_assert_uint_eq(c->ipsecdiagnostics, 7);
	ck_assert(c->ikelogging);
	ck_assert_str_eq(c->psk, " a secret ");
	ck_assert_uint_eq(c->n_dh_groups, 2);
	ck_assert_uint_eq(c->dh_groups[1], 19);
	ck_assert_uint_eq(c->auth, CONF_AUTH_PAP | CONF_AUTH_MSCHAPV2);
	ck_assert_uint_eq(c->n_pool, 2);
	ck_assert_uint_eq(c->n_dns6, 1);
	ck_assert_uint_eq(c->prefix6.family, 6);
	ck_assert_uint_eq(c->prefix6_len, 48);
	char dump[8192];
	conf_dump(c, dump, sizeof dump);
	ck_assert_ptr_null(strstr(dump, "a secret")); /* secrets are masked */
	ck_assert_ptr_nonnull(strstr(dump, "ike.psk = (set)"));
	ck_assert_ptr_nonnull(strstr(dump, "pool.prefix6 = 2001:db8:100::/48")); /* host bits cleared */
	ck_assert_ptr_nonnull(strstr(dump, "ppp.dns6 = 2001:db8::53"));
	conf_unref(c);
}
END_TEST

START_TEST(methods_parsed)
{
	/* netsh's words, case-insensitive, printed back canonically; unset = the built-in lists */
	char err[400] = "", dump[8192];
	struct conf *c = parse("[ike]\nmain_mode_methods = aes256-sha1-14 3DES-MD5-2\n"
	                       "quick_mode_methods = ESP[AES128,SHA1], esp[3des,md5] esp[aesgcm128]\n",
	                       err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->n_mm_methods, 2);
	ck_assert_uint_eq(c->mm_methods[0].enc, 7);
	ck_assert_uint_eq(c->mm_methods[0].keylen, 256);
	ck_assert_uint_eq(c->mm_methods[0].group, 14);
	ck_assert_uint_eq(c->mm_methods[1].hash, 1);
	ck_assert_uint_eq(c->n_qm_methods, 3);
	ck_assert_uint_eq(c->qm_methods[1].esp_transform, 3);
	ck_assert_uint_eq(c->qm_methods[2].esp_transform, 20); /* AES-GCM-16, RFC 4106 */
	ck_assert_uint_eq(c->qm_methods[2].keylen, 128);
	ck_assert_uint_eq(c->qm_methods[2].auth, 0);
	conf_dump(c, dump, sizeof dump);
	ck_assert_ptr_nonnull(strstr(dump, "ike.main_mode_methods = AES256-SHA1-14 3DES-MD5-2\n"));
	ck_assert_ptr_nonnull(strstr(dump, "ike.quick_mode_methods = ESP[AES128,SHA1] ESP[3DES,MD5] ESP[AESGCM128]\n"));
	conf_unref(c);
	struct conf *d = conf_defaults();
	ck_assert_uint_eq(d->n_mm_methods, 0);
	ck_assert_uint_eq(d->n_qm_methods, 0);
	conf_unref(d);
}
END_TEST

static const struct {
	const char *text, *err;
} bad[] = {
	{"[server]\nlistn = 1.2.3.4\n", "t.conf:2: unknown key \"listn\" in [server]"},
	{"[srv]\n", "t.conf:1: unknown section [srv]"},
	{"psk = x\n", "t.conf:1: key \"psk\" outside a section"},
	{"[log]\n\n\nipsecdiagnostics = 8\n", "t.conf:4: log.ipsecdiagnostics: 8 is out of range 0-7"},
	{"[log]\nipsecloginterval = 59\n", "t.conf:2: log.ipsecloginterval: 59 is out of range 60-86400"},
	{"[log]\nipsecdiagnostics = -1\n", "t.conf:2: log.ipsecdiagnostics: \"-1\" is not a number"},
	{"[log]\nipsecdiagnostics = 99999999999999999999\n", "t.conf:2: log.ipsecdiagnostics: \"99999999999999999999\" is not a number"},
	{"[log]\nikelogging = maybe\n", "t.conf:2: log.ikelogging: \"maybe\" is not yes or no"},
	{"[log]\nikelogging = 1\nikelogging = 0\n", "t.conf:3: log.ikelogging is set twice"},
	{"[server]\nlisten = 1.2.3.400\n", "t.conf:2: server.listen: \"1.2.3.400\" is not an IP address"},
	{"[server]\nlisten =\n", "t.conf:2: server.listen: empty list"},
	{"[server]\ntun_address = 198.18.0.1\n", "t.conf:2: server.tun_address: \"198.18.0.1\" is not address/prefix"},
	{"[ike]\ndh_groups = 14 1\n", "t.conf:2: ike.dh_groups: DH group \"1\" is not one of 2 5 14 15 16 19 20 21"},
	{"[ike]\nmain_mode_methods = AES256-SHA1-14 AES256-SHA3-14\n",
	 "t.conf:2: ike.main_mode_methods: \"AES256-SHA3-14\" is not a Main Mode method such as AES256-SHA1-14 "
	 "(AES256|AES192|AES128|3DES - SHA512|SHA384|SHA256|SHA1|MD5 - DH group)"},
	{"[ike]\nmain_mode_methods = DES-MD5-1\n",
	 "t.conf:2: ike.main_mode_methods: \"DES-MD5-1\": rampart does not implement single DES or MODP-768"},
	{"[ike]\nmain_mode_methods = AES128-SHA1-1\n",
	 "t.conf:2: ike.main_mode_methods: \"AES128-SHA1-1\": rampart does not implement single DES or MODP-768"},
	{"[ike]\nmain_mode_methods =\n", "t.conf:2: ike.main_mode_methods: empty list"},
	{"[ike]\nquick_mode_methods = ESP[AES256,SHA1] AH[SHA1]\n",
	 "t.conf:2: ike.quick_mode_methods: \"AH[SHA1]\" is not a Quick Mode method such as ESP[AES256,SHA1] "
	 "(ESP[AES256|AES192|AES128|3DES,SHA512|SHA384|SHA256|SHA1|MD5] or "
	 "ESP[AESGCM256|AESGCM192|AESGCM128])"},
	{"[ike]\nquick_mode_methods = ESP[DES,MD5]\n",
	 "t.conf:2: ike.quick_mode_methods: \"ESP[DES,MD5]\": rampart does not implement single DES"},
	{"[ike]\ndh_groups = 14\nmain_mode_methods = AES256-SHA1-20 AES128-SHA1-19\n",
	 "t.conf:3: ike.main_mode_methods: no method has a group of ike.dh_groups"},
	{"[ppp]\nauth = eap\n", "t.conf:2: ppp.auth: unknown method \"eap\" (pap, chap, mschapv2)"},
	{"[ppp]\ndns = 1.1.1.1 2.2.2.2 3.3.3.3\n", "t.conf:2: ppp.dns: more than 2 entries"},
	{"[pool]\nrange = 100.115.92.20-100.115.92.10\n", "t.conf:2: pool.range: range 100.115.92.20-100.115.92.10 ends before it starts"},
	{"[pool]\nrange = 100.115.92.1-100.115.92.10\n", "t.conf:2: pool.range: contains the server's tun_address"},
	{"[pool]\nrange = 100.115.93.2-100.115.93.10\n", "t.conf:2: pool.range: 1 is outside the tun_address subnet /24"},
	{"[pool]\nrange = 100.115.92.2-100.115.92.10,100.115.92.5-100.115.92.6\n", "t.conf:2: pool.range: ranges 1 and 2 overlap"},
	{"[pool]\nprefix6 = 2001:db8::/64\n", "t.conf:2: pool.prefix6: /64 is out of range 16-63 (each session gets a /64 of it)"},
	{"[pool]\nprefix6 = 198.18.0.0/16\n", "t.conf:2: pool.prefix6: \"198.18.0.0\" is not an IPv6 address"},
	{"[pool]\nprefix6 = 2001:db8::\n", "t.conf:2: pool.prefix6: \"2001:db8::\" is not prefix/length"},
	{"[ppp]\ndns6 = 198.18.0.53\n", "t.conf:2: ppp.dns6: \"198.18.0.53\" is not an IPv6 address"},
	{"[server\n", "t.conf:1: malformed section header"},
	{"[server]\njust words\n", "t.conf:2: expected key = value"},
	{"[ike]\ndpd_delay = 60\ndpd_timeout = 30\n", "t.conf:3: ike.dpd_timeout is shorter than ike.dpd_delay"},
	{"[ike]\ncertificate = /x.pem\nca = /ca.pem\n", "t.conf:3: ike.certificate, ike.private_key and ike.ca go together"},
	{"[ppp]\ndns = 198.18.0.53 2001:db8::53\n", "t.conf:2: ppp.dns: IPCP offers IPv4 servers only (IPv6 ones belong in ppp.dns6)"},
	{"[ppp]\nwins = 2001:db8::53\n", "t.conf:2: ppp.wins: WINS servers are IPv4"},
	{"[monitor]\nlisten = 127.0.0.1\n", "t.conf:2: monitor.listen: \"127.0.0.1\" is not ADDRESS:PORT"},
	{"[monitor]\nlisten = 127.0.0.1:0\n", "t.conf:2: monitor.listen: \"127.0.0.1:0\" is not ADDRESS:PORT"},
	{"[monitor]\nlisten = ::1:8090\n", "t.conf:2: monitor.listen: \"::1\" is not an IP address (IPv6 goes in brackets)"},
	{"[monitor]\nlisten = 198.18.0.1:8090\n",
	 "t.conf:2: monitor.listen: plain HTTP only on a loopback address (127.0.0.0/8, ::1); set monitor.certificate and monitor.private_key for HTTPS"},
	{"[monitor]\nlisten = [2001:db8::1]:8090\n",
	 "t.conf:2: monitor.listen: plain HTTP only on a loopback address (127.0.0.0/8, ::1); set monitor.certificate and monitor.private_key for HTTPS"},
	{"[monitor]\nlisten = 0.0.0.0:8090\nca = /ca.pem\n", "t.conf:3: monitor.ca (client certificates) needs monitor.certificate (HTTPS)"},
	{"[monitor]\ncertificate = /m.pem\n", "t.conf:2: monitor.certificate and monitor.private_key go together"},
};

START_TEST(bad_input_rejected_with_line)
{
	char err[400] = "";
	struct conf *c = parse(bad[_i].text, err);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, bad[_i].err);
}
END_TEST

/* [monitor] listen: loopback without TLS, anything with a certificate; the value reads back. */
START_TEST(monitor_listen)
{
	static const struct {
		const char *text, *dump;
	} ok[] = {
	    {"[monitor]\nlisten = 127.0.0.1:8090\n", "monitor.listen = 127.0.0.1:8090\n"},
	    {"[monitor]\nlisten = [::1]:8090\n", "monitor.listen = [::1]:8090\n"},
	    {"[monitor]\nlisten = 0.0.0.0:8443\ncertificate = /m.pem\nprivate_key = /k.pem\nca = /ca.pem\n",
	     "monitor.listen = 0.0.0.0:8443\n"},
	    {"[monitor]\nlisten = \"\"\n", "monitor.listen = \n"},
	};
	for (size_t i = 0; i < RP_ARRAY_LEN(ok); i++) {
		char err[400] = "", out[8192];
		struct conf *c = parse(ok[i].text, err);
		ck_assert_msg(c != NULL, "%s: %s", ok[i].text, err);
		conf_dump(c, out, sizeof out);
		ck_assert_msg(strstr(out, ok[i].dump), "%s not in the dump", ok[i].dump);
		conf_unref(c);
	}
}
END_TEST

START_TEST(long_and_nul_lines)
{
	struct conf_parser *p = conf_parser_new("x");
	static char big[5000];
	memset(big, 'a', sizeof big);
	ck_assert_int_eq(conf_parser_line(p, big, sizeof big), -1);
	ck_assert_str_eq(conf_parser_error(p), "x:1: line longer than 1024 bytes");
	ck_assert_int_eq(conf_parser_line(p, "[log]", 5), -1); /* a failed parser stays failed */
	ck_assert_ptr_null(conf_parser_finish(p));
	conf_parser_free(p);
	p = conf_parser_new("x");
	ck_assert_int_eq(conf_parser_line(p, "[log\0]", 6), -1);
	ck_assert_str_eq(conf_parser_error(p), "x:1: NUL byte in line");
	conf_parser_free(p);
}
END_TEST

START_TEST(snapshot_refcount)
{
	struct conf *c = conf_defaults();
	ck_assert_ptr_eq(conf_ref(c), c);
	ck_assert_uint_eq(c->refs, 2);
	conf_unref(c);
	ck_assert_uint_eq(c->refs, 1);
	conf_unref(c);
}
END_TEST

START_TEST(ctl_roundtrip)
{
	char *in[] = {"ipsec", "dynamic", "set", "config", "property=bootexemptions",
		      "value=UDP:500:500:inbound TCP:22:0:inbound", "q\"uo\\te", ""};
	char line[CTL_LINE], store[CTL_LINE], *argv[CTL_MAX_ARGS];
	int n = ctl_join(line, sizeof line, 8, in);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(ctl_split(line, (size_t)n, store, argv), 8);
	for (int i = 0; i < 8; i++)
		ck_assert_str_eq(argv[i], in[i]);
	ck_assert_int_eq(ctl_split("a \"b", 4, store, argv), -1);
	ck_assert_int_eq(ctl_split("a\"b\"", 4, store, argv), -1);
	ck_assert_int_eq(ctl_split("\"a\"b", 4, store, argv), -1);
	ck_assert_int_eq(ctl_split("   ", 3, store, argv), 0);
	char *nl[] = {"a\nb"};
	ck_assert_int_eq(ctl_join(line, sizeof line, 1, nl), -1);
	ck_assert_int_eq(ctl_join(line, 4, 2, in), -1); /* too small */

	const char *t;
	size_t tl;
	ck_assert_int_eq(ctl_response_line("- x y", 5, &t, &tl), CTL_BODY);
	ck_assert_uint_eq(tl, 3);
	ck_assert_int_eq(ctl_response_line("+ok", 3, &t, &tl), CTL_OK);
	ck_assert_int_eq(ctl_response_line("!no such command", 16, &t, &tl), CTL_ERR);
	ck_assert_int_eq(ctl_response_line("+okay", 5, &t, &tl), CTL_BAD);
	ck_assert_int_eq(ctl_response_line("", 0, &t, &tl), CTL_BAD);
}
END_TEST

static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, shipped_file_is_the_defaults);
	tcase_add_test(tc, values_parsed);
	tcase_add_test(tc, methods_parsed);
	tcase_add_loop_test(tc, bad_input_rejected_with_line, 0, (int)RP_ARRAY_LEN(bad));
	tcase_add_test(tc, monitor_listen);
	tcase_add_test(tc, long_and_nul_lines);
	tcase_add_test(tc, snapshot_refcount);
	tcase_add_test(tc, ctl_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(conf_suite)
