/* Caps and throttles of the LNS (issue 12): tunnels and sessions per IPsec SA whatever inner
 * ports it uses, a server-wide ceiling per account, and failed-login lock-outs per (account,
 * peer), per peer and per account. LACs (l2tp_lac.h) against the LNS over a lossless in-memory
 * link; PPP logins (MS-CHAPv2) answered from an SQLite store as rampartd does; fake time. */
#include "check_main.h"
#include "l2tp_lac.h"
#include "l2tp_local.h"
#include "test_lac.h"

#include "auth.h"
#include "ppp.h"

#include <stdio.h>

#define NL 8

struct logcap {
	int n;
	char all[16384];
};

static void logcap_sink(void *ctx, int level, const char *module, const char *msg)
{
	struct logcap *c = ctx;
	size_t l = strlen(c->all);
	(void)level;
	c->n++;
	snprintf(c->all + l, sizeof c->all - l, "%s: %s\n", module, msg);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

struct box {
	uint8_t out[64][300];
	size_t len[64];
	int n;
};

struct h {
	struct l2tp *lns;
	struct l2tp_conf conf;
	struct ppp_conf pconf;
	struct auth_db *db;
	struct auth_pool *pool;
	struct rp_rng rng;
	struct rp_log log;
	struct logcap lc;
	uint64_t now;
	struct l2tp_lac lac[NL];
	struct box box[NL];
	int nlac;
	unsigned auth_requests, ups;
};

static struct h H;

static void lac_sink(void *ctx, const uint8_t *p, size_t n)
{
	struct box *b = ctx;
	ck_assert_int_lt(b->n, 64);
	ck_assert_uint_le(n, sizeof b->out[0]);
	memcpy(b->out[b->n], p, n);
	b->len[b->n++] = n;
}

static void h_init(struct h *h)
{
	memset(h, 0, sizeof *h);
	rp_rng_seeded(&h->rng, 12);
	rp_log_init(&h->log, RP_LOG_INFO, logcap_sink, &h->lc);
	h->db = auth_db_open_file(":memory:", NULL, 0);
	for (int i = 0; i < 8; i++) {
		char u[32];
		snprintf(u, sizeof u, "user%d", i);
		ck_assert_int_eq(auth_account_add(h->db, u, "pw", NULL), 0);
	}
	h->pool = auth_pool_new();
	auth_pool_add_range(h->pool, 0xc6130a02, 0xc6130aff);
	ppp_conf_defaults(&h->pconf);
	h->pconf.local_ip = 0xc6130a01;
	h->conf.host_name = "rampart-test";
	h->conf.ppp = &h->pconf;
	h->conf.pool = h->pool;
	h->conf.log = &h->log;
	h->now = 1000000;
	for (int i = 0; i < NL; i++) {
		h->lac[i].send = lac_sink;
		h->lac[i].ctx = &h->box[i];
	}
}

static void h_start(struct h *h)
{
	h->lns = l2tp_new(&h->conf, &h->rng, h->now);
	ck_assert_ptr_nonnull(h->lns);
}

static void h_free(struct h *h)
{
	l2tp_free(h->lns);
	auth_db_close(h->db);
	auth_pool_free(h->pool);
}

/* Everything queued, both ways, until nobody has anything to say. */
static void deliver(struct h *h)
{
	for (int round = 0; round < 1000; round++) {
		bool any = false;
		for (int i = 0; i < h->nlac; i++) {
			struct box b = h->box[i];
			h->box[i].n = 0;
			for (int k = 0; k < b.n; k++) {
				any = true;
				l2tp_input(h->lns, &h->lac[i].link, b.out[k], b.len[k], h->now);
			}
		}
		struct rp_ev *ev;
		while ((ev = l2tp_next_event(h->lns))) {
			any = true;
			if (ev->type == L2TP_EV_AUTH_REQUEST) {
				h->auth_requests++;
				l2tp_auth_from_store(h->lns, h->db, (const struct l2tp_ev_auth *)ev->data,
				                     h->now, NULL);
			} else if (ev->type == L2TP_EV_SEND) {
				struct l2tp_ev_send *e = (struct l2tp_ev_send *)ev->data;
				int i = tl_lac_for(h->lac, h->nlac, &e->link, e->pkt, e->len);
				if (i >= 0)
					l2tp_lac_input(&h->lac[i], e->pkt, e->len, h->now);
			} else if (ev->type == L2TP_EV_PPP_UP) {
				h->ups++;
			}
			rp_ev_free(ev);
		}
		if (!any)
			return;
	}
	ck_abort_msg("never quiet");
}

static void step(struct h *h)
{
	deliver(h);
	uint64_t d = l2tp_next_deadline(h->lns);
	for (int i = 0; i < h->nlac; i++) {
		uint64_t x = l2tp_lac_deadline(&h->lac[i]);
		if (x < d)
			d = x;
	}
	if (d == UINT64_MAX || d > h->now + 1000)
		d = h->now + 1000;
	h->now = d > h->now ? d : h->now;
	l2tp_tick(h->lns, h->now);
	for (int i = 0; i < h->nlac; i++)
		l2tp_lac_tick(&h->lac[i], h->now);
	deliver(h);
}

/* Time jumps (a lock-out running out); the LNS and the LACs tick at the new time. */
static void advance(struct h *h, uint64_t ms)
{
	h->now += ms;
	l2tp_tick(h->lns, h->now);
	for (int i = 0; i < h->nlac; i++)
		l2tp_lac_tick(&h->lac[i], h->now);
	deliver(h);
}

/* LAC i: a tunnel over IPsec SA sa, from inner port port. true when the LNS answered. */
static bool tunnel(struct h *h, int i, uint64_t sa, uint16_t port)
{
	l2tp_lac_start(&h->lac[i], sa, (uint16_t)(100 + i), h->now);
	rp_addr_v4(&h->lac[i].link.peer, 0x64400001, port);
	if (h->nlac <= i)
		h->nlac = i + 1;
	for (int r = 0; r < 5 && !h->lac[i].sccrp; r++)
		step(h);
	return h->lac[i].sccrp;
}

static struct l2tp_lac_sess *login(struct h *h, int i, uint16_t sid, const char *user, const char *pw)
{
	struct l2tp_lac_sess *x = l2tp_lac_add_session(&h->lac[i], sid, user, pw, h->now);
	ck_assert_ptr_nonnull(x);
	for (int r = 0; r < 30; r++) {
		deliver(h);
		if (ppp_cli_up(&x->c) || x->c.auth_failed || x->cdn_rcvd)
			break;
		step(h);
	}
	return x;
}

/* A hand-made SCCRQ from (sa, inner port); true when an SCCRP came back. */
static bool sccrq(struct l2tp *l, uint64_t sa, uint16_t port, uint64_t now)
{
	uint8_t b[256];
	struct rp_wr w;
	struct l2tp_link link = {.sa = sa};
	rp_addr_v4(&link.peer, 0x64400002, port);
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, 0, 0, 0, 0);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCRQ);
	l2tp_avp_u16(&w, L2TP_AVP_PROTO_VER, true, 0x0100);
	l2tp_avp_u32(&w, L2TP_AVP_FRAMING_CAP, true, 1);
	l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, "f", 1);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, 77);
	l2tp_ctl_end(&w);
	l2tp_input(l, &link, b, w.len, now);
	bool answered = false;
	struct rp_ev *ev;
	while ((ev = l2tp_next_event(l))) {
		answered |= ev->type == L2TP_EV_SEND;
		rp_ev_free(ev);
	}
	return answered;
}

/* The finding: a Quick Mode ID with port 0 let one SA open a tunnel from every inner source
 * port (the per-link cap counted each port apart), so it took the whole table and the next
 * client was refused. Now the SA as a whole holds max_tunnels_per_sa, the next SA is served,
 * and 284 refusals make one log line. */
START_TEST(one_sa_all_inner_ports)
{
	struct h *h = &H;
	h_init(h);
	h->conf.max_tunnels = 100;
	h_start(h);
	unsigned ok = 0;
	for (unsigned p = 1; p <= 300; p++)
		ok += sccrq(h->lns, 9, (uint16_t)(1000 + p), h->now);
	ck_assert_uint_eq(ok, 16);
	struct l2tp_stats st;
	l2tp_get_stats(h->lns, &st);
	ck_assert_uint_eq(st.tunnels, 16);
	ck_assert_uint_eq(st.refused[L2TP_LIM_TUNNELS_PER_SA], 284);
	ck_assert_int_eq(count(h->lc.all, "limit l2tp.max_tunnels_per_sa reached"), 1);
	/* the next client (another SA) is served */
	ck_assert(sccrq(h->lns, 10, 1701, h->now));
	/* ten seconds on, the next refusal logs again with the count of those it kept quiet */
	h->now += 10000;
	ck_assert(!sccrq(h->lns, 9, 5000, h->now));
	ck_assert_msg(strstr(h->lc.all, "283 more refused since the last line"), "%s", h->lc.all);
	/* the SA's tunnels go with it, and so does its count */
	l2tp_link_gone(h->lns, 9, h->now);
	struct rp_ev *ev;
	while ((ev = l2tp_next_event(h->lns)))
		rp_ev_free(ev);
	ck_assert(sccrq(h->lns, 9, 1001, h->now));
	h_free(h);
}
END_TEST

/* Plain L2TP (no SA): the peer is the source address, whatever its port. */
START_TEST(plain_peer_all_ports)
{
	struct h *h = &H;
	h_init(h);
	h->conf.max_tunnels_per_sa = 3;
	h_start(h);
	unsigned ok = 0;
	for (unsigned p = 1; p <= 10; p++)
		ok += sccrq(h->lns, 0, (uint16_t)p, h->now);
	ck_assert_uint_eq(ok, 3);
	h_free(h);
}
END_TEST

/* n ICRQs on LAC i (session IDs 10...), each delivered: how many got an ICRP, how many a CDN */
static void sessions(struct h *h, int i, int n, const char *user, unsigned *icrp, unsigned *cdn)
{
	for (int k = 0; k < n; k++) {
		struct l2tp_lac_sess *x = l2tp_lac_add_session(&h->lac[i], (uint16_t)(10 + k), user, "pw", h->now);
		deliver(h);
		*icrp += x->icrp;
		*cdn += x->cdn_rcvd;
	}
}

/* Sessions per SA count over all its tunnels (three inner ports here): the eleventh ICRQ gets a
 * CDN; another SA still gets sessions. The global l2tp.max_sessions refuses beyond it. */
START_TEST(sessions_per_sa_and_total)
{
	struct h *h = &H;
	h_init(h);
	h->conf.max_sessions_per_sa = 10;
	h->conf.max_sessions_total = 14;
	h_start(h);
	for (int i = 0; i < 3; i++)
		ck_assert(tunnel(h, i, 5, (uint16_t)(2000 + i)));
	unsigned icrp = 0, cdn = 0;
	for (int i = 0; i < 3; i++)
		sessions(h, i, 5, "user0", &icrp, &cdn);
	ck_assert_uint_eq(icrp, 10);
	ck_assert_uint_eq(cdn, 5);
	struct l2tp_stats st;
	l2tp_get_stats(h->lns, &st);
	ck_assert_uint_eq(st.refused[L2TP_LIM_SESSIONS_PER_SA], 5);
	ck_assert_int_eq(count(h->lc.all, "limit l2tp.max_sessions_per_sa reached"), 1);
	/* another SA: four more fit the global 14, the fifth does not */
	ck_assert(tunnel(h, 3, 6, 1701));
	icrp = cdn = 0;
	sessions(h, 3, 5, "user1", &icrp, &cdn);
	ck_assert_uint_eq(icrp, 4);
	ck_assert_uint_eq(cdn, 1);
	l2tp_get_stats(h->lns, &st);
	ck_assert_uint_eq(st.refused[L2TP_LIM_SESSIONS], 1);
	ck_assert_msg(strstr(h->lc.all, "out of L2TP sessions"), "%s", h->lc.all);
	h_free(h);
}
END_TEST

/* l2tp.max_sessions_per_account bounds an account that has no limit of its own. */
START_TEST(account_ceiling)
{
	struct h *h = &H;
	h_init(h);
	h->conf.max_sessions_per_account = 2;
	h_start(h);
	ck_assert(tunnel(h, 0, 1, 1701));
	ck_assert(ppp_cli_up(&login(h, 0, 1, "user0", "pw")->c));
	ck_assert(ppp_cli_up(&login(h, 0, 2, "user0", "pw")->c));
	struct l2tp_lac_sess *x = login(h, 0, 3, "user0", "pw");
	ck_assert(!ppp_cli_up(&x->c));
	ck_assert_msg(strstr(h->lc.all, "refused: the account has l2tp.max_sessions_per_account sessions"),
	              "%s", h->lc.all);
	ck_assert(ppp_cli_up(&login(h, 0, 4, "user1", "pw")->c));
	struct l2tp_stats st;
	l2tp_get_stats(h->lns, &st);
	ck_assert_uint_eq(st.refused[L2TP_LIM_SESSIONS_PER_ACCOUNT], 1);
	h_free(h);
}
END_TEST

/* Password guessing from one SA: after login_fail_max failures the (account, SA) pair is
 * refused without the password being checked (no AUTH_REQUEST), even the right one; the same
 * account from another SA logs in; when the lock-out runs out the first SA may log in again. */
START_TEST(login_throttle_pair)
{
	struct h *h = &H;
	h_init(h);
	h->conf.login_fail_max = 3;
	h->conf.login_lockout_s = 120;
	h_start(h);
	ck_assert(tunnel(h, 0, 1, 1701));
	/* "DOMAIN\\user0" is user0 (MS-CHAPv2 strips the domain): no fresh count per domain */
	static const char *const as[] = {"user0", "A\\user0", "B\\user0"};
	for (int k = 0; k < 3; k++) {
		struct l2tp_lac_sess *x = login(h, 0, (uint16_t)(1 + k), as[k], "guess");
		ck_assert(x->c.auth_failed);
	}
	ck_assert_uint_eq(h->auth_requests, 3);
	ck_assert_msg(strstr(h->lc.all, "3 failed logins of \"user0\" from this peer within 300 s: this "
	                                "account from this peer locked out for 120 s (ppp.login_fail_max)"),
	              "%s", h->lc.all);
	struct l2tp_lac_sess *x = login(h, 0, 4, "user0", "pw");
	ck_assert(!ppp_cli_up(&x->c));
	ck_assert_uint_eq(h->auth_requests, 3); /* never asked */
	for (int k = 0; k < 3; k++)
		login(h, 0, (uint16_t)(5 + k), "user0", "guess");
	ck_assert_uint_eq(h->auth_requests, 3);
	struct l2tp_stats st;
	l2tp_get_stats(h->lns, &st);
	ck_assert_uint_eq(st.refused[L2TP_LIM_LOGIN_PAIR], 4);
	ck_assert_int_eq(count(h->lc.all, "limit ppp.login_fail_max reached: login refused"), 1);
	/* another account from the same SA is not locked */
	ck_assert(ppp_cli_up(&login(h, 0, 8, "user1", "pw")->c));
	/* the owner from elsewhere is not locked out */
	ck_assert(tunnel(h, 1, 2, 1701));
	ck_assert(ppp_cli_up(&login(h, 1, 1, "user0", "pw")->c));
	/* the lock-out runs out */
	advance(h, 121000);
	ck_assert(tunnel(h, 2, 1, 1702));
	ck_assert(ppp_cli_up(&login(h, 2, 1, "user0", "pw")->c));
	h_free(h);
}
END_TEST

/* With the owner's peer_of, the pair is (account, outer address): a new IKE SA from the same
 * host is still locked out; another host is not. SAs 1 and 2 are 203.0.113.5, SA 3 another. */
static int outer_of(void *ctx, const struct l2tp_link *link, struct rp_addr *outer)
{
	(void)ctx;
	rp_addr_v4(outer, link->sa == 3 ? 0xcb007106 : 0xcb007105, 0);
	return 0;
}

START_TEST(login_throttle_pair_by_address)
{
	struct h *h = &H;
	h_init(h);
	h->conf.login_fail_max = 3;
	h->conf.peer_of = outer_of;
	h_start(h);
	ck_assert(tunnel(h, 0, 1, 1701));
	for (int k = 0; k < 3; k++)
		ck_assert(login(h, 0, (uint16_t)(1 + k), "user0", "guess")->c.auth_failed);
	ck_assert(tunnel(h, 1, 2, 1701));
	ck_assert(!ppp_cli_up(&login(h, 1, 1, "user0", "pw")->c));
	ck_assert_uint_eq(h->auth_requests, 3);
	ck_assert(tunnel(h, 2, 3, 1701));
	ck_assert(ppp_cli_up(&login(h, 2, 1, "user0", "pw")->c));
	h_free(h);
}
END_TEST

/* An SA failing on many accounts: past login_peer_fail_max its logins and its new sessions are
 * refused; other SAs are served. */
START_TEST(login_throttle_peer)
{
	struct h *h = &H;
	h_init(h);
	h->conf.login_peer_fail_max = 4;
	h_start(h);
	ck_assert(tunnel(h, 0, 1, 1701));
	for (int k = 0; k < 4; k++) {
		char u[16];
		snprintf(u, sizeof u, "user%d", k);
		ck_assert(login(h, 0, (uint16_t)(1 + k), u, "guess")->c.auth_failed);
	}
	struct l2tp_lac_sess *x = l2tp_lac_add_session(&h->lac[0], 9, "user5", "pw", h->now);
	deliver(h);
	ck_assert(x->cdn_rcvd && !x->icrp);
	struct l2tp_stats st;
	l2tp_get_stats(h->lns, &st);
	ck_assert_uint_eq(st.refused[L2TP_LIM_LOGIN_PEER], 1);
	ck_assert(tunnel(h, 1, 2, 1701));
	ck_assert(ppp_cli_up(&login(h, 1, 1, "user5", "pw")->c));
	h_free(h);
}
END_TEST

/* A guesser spread over SAs (two failures each, below the pair limit) trips the per-account
 * rule; its shorter lock-out refuses the owner for a while, not for ever. */
START_TEST(login_throttle_account)
{
	struct h *h = &H;
	h_init(h);
	h->conf.login_fail_max = 3;
	h->conf.login_account_fail_max = 6;
	h->conf.login_account_lockout_s = 30;
	h_start(h);
	for (int i = 0; i < 3; i++) {
		ck_assert(tunnel(h, i, (uint64_t)(10 + i), 1701));
		for (int k = 0; k < 2; k++)
			ck_assert(login(h, i, (uint16_t)(1 + k), "user0", "guess")->c.auth_failed);
	}
	ck_assert(tunnel(h, 3, 20, 1701));
	ck_assert(!ppp_cli_up(&login(h, 3, 1, "user0", "pw")->c));
	struct l2tp_stats st;
	l2tp_get_stats(h->lns, &st);
	ck_assert_uint_eq(st.refused[L2TP_LIM_LOGIN_ACCOUNT], 1);
	ck_assert_uint_eq(st.throttle_entries, 4); /* three pairs and the account */
	advance(h, 31000);
	ck_assert(ppp_cli_up(&login(h, 3, 2, "user0", "pw")->c));
	h_free(h);
}
END_TEST

/* Records are bounded and expire: a window and the longest lock-out after their last change
 * they are gone without any scan. */
START_TEST(throttle_records_expire)
{
	struct h *h = &H;
	h_init(h);
	h->conf.login_fail_max = 5;
	h_start(h);
	struct l2tp_link link = {.sa = 3};
	for (int i = 0; i < 100; i++) {
		char u[16];
		snprintf(u, sizeof u, "x%d", i);
		h->lns->now = h->now;
		throttle_result(h->lns, &link, u, strlen(u), false);
	}
	struct l2tp_stats st;
	l2tp_get_stats(h->lns, &st);
	ck_assert_uint_eq(st.throttle_entries, 100);
	h->lns->now = h->now + 600000;
	ck_assert_int_eq(throttle_check(h->lns, &link, "x1", 2), 0);
	l2tp_get_stats(h->lns, &st);
	ck_assert_uint_eq(st.throttle_entries, 0);
	h_free(h);
}
END_TEST

static Suite *caps_suite(void)
{
	Suite *s = suite_create("l2tp_caps");
	TCase *tc = tcase_create("caps");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, one_sa_all_inner_ports);
	tcase_add_test(tc, plain_peer_all_ports);
	tcase_add_test(tc, sessions_per_sa_and_total);
	tcase_add_test(tc, account_ceiling);
	tcase_add_test(tc, login_throttle_pair);
	tcase_add_test(tc, login_throttle_pair_by_address);
	tcase_add_test(tc, login_throttle_peer);
	tcase_add_test(tc, login_throttle_account);
	tcase_add_test(tc, throttle_records_expire);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(caps_suite)
