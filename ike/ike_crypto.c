/* IKEv1 key derivation (RFC 2409 §5, §5.5, appendix B) on GnuTLS primitives: HMAC PRFs, plain
 * hashes for IVs and NAT-D, CBC ciphers. Nothing hand-written beyond the RFC's concatenations. */
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "ike_local.h"

static int hash_algs(uint16_t hash, gnutls_mac_algorithm_t *mac, gnutls_digest_algorithm_t *dig)
{
	switch (hash) {
	case IKE_HASH_MD5:
		*mac = GNUTLS_MAC_MD5;
		*dig = GNUTLS_DIG_MD5;
		return 16;
	case IKE_HASH_SHA1:
		*mac = GNUTLS_MAC_SHA1;
		*dig = GNUTLS_DIG_SHA1;
		return 20;
	case IKE_HASH_SHA256:
		*mac = GNUTLS_MAC_SHA256;
		*dig = GNUTLS_DIG_SHA256;
		return 32;
	case IKE_HASH_SHA384:
		*mac = GNUTLS_MAC_SHA384;
		*dig = GNUTLS_DIG_SHA384;
		return 48;
	case IKE_HASH_SHA512:
		*mac = GNUTLS_MAC_SHA512;
		*dig = GNUTLS_DIG_SHA512;
		return 64;
	default:
		return 0;
	}
}

size_t ike_hash_len(uint16_t hash)
{
	gnutls_mac_algorithm_t m;
	gnutls_digest_algorithm_t d;
	return (size_t)hash_algs(hash, &m, &d);
}

const char *ike_hash_name(uint16_t hash)
{
	switch (hash) {
	case IKE_HASH_MD5:
		return "MD5";
	case IKE_HASH_SHA1:
		return "SHA1";
	case 3:
		return "Tiger";
	case IKE_HASH_SHA256:
		return "SHA2-256";
	case IKE_HASH_SHA384:
		return "SHA2-384";
	case IKE_HASH_SHA512:
		return "SHA2-512";
	default:
		return "unknown-hash";
	}
}

int ike_hashv(uint16_t hash, const struct ike_iov *v, size_t n, uint8_t *out)
{
	gnutls_mac_algorithm_t mac;
	gnutls_digest_algorithm_t dig;
	gnutls_hash_hd_t h;
	if (!hash_algs(hash, &mac, &dig) || gnutls_hash_init(&h, dig) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (v[i].n)
			gnutls_hash(h, v[i].p, v[i].n);
	gnutls_hash_deinit(h, out);
	return 0;
}

int ike_prf(uint16_t hash, const void *key, size_t klen, const struct ike_iov *v, size_t n, uint8_t *out)
{
	gnutls_mac_algorithm_t mac;
	gnutls_digest_algorithm_t dig;
	gnutls_hmac_hd_t h;
	if (!hash_algs(hash, &mac, &dig) || gnutls_hmac_init(&h, mac, key, klen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (v[i].n)
			gnutls_hmac(h, v[i].p, v[i].n);
	gnutls_hmac_deinit(h, out);
	return 0;
}

size_t ike_enc_keylen(uint16_t enc, uint16_t keybits)
{
	if (enc == IKE_ENC_3DES)
		return keybits == 0 || keybits == 192 ? 24 : 0;
	if (enc == IKE_ENC_AES)
		return keybits == 0                                           ? 16
		       : (keybits == 128 || keybits == 192 || keybits == 256) ? keybits / 8
		                                                              : 0;
	return 0;
}

size_t ike_enc_block(uint16_t enc)
{
	return enc == IKE_ENC_3DES ? 8 : enc == IKE_ENC_AES ? 16 : 0;
}

const char *ike_enc_name(uint16_t enc)
{
	switch (enc) {
	case 1:
		return "DES";
	case 2:
		return "IDEA";
	case 3:
		return "Blowfish";
	case 4:
		return "RC5";
	case IKE_ENC_3DES:
		return "3DES";
	case 6:
		return "CAST";
	case IKE_ENC_AES:
		return "AES";
	case 8:
		return "Camellia";
	default:
		return "unknown-cipher";
	}
}

int ike_cbc(uint16_t enc, const uint8_t *key, size_t klen, uint8_t *iv, uint8_t *data, size_t len,
            bool encrypt)
{
	gnutls_cipher_algorithm_t alg;
	size_t blk = ike_enc_block(enc);
	if (enc == IKE_ENC_3DES)
		alg = GNUTLS_CIPHER_3DES_CBC;
	else if (enc == IKE_ENC_AES)
		alg = klen == 16   ? GNUTLS_CIPHER_AES_128_CBC
		      : klen == 24 ? GNUTLS_CIPHER_AES_192_CBC
		                   : GNUTLS_CIPHER_AES_256_CBC;
	else
		return -1;
	if (!blk || len % blk || len == 0)
		return -1;
	gnutls_cipher_hd_t h;
	gnutls_datum_t k = {(unsigned char *)key, (unsigned)klen}, v = {iv, (unsigned)blk};
	if (gnutls_cipher_init(&h, alg, &k, &v) < 0)
		return -1;
	uint8_t next_iv[IKE_MAXBLK];
	if (!encrypt)
		memcpy(next_iv, data + len - blk,
		       blk); /* the last ciphertext block, before it is overwritten */
	int rc = encrypt ? gnutls_cipher_encrypt(h, data, len) : gnutls_cipher_decrypt(h, data, len);
	gnutls_cipher_deinit(h);
	if (rc < 0)
		return -1;
	memcpy(iv, encrypt ? data + len - blk : next_iv, blk);
	return 0;
}

/* RFC 2409 §5: SKEYID = prf(pre-shared-key, Ni_b | Nr_b) for pre-shared keys. */
int ike_skeyid_psk(struct ike_keys *k, const uint8_t *psk, size_t psklen, const uint8_t *ni, size_t nilen,
                   const uint8_t *nr, size_t nrlen)
{
	struct ike_iov v[] = {{ni, nilen}, {nr, nrlen}};
	k->hlen = ike_hash_len(k->hash);
	return ike_prf(k->hash, psk, psklen, v, 2, k->skeyid);
}

/* RFC 2409 §5: SKEYID = prf(Ni_b | Nr_b, g^xy) for signatures. */
int ike_skeyid_sig(struct ike_keys *k, const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
                   const uint8_t *gxy, size_t gxylen)
{
	uint8_t key[512];
	if (nilen + nrlen > sizeof key)
		return -1;
	memcpy(key, ni, nilen);
	memcpy(key + nilen, nr, nrlen);
	struct ike_iov v[] = {{gxy, gxylen}};
	k->hlen = ike_hash_len(k->hash);
	int rc = ike_prf(k->hash, key, nilen + nrlen, v, 1, k->skeyid);
	rp_wipe(key, sizeof key);
	return rc;
}

int ike_keys_derive(struct ike_keys *k, const uint8_t *gxy, size_t gxylen, const uint8_t icky[8],
                    const uint8_t rcky[8])
{
	static const uint8_t c0 = 0, c1 = 1, c2 = 2;
	size_t h = k->hlen = ike_hash_len(k->hash);
	k->blk = ike_enc_block(k->enc);
	if (!h || !k->blk || !k->klen || k->klen > sizeof k->key)
		return -1;
	/* SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
	 * SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
	 * SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2) */
	struct ike_iov vd[] = {{gxy, gxylen}, {icky, 8}, {rcky, 8}, {&c0, 1}};
	struct ike_iov va[] = {{k->d, h}, {gxy, gxylen}, {icky, 8}, {rcky, 8}, {&c1, 1}};
	struct ike_iov ve[] = {{k->a, h}, {gxy, gxylen}, {icky, 8}, {rcky, 8}, {&c2, 1}};
	if (ike_prf(k->hash, k->skeyid, h, vd, 4, k->d) || ike_prf(k->hash, k->skeyid, h, va, 5, k->a) ||
	    ike_prf(k->hash, k->skeyid, h, ve, 5, k->e))
		return -1;
	/* Appendix B: when SKEYID_e is shorter than the key, Ka = K1 | K2 | ..., K1 = prf(SKEYID_e, 0),
	 * Kn = prf(SKEYID_e, Kn-1); otherwise the key is its leading bytes. */
	if (k->klen <= h) {
		memcpy(k->key, k->e, k->klen);
		return 0;
	}
	uint8_t blk[IKE_MAXHASH];
	struct ike_iov v0[] = {{&c0, 1}};
	if (ike_prf(k->hash, k->e, h, v0, 1, blk))
		return -1;
	size_t have = 0;
	for (;;) {
		size_t take = k->klen - have < h ? k->klen - have : h;
		memcpy(k->key + have, blk, take);
		have += take;
		if (have == k->klen)
			break;
		struct ike_iov vn[] = {{blk, h}};
		uint8_t nb[IKE_MAXHASH];
		if (ike_prf(k->hash, k->e, h, vn, 1, nb))
			return -1;
		memcpy(blk, nb, h);
		rp_wipe(nb, sizeof nb);
	}
	rp_wipe(blk, sizeof blk);
	return 0;
}

/* RFC 2409 §5 / appendix B: the phase-1 IV is hash(g^xi | g^xr) truncated to the block. */
int ike_iv_p1(uint16_t hash, size_t blk, const uint8_t *gxi, size_t gxilen, const uint8_t *gxr, size_t gxrlen,
              uint8_t *iv)
{
	uint8_t out[IKE_MAXHASH];
	struct ike_iov v[] = {{gxi, gxilen}, {gxr, gxrlen}};
	if (ike_hashv(hash, v, 2, out) || blk > ike_hash_len(hash))
		return -1;
	memcpy(iv, out, blk);
	return 0;
}

/* Appendix B: a phase-2 exchange's first IV is hash(last phase-1 CBC block | M-ID). */
int ike_iv_p2(uint16_t hash, size_t blk, const uint8_t *last, uint32_t msgid, uint8_t *iv)
{
	uint8_t out[IKE_MAXHASH], mid[4];
	rp_put_u32(mid, msgid);
	struct ike_iov v[] = {{last, blk}, {mid, 4}};
	if (ike_hashv(hash, v, 2, out) || blk > ike_hash_len(hash))
		return -1;
	memcpy(iv, out, blk);
	return 0;
}

/* RFC 2409 §5.5: KEYMAT = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b), expanded as
 * K1 | K2 | ... with Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b). */
int ike_keymat(uint16_t hash, const uint8_t *skeyid_d, size_t hlen, const uint8_t *gqm, size_t gqmlen,
               uint8_t proto, uint32_t spi, const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
               uint8_t *out, size_t need)
{
	uint8_t spib[4], prev[IKE_MAXHASH], cur[IKE_MAXHASH];
	size_t have = 0;
	rp_put_u32(spib, spi);
	if (hlen != ike_hash_len(hash))
		return -1;
	while (have < need) {
		struct ike_iov v[] = {
		    {prev, have ? hlen : 0}, {gqm, gqmlen}, {&proto, 1}, {spib, 4}, {ni, nilen}, {nr, nrlen}};
		if (ike_prf(hash, skeyid_d, hlen, v, 6, cur))
			return -1;
		size_t take = need - have < hlen ? need - have : hlen;
		memcpy(out + have, cur, take);
		have += take;
		memcpy(prev, cur, hlen);
	}
	rp_wipe(prev, sizeof prev);
	rp_wipe(cur, sizeof cur);
	return 0;
}

size_t ike_esp_keylen(uint16_t tf, uint16_t keybits)
{
	if (tf == IKE_ESP_3DES)
		return keybits == 0 || keybits == 192 ? 24 : 0;
	if (tf == IKE_ESP_AES) /* RFC 3602 §5: key length attribute; 128 when absent, as racoon */
		return keybits == 0                                           ? 16
		       : (keybits == 128 || keybits == 192 || keybits == 256) ? keybits / 8
		                                                              : 0;
	/* RFC 4106 §8.4: the key length attribute is required; §8.1: KEYMAT is the key and then the
	 * 4-byte salt, so the salt is taken from the same expansion as the key */
	if (tf == IKE_ESP_AES_GCM_16)
		return keybits == 128 || keybits == 192 || keybits == 256 ? keybits / 8 + 4 : 0;
	return 0;
}

size_t ike_esp_authlen(uint16_t alg)
{
	switch (alg) {
	case IKE_AUTH_HMAC_MD5:
		return 16;
	case IKE_AUTH_HMAC_SHA1:
		return 20;
	case IKE_AUTH_HMAC_SHA256:
		return 32;
	case IKE_AUTH_HMAC_SHA384:
		return 48;
	case IKE_AUTH_HMAC_SHA512:
		return 64;
	default:
		return 0;
	}
}

const char *ike_esp_name(uint16_t tf)
{
	switch (tf) {
	case 2:
		return "DES";
	case IKE_ESP_3DES:
		return "3DES";
	case 11:
		return "NULL";
	case IKE_ESP_AES:
		return "AES";
	case 13:
		return "AES-CTR";
	case 18:
	case 19:
	case 20:
		return "AES-GCM";
	default:
		return "unknown-esp";
	}
}

const char *ike_esp_auth_name(uint16_t alg)
{
	switch (alg) {
	case 0:
		return "none";
	case IKE_AUTH_HMAC_MD5:
		return "HMAC-MD5";
	case IKE_AUTH_HMAC_SHA1:
		return "HMAC-SHA1";
	case 3:
		return "DES-MAC";
	case 4:
		return "KPDK";
	case IKE_AUTH_HMAC_SHA256:
		return "HMAC-SHA2-256";
	case IKE_AUTH_HMAC_SHA384:
		return "HMAC-SHA2-384";
	case IKE_AUTH_HMAC_SHA512:
		return "HMAC-SHA2-512";
	default:
		return "unknown-auth";
	}
}
