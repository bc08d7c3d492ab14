/* rampart-bench ike_churn [SAs...]: the IKE core's own cost of one client connecting and
 * disconnecting against the number of established clients it holds (issue 17). Everything the
 * core does on those events except the cryptography (DH, PRFs: constant per connect, and timed by
 * `rampart-bench ike`): Main Mode completing with INITIAL-CONTACT as Windows sends it (ike_mm_finish:
 * INITIAL-CONTACT handling, orphan adoption, IKE_UP), its IPsec SA installed, then the peer's DELETE
 * of the IPsec SA and of the IKE SA (the heir search), with ike_tick, ike_next_deadline and the
 * events drained as rampartd does. The clients held are what tests/load/run.sh makes: all behind one
 * NAT (one address, ports 1024-61023, then the next address), all asserting the same phase-1 ID
 * (Windows sends its private address), each with one IPsec SA. Default sizes 1000 10000 100000. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike_local.h"

int bench_ike_churn(int argc, char **argv);

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void drain(struct ike *ike)
{
	struct rp_ev *ev;
	while ((ev = ike_next_event(ike)))
		rp_ev_free(ev);
}

static void peer_of(unsigned long i, struct rp_addr *a)
{
	rp_addr_v4(a, 0xc6120000u + (uint32_t)(i / 60000) * 0x10000u + 2, (uint16_t)(1024 + i % 60000));
}

/* Main Mode up to MM5 done (keys as if derived), then ike_mm_finish: what MM5 leads to. */
static struct ike_sa *cli_connect(struct ike *ike, unsigned long i, bool ic, uint64_t now)
{
	struct ike_sa *sa = ike_sa_add(ike);
	if (!sa)
		return NULL;
	uint64_t ck = i * 0x9e3779b97f4a7c15ull + 1;
	memcpy(sa->icky, &ck, 8);
	ck = ~ck;
	memcpy(sa->rcky, &ck, 8);
	sa->state = IKE_ST_MM4;
	sa->created_ms = now;
	peer_of(i, &sa->peer);
	rp_addr_v4(&sa->local, 0xcb007101, 4500);
	snprintf(sa->peer_id, sizeof sa->peer_id, "192.168.1.2");
	sa->ch = (struct ike_p1_choice){.enc = IKE_ENC_AES,
	                                .keylen = 256,
	                                .hash = IKE_HASH_SHA1,
	                                .group = 14,
	                                .auth = IKE_AUTH_PSK,
	                                .life_s = 28800};
	sa->k.hash = IKE_HASH_SHA1;
	sa->k.hlen = 20;
	sa->k.enc = IKE_ENC_AES;
	sa->k.klen = 32;
	sa->k.blk = 16;
	sa->gxy = calloc(1, 256);
	sa->gxylen = 256;
	sa->initial_contact = ic;
	ike_sa_link(ike, sa);
	uint8_t buf[256] = {0};
	memcpy(buf, sa->icky, 8);
	memcpy(buf + 8, sa->rcky, 8);
	buf[16] = ISAKMP_PL_ID;
	buf[17] = 0x10;
	buf[18] = ISAKMP_EX_IDPROT;
	if (ike_mm_finish(ike, sa, buf, 28 + 40, sizeof buf))
		return NULL;
	return sa;
}

/* What Quick Mode's QM2 installs (ike_qm.c install), without the keys. */
static struct ike_child *child(struct ike *ike, struct ike_sa *sa, uint32_t spi, uint64_t now)
{
	struct ike_child *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->owner = sa;
	c->ev.spi_in = spi;
	c->ev.spi_out = ~spi;
	c->ev.local = sa->local;
	c->ev.peer = sa->peer;
	c->ev.life_s = 3600;
	snprintf(c->ev.peer_id, sizeof c->ev.peer_id, "%s", sa->peer_id);
	c->expire_ms = now + 3600 * 1000;
	if (ike_child_link(ike, c)) {
		free(c);
		return NULL;
	}
	return c;
}

int bench_ike_churn(int argc, char **argv)
{
	static const unsigned long defs[] = {1000, 10000, 100000};
	size_t nsz = argc > 1 ? (size_t)argc - 1 : sizeof defs / sizeof defs[0];
	struct rp_rng rng;
	struct rp_log log;
	rp_rng_gnutls(&rng, 2);
	rp_log_init(&log, 0, NULL, NULL);
	printf("ike_churn: one client connecting (Main Mode end with INITIAL-CONTACT, an IPsec SA) and "
	       "disconnecting (DELETE of both) against the clients held behind one NAT (thread CPU, no "
	       "cryptography)\n");
	int rc = 0;
	for (size_t k = 0; k < nsz; k++) {
		unsigned long n = argc > 1 ? strtoul(argv[k + 1], NULL, 10) : defs[k];
		struct ike_conf c;
		ike_conf_defaults(&c);
		c.max_sa = n + 16;
		struct ike *ike = ike_new(&c, &rng, &log);
		if (!ike)
			return 1;
		uint64_t now = 1000;
		double f0 = cpu_s();
		for (unsigned long i = 0; i < n; i++) {
			struct ike_sa *sa = cli_connect(ike, i, false, now);
			if (!sa || !child(ike, sa, 0x1000u + (uint32_t)i, now)) {
				rc = 1;
				break;
			}
			drain(ike);
		}
		double fill = cpu_s() - f0;
		unsigned long cycles = 0;
		double t = 0, t0 = cpu_s();
		while (t < 0.3 && rc == 0) {
			/* a client beyond those held, each cycle on a fresh NAT port */
			unsigned long id = n + 1 + cycles;
			struct ike_sa *sa = cli_connect(ike, id, true, now);
			struct ike_child *ch =
			    sa ? child(ike, sa, 0x80000000u + (uint32_t)cycles, now) : NULL;
			if (!ch) {
				rc = 1;
				break;
			}
			ike_tick(ike, now);
			(void)ike_next_deadline(ike);
			drain(ike);
			ike_child_delete(ike, ch, false, "deleted by the peer");
			ike_sa_remove(ike, sa, "deleted by the peer", false);
			ike_tick(ike, now);
			(void)ike_next_deadline(ike);
			drain(ike);
			cycles++;
			t = cpu_s() - t0;
		}
		if (ike_sa_count(ike) != n || ike_child_count(ike) != n) {
			fprintf(stderr, "ike_churn: %zu IKE SAs and %zu IPsec SAs held, wanted %lu\n",
			        ike_sa_count(ike), ike_child_count(ike), n);
			rc = 1;
		}
		printf("ike_churn ike_sas=%lu us_per_connect_disconnect=%.3f cycles=%lu "
		       "fill_us_per_client=%.3f\n",
		       n, cycles ? t / (double)cycles * 1e6 : 0.0, cycles, fill / (double)n * 1e6);
		ike_free(ike);
	}
	return rc;
}
