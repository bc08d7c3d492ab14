/* policy/: netsh's words (good and malformed), the store, matching a peer, the data-path filters,
 * boot mode and exemptions. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "check_main.h"
#include "pol_model.h"
#include "pol_store.h"
#include "policy.h"

static char outbuf[16384];

static void out(void *ctx, const char *line)
{
	(void)ctx;
	strncat(outbuf, line, sizeof outbuf - strlen(outbuf) - 2);
	strcat(outbuf, "\n");
}

/* one request line, as rampartctl's words after "ipsec" */
static int cmd(struct pol_set *s, const char *line, char *err, size_t n)
{
	char buf[1024], *argv[32];
	snprintf(buf, sizeof buf, "%s", line);
	int argc = pol_split(buf, argv, 32);
	ck_assert_int_ge(argc, 0);
	bool changed;
	return pol_cmd_run(s, argc, argv, strncmp(line, "dynamic", 7) ? 0 : POL_CMD_DYNAMIC, out, NULL,
	                   &changed, err, n);
}

static void ok(struct pol_set *s, const char *line)
{
	char err[256];
	int rc = cmd(s, line, err, sizeof err);
	ck_assert_msg(rc == 0, "%s: %d %s", line, rc, err);
}

static uint32_t ip4(int a, int b, int c, int d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d;
}

static const char *const session[] = {
    "static add policy name=remote",
    "static add filterlist name=lab",
    "static add filter filterlist=lab srcaddr=198.18.63.0 srcmask=24 dstaddr=me protocol=UDP",
    "static add filteraction name=deny action=block",
    "static add rule name=r1 policy=remote filterlist=lab filteraction=deny",
    "static set policy name=remote assign=yes",
};

START_TEST(issue_session)
{
	struct pol_set s;
	struct pol_env env = {0};
	struct pol_match m;
	pol_set_init(&s);
	for (size_t i = 0; i < sizeof session / sizeof *session; i++)
		ok(&s, session[i]);
	ck_assert_int_eq(pol_match_peer(&s, &env, ip4(198, 18, 63, 1), &m), 0);
	ck_assert_str_eq(m.rule->name, "r1");
	ck_assert_int_eq(m.rule->store, POL_LOCAL);
	ck_assert_int_eq(m.action, POL_BLOCK);
	/* outside the subnet: the default response */
	ck_assert_int_eq(pol_match_peer(&s, &env, ip4(198, 18, 64, 1), &m), -ENOENT);
	ck_assert_ptr_null(m.rule);
	ok(&s, "static delete rule name=r1 policy=remote");
	ck_assert_int_eq(pol_match_peer(&s, &env, ip4(198, 18, 63, 1), &m), -ENOENT);
	ok(&s, "dynamic set config property=bootmode value=block");
	outbuf[0] = 0;
	ok(&s, "dynamic show config");
	ck_assert_ptr_nonnull(strstr(outbuf, "bootmode = block"));
	/* a dotted mask is the same filter */
	ok(&s, "static add filter filterlist=lab srcaddr=198.18.62.0 srcmask=255.255.255.0 dstaddr=me");
	outbuf[0] = 0;
	ok(&s, "static show filterlist name=lab");
	ck_assert_ptr_nonnull(strstr(outbuf, "srcaddr=198.18.63.0/24 dstaddr=me protocol=UDP"));
	ck_assert_ptr_nonnull(strstr(outbuf, "srcaddr=198.18.62.0/24 dstaddr=me protocol=ANY"));
	pol_set_free(&s);
}
END_TEST

static const struct {
	const char *line, *why;
	int rc;
} bad[] = {
    {"static add", "usage", -EINVAL},
    {"statik add policy name=x", "static or dynamic", -EINVAL},
    {"static frob policy name=x", "add, set, delete or show", -EINVAL},
    {"static add widget name=x", "add what", -EINVAL},
    {"static add policy", "name= is required", -EINVAL},
    {"static add policy name=", "name must be", -EINVAL},
    {"static add policy name=remote", "exists", -EEXIST},
    {"static add policy name=p2 name=p3", "given twice", -EINVAL},
    {"static add policy name=p2 colour=red", "unknown parameter \"colour\"", -EINVAL},
    {"static add policy name=p2 justaword", "key=value", -EINVAL},
    {"static add policy name=p2 assign=maybe", "yes or no", -EINVAL},
    {"static add policy name=p2 mmsecmethods=AES256-SHA1-99", "bad security method \"AES256-SHA1-99\"",
     -EINVAL},
    {"static add policy name=p2 mmsecmethods=AES256-SHA1", "bad security method", -EINVAL},
    {"static add policy name=p2 mmsecmethods=\" \"", "empty list", -EINVAL},
    {"static add policy name=p2 mmlifetime=0", "mmlifetime", -EINVAL},
    {"static add filteraction name=f2 action=allow", "permit, block or negotiate", -EINVAL},
    {"static add filteraction name=f2 qmsecmethods=ESP[AES256]", "bad security method", -EINVAL},
    {"static add filteraction name=f2 qmsecmethods=ESP[NONE,NONE]", "bad security method", -EINVAL},
    {"static add filteraction name=f2 qmsecmethods=ESP[AES256,SHA1]:100x", "bad security method", -EINVAL},
    {"static add filteraction name=f2 qmsecmethods=AH[SHA1]", "bad security method", -EINVAL},
    {"static add filter filterlist=lab srcaddr=198.18.63.0", "dstaddr= is required", -EINVAL},
    {"static add filter filterlist=nope srcaddr=any dstaddr=me", "not found", -ENOENT},
    {"static add filter filterlist=lab srcaddr=1.2.3 dstaddr=me", "srcaddr \"1.2.3\"", -EINVAL},
    {"static add filter filterlist=lab srcaddr=300.1.1.1 dstaddr=me", "srcaddr", -EINVAL},
    {"static add filter filterlist=lab srcaddr=bad_name! dstaddr=me", "srcaddr", -EINVAL},
    {"static add filter filterlist=lab srcaddr=10.0.0.0 srcmask=33 dstaddr=me", "srcmask \"33\"", -EINVAL},
    {"static add filter filterlist=lab srcaddr=10.0.0.0 srcmask=255.0.255.0 dstaddr=me", "srcmask", -EINVAL},
    {"static add filter filterlist=lab srcaddr=10.0.0.0 srcmask=-1 dstaddr=me", "srcmask", -EINVAL},
    {"static add filter filterlist=lab srcaddr=any srcmask=24 dstaddr=me", "address only", -EINVAL},
    {"static add filter filterlist=lab srcaddr=me dstaddr=me", "both be me", -EINVAL},
    {"static add filter filterlist=lab srcaddr=any dstaddr=me protocol=SCTPX", "protocol", -EINVAL},
    {"static add filter filterlist=lab srcaddr=any dstaddr=me protocol=256", "protocol", -EINVAL},
    {"static add filter filterlist=lab srcaddr=any dstaddr=me protocol=ICMP dstport=80", "TCP or UDP",
     -EINVAL},
    {"static add filter filterlist=lab srcaddr=any dstaddr=me protocol=TCP dstport=65536", "dstport is",
     -EINVAL},
    {"static add filter filterlist=lab srcaddr=198.18.63.0 srcmask=24 dstaddr=me protocol=UDP", "already",
     -EEXIST},
    {"static add rule name=r2 policy=remote filterlist=lab", "required", -EINVAL},
    {"static add rule name=r2 policy=remote filterlist=nope filteraction=deny", "filterlist nope", -ENOENT},
    {"static add rule name=r2 policy=nope filterlist=lab filteraction=deny", "policy nope", -ENOENT},
    {"static add rule name=r2 policy=remote filterlist=lab filteraction=deny conntype=wan", "conntype",
     -EINVAL},
    {"static add rule name=r2 policy=remote filterlist=lab filteraction=deny rootca=\"CN=x "
     "certmaptoaccount=maybe\"",
     "certmaptoaccount", -EINVAL},
    {"static delete filterlist name=lab", "used by rule r1", -EBUSY},
    {"static delete filteraction name=deny", "used by rule r1", -EBUSY},
    {"static delete rule name=r9 policy=remote", "not found", -ENOENT},
    {"static delete rule policy=remote", "name= is required", -EINVAL},
    {"static delete policy name=nope", "not found", -ENOENT},
    {"static set store location=domain", "local or persistent", -EINVAL},
    {"static set config property=bootmode value=block", "dynamic command", -EINVAL},
    {"dynamic set store location=local", "static command", -EINVAL},
    {"dynamic set config property=bootmode value=off", "stateful, block or permit", -EINVAL},
    {"dynamic set config property=bootexemptions value=TCP:0:80", "PROTOCOL:SRCPORT:DSTPORT:DIRECTION",
     -EINVAL},
    {"dynamic set config property=bootexemptions value=TCP:0:80:sideways", "inbound or outbound", -EINVAL},
    {"dynamic set config property=bootexemptions value=ICMP:1:0:inbound", "TCP or UDP", -EINVAL},
    {"dynamic set config property=bootexemptions value=TCP:0:99999:inbound", "0-65535", -EINVAL},
    {"dynamic set config property=bootexemptions value=TCP:x:80:inbound", "bad", -EINVAL},
    {"dynamic set config property=ipsecdiagnostics value=3", "not a policy store property", -ENOTSUP},
    {"dynamic set config value=3", "required", -EINVAL},
    {"static set rule name=r1 policy=remote filteraction=nope", "filteraction nope", -ENOENT},
    {"static set policy name=remote newname=bad\x01name", "control", -EINVAL},
    {"static show policy", "name= is required", -EINVAL},
    {"static show nothing", "show what", -EINVAL},
};

START_TEST(malformed)
{
	struct pol_set s;
	pol_set_init(&s);
	for (size_t i = 0; i < sizeof session / sizeof *session - 1; i++)
		ok(&s, session[i]);
	char err[256];
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		size_t before = s.nrule + s.npol + s.nfa + s.nfl + s.fl[0].n;
		int rc = cmd(&s, bad[i].line, err, sizeof err);
		ck_assert_msg(rc == bad[i].rc, "%s: rc %d, want %d (%s)", bad[i].line, rc, bad[i].rc, err);
		ck_assert_msg(strstr(err, bad[i].why), "%s: \"%s\" lacks \"%s\"", bad[i].line, err,
		              bad[i].why);
		ck_assert_uint_eq(before, s.nrule + s.npol + s.nfa + s.nfl + s.fl[0].n);
		ck_assert_int_eq(s.bootmode, POL_BOOT_STATEFUL);
	}
	/* an open quote and too many words are refused by the splitter */
	char line[] = "static add policy name=\"x", *argv[4];
	ck_assert_int_eq(pol_split(line, argv, 4), -EINVAL);
	char many[] = "a b c d e";
	ck_assert_int_eq(pol_split(many, argv, 4), -E2BIG);
	pol_set_free(&s);
}
END_TEST

START_TEST(store_roundtrip)
{
	char err[256];
	struct auth_db *db = auth_db_open_file(":memory:", err, sizeof err);
	ck_assert_ptr_nonnull(db);
	struct pol_set s, t;
	pol_set_init(&s);
	pol_set_init(&t);
	for (size_t i = 0; i < sizeof session / sizeof *session; i++)
		ok(&s, session[i]);
	ok(&s, "static set store location=persistent");
	ok(&s, "static add policy name=base assign=yes mmsecmethods=\"AES256-SHA1-14 3DES-SHA1-2\" "
	       "mmlifetime=480");
	ok(&s, "static add filterlist name=mgmt description=\"management net\"");
	ok(&s, "static add filter filterlist=mgmt srcaddr=203.0.113.0 srcmask=255.255.255.128 dstaddr=me "
	       "protocol=UDP srcport=1701 dstport=1701 mirrored=no");
	ok(&s, "static add filter filterlist=mgmt srcaddr=vpn.example.net dstaddr=gateway");
	ok(&s,
	   "static add filteraction name=sec action=negotiate qmsecmethods=\"ESP[AES256,SHA1]:100000k/3600s "
	   "ESP[3DES,SHA1]\" qmpfs=yes");
	ok(&s, "static add rule name=cert policy=base filterlist=mgmt filteraction=sec psk=s3cret "
	       "rootca=\"C=US, O=Test CA certmaptoaccount=yes\" conntype=lan");
	ok(&s, "dynamic set config property=bootexemptions value=TCP:0:80:inbound,ICMP:0:0:outbound");
	ok(&s, "dynamic add policy name=dyn assign=yes"); /* not persisted */
	ck_assert_int_eq(pol_store_save(db, &s, err, sizeof err), 0);
	int64_t g1, g2;
	ck_assert_int_eq(pol_store_generation(db, &g1), 0);
	ck_assert_int_eq(pol_store_load(db, &t, err, sizeof err), 0);
	char a[16384];
	outbuf[0] = 0;
	pol_show_all(&s, 3, out, NULL);
	pol_show_config(&s, out, NULL);
	snprintf(a, sizeof a, "%s", outbuf);
	outbuf[0] = 0;
	pol_show_all(&t, 7, out, NULL);
	pol_show_config(&t, out, NULL);
	ck_assert_str_eq(a, outbuf);
	ck_assert_ptr_nonnull(strstr(a, "rule cert [persistent]"));
	ck_assert_ptr_nonnull(strstr(a, "rule r1 [local]"));
	ck_assert_ptr_nonnull(strstr(a, "store location: persistent"));
	ck_assert_ptr_nonnull(strstr(a, "rootca=\"C=US, O=Test CA\" certmaptoaccount=yes"));
	ck_assert_ptr_null(strstr(a, "s3cret")); /* never shown */
	ck_assert_ptr_nonnull(strstr(a, "bootexemptions = TCP:0:80:inbound,ICMP:0:0:outbound"));
	ck_assert_ptr_nonnull(strstr(a, "srcaddr=vpn.example.net dstaddr=gateway"));
	for (size_t i = 0; i < t.nrule; i++)
		if (!strcmp(t.rule[i].name, "cert"))
			ck_assert_str_eq(t.rule[i].psk, "s3cret");
	ck_assert_int_eq(pol_store_save(db, &t, err, sizeof err), 0);
	ck_assert_int_eq(pol_store_generation(db, &g2), 0);
	ck_assert_int_eq(g2, g1 + 1);
	pol_set_free(&s);
	pol_set_free(&t);
	auth_db_close(db);
}
END_TEST

/* Specificity, not order, decides; a tie goes to the persistent store; mirrored filters match the
 * reverse direction; lan rules never touch the data path, dialup rules never a peer. */
START_TEST(match_peer)
{
	struct pol_set s;
	struct pol_env env = {.me = {ip4(203, 0, 113, 1)}, .nme = 1};
	struct pol_match m;
	pol_set_init(&s);
	ok(&s, "static add policy name=p assign=yes");
	ok(&s, "static add filterlist name=wide");
	ok(&s, "static add filter filterlist=wide srcaddr=198.18.0.0 srcmask=15 dstaddr=me");
	ok(&s, "static add filterlist name=narrow");
	ok(&s, "static add filter filterlist=narrow srcaddr=198.18.63.0 srcmask=24 dstaddr=me");
	ok(&s, "static add filterlist name=rev");
	ok(&s, "static add filter filterlist=rev srcaddr=me dstaddr=100.64.0.0 dstmask=10");
	ok(&s, "static add filteraction name=deny action=block");
	ok(&s, "static add filteraction name=ok action=negotiate qmsecmethods=ESP[AES128,SHA1]");
	ok(&s, "static add filteraction name=plain action=permit");
	ok(&s, "static add rule name=wide policy=p filterlist=wide filteraction=ok");
	ok(&s, "static add rule name=narrow policy=p filterlist=narrow filteraction=deny");
	ok(&s, "static add rule name=rev policy=p filterlist=rev filteraction=plain");
	ck_assert_int_eq(pol_match_peer(&s, &env, ip4(198, 18, 63, 7), &m), 0);
	ck_assert_str_eq(m.rule->name, "narrow");
	ck_assert_int_eq(pol_match_peer(&s, &env, ip4(198, 19, 1, 1), &m), 0);
	ck_assert_str_eq(m.rule->name, "wide");
	ck_assert_int_eq(m.action, POL_NEGOTIATE);
	ck_assert_str_eq(m.fa->qmsec, "ESP[AES128,SHA1]");
	ck_assert_int_eq(pol_match_peer(&s, &env, ip4(100, 64, 9, 9), &m), 0); /* mirrored */
	ck_assert_str_eq(m.rule->name, "rev");
	ck_assert_int_eq(m.action, POL_PERMIT);
	ok(&s, "static set rule name=rev policy=p activate=no");
	ck_assert_int_eq(pol_match_peer(&s, &env, ip4(100, 64, 9, 9), &m), -ENOENT);
	/* a dialup rule does not decide for peers */
	ok(&s, "static set rule name=narrow policy=p conntype=dialup");
	ck_assert_int_eq(pol_match_peer(&s, &env, ip4(198, 18, 63, 7), &m), 0);
	ck_assert_str_eq(m.rule->name, "wide");
	/* an unassigned policy decides nothing */
	ok(&s, "static set policy name=p assign=no");
	ck_assert_int_eq(pol_match_peer(&s, &env, ip4(198, 19, 1, 1), &m), -ENOENT);
	ok(&s, "static set policy name=p assign=yes");
	/* the same filter in the persistent store wins the tie */
	ok(&s, "static set store location=persistent");
	ok(&s, "static add policy name=pp assign=yes");
	ok(&s, "static add filterlist name=wide");
	ok(&s, "static add filter filterlist=wide srcaddr=198.18.0.0 srcmask=15 dstaddr=me");
	ok(&s, "static add filteraction name=deny action=block");
	ok(&s, "static add rule name=pwide policy=pp filterlist=wide filteraction=deny");
	ck_assert_int_eq(pol_match_peer(&s, &env, ip4(198, 19, 1, 1), &m), 0);
	ck_assert_str_eq(m.rule->name, "pwide");
	ck_assert_int_eq(m.rule->store, POL_PERSISTENT);
	/* the dynamic store comes last */
	ok(&s, "dynamic add policy name=d assign=yes");
	ok(&s, "dynamic add filterlist name=one");
	ok(&s, "dynamic add filter filterlist=one srcaddr=198.19.1.1 dstaddr=me");
	ok(&s, "dynamic add filteraction name=a action=permit");
	ok(&s, "dynamic add rule name=dr policy=d filterlist=one filteraction=a");
	ck_assert_int_eq(pol_match_peer(&s, &env, ip4(198, 19, 1, 1), &m), 0);
	ck_assert_str_eq(m.rule->name, "dr");
	ck_assert_str_eq(pol_store_name(m.rule->store), "dynamic");
	pol_set_clear_store(&s, POL_DYNAMIC); /* a restart */
	ck_assert_int_eq(pol_match_peer(&s, &env, ip4(198, 19, 1, 1), &m), 0);
	ck_assert_str_eq(m.rule->name, "pwide");
	pol_set_free(&s);
}
END_TEST

static int fake_resolve(void *ctx, const char *name, uint32_t *ips, size_t max)
{
	(void)max;
	if (strcmp(name, "files.example.net"))
		return 0;
	ips[0] = *(uint32_t *)ctx;
	return 1;
}

START_TEST(data_path)
{
	struct pol_set s;
	uint32_t dnsip = ip4(203, 0, 113, 80);
	struct pol_env env = {.me = {ip4(100, 115, 92, 1)},
	                      .nme = 1,
	                      .dns = {ip4(203, 0, 113, 53)},
	                      .ndns = 1,
	                      .resolve = fake_resolve,
	                      .resolve_ctx = &dnsip};
	pol_set_init(&s);
	ok(&s, "static add policy name=p assign=yes");
	ok(&s, "static add filterlist name=blocked");
	ok(&s, "static add filter filterlist=blocked srcaddr=any dstaddr=198.18.0.0 dstmask=16");
	ok(&s, "static add filter filterlist=blocked srcaddr=any dstaddr=files.example.net protocol=TCP "
	       "dstport=445");
	ok(&s, "static add filterlist name=web");
	ok(&s, "static add filter filterlist=web srcaddr=any dstaddr=198.18.5.0 dstmask=24 protocol=TCP "
	       "dstport=80");
	ok(&s, "static add filter filterlist=web srcaddr=any dstaddr=dns protocol=UDP dstport=53");
	ok(&s, "static add filteraction name=deny action=block");
	ok(&s, "static add filteraction name=allow action=permit");
	ok(&s, "static add rule name=noLab policy=p filterlist=blocked filteraction=deny conntype=dialup");
	ok(&s,
	   "static add rule name=web policy=p filterlist=web filteraction=allow conntype=dialup group=staff");
	struct pol_dp *dp = pol_dp_compile(&s, &env);
	ck_assert_ptr_nonnull(dp);
	const char *rule;
	struct pol_dp_pkt p = {
	    .src = ip4(100, 115, 92, 10), .dst = ip4(198, 18, 5, 5), .proto = 6, .sport = 40000, .dport = 80};
	for (int twice = 0; twice < 2; twice++) { /* the second answer comes from the cache */
		ck_assert(!pol_dp_permit(dp, &p, "", &rule));
		ck_assert_str_eq(rule, "noLab");
		ck_assert(pol_dp_permit(dp, &p, "staff", &rule));
		ck_assert_str_eq(rule, "web");
	}
	/* the mirror: the reply towards the client */
	struct pol_dp_pkt r = {.src = p.dst, .dst = p.src, .proto = 6, .sport = 80, .dport = 40000};
	ck_assert(pol_dp_permit(dp, &r, "staff", &rule));
	ck_assert(!pol_dp_permit(dp, &r, "other", &rule));
	/* a name's address, and the server type dns */
	struct pol_dp_pkt smb = {.src = p.src, .dst = dnsip, .proto = 6, .sport = 1, .dport = 445};
	ck_assert(!pol_dp_permit(dp, &smb, "", &rule));
	smb.dport = 446;
	ck_assert(pol_dp_permit(dp, &smb, "", &rule));
	ck_assert_ptr_null(rule);
	struct pol_dp_pkt dns = {
	    .src = p.src, .dst = ip4(203, 0, 113, 53), .proto = 17, .sport = 5353, .dport = 53};
	ck_assert(pol_dp_permit(dp, &dns, "staff", &rule));
	ck_assert_str_eq(rule, "web");
	pol_dp_free(dp);
	/* the name now answers another address: recompiled, the old one passes, the new one not */
	dnsip = ip4(203, 0, 113, 81);
	dp = pol_dp_compile(&s, &env);
	smb.dport = 445;
	ck_assert(pol_dp_permit(dp, &smb, "", &rule));
	smb.dst = dnsip;
	ck_assert(!pol_dp_permit(dp, &smb, "", &rule));
	pol_dp_free(dp);
	/* a filter wide on both sides (any to any, a port): no address index can answer for it */
	ok(&s, "static add filter filterlist=blocked srcaddr=any dstaddr=any protocol=TCP dstport=23");
	dp = pol_dp_compile(&s, &env);
	struct pol_dp_pkt tel = {
	    .src = ip4(100, 115, 92, 10), .dst = ip4(8, 8, 4, 4), .proto = 6, .sport = 999, .dport = 23};
	ck_assert(!pol_dp_permit(dp, &tel, "", &rule));
	ck_assert_str_eq(rule, "noLab");
	tel.dport = 22;
	ck_assert(pol_dp_permit(dp, &tel, "", &rule));
	ck_assert_ptr_null(rule);
	tel.proto = 17, tel.dport = 23; /* UDP's list has no wide entry */
	ck_assert(pol_dp_permit(dp, &tel, "", &rule));
	/* a source-side /24 (the mirror of a destination filter) is indexed by its source */
	struct pol_dp_pkt back = {
	    .src = ip4(198, 18, 77, 1), .dst = ip4(100, 115, 92, 10), .proto = 17, .sport = 53, .dport = 9};
	ck_assert(!pol_dp_permit(dp, &back, "", &rule));
	pol_dp_free(dp);
	ok(&s, "static delete filter filterlist=blocked srcaddr=any dstaddr=any protocol=TCP dstport=23");
	/* prefixes shorter than /16 (a /8 destination, a /12 source, not mirrored) are indexed by
	 * every /16 they cover: their edges are found, the addresses just outside pass */
	ok(&s, "static add filter filterlist=blocked srcaddr=any dstaddr=10.0.0.0 dstmask=8 protocol=UDP "
	       "mirrored=no");
	ok(&s, "static add filter filterlist=blocked srcaddr=172.16.0.0 srcmask=255.240.0.0 dstaddr=any "
	       "protocol=UDP mirrored=no");
	dp = pol_dp_compile(&s, &env);
	static const struct {
		uint32_t src, dst;
		bool permit;
	} edge[] = {
	    {0x64735c0a, 0x0a000001, false}, {0x64735c0a, 0x0affffff, false}, {0x64735c0a, 0x0b000000, true},
	    {0x64735c0a, 0x09ffffff, true},  {0xac100001, 0x64735c0a, false}, {0xac1fffff, 0x64735c0a, false},
	    {0xac200000, 0x64735c0a, true},  {0xac0fffff, 0x64735c0a, true},
	};
	for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
		struct pol_dp_pkt q = {
		    .src = edge[i].src, .dst = edge[i].dst, .proto = 17, .sport = 9, .dport = 9};
		ck_assert_msg(pol_dp_permit(dp, &q, "", &rule) == edge[i].permit, "edge %zu", i);
	}
	pol_dp_free(dp);
	ok(&s, "static delete filter filterlist=blocked srcaddr=any dstaddr=10.0.0.0 dstmask=8 protocol=UDP "
	       "mirrored=no");
	ok(&s, "static delete filter filterlist=blocked srcaddr=172.16.0.0 srcmask=255.240.0.0 dstaddr=any "
	       "protocol=UDP mirrored=no");
	/* lan rules stay out of the data path */
	ok(&s, "static set rule name=noLab policy=p conntype=lan");
	dp = pol_dp_compile(&s, &env);
	ck_assert(pol_dp_permit(dp, &p, "", &rule));
	pol_dp_free(dp);
	pol_set_free(&s);
}
END_TEST

START_TEST(boot_mode)
{
	struct pol_set s;
	pol_set_init(&s);
	struct pol_dp_pkt web = {.src = 1, .dst = 2, .proto = 6, .sport = 40000, .dport = 80};
	struct pol_dp_pkt in = {.src = 2, .dst = 1, .proto = 6, .sport = 80, .dport = 40000};
	/* stateful: the client's own traffic and the replies to it */
	ck_assert(pol_boot_permit(&s, &web, true, false));
	ck_assert(!pol_boot_permit(&s, &in, false, false));
	ck_assert(pol_boot_permit(&s, &in, false, true));
	ok(&s, "dynamic set config property=bootmode value=block");
	ck_assert(!pol_boot_permit(&s, &web, true, false));
	ok(&s, "dynamic set config property=bootexemptions value=TCP:0:80:inbound,TCP:80:0:outbound");
	ck_assert(pol_boot_permit(&s, &web, true, false));
	ck_assert(pol_boot_permit(&s, &in, false, false));
	web.dport = 81;
	ck_assert(!pol_boot_permit(&s, &web, true, false));
	ok(&s, "dynamic set config property=bootmode value=permit");
	ck_assert(pol_boot_permit(&s, &web, true, false));
	ok(&s, "dynamic set config property=bootexemptions value=none");
	ck_assert_uint_eq(s.nexempt, 0);
	pol_set_free(&s);
}
END_TEST

START_TEST(words)
{
	int p;
	ck_assert_int_eq(pol_mask_parse("24", &p), 0);
	ck_assert_int_eq(p, 24);
	ck_assert_int_eq(pol_mask_parse("255.255.255.192", &p), 0);
	ck_assert_int_eq(p, 26);
	ck_assert_int_eq(pol_mask_parse("0.0.0.0", &p), 0);
	ck_assert_int_eq(p, 0);
	ck_assert_int_eq(pol_mask_parse("255.255.0.255", &p), -EINVAL);
	ck_assert_int_eq(pol_mask_parse("+24", &p), -EINVAL);
	ck_assert_int_eq(pol_mask_parse("", &p), -EINVAL);
	char why[128];
	ck_assert_int_eq(pol_mmsec_check("AES256-SHA1-14 3des-md5-2 AES128-SHA256-19", why, sizeof why), 0);
	ck_assert_int_eq(
	    pol_qmsec_check("ESP[AES256,SHA1] ESP[3DES,MD5]:3600s ESP[NONE,SHA1]:1000k", why, sizeof why), 0);
	/* AES-GCM (issue 11): one word, no integrity algorithm */
	ck_assert_int_eq(pol_qmsec_check("ESP[AESGCM128] esp[aesgcm256]:3600s", why, sizeof why), 0);
	ck_assert_int_eq(pol_qmsec_check("ESP[AESGCM128,SHA1]", why, sizeof why), -EINVAL);
	ck_assert_int_eq(pol_qmsec_check("ESP[AESGCM]", why, sizeof why), -EINVAL);
	struct pol_addr a;
	ck_assert_int_eq(pol_addr_parse("WINS", &a), 0);
	ck_assert_int_eq(a.kind, POL_A_SRV_WINS);
	ck_assert_int_eq(pol_addr_parse("Host-1.Example.NET", &a), 0);
	ck_assert_str_eq(a.name, "host-1.example.net");
	ck_assert_int_eq(pol_addr_parse("1.2.3.4.5", &a), -EINVAL);
}
END_TEST

/* Modelling: the rule, its CA and certificate mapping, the account's group, rights and lease, and
 * the destination's verdict, from the daemon's own functions. */
START_TEST(model)
{
	char err[256];
	struct auth_db *db = auth_db_open_file(":memory:", err, sizeof err);
	ck_assert_ptr_nonnull(db);
	struct auth_account_opts o = {.group = "staff", .static_ip = ip4(100, 115, 92, 50)};
	ck_assert_int_eq(auth_account_add(db, "alice", "pw", &o), 0);
	struct auth_certmap_rule r = {.kind = AUTH_MAP_ISSUER_SUBJECT};
	snprintf(r.issuer, sizeof r.issuer, "CN=rampart demo CA,O=Example");
	snprintf(r.subject, sizeof r.subject, "CN=alice,OU=Staff,O=Example");
	snprintf(r.account, sizeof r.account, "alice");
	ck_assert_int_gt(auth_certmap_add(db, &r), 0);
	static struct auth_cert_info ci;
	static uint8_t buf[65536];
	FILE *f = fopen(RP_DATA "/pki/alice.pem", "rb");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	ck_assert_int_eq(auth_cert_parse_any(buf, n, &ci), 0);

	struct pol_set s;
	pol_set_init(&s);
	ok(&s, "static add policy name=p assign=yes mmsecmethods=AES256-SHA1-14");
	ok(&s, "static add filterlist name=lab");
	ok(&s, "static add filter filterlist=lab srcaddr=198.18.63.0 srcmask=24 dstaddr=me");
	ok(&s, "static add filterlist name=internal");
	ok(&s, "static add filter filterlist=internal srcaddr=any dstaddr=10.1.0.0 dstmask=16");
	ok(&s, "static add filteraction name=sec action=negotiate qmsecmethods=ESP[AES256,SHA1] qmpfs=yes");
	ok(&s, "static add filteraction name=deny action=block");
	ok(&s, "static add rule name=certs policy=p filterlist=lab filteraction=sec "
	       "rootca=\"CN=rampart demo CA, O=Example certmaptoaccount=yes\" conntype=lan");
	ok(&s, "static add rule name=nolab policy=p filterlist=internal filteraction=deny conntype=dialup");
	struct pol_env env = {0};
	struct pol_model_q q = {.peer = ip4(198, 18, 63, 1),
	                        .cert = &ci,
	                        .has_dst = true,
	                        .dst = ip4(10, 1, 2, 3),
	                        .proto = 17,
	                        .port = 53};
	struct pol_model_a a;
	ck_assert_int_eq(pol_model(&s, &env, db, &q, &a), 0);
	ck_assert(a.matched);
	ck_assert_str_eq(a.m.rule->name, "certs");
	ck_assert_msg(strstr(a.cert_decision, "ok account=alice"), "%s", a.cert_decision);
	ck_assert_str_eq(a.account, "alice"); /* from the mapping */
	ck_assert_str_eq(a.group, "staff");
	ck_assert_ptr_nonnull(strstr(a.lease, "100.115.92.50"));
	ck_assert(!a.dst_permit);
	ck_assert_str_eq(a.dst_rule, "nolab");
	char *txt = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&txt, &len);
	pol_model_print(&q, &a, false, m);
	pol_model_print(&q, &a, true, m);
	fclose(m);
	static const char *const want[] = {
	    "rule: certs (policy p, local store)",
	    "action: negotiate",
	    "certificate from \"CN=rampart demo CA, O=Example\" certmaptoaccount=yes",
	    "mmsecmethods: AES256-SHA1-14",
	    "qmsecmethods: ESP[AES256,SHA1] (PFS required)",
	    "lease: 100.115.92.50",
	    "destination: 10.1.2.3 UDP port 53: block by rule nolab",
	    "\"action\":\"negotiate\"",
	    "\"dst_verdict\":\"block\"",
	    "\"cert_subject\":\"CN=alice,OU=Staff,O=Example\""};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		ck_assert_msg(strstr(txt, want[i]), "no \"%s\" in:\n%s", want[i], txt);
	free(txt);
	/* mapping off for the rule: no account, rights not consulted */
	ok(&s,
	   "static set rule name=certs policy=p rootca=\"CN=rampart demo CA,O=Example certmaptoaccount=no\"");
	ck_assert_int_eq(pol_model(&s, &env, db, &q, &a), 0);
	ck_assert_msg(strstr(a.cert_decision, "without mapping"), "%s", a.cert_decision);
	/* another CA's rule refuses the certificate */
	ok(&s, "static set rule name=certs policy=p rootca=\"CN=Other CA certmaptoaccount=yes\"");
	ck_assert_int_eq(pol_model(&s, &env, db, &q, &a), 0);
	ck_assert_msg(strstr(a.cert_decision, "refused: rule certs does not accept certificates from"), "%s",
	              a.cert_decision);
	pol_set_free(&s);
	auth_db_close(db);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("policy");
	TCase *t = tcase_create("policy");
	tcase_add_test(t, issue_session);
	tcase_add_test(t, malformed);
	tcase_add_test(t, store_roundtrip);
	tcase_add_test(t, match_peer);
	tcase_add_test(t, data_path);
	tcase_add_test(t, boot_mode);
	tcase_add_test(t, words);
	tcase_add_test(t, model);
	suite_add_tcase(s, t);
	return s;
}

RP_CHECK_MAIN(suite)
