/* rampart-bench esp: encapsulate + decapsulate 1400-byte inner UDP datagrams in memory on one
 * core, for AES-GCM-128 and AES-CBC-128 + HMAC-SHA1-96, against the raw GnuTLS calls doing the
 * same cryptographic work on the same buffer in the same run (cipher both ways, plus HMAC both
 * ways for CBC). The ratio is ESP throughput / raw throughput: what framing, replay, SAD lookup,
 * padding and IV generation cost. Allocations during the timed ESP loop are counted by wrapping
 * malloc (non-sanitizer builds; ASan owns malloc otherwise).
 *
 *   rampart-bench esp [packets [extra-SAs]]   default 200000 packets per measurement, best of 5;
 *                                            extra-SAs idle GCM SAs share the SAD (lookup cost at scale) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_alloc.h"
#include "esp_local.h"

static volatile uint64_t bench_sink; /* keeps the timed calls from being optimised away */

int bench_esp(int argc, char **argv);

#define INNER 1400
#define REPS 5
#define HEAD 64

/* Thread CPU time, not wall time: on a shared machine preemption would otherwise land on
 * whichever loop happened to be running, and the ratio is about work per packet. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct cfg {
	const char *name;
	enum esp_encr e;
	unsigned bits;
	enum esp_auth a;
};

static const struct cfg cfgs[] = {
    {"gcm128", ESP_ENCR_AES_GCM_16, 128, ESP_AUTH_NONE},
    {"cbc128sha1", ESP_ENCR_AES_CBC, 128, ESP_AUTH_HMAC_SHA1},
};

struct result {
	double esp_pps, raw_pps;
	unsigned long allocs;
	unsigned long pkts;
	int err;
};

static double run_esp(struct esp_sad *sad, uint32_t out_id, const struct rp_addr *src, uint8_t *mem,
                      size_t cap, unsigned long n, int *err)
{
	struct rp_buf b;
	rp_buf_view(&b, mem, cap, HEAD, INNER);
	struct esp_rx rx;
	double t0 = now_s();
	for (unsigned long i = 0; i < n; i++) {
		if (esp_encap(sad, out_id, &b, 0, NULL) || esp_decap(sad, &b, src, 0, &rx)) {
			*err = 1;
			break;
		}
	}
	return now_s() - t0;
}

/* The same cryptographic work through GnuTLS directly, on the same buffer and lengths. */
static double run_raw(const struct cfg *c, const uint8_t *key, const uint8_t *akey, uint8_t *mem,
                      unsigned long n)
{
	const struct esp_encr_desc *e = esp_encr_find(c->e, c->bits);
	gnutls_cipher_hd_t h;
	gnutls_hmac_hd_t m = NULL;
	gnutls_datum_t k = {(unsigned char *)key, c->bits / 8};
	if (gnutls_cipher_init(&h, e->alg, &k, NULL) < 0)
		return -1;
	if (c->a && gnutls_hmac_init(&m, GNUTLS_MAC_SHA1, akey, 20) < 0)
		return -1;
	size_t ivl = e->iv_len, ct = (INNER + 2 + e->block - 1) / e->block * e->block;
	uint8_t *hdr = mem + HEAD, *iv = hdr + 8, *p = iv + ivl, tag[64], nonce[12] = {1, 2, 3, 4};
	double t0 = now_s();
	for (unsigned long i = 0; i < n; i++) {
		if (e->aead_icv) {
			for (int dir = 0; dir < 2; dir++) {
				gnutls_cipher_set_iv(h, nonce, 12);
				gnutls_cipher_add_auth(h, hdr, 8);
				if (dir == 0)
					gnutls_cipher_encrypt(h, p, ct);
				else
					gnutls_cipher_decrypt(h, p, ct);
				gnutls_cipher_tag(h, tag, 16);
			}
		} else {
			gnutls_cipher_set_iv(h, iv, ivl);
			gnutls_cipher_encrypt(h, p, ct);
			gnutls_hmac(m, hdr, 8 + ivl + ct);
			gnutls_hmac_output(m, tag);
			gnutls_hmac(m, hdr, 8 + ivl + ct);
			gnutls_hmac_output(m, tag);
			gnutls_cipher_set_iv(h, iv, ivl);
			gnutls_cipher_decrypt(h, p, ct);
		}
	}
	double dt = now_s() - t0;
	gnutls_cipher_deinit(h);
	if (m)
		gnutls_hmac_deinit(m, NULL);
	return dt;
}

static void bench_one(const struct cfg *c, unsigned long n, unsigned long extra, struct result *r)
{
	static uint8_t mem[4096];
	memset(r, 0, sizeof *r);
	r->esp_pps = r->raw_pps = 1;
	struct rp_rng rng;
	rp_rng_gnutls(&rng, 0); /* nonce level: CBC IVs and SPIs */
	struct esp_sad *sad = esp_sad_new(NULL, &rng, NULL);
	for (unsigned long i = 0; i < extra; i++) {
		struct esp_sa_params q = {
		    .dir = ESP_DIR_IN, .encr = ESP_ENCR_AES_GCM_16, .encr_keybits = 128, .enc_key_len = 20};
		uint32_t id;
		rp_rng_fill(&rng, q.enc_key, q.enc_key_len);
		if (esp_sa_add(sad, &q, 0, &id)) {
			r->err = 1;
			esp_sad_free(sad);
			return;
		}
	}
	struct esp_sa_params p = {
	    .encr = c->e, .encr_keybits = c->bits, .auth = c->a, .inner_local_port = 1701};
	const struct esp_encr_desc *e = esp_encr_find(c->e, c->bits);
	p.enc_key_len = e->key_len;
	rp_rng_fill(&rng, p.enc_key, p.enc_key_len);
	if (c->a) {
		p.auth_key_len = 20;
		rp_rng_fill(&rng, p.auth_key, 20);
	}
	struct rp_addr src;
	rp_addr_v4(&src, 0xc6120002, 0);
	p.peer = src;
	uint32_t in_id, out_id;
	p.dir = ESP_DIR_IN;
	esp_sa_add(sad, &p, 0, &in_id);
	p.dir = ESP_DIR_OUT;
	p.spi = in_id;
	esp_sa_add(sad, &p, 0, &out_id);
	/* an L2TP data message in UDP/1701: header, then bytes */
	memset(mem, 0, sizeof mem);
	uint8_t *u = mem + HEAD;
	rp_put_u16(u, 1701);
	rp_put_u16(u + 2, 1701);
	rp_put_u16(u + 4, INNER);
	for (size_t i = 8; i < INNER; i++)
		u[i] = (uint8_t)i;
	r->err = 0;
	/* warm up (GnuTLS's per-thread RNG state, caches) */
	run_esp(sad, out_id, &src, mem, sizeof mem, 1000, &r->err);
	run_raw(c, p.enc_key, p.auth_key, mem, 1000);
	double best_esp = 1e9, best_raw = 1e9;
	r->allocs = 0;
	for (int rep = 0; rep < REPS; rep++) {
		double t = run_raw(c, p.enc_key, p.auth_key, mem, n);
		if (t > 0 && t < best_raw)
			best_raw = t;
		bench_alloc_start();
		t = run_esp(sad, out_id, &src, mem, sizeof mem, n, &r->err);
		r->allocs += bench_alloc_stop();
		if (t < best_esp)
			best_esp = t;
	}
	r->pkts = REPS * n;
	r->esp_pps = (double)n / best_esp;
	r->raw_pps = (double)n / best_raw;
	struct esp_stats st;
	esp_sa_stats(sad, in_id, &st);
	if (st.packets != REPS * n + 1000)
		r->err = 1;
	rp_wipe(&p, sizeof p);
	esp_sad_free(sad);
}

int bench_esp(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	unsigned long extra = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
	if (n == 0)
		n = 200000;
	printf("esp: %d-byte inner UDP datagrams, encap+decap per packet, single core (thread CPU time), "
	       "best of %d x %lu packets, "
	       "%lu other SAs in the SAD\n",
	       INNER, REPS, n, extra);
	bool counted = bench_alloc_available();
	if (!counted)
		printf("esp: allocations not counted (sanitizer build or counter broken); figures not "
		       "representative\n");
	double gbps[2], ratio[2];
	int rc = 0;
	for (size_t i = 0; i < RP_ARRAY_LEN(cfgs); i++) {
		struct result r;
		bench_one(&cfgs[i], n, extra, &r);
		gbps[i] = r.esp_pps * INNER * 8 / 1e9;
		ratio[i] = r.esp_pps / r.raw_pps;
		printf("esp %-10s  %9.0f pkt/s  %6.3f Gbit/s | raw GnuTLS %9.0f pkt/s  %6.3f Gbit/s | ratio "
		       "%.3f | "
		       "allocations %lu in %lu packets (%s)%s\n",
		       cfgs[i].name, r.esp_pps, gbps[i], r.raw_pps, r.raw_pps * INNER * 8 / 1e9, ratio[i],
		       r.allocs, r.pkts, counted ? "counted" : "not counted",
		       r.err ? "  ERROR: a packet failed" : "");
		if (r.err || (counted && r.allocs))
			rc = 1;
	}
	printf("esp: per-SA state %zu bytes + %zu bytes of replay ring for the default %u-bit window "
	       "(the GnuTLS cipher context and 3 hash states of the HMAC on top)\n",
	       sizeof(struct esp_sa), esp_replay_words(ESP_REPLAY_DEFAULT) * sizeof(uint64_t),
	       ESP_REPLAY_DEFAULT);
	printf("esp-bench gcm128=%.3f gcm128_ratio=%.3f cbc128sha1=%.3f cbc128sha1_ratio=%.3f\n", gbps[0],
	       ratio[0], gbps[1], ratio[1]);
	return rc;
}

/* rampart-bench esp_tick [SAs...]: what esp_tick + esp_next_deadline cost when nothing is due
 * (rampartd calls them after every packet), against the SAD's size. Each size gets SA pairs with
 * hour-long lifetimes spread over an hour, as IKE installs them; calls are timed for ~0.3 s of
 * thread CPU time. Default sizes 1000 10000 100000 (SA pairs). */
int bench_esp_tick(int argc, char **argv);
int bench_esp_tick(int argc, char **argv)
{
	static const unsigned long defs[] = {1000, 10000, 100000};
	size_t nsz = argc > 1 ? (size_t)argc - 1 : RP_ARRAY_LEN(defs);
	struct rp_rng rng;
	rp_rng_gnutls(&rng, 0);
	printf("esp_tick: esp_tick + esp_next_deadline with nothing due, per call (thread CPU time)\n");
	int rc = 0;
	for (size_t k = 0; k < nsz; k++) {
		unsigned long n = argc > 1 ? strtoul(argv[k + 1], NULL, 10) : defs[k];
		struct esp_sad *sad = esp_sad_new(NULL, &rng, NULL);
		struct esp_sa_params p = {
		    .encr = ESP_ENCR_AES_GCM_16, .encr_keybits = 128, .enc_key_len = 20};
		rp_rng_fill(&rng, p.enc_key, p.enc_key_len);
		for (unsigned long i = 0; i < n && sad; i++) {
			uint32_t id;
			p.hard_ms = 3600000u + (i % 3600) * 1000u;
			p.soft_ms = p.hard_ms - 60000u;
			p.spi = 0x1000 + (uint32_t)i;
			p.dir = ESP_DIR_OUT;
			rc |= esp_sa_add(sad, &p, 0, &id) != 0;
			p.dir = ESP_DIR_IN;
			rc |= esp_sa_add(sad, &p, 0, &id) != 0;
		}
		unsigned long calls = 0;
		double t0 = now_s(), t = 0;
		while (t < 0.3) {
			for (int j = 0; j < 16; j++, calls++) {
				esp_tick(sad, 1000 + calls % 1000); /* never reaching a lifetime */
				bench_sink ^= esp_next_deadline(sad);
			}
			t = now_s() - t0;
		}
		printf("esp_tick sa_pairs=%lu sas=%zu us_per_call=%.3f calls=%lu\n", n, esp_sad_count(sad),
		       t / (double)calls * 1e6, calls);
		rp_wipe(&p, sizeof p);
		esp_sad_free(sad);
	}
	return rc;
}
