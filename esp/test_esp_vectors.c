/* Published vectors through rampart's own ESP framing:
 *   - RFC 2202 (HMAC-MD5/SHA1, truncation case), RFC 4231 (HMAC-SHA-256/384/512) and RFC 4868
 *     §2.7.2.1 (HMAC-SHA-256-128 with 32-byte keys) through esp_crypto_icv's truncation;
 *   - RFC 3602 §4 cases 5-8: whole ESP packets (AES-CBC-128), produced by esp_encap with the
 *     vector's IV as the "random" IV, and decapsulated back;
 *   - draft-mcgrew-gcm-test-01 (the GCM authors' ESP test packets for RFC 4106) decapsulated by
 *     esp_decap, for AES-GCM-16 with 128-, 192- and 256-bit keys. */
#include "check_main.h"
#include "test_esp_util.h"

/* ---- HMAC ---- */

struct hmac_vec {
	enum esp_auth id;
	bool t96;
	const char *key;  /* hex */
	const char *data; /* ASCII, or hex when it starts with 0x */
	const char *mac;  /* the published full or truncated output: we compare icv_len bytes */
};

static const struct hmac_vec hmac_vecs[] = {
    /* RFC 2202 §2 test case 1, 2, 5 (HMAC-MD5) */
    {ESP_AUTH_HMAC_MD5, false, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
     "9294727a3638bb1c13f48ef8158bfc9d"},
    {ESP_AUTH_HMAC_MD5, false, "4a656665", "what do ya want for nothing?",
     "750c783e6ab0b503eaa86e310a5db738"},
    {ESP_AUTH_HMAC_MD5, false, "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "Test With Truncation",
     "56461ef2342edc00f9bab995"},
    /* RFC 2202 §3 test case 1, 2, 5 (HMAC-SHA-1; case 5 gives digest-96 itself) */
    {ESP_AUTH_HMAC_SHA1, false, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
     "b617318655057264e28bc0b6fb378c8ef146be00"},
    {ESP_AUTH_HMAC_SHA1, false, "4a656665", "what do ya want for nothing?",
     "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
    {ESP_AUTH_HMAC_SHA1, false, "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "Test With Truncation",
     "4c1a03424b55e07fe7f27be1"},
    /* RFC 4231 test cases 1 and 2 */
    {ESP_AUTH_HMAC_SHA2_256, false, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {ESP_AUTH_HMAC_SHA2_256, false, "4a656665", "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {ESP_AUTH_HMAC_SHA2_384, false, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
     "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
    {ESP_AUTH_HMAC_SHA2_384, false, "4a656665", "what do ya want for nothing?",
     "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
    {ESP_AUTH_HMAC_SHA2_512, false, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914"
     "eeb61f1702e696c203a126854"},
    {ESP_AUTH_HMAC_SHA2_512, false, "4a656665", "what do ya want for nothing?",
     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a"
     "34d4a6b4b636e070a38bce737"},
    /* RFC 4868 §2.7.2.1 AUTH256-1..4: ESP-sized 32-byte keys, 128-bit ICVs */
    {ESP_AUTH_HMAC_SHA2_256, false, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
     "Hi There", "198a607eb44bfbc69903a0f1cf2bbdc5"},
    {ESP_AUTH_HMAC_SHA2_256, false, "4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
     "what do ya want for nothing?", "167f928588c5cc2eef8e3093caa0e87c"},
    {ESP_AUTH_HMAC_SHA2_256, false, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "0xdddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
     "cdcb1220d1ecccea91e53aba3092f962"},
    {ESP_AUTH_HMAC_SHA2_256, false, "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
     "0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
     "372efcf9b40b35c2115b1346903d2ef4"},
    /* the Android 6/7 quirk: the same MAC truncated to 96 bits */
    {ESP_AUTH_HMAC_SHA2_256, true, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
     "Hi There", "198a607eb44bfbc69903a0f1"},
};

START_TEST(hmac_vectors)
{
	const struct hmac_vec *v = &hmac_vecs[_i];
	const struct esp_auth_desc *a = esp_auth_find(v->id, v->t96);
	ck_assert_ptr_nonnull(a);
	uint8_t key[200], data[200], mac[64], icv[ESP_MAX_ICV];
	size_t kl = unhex(v->key, key, sizeof key), ml = unhex(v->mac, mac, sizeof mac), dl;
	if (strncmp(v->data, "0x", 2) == 0) {
		dl = unhex(v->data, data, sizeof data);
	} else {
		dl = strlen(v->data);
		memcpy(data, v->data, dl);
	}
	ck_assert_uint_ge(ml, a->icv_len); /* every vector covers the ICV we keep */
	struct esp_crypto x = {0};
	if (kl == a->key_len) {
		/* the ESP key size: through the same init an SA uses */
		struct esp_sa_params p;
		mkparams(&p, ESP_DIR_IN, 0x1000, ESP_ENCR_AES_CBC, 128, "000102030405060708090a0b0c0d0e0f",
		         v->id, NULL);
		p.sha256_96 = v->t96;
		memcpy(p.auth_key, key, kl);
		p.auth_key_len = kl;
		ck_assert_int_eq(esp_crypto_init(&x, &p), 0);
	} else {
		/* RFC 2202/4231 keys of other sizes: same ICV code with a directly keyed context */
		ck_assert_int_eq(esp_crypto_hmac_key(&x, a, key, kl), 0);
	}
	/* twice: the context must reset between packets */
	for (int round = 0; round < 2; round++) {
		memset(icv, 0, sizeof icv);
		ck_assert_int_eq(esp_crypto_icv(&x, data, dl, icv), 0);
		ck_assert_msg(memcmp(icv, mac, a->icv_len) == 0, "%s vector %d round %d", a->name, _i, round);
	}
	esp_crypto_deinit(&x);
}
END_TEST

/* ---- RFC 3602 §4 ESP packets ---- */

struct cbc_vec {
	const char *key, *iv;
	uint32_t spi, seq;
	uint8_t nh;
	const char *payload, *esp;
};

static const struct cbc_vec cbc_vecs[] = {
    {"90d382b410eeba7ad938c46cec1a82bf", "e96e8c08ab465763fd098d45dd3ff893", 0x4321, 1, 1,
     "08000ebda70a00008e9c083db95b070008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2"
     "b2c2d2e2f3031323334353637",
     "0000432100000001e96e8c08ab465763fd098d45dd3ff893f663c25d325c18c6a9453e194e120849a4870b66cc6b9965330013b"
     "4898dc856"
     "a4699e523a55db080b59ec3a8e4b7e52775b07d1db34ed9c538ab50c551b874aa269add047ad2d5913ac19b7cfbad4a6"},
    {"90d382b410eeba7ad938c46cec1a82bf", "69d08df7d203329db093fc4924e5bd80", 0x4321, 8, 1,
     "0800b5e8a80a0500a69c083d0b660e00777777777777777777777777",
     "000043210000000869d08df7d203329db093fc4924e5bd80f51995881ec4e0c4488987ce742e8109689bb379d2d750c0d915dca"
     "346a89f75"},
    {"0123456789abcdef0123456789abcdef", "f4e765244f6407adf13dc1380f673f37", 0x8765, 2, 4,
     "45000054090400004001f988c0a87b03c0a87bc808009f76a90a0100b49c083d02a2040008090a0b0c0d0e0f101112131415161"
     "718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
     "0000876500000002f4e765244f6407adf13dc1380f673f37773b5241a4c449225e4f3ce5ed611b0c237ca96cf74a93013c1b0ea"
     "1a0cf70f8"
     "e4ecaec78ac53aad7a0f022b859243c647752e94a859352b8a4d4d2decd136e5c177f132ad3fbfb2201ac9904c74ee0a109e0ca"
     "1e4dfe9d5"
     "a100b842f1c22f0d"},
    {"0123456789abcdef0123456789abcdef", "85d47224b5f3dd5d2101d4ea8dffab22", 0x8765, 5, 4,
     "45000044090c00004001f990c0a87b03c0a87bc80800d63caa0a0200c69c083da3de0300fffffffffffffffffffffffffffffff"
     "fffffffffffffffffffffffffffffffff",
     "000087650000000585d47224b5f3dd5d2101d4ea8dffab2215b92683819596a8047232cc00f7048fe45318e11f8a0f62ede3c3f"
     "c61203bb5"
     "0f980a08c9843fd3a1b06d5c07ff9639b7eb7dfb3512e5de435e7207ed971ef3d2726d9b5ef6affc6d17a0decbb13892"},
};

#define AKEY "0102030405060708090a0b0c0d0e0f1011121314" /* any HMAC-SHA1 key: RFC 3602 has none */

START_TEST(rfc3602_esp)
{
	const struct cbc_vec *v = &cbc_vecs[_i];
	struct script_rng rng;
	script_rng_init(&rng, NULL);
	struct esp_sad *sad = esp_sad_new(NULL, &rng.r, NULL);
	ck_assert_ptr_nonnull(sad);
	rng.pos = rng.len =
	    0; /* SAD hash key and ids come from the seeded stream; the IV is scripted below */
	struct esp_sa_params p;
	uint32_t out_id, in_id;
	mkparams(&p, ESP_DIR_OUT, v->spi, ESP_ENCR_AES_CBC, 128, v->key, ESP_AUTH_HMAC_SHA1, AKEY);
	p.inner_proto = v->nh;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &out_id), 0);
	p.dir = ESP_DIR_IN;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &in_id), 0);
	ck_assert_uint_eq(in_id, v->spi);
	esp_sad_find(sad, out_id)->seq_out = v->seq - 1;

	uint8_t mem[512], want[256], payload[256];
	size_t wl = unhex(v->esp, want, sizeof want), pl = unhex(v->payload, payload, sizeof payload);
	struct rp_buf b;
	rp_buf_view(&b, mem, sizeof mem, 64, pl);
	memcpy(rp_buf_data(&b), payload, pl);
	rng.len = unhex(v->iv, rng.bytes, sizeof rng.bytes);
	ck_assert_int_eq(esp_encap(sad, out_id, &b, 0, NULL), 0);
	ck_assert_uint_eq(b.len, wl + 12);
	ck_assert_msg(memcmp(rp_buf_data(&b), want, wl) == 0, "case %d: packet differs from RFC 3602",
	              _i + 5);
	/* the ICV, computed independently with GnuTLS's one-shot HMAC */
	uint8_t akey[20], mac[20];
	unhex(AKEY, akey, sizeof akey);
	ck_assert_int_eq(gnutls_hmac_fast(GNUTLS_MAC_SHA1, akey, 20, want, wl, mac), 0);
	ck_assert(memcmp(rp_buf_data(&b) + wl, mac, 12) == 0);

	struct rp_addr src = {0};
	rp_addr_v4(&src, 0xc0a87b03, 0);
	struct esp_rx rx;
	ck_assert_int_eq(esp_decap(sad, &b, &src, 0, &rx), 0);
	ck_assert_uint_eq(rx.next_header, v->nh);
	ck_assert_uint_eq(rx.payload_len, pl);
	ck_assert(memcmp(rx.payload, payload, pl) == 0);
	esp_sad_free(sad);
}
END_TEST

/* ---- draft-mcgrew-gcm-test-01 ESP packets (8-byte AAD = SPI || 32-bit sequence) ---- */

struct gcm_vec {
	unsigned bits;
	const char *key, *salt, *iv;
	uint32_t spi, seq;
	const char *pt, *ct, *tag;
};

static const struct gcm_vec gcm_vecs[] = {
    {128, "feffe9928665731c6d6a8f9467308308", "cafebabe", "facedbaddecaf888", 0xa5f8, 0x0a,
     "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100000100000000000003736970096379626572636"
     "9747902646b00000100010001",
     "deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c3de81827c10e9a4f51330d0eec416642cfbb85a"
     "5b47e48a4ec3b9ba95d918bd1",
     "83b70d3aa8bc6ee4c309e9d85a41ad4a"},
    {256, "abbccddef00112233445566778899aababbccddef00112233445566778899aab", "11223344", "0102030405060708",
     0x4a2cbfe3, 2,
     "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee0000000007002400020bf0000020405b4010104020102020"
     "1",
     "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763748a637985771d347f0545659f14e99def842d8"
     "e",
     "b335f4eecfdbf831824b4c4915956c96"},
    {192, "feffe9928665731c6d6a8f9467308308feffe9928665731c", "cafebabe", "facedbaddecaf888", 0xa5f8, 0x0a,
     "45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e501016d075680001",
     "a5b1f8066029aea40e598b8122de02420938b3ab33f828e687b8858b5bfbdbd0315b27452144cc77",
     "95457b9652037f5318027b5b4cd7a636"},
    /* an empty payload at the last sequence number */
    {128, "7d773d00c144c525ac619d18c84a3f47", "d9664267", "43457e9182443bc6", 0x335467ae, 0xffffffff,
     "01020201", "437f866b", "cb3f699fe9b0822bac961c4504bef270"},
};

START_TEST(mcgrew_gcm_esp)
{
	const struct gcm_vec *v = &gcm_vecs[_i];
	struct rp_rng rng;
	rp_rng_seeded(&rng, 7);
	struct esp_sad *sad = esp_sad_new(NULL, &rng, NULL);
	char key[160];
	snprintf(key, sizeof key, "%s%s", v->key, v->salt);
	uint8_t pt[256], pkt[512];
	size_t ptl = unhex(v->pt, pt, sizeof pt);
	struct esp_sa_params p;
	mkparams(&p, ESP_DIR_IN, v->spi, ESP_ENCR_AES_GCM_16, v->bits, key, ESP_AUTH_NONE, NULL);
	p.inner_proto = pt[ptl - 1]; /* the vector's next header */
	uint32_t id;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &id), 0);

	size_t n = 0;
	rp_put_u32(pkt, v->spi);
	rp_put_u32(pkt + 4, v->seq);
	n = 8 + unhex(v->iv, pkt + 8, 8);
	n += unhex(v->ct, pkt + n, sizeof pkt - n);
	n += unhex(v->tag, pkt + n, 16);
	uint8_t copy[512];
	memcpy(copy, pkt, n);

	struct rp_buf b;
	rp_buf_view(&b, pkt, sizeof pkt, 0, n);
	struct rp_addr src;
	rp_addr_v4(&src, 0xc0a80102, 0);
	struct esp_rx rx;
	ck_assert_int_eq(esp_decap(sad, &b, &src, 0, &rx), 0);
	size_t inner = ptl - 2 - pt[ptl - 2];
	ck_assert_uint_eq(rx.payload_len, inner);
	ck_assert(memcmp(rx.payload, pt, inner) == 0);

	/* the same packet with one tag bit flipped is rejected before anything is delivered */
	struct esp_sad *sad2 = esp_sad_new(NULL, &rng, NULL);
	ck_assert_int_eq(esp_sa_add(sad2, &p, 0, &id), 0);
	copy[n - 1] ^= 0x01;
	rp_buf_view(&b, copy, sizeof copy, 0, n);
	ck_assert_int_eq(esp_decap(sad2, &b, &src, 0, &rx), -ESP_DROP_ICV);
	ck_assert_uint_eq(esp_sad_stats(sad2, ESP_DIR_IN)->drops[ESP_DROP_ICV], 1);
	esp_sad_free(sad2);
	esp_sad_free(sad);
}
END_TEST

static Suite *vectors_suite(void)
{
	Suite *s = suite_create("esp-vectors");
	TCase *t = tcase_create("vectors");
	tcase_add_loop_test(t, hmac_vectors, 0, RP_ARRAY_LEN(hmac_vecs));
	tcase_add_loop_test(t, rfc3602_esp, 0, RP_ARRAY_LEN(cbc_vecs));
	tcase_add_loop_test(t, mcgrew_gcm_esp, 0, RP_ARRAY_LEN(gcm_vecs));
	suite_add_tcase(s, t);
	return s;
}

RP_CHECK_MAIN(vectors_suite)
