/* libFuzzer target: inbound ESP. Input = mode byte, then:
 *   mode even: [sa][packet...]   the bytes go to esp_decap as they are (length checks, SPI
 *                                lookup, replay, ICV rejection) from raw or UDP sources;
 *   mode odd:  [sa][seq:4][plaintext...]  the plaintext (padding, pad length, next header, inner
 *                                UDP included) is sealed with the SA's own keys first, so the
 *                                trailer and selector checks behind the ICV are reached too.
 * A fresh SAD per input keeps runs deterministic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_local.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	uint32_t spi;
	enum esp_encr e;
	unsigned bits;
	enum esp_auth a;
	enum esp_encap encap;
} sas[] = {
    {0x1000, ESP_ENCR_AES_CBC, 128, ESP_AUTH_HMAC_SHA1, ESP_ENCAP_UDP},
    {0x2000, ESP_ENCR_AES_GCM_16, 128, ESP_AUTH_NONE, ESP_ENCAP_NONE},
    {0x3000, ESP_ENCR_3DES, 192, ESP_AUTH_HMAC_MD5, ESP_ENCAP_UDP},
    {0x4000, ESP_ENCR_AES_CBC, 256, ESP_AUTH_HMAC_SHA2_512, ESP_ENCAP_NONE},
};

static void params(struct esp_sa_params *p, unsigned i)
{
	memset(p, 0, sizeof *p);
	p->dir = ESP_DIR_IN;
	p->spi = sas[i].spi;
	p->encr = sas[i].e;
	p->encr_keybits = sas[i].bits;
	p->auth = sas[i].a;
	p->encap = sas[i].encap;
	p->inner_local_port = i == 0 ? ESP_L2TP_PORT : 0;
	p->replay_window = 64;
	const struct esp_encr_desc *e = esp_encr_find(p->encr, p->encr_keybits);
	const struct esp_auth_desc *a = p->auth ? esp_auth_find(p->auth, false) : NULL;
	p->enc_key_len = e->key_len;
	for (size_t k = 0; k < p->enc_key_len; k++)
		p->enc_key[k] = (uint8_t)(k * 7 + i);
	if (a) {
		p->auth_key_len = a->key_len;
		for (size_t k = 0; k < p->auth_key_len; k++)
			p->auth_key[k] = (uint8_t)(k * 13 + i);
	}
	rp_addr_v4(&p->peer, 0xc6120002, sas[i].encap ? 4500 : 0);
	rp_addr_v4(&p->local, 0xc6120001, sas[i].encap ? 4500 : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct rp_rng rng;
	rp_rng_seeded(&rng, 1);
	struct esp_sad *sad = esp_sad_new(NULL, &rng, NULL);
	if (!sad)
		abort();
	for (unsigned i = 0; i < RP_ARRAY_LEN(sas); i++) {
		struct esp_sa_params p;
		uint32_t id;
		params(&p, i);
		if (esp_sa_add(sad, &p, 0, &id))
			abort();
	}
	unsigned mode = data[0], which = data[1] % RP_ARRAY_LEN(sas);
	data += 2;
	size -= 2;
	static uint8_t mem[70000];
	struct rp_buf b;
	struct rp_addr src;
	rp_addr_v4(&src, 0xc6120002, (mode & 2) ? 4500 : 0);
	if (!(mode & 1)) {
		if (size > sizeof mem)
			goto out;
		memcpy(mem, data, size);
		rp_buf_view(&b, mem, sizeof mem, 0, size);
	} else {
		/* seal: header, IV, plaintext cut to whole blocks, ICV */
		if (size < 4)
			goto out;
		struct esp_sa *sa = esp_sad_find(sad, sas[which].spi);
		const struct esp_encr_desc *e = sa->x.e;
		size_t ivl = e->iv_len, blk = e->aead_icv ? 1 : e->block, len = (size - 4) / blk * blk;
		if (8 + ivl + len + 32 > sizeof mem)
			goto out;
		rp_put_u32(mem, sa->spi);
		memcpy(mem + 4, data, 4);
		memset(mem + 8, 0x5a, ivl);
		memcpy(mem + 8 + ivl, data + 4, len);
		if (e->aead_icv) {
			if (esp_crypto_gcm(&sa->x, true, mem, mem + 8, mem + 8 + ivl, len,
			                   mem + 8 + ivl + len))
				abort();
		} else {
			if (esp_crypto_cbc(&sa->x, true, mem + 8, mem + 8 + ivl, len) ||
			    esp_crypto_icv(&sa->x, mem, 8 + ivl + len, mem + 8 + ivl + len))
				abort();
		}
		src.port = sas[which].encap ? 4500 : 0;
		rp_buf_view(&b, mem, sizeof mem, 0, 8 + ivl + len + sa->x.icv_len);
	}
	struct esp_rx rx;
	size_t before = b.len;
	int rc = esp_decap(sad, &b, &src, 0, &rx);
#ifdef FUZZ_DEBUG
	fprintf(stderr, "mode %u sa %u: %d\n", mode, which, rc);
#endif
	if (rc == 0) {
		/* what is delivered lies inside what came in */
		if (b.len > before || rx.payload < rp_buf_data(&b) ||
		    rx.payload + rx.payload_len > rp_buf_data(&b) + b.len)
			abort();
		if (rx.next_header == 17 && rx.payload_len + 8 != b.len)
			abort();
	} else if (rc >= 0 || -rc >= ESP_DROP_MAX) {
		abort();
	}
out:
	esp_sad_free(sad);
	return 0;
}
