/* The RFC 4303 §3.4.3 window: a table of (sequence, expected) in the manner of WireGuard's
 * counter selftest, then the ring bitmap against a naive model (one flag per sequence number)
 * over random traffic for several window sizes. */
#include <stdlib.h>

#include "check_main.h"
#include "test_esp_util.h"

#define W 1024u
enum { OK = 0, DUP = -ESP_DROP_REPLAY, OLD = -ESP_DROP_OLD };

struct step {
	uint32_t seq;
	int want;
};

/* (top - window, top] is inside: with top = t, t - W + 1 is the oldest acceptable number */
static const struct step table[] = {
    {0, OLD}, /* sequence numbers start at 1 */
    {1, OK},
    {1, DUP},
    {9, OK},
    {8, OK},
    {7, OK},
    {7, DUP},
    {W + 1, OK},
    {W, OK},
    {W, DUP},
    {W - 1, OK},
    {2, OK},
    {2, DUP},
    {1, OLD}, /* 1025 - 1 = W: just left of the window */
    {W + 2, OK},
    {1, OLD},
    {2, OLD},
    {3, OK}, /* 3 = top - W + 1 */
    {W + 17, OK},
    {17, OLD},
    {18, OK},
    {W + 17, DUP},
    {W + 16, OK},
    {4 * W, OK},
    {3 * W + 1, OK},
    {3 * W, OLD},
    {10, OLD},
    {4 * W - 1, OK},
    {4 * W + 1, OK},
    {3 * W + 1, OLD},
    {3 * W + 2, OK},
    {3 * W + 2, DUP},
    {4 * W + 1, DUP},
    /* word boundaries of the ring: 63/64/65 within one jump */
    {5 * W + 63, OK},
    {5 * W + 64, OK},
    {5 * W + 65, OK},
    {5 * W + 64, DUP},
    {5 * W + 62, OK},
    /* a jump of more than the whole ring clears it */
    {100 * W, OK},
    {100 * W - 1, OK},
    {99 * W + 1, OK},
    {99 * W, OLD},
    {100 * W - 1, DUP},
    /* the top of the 32-bit space */
    {0xffffffffu, OK},
    {0xffffffffu, DUP},
    {0xfffffffeu, OK},
    {0xffffffffu - W + 1, OK},
    {0xffffffffu - W, OLD},
};

START_TEST(window_table)
{
	uint64_t ring[64];
	struct esp_replay r;
	esp_replay_init(&r, W, ring, esp_replay_words(W));
	for (size_t i = 0; i < RP_ARRAY_LEN(table); i++) {
		int chk = esp_replay_check(&r, table[i].seq);
		ck_assert_msg(chk == table[i].want, "step %zu seq %u: check %d want %d", i, table[i].seq, chk,
		              table[i].want);
		/* check has no side effect */
		ck_assert_int_eq(esp_replay_check(&r, table[i].seq), chk);
		ck_assert_int_eq(esp_replay_update(&r, table[i].seq), chk);
	}
}
END_TEST

/* naive model: a flag per sequence number below LIMIT */
#define LIMIT 4000000u
static unsigned char seen[LIMIT];

static int model(uint32_t top, unsigned w, uint32_t seq)
{
	if (seq == 0)
		return OLD;
	if (seq > top)
		return OK;
	if (top - seq >= w)
		return OLD;
	return seen[seq] ? DUP : OK;
}

static const unsigned windows[] = {64, 128, 100, 1024, 4096};

START_TEST(window_model)
{
	unsigned wcfg = windows[_i], w = (wcfg + 63) & ~63u;
	size_t words = esp_replay_words(w);
	uint64_t *ring = calloc(words, sizeof *ring);
	struct esp_replay r;
	esp_replay_init(&r, w, ring, words);
	memset(seen, 0, sizeof seen);
	uint32_t top = 0;
	srand(1234 + _i);
	for (int n = 0; n < 200000; n++) {
		/* mostly near the top, sometimes jumps and stale packets */
		int k = rand() % 100;
		uint32_t seq;
		if (k < 70)
			seq = top + 1 + (uint32_t)(rand() % 3) - (top > 2 ? 2 : 0);
		else if (k < 98)
			seq = top > w * 2 ? top - (uint32_t)(rand() % (w * 2)) : (uint32_t)(rand() % (w + 1));
		else
			seq = top + (uint32_t)(rand() % (w * 3));
		if (seq >= LIMIT)
			break;
		int want = model(top, w, seq);
		int got = esp_replay_update(&r, seq);
		ck_assert_msg(got == want, "window %u step %d seq %u top %u: got %d want %d", w, n, seq, top,
		              got, want);
		if (want == OK) {
			seen[seq] = 1;
			if (seq > top)
				top = seq;
		}
	}
	free(ring);
}
END_TEST

/* through esp_decap: the window only moves for packets that authenticate */
START_TEST(window_moves_only_after_icv)
{
	struct rp_rng rng;
	rp_rng_seeded(&rng, 3);
	struct esp_sad *sad = esp_sad_new(NULL, &rng, NULL);
	struct esp_sa_params p;
	mkparams(&p, ESP_DIR_IN, 0x5000, ESP_ENCR_AES_CBC, 128, "000102030405060708090a0b0c0d0e0f",
	         ESP_AUTH_HMAC_SHA1, "0102030405060708090a0b0c0d0e0f1011121314");
	uint32_t id;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &id), 0);
	/* a forged packet with a huge sequence number and garbage ICV */
	uint8_t pkt[8 + 16 + 16 + 12] = {0};
	rp_put_u32(pkt, 0x5000);
	rp_put_u32(pkt + 4, 1000000);
	struct rp_buf b;
	rp_buf_view(&b, pkt, sizeof pkt, 0, sizeof pkt);
	struct rp_addr src;
	v4(&src, "198.18.0.2", 0);
	struct esp_rx rx;
	ck_assert_int_eq(esp_decap(sad, &b, &src, 0, &rx), -ESP_DROP_ICV);
	uint64_t top;
	ck_assert_int_eq(esp_sa_seq(sad, id, &top), 0);
	ck_assert_uint_eq(top, 0);
	esp_sad_free(sad);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("esp-replay");
	TCase *t = tcase_create("window");
	tcase_add_test(t, window_table);
	tcase_add_loop_test(t, window_model, 0, RP_ARRAY_LEN(windows));
	tcase_add_test(t, window_moves_only_after_icv);
	suite_add_tcase(s, t);
	return s;
}

RP_CHECK_MAIN(replay_suite)
