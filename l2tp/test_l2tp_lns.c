/* Two cores back-to-back: the LAC (l2tp_lac.h, its own minimal RFC 2661 implementation)
 * against the LNS through a seeded lossy, reordering, duplicating in-memory link; PPP with
 * MS-CHAPv2 verified by auth/ against an SQLite store and addresses from a pool. Time only moves by
 * jumping to the next deadline. SIMTRACE=1 (with CK_FORK=no) prints stuck traffic and sessions. */
#include "check_main.h"
#include "l2tp_lac.h"
#include "l2tp_local.h"
#include "test_lac.h"

#include "auth.h"
#include "ppp.h"

#include <stdio.h>

#define NT 12
#define NS 4

struct pkt {
	bool to_lns;
	int tun;
	size_t n;
	uint8_t d[1700];
};

struct sim {
	struct l2tp *lns;
	struct l2tp_conf conf;
	struct ppp_conf pconf;
	struct auth_db *db;
	struct auth_pool *pool;
	struct rp_rng rng, net_rng;
	struct rp_log log;
	uint64_t now;
	struct l2tp_lac lac[NT];
	int nlac;
	/* what each LAC sent, drained into the network by drain_lacs */
	struct lacbox {
		uint8_t out[64][1700];
		size_t out_len[64];
		int nout;
	} box[NT];
	struct pkt *q;
	int nq;
	unsigned loss, dup, reorder; /* percent */
	unsigned ups, downs, tdowns, ip_events;
	uint32_t up_ips[NT * NS];
	char names[NT * NS][16];
	int last_down_reason;
	char last_down_text[96];
};

static struct sim S;

static void lac_sink(void *ctx, const uint8_t *p, size_t n)
{
	struct lacbox *b = ctx;
	ck_assert_int_lt(b->nout, 64);
	ck_assert_uint_le(n, sizeof b->out[0]);
	memcpy(b->out[b->nout], p, n);
	b->out_len[b->nout++] = n;
}

/* a LAC wired to its outbox (l2tp_lac_start keeps this; a memset does not) */
static void lac_wire(struct sim *s, int i)
{
	s->lac[i].send = lac_sink;
	s->lac[i].ctx = &s->box[i];
}

static void sim_init(struct sim *s, unsigned loss, unsigned dup, unsigned reorder, uint64_t seed)
{
	memset(s, 0, sizeof *s);
	s->q = calloc(8192, sizeof *s->q);
	rp_rng_seeded(&s->rng, seed);
	rp_rng_seeded(&s->net_rng, seed * 7 + 1);
	rp_log_init(&s->log, 0, NULL, NULL);
	s->db = auth_db_open_file(":memory:", NULL, 0);
	for (int i = 0; i < NT * NS; i++) {
		char u[32];
		snprintf(u, sizeof u, "user%d", i);
		ck_assert_int_eq(auth_account_add(s->db, u, "pw", NULL), 0);
	}
	s->pool = auth_pool_new();
	auth_pool_add_range(s->pool, 0xc6130a02, 0xc6130aff);
	ppp_conf_defaults(&s->pconf);
	s->pconf.local_ip = 0xc6130a01;
	s->pconf.dns[0] = 0x08080808;
	s->conf.host_name = "rampart-test";
	s->conf.ppp = &s->pconf;
	s->conf.pool = s->pool;
	s->conf.log = &s->log;
	s->loss = loss;
	s->dup = dup;
	s->reorder = reorder;
	s->now = 1000000;
	for (int i = 0; i < NT; i++)
		lac_wire(s, i);
}

static void sim_start(struct sim *s)
{
	s->lns = l2tp_new(&s->conf, &s->rng, s->now);
	ck_assert_ptr_nonnull(s->lns);
}

static void sim_free(struct sim *s)
{
	l2tp_free(s->lns);
	auth_db_close(s->db);
	auth_pool_free(s->pool);
	free(s->q);
}

static void enqueue(struct sim *s, bool to_lns, int tun, const uint8_t *d, size_t n)
{
	if (s->nq >= 8192)
		return;
	if (rp_rng_u32(&s->net_rng) % 100 < s->loss)
		return;
	int copies = rp_rng_u32(&s->net_rng) % 100 < s->dup ? 2 : 1;
	for (int c = 0; c < copies && s->nq < 8192; c++) {
		struct pkt *p = &s->q[s->nq++];
		p->to_lns = to_lns;
		p->tun = tun;
		p->n = n;
		memcpy(p->d, d, n);
	}
}

static void drain_lns(struct sim *s)
{
	struct rp_ev *ev;
	while ((ev = l2tp_next_event(s->lns))) {
		if (ev->type == L2TP_EV_AUTH_REQUEST) {
			/* the owner's answer from the store, at once (rampartd does the same) */
			l2tp_auth_from_store(s->lns, s->db, (const struct l2tp_ev_auth *)ev->data, s->now,
			                     NULL);
		} else if (ev->type == L2TP_EV_SEND) {
			struct l2tp_ev_send *e = (struct l2tp_ev_send *)ev->data;
			int i = tl_lac_for(s->lac, s->nlac, &e->link, e->pkt, e->len);
			ck_assert_int_ge(i, 0);
			enqueue(s, false, i, e->pkt, e->len);
		} else if (ev->type == L2TP_EV_PPP_UP) {
			struct l2tp_ev_session *e = (struct l2tp_ev_session *)ev->data;
			ck_assert_uint_ne(e->ip, 0);
			ck_assert_uint_eq(e->mru, 1400); /* what the test client asked for */
			ck_assert(!strncmp(e->account, "user", 4));
			for (unsigned k = 0; k < s->ups; k++)
				ck_assert_uint_ne(s->up_ips[k], e->ip); /* no duplicate lease */
			if (s->ups < NT * NS)
				s->up_ips[s->ups] = e->ip;
			s->ups++;
		} else if (ev->type == L2TP_EV_SESSION_DOWN) {
			struct l2tp_ev_session *e = (struct l2tp_ev_session *)ev->data;
			s->downs++;
			s->last_down_reason = e->reason;
			memcpy(s->last_down_text, e->text, sizeof s->last_down_text);
		} else if (ev->type == L2TP_EV_TUNNEL_DOWN) {
			s->tdowns++;
		} else if (ev->type == L2TP_EV_IP) {
			s->ip_events++;
		}
		rp_ev_free(ev);
	}
}

static void drain_lacs(struct sim *s)
{
	for (int i = 0; i < s->nlac; i++) {
		struct lacbox *b = &s->box[i];
		for (int k = 0; k < b->nout; k++)
			enqueue(s, true, i, b->out[k], b->out_len[k]);
		b->nout = 0;
	}
}

/* Delivers queued packets (shuffled when reordering) until the network is quiet. */
static void deliver(struct sim *s)
{
	for (int round = 0; round < 1000; round++) {
		drain_lacs(s);
		drain_lns(s);
		if (!s->nq)
			return;
		int n = s->nq;
		struct pkt *batch = malloc(sizeof *batch * (size_t)n);
		memcpy(batch, s->q, sizeof *batch * (size_t)n);
		s->nq = 0;
		for (int i = 0; i < n; i++) {
			if (rp_rng_u32(&s->net_rng) % 100 < s->reorder) {
				int j = (int)(rp_rng_u32(&s->net_rng) % (unsigned)n);
				struct pkt tmp = batch[i];
				batch[i] = batch[j];
				batch[j] = tmp;
			}
		}
		for (int i = 0; i < n; i++) {
			struct pkt *p = &batch[i];
			if (getenv("SIMTRACE") && round > 900) {
				fprintf(stderr, "%s tun %d:", p->to_lns ? "->LNS" : "->LAC", p->tun);
				for (size_t k = 0; k < p->n && k < 40; k++)
					fprintf(stderr, " %02x", p->d[k]);
				fprintf(stderr, "\n");
			}
			if (p->to_lns)
				l2tp_input(s->lns, &s->lac[p->tun].link, p->d, p->n, s->now);
			else
				ck_assert_int_eq(l2tp_lac_input(&s->lac[p->tun], p->d, p->n, s->now), 0);
		}
		free(batch);
	}
	ck_abort_msg("network never went quiet");
}

/* Advance time to the next deadline of either side and run the timers. */
static void step(struct sim *s)
{
	deliver(s);
	uint64_t d = l2tp_next_deadline(s->lns);
	for (int i = 0; i < s->nlac; i++) {
		uint64_t x = l2tp_lac_deadline(&s->lac[i]);
		if (x < d)
			d = x;
	}
	if (d == UINT64_MAX)
		d = s->now + 1000;
	ck_assert_uint_ge(d, s->now);
	s->now = d;
	l2tp_tick(s->lns, s->now);
	for (int i = 0; i < s->nlac; i++)
		l2tp_lac_tick(&s->lac[i], s->now);
	deliver(s);
}

static bool all_up(struct sim *s)
{
	for (int i = 0; i < s->nlac; i++)
		for (int k = 0; k < s->lac[i].nsess; k++)
			if (!ppp_cli_up(&s->lac[i].s[k].c))
				return false;
	return true;
}

static void bring_up(struct sim *s, int ntun, int nsess)
{
	for (int i = 0; i < ntun; i++) {
		/* four tunnels per IPsec SA, all SAs behind one outer address and inner port 1701 */
		l2tp_lac_start(&s->lac[i], (uint64_t)(i / 4 + 1), (uint16_t)(100 + i), s->now);
		s->nlac++;
	}
	deliver(s);
	for (int r = 0; r < 200; r++) {
		bool ready = true;
		for (int i = 0; i < ntun; i++)
			if (!s->lac[i].sccrp)
				ready = false;
		if (ready)
			break;
		step(s);
	}
	for (int i = 0; i < ntun; i++) {
		ck_assert(s->lac[i].sccrp);
		for (int k = 0; k < nsess; k++) {
			char *u = s->names[i * nsess + k];
			snprintf(u, sizeof s->names[0], "user%d", i * nsess + k);
			l2tp_lac_add_session(&s->lac[i], (uint16_t)(10 + k), u, "pw", s->now);
		}
	}
	for (int r = 0; r < 2000 && !(all_up(s) && s->ups == (unsigned)(ntun * nsess)); r++)
		step(s);
}

static int count_si(void *ctx, const struct l2tp_session_info *si)
{
	unsigned *c = ctx;
	c[0]++;
	if (si->ppp_up && si->ip && si->tunnel_up && !strcmp(si->host, "testlac") &&
	    !strncmp(si->account, "user", 4))
		c[1]++;
	return 0;
}

START_TEST(many_sessions_lossy)
{
	struct sim *s = &S;
	sim_init(s, 10, 5, 20, 20260707);
	sim_start(s);
	bring_up(s, NT, NS);
	for (int i = 0; i < NT && getenv("SIMTRACE"); i++)
		for (int k = 0; k < NS; k++) {
			struct l2tp_lac_sess *x = &s->lac[i].s[k];
			if (!ppp_cli_up(&x->c))
				fprintf(stderr,
				        "tun %d sess %d: icrp %d started %d lcp %d/%d auth %d ipcp %d/%d cdn "
				        "%d failed %d ntx %d\n",
				        i, k, x->icrp, x->ppp_started, x->c.lcp_acked, x->c.lcp_ack_sent,
				        x->c.auth_ok, x->c.ipcp_acked, x->c.ipcp_ack_sent, x->cdn_rcvd,
				        x->c.auth_failed, s->lac[i].ntx);
		}
	ck_assert(all_up(s));
	ck_assert_uint_eq(s->ups, NT * NS);
	struct l2tp_stats st;
	l2tp_get_stats(s->lns, &st);
	ck_assert_uint_eq(st.tunnels, NT);
	ck_assert_uint_eq(st.sessions_up, NT * NS);
	ck_assert_uint_gt(st.rexmits, 0); /* losses were recovered by retransmission */
	ck_assert_uint_gt(st.dups, 0);    /* duplicates were detected */
	ck_assert_uint_eq(auth_pool_in_use(s->pool), NT * NS);
	/* tunnel IDs: non-zero and unique */
	for (int i = 0; i < NT; i++) {
		ck_assert_uint_ne(s->lac[i].lns_tid, 0);
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(s->lac[i].lns_tid, s->lac[j].lns_tid);
		for (int k = 0; k < NS; k++)
			ck_assert_uint_ne(s->lac[i].s[k].lns_sid, 0);
	}
	/* the session list agrees with the events */
	struct cnt {
		unsigned n, up;
	} cn = {0, 0};
	l2tp_foreach_session(s->lns, count_si, &cn);
	ck_assert_uint_eq(cn.n, NT * NS);
	ck_assert_uint_eq(cn.up, NT * NS);
	/* the client got the pool address and the DNS server */
	ck_assert_uint_eq(s->lac[0].s[0].c.dns1, 0x08080808);

	/* data both ways: an IPv4 packet for a client, one from it */
	uint32_t ip = s->lac[3].s[2].c.ip;
	uint8_t pkt[28] = {0x45, 0, 0, 28};
	rp_put_u32(pkt + 16, ip);
	s->loss = s->dup = s->reorder = 0;
	ck_assert_int_eq(l2tp_output_ip(s->lns, ip, pkt, sizeof pkt, s->now), 0);
	ck_assert_int_eq(l2tp_output_ip(s->lns, 0x01020304, pkt, sizeof pkt, s->now), -1);
	uint8_t f[4 + 28] = {0xff, 0x03, 0x00, 0x21};
	memcpy(f + 4, pkt, 28);
	rp_put_u32(f + 4 + 12, ip);
	struct l2tp_lac_sess *ls = &s->lac[3].s[2];
	l2tp_lac_ppp_send(ls, f, sizeof f);
	deliver(s);
	ck_assert_uint_eq(s->ip_events, 1);

	/* teardown, lossy again: half the tunnels by the LAC (CDN then StopCCN), half by the LNS
	 * administrator (PPP Terminate, then CDN), then StopCCN from the LAC */
	s->loss = 10;
	s->dup = 5;
	s->reorder = 20;
	for (int i = 0; i < NT / 2; i++)
		for (int k = 0; k < NS; k++)
			l2tp_lac_cdn(&s->lac[i], &s->lac[i].s[k], s->now);
	for (int i = NT / 2; i < NT; i++)
		for (int k = 0; k < NS; k++)
			ck_assert_int_eq(l2tp_close_session(s->lns, &s->lac[i].link, s->lac[i].lns_tid,
			                                    s->lac[i].s[k].lns_sid, s->now),
			                 0);
	for (int r = 0; r < 500; r++) {
		bool cdns = true;
		for (int i = NT / 2; i < NT; i++)
			for (int k = 0; k < NS; k++)
				cdns &= s->lac[i].s[k].cdn_rcvd;
		if (cdns && s->downs == NT * NS)
			break;
		step(s);
	}
	ck_assert_uint_eq(s->downs, NT * NS);
	for (int i = NT / 2; i < NT; i++)
		for (int k = 0; k < NS; k++)
			ck_assert(s->lac[i].s[k].cdn_rcvd);
	ck_assert_uint_eq(auth_pool_in_use(s->pool), 0);
	for (int i = 0; i < NT; i++)
		l2tp_lac_stopccn(&s->lac[i], s->now);
	for (int r = 0; r < 500; r++) {
		l2tp_get_stats(s->lns, &st);
		if (!st.tunnels)
			break;
		step(s);
	}
	ck_assert_uint_eq(st.tunnels, 0);
	ck_assert_uint_eq(st.sessions, 0);
	ck_assert_uint_eq(s->tdowns, NT);
	ck_assert_uint_eq(l2tp_next_deadline(s->lns), UINT64_MAX);
	sim_free(s); /* LeakSanitizer checks nothing is left at exit */
}
END_TEST

START_TEST(tunnel_auth)
{
	static const uint8_t secret[] = "tunnel-secret";
	struct sim *s = &S;
	sim_init(s, 0, 0, 0, 5);
	s->conf.secret = secret;
	s->conf.secret_len = sizeof secret - 1;
	s->conf.require_tunnel_auth = true;
	sim_start(s);
	l2tp_lac_start_auth(&s->lac[0], 1, 7, s->now, secret, sizeof secret - 1);
	/* a second LAC with the wrong secret, and a third with none */
	l2tp_lac_start_auth(&s->lac[1], 1, 8, s->now, (const uint8_t *)"wrong", 5);
	l2tp_lac_start(&s->lac[2], 1, 9, s->now);
	s->nlac = 3;
	for (int r = 0; r < 20; r++)
		step(s);
	ck_assert(s->lac[0].auth_ok);
	ck_assert(!s->lac[0].stopccn_rcvd);
	ck_assert(!s->lac[1].auth_ok);
	ck_assert(s->lac[1].stopccn_rcvd);
	ck_assert_uint_eq(s->lac[1].stop_result, L2TP_STOP_NOT_AUTH);
	ck_assert(s->lac[2].stopccn_rcvd);
	ck_assert_uint_eq(s->lac[2].stop_result, L2TP_STOP_NOT_AUTH);
	l2tp_lac_add_session(&s->lac[0], 1, "user0", "pw", s->now);
	for (int r = 0; r < 50 && !ppp_cli_up(&s->lac[0].s[0].c); r++)
		step(s);
	ck_assert(ppp_cli_up(&s->lac[0].s[0].c));
	sim_free(s);

	/* again with our Assigned Tunnel/Session IDs hidden (§4.3): the LAC decodes them */
	sim_init(s, 0, 0, 0, 6);
	s->conf.secret = secret;
	s->conf.secret_len = sizeof secret - 1;
	s->conf.hide_avps = true;
	sim_start(s);
	l2tp_lac_start_auth(&s->lac[0], 1, 7, s->now, secret, sizeof secret - 1);
	s->nlac = 1;
	for (int r = 0; r < 5; r++)
		step(s);
	ck_assert(s->lac[0].auth_ok);
	ck_assert_ptr_nonnull(tunnel_find(s->lns, &s->lac[0].link, s->lac[0].lns_tid));
	l2tp_lac_add_session(&s->lac[0], 1, "user0", "pw", s->now);
	for (int r = 0; r < 50 && !ppp_cli_up(&s->lac[0].s[0].c); r++)
		step(s);
	ck_assert(ppp_cli_up(&s->lac[0].s[0].c));
	sim_free(s);
}
END_TEST

/* Android 9/10 never answer HELLO; their PPP keeps answering LCP echoes. The tunnel must stay. */
START_TEST(android_no_hello)
{
	struct sim *s = &S;
	sim_init(s, 0, 0, 0, 9);
	s->conf.hello_s = 10;
	sim_start(s);
	bring_up(s, 1, 1);
	ck_assert(all_up(s));
	s->lac[0].ignore_hello = true;
	uint64_t t0 = s->now;
	while (s->now < t0 + 600000)
		step(s);
	struct l2tp_stats st;
	l2tp_get_stats(s->lns, &st);
	ck_assert_uint_eq(st.sessions_up, 1);
	ck_assert_uint_eq(s->downs, 0);
	ck_assert_uint_gt(s->lac[0].s[0].c.echo_replies, 10);

	/* the peer vanishes: the tunnel and session go down, the address returns to the pool */
	s->lac[0].silent = true;
	t0 = s->now;
	while (s->tdowns == 0 && s->now < t0 + 600000)
		step(s);
	ck_assert_uint_eq(s->tdowns, 1);
	ck_assert_uint_eq(s->downs, 1);
	ck_assert_uint_eq(auth_pool_in_use(s->pool), 0);
	ck_assert_uint_lt(s->now - t0, 300000);
	sim_free(s);
}
END_TEST

START_TEST(protocol_errors)
{
	struct sim *s = &S;
	sim_init(s, 0, 0, 0, 11);
	sim_start(s);
	uint8_t b[256];
	struct rp_wr w;
	/* an SCCRQ with an unknown mandatory AVP: StopCCN, result 2 / error 8 (§4.1) */
	struct l2tp_lac *t = &s->lac[0];
	memset(t, 0, sizeof *t);
	lac_wire(s, 0);
	t->link.sa = 1;
	rp_addr_v4(&t->link.peer, 0x64400001, 1701);
	t->tid = 55;
	s->nlac = 1;
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, 0, 0, 0, 0);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCRQ);
	l2tp_avp_u16(&w, L2TP_AVP_PROTO_VER, true, 0x0100);
	l2tp_avp_u32(&w, L2TP_AVP_FRAMING_CAP, true, 1);
	l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, "x", 1);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, 55);
	l2tp_avp_put(&w, 250, true, "?", 1);
	ck_assert_int_eq(l2tp_lac_ctl_send(t, &w, s->now), 0);
	deliver(s);
	ck_assert(t->stopccn_rcvd);
	ck_assert_uint_eq(t->stop_result, L2TP_STOP_GENERAL);
	ck_assert_uint_eq(t->stop_error, L2TP_ERR_UNKNOWN_M);
	ck_assert_uint_eq(s->tdowns, 1);

	/* protocol version 2.0: StopCCN result 5 */
	memset(t, 0, sizeof *t);
	lac_wire(s, 0);
	t->link.sa = 2;
	rp_addr_v4(&t->link.peer, 0x64400001, 1701);
	t->tid = 56;
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, 0, 0, 0, 0);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCRQ);
	l2tp_avp_u16(&w, L2TP_AVP_PROTO_VER, true, 0x0200);
	l2tp_avp_u32(&w, L2TP_AVP_FRAMING_CAP, true, 1);
	l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, "x", 1);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, 56);
	ck_assert_int_eq(l2tp_lac_ctl_send(t, &w, s->now), 0);
	deliver(s);
	ck_assert(t->stopccn_rcvd);
	ck_assert_uint_eq(t->stop_result, L2TP_STOP_BAD_VERSION);

	/* one link cannot take more than max_tunnels_per_link tunnels, nor one SA more than
	 * max_tunnels_per_sa (16 by default, below the per-link 64) */
	{
		struct l2tp_link flood = {.sa = 77};
		struct l2tp_stats fs0, fs;
		l2tp_get_stats(s->lns, &fs0);
		rp_addr_v4(&flood.peer, 0x64400002, 1701);
		for (unsigned i = 0; i < 70; i++) {
			rp_wr_init(&w, b, sizeof b);
			l2tp_ctl_begin(&w, 0, 0, 0, 0);
			l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCRQ);
			l2tp_avp_u16(&w, L2TP_AVP_PROTO_VER, true, 0x0100);
			l2tp_avp_u32(&w, L2TP_AVP_FRAMING_CAP, true, 1);
			l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, "f", 1);
			l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, (uint16_t)(1000 + i));
			l2tp_ctl_end(&w);
			l2tp_input(s->lns, &flood, b, w.len, s->now);
		}
		l2tp_get_stats(s->lns, &fs);
		ck_assert_uint_eq(fs.tunnels, fs0.tunnels + 16);
		l2tp_link_gone(s->lns, 77, s->now);
		l2tp_get_stats(s->lns, &fs);
		ck_assert_uint_eq(fs.tunnels, fs0.tunnels);
		struct rp_ev *ev;
		while ((ev = l2tp_next_event(s->lns)))
			rp_ev_free(ev);
	}

	/* a good tunnel; then the same tunnel ID from another SA is refused (no cross-SA
	 * injection), and an ICRQ with an unknown mandatory AVP gets a CDN */
	l2tp_lac_start(&s->lac[1], 3, 57, s->now);
	s->nlac = 2;
	for (int r = 0; r < 5; r++)
		step(s);
	ck_assert(s->lac[1].sccrp);
	struct l2tp_stats st0, st1;
	l2tp_get_stats(s->lns, &st0);
	struct l2tp_link other = s->lac[1].link;
	other.sa = 99;
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, s->lac[1].lns_tid, 0, 9, 9);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_HELLO);
	l2tp_ctl_end(&w);
	l2tp_input(s->lns, &other, b, w.len, s->now);
	l2tp_get_stats(s->lns, &st1);
	ck_assert_uint_eq(st1.drops, st0.drops + 1);
	drain_lns(s);

	t = &s->lac[1];
	l2tp_lac_begin(t, &w, b, sizeof b, 0, L2TP_ICRQ);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_SID, true, 77);
	l2tp_avp_u32(&w, L2TP_AVP_CALL_SERIAL, true, 1);
	l2tp_avp_put(&w, 251, true, "?", 1);
	struct l2tp_lac_sess *ls = &t->s[t->nsess++];
	memset(ls, 0, sizeof *ls);
	ls->tun = t;
	ls->sid = 77;
	ck_assert_int_eq(l2tp_lac_ctl_send(t, &w, s->now), 0);
	deliver(s);
	ck_assert(ls->cdn_rcvd);
	ck_assert(!t->stopccn_rcvd); /* the tunnel stays */
	sim_free(s);
}
END_TEST

/* §5.8 by hand: the peer's window of 2 is honoured, out-of-order messages are queued and
 * processed in order, duplicates are acknowledged again, retransmissions back off 1-2-4-8-8 s and
 * then the tunnel is declared dead. */
struct sent {
	int n, zlb;
	uint16_t ns[32], nr[32], mt[32];
	uint64_t at[32];
};

static void collect(struct sim *s, struct sent *out)
{
	struct rp_ev *ev;
	while ((ev = l2tp_next_event(s->lns))) {
		if (ev->type == L2TP_EV_SEND) {
			struct l2tp_ev_send *e = (struct l2tp_ev_send *)ev->data;
			struct l2tp_hdr h;
			ck_assert_int_eq(l2tp_hdr_parse(e->pkt, e->len, &h), 0);
			if (h.len == h.payload_off) {
				out->zlb++;
			} else if (out->n < 32) {
				out->ns[out->n] = h.ns;
				out->nr[out->n] = h.nr;
				out->mt[out->n] = rp_get_u16(e->pkt + 12 + 6);
				out->at[out->n] = s->now;
				out->n++;
			}
		} else if (ev->type == L2TP_EV_TUNNEL_DOWN)
			s->tdowns++;
		rp_ev_free(ev);
	}
}

static void msg_in(struct sim *s, const struct l2tp_link *link, uint16_t tid, uint16_t ns, uint16_t nr,
                   uint16_t mt, uint16_t sid_avp)
{
	uint8_t b[256];
	struct rp_wr w;
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, tid, 0, ns, nr);
	if (mt) {
		l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, mt);
		if (mt == L2TP_SCCRQ) {
			l2tp_avp_u16(&w, L2TP_AVP_PROTO_VER, true, 0x0100);
			l2tp_avp_u32(&w, L2TP_AVP_FRAMING_CAP, true, 1);
			l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, "w", 1);
			l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, 42);
			l2tp_avp_u16(&w, L2TP_AVP_RECV_WINDOW, true, 2);
		}
		if (mt == L2TP_ICRQ) {
			l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_SID, true, sid_avp);
			l2tp_avp_u32(&w, L2TP_AVP_CALL_SERIAL, true, sid_avp);
		}
		if (mt == L2TP_SLI)
			l2tp_avp_put(&w, L2TP_AVP_ACCM, true, "\0\0\0\0\0\0\0\0\0\0", 10);
	}
	l2tp_ctl_end(&w);
	l2tp_input(s->lns, link, b, w.len, s->now);
}

START_TEST(reliable_window)
{
	struct sim *s = &S;
	struct sent o;
	sim_init(s, 0, 0, 0, 13);
	sim_start(s);
	struct l2tp_link link = {.sa = 5};
	rp_addr_v4(&link.peer, 0x64400009, 1701);
	memset(&o, 0, sizeof o);
	msg_in(s, &link, 0, 0, 0, L2TP_SCCRQ, 0);
	collect(s, &o);
	ck_assert_int_eq(o.n, 1);
	ck_assert_uint_eq(o.mt[0], L2TP_SCCRP);
	ck_assert_uint_eq(o.ns[0], 0);
	ck_assert_uint_eq(o.nr[0], 1);
	struct l2tp_stats st;
	l2tp_get_stats(s->lns, &st);
	ck_assert_ptr_nonnull(s->lns->tunnels);
	uint16_t tid = s->lns->tunnels->tid;
	ck_assert_uint_ne(tid, 0);

	/* SCCCN without acknowledging the SCCRP (Nr 0), then three ICRQs, the third and second
	 * before the first (reordered): all processed in order once Ns 2 arrives */
	memset(&o, 0, sizeof o);
	msg_in(s, &link, tid, 1, 0, L2TP_SCCCN, 0);
	/* issue 17, memory per client: no out-of-order queue until a message needs one */
	ck_assert_ptr_null(s->lns->tunnels->ooo);
	msg_in(s, &link, tid, 4, 0, L2TP_ICRQ, 13);
	ck_assert_ptr_nonnull(s->lns->tunnels->ooo);
	msg_in(s, &link, tid, 3, 0, L2TP_ICRQ, 12);
	collect(s, &o);
	ck_assert_int_eq(o.n, 0); /* nothing to say yet: 3 and 4 wait for 2 */
	msg_in(s, &link, tid, 2, 0, L2TP_ICRQ, 11);
	collect(s, &o);
	/* window 2: the unacknowledged SCCRP plus one ICRP; two more ICRPs wait */
	ck_assert_int_eq(o.n, 1);
	ck_assert_uint_eq(o.mt[0], L2TP_ICRP);
	ck_assert_uint_eq(o.ns[0], 1);
	ck_assert_uint_eq(o.nr[0], 3); /* sent while Ns 2 was being processed */
	ck_assert_int_eq(o.zlb, 2);    /* SCCCN acked; then a ZLB acknowledges up to Ns 4 */
	l2tp_get_stats(s->lns, &st);
	ck_assert_uint_eq(st.sessions, 3);

	/* a duplicate is acknowledged again with a ZLB, not processed twice */
	memset(&o, 0, sizeof o);
	msg_in(s, &link, tid, 3, 0, L2TP_ICRQ, 12);
	collect(s, &o);
	ck_assert_int_eq(o.n, 0);
	ck_assert_int_eq(o.zlb, 1);
	l2tp_get_stats(s->lns, &st);
	ck_assert_uint_eq(st.sessions, 3);
	ck_assert_uint_ge(st.dups, 1);

	/* ZLB acknowledging SCCRP and the first ICRP: the two waiting ICRPs go out */
	memset(&o, 0, sizeof o);
	msg_in(s, &link, tid, 5, 2, 0, 0);
	collect(s, &o);
	ck_assert_int_eq(o.n, 2);
	ck_assert_uint_eq(o.ns[0], 2);
	ck_assert_uint_eq(o.ns[1], 3);

	/* WEN and SLI are tolerated: acknowledged, nothing else */
	memset(&o, 0, sizeof o);
	msg_in(s, &link, tid, 5, 4, L2TP_SLI, 0);
	collect(s, &o);
	ck_assert_int_eq(o.n, 0);
	ck_assert_int_eq(o.zlb, 1);

	/* now silence: retransmissions of the unacknowledged messages back off, then give up */
	memset(&o, 0, sizeof o);
	uint64_t t0 = s->now;
	while (s->tdowns == 0) {
		s->now = l2tp_next_deadline(s->lns);
		ck_assert_uint_lt(s->now, t0 + 120000);
		l2tp_tick(s->lns, s->now);
		collect(s, &o);
	}
	/* nothing was outstanding after the ZLB acknowledged everything but the HELLO/ICCN
	 * timers: the three sessions waiting for ICCN time out (CDNs); two fit the peer's window,
	 * they are retransmitted 1, 2, 4, 8, 8 s apart, the third never goes out, the tunnel dies */
	ck_assert_int_eq(o.n, 2 + 5 * 2);
	ck_assert_uint_eq(o.mt[0], L2TP_CDN);
	uint64_t first = o.at[0];
	uint64_t want[] = {1000, 3000, 7000, 15000, 23000};
	int k = 0;
	for (int i = 0; i < o.n && k < 5; i++)
		if (o.ns[i] == o.ns[0] && o.at[i] > first)
			ck_assert_uint_eq(o.at[i] - first, want[k++]);
	ck_assert_int_eq(k, 5);
	l2tp_get_stats(s->lns, &st);
	ck_assert_uint_eq(st.tunnels, 0);
	sim_free(s);
}
END_TEST

/* Issue 10 items 2 and 6 through the LNS: a PPP login after the SA (a PSK SA in rampartd) is
 * checked against the network access rights, and the refusal names the right; a peer's user name
 * with a newline and a quote stays one escaped log line. */
struct logcap {
	int n, ctl;
	char all[8192];
};

static void logcap_sink(void *ctx, int level, const char *module, const char *msg)
{
	struct logcap *c = ctx;
	size_t l = strlen(c->all);
	(void)level;
	c->n++;
	for (const char *p = msg; *p; p++)
		c->ctl += (unsigned char)*p < 0x20 || *p == 0x7f;
	snprintf(c->all + l, sizeof c->all - l, "%s: %s\n", module, msg);
}

START_TEST(login_rights_and_escaping)
{
	static struct logcap lc;
	struct sim *s = &S;
	sim_init(s, 0, 0, 0, 11);
	rp_log_init(&s->log, RP_LOG_INFO, logcap_sink, &lc);
	ck_assert_int_eq(auth_group_add(s->db, "contractors"), 0);
	ck_assert_int_eq(auth_group_member_add(s->db, "contractors", "user1"), 0);
	ck_assert_int_eq(auth_right_add(s->db, AUTH_RIGHT_DENY, NULL, "contractors"), 1);
	sim_start(s);
	l2tp_lac_start(&s->lac[0], 1, 7, s->now);
	s->nlac = 1;
	for (int r = 0; r < 20 && !s->lac[0].sccrp; r++)
		step(s);
	l2tp_lac_add_session(&s->lac[0], 1, "user1", "pw", s->now);
	l2tp_lac_add_session(&s->lac[0], 2, "evil\nwarn ike: forged \"x", "pw", s->now);
	l2tp_lac_add_session(&s->lac[0], 3, "user0", "pw", s->now);
	for (int r = 0; r < 100 && !(ppp_cli_up(&s->lac[0].s[2].c) && s->downs == 2); r++)
		step(s);
	ck_assert(ppp_cli_up(&s->lac[0].s[2].c));
	ck_assert(!ppp_cli_up(&s->lac[0].s[0].c));
	ck_assert(s->lac[0].s[0].c.auth_failed);
	ck_assert_uint_eq(s->ups, 1);
	ck_assert_msg(strstr(lc.all, ": authentication of \"user1\": network access denied by right #1 (deny "
	                             "group=contractors)\n"),
	              "no refusal naming the right in:\n%s", lc.all);
	ck_assert_msg(strstr(lc.all, "authentication of \"evil\\x0awarn ike: forged \\\"x\": unknown user\n"),
	              "user name not escaped in:\n%s", lc.all);
	ck_assert_msg(strstr(lc.all, "ppp: authentication of \"evil\\x0awarn ike: forged \\\"x\" failed"),
	              "PPP's line not escaped in:\n%s", lc.all);
	ck_assert_int_eq(lc.ctl, 0);
	ck_assert_ptr_null(strstr(lc.all, "\nwarn ike: forged"));
	sim_free(s);
}
END_TEST

/* Issue 17: our tunnel IDs are per link, so more than 65,535 clients (one IPsec SA each) fit.
 * 70,000 links each open a tunnel (SCCRQ): every one is answered (SCCRP), 16-bit IDs repeat
 * across links, and each tunnel is found by its own (link, tid) and by no other link. A limit
 * below that refuses the rest with one line naming l2tp.max_tunnels. */
START_TEST(tunnel_ids_per_link)
{
	enum { N = 70000 };
	struct rp_rng rng;
	rp_rng_seeded(&rng, 23);
	static struct logcap cap;
	struct rp_log lg;
	rp_log_init(&lg, RP_LOG_ERR, logcap_sink, &cap);
	struct l2tp_conf c = {.log = &lg};
	struct l2tp *l = l2tp_new(&c, &rng, 1000);
	ck_assert_ptr_nonnull(l);
	static uint16_t tid[N];
	static uint32_t seen[65536 / 32];
	unsigned repeats = 0;
	for (unsigned i = 0; i < N; i++) {
		uint8_t b[256];
		struct rp_wr w;
		struct l2tp_link link = {.sa = (uint64_t)(i + 1) << 32 | 7};
		rp_addr_v4(&link.peer, 0x64400001 + i, 1701);
		rp_wr_init(&w, b, sizeof b);
		l2tp_ctl_begin(&w, 0, 0, 0, 0);
		l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCRQ);
		l2tp_avp_u16(&w, L2TP_AVP_PROTO_VER, true, 0x0100);
		l2tp_avp_u32(&w, L2TP_AVP_FRAMING_CAP, true, 1);
		l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, "x", 1);
		l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, 5);
		l2tp_ctl_end(&w);
		ck_assert_int_eq(l2tp_input(l, &link, b, w.len, 1000), 0);
		struct rp_ev *ev;
		tid[i] = 0;
		while ((ev = l2tp_next_event(l))) {
			const struct l2tp_ev_send *snd = (const struct l2tp_ev_send *)ev->data;
			struct l2tp_hdr h;
			struct l2tp_msg m;
			ck_assert_int_eq(ev->type, L2TP_EV_SEND);
			ck_assert_uint_eq(snd->link.sa, link.sa);
			ck_assert_int_eq(l2tp_hdr_parse(snd->pkt, snd->len, &h), 0);
			ck_assert_int_eq(
			    l2tp_msg_parse(&m, snd->pkt + h.payload_off, h.len - h.payload_off, NULL, 0), 0);
			ck_assert_uint_eq(m.type, L2TP_SCCRP);
			tid[i] = m.assigned_tid;
			rp_ev_free(ev);
		}
		ck_assert_uint_ne(tid[i], 0);
		repeats += (seen[tid[i] / 32] >> (tid[i] % 32)) & 1;
		seen[tid[i] / 32] |= 1u << (tid[i] % 32);
	}
	struct l2tp_stats st;
	l2tp_get_stats(l, &st);
	ck_assert_uint_eq(st.tunnels, N);
	ck_assert_uint_gt(repeats, N - 65535 - 1); /* IDs repeat across links */
	for (unsigned i = 0; i < N; i += 7) {
		struct l2tp_link link = {.sa = (uint64_t)(i + 1) << 32 | 7},
		                 other = {.sa = (uint64_t)(i + 2) << 32 | 7};
		rp_addr_v4(&link.peer, 0x64400001 + i, 1701);
		rp_addr_v4(&other.peer, 0x64400001 + i + 1, 1701);
		if (i + 1 < N && tid[i + 1] != tid[i])
			ck_assert_int_ne(l2tp_stop_tunnel(l, &other, tid[i], 2000), 0);
		ck_assert_int_eq(l2tp_stop_tunnel(l, &link, tid[i], 2000), 0);
	}
	l2tp_free(l);

	/* the limit: one line naming the key however many are refused */
	memset(&cap, 0, sizeof cap);
	c.max_tunnels = 3;
	l = l2tp_new(&c, &rng, 1000);
	for (unsigned i = 0; i < 6; i++) {
		uint8_t b[256];
		struct rp_wr w;
		struct l2tp_link link = {.sa = (uint64_t)(i + 1) << 32};
		rp_wr_init(&w, b, sizeof b);
		l2tp_ctl_begin(&w, 0, 0, 0, 0);
		l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCRQ);
		l2tp_avp_u16(&w, L2TP_AVP_PROTO_VER, true, 0x0100);
		l2tp_avp_u32(&w, L2TP_AVP_FRAMING_CAP, true, 1);
		l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, "x", 1);
		l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, 5);
		l2tp_ctl_end(&w);
		l2tp_input(l, &link, b, w.len, 1000 + i);
		struct rp_ev *ev;
		while ((ev = l2tp_next_event(l)))
			rp_ev_free(ev);
	}
	l2tp_get_stats(l, &st);
	ck_assert_uint_eq(st.tunnels, 3);
	const char *x =
	    strstr(cap.all, "out of L2TP tunnels: new clients are refused (raise l2tp.max_tunnels)");
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_null(strstr(x + 1, "out of L2TP tunnels"));
	l2tp_free(l);
}
END_TEST

/* ---- issue 16: per-account limits from the account store ----------------------------------- */

/* one tunnel up, then a session for user; returns when it is up or refused */
static struct l2tp_lac_sess *limits_login(struct sim *s, uint16_t sid, const char *user)
{
	struct l2tp_lac_sess *x = l2tp_lac_add_session(&s->lac[0], sid, user, "pw", s->now);
	ck_assert_ptr_nonnull(x);
	/* delivered before time moves, so the login is not also an idle interval */
	for (int r = 0; r < 100; r++) {
		deliver(s);
		if (ppp_cli_up(&x->c) || x->c.auth_failed)
			break;
		step(s);
	}
	return x;
}

static void limits_tunnel(struct sim *s)
{
	sim_start(s);
	l2tp_lac_start(&s->lac[0], 1, 7, s->now);
	s->nlac = 1;
	for (int r = 0; r < 20 && !s->lac[0].sccrp; r++)
		step(s);
	ck_assert(s->lac[0].sccrp);
}

/* max_sessions=2 on the account's group: the third login is refused with the reason in the log
 * and E=649 to the client; when one ends, a new login fits again. */
START_TEST(limit_max_sessions)
{
	static struct logcap lc;
	struct sim *s = &S;
	sim_init(s, 0, 0, 0, 16);
	rp_log_init(&s->log, RP_LOG_INFO, logcap_sink, &lc);
	ck_assert_int_eq(auth_group_add(s->db, "two"), 0);
	ck_assert_int_eq(auth_account_set_group(s->db, "user0", "two"), 0);
	ck_assert_int_eq(auth_limit_set(s->db, true, "two", AUTH_LIMIT_MAX_SESSIONS, 2), 0);
	limits_tunnel(s);
	struct l2tp_lac_sess *a = limits_login(s, 1, "user0");
	struct l2tp_lac_sess *b = limits_login(s, 2, "user0");
	ck_assert(ppp_cli_up(&a->c) && ppp_cli_up(&b->c));
	ck_assert_uint_eq(l2tp_account_sessions(s->lns, "user0"), 2);
	struct l2tp_lac_sess *c = limits_login(s, 3, "user0");
	ck_assert(!ppp_cli_up(&c->c));
	ck_assert(c->c.auth_failed);
	ck_assert_msg(!strncmp(c->c.fail_msg, "E=649 ", 6), "%s", c->c.fail_msg);
	ck_assert_msg(
	    strstr(lc.all, "login \"user0\" refused: the account has max_sessions sessions already"),
	    "no refusal in:\n%s", lc.all);
	struct l2tp_stats st;
	l2tp_get_stats(s->lns, &st);
	ck_assert_uint_eq(st.auth[L2TP_AUTH_MAX_SESSIONS], 1);
	ck_assert_uint_eq(l2tp_account_sessions(s->lns, "user0"), 2);
	/* another account is not counted against it */
	ck_assert(ppp_cli_up(&limits_login(s, 4, "user1")->c));
	/* one of the two ends: a new login fits */
	l2tp_lac_cdn(&s->lac[0], a, s->now);
	for (int r = 0; r < 50 && l2tp_account_sessions(s->lns, "user0") != 1; r++)
		step(s);
	ck_assert_uint_eq(l2tp_account_sessions(s->lns, "user0"), 1);
	ck_assert(ppp_cli_up(&limits_login(s, 5, "user0")->c));
	ck_assert_uint_eq(l2tp_account_sessions(s->lns, "user0"), 2);
	sim_free(s);
}
END_TEST

/* idle=30 on the account: a packet at +20 s keeps the session, which ends exactly 30 s after the
 * last packet (fake time) with the idle-timeout reason. */
START_TEST(limit_idle)
{
	struct sim *s = &S;
	sim_init(s, 0, 0, 0, 17);
	ck_assert_int_eq(auth_limit_set(s->db, false, "user0", AUTH_LIMIT_IDLE, 30), 0);
	limits_tunnel(s);
	struct l2tp_lac_sess *x = limits_login(s, 1, "user0");
	ck_assert(ppp_cli_up(&x->c));
	uint64_t t0 = s->now;
	while (s->now < t0 + 20000 && !s->downs) {
		/* steps, but not past +20 s */
		uint64_t d = l2tp_next_deadline(s->lns), e = l2tp_lac_deadline(&s->lac[0]);
		s->now = d < e ? d : e;
		if (s->now > t0 + 20000)
			s->now = t0 + 20000;
		l2tp_tick(s->lns, s->now);
		l2tp_lac_tick(&s->lac[0], s->now);
		deliver(s);
	}
	ck_assert_msg(!s->downs, "down at +%llu ms: %d %s", (unsigned long long)(s->now - t0),
	              s->last_down_reason, s->last_down_text);
	uint8_t f[4 + 28] = {0xff, 0x03, 0x00, 0x21, 0x45, 0, 0, 28};
	rp_put_u32(f + 4 + 12, x->c.ip);
	l2tp_lac_ppp_send(x, f, sizeof f);
	deliver(s);
	ck_assert_uint_eq(s->ip_events, 1);
	uint64_t last = s->now;
	for (int r = 0; r < 200 && !s->downs; r++)
		step(s);
	ck_assert_uint_eq(s->downs, 1);
	ck_assert_int_eq(s->last_down_reason, L2TP_DOWN_IDLE_TIMEOUT);
	ck_assert_uint_ge(s->now, last + 30000);
	ck_assert_uint_le(s->now, last + 30000 + 10000); /* PPP's Terminate exchange */
	sim_free(s);
}
END_TEST

static uint64_t lim_rx_bytes;
static void lim_ip_in(void *ctx, const uint8_t *pkt, size_t n)
{
	(void)ctx;
	(void)pkt;
	lim_rx_bytes += n;
}

/* rate_in=1000 and rate_out=3000 kbit/s: the client and the server each offer 1400-byte packets
 * every millisecond (11.2 Mbit/s) for 20 simulated seconds; what comes through the tunnel is the
 * rate within 5 %, and the rest is counted as dropped. */
START_TEST(limit_rate)
{
	struct sim *s = &S;
	sim_init(s, 0, 0, 0, 18);
	ck_assert_int_eq(auth_limit_set(s->db, false, "user0", AUTH_LIMIT_RATE_IN, 1000), 0);
	ck_assert_int_eq(auth_limit_set(s->db, false, "user0", AUTH_LIMIT_RATE_OUT, 3000), 0);
	limits_tunnel(s);
	struct l2tp_lac_sess *x = limits_login(s, 1, "user0");
	ck_assert(ppp_cli_up(&x->c));
	x->c.ip_in = lim_ip_in;
	lim_rx_bytes = 0;
	enum { MS = 20000, LEN = 1400 };
	static uint8_t f[4 + LEN] = {0xff, 0x03, 0x00, 0x21, 0x45};
	rp_put_u16(f + 4 + 2, LEN);
	rp_put_u32(f + 4 + 12, x->c.ip);
	uint8_t *pkt = f + 4;
	unsigned in = 0;
	for (int ms = 0; ms < MS; ms++) {
		s->now++;
		l2tp_lac_ppp_send(x, f, sizeof f);
		(void)l2tp_output_ip(s->lns, x->c.ip, pkt, LEN, s->now);
		deliver(s);
		in = s->ip_events;
		if (ms % 1000 == 0) { /* keep both sides' timers honest */
			l2tp_tick(s->lns, s->now);
			l2tp_lac_tick(&s->lac[0], s->now);
		}
	}
	double kin = in * LEN * 8.0 / MS, kout = lim_rx_bytes * 8.0 / MS; /* bit/ms = kbit/s */
	ck_assert_msg(kin > 950 && kin < 1050, "in %.1f kbit/s", kin);
	ck_assert_msg(kout > 2850 && kout < 3150, "out %.1f kbit/s", kout);
	struct l2tp_counters ctr;
	ck_assert_int_eq(l2tp_session_counters(s->lns, &s->lac[0].link, s->lac[0].lns_tid, x->lns_sid, &ctr),
	                 0);
	ck_assert_uint_eq(ctr.rx_pkts, in);
	ck_assert_uint_eq(ctr.rx_pkts + ctr.rx_rate_drops, MS);
	ck_assert_uint_eq(ctr.tx_pkts + ctr.tx_rate_drops, MS);
	fprintf(stderr, "limit_rate: in %.1f kbit/s (limit 1000), out %.1f kbit/s (limit 3000)\n", kin, kout);
	sim_free(s);
}
END_TEST

static Suite *lns_suite(void)
{
	Suite *s = suite_create("l2tp_lns");
	TCase *tc = tcase_create("lns");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, many_sessions_lossy);
	tcase_add_test(tc, tunnel_auth);
	tcase_add_test(tc, android_no_hello);
	tcase_add_test(tc, protocol_errors);
	tcase_add_test(tc, reliable_window);
	tcase_add_test(tc, login_rights_and_escaping);
	tcase_add_test(tc, tunnel_ids_per_link);
	tcase_add_test(tc, limit_max_sessions);
	tcase_add_test(tc, limit_idle);
	tcase_add_test(tc, limit_rate);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(lns_suite)
