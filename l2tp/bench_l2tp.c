/* rampart-bench l2tp: session setup rate (SCCRQ ... IPCP up, MS-CHAPv2 checked by auth/ against
 * SQLite) and the data path (L2TP data message -> PPP -> IPv4 event, and IPv4 -> L2TP SEND),
 * each with a baseline measured in the same run (one MS-CHAPv2 NT-Response computation; a memcpy
 * of the same bytes). Uses the test LAC with abort() in place of Check's assertions. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ck_assert(x)                                                                                         \
	do {                                                                                                 \
		if (!(x))                                                                                    \
			abort();                                                                             \
	} while (0)
#define ck_assert_int_le(a, b) ck_assert((a) <= (b))
#define ck_assert_int_eq(a, b) ck_assert((a) == (b))
#define ck_assert_uint_eq(a, b) ck_assert((a) == (b))
#define ck_assert_ptr_nonnull(p) ck_assert((p) != NULL)

#include "l2tp_lac.h"
#include "l2tp_local.h"

#include <string.h>

#include "auth.h"
#include "ppp.h"

int bench_l2tp(int argc, char **argv);

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define NB 2000

static struct l2tp_lac lacs[NB];

/* what the LACs sent, delivered to the LNS by pump */
struct pend {
	int lac;
	size_t n;
	uint8_t d[700];
};
static struct pend *pend;
static size_t npend, cappend;

static void lac_sink(void *ctx, const uint8_t *p, size_t n)
{
	if (n > sizeof pend[0].d)
		abort();
	if (npend == cappend) {
		cappend = cappend ? cappend * 2 : 1024;
		pend = realloc(pend, cappend * sizeof *pend);
		if (!pend)
			abort();
	}
	pend[npend].lac = (int)((struct l2tp_lac *)ctx - lacs);
	pend[npend].n = n;
	memcpy(pend[npend++].d, p, n);
}

static struct auth_db *bench_db;

static void pump(struct l2tp *l, uint64_t now)
{
	for (int round = 0; round < 100; round++) {
		bool moved = false;
		for (size_t k = 0; k < npend; k++) {
			l2tp_input(l, &lacs[pend[k].lac].link, pend[k].d, pend[k].n, now);
			moved = true;
		}
		npend = 0;
		struct rp_ev *ev;
		while ((ev = l2tp_next_event(l))) {
			if (ev->type == L2TP_EV_AUTH_REQUEST)
				l2tp_auth_from_store(l, bench_db, (const struct l2tp_ev_auth *)ev->data, now,
				                     NULL);
			if (ev->type == L2TP_EV_SEND) {
				struct l2tp_ev_send *e = (struct l2tp_ev_send *)ev->data;
				struct l2tp_hdr h;
				if (!l2tp_hdr_parse(e->pkt, e->len, &h))
					l2tp_lac_input(&lacs[h.tid - 1], e->pkt, e->len, now);
				moved = true;
			}
			rp_ev_free(ev);
		}
		if (!moved)
			return;
	}
}

int bench_l2tp(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct rp_rng rng;
	struct rp_log log;
	rp_rng_seeded(&rng, 1);
	rp_log_init(&log, 0, NULL, NULL);
	struct auth_db *db = auth_db_open_file(":memory:", NULL, 0);
	bench_db = db;
	static char names[NB][16];
	for (int i = 0; i < NB; i++) {
		snprintf(names[i], sizeof names[i], "u%d", i);
		auth_account_add(db, names[i], "pw", NULL);
	}
	struct auth_pool *pool = auth_pool_new();
	auth_pool_add_range(pool, 0x0a000002, 0x0a00ffff);
	struct ppp_conf pc;
	ppp_conf_defaults(&pc);
	pc.local_ip = 0x0a000001;
	struct l2tp_conf c = {.ppp = &pc, .pool = pool, .log = &log};
	uint64_t now = 1000;
	struct l2tp *l = l2tp_new(&c, &rng, now);

	/* baseline: the MS-CHAPv2 work one session needs (NT hash + NT-Response), alone */
	uint8_t h[16], r[24], ch[16] = {1}, pch[16] = {2};
	double t0 = now_s();
	for (int i = 0; i < NB; i++) {
		auth_nt_hash("pw", 2, h);
		auth_mschapv2_nt_response(h, ch, pch, names[i], 2, r);
	}
	double base_setup = now_s() - t0;

	t0 = now_s();
	for (int i = 0; i < NB; i++) {
		lacs[i].send = lac_sink;
		lacs[i].ctx = &lacs[i];
		l2tp_lac_start(&lacs[i], (uint64_t)i / 8 + 1, (uint16_t)(i + 1), now);
	}
	pump(l, now);
	for (int i = 0; i < NB; i++)
		l2tp_lac_add_session(&lacs[i], 1, names[i], "pw", now);
	pump(l, now);
	double setup = now_s() - t0;
	int up = 0;
	for (int i = 0; i < NB; i++)
		up += ppp_cli_up(&lacs[i].s[0].c);
	printf("l2tp setup: %d/%d sessions up (SCCRQ..IPCP, MS-CHAPv2 via SQLite) in %.3f s = %.0f "
	       "sessions/s; baseline MS-CHAPv2 math alone %.4f s (setup/baseline %.1fx)\n",
	       up, NB, setup, NB / setup, base_setup, setup / base_setup);

	/* data path: 1400-byte IPv4 packets from the peer (L2TP data -> PPP -> IP event) */
	struct l2tp_lac *t = &lacs[0];
	struct l2tp_lac_sess *s = &t->s[0];
	uint8_t pkt[8 + 4 + 1400];
	int hl = l2tp_data_hdr(pkt, sizeof pkt, t->lns_tid, s->lns_sid, sizeof pkt);
	pkt[hl] = 0xff, pkt[hl + 1] = 0x03, pkt[hl + 2] = 0x00, pkt[hl + 3] = 0x21;
	memset(pkt + hl + 4, 0, 1400);
	pkt[hl + 4] = 0x45;
	rp_put_u32(pkt + hl + 4 + 12, s->c.ip);
	const int N = 200000;
	static uint8_t sink[sizeof pkt];
	t0 = now_s();
	for (int i = 0; i < N; i++) {
		memcpy(sink, pkt, sizeof pkt);
		__asm__ volatile("" ::"r"(sink) : "memory");
	}
	double base = now_s() - t0;
	t0 = now_s();
	unsigned ev_ip = 0;
	for (int i = 0; i < N; i++) {
		l2tp_input(l, &t->link, pkt, sizeof pkt, now);
		struct rp_ev *ev;
		while ((ev = l2tp_next_event(l))) {
			ev_ip += ev->type == L2TP_EV_IP;
			rp_ev_free(ev);
		}
	}
	double rx = now_s() - t0;
	t0 = now_s();
	for (int i = 0; i < N; i++) {
		l2tp_output_ip(l, s->c.ip, pkt + hl + 4, 1400, now);
		struct rp_ev *ev;
		while ((ev = l2tp_next_event(l)))
			rp_ev_free(ev);
	}
	double tx = now_s() - t0;
	printf("l2tp data rx: %u packets of 1400 B in %.3f s = %.0f pkt/s (%.2f Gbit/s); memcpy "
	       "baseline %.4f s (ratio %.1fx)\n",
	       ev_ip, rx, N / rx, N / rx * 1400 * 8 / 1e9, base, rx / base);
	printf("l2tp data tx: %d packets of 1400 B in %.3f s = %.0f pkt/s (%.2f Gbit/s); ratio to "
	       "memcpy %.1fx\n",
	       N, tx, N / tx, N / tx * 1400 * 8 / 1e9, tx / base);
	printf("l2tp state: tunnel %zu B + receive window %u x %zu B, session %zu B + PPP %zu B "
	       "(plus queued control messages while unacknowledged)\n",
	       sizeof(struct l2tp_tunnel), l->conf.recv_window, sizeof(struct l2tp_ooo),
	       sizeof(struct l2tp_session), ppp_sizeof());
	l2tp_free(l);
	free(pend);
	auth_pool_free(pool);
	auth_db_close(db);
	return up == NB ? 0 : 1;
}
