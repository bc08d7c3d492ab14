/* Deterministic randomness and clocks for tests and replay; constant-time helpers. */
#include <string.h>
#include <time.h>

#include "rp_base.h"

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** (Blackman/Vigna): small, fast, and good enough for reproducible tests.
 * Never used where an attacker could benefit: production passes the GnuTLS source. */
static uint64_t xoshiro_next(uint64_t *s)
{
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static int seeded_fill(struct rp_rng *r, void *out, size_t n)
{
	uint8_t *p = out;
	while (n) {
		uint64_t v = xoshiro_next(r->state);
		size_t k = n < 8 ? n : 8;
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
	return 0;
}

void rp_rng_seeded(struct rp_rng *r, uint64_t seed)
{
	/* splitmix64 expands the seed so that nearby seeds give unrelated streams */
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		r->state[i] = z ^ (z >> 31);
	}
	r->fill = seeded_fill;
}

uint32_t rp_rng_u32(struct rp_rng *r)
{
	uint32_t v = 0;
	if (rp_rng_fill(r, &v, sizeof v))
		return 0;
	return v;
}

static uint64_t fake_now(struct rp_clock *c) { return c->fake_ms; }

static uint64_t mono_now(struct rp_clock *c)
{
	(void)c;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void rp_clock_fake(struct rp_clock *c, uint64_t start_ms)
{
	c->now_ms = fake_now;
	c->fake_ms = start_ms;
}

void rp_clock_monotonic(struct rp_clock *c)
{
	c->now_ms = mono_now;
	c->fake_ms = 0;
}

bool rp_ct_memeq(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

void rp_wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;
	while (n--)
		*v++ = 0;
}
