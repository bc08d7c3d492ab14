/* rampart-bench ike: full Main Mode + Quick Mode handshakes (PSK) of the test initiator against
 * the responder core, MODP2048 (group 14) and ECP256 (group 19). Only the responder's calls
 * (ike_input and draining its events) are timed; beside it, in the same run, the rate of the
 * responder's DH work alone (key generation + shared secret) with the same code and rng. The
 * two are interleaved (one handshake, one DH pair) and timed in thread CPU time, so other load
 * on a shared machine shifts neither figure nor their ratio. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike_testinit.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct hs {
	struct ike *r;
	double t_resp;
	uint8_t reply[IKE_MAXBUF];
	size_t replylen;
	int installs;
};

static void resp_call(struct hs *h, const uint8_t *p, size_t n, const struct rp_addr *src,
                      const struct rp_addr *dst)
{
	struct rp_pkt pk = {.data = p, .len = n, .src = *src, .dst = *dst};
	double t0 = now_s();
	ike_input(h->r, &pk, 1000);
	struct rp_ev *ev;
	h->replylen = 0;
	while ((ev = ike_next_event(h->r))) {
		if (ev->type == IKE_EV_SEND && ev->len <= sizeof h->reply) {
			memcpy(h->reply, ev->data, ev->len);
			h->replylen = ev->len;
		} else if (ev->type == IKE_EV_SA_INSTALL) {
			h->installs++;
		}
		rp_ev_free(ev);
	}
	h->t_resp += now_s() - t0;
}

static int run(uint16_t group, double seconds, double *hs_per_s, double *dh_per_s)
{
	static const uint8_t psk[] = "bench-psk";
	struct ike_psk k = {.kind = IKE_PSK_ANY, .key = psk, .keylen = sizeof psk - 1};
	struct ike_conf c;
	struct rp_rng rr, ri;
	struct rp_log lg;
	struct hs h = {0};
	ike_conf_defaults(&c);
	c.psks = &k;
	c.npsk = 1;
	rp_rng_gnutls(&rr, 2);
	rp_rng_seeded(&ri, 42);
	rp_log_init(&lg, 0, NULL, NULL);
	h.r = ike_new(&c, &rr, &lg);
	struct ike_p1_alg p1 = {IKE_ENC_AES, 128, IKE_HASH_SHA1, group};
	struct ike_ti_p2 p2 = {IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA1};
	struct ike_ti_conf tc = {.p1 = &p1,
	                         .np1 = 1,
	                         .p2 = &p2,
	                         .np2 = 1,
	                         .psk = psk,
	                         .psklen = sizeof psk - 1,
	                         .natt = IKE_NATT_RFC,
	                         .client_port = 1701};
	rp_addr_v4(&tc.remote, 0xcb007101, 500);
	rp_addr_v4(&tc.local, 0x64400a0a, 500);
	struct ike_dh peer, me;
	uint8_t sec[IKE_MAXPUB];
	size_t sl;
	ike_dh_init(&peer, group, &ri);
	int n = 0, m = 0;
	double start = now_s(), t_dh = 0;
	uint8_t out[IKE_MAXBUF];
	while (now_s() - start < seconds) {
		struct ike_ti *t = ike_ti_new(&tc, &ri);
		long len = (long)ike_ti_start(t, out, sizeof out);
		while (len > 0) {
			int step = t->step;
			resp_call(&h, out, (size_t)len, &tc.local, &tc.remote);
			if (step == 9 || !h.replylen)
				break;
			len = ike_ti_input(t, h.reply, h.replylen, out, sizeof out);
		}
		ike_ti_free(t);
		n++;
		if (n % 2000 == 0) { /* keep the table at a realistic, bounded size */
			ike_free(h.r);
			h.r = ike_new(&c, &rr, &lg);
		}
		/* the responder's DH work alone: its key pair and the shared secret */
		double t0 = now_s();
		ike_dh_init(&me, group, &rr);
		ike_dh_shared(&me, peer.pub, peer.publen, sec, &sl);
		ike_dh_clear(&me);
		t_dh += now_s() - t0;
		m++;
	}
	ike_dh_clear(&peer);
	ike_free(h.r);
	if (h.installs != n) {
		fprintf(stderr, "bench: %d handshakes, %d installs\n", n, h.installs);
		return -1;
	}
	*hs_per_s = n / h.t_resp;
	*dh_per_s = m / t_dh;
	printf("group %u: %d handshakes, responder %.3f s -> %.0f hs/s; DH-only %.0f ops/s; ratio %.2f\n",
	       group, n, h.t_resp, *hs_per_s, *dh_per_s, *hs_per_s / *dh_per_s);
	return 0;
}

int bench_ike(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3.0, hs14, dh14, hs19, dh19;
	if (run(14, secs, &hs14, &dh14) || run(19, secs, &hs19, &dh19))
		return 1;
	printf(
	    "ike-bench modp2048_hs_per_s=%.0f modp2048_ratio=%.2f ecp256_hs_per_s=%.0f ecp256_ratio=%.2f\n",
	    hs14, hs14 / dh14, hs19, hs19 / dh19);
	return 0;
}
