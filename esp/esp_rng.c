/* A production random source: GnuTLS's nonce-level generator (a per-thread ChaCha-based DRBG,
 * reseeded from the system), fast enough to draw a CBC IV per packet without allocating. */
#include <gnutls/crypto.h>

#include "esp.h"

static int gnutls_fill(struct rp_rng *r, void *out, size_t n)
{
	(void)r;
	return gnutls_rnd(GNUTLS_RND_NONCE, out, n) < 0 ? -1 : 0;
}

void esp_rng_gnutls(struct rp_rng *r)
{
	r->fill = gnutls_fill;
	for (int i = 0; i < 4; i++)
		r->state[i] = 0;
}
