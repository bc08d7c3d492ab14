/* rampart-bench path: the daemon's data path composed from the cores, in memory, one core:
 *   rx: ESP-in-UDP packet -> esp_decap -> l2tp_input -> PPP -> IPv4 for the TUN (ip_deliver)
 *   tx: IPv4 from the TUN -> l2tp_output_ip -> PPP -> data_send -> inner UDP -> esp_encap
 * for AES-GCM-128 and AES-CBC-128 + HMAC-SHA1-96, 1400-byte IP packets, with ESP alone on the
 * same packets measured in the same run as the baseline (ratio = path / ESP-only throughput:
 * what L2TP, PPP and the glue cost), and every allocation on the timed path counted. The
 * session is brought up by the test LAC (SCCRQ ... IPCP) exactly as in the l2tp tests.
 *
 *   rampart-bench path [packets [idle-SAs]]   with idle-SAs, that many idle SA pairs (with
 * lifetimes, as IKE installs them) share the SAD, and after every packet the loop does what
 * rampartd's srv_core_run does (esp_tick, l2tp_tick and their next deadlines); each transform
 * is measured with no idle SA and with them, and idle ratio = path(idle) / path(1 SA). */
#include <stdio.h>
#include <string.h>
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

#include "auth.h"
#include "bench_alloc.h"
#include "esp.h"
#include "natt.h"
#include "policy.h"
#include "ppp.h"

int bench_path(int argc, char **argv);

#define IPLEN 1400
#define HEAD 128
#define SLOT 2048
#define REPS 3
#define FLOWS 1024             /* distinct remote hosts the packets go to and come from */
#define FLOW_BASE 0xc6130000u  /* 198.19.0.0: no filter names these */
#define FLOW_NAMED 0x0a00c800u /* 10.0.200.0: in a /16 the filters name, matched by none */
static uint32_t flow_base = FLOW_BASE;

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bulk TCP (a data segment with ACK): the MSS clamp's check goes as deep as it can without a SYN */
static void tcp_ack(uint8_t *ip)
{
	ip[9] = 6;
	ip[20 + 12] = 0x50;
	ip[20 + 13] = 0x10;
}

struct path {
	struct esp_sad *srv, *cli; /* rampart's SAD and the client's mirror of it */
	uint32_t in_id, out_id, cli_out;
	struct l2tp *l2tp;
	struct l2tp_lac lac;
	uint8_t lac_out[16][700]; /* what the LAC sent while the session came up */
	size_t lac_out_len[16];
	int lac_nout;
	unsigned delivered, sent;
	bool setup;        /* while the session comes up, PPP frames go to the test LAC unencrypted */
	struct pol_dp *dp; /* with filters: the daemon's check (srv_policy_packet) on both ways */
	unsigned blocked;
	uint8_t tx[SLOT + HEAD];
};

static void lac_sink(void *ctx, const uint8_t *p, size_t n)
{
	struct path *P = ctx;
	if (P->lac_nout < 16 && n <= sizeof P->lac_out[0]) {
		memcpy(P->lac_out[P->lac_nout], p, n);
		P->lac_out_len[P->lac_nout++] = n;
	}
}

static void ip_deliver(void *ctx, const struct l2tp_link *link, const uint8_t *p, size_t n)
{
	struct path *P = ctx;
	(void)link;
	struct pol_dp_pkt k;
	if (P->dp && !pol_pkt_parse(p, n, &k) && !pol_dp_permit(P->dp, &k, "", NULL)) {
		P->blocked++;
		return;
	}
	P->delivered += n == IPLEN;
}

/* what rampartd's send_l2tp does: inner UDP header in headroom, then ESP in place */
static void data_send(void *ctx, const struct l2tp_link *link, const uint8_t *p, size_t n)
{
	struct path *P = ctx;
	struct rp_buf b;
	struct esp_tx tx;
	if (P->setup) {
		l2tp_lac_input(&P->lac, p, n, 1000);
		return;
	}
	rp_buf_view(&b, P->tx, sizeof P->tx, HEAD, 0);
	memcpy(rp_buf_put(&b, n), p, n);
	natt_udp_push(&b, 1701, 1701);
	P->sent += esp_encap(P->srv, (uint32_t)link->sa, &b, 0, &tx) == 0;
}

/* rampartd's send_l2tp_buf: the frame PPP and L2TP pushed into the TUN read's buffer gets the
 * inner UDP header and ESP in place too */
static void data_send_buf(void *ctx, const struct l2tp_link *link, struct rp_buf *b)
{
	struct path *P = ctx;
	struct esp_tx tx;
	if (P->setup) {
		l2tp_lac_input(&P->lac, rp_buf_data(b), b->len, 1000);
		return;
	}
	natt_udp_push(b, 1701, 1701);
	P->sent += esp_encap(P->srv, (uint32_t)link->sa, b, 0, &tx) == 0;
}

/* An inbound SA again under the same SPI and keys: a fresh replay window for the next round. */
static int readd_in(struct esp_sad *sad, const struct esp_sa_params *p, uint32_t *id)
{
	esp_sa_del(sad, *id);
	return esp_sa_add(sad, p, 0, id);
}

struct run_result {
	double rx_pps, tx_pps, base_rx_pps, base_tx_pps;
	unsigned long allocs, pkts, copies_rx, copies_tx;
	int err;
};

/* What srv_core_run does after every batch of packets (SRV_MMSG: one recvmmsg or 16 TUN reads)
 * for the data-path cores. */
#define BATCH 16
static void per_packet(struct path *P, uint64_t now)
{
	esp_tick(P->srv, now);
	l2tp_tick(P->l2tp, now);
	volatile uint64_t d = esp_next_deadline(P->srv) ^ l2tp_next_deadline(P->l2tp);
	(void)d;
}

/* n idle pairs as srv_core_sa_install would put them: hour-long lifetimes, distinct SPIs */
static int add_idle(struct esp_sad *sad, const struct esp_sa_params *tmpl, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct esp_sa_params p = *tmpl;
		uint32_t id;
		p.hard_ms = 3600000u + (uint64_t)(i % 3600) * 1000u;
		p.spi = 0x10000 + i; /* the peer's SPI: on the wire only */
		p.dir = ESP_DIR_OUT;
		if (esp_sa_add(sad, &p, 0, &id))
			return -1;
		p.dir = ESP_DIR_IN;
		p.spi = 0; /* ours: a free random one, as rampartd's Quick Mode reserves */
		p.owner = id;
		if (esp_sa_add(sad, &p, 0, &id))
			return -1;
	}
	return 0;
}

static void run(enum esp_encr encr, enum esp_auth auth, unsigned n, unsigned idle, struct pol_dp *dp,
                struct run_result *r)
{
	static struct path P;
	struct rp_rng rng, seeded;
	struct rp_log log;
	memset(&P, 0, sizeof P);
	memset(r, 0, sizeof *r);
	rp_rng_gnutls(&rng, 0);
	rp_rng_seeded(&seeded, 7);
	rp_log_init(&log, 0, NULL, NULL);
	P.srv = esp_sad_new(NULL, &rng, NULL);
	P.cli = esp_sad_new(NULL, &rng, NULL);
	struct esp_sad *base = esp_sad_new(NULL, &rng, NULL);

	/* rampart's pair (in 0x1000, out 0x2000); the client's mirror; the baseline SAD's copy */
	struct esp_sa_params out = {.dir = ESP_DIR_OUT,
	                            .spi = 0x2000,
	                            .encr = encr,
	                            .encr_keybits = 128,
	                            .auth = auth,
	                            .inner_local_port = 1701,
	                            .encap = ESP_ENCAP_UDP,
	                            .replay_window = 4096};
	out.enc_key_len = encr == ESP_ENCR_AES_GCM_16 ? 20 : 16;
	out.auth_key_len = auth ? 20 : 0;
	rp_rng_fill(&rng, out.enc_key, out.enc_key_len);
	rp_rng_fill(&rng, out.auth_key, out.auth_key_len);
	rp_addr_v4(&out.local, 0xcb007101, 4500);
	rp_addr_v4(&out.peer, 0xcb007102, 4500);
	struct esp_sa_params in = out, cli_out = out;
	in.dir = ESP_DIR_IN;
	in.spi = 0x1000;
	cli_out.spi = 0x1000;
	cli_out.local = out.peer;
	cli_out.peer = out.local;
	uint32_t base_in = 0, base_out = 0;
	r->err |= esp_sa_add(P.srv, &out, 0, &P.out_id) != 0;
	in.owner = P.out_id;
	r->err |= esp_sa_add(P.srv, &in, 0, &P.in_id) != 0;
	r->err |= esp_sa_add(P.cli, &cli_out, 0, &P.cli_out) != 0;
	r->err |= esp_sa_add(base, &out, 0, &base_out) != 0;
	r->err |= esp_sa_add(base, &in, 0, &base_in) != 0;
	r->err |= add_idle(P.srv, &out, idle) != 0;

	/* the LNS with the data fast path, and a session brought up by the test LAC */
	struct auth_db *db = auth_db_open_file(":memory:", NULL, 0);
	auth_account_add(db, "bench", "pw", NULL);
	struct auth_pool *pool = auth_pool_new();
	auth_pool_add_range(pool, 0xc6120a02, 0xc6120aff);
	struct ppp_conf pc;
	ppp_conf_defaults(&pc);
	pc.local_ip = 0xc6120a01;
	/* MSS clamping as rampartd's default (auto, TUN MTU 1400) sets it: every packet is checked */
	struct l2tp_conf c = {.ppp = &pc,
	                      .pool = pool,
	                      .log = &log,
	                      .data_send = data_send,
	                      .data_send_buf = data_send_buf,
	                      .ip_deliver = ip_deliver,
	                      .data_ctx = &P,
	                      .mss_clamp4 = 1360,
	                      .mss_clamp6 = 1340};
	P.l2tp = l2tp_new(&c, &seeded, 1000);
	uint64_t sa = (uint64_t)P.in_id << 32 | P.out_id;
	P.lac.send = lac_sink;
	P.lac.ctx = &P;
	l2tp_lac_start(&P.lac, sa, 1, 1000);
	P.setup = true;
	for (int phase = 0; phase < 2; phase++) {
		if (phase == 1)
			l2tp_lac_add_session(&P.lac, 1, "bench", "pw", 1000);
		for (int round = 0; round < 50; round++) {
			/* copied out first: the LNS answers into the LAC synchronously (data_send) */
			static uint8_t batch[16][700];
			size_t blen[16];
			int nout = P.lac_nout;
			memcpy(batch, P.lac_out, sizeof batch);
			memcpy(blen, P.lac_out_len, sizeof blen);
			P.lac_nout = 0;
			for (int k = 0; k < nout; k++)
				l2tp_input(P.l2tp, &P.lac.link, batch[k], blen[k], 1000);
			struct rp_ev *ev;
			while ((ev = l2tp_next_event(P.l2tp))) {
				if (ev->type == L2TP_EV_AUTH_REQUEST)
					l2tp_auth_from_store(
					    P.l2tp, db, (const struct l2tp_ev_auth *)ev->data, 1000, NULL);
				if (ev->type == L2TP_EV_SEND) {
					struct l2tp_ev_send *e = (struct l2tp_ev_send *)ev->data;
					l2tp_lac_input(&P.lac, e->pkt, e->len, 1000);
				}
				rp_ev_free(ev);
			}
		}
	}
	P.setup = false;
	P.dp = dp;
	struct l2tp_lac_sess *s = &P.lac.s[0];

	/* n client packets (L2TP data, PPP, 1400-byte IPv4), each sealed by the client's SAD */
	uint8_t *pkts = malloc((size_t)n * SLOT), *work = malloc(SLOT + HEAD);
	size_t *lens = malloc(n * sizeof *lens);
	for (unsigned i = 0; pkts && lens && i < n; i++) {
		struct rp_buf b;
		struct esp_tx tx;
		uint8_t *slot = pkts + (size_t)i * SLOT;
		rp_buf_view(&b, slot, SLOT, HEAD, 0);
		uint8_t *m = rp_buf_put(&b, 8 + 4 + IPLEN);
		l2tp_data_hdr(m, 8, P.lac.lns_tid, s->lns_sid, 8 + 4 + IPLEN);
		m[8] = 0xff, m[9] = 0x03, m[10] = 0x00, m[11] = 0x21;
		memset(m + 12, 0, IPLEN);
		m[12] = 0x45;
		rp_put_u16(m + 14, IPLEN);
		tcp_ack(m + 12);
		rp_put_u32(m + 24, s->c.ip);
		rp_put_u32(m + 28, flow_base + i % FLOWS); /* to FLOWS hosts behind the server */
		/* TCP ACKs (the MSS clamp looks at each), ports 40000 -> 4500 */
		rp_put_u16(m + 12 + 20, 40000);
		rp_put_u16(m + 12 + 22, 4500);
		natt_udp_push(&b, 1701, 1701);
		r->err |= esp_encap(P.cli, P.cli_out, &b, 0, &tx) != 0;
		memmove(slot, rp_buf_data(&b), b.len);
		lens[i] = b.len;
	}
	uint8_t ip[IPLEN] = {0x45, [20] = 0x11, [21] = 0x94, [22] = 0x9c, [23] = 0x40}; /* TCP 4500->40000 */
	rp_put_u16(ip + 2, IPLEN);
	tcp_ack(ip);
	rp_put_u32(ip + 16, s->c.ip);
	struct rp_addr src = out.peer;
	double best[4] = {1e9, 1e9, 1e9, 1e9};
	for (int rep = 0; rep < REPS && !r->err; rep++) {
		struct esp_rx rx;
		struct rp_buf b;
		double t[4];
		P.delivered = P.sent = 0;
		r->err |= readd_in(P.srv, &in, &P.in_id) != 0;
		bench_alloc_start();
		bench_copy_start();
		t[0] = cpu_s();
		for (unsigned i = 0; i < n; i++) {
			bench_copy_exempt(true); /* stands for recvmmsg's copy into the receive buffer */
			memcpy(work, pkts + (size_t)i * SLOT, lens[i]);
			bench_copy_exempt(false);
			rp_buf_view(&b, work, SLOT + HEAD, 0, lens[i]);
			if (esp_decap(P.srv, &b, &src, 0, &rx) == 0) {
				/* the daemon builds the link from rx (SPI, owner, inner source) as the LAC's
				 * is */
				struct l2tp_link link = P.lac.link;
				link.sa = (uint64_t)rx.sa_id << 32 | (uint32_t)rx.owner;
				l2tp_input(P.l2tp, &link, rx.payload, rx.payload_len, 0);
			}
			if (i % BATCH == BATCH - 1)
				per_packet(&P, 0);
		}
		t[0] = cpu_s() - t[0];
		r->copies_rx += bench_copy_stop();
		bench_copy_start();
		t[1] = cpu_s();
		for (unsigned i = 0; i < n; i++) {
			rp_put_u32(ip + 12, flow_base + i % FLOWS); /* from FLOWS hosts */
			struct pol_dp_pkt k;
			if (dp && (pol_pkt_parse(ip, IPLEN, &k) || !pol_dp_permit(dp, &k, "", NULL))) {
				P.blocked++;
				continue;
			}
			/* rampartd reads the TUN straight into a transmit slot behind its headroom */
			rp_buf_view(&b, P.tx, sizeof P.tx, HEAD, 0);
			bench_copy_exempt(true); /* stands for the TUN read() */
			memcpy(rp_buf_put(&b, IPLEN), ip, IPLEN);
			bench_copy_exempt(false);
			l2tp_output_ip_buf(P.l2tp, s->c.ip, &b, 0);
			if (i % BATCH == BATCH - 1)
				per_packet(&P, 0);
		}
		t[1] = cpu_s() - t[1];
		r->copies_tx += bench_copy_stop();
		r->allocs += bench_alloc_stop();
		if (P.delivered != n || P.sent != n) {
			fprintf(stderr,
			        "path: %u of %u delivered to the TUN, %u of %u sent (client %08x up %d)\n",
			        P.delivered, n, P.sent, n, s->c.ip, ppp_cli_up(&s->c));
			r->err = 1;
		}
		/* baseline: ESP alone, same packets in, same sizes out */
		r->err |= readd_in(base, &in, &base_in) != 0;
		t[2] = cpu_s();
		for (unsigned i = 0; i < n; i++) {
			memcpy(work, pkts + (size_t)i * SLOT, lens[i]);
			rp_buf_view(&b, work, SLOT + HEAD, 0, lens[i]);
			r->err |= esp_decap(base, &b, &src, 0, &rx) != 0;
		}
		t[2] = cpu_s() - t[2];
		t[3] = cpu_s();
		for (unsigned i = 0; i < n; i++) {
			struct esp_tx tx;
			rp_buf_view(&b, P.tx, sizeof P.tx, HEAD, 8 + 8 + 4 + IPLEN);
			r->err |= esp_encap(base, base_out, &b, 0, &tx) != 0;
		}
		t[3] = cpu_s() - t[3];
		for (int k = 0; k < 4; k++)
			best[k] = t[k] < best[k] ? t[k] : best[k];
	}
	r->pkts = (unsigned long)REPS * n * 2;
	r->rx_pps = n / best[0];
	r->tx_pps = n / best[1];
	r->base_rx_pps = n / best[2];
	r->base_tx_pps = n / best[3];
	rp_wipe(&in, sizeof in);
	rp_wipe(&out, sizeof out);
	rp_wipe(&cli_out, sizeof cli_out);
	l2tp_free(P.l2tp);
	auth_pool_free(pool);
	auth_db_close(db);
	esp_sad_free(P.srv);
	esp_sad_free(P.cli);
	esp_sad_free(base);
	free(pkts);
	free(work);
	free(lens);
}

static double dmin2(double a, double b)
{
	return a < b ? a : b;
}

static void no_out(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

/* nfilt dialup filters (block and permit, addresses, protocols and ports none of the bench's
 * packets match, so each lookup that misses the verdict cache walks them all) compiled as
 * rampartd compiles them; the path with them against the path without, in the same run. */
static int filters_bench(enum esp_encr e, enum esp_auth a, unsigned n, unsigned nfilt)
{
	struct pol_set set;
	pol_set_init(&set);
	static const char *const base[] = {
	    "static add policy name=p assign=yes",
	    "static add filterlist name=f",
	    "static add filteraction name=b action=block",
	    "static add filteraction name=ok action=permit",
	    "static add filterlist name=g",
	    "static add rule name=blk policy=p filterlist=f filteraction=b conntype=dialup",
	    "static add rule name=pas policy=p filterlist=g filteraction=ok conntype=dialup"};
	char line[256], *argv[16];
	bool ch;
	int bad = 0;
	for (unsigned i = 0; i < sizeof base / sizeof *base + nfilt; i++) {
		if (i < sizeof base / sizeof *base)
			snprintf(line, sizeof line, "%s", base[i]);
		else {
			unsigned k = i - (unsigned)(sizeof base / sizeof *base);
			snprintf(line, sizeof line,
			         "static add filter filterlist=%s srcaddr=any dstaddr=10.%u.%u.0 dstmask=24 "
			         "protocol=%s%s",
			         k % 3 ? "f" : "g", k / 256, k % 256, k % 2 ? "TCP" : "UDP",
			         k % 4 == 1 ? " dstport=445" : "");
		}
		char err[256];
		int argc = pol_split(line, argv, 16);
		bad |= argc < 0 || pol_cmd_run(&set, argc, argv, 0, no_out, NULL, &ch, err, sizeof err);
	}
	struct pol_env env = {0};
	struct pol_dp *dp = pol_dp_compile(&set, &env);
	if (bad || !dp || pol_dp_count(dp) != 2 * nfilt) { /* mirrored: both directions */
		fprintf(stderr, "path: filters not compiled\n");
		pol_dp_free(dp);
		pol_set_free(&set);
		return 1;
	}
	/* alternated, best of each: the machine's other load hits both the same way. Two kinds of
	 * traffic: to and from addresses no filter names (the /16 bitmaps answer), and within a /16
	 * the filters name (the protocol's list is walked once per flow, then the cache answers). */
	static const struct {
		const char *name;
		uint32_t base;
	} kinds[] = {{"unnamed", FLOW_BASE}, {"named16", FLOW_NAMED}};
	double worst = 1e9;
	int bad2 = 0;
	for (size_t kd = 0; kd < 2; kd++) {
		flow_base = kinds[kd].base;
		struct run_result r0 = {0}, r1 = {0}, t0, t1;
		for (int rep = 0; rep < 3; rep++) {
			run(e, a, n, 0, NULL, &t0);
			run(e, a, n, 0, dp, &t1);
			r0.err |= t0.err, r1.err |= t1.err, r1.allocs += t1.allocs;
			r0.rx_pps = t0.rx_pps > r0.rx_pps ? t0.rx_pps : r0.rx_pps;
			r0.tx_pps = t0.tx_pps > r0.tx_pps ? t0.tx_pps : r0.tx_pps;
			r1.rx_pps = t1.rx_pps > r1.rx_pps ? t1.rx_pps : r1.rx_pps;
			r1.tx_pps = t1.tx_pps > r1.tx_pps ? t1.tx_pps : r1.tx_pps;
		}
		double rxr = r1.rx_pps / r0.rx_pps, txr = r1.tx_pps / r0.tx_pps;
		worst = dmin2(worst, dmin2(rxr, txr));
		bad2 |= r0.err || r1.err;
		printf("path-filters filters=%u entries=%zu flows=%u (%s) gcm128 rx %.0f pkt/s (no filters "
		       "%.0f, ratio "
		       "%.3f) | tx %.0f pkt/s (no filters %.0f, ratio %.3f) | allocations %lu%s\n",
		       nfilt, pol_dp_count(dp), FLOWS, kinds[kd].name, r1.rx_pps, r0.rx_pps, rxr, r1.tx_pps,
		       r0.tx_pps, txr, r1.allocs, r0.err || r1.err ? "  ERROR" : "");
	}
	flow_base = FLOW_BASE;
	/* the lookup alone, every packet a new flow in a named /16 (cache misses: the walk) */
	struct pol_dp_pkt k = {.src = 0x64730a0a, .proto = 17, .sport = 40000, .dport = 4500};
	unsigned permitted = 0;
	double t = cpu_s();
	for (unsigned i = 0; i < 1000000; i++) {
		k.dst = FLOW_NAMED + (i & 0x37ff); /* 10.0.200.0 - 10.0.255.255 */
		k.sport = (uint16_t)(i >> 11);
		permitted += pol_dp_permit(dp, &k, "", NULL);
	}
	t = cpu_s() - t;
	/* the per-packet check as the data path runs it (parse the header, then the verdict) on the
	 * bench's own flows: what the ratios above cost, without the ESP and L2TP work around it */
	double per[2];
	for (size_t kd = 0; kd < 2; kd++) {
		uint8_t ip[IPLEN];
		memset(ip, 0, sizeof ip);
		ip[0] = 0x45, ip[9] = 17;
		rp_put_u32(ip + 16, 0x64730a0a);
		rp_put_u16(ip + 20, 40000), rp_put_u16(ip + 22, 4500);
		per[kd] = cpu_s();
		for (unsigned i = 0; i < 1000000; i++) {
			rp_put_u32(ip + 12, kinds[kd].base + i % FLOWS);
			struct pol_dp_pkt q;
			permitted += !pol_pkt_parse(ip, IPLEN, &q) && pol_dp_permit(dp, &q, "", NULL);
		}
		per[kd] = (cpu_s() - per[kd]) * 1e9 / 1000000;
	}
	permitted -= 2000000;
	/* the same with one filter shorter than /16 added (a UDP block of 10.0.0.0/8, as policies
	 * write them): the unnamed flows must still be answered by the /16 index, not the cache */
	double wide = 0;
	{
		char l8[] =
		    "static add filter filterlist=f srcaddr=any dstaddr=10.0.0.0 dstmask=8 protocol=UDP";
		char err[256];
		int argc = pol_split(l8, argv, 16);
		struct pol_dp *dp8 =
		    argc > 0 && !pol_cmd_run(&set, argc, argv, 0, no_out, NULL, &ch, err, sizeof err)
		        ? pol_dp_compile(&set, &env)
		        : NULL;
		uint8_t ip[IPLEN];
		memset(ip, 0, sizeof ip);
		ip[0] = 0x45, ip[9] = 17;
		rp_put_u32(ip + 16, 0x64730a0a);
		rp_put_u16(ip + 20, 40000), rp_put_u16(ip + 22, 4500);
		wide = cpu_s();
		for (unsigned i = 0; dp8 && i < 1000000; i++) {
			rp_put_u32(ip + 12, FLOW_BASE + i % FLOWS);
			struct pol_dp_pkt q;
			permitted += !pol_pkt_parse(ip, IPLEN, &q) && pol_dp_permit(dp8, &q, "", NULL);
		}
		wide = (cpu_s() - wide) * 1e9 / 1000000;
		permitted -= dp8 ? 1000000 : 1;
		pol_dp_free(dp8);
	}
	printf("path-filters-ratio min=%.3f | lookup on a cache miss (walk of the UDP list) %.1f ns | "
	       "per-packet check: unnamed /16 %.1f ns, named /16 (cache hit) %.1f ns, unnamed with a /8 "
	       "filter %.1f ns\n",
	       worst, t * 1e9 / 1000000, per[0], per[1], wide);
	pol_dp_free(dp);
	pol_set_free(&set);
	return bad2 || permitted != 1000000;
}

static double dmin(double a, double b)
{
	return a < b ? a : b;
}

static const char *u2s(unsigned long v, char *b)
{
	snprintf(b, 24, "%lu", v);
	return b;
}

int bench_path(int argc, char **argv)
{
	char cr[24], ct[24];
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 50000;
	unsigned idle = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 0;
	unsigned nfilt = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 0;
	if (n == 0)
		n = 50000;
	bool counted = bench_alloc_available();
	printf("path: 1400-byte IPv4 through ESP(UDP) + L2TP + PPP both ways, one core (thread CPU time), "
	       "best of %d x %u packets; baseline ESP alone on the same packets; idle SA pairs %u\n",
	       REPS, n, idle);
	static const struct {
		const char *name;
		enum esp_encr e;
		enum esp_auth a;
	} cfgs[] = {{"gcm128", ESP_ENCR_AES_GCM_16, ESP_AUTH_NONE},
	            {"cbc128sha1", ESP_ENCR_AES_CBC, ESP_AUTH_HMAC_SHA1}};
	double rx[2], rxr[2], tx[2], txr[2], irx[2] = {1, 1}, itx[2] = {1, 1};
	unsigned long copies_rx = 0, copies_tx = 0;
	int rc = 0;
	for (int i = 0; i < 2; i++) {
		struct run_result r, ri;
		run(cfgs[i].e, cfgs[i].a, n, 0, NULL, &r);
		rx[i] = r.rx_pps * IPLEN * 8 / 1e9;
		tx[i] = r.tx_pps * IPLEN * 8 / 1e9;
		rxr[i] = r.rx_pps / r.base_rx_pps;
		txr[i] = r.tx_pps / r.base_tx_pps;
		printf("path %-10s rx %8.0f pkt/s %6.3f Gbit/s (ESP alone %8.0f, ratio %.3f) | tx %8.0f "
		       "pkt/s %6.3f "
		       "Gbit/s (ESP alone %8.0f, ratio %.3f) | allocations %lu in %lu packets (%s) | packet "
		       "copies rx "
		       "%lu tx %lu%s\n",
		       cfgs[i].name, r.rx_pps, rx[i], r.base_rx_pps, rxr[i], r.tx_pps, tx[i], r.base_tx_pps,
		       txr[i], r.allocs, r.pkts, counted ? "counted" : "not counted", r.copies_rx,
		       r.copies_tx, r.err ? "  ERROR" : "");
		copies_tx += r.copies_tx;
		copies_rx += r.copies_rx;
		if (r.err || (counted && (r.allocs || r.copies_tx)))
			rc = 1;
		if (!idle)
			continue;
		run(cfgs[i].e, cfgs[i].a, n, idle, NULL, &ri);
		irx[i] = ri.rx_pps / r.rx_pps;
		itx[i] = ri.tx_pps / r.tx_pps;
		printf("path %-10s idle_sa_pairs=%u rx %8.0f pkt/s (ratio to 1 SA %.3f) | tx %8.0f pkt/s "
		       "(ratio to 1 SA "
		       "%.3f) | allocations %lu%s\n",
		       cfgs[i].name, idle, ri.rx_pps, irx[i], ri.tx_pps, itx[i], ri.allocs,
		       ri.err ? "  ERROR" : "");
		if (ri.err || (counted && ri.allocs))
			rc = 1;
	}
	printf("path-bench gcm128_rx=%.3f gcm128_rx_ratio=%.3f gcm128_tx=%.3f gcm128_tx_ratio=%.3f "
	       "cbc128sha1_rx=%.3f "
	       "cbc128sha1_rx_ratio=%.3f cbc128sha1_tx=%.3f cbc128sha1_tx_ratio=%.3f copies_rx=%s "
	       "copies_tx=%s\n",
	       rx[0], rxr[0], tx[0], txr[0], rx[1], rxr[1], tx[1], txr[1],
	       counted ? u2s(copies_rx, cr) : "n/a", counted ? u2s(copies_tx, ct) : "n/a");
	if (nfilt && filters_bench(cfgs[0].e, cfgs[0].a, n, nfilt))
		rc = 1;
	if (idle)
		printf("path-idle idle_sa_pairs=%u gcm128_rx_ratio=%.3f gcm128_tx_ratio=%.3f "
		       "cbc128sha1_rx_ratio=%.3f "
		       "cbc128sha1_tx_ratio=%.3f path_ratio_min=%.3f\n",
		       idle, irx[0], itx[0], irx[1], itx[1],
		       dmin(dmin(irx[0], itx[0]), dmin(irx[1], itx[1])));
	return rc;
}
