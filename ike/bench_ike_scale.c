/* rampart-bench ike_scale [SAs...]: the cost of one IKE packet (ike_input, then what rampartd's
 * srv_core_run does after it: ike_tick, ike_next_deadline, draining the events) against the number of
 * IKE SAs the responder holds. Each size gets that many half-open Main Mode SAs (one MM1 each, distinct
 * cookies and sources; no DH is done before MM3), then MM1 retransmissions of those SAs (answered from
 * the stored MM2) are timed for ~0.3 s of thread CPU time. Default sizes 1000 10000 100000. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike.h"
#include "isakmp.h"

static volatile uint64_t bench_sink; /* keeps the timed calls from being optimised away */

int bench_ike_scale(int argc, char **argv);

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void tv(struct rp_wr *w, uint16_t t, uint16_t v)
{
	rp_wr_u16(w, (uint16_t)(0x8000 | t));
	rp_wr_u16(w, v);
}

/* MM1 with one proposal: AES-128, SHA1, MODP-2048, PSK, 8 h (what Windows offers first). */
static size_t mm1(uint8_t *out, size_t cap, const uint8_t icky[8])
{
	static const uint8_t zero[8];
	struct isakmp_wr w;
	isakmp_wr_init(&w, out, cap);
	isakmp_wr_hdr(&w, icky, zero, ISAKMP_EX_IDPROT, 0, 0);
	size_t s = isakmp_wr_begin(&w, ISAKMP_PL_SA);
	rp_wr_u32(&w.w, 1); /* DOI IPsec */
	rp_wr_u32(&w.w, 1); /* identity only */
	size_t ps = w.w.len;
	rp_wr_u8(&w.w, 0);
	rp_wr_u8(&w.w, 0);
	rp_wr_u16(&w.w, 0);
	rp_wr_u8(&w.w, 1);
	rp_wr_u8(&w.w, ISAKMP_PROTO_ISAKMP);
	rp_wr_u8(&w.w, 0);
	rp_wr_u8(&w.w, 1);
	size_t ts = w.w.len;
	rp_wr_u8(&w.w, 0);
	rp_wr_u8(&w.w, 0);
	rp_wr_u16(&w.w, 0);
	rp_wr_u8(&w.w, 1);
	rp_wr_u8(&w.w, 1); /* KEY_IKE */
	rp_wr_u16(&w.w, 0);
	tv(&w.w, 1, 7); /* AES-CBC */
	tv(&w.w, 14, 128);
	tv(&w.w, 2, 2);  /* SHA1 */
	tv(&w.w, 4, 14); /* MODP-2048 */
	tv(&w.w, 3, 1);  /* PSK */
	tv(&w.w, 11, 1); /* seconds */
	rp_wr_u16(&w.w, 12);
	rp_wr_u16(&w.w, 4);
	rp_wr_u32(&w.w, 28800);
	rp_wr_put_u16_at(&w.w, ts + 2, (uint16_t)(w.w.len - ts));
	rp_wr_put_u16_at(&w.w, ps + 2, (uint16_t)(w.w.len - ps));
	isakmp_wr_end(&w, s);
	return isakmp_wr_finish(&w);
}

static void pkt_for(unsigned long i, uint8_t icky[8], struct rp_pkt *p, uint8_t *buf, size_t cap)
{
	memset(icky, 0, 8);
	memcpy(icky, &i, sizeof i < 8 ? sizeof i : 8);
	icky[7] = 0x5a;
	memset(p, 0, sizeof *p);
	p->data = buf;
	p->len = mm1(buf, cap, icky);
	rp_addr_v4(&p->src, 0xc6120000u + (uint32_t)(i / 60000) * 0x10000u + 1, (uint16_t)(1024 + i % 60000));
	rp_addr_v4(&p->dst, 0xc6130001u, 500);
}

static void drain(struct ike *ike)
{
	struct rp_ev *ev;
	while ((ev = ike_next_event(ike)))
		rp_ev_free(ev);
}

int bench_ike_scale(int argc, char **argv)
{
	static const unsigned long defs[] = {1000, 10000, 100000};
	size_t nsz = argc > 1 ? (size_t)argc - 1 : sizeof defs / sizeof defs[0];
	struct rp_rng rng;
	struct rp_log log;
	rp_rng_gnutls(&rng, 2);
	rp_log_init(&log, 0, NULL, NULL);
	static const uint8_t key[] = "bench-psk";
	struct ike_psk psk = {.kind = IKE_PSK_ANY, .key = key, .keylen = sizeof key - 1};
	printf("ike_scale: one IKE packet (MM1 retransmission) + ike_tick + ike_next_deadline, per packet, "
	       "against the IKE SAs held (thread CPU time)\n");
	int rc = 0;
	uint8_t buf[1024], icky[8];
	for (size_t k = 0; k < nsz; k++) {
		unsigned long n = argc > 1 ? strtoul(argv[k + 1], NULL, 10) : defs[k];
		struct ike_conf c;
		ike_conf_defaults(&c);
		c.psks = &psk;
		c.npsk = 1;
		c.max_sa = n + 16;
		c.halfopen_ms = 3600000;
		c.max_halfopen = n + 16; /* every one is held half-open here, 60,000 per address */
		c.max_halfopen_ip = 60000;
		struct ike *ike = ike_new(&c, &rng, &log);
		if (!ike)
			return 1;
		uint64_t now = 1000;
		for (unsigned long i = 0; i < n; i++) {
			struct rp_pkt p;
			pkt_for(i, icky, &p, buf, sizeof buf);
			p.rx_ms = now;
			ike_input(ike, &p, now);
			ike_tick(ike, now);
			(void)ike_next_deadline(ike);
			drain(ike);
		}
		if (ike_sa_count(ike) != n) {
			fprintf(stderr, "ike_scale: %zu IKE SAs, wanted %lu\n", ike_sa_count(ike), n);
			rc = 1;
		}
		unsigned long pkts = 0;
		double t = 0, t0 = now_s();
		while (t < 0.3) {
			for (int j = 0; j < 16; j++, pkts++) {
				struct rp_pkt p;
				pkt_for((pkts * 7919) % n, icky, &p, buf, sizeof buf);
				p.rx_ms = now;
				ike_input(ike, &p, now);
				ike_tick(ike, now);
				bench_sink ^= ike_next_deadline(ike);
				drain(ike);
			}
			t = now_s() - t0;
		}
		printf("ike_scale ike_sas=%lu us_per_packet=%.3f packets=%lu\n", n, t / (double)pkts * 1e6,
		       pkts);
		ike_free(ike);
	}
	return rc;
}
