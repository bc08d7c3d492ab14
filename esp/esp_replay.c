/* Anti-replay window, RFC 4303 §3.4.3, kept as the RFC 6479 ring of 64-bit words: advancing the
 * right edge clears whole words instead of shifting a bitmap, so a window of thousands of bits
 * costs the same per packet as one of 64. The check is side-effect free; the window moves only
 * once the ICV has verified, so forged packets cannot advance it. */
#include "esp_local.h"

size_t esp_replay_words(unsigned window)
{
	/* a window of W bits touches at most ceil(W/64) + 1 words: the right edge's word is partial */
	size_t need = (window + 63) / 64 + 1, w = 1;
	while (w < need)
		w <<= 1;
	return w;
}

void esp_replay_init(struct esp_replay *r, unsigned window, uint64_t *ring, size_t words)
{
	r->top = 0;
	r->window = window;
	r->words = (uint32_t)words;
	r->ring = ring;
	for (size_t i = 0; i < words; i++)
		ring[i] = 0;
}

int esp_replay_check(const struct esp_replay *r, uint32_t seq)
{
	if (seq == 0) /* RFC 4303 §2.2: the first packet sent has sequence number 1 */
		return -ESP_DROP_OLD;
	if (seq > r->top)
		return 0;
	if (r->top - seq >= r->window) /* left of the window: (top - window, top] is inside */
		return -ESP_DROP_OLD;
	uint32_t word = (seq >> 6) & (r->words - 1);
	if (r->ring[word] & (1ull << (seq & 63)))
		return -ESP_DROP_REPLAY;
	return 0;
}

int esp_replay_update(struct esp_replay *r, uint32_t seq)
{
	int rc = esp_replay_check(r, seq);
	if (rc)
		return rc;
	if (seq > r->top) {
		/* clear the words between the old right edge and the new one (at most the whole ring) */
		uint32_t cur = r->top >> 6, idx = seq >> 6, diff = idx - cur;
		if (diff > r->words)
			diff = r->words;
		for (uint32_t i = 1; i <= diff; i++)
			r->ring[(cur + i) & (r->words - 1)] = 0;
		r->top = seq;
	}
	r->ring[(seq >> 6) & (r->words - 1)] |= 1ull << (seq & 63);
	return 0;
}
