/* NAT-D (RFC 3947 §3.2): each side hashes the addresses it believes in; the other compares. */
#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "natt.h"

static size_t ip_len(const struct rp_addr *a)
{
	return a->family == 6 ? 16 : 4;
}

int natt_nat_d(gnutls_digest_algorithm_t alg, const uint8_t cky_i[8], const uint8_t cky_r[8],
               const struct rp_addr *a, uint8_t out[NATT_HASH_MAX], size_t *len)
{
	if (a->family != 4 && a->family != 6)
		return -EINVAL;
	size_t dl = gnutls_hash_get_len(alg);
	if (dl == 0 || dl > NATT_HASH_MAX)
		return -EINVAL;
	/* HASH(CKY-I | CKY-R | IP | Port): 8 + 8 + 4/16 + 2 bytes */
	uint8_t in[8 + 8 + 16 + 2];
	size_t n = 0;
	memcpy(in, cky_i, 8);
	memcpy(in + 8, cky_r, 8);
	n = 16;
	memcpy(in + n, a->ip, ip_len(a));
	n += ip_len(a);
	rp_put_u16(in + n, a->port);
	n += 2;
	if (gnutls_hash_fast(alg, in, n, out) < 0)
		return -EINVAL;
	*len = dl;
	return 0;
}

bool natt_nat_d_match(gnutls_digest_algorithm_t alg, const uint8_t cky_i[8], const uint8_t cky_r[8],
                      const struct rp_addr *a, const uint8_t *hash, size_t len)
{
	uint8_t h[NATT_HASH_MAX];
	size_t hl;
	if (natt_nat_d(alg, cky_i, cky_r, a, h, &hl) || hl != len)
		return false;
	return rp_ct_memeq(h, hash, hl);
}

int natt_detect(gnutls_digest_algorithm_t alg, const uint8_t cky_i[8], const uint8_t cky_r[8],
                const struct rp_addr *local, const struct rp_addr *peer, const uint8_t *const *hashes,
                const size_t *lens, size_t n, struct natt_detect *out)
{
	/* RFC 3947 §3.2: at least two payloads (the remote's, then one or more local ones) */
	if (n < 2)
		return -EINVAL;
	out->local_behind_nat = !natt_nat_d_match(alg, cky_i, cky_r, local, hashes[0], lens[0]);
	bool seen = false;
	for (size_t i = 1; i < n; i++)
		seen |= natt_nat_d_match(alg, cky_i, cky_r, peer, hashes[i], lens[i]);
	out->peer_behind_nat = !seen;
	return 0;
}
