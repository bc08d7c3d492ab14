/* srv_policy.c in a daemon without sockets: a change of the store reaches it at the next peer
 * decision; a DNS name is looked up on libuv's resolver (localhost, from /etc/hosts) while boot
 * mode holds the clients' traffic with its exemptions; then the filters decide; group filters
 * follow the sessions' accounts; the dynamic store over the control handler. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "pol_store.h"
#include "policy.h"
#include "srv_policy.h"
#include "test_daemon.h"

static char dir[64];
static char logbuf[16384];

static void sink(void *ctx, int level, const char *module, const char *line)
{
	(void)ctx;
	(void)level;
	size_t l = strlen(logbuf);
	snprintf(logbuf + l, sizeof logbuf - l, "%s: %s\n", module, line);
}

static void no_out(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

/* netsh lines on the daemon's store file, as rampartctl -d does */
static void store(struct srv *s, const char *const *lines)
{
	char err[256], path[128], buf[512], *argv[24];
	snprintf(path, sizeof path, "%s/state", dir);
	struct auth_db *db = auth_db_open(path, err, sizeof err);
	ck_assert_msg(db != NULL, "%s", err);
	struct pol_set set;
	pol_set_init(&set);
	ck_assert_int_eq(pol_store_load(db, &set, err, sizeof err), 0);
	for (; *lines; lines++) {
		bool ch;
		snprintf(buf, sizeof buf, "%s", *lines);
		int argc = pol_split(buf, argv, 24);
		int rc = pol_cmd_run(&set, argc, argv, strncmp(*lines, "dynamic", 7) ? 0 : POL_CMD_DYNAMIC,
		                     no_out, NULL, &ch, err, sizeof err);
		ck_assert_msg(rc == 0, "%s: %s", *lines, err);
	}
	ck_assert_int_eq(pol_store_save(db, &set, err, sizeof err), 0);
	pol_set_free(&set);
	auth_db_close(db);
	(void)s;
}

static uint8_t pkt[64];
static size_t ip4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
	memset(pkt, 0, sizeof pkt);
	pkt[0] = 0x45;
	pkt[3] = 40;
	pkt[9] = proto;
	rp_put_u32(pkt + 12, src);
	rp_put_u32(pkt + 16, dst);
	rp_put_u16(pkt + 20, sport);
	rp_put_u16(pkt + 22, dport);
	return 40;
}

#define CLIENT 0xc612050au /* 198.18.5.10 */
#define LOCALHOST 0x7f000001u

START_TEST(names_boot_filters)
{
	struct srv *s = rp_test_daemon(
	    dir, "[log]\nipsecdiagnostics = 4\n[ike]\npsk = test\n[pool]\nrange = 198.18.5.10-198.18.5.20\n");
	srv_set_log_sink(s, sink, NULL);
	static const char *const lines[] = {
	    "static add policy name=p assign=yes",
	    "static add filterlist name=named",
	    "static add filter filterlist=named srcaddr=any dstaddr=localhost protocol=TCP",
	    "static add filterlist name=peers",
	    "static add filter filterlist=peers srcaddr=203.0.113.0 srcmask=24 dstaddr=me",
	    "static add filteraction name=deny action=block",
	    "static add rule name=nolocal policy=p filterlist=named filteraction=deny conntype=dialup",
	    "static add rule name=badpeers policy=p filterlist=peers filteraction=deny conntype=lan",
	    "dynamic set config property=bootmode value=block",
	    "dynamic set config property=bootexemptions value=UDP:0:53:inbound",
	    NULL};
	store(s, lines);
	/* the next peer decision reads the changed store */
	struct rp_addr peer;
	char why[256];
	rp_addr_v4(&peer, 0xcb007105, 500);
	ck_assert_int_eq(srv_policy_peer(s, &peer, true, why, sizeof why), SRV_POL_BLOCK);
	ck_assert_ptr_nonnull(strstr(why, "rule badpeers (local store, policy p"));
	rp_addr_v4(&peer, 0xcb007205, 500);
	ck_assert_int_eq(srv_policy_peer(s, &peer, true, why, sizeof why), SRV_POL_DEFAULT);
	ck_assert_ptr_nonnull(strstr(logbuf, "policy waits for DNS names"));
	/* boot mode block until localhost has resolved: only the exemption passes */
	ck_assert(!srv_policy_packet(s, pkt, ip4(CLIENT, 0x01020304, 6, 40000, 80), true));
	ck_assert(srv_policy_packet(s, pkt, ip4(CLIENT, 0x01020304, 17, 40000, 53), true));
	ck_assert(!srv_policy_packet(s, pkt, ip4(0x01020304, CLIENT, 17, 53, 40000), false));
	/* the lookup runs on libuv's thread pool; its answer arrives on the loop */
	for (int i = 0; i < 200 && !strstr(logbuf, "policy in force"); i++)
		uv_run(&s->loop, UV_RUN_ONCE);
	ck_assert_msg(strstr(logbuf, "localhost resolves to 127.0.0.1"), "%s", logbuf);
	ck_assert(srv_policy_packet(s, pkt, ip4(CLIENT, 0x01020304, 6, 40000, 80), true));
	ck_assert(!srv_policy_packet(s, pkt, ip4(CLIENT, LOCALHOST, 6, 40000, 80), true));
	ck_assert(!srv_policy_packet(s, pkt, ip4(LOCALHOST, CLIENT, 6, 80, 40000), false)); /* mirrored */
	ck_assert(srv_policy_packet(s, pkt, ip4(CLIENT, LOCALHOST, 17, 40000, 53), true));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	srv_policy_print_stats(s, f);
	fclose(f);
	ck_assert_msg(strstr(buf, "in force yes") && strstr(buf, "client packets blocked 2") &&
	                  strstr(buf, "boot mode blocked 2 passed 1"),
	              "%s", buf);
	free(buf);
	rp_test_daemon_free(s, dir);
}
END_TEST

START_TEST(groups_and_dynamic)
{
	struct srv *s = rp_test_daemon(
	    dir, "[log]\nipsecdiagnostics = 4\n[ike]\npsk = test\n[pool]\nrange = 198.18.5.10-198.18.5.20\n");
	srv_set_log_sink(s, sink, NULL);
	ck_assert_int_eq(
	    auth_account_add(s->core->db, "alice", "pw", &(struct auth_account_opts){.group = "staff"}), 0);
	ck_assert_int_eq(auth_account_add(s->core->db, "bob", "pw", NULL), 0);
	static const char *const lines[] = {
	    "static add policy name=p assign=yes",
	    "static add filterlist name=lab",
	    "static add filter filterlist=lab srcaddr=any dstaddr=10.1.0.0 dstmask=16",
	    "static add filterlist name=labweb",
	    "static add filter filterlist=labweb srcaddr=any dstaddr=10.1.0.0 dstmask=16 protocol=TCP "
	    "dstport=80",
	    "static add filteraction name=deny action=block",
	    "static add filteraction name=ok action=permit",
	    "static add rule name=nolab policy=p filterlist=lab filteraction=deny conntype=dialup",
	    "static add rule name=staffweb policy=p filterlist=labweb filteraction=ok conntype=dialup "
	    "group=staff",
	    NULL};
	store(s, lines);
	struct rp_addr peer;
	char why[256];
	rp_addr_v4(&peer, 0xcb007105, 500);
	srv_policy_peer(s, &peer, true, why, sizeof why); /* reads the store */
	srv_policy_session(s, CLIENT, "alice", true);
	srv_policy_session(s, CLIENT + 1, "bob", true);
	ck_assert(srv_policy_packet(s, pkt, ip4(CLIENT, 0x0a010101, 6, 40000, 80), true));
	ck_assert(!srv_policy_packet(s, pkt, ip4(CLIENT + 1, 0x0a010101, 6, 40000, 80), true));
	ck_assert(!srv_policy_packet(s, pkt, ip4(CLIENT, 0x0a010101, 6, 40000, 22), true));
	/* alice gone: her address, now someone else's without a group, is blocked */
	srv_policy_session(s, CLIENT, "alice", false);
	ck_assert(!srv_policy_packet(s, pkt, ip4(CLIENT, 0x0a010102, 6, 40001, 80), true));
	/* the dynamic store: in force at once */
	static const char *const dyn[] = {
	    "ipsec dynamic add policy name=d assign=yes",
	    "ipsec dynamic add filterlist name=x",
	    "ipsec dynamic add filter filterlist=x srcaddr=203.0.113.9 dstaddr=me",
	    "ipsec dynamic add filteraction name=pass action=permit",
	    "ipsec dynamic add rule name=plain policy=d filterlist=x filteraction=pass",
	    NULL};
	for (const char *const *l = dyn; *l; l++) {
		char buf[256], *argv[16], err[256];
		snprintf(buf, sizeof buf, "%s", *l);
		int argc = pol_split(buf, argv, 16);
		ck_assert_int_eq(srv_policy_ctl(s, argc, argv, no_out, NULL, err, sizeof err), 0);
	}
	rp_addr_v4(&peer, 0xcb007109, 1701);
	ck_assert_int_eq(srv_policy_peer(s, &peer, true, why, sizeof why), SRV_POL_PERMIT);
	ck_assert_ptr_nonnull(strstr(why, "rule plain (dynamic store"));
	ck_assert_ptr_nonnull(strstr(logbuf, "dynamic store: add rule name=plain"));
	/* a property that is not the policy's goes back to the caller */
	char b2[] = "ipsec dynamic set config property=ikelogging value=1", *argv[8], err[256];
	int argc = pol_split(b2, argv, 8);
	ck_assert_int_eq(srv_policy_ctl(s, argc, argv, no_out, NULL, err, sizeof err), 1);
	/* a stored change keeps the dynamic store */
	static const char *const more[] = {"static add filterlist name=more", NULL};
	store(s, more);
	ck_assert_int_eq(srv_policy_peer(s, &peer, true, why, sizeof why), SRV_POL_PERMIT);
	rp_test_daemon_free(s, dir);
}
END_TEST

/* boot mode stateful in the daemon: what a client sends passes, and the replies to it; what
 * nobody asked for is dropped; permit lets everything through. */
/* Leaves a byte pattern in the stack below the caller, where the next call's locals will be:
 * a flow compared with its padding would see different bytes in the packet and its reply. */
static __attribute__((noinline)) void scribble(uint8_t v)
{
	volatile uint8_t junk[4096];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = v;
}

START_TEST(boot_stateful)
{
	struct srv *s = rp_test_daemon(dir, "[log]\nipsecdiagnostics = 4\n[ike]\npsk = test\n[pool]\nrange = "
	                                    "198.18.5.10-198.18.5.20\n");
	srv_set_log_sink(s, sink, NULL);
	static const char *const lines[] = {"static add policy name=p assign=yes",
	                                    "static add filterlist name=n",
	                                    "static add filter filterlist=n srcaddr=any dstaddr=localhost",
	                                    "static add filteraction name=deny action=block",
	                                    "static add rule name=r policy=p filterlist=n filteraction=deny",
	                                    "dynamic set config property=bootmode value=stateful",
	                                    NULL};
	store(s, lines);
	struct rp_addr peer;
	char why[256];
	rp_addr_v4(&peer, 0xcb007105, 500);
	srv_policy_peer(s, &peer, true, why, sizeof why); /* reads the store: the name is not answered yet */
	ck_assert(srv_policy_packet(s, pkt, ip4(CLIENT, 0x01020304, 17, 40000, 53), true));
	ck_assert(srv_policy_packet(s, pkt, ip4(0x01020304, CLIENT, 17, 53, 40000), false)); /* the reply */
	/* whatever the stack held before: the flow's memory is its fields, not padding */
	for (int k = 0; k < 4; k++) {
		scribble((uint8_t)(0x11 * (2 * k + 1)));
		ck_assert(srv_policy_packet(s, pkt, ip4(CLIENT, 0x01020304, 17, 40100 + k, 53), true));
		scribble((uint8_t)(0x11 * (2 * k + 2)));
		ck_assert_msg(srv_policy_packet(s, pkt, ip4(0x01020304, CLIENT, 17, 53, 40100 + k), false),
		              "the reply of flow %d refused", k);
	}
	ck_assert(
	    !srv_policy_packet(s, pkt, ip4(0x01020304, CLIENT, 17, 53, 40001), false)); /* another port */
	ck_assert(
	    !srv_policy_packet(s, pkt, ip4(0x01020305, CLIENT, 17, 53, 40000), false)); /* another host */
	ck_assert(!srv_policy_packet(s, pkt, ip4(0x01020304, CLIENT, 6, 53, 40000), false)); /* TCP */
	static const char *const permit[] = {"dynamic set config property=bootmode value=permit", NULL};
	store(s, permit);
	srv_policy_peer(s, &peer, true, why, sizeof why);
	ck_assert(srv_policy_packet(s, pkt, ip4(0x01020305, CLIENT, 6, 80, 40000), false));
	rp_test_daemon_free(s, dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("srv_policy");
	TCase *t = tcase_create("srv_policy");
	tcase_add_test(t, names_boot_filters);
	tcase_add_test(t, groups_and_dynamic);
	tcase_add_test(t, boot_stateful);
	suite_add_tcase(s, t);
	return s;
}

RP_CHECK_MAIN(suite)
