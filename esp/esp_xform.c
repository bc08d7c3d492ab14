/* Transforms: IKEv1/IPsec DOI identifiers mapped to GnuTLS ciphers and Nettle hashes, and the
 * per-SA contexts. Every cipher is GnuTLS's, every HMAC Nettle's; this file only frames the calls. Contexts
 * are keyed once at SA installation, so the hot path only resets IVs and MAC states (no allocation). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/cbc.h>
#include <nettle/hmac.h>

#include "esp_local.h"

/* RFC 2451 (3DES-CBC, 8-byte IV), RFC 3602 (AES-CBC, 16-byte IV), RFC 4106 (AES-GCM: 8-byte
 * explicit IV, 4-byte salt at the end of the key material, 16-byte ICV; padding only to the
 * 4-byte alignment RFC 4303 §2.4 requires). Wireshark names are its esp_sa UAT values. */
static const struct esp_encr_desc encr_tab[] = {
    {ESP_ENCR_3DES, 192, GNUTLS_CIPHER_3DES_CBC, NULL, 24, 8, 8, 0, "3DES-CBC", "TripleDES-CBC [RFC2451]"},
    {ESP_ENCR_AES_CBC, 128, GNUTLS_CIPHER_AES_128_CBC, &nettle_aes128, 16, 16, 16, 0, "AES-CBC-128",
     "AES-CBC [RFC3602]"},
    {ESP_ENCR_AES_CBC, 192, GNUTLS_CIPHER_AES_192_CBC, &nettle_aes192, 24, 16, 16, 0, "AES-CBC-192",
     "AES-CBC [RFC3602]"},
    {ESP_ENCR_AES_CBC, 256, GNUTLS_CIPHER_AES_256_CBC, &nettle_aes256, 32, 16, 16, 0, "AES-CBC-256",
     "AES-CBC [RFC3602]"},
    {ESP_ENCR_AES_GCM_16, 128, GNUTLS_CIPHER_AES_128_GCM, NULL, 20, 8, 4, 16, "AES-GCM-16-128",
     "AES-GCM with 16 octet ICV [RFC4106]"},
    {ESP_ENCR_AES_GCM_16, 192, GNUTLS_CIPHER_AES_192_GCM, NULL, 28, 8, 4, 16, "AES-GCM-16-192",
     "AES-GCM with 16 octet ICV [RFC4106]"},
    {ESP_ENCR_AES_GCM_16, 256, GNUTLS_CIPHER_AES_256_GCM, NULL, 36, 8, 4, 16, "AES-GCM-16-256",
     "AES-GCM with 16 octet ICV [RFC4106]"},
};

/* RFC 2403 (MD5-96), RFC 2404 (SHA1-96), RFC 4868 (SHA-2, ICV = half the output), and the
 * draft-ietf-ipsec-ciph-sha-256-00 96-bit truncation Android 6/7 use (docs/clients.md, Android). */
static const struct esp_auth_desc auth_tab[] = {
    {ESP_AUTH_HMAC_MD5, false, &nettle_md5, 16, 12, "HMAC-MD5-96", "HMAC-MD5-96 [RFC2403]"},
    {ESP_AUTH_HMAC_SHA1, false, &nettle_sha1, 20, 12, "HMAC-SHA1-96", "HMAC-SHA-1-96 [RFC2404]"},
    {ESP_AUTH_HMAC_SHA2_256, false, &nettle_sha256, 32, 16, "HMAC-SHA2-256-128",
     "HMAC-SHA-256-128 [RFC4868]"},
    {ESP_AUTH_HMAC_SHA2_256, true, &nettle_sha256, 32, 12, "HMAC-SHA2-256-96",
     "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]"},
    {ESP_AUTH_HMAC_SHA2_384, false, &nettle_sha384, 48, 24, "HMAC-SHA2-384-192",
     "HMAC-SHA-384-192 [RFC4868]"},
    {ESP_AUTH_HMAC_SHA2_512, false, &nettle_sha512, 64, 32, "HMAC-SHA2-512-256",
     "HMAC-SHA-512-256 [RFC4868]"},
};

const struct esp_encr_desc *esp_encr_find(unsigned id, unsigned keybits)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(encr_tab); i++)
		if (encr_tab[i].id == id && encr_tab[i].keybits == keybits)
			return &encr_tab[i];
	return NULL;
}

const struct esp_auth_desc *esp_auth_find(unsigned id, bool sha256_96)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(auth_tab); i++)
		if (auth_tab[i].id == id &&
		    auth_tab[i].trunc96 == (sha256_96 && id == ESP_AUTH_HMAC_SHA2_256))
			return &auth_tab[i];
	return NULL;
}

/* Schedules the AES-CBC key for encryption or decryption. */
static void cbc_key(struct esp_crypto *x, bool enc)
{
	const struct nettle_cipher *c = x->e->cbc;
	(enc ? c->set_encrypt_key : c->set_decrypt_key)(x->k + c->key_size, x->k);
	x->k_enc = enc;
}

int esp_crypto_init(struct esp_crypto *x, const struct esp_sa_params *p)
{
	memset(x, 0, sizeof *x);
	const struct esp_encr_desc *e = esp_encr_find(p->encr, p->encr_keybits);
	if (!e || p->enc_key_len != e->key_len)
		return -EINVAL;
	const struct esp_auth_desc *a = NULL;
	if (e->aead_icv) {
		/* RFC 4106 §5: combined mode; an integrity algorithm alongside it is a misconfiguration */
		if (p->auth != ESP_AUTH_NONE)
			return -EINVAL;
	} else {
		a = esp_auth_find(p->auth, p->sha256_96);
		if (!a || p->auth_key_len != a->key_len)
			return -EINVAL;
	}
	size_t klen = e->aead_icv ? (size_t)e->key_len - 4 : e->key_len;
	gnutls_datum_t key = {(unsigned char *)p->enc_key, (unsigned)klen};
	x->e = e;
	if (e->cbc) {
		if (!(x->k = malloc(klen + e->cbc->context_size)))
			return -ENOMEM;
		memcpy(x->k, p->enc_key, klen);
		cbc_key(x, p->dir == ESP_DIR_OUT);
	} else if (gnutls_cipher_init(&x->c, e->alg, &key, NULL) < 0) {
		return -EINVAL;
	}
	if (e->aead_icv) {
		memcpy(x->salt, p->enc_key + klen, 4);
		x->icv_len = e->aead_icv;
	} else {
		if (esp_crypto_hmac_key(x, a, p->auth_key, a->key_len)) {
			esp_crypto_deinit(x);
			return -ENOMEM;
		}
	}
	x->a = a;
	return 0;
}

int esp_crypto_hmac_key(struct esp_crypto *x, const struct esp_auth_desc *a, const uint8_t *key, size_t len)
{
	size_t cs = a->hash->context_size;
	x->h = malloc(3 * cs);
	if (!x->h)
		return -ENOMEM;
	hmac_set_key(x->h, x->h + cs, x->h + 2 * cs, a->hash, len, key);
	x->a = a;
	x->icv_len = a->icv_len;
	return 0;
}

void esp_crypto_deinit(struct esp_crypto *x)
{
	/* GnuTLS wipes its key schedules in deinit; the HMAC states are keyed, wiped here */
	if (x->c)
		gnutls_cipher_deinit(x->c);
	if (x->k) {
		rp_wipe(x->k, x->e->cbc->key_size + (size_t)x->e->cbc->context_size);
		free(x->k);
	}
	if (x->h) {
		rp_wipe(x->h, 3 * (size_t)x->a->hash->context_size);
		free(x->h);
	}
	rp_wipe(x->salt, sizeof x->salt);
	x->c = NULL;
	x->k = NULL;
	x->h = NULL;
}

int esp_crypto_icv(struct esp_crypto *x, const uint8_t *p, size_t len, uint8_t *icv)
{
	size_t cs = x->a->hash->context_size;
	hmac_update(x->h + 2 * cs, x->a->hash, len, p);
	/* truncated to the ICV (Nettle gives the leftmost bytes); resets the state for the next
	 * packet, same key */
	hmac_digest(x->h, x->h + cs, x->h + 2 * cs, x->a->hash, x->icv_len, icv);
	return 0;
}

int esp_crypto_cbc(struct esp_crypto *x, bool enc, const uint8_t *iv, uint8_t *buf, size_t len)
{
	if (x->k) {
		const struct nettle_cipher *c = x->e->cbc;
		uint8_t v[16];
		if (len % c->block_size)
			return -EIO;
		if (enc != x->k_enc)
			cbc_key(x, enc); /* the other direction: only tests forging packets do this */
		memcpy(v, iv, c->block_size);
		(enc ? cbc_encrypt : cbc_decrypt)(x->k + c->key_size, enc ? c->encrypt : c->decrypt,
		                                  c->block_size, v, len, buf, buf);
		return 0;
	}
	gnutls_cipher_set_iv(x->c, (void *)iv, x->e->iv_len);
	int rc = enc ? gnutls_cipher_encrypt(x->c, buf, len) : gnutls_cipher_decrypt(x->c, buf, len);
	return rc < 0 ? -EIO : 0;
}

int esp_crypto_gcm(struct esp_crypto *x, bool enc, const uint8_t *hdr, const uint8_t *iv8, uint8_t *buf,
                   size_t len, uint8_t *tag)
{
	uint8_t nonce[12];
	memcpy(nonce, x->salt, 4); /* RFC 4106 §4: salt || explicit IV */
	memcpy(nonce + 4, iv8, 8);
	gnutls_cipher_set_iv(x->c, nonce, sizeof nonce);
	/* RFC 4106 §5: AAD is SPI || 32-bit sequence number (no ESN) */
	if (gnutls_cipher_add_auth(x->c, hdr, ESP_HDR) < 0)
		return -EIO;
	int rc = enc ? gnutls_cipher_encrypt(x->c, buf, len) : gnutls_cipher_decrypt(x->c, buf, len);
	if (rc < 0 || gnutls_cipher_tag(x->c, tag, x->icv_len) < 0)
		return -EIO;
	return 0;
}
