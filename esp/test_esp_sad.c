/* SAD behaviour: every transform round-trips through encap/decap, every drop reason is taken
 * and counted, lifetimes raise events at the right times, SPIs are unique, NAT rebinding and the
 * RFC 3948 inner checksum handling, the key log. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "natt.h"
#include "test_esp_util.h"

struct xf {
	enum esp_encr e;
	unsigned bits;
	enum esp_auth a;
	bool t96;
	size_t iv, icv, blk;
};

static const struct xf xfs[] = {
    {ESP_ENCR_3DES, 192, ESP_AUTH_HMAC_SHA1, false, 8, 12, 8},
    {ESP_ENCR_3DES, 192, ESP_AUTH_HMAC_MD5, false, 8, 12, 8},
    {ESP_ENCR_AES_CBC, 128, ESP_AUTH_HMAC_SHA1, false, 16, 12, 16},
    {ESP_ENCR_AES_CBC, 192, ESP_AUTH_HMAC_SHA2_256, false, 16, 16, 16},
    {ESP_ENCR_AES_CBC, 256, ESP_AUTH_HMAC_SHA2_256, true, 16, 12, 16},
    {ESP_ENCR_AES_CBC, 256, ESP_AUTH_HMAC_SHA2_384, false, 16, 24, 16},
    {ESP_ENCR_AES_CBC, 256, ESP_AUTH_HMAC_SHA2_512, false, 16, 32, 16},
    {ESP_ENCR_AES_GCM_16, 128, ESP_AUTH_NONE, false, 8, 16, 4},
    {ESP_ENCR_AES_GCM_16, 256, ESP_AUTH_NONE, false, 8, 16, 4},
};

static const char KEYS[] = "00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef"
                           "fedcba9876543210fedcba9876543210ffeeddccbbaa99887766554433221100"
                           "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";

/* keys of the right length for a transform, cut from KEYS */
static void keyed(struct esp_sa_params *p, enum esp_dir dir, uint32_t spi, const struct xf *x)
{
	const struct esp_encr_desc *e = esp_encr_find(x->e, x->bits);
	const struct esp_auth_desc *a = x->a ? esp_auth_find(x->a, x->t96) : NULL;
	ck_assert_ptr_nonnull(e);
	char ek[200], ak[200];
	snprintf(ek, (size_t)e->key_len * 2 + 1, "%s", KEYS);
	if (a)
		snprintf(ak, (size_t)a->key_len * 2 + 1, "%s", KEYS + 10);
	mkparams(p, dir, spi, x->e, x->bits, ek, x->a, a ? ak : NULL);
	p->sha256_96 = x->t96;
}

struct pair {
	struct rp_rng rng;
	struct esp_sad *tx, *rx; /* the sender's SAD and the receiver's */
	uint32_t out_id, in_id;
	struct rp_addr client, server;
};

static void pair_init(struct pair *t, const struct xf *x, enum esp_encap encap, unsigned window)
{
	rp_rng_seeded(&t->rng, 99);
	t->tx = esp_sad_new(NULL, &t->rng, NULL);
	t->rx = esp_sad_new(NULL, &t->rng, NULL);
	v4(&t->client, "203.0.113.2", encap ? 4500 : 0);
	v4(&t->server, "198.18.0.1", encap ? 4500 : 0);
	struct esp_sa_params p;
	keyed(&p, ESP_DIR_IN, 0, x);
	p.encap = encap;
	p.peer = t->client;
	p.local = t->server;
	p.replay_window = window;
	p.inner_local_port = ESP_L2TP_PORT;
	ck_assert_int_eq(esp_sa_add(t->rx, &p, 0, &t->in_id), 0);
	p.dir = ESP_DIR_OUT;
	p.spi = t->in_id;
	p.local = t->client;
	p.peer = t->server;
	ck_assert_int_eq(esp_sa_add(t->tx, &p, 0, &t->out_id), 0);
	rp_wipe(&p, sizeof p);
}

static void pair_free(struct pair *t)
{
	esp_sad_free(t->tx);
	esp_sad_free(t->rx);
}

/* an L2TP-ish inner UDP datagram of n payload bytes in a fresh buffer */
static void datagram(struct rp_buf *b, uint8_t *mem, size_t cap, size_t n, uint8_t fill)
{
	rp_buf_view(b, mem, cap, 64, 0);
	uint8_t *d = rp_buf_put(b, n);
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)(fill + i);
	ck_assert_int_eq(natt_udp_push(b, ESP_L2TP_PORT, ESP_L2TP_PORT), 0);
}

START_TEST(roundtrip_all_transforms)
{
	const struct xf *x = &xfs[_i];
	struct pair t;
	pair_init(&t, x, ESP_ENCAP_UDP, 0);
	for (size_t n = 0; n < 70; n++) {
		uint8_t mem[256];
		struct rp_buf b;
		datagram(&b, mem, sizeof mem, n, (uint8_t)n);
		struct esp_tx tx;
		ck_assert_int_eq(esp_encap(t.tx, t.out_id, &b, 1000, &tx), 0);
		ck_assert(rp_addr_eq(&tx.peer, &t.server));
		ck_assert_int_eq(tx.encap, ESP_ENCAP_UDP);
		/* size: header + IV + (inner + 2 padded to the block) + ICV */
		size_t inner = n + 8, ct = (inner + 2 + x->blk - 1) / x->blk * x->blk;
		ck_assert_uint_eq(b.len, 8 + x->iv + ct + x->icv);
		ck_assert_uint_eq(rp_get_u32(rp_buf_data(&b)), t.in_id);
		ck_assert_uint_eq(rp_get_u32(rp_buf_data(&b) + 4), n + 1);
		struct esp_rx rx;
		ck_assert_int_eq(esp_decap(t.rx, &b, &t.client, 1000, &rx), 0);
		ck_assert_uint_eq(rx.payload_len, n);
		for (size_t i = 0; i < n; i++)
			ck_assert_uint_eq(rx.payload[i], (uint8_t)(n + i));
		ck_assert_uint_eq(rx.sport, 1701);
		ck_assert_uint_eq(rx.dport, 1701);
		ck_assert_uint_eq(b.len, inner);
		ck_assert(!rx.peer_moved);
	}
	struct esp_stats st;
	ck_assert_int_eq(esp_sa_stats(t.rx, t.in_id, &st), 0);
	ck_assert_uint_eq(st.packets, 70);
	ck_assert_uint_eq(st.bytes, 70 * 8 + 69 * 70 / 2);
	pair_free(&t);
}
END_TEST

/* one sealed packet from a fresh pair; returns its length */
static size_t sealed(struct pair *t, uint8_t *mem, size_t cap, struct rp_buf *b)
{
	datagram(b, mem, cap, 40, 7);
	ck_assert_int_eq(esp_encap(t->tx, t->out_id, b, 0, NULL), 0);
	return b->len;
}

static int decap_copy(struct pair *t, const uint8_t *pkt, size_t len, const struct rp_addr *src)
{
	uint8_t mem[512];
	struct rp_buf b;
	memcpy(mem, pkt, len);
	rp_buf_view(&b, mem, sizeof mem, 0, len);
	struct esp_rx rx;
	return esp_decap(t->rx, &b, src, 0, &rx);
}

START_TEST(drops_counted)
{
	struct pair t;
	pair_init(&t, &xfs[2], ESP_ENCAP_UDP, 64); /* AES-CBC-128 + HMAC-SHA1-96, window 64 */
	uint8_t mem[512], pkt[512];
	struct rp_buf b;
	size_t n = sealed(&t, mem, sizeof mem, &b);
	memcpy(pkt, rp_buf_data(&b), n);

	ck_assert_int_eq(decap_copy(&t, pkt, n, &t.client), 0);
	/* replayed */
	ck_assert_int_eq(decap_copy(&t, pkt, n, &t.client), -ESP_DROP_REPLAY);
	/* flipped ICV bit (on a fresh sequence number) */
	n = sealed(&t, mem, sizeof mem, &b);
	memcpy(pkt, rp_buf_data(&b), n);
	pkt[n - 1] ^= 0x80;
	ck_assert_int_eq(decap_copy(&t, pkt, n, &t.client), -ESP_DROP_ICV);
	pkt[n - 1] ^= 0x80;
	/* a flipped ciphertext bit also fails the ICV, and the failure did not burn the number */
	pkt[30] ^= 1;
	ck_assert_int_eq(decap_copy(&t, pkt, n, &t.client), -ESP_DROP_ICV);
	pkt[30] ^= 1;
	ck_assert_int_eq(decap_copy(&t, pkt, n, &t.client), 0);
	/* truncated: short of a block, and shorter than a header */
	ck_assert_int_eq(decap_copy(&t, pkt, n - 1, &t.client), -ESP_DROP_TRUNCATED);
	ck_assert_int_eq(decap_copy(&t, pkt, 7, &t.client), -ESP_DROP_TRUNCATED);
	ck_assert_int_eq(decap_copy(&t, pkt, 8 + 16 + 12, &t.client), -ESP_DROP_TRUNCATED);
	/* unknown SPI: counted on the SAD, not on any SA */
	rp_put_u32(pkt, t.in_id ^ 0x01000000);
	ck_assert_int_eq(decap_copy(&t, pkt, n, &t.client), -ESP_DROP_UNKNOWN_SPI);
	rp_put_u32(pkt, t.in_id);
	/* raw ESP to a UDP-encapsulated SA */
	struct rp_addr raw = t.client;
	raw.port = 0;
	ck_assert_int_eq(decap_copy(&t, pkt, n, &raw), -ESP_DROP_ENCAP);
	/* outside the window: 70 newer packets, then an old one */
	uint8_t old[512];
	size_t oldn = sealed(&t, mem, sizeof mem, &b);
	memcpy(old, rp_buf_data(&b), oldn);
	for (int i = 0; i < 70; i++) {
		size_t k = sealed(&t, mem, sizeof mem, &b);
		ck_assert_int_eq(decap_copy(&t, rp_buf_data(&b), k, &t.client), 0);
	}
	ck_assert_int_eq(decap_copy(&t, old, oldn, &t.client), -ESP_DROP_OLD);

	struct esp_stats st;
	ck_assert_int_eq(esp_sa_stats(t.rx, t.in_id, &st), 0);
	ck_assert_uint_eq(st.drops[ESP_DROP_REPLAY], 1);
	ck_assert_uint_eq(st.drops[ESP_DROP_ICV], 2);
	ck_assert_uint_eq(st.drops[ESP_DROP_TRUNCATED], 2); /* the 7-byte one has no SA yet */
	ck_assert_uint_eq(st.drops[ESP_DROP_ENCAP], 1);
	ck_assert_uint_eq(st.drops[ESP_DROP_OLD], 1);
	ck_assert_uint_eq(st.drops[ESP_DROP_UNKNOWN_SPI], 0);
	ck_assert_uint_eq(st.packets, 72);
	const struct esp_stats *all = esp_sad_stats(t.rx, ESP_DIR_IN);
	ck_assert_uint_eq(all->drops[ESP_DROP_UNKNOWN_SPI], 1);
	ck_assert_uint_eq(all->drops[ESP_DROP_TRUNCATED], 3);
	ck_assert_uint_eq(all->drops[ESP_DROP_ICV], 2);
	pair_free(&t);
}
END_TEST

/* Hand-built packets with a valid ICV but a bad trailer: padding, next header, selectors. */
static size_t forge(struct pair *t, uint8_t *pkt, const uint8_t *plain, size_t len, uint32_t seq)
{
	struct esp_sa *sa = esp_sad_find(t->tx, t->out_id);
	uint8_t iv[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
	rp_put_u32(pkt, t->in_id);
	rp_put_u32(pkt + 4, seq);
	memcpy(pkt + 8, iv, 16);
	memcpy(pkt + 24, plain, len);
	ck_assert_int_eq(esp_crypto_cbc(&sa->x, true, iv, pkt + 24, len), 0);
	ck_assert_int_eq(esp_crypto_icv(&sa->x, pkt, 24 + len, pkt + 24 + len), 0);
	return 24 + len + 12;
}

START_TEST(bad_trailers)
{
	struct pair t;
	pair_init(&t, &xfs[2], ESP_ENCAP_UDP, 0);
	uint8_t plain[32], pkt[128];
	/* UDP 1701->1701 len 20, 12 bytes, then pad 1..10, pad len, nh */
	memset(plain, 0xab, sizeof plain);
	rp_put_u16(plain, 1701);
	rp_put_u16(plain + 2, 1701);
	rp_put_u16(plain + 4, 20);
	rp_put_u16(plain + 6, 0);
	for (int i = 0; i < 10; i++)
		plain[20 + i] = (uint8_t)(i + 1);
	plain[30] = 10;
	plain[31] = 17;
	ck_assert_int_eq(decap_copy(&t, pkt, forge(&t, pkt, plain, 32, 1), &t.client), 0);

	plain[25] = 0; /* padding not 1,2,3,... */
	ck_assert_int_eq(decap_copy(&t, pkt, forge(&t, pkt, plain, 32, 2), &t.client), -ESP_DROP_PAD);
	plain[25] = 6;
	plain[30] = 31; /* pad length beyond the payload */
	ck_assert_int_eq(decap_copy(&t, pkt, forge(&t, pkt, plain, 32, 3), &t.client), -ESP_DROP_PAD);
	plain[30] = 10;
	plain[31] = 6; /* TCP where the SA carries UDP */
	ck_assert_int_eq(decap_copy(&t, pkt, forge(&t, pkt, plain, 32, 4), &t.client), -ESP_DROP_NEXT_HEADER);
	plain[31] = 59; /* dummy packet: discarded, counted */
	ck_assert_int_eq(decap_copy(&t, pkt, forge(&t, pkt, plain, 32, 5), &t.client), -ESP_DROP_DUMMY);
	plain[31] = 17;
	rp_put_u16(plain + 2, 1702); /* not to L2TP */
	ck_assert_int_eq(decap_copy(&t, pkt, forge(&t, pkt, plain, 32, 6), &t.client), -ESP_DROP_SELECTOR);
	rp_put_u16(plain + 2, 1701);
	rp_put_u16(plain + 4, 21); /* UDP length disagrees */
	ck_assert_int_eq(decap_copy(&t, pkt, forge(&t, pkt, plain, 32, 7), &t.client), -ESP_DROP_SELECTOR);

	struct esp_stats st;
	esp_sa_stats(t.rx, t.in_id, &st);
	ck_assert_uint_eq(st.drops[ESP_DROP_PAD], 2);
	ck_assert_uint_eq(st.drops[ESP_DROP_NEXT_HEADER], 1);
	ck_assert_uint_eq(st.drops[ESP_DROP_DUMMY], 1);
	ck_assert_uint_eq(st.drops[ESP_DROP_SELECTOR], 2);
	ck_assert_uint_eq(st.packets, 1);
	pair_free(&t);
}
END_TEST

START_TEST(nat_rebinding_and_checksum)
{
	struct pair t;
	pair_init(&t, &xfs[7], ESP_ENCAP_UDP, 0);
	/* the client (private 100.64.77.10) computed its inner UDP checksum over its own address */
	struct rp_addr priv, srv_ip = t.server;
	v4(&priv, "100.64.77.10", 0);
	srv_ip.port = 0;
	uint8_t mem[256];
	struct rp_buf b;
	datagram(&b, mem, sizeof mem, 33, 1);
	uint16_t cs = natt_udp_csum(&priv, &srv_ip, rp_buf_data(&b), b.len);
	rp_put_u16(rp_buf_data(&b) + 6, cs);
	ck_assert_uint_eq(natt_udp_csum(&priv, &srv_ip, rp_buf_data(&b), b.len), 0);
	uint8_t copy[256];
	size_t inner = b.len;
	ck_assert_int_eq(esp_encap(t.tx, t.out_id, &b, 0, NULL), 0);
	memcpy(copy, rp_buf_data(&b), b.len);
	size_t n = b.len;

	/* without NAT-OA the checksum is zeroed (RFC 3948 §3.1.2) */
	struct esp_rx rx;
	ck_assert_int_eq(esp_decap(t.rx, &b, &t.client, 0, &rx), 0);
	ck_assert_uint_eq(rp_get_u16(rp_buf_data(&b) + 6), 0);

	/* with NAT-OA it is fixed incrementally and verifies against the real outer addresses */
	struct esp_sa *sa = esp_sad_find(t.rx, t.in_id);
	sa->natoa_peer = priv;
	struct rp_addr moved;
	v4(&moved, "203.0.113.2", 31337); /* and the NAT picked a new port */
	sa->rp.top = 0;
	memset(sa->ring, 0, sa->rp.words * sizeof(uint64_t));
	rp_buf_view(&b, copy, sizeof copy, 0, n);
	ck_assert_int_eq(esp_decap(t.rx, &b, &moved, 0, &rx), 0);
	ck_assert_uint_eq(b.len, inner);
	struct rp_addr pub = moved;
	pub.port = 0;
	ck_assert_uint_ne(rp_get_u16(rp_buf_data(&b) + 6), 0);
	ck_assert_uint_eq(natt_udp_csum(&pub, &srv_ip, rp_buf_data(&b), b.len), 0);
	/* authenticated packet from a new port: the SA follows (NAT rebinding) */
	ck_assert(rx.peer_moved);
	struct rp_addr now;
	ck_assert_int_eq(esp_sa_peer(t.rx, t.in_id, &now), 0);
	ck_assert(rp_addr_eq(&now, &moved));
	/* a forged packet from elsewhere does not move it */
	struct rp_addr evil;
	v4(&evil, "203.0.113.66", 4500);
	n = sealed(&t, mem, sizeof mem, &b);
	rp_buf_data(&b)[n - 1] ^= 1;
	ck_assert_int_eq(decap_copy(&t, rp_buf_data(&b), n, &evil), -ESP_DROP_ICV);
	ck_assert_int_eq(esp_sa_peer(t.rx, t.in_id, &now), 0);
	ck_assert(rp_addr_eq(&now, &moved));
	pair_free(&t);
}
END_TEST

static int drain(struct esp_sad *sad, int type, struct esp_ev_sa *out)
{
	int n = 0;
	struct rp_ev *ev;
	while ((ev = esp_next_event(sad))) {
		if (ev->type == type) {
			n++;
			if (out)
				memcpy(out, ev->data, sizeof *out);
		}
		rp_ev_free(ev);
	}
	return n;
}

START_TEST(lifetimes_time)
{
	struct rp_rng rng;
	rp_rng_seeded(&rng, 5);
	struct esp_sad *sad = esp_sad_new(NULL, &rng, NULL);
	ck_assert_uint_eq(esp_next_deadline(sad), UINT64_MAX);
	struct esp_sa_params p;
	keyed(&p, ESP_DIR_IN, 0, &xfs[2]);
	p.owner = 77;
	p.soft_ms = 3000 * 1000;
	p.hard_ms = 3600 * 1000;
	uint32_t id;
	ck_assert_int_eq(esp_sa_add(sad, &p, 1000, &id), 0);
	ck_assert_uint_eq(esp_next_deadline(sad), 1000 + 3000 * 1000);
	esp_tick(sad, 5000);
	ck_assert_int_eq(drain(sad, ESP_EV_SOFT_EXPIRE, NULL), 0);
	uint64_t t = esp_next_deadline(sad);
	esp_tick(sad, t);
	struct esp_ev_sa e;
	ck_assert_int_eq(drain(sad, ESP_EV_SOFT_EXPIRE, &e), 1);
	ck_assert_uint_eq(e.sa_id, id);
	ck_assert_uint_eq(e.owner, 77);
	ck_assert_uint_eq(e.cause, ESP_EXP_TIME);
	ck_assert_uint_eq(esp_next_deadline(sad), 1000 + 3600 * 1000);
	esp_tick(sad, esp_next_deadline(sad) - 1);
	ck_assert_int_eq(drain(sad, ESP_EV_HARD_EXPIRE, NULL), 0);
	ck_assert_uint_eq(esp_sad_count(sad), 1);
	esp_tick(sad, esp_next_deadline(sad));
	ck_assert_int_eq(drain(sad, ESP_EV_HARD_EXPIRE, &e), 1);
	ck_assert_uint_eq(esp_sad_count(sad), 0);
	ck_assert_uint_eq(esp_next_deadline(sad), UINT64_MAX);
	esp_sad_free(sad);
}
END_TEST

/* The timer heap: many SAs with shuffled lifetimes expire exactly at their (whole-second)
 * deadlines, in order, whatever add/delete/reservation traffic came in between; a tick before
 * the earliest deadline touches nothing. */
START_TEST(lifetimes_heap_order)
{
	enum { N = 300 };
	struct rp_rng rng;
	rp_rng_seeded(&rng, 17);
	struct esp_sad *sad = esp_sad_new(NULL, &rng, NULL);
	struct esp_sa_params p;
	keyed(&p, ESP_DIR_IN, 0, &xfs[7]);
	uint32_t id[N], spi;
	for (unsigned i = 0; i < N; i++) {
		p.owner = i;
		p.hard_ms = (uint64_t)(1 + (i * 7919u) % N) * 1000u; /* a permutation of 1..N s */
		p.soft_ms = i % 3 ? 0 : p.hard_ms - 500;
		ck_assert_int_eq(esp_sa_add(sad, &p, 0, &id[i]), 0);
		if (i % 10 == 0) /* reservations mixed in, released or left to time out */
			ck_assert_int_eq(esp_spi_alloc(sad, 0, &spi), 0);
		if (i % 20 == 0)
			esp_spi_release(sad, spi);
	}
	for (unsigned i = 0; i < N; i += 5) /* deletions from the middle of the heap */
		ck_assert_int_eq(esp_sa_del(sad, id[i]), 0);
	uint64_t last = 0;
	unsigned hard = 0;
	while (esp_next_deadline(sad) != UINT64_MAX) {
		uint64_t t = esp_next_deadline(sad);
		ck_assert_uint_ge(t, last);
		ck_assert_uint_eq(t % 1000, 0);
		size_t before = esp_sad_count(sad);
		esp_tick(sad, t - 1);
		ck_assert_uint_eq(esp_sad_count(sad), before);
		ck_assert_int_eq(drain(sad, ESP_EV_HARD_EXPIRE, NULL), 0);
		esp_tick(sad, t);
		struct rp_ev *ev;
		while ((ev = esp_next_event(sad))) {
			struct esp_ev_sa e;
			memcpy(&e, ev->data, sizeof e);
			uint64_t h = (uint64_t)(1 + (e.owner * 7919u) % N) * 1000u;
			ck_assert_uint_ne(e.owner % 5, 0);
			if (ev->type == ESP_EV_HARD_EXPIRE) {
				ck_assert_uint_eq(t, h);
				hard++;
			} else {
				ck_assert_uint_eq(t, h); /* soft at h - 0.5 s, rounded up to h */
			}
			rp_ev_free(ev);
		}
		last = t;
	}
	ck_assert_uint_eq(hard, N - N / 5);
	ck_assert_uint_eq(esp_sad_count(sad), 0);
	esp_sad_free(sad);
}
END_TEST

/* esp_sad_set_max: beyond the limit SPIs and SAs are refused with -ENOSPC (the caller names what
 * ran out); what is installed keeps working, and room comes back as SAs go. */
START_TEST(sad_limit)
{
	struct rp_rng rng;
	rp_rng_seeded(&rng, 18);
	struct esp_sad *sad = esp_sad_new(NULL, &rng, NULL);
	esp_sad_set_max(sad, 3);
	struct esp_sa_params p;
	keyed(&p, ESP_DIR_IN, 0, &xfs[7]);
	uint32_t a, b, spi, c;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &a), 0);
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &b), 0);
	ck_assert_int_eq(esp_spi_alloc(sad, 0, &spi), 0);
	ck_assert_int_eq(esp_spi_alloc(sad, 0, &c), -ENOSPC);
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &c), -ENOSPC);
	p.spi = spi; /* filling a reservation needs no new room */
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &c), 0);
	ck_assert_uint_eq(c, spi);
	ck_assert_uint_eq(esp_sad_count(sad), 3);
	ck_assert_int_eq(esp_sa_del(sad, a), 0);
	ck_assert_int_eq(esp_spi_alloc(sad, 0, &spi), 0);
	esp_sad_set_max(sad, 0);
	p.spi = 0;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &c), 0);
	esp_sad_free(sad);
}
END_TEST

START_TEST(lifetimes_bytes_and_seq)
{
	struct pair t;
	pair_init(&t, &xfs[7], ESP_ENCAP_NONE, 0);
	struct esp_sa *out = esp_sad_find(t.tx, t.out_id), *in = esp_sad_find(t.rx, t.in_id);
	out->soft_bytes = in->soft_bytes = 1000;
	out->hard_bytes = in->hard_bytes = 2000;
	int sent = 0;
	for (;;) {
		uint8_t mem[256];
		struct rp_buf b;
		datagram(&b, mem, sizeof mem, 92, 0); /* 100 inner bytes */
		int rc = esp_encap(t.tx, t.out_id, &b, 0, NULL);
		if (rc) {
			ck_assert_int_eq(rc, -ETIME);
			break;
		}
		sent++;
		struct esp_rx rx;
		int r = esp_decap(t.rx, &b, &t.client, 0, &rx);
		ck_assert_int_eq(r, sent <= 20 ? 0 : -ESP_DROP_EXPIRED);
		if (sent == 10) { /* soft limit crossed: due now, the event comes from tick */
			ck_assert_uint_eq(esp_next_deadline(t.tx), 0);
			esp_tick(t.tx, 0);
			struct esp_ev_sa e;
			ck_assert_int_eq(drain(t.tx, ESP_EV_SOFT_EXPIRE, &e), 1);
			ck_assert_uint_eq(e.cause, ESP_EXP_BYTES);
		}
	}
	ck_assert_int_eq(sent, 20); /* the packet that reaches the hard limit is the last */
	esp_tick(t.rx, 0);
	ck_assert_int_eq(drain(t.rx, ESP_EV_HARD_EXPIRE, NULL), 1);
	ck_assert_uint_eq(esp_sad_count(t.rx), 0);

	/* sequence numbers never wrap: the SA soft-expires near the end and dies at 2^32 - 1 */
	struct esp_sa_params p;
	keyed(&p, ESP_DIR_OUT, 0x1234, &xfs[7]);
	uint32_t id;
	ck_assert_int_eq(esp_sa_add(t.tx, &p, 0, &id), 0);
	esp_sad_find(t.tx, id)->seq_out = 0xfffffffdu;
	uint8_t mem[256];
	struct rp_buf b;
	datagram(&b, mem, sizeof mem, 10, 0);
	ck_assert_int_eq(esp_encap(t.tx, id, &b, 0, NULL), 0);
	ck_assert_uint_eq(rp_get_u32(rp_buf_data(&b) + 4), 0xfffffffeu);
	datagram(&b, mem, sizeof mem, 10, 0);
	ck_assert_int_eq(esp_encap(t.tx, id, &b, 0, NULL), 0);
	ck_assert_uint_eq(rp_get_u32(rp_buf_data(&b) + 4), 0xffffffffu);
	datagram(&b, mem, sizeof mem, 10, 0);
	ck_assert_int_eq(esp_encap(t.tx, id, &b, 0, NULL), -ETIME);
	esp_tick(t.tx, 0);
	struct rp_ev *ev;
	int soft = 0, hard = 0;
	while ((ev = esp_next_event(t.tx))) {
		struct esp_ev_sa e;
		memcpy(&e, ev->data, sizeof e);
		if (e.sa_id == id) {
			ck_assert_uint_eq(e.cause, ESP_EXP_SEQ);
			soft += ev->type == ESP_EV_SOFT_EXPIRE;
			hard += ev->type == ESP_EV_HARD_EXPIRE;
		}
		rp_ev_free(ev);
	}
	ck_assert_int_eq(soft, 1);
	ck_assert_int_eq(hard, 1);
	pair_free(&t);
}
END_TEST

START_TEST(spi_allocation)
{
	struct rp_rng rng;
	rp_rng_seeded(&rng, 11);
	struct esp_sad *sad = esp_sad_new(&(struct esp_conf){.larval_ms = 5000}, &rng, NULL);
	/* many SAs: unique, > 255, all findable, table grows and shrinks consistently */
	enum { N = 3000 };
	static uint32_t ids[N];
	struct esp_sa_params p;
	keyed(&p, ESP_DIR_IN, 0, &xfs[7]);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(esp_sa_add(sad, &p, 0, &ids[i]), 0);
		ck_assert_uint_gt(ids[i], 255);
	}
	for (int i = 0; i < N; i++)
		ck_assert_ptr_nonnull(esp_sad_find(sad, ids[i]));
	for (int i = 0; i < N; i += 2)
		ck_assert_int_eq(esp_sa_del(sad, ids[i]), 0);
	for (int i = 0; i < N; i++)
		ck_assert((esp_sad_find(sad, ids[i]) != NULL) == (i % 2 == 1));
	ck_assert_uint_eq(esp_sad_count(sad), N / 2);
	ck_assert_int_eq(esp_sa_del(sad, ids[0]), -ENOENT);
	/* a live SPI cannot be installed twice */
	p.spi = ids[1];
	uint32_t id;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &id), -EEXIST);
	/* reserve, then fill the reservation (IKE's order: SPI in Quick Mode, keys after) */
	uint32_t spi;
	ck_assert_int_eq(esp_spi_alloc(sad, 100, &spi), 0);
	ck_assert_int_eq(esp_sad_find(sad, spi)->state, ESP_SA_LARVAL);
	struct esp_stats st;
	ck_assert_int_eq(esp_sa_stats(sad, spi, &st), -ENOENT); /* not an SA yet */
	p.spi = spi;
	ck_assert_int_eq(esp_sa_add(sad, &p, 200, &id), 0);
	ck_assert_uint_eq(id, spi);
	/* an unfilled reservation lapses */
	uint32_t spi2;
	ck_assert_int_eq(esp_spi_alloc(sad, 1000, &spi2), 0);
	ck_assert_uint_eq(esp_next_deadline(sad), 6000); /* 100 + 5000, rounded up to a second */
	esp_tick(sad, 6000);
	ck_assert_ptr_null(esp_sad_find(sad, spi2));
	ck_assert_ptr_nonnull(esp_sad_find(sad, spi));
	/* unsupported transforms and key sizes are refused */
	keyed(&p, ESP_DIR_IN, 0, &xfs[2]);
	p.auth_key_len = 19;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &id), -EINVAL);
	keyed(&p, ESP_DIR_IN, 0, &xfs[2]);
	p.encr_keybits = 100;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &id), -EINVAL);
	keyed(&p, ESP_DIR_IN, 0, &xfs[7]);
	p.auth = ESP_AUTH_HMAC_SHA1;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &id), -EINVAL);
	keyed(&p, ESP_DIR_IN, 0, &xfs[7]);
	p.replay_window = 32; /* below the 64 DESIGN.md requires */
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &id), -EINVAL);
	esp_sad_free(sad);
}
END_TEST

START_TEST(keylog)
{
	struct esp_sa_params p;
	mkparams(&p, ESP_DIR_IN, 0, ESP_ENCR_AES_CBC, 256,
	         "bfaa341e35d8299454b9bef55ecf13aa80370197f98fe10ae74b1458bee56465", ESP_AUTH_HMAC_SHA1,
	         "5368c3fa4aff78ddb31b5864ed98373c09ab666a");
	v4(&p.peer, "203.0.113.2", 7338);
	v4(&p.local, "203.0.113.1", 4500);
	char line[600];
	ck_assert_int_gt(esp_keylog_line(&p, 0xc52124a7, line, sizeof line), 0);
	ck_assert_str_eq(line,
	                 "\"IPv4\",\"203.0.113.2\",\"203.0.113.1\",\"0xc52124a7\",\"AES-CBC [RFC3602]\","
	                 "\"0xbfaa341e35d8299454b9bef55ecf13aa80370197f98fe10ae74b1458bee56465\","
	                 "\"HMAC-SHA-1-96 [RFC2404]\",\"0x5368c3fa4aff78ddb31b5864ed98373c09ab666a\"");
	/* the SAD emits it as an event when the key log is on */
	struct rp_rng rng;
	rp_rng_seeded(&rng, 1);
	struct esp_sad *sad = esp_sad_new(&(struct esp_conf){.keylog = true}, &rng, NULL);
	uint32_t id;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &id), 0);
	struct rp_ev *ev = esp_next_event(sad);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->type, ESP_EV_KEYLOG);
	char want[600];
	esp_keylog_line(&p, id, want, sizeof want);
	ck_assert_str_eq((const char *)ev->data, want);
	/* and the file is 0600 even when it existed with a laxer mode */
	char path[] = "/tmp/esp-keylog-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fchmod(fd, 0644);
	close(fd);
	ck_assert_int_eq(esp_keylog_append(path, (const char *)ev->data), 0);
	ck_assert_int_eq(esp_keylog_append(path, line), 0);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq((int)st.st_size, (int)(strlen(want) + strlen(line) + 2));
	unlink(path);
	ck_assert_int_eq(esp_keylog_append(path, line), 0); /* created fresh */
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	unlink(path);
	rp_ev_free(ev);
	esp_sad_free(sad);
}
END_TEST

static char last_line[512];
static int lines;
static void sink(void *ctx, int level, const char *module, const char *msg)
{
	(void)ctx;
	if (level == RP_LOG_DROP && strcmp(module, "esp") == 0) {
		snprintf(last_line, sizeof last_line, "%s", msg);
		lines++;
	}
}

START_TEST(drops_logged_rate_limited)
{
	struct rp_log lg;
	rp_log_init(&lg, RP_LOG_DROP, sink, NULL);
	struct rp_rng rng;
	rp_rng_seeded(&rng, 4);
	struct esp_sad *sad = esp_sad_new(NULL, &rng, &lg);
	uint8_t pkt[64] = {0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9};
	struct rp_addr src;
	v4(&src, "203.0.113.77", 4500);
	lines = 0;
	for (int i = 0; i < 50; i++) {
		struct rp_buf b;
		rp_buf_view(&b, pkt, sizeof pkt, 0, sizeof pkt);
		struct esp_rx rx;
		ck_assert_int_eq(esp_decap(sad, &b, &src, 1000, &rx), -ESP_DROP_UNKNOWN_SPI);
	}
	/* one line per packet up to the burst, then silence; every drop still counted */
	ck_assert_int_eq(lines, (int)lg.burst);
	ck_assert_ptr_nonnull(strstr(last_line, "203.0.113.77"));
	ck_assert_ptr_nonnull(strstr(last_line, "unknown SPI"));
	ck_assert_ptr_nonnull(strstr(last_line, "spi=0xdeadbeef"));
	ck_assert_uint_eq(esp_sad_stats(sad, ESP_DIR_IN)->drops[ESP_DROP_UNKNOWN_SPI], 50);
	ck_assert_ptr_null(esp_next_event(sad)); /* nothing to send back: no amplification */
	esp_sad_free(sad);
}
END_TEST

/* CBC IVs come fresh from the production generator: the same plaintext never encrypts twice
 * to the same bytes; GCM's explicit IV is the sequence number. */
START_TEST(iv_freshness)
{
	struct rp_rng rng;
	rp_rng_gnutls(&rng, 0); /* nonce level: CBC IVs and SPIs */
	for (int k = 0; k < 2; k++) {
		const struct xf *x = &xfs[k ? 7 : 2];
		struct esp_sad *sad = esp_sad_new(NULL, &rng, NULL);
		struct esp_sa_params p;
		keyed(&p, ESP_DIR_OUT, 0x777, x);
		uint32_t id;
		ck_assert_int_eq(esp_sa_add(sad, &p, 0, &id), 0);
		uint8_t a[256], bm[256], iva[16], ivb[16];
		struct rp_buf b1, b2;
		datagram(&b1, a, sizeof a, 50, 3);
		datagram(&b2, bm, sizeof bm, 50, 3);
		ck_assert_int_eq(esp_encap(sad, id, &b1, 0, NULL), 0);
		ck_assert_int_eq(esp_encap(sad, id, &b2, 0, NULL), 0);
		memcpy(iva, rp_buf_data(&b1) + 8, x->iv);
		memcpy(ivb, rp_buf_data(&b2) + 8, x->iv);
		ck_assert(memcmp(iva, ivb, x->iv) != 0);
		ck_assert(memcmp(rp_buf_data(&b1) + 8 + x->iv, rp_buf_data(&b2) + 8 + x->iv, 16) != 0);
		if (k) { /* GCM: 0x00000000 || sequence number */
			ck_assert_uint_eq(rp_get_u32(iva), 0);
			ck_assert_uint_eq(rp_get_u32(iva + 4), 1);
			ck_assert_uint_eq(rp_get_u32(ivb + 4), 2);
		}
		esp_sad_free(sad);
	}
}
END_TEST

/* Both ends behind NAT: the client's checksum covers its private address and the server's
 * address as the client knew it (NAT-OAr); both are replaced (RFC 3948 §3.1.2). */
START_TEST(checksum_both_natoa)
{
	struct pair t;
	pair_init(&t, &xfs[2], ESP_ENCAP_UDP, 0);
	struct rp_addr priv, seen_server, srv_ip = t.server, pub = t.client;
	v4(&priv, "100.64.0.7", 0);
	v4(&seen_server, "203.0.113.200", 0);
	srv_ip.port = pub.port = 0;
	struct esp_sa *sa = esp_sad_find(t.rx, t.in_id);
	sa->natoa_peer = priv;
	sa->natoa_local = seen_server;
	uint8_t mem[256];
	struct rp_buf b;
	datagram(&b, mem, sizeof mem, 21, 9);
	rp_put_u16(rp_buf_data(&b) + 6, natt_udp_csum(&priv, &seen_server, rp_buf_data(&b), b.len));
	ck_assert_int_eq(esp_encap(t.tx, t.out_id, &b, 0, NULL), 0);
	struct esp_rx rx;
	ck_assert_int_eq(esp_decap(t.rx, &b, &t.client, 0, &rx), 0);
	ck_assert_uint_ne(rp_get_u16(rp_buf_data(&b) + 6), 0);
	ck_assert_uint_eq(natt_udp_csum(&pub, &srv_ip, rp_buf_data(&b), b.len), 0);
	pair_free(&t);
}
END_TEST

/* IPv6 outer addresses: SAs, key log family, round trip from a v6 peer */
START_TEST(ipv6_outer)
{
	struct rp_rng rng;
	rp_rng_seeded(&rng, 66);
	struct esp_sad *sad = esp_sad_new(NULL, &rng, NULL);
	struct esp_sa_params p;
	keyed(&p, ESP_DIR_IN, 0, &xfs[8]);
	ck_assert_int_eq(rp_addr_parse(&p.peer, "2001:db8::2"), 0);
	ck_assert_int_eq(rp_addr_parse(&p.local, "2001:db8::1"), 0);
	uint32_t in_id, out_id;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &in_id), 0);
	char line[600];
	ck_assert_int_gt(esp_keylog_line(&p, in_id, line, sizeof line), 0);
	const char *want = "\"IPv6\",\"2001:db8::2\",\"2001:db8::1\",";
	ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "%s", line);
	p.dir = ESP_DIR_OUT;
	p.spi = in_id;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &out_id), 0);
	uint8_t mem[256];
	struct rp_buf b;
	datagram(&b, mem, sizeof mem, 30, 2);
	ck_assert_int_eq(esp_encap(sad, out_id, &b, 0, NULL), 0);
	struct esp_rx rx;
	struct rp_addr src;
	rp_addr_parse(&src, "2001:db8::2");
	ck_assert_int_eq(esp_decap(sad, &b, &src, 0, &rx), 0);
	ck_assert_uint_eq(rx.payload_len, 30);
	ck_assert(!rx.peer_moved);
	esp_sad_free(sad);
}
END_TEST

static Suite *sad_suite(void)
{
	Suite *s = suite_create("esp-sad");
	TCase *t = tcase_create("sad");
	tcase_add_loop_test(t, roundtrip_all_transforms, 0, RP_ARRAY_LEN(xfs));
	tcase_add_test(t, drops_counted);
	tcase_add_test(t, bad_trailers);
	tcase_add_test(t, nat_rebinding_and_checksum);
	tcase_add_test(t, lifetimes_time);
	tcase_add_test(t, lifetimes_bytes_and_seq);
	tcase_add_test(t, spi_allocation);
	tcase_add_test(t, keylog);
	tcase_add_test(t, lifetimes_heap_order);
	tcase_add_test(t, sad_limit);
	tcase_add_test(t, drops_logged_rate_limited);
	tcase_add_test(t, iv_freshness);
	tcase_add_test(t, checksum_both_natoa);
	tcase_add_test(t, ipv6_outer);
	suite_add_tcase(s, t);
	return s;
}

RP_CHECK_MAIN(sad_suite)
