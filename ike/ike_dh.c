/* Diffie-Hellman for IKEv1: MODP groups 2, 5 (RFC 2409 §6.2, RFC 3526 §2), 14, 15, 16 (RFC 3526)
 * through GMP's constant-time mpz_powm_sec, and ECP groups 19, 20, 21 (RFC 5903) through nettle.
 * GnuTLS 3.7 has no public raw-DH API; GMP and nettle are its own backends. */
#include <pthread.h>
#include <string.h>

#include <gmp.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>

#include "ike_local.h"

/* Primes computed from their definition (2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + c))
 * and checked against OpenSSL's named groups modp_1536..modp_4096. Generator 2 for all. */
#include "ike_dh_primes.inc"

struct modp {
	uint16_t group;
	const char *hex;
	unsigned bits, xbits; /* prime size; private exponent size (RFC 3526 §8: twice the strength) */
	mpz_t p, pm1;
};

static struct modp modps[] = {
    {2, modp2, 1024, 256},   {5, modp5, 1536, 256},   {14, modp14, 2048, 256},
    {15, modp15, 3072, 320}, {16, modp16, 4096, 384},
};
static pthread_once_t modp_once = PTHREAD_ONCE_INIT;

static void modp_init(void)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(modps); i++) {
		mpz_init_set_str(modps[i].p, modps[i].hex, 16);
		mpz_init(modps[i].pm1);
		mpz_sub_ui(modps[i].pm1, modps[i].p, 1);
	}
}

static struct modp *modp_get(uint16_t g)
{
	pthread_once(&modp_once, modp_init);
	for (size_t i = 0; i < RP_ARRAY_LEN(modps); i++)
		if (modps[i].group == g)
			return &modps[i];
	return NULL;
}

static const struct ecc_curve *ecp_curve(uint16_t g, size_t *coord)
{
	switch (g) {
	case 19:
		*coord = 32;
		return nettle_get_secp_256r1();
	case 20:
		*coord = 48;
		return nettle_get_secp_384r1();
	case 21:
		*coord = 66;
		return nettle_get_secp_521r1();
	default:
		return NULL;
	}
}

bool ike_dh_supported(uint16_t g)
{
	size_t c;
	return modp_get(g) || ecp_curve(g, &c);
}

bool ike_dh_is_ecp(uint16_t g)
{
	size_t c;
	return ecp_curve(g, &c) != NULL;
}

size_t ike_dh_publen(uint16_t g)
{
	struct modp *m = modp_get(g);
	size_t c;
	if (m)
		return m->bits / 8;
	if (ecp_curve(g, &c))
		return 2 * c; /* RFC 5903 §7: x | y, no point-format octet */
	return 0;
}

const char *ike_dh_name(uint16_t g)
{
	switch (g) {
	case 1:
		return "MODP768";
	case 2:
		return "MODP1024";
	case 5:
		return "MODP1536";
	case 14:
		return "MODP2048";
	case 15:
		return "MODP3072";
	case 16:
		return "MODP4096";
	case 17:
		return "MODP6144";
	case 18:
		return "MODP8192";
	case 19:
		return "ECP256";
	case 20:
		return "ECP384";
	case 21:
		return "ECP521";
	case 22:
	case 23:
	case 24:
		return "MODP-with-subgroup";
	case 31:
		return "Curve25519";
	default:
		return "unknown-group";
	}
}

static void rng_nettle(void *ctx, size_t n, uint8_t *dst)
{
	if (rp_rng_fill(ctx, dst, n))
		memset(dst, 0, n); /* then ecc_scalar_random loops; an rng failure is fatal upstream */
}

/* Big-endian bytes of z, left-padded to n (RFC 2409 §5: g^xy is used at the prime's length). */
static void mpz_out(uint8_t *out, size_t n, const mpz_t z)
{
	size_t cnt = (mpz_sizeinbase(z, 2) + 7) / 8;
	memset(out, 0, n);
	if (cnt <= n && mpz_sgn(z))
		mpz_export(out + n - cnt, NULL, 1, 1, 1, 0, z);
}

int ike_dh_init(struct ike_dh *dh, uint16_t g, struct rp_rng *rng)
{
	memset(dh, 0, sizeof *dh);
	dh->group = g;
	struct modp *m = modp_get(g);
	size_t c;
	const struct ecc_curve *cv = ecp_curve(g, &c);
	if (m) {
		uint8_t xb[48];
		mpz_t y, gen;
		if (rp_rng_fill(rng, xb, m->xbits / 8))
			return -1;
		xb[0] |= 0x80; /* full-size exponent */
		mpz_init(dh->x);
		mpz_import(dh->x, m->xbits / 8, 1, 1, 1, 0, xb);
		rp_wipe(xb, sizeof xb);
		mpz_init(y);
		mpz_init_set_ui(gen, 2);
		mpz_powm_sec(y, gen, dh->x, m->p);
		dh->publen = m->bits / 8;
		mpz_out(dh->pub, dh->publen, y);
		mpz_clear(y);
		mpz_clear(gen);
		dh->kind = 1;
		return 0;
	}
	if (cv) {
		struct ecc_point pt;
		mpz_t x, y;
		ecc_scalar_init(&dh->k, cv);
		ecc_scalar_random(&dh->k, rng, rng_nettle);
		ecc_point_init(&pt, cv);
		ecc_point_mul_g(&pt, &dh->k);
		mpz_init(x);
		mpz_init(y);
		ecc_point_get(&pt, x, y);
		dh->publen = 2 * c;
		mpz_out(dh->pub, c, x);
		mpz_out(dh->pub + c, c, y);
		mpz_clear(x);
		mpz_clear(y);
		ecc_point_clear(&pt);
		dh->kind = 2;
		return 0;
	}
	return -1;
}

int ike_dh_shared(struct ike_dh *dh, const uint8_t *peer, size_t len, uint8_t *out, size_t *outlen)
{
	int rc = -1;
	if (dh->kind == 1) {
		struct modp *m = modp_get(dh->group);
		mpz_t y, z;
		if (len != m->bits / 8)
			return -1;
		mpz_init(y);
		mpz_init(z);
		mpz_import(y, len, 1, 1, 1, 0, peer);
		/* 1 < y < p-1 rejects the degenerate values that force a known shared secret. */
		if (mpz_cmp_ui(y, 1) > 0 && mpz_cmp(y, m->pm1) < 0) {
			mpz_powm_sec(z, y, dh->x, m->p);
			mpz_out(out, len, z);
			*outlen = len;
			rc = 0;
		}
		mpz_clear(y);
		mpz_clear(z);
		return rc;
	}
	if (dh->kind == 2) {
		size_t c = 0; /* set by ecp_curve; initialised for -O3 -Werror */
		const struct ecc_curve *cv = ecp_curve(dh->group, &c);
		struct ecc_point p, r;
		mpz_t x, y;
		if (len != 2 * c)
			return -1;
		mpz_init(x);
		mpz_init(y);
		mpz_import(x, c, 1, 1, 1, 0, peer);
		mpz_import(y, c, 1, 1, 1, 0, peer + c);
		ecc_point_init(&p, cv);
		ecc_point_init(&r, cv);
		/* ecc_point_set checks the coordinates are in range and on the curve: the peer's point
		 * is validated before our scalar touches it (invalid-curve attacks). */
		if (ecc_point_set(&p, x, y)) {
			ecc_point_mul(&r, &dh->k, &p);
			ecc_point_get(&r, x, NULL);
			mpz_out(out, c, x); /* RFC 5903 §7: the shared secret is the x coordinate */
			*outlen = c;
			rc = 0;
		}
		ecc_point_clear(&p);
		ecc_point_clear(&r);
		mpz_clear(x);
		mpz_clear(y);
		return rc;
	}
	return -1;
}

void ike_dh_clear(struct ike_dh *dh)
{
	if (dh->kind == 1) {
		/* GMP has no secure free: overwrite the exponent's limbs before releasing them. */
		size_t n = mpz_size(dh->x);
		if (n)
			rp_wipe(mpz_limbs_write(dh->x, (mp_size_t)n), n * sizeof(mp_limb_t));
		mpz_clear(dh->x);
	} else if (dh->kind == 2) {
		ecc_scalar_clear(&dh->k);
	}
	rp_wipe(dh, sizeof *dh);
}
