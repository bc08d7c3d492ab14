/* Outbound ESP (RFC 4303 §3.3), transport mode, in place: the trailer goes into tailroom, the
 * header and IV into headroom, and the ciphertext overwrites the plaintext. */
#include <errno.h>
#include <string.h>

#include "esp_local.h"

int esp_encap(struct esp_sad *sad, uint32_t sa_id, struct rp_buf *b, uint64_t now_ms, struct esp_tx *tx)
{
	struct esp_sa *sa = esp_sad_find(sad, sa_id);
	if (!sa || sa->state != ESP_SA_LIVE || sa->dir != ESP_DIR_OUT)
		return -ENOENT;
	if (sa->hard_pending || now_ms >= sa->hard_at) {
		sa->st.drops[ESP_DROP_EXPIRED]++;
		sad->st_out.drops[ESP_DROP_EXPIRED]++;
		return -ETIME;
	}
	/* RFC 4303 §3.3.3: the counter never cycles; the SA must be replaced before 2^32 - 1 */
	if (sa->seq_out >= UINT32_MAX) {
		sa->hard_pending = true;
		sa->exp_cause = ESP_EXP_SEQ;
		esp_sa_mark(sad, sa);
		sa->st.drops[ESP_DROP_EXPIRED]++;
		sad->st_out.drops[ESP_DROP_EXPIRED]++;
		return -ETIME;
	}
	struct esp_crypto *x = &sa->x;
	const size_t ivl = x->e->iv_len, icvl = x->icv_len, blk = x->e->block;
	size_t inner = b->len;
	/* RFC 4303 §2.4: pad so that payload + pad + 2 fills whole cipher blocks (CBC) or ends on a
	 * 4-byte boundary (GCM) */
	size_t padded = (inner + 2 + blk - 1) / blk * blk, pad = padded - inner - 2;
	if (rp_buf_headroom(b) < ESP_HDR + ivl || rp_buf_tailroom(b) < pad + 2 + icvl)
		return -ENOSPC;

	uint32_t seq = (uint32_t)++sa->seq_out;
	uint8_t *tr = rp_buf_put(b, pad + 2);
	for (size_t i = 0; i < pad; i++)
		tr[i] = (uint8_t)(i + 1);
	tr[pad] = (uint8_t)pad;
	tr[pad + 1] = sa->inner_proto;
	uint8_t *hdr = rp_buf_push(b, ESP_HDR + ivl), *iv = hdr + ESP_HDR, *ct = iv + ivl;
	rp_put_u32(hdr, sa->spi);
	rp_put_u32(hdr + 4, seq);
	int rc;
	if (x->e->aead_icv) {
		/* RFC 4106 §3.1: the explicit IV must never repeat under a key; the sequence number,
		 * which never wraps on this SA, is such a counter */
		rp_put_u32(iv, 0);
		rp_put_u32(iv + 4, seq);
		rc = esp_crypto_gcm(x, true, hdr, iv, ct, padded, rp_buf_put(b, icvl));
	} else {
		/* RFC 3602 §2: a CBC IV must be unpredictable: fresh random bytes per packet */
		rc = rp_rng_fill(sad->rng, iv, ivl) ? -EIO : esp_crypto_cbc(x, true, iv, ct, padded);
		if (!rc)
			rc = esp_crypto_icv(x, hdr, ESP_HDR + ivl + padded, rp_buf_put(b, icvl));
	}
	if (rc) {
		sa->st.drops[ESP_DROP_CRYPTO]++;
		sad->st_out.drops[ESP_DROP_CRYPTO]++;
		return -EIO;
	}
	if (seq >= ESP_SEQ_SOFT && !sa->soft_done && !sa->soft_pending) {
		sa->soft_pending = true;
		sa->exp_cause = ESP_EXP_SEQ;
		esp_sa_mark(sad, sa);
	}
	sa->st.packets++;
	sa->st.bytes += inner;
	sad->st_out.packets++;
	sad->st_out.bytes += inner;
	esp_sa_account(sad, sa, inner);
	if (tx) {
		tx->local = sa->local;
		tx->peer = sa->peer;
		tx->encap = (enum esp_encap)sa->encap;
	}
	return 0;
}

int esp_sa_set_peer(struct esp_sad *sad, uint32_t sa_id, const struct rp_addr *peer)
{
	struct esp_sa *sa = esp_sad_find(sad, sa_id);
	if (!sa || sa->state == ESP_SA_LARVAL)
		return -ENOENT;
	sa->peer = *peer;
	return 0;
}
