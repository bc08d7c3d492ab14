/* Hidden AVPs (RFC 2661 §4.3) and the tunnel-authentication digest (§4.2). MD5 through GnuTLS:
 * no hand-written primitives. */
#include "l2tp_local.h"

#include <gnutls/crypto.h>
#include <string.h>

/* b(1) = MD5(AVP type || secret || RV), b(i) = MD5(secret || c(i-1)); c(i) = p(i) xor b(i). */
static int md5_3(uint8_t out[16], const void *a, size_t al, const void *b, size_t bl, const void *c,
                 size_t cl)
{
	gnutls_hash_hd_t h;
	if (gnutls_hash_init(&h, GNUTLS_DIG_MD5) < 0)
		return -1;
	if ((al && gnutls_hash(h, a, al) < 0) || (bl && gnutls_hash(h, b, bl) < 0) ||
	    (cl && gnutls_hash(h, c, cl) < 0)) {
		gnutls_hash_deinit(h, NULL);
		return -1;
	}
	gnutls_hash_deinit(h, out);
	return 0;
}

/* In-place transform of a hidden value (the hidden part after the AVP header). decrypt selects
 * which side (cipher text) feeds the next block's digest. */
static int hidden_xor(uint8_t *buf, size_t n, uint16_t type, const uint8_t *secret, size_t sl,
                      const uint8_t *rv, size_t rvl, bool decrypt)
{
	uint8_t t[2], b[16], prev[16];
	rp_put_u16(t, type);
	for (size_t off = 0; off < n; off += 16) {
		int rc =
		    off == 0 ? md5_3(b, t, 2, secret, sl, rv, rvl) : md5_3(b, secret, sl, prev, 16, NULL, 0);
		if (rc)
			return -1;
		size_t k = n - off < 16 ? n - off : 16;
		for (size_t i = 0; i < k; i++) {
			uint8_t c = buf[off + i];
			buf[off + i] ^= b[i];
			/* the chain runs over the cipher text in both directions */
			prev[i] = decrypt ? c : buf[off + i];
		}
	}
	rp_wipe(b, sizeof b);
	return 0;
}

int l2tp_hidden_decrypt(uint8_t *out, size_t *out_len, const uint8_t *in, size_t n, uint16_t type,
                        const uint8_t *secret, size_t sl, const uint8_t *rv, size_t rvl)
{
	uint16_t orig;
	if (n < 2)
		return -1;
	memcpy(out, in, n);
	if (hidden_xor(out, n, type, secret, sl, rv, rvl, true))
		return -1;
	orig = rp_get_u16(out);
	/* §4.3: the decrypted Original Length must fit in what was sent (the rest is padding). */
	if ((size_t)orig + 2 > n)
		return -1;
	memmove(out, out + 2, orig);
	*out_len = orig;
	return 0;
}

int l2tp_avp_put_hidden(struct rp_wr *w, uint16_t type, bool mandatory, const void *v, size_t n,
                        const uint8_t *secret, size_t secret_len, const uint8_t rv[16])
{
	uint8_t buf[2 + 256];
	if (n > 256 - 16)
		return -1;
	/* §4.3 recommends padding to hide the length; pad to a multiple of 16 bytes. */
	size_t total = ((2 + n + 15) / 16) * 16;
	memset(buf, 0, sizeof buf);
	rp_put_u16(buf, (uint16_t)n);
	memcpy(buf + 2, v, n);
	if (hidden_xor(buf, total, type, secret, secret_len, rv, 16, false))
		return -1;
	rp_wr_u16(w, (uint16_t)((mandatory ? L2TP_AVP_M : 0) | L2TP_AVP_H | (total + L2TP_AVP_HDR_LEN)));
	rp_wr_u16(w, 0);
	rp_wr_u16(w, type);
	rp_wr_bytes(w, buf, total);
	rp_wipe(buf, sizeof buf);
	return rp_wr_ok(w) ? 0 : -1;
}

int l2tp_chal_digest(uint8_t out[16], uint8_t resp_mt, const uint8_t *secret, size_t secret_len,
                     const uint8_t *chal, size_t chal_len)
{
	return md5_3(out, &resp_mt, 1, secret, secret_len, chal, chal_len);
}
