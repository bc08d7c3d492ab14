/* The production random source: GnuTLS's generator, seeded by the kernel. Kept out of rp_base so
 * the base stays libc-only; server/ and benchmarks link it. */
#include <gnutls/crypto.h>

#include "rp_base.h"

static int fill_key(struct rp_rng *r, void *out, size_t n)
{
	(void)r;
	return gnutls_rnd(GNUTLS_RND_KEY, out, n) ? -1 : 0;
}

static int fill_random(struct rp_rng *r, void *out, size_t n)
{
	(void)r;
	return gnutls_rnd(GNUTLS_RND_RANDOM, out, n) ? -1 : 0;
}

static int fill_nonce(struct rp_rng *r, void *out, size_t n)
{
	(void)r;
	return gnutls_rnd(GNUTLS_RND_NONCE, out, n) ? -1 : 0;
}

/* level: 0 nonce (IVs, padding: unpredictable, not secret), 1 random (SPIs, cookies, nonces),
 * 2 key (DH private values). */
void rp_rng_gnutls(struct rp_rng *r, int level)
{
	r->fill = level >= 2 ? fill_key : level == 1 ? fill_random : fill_nonce;
}
