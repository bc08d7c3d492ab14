/* Key derivation against vectors: RFC 2202/4231 HMAC, RFC 3602 AES-CBC, 3DES on a KLIPS ESP
 * capture with its published key, and two complete IKEv1 derivations recorded from strongSwan's
 * charon (its own dumps of SKEYID*, Ka, IV, HASH_I and child keys; tests/data/ike-kat-charon-*).
 * DH: both sides agree, degenerate public values and off-curve points are refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "check_main.h"
#include "ike_local.h"
#include "test_pcap.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h) / 2;
	ck_assert_uint_le(n, cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* ---- primitives -------------------------------------------------------------------------------- */

START_TEST(t_hmac_vectors)
{
	static const struct {
		uint16_t hash;
		const char *out;
	} v[] = {
	    {IKE_HASH_MD5, "750c783e6ab0b503eaa86e310a5db738"},          /* RFC 2202 test case 2 */
	    {IKE_HASH_SHA1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"}, /* RFC 2202 test case 2 */
	    {IKE_HASH_SHA256,
	     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"}, /* RFC 4231 tc 2 */
	    {IKE_HASH_SHA384, "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
	                      "8e2240ca5e69e2c78b3239ecfab21649"},
	    {IKE_HASH_SHA512, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	                      "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
	};
	for (size_t i = 0; i < RP_ARRAY_LEN(v); i++) {
		uint8_t out[64], want[64];
		size_t n = unhex(v[i].out, want, sizeof want);
		/* the data split across pieces, as the IKE hashes are fed */
		struct ike_iov iov[] = {{"what do ya ", 11}, {"", 0}, {"want for nothing?", 17}};
		ck_assert_int_eq(ike_prf(v[i].hash, "Jefe", 4, iov, 3, out), 0);
		ck_assert_uint_eq(ike_hash_len(v[i].hash), n);
		ck_assert_mem_eq(out, want, n);
	}
	uint8_t out[64];
	struct ike_iov one = {"x", 1};
	ck_assert_int_eq(ike_prf(3 /* Tiger */, "k", 1, &one, 1, out), -1);
}
END_TEST

START_TEST(t_aes_cbc_rfc3602)
{
	uint8_t key[16], iv[16], pt[32], ct[32];
	/* Case #1 */
	unhex("06a9214036b8a15b512e03d534120006", key, 16);
	unhex("3dafba429d9eb430b422da802c9fac41", iv, 16);
	memcpy(pt, "Single block msg", 16);
	unhex("e353779c1079aeb82708942dbe77181a", ct, 16);
	ck_assert_int_eq(ike_cbc(IKE_ENC_AES, key, 16, iv, pt, 16, true), 0);
	ck_assert_mem_eq(pt, ct, 16);
	ck_assert_mem_eq(iv, ct, 16); /* the next IV is the last ciphertext block */
	/* Case #2, decrypting */
	unhex("c286696d887c9aa0611bbb3e2025a45a", key, 16);
	unhex("562e17996d093d28ddb3ba695a2e6f58", iv, 16);
	unhex("d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1", ct, 32);
	memcpy(pt, ct, 32);
	ck_assert_int_eq(ike_cbc(IKE_ENC_AES, key, 16, iv, pt, 32, false), 0);
	for (int i = 0; i < 32; i++)
		ck_assert_int_eq(pt[i], i);
	ck_assert_mem_eq(iv, ct + 16, 16);
	ck_assert_int_eq(ike_cbc(IKE_ENC_AES, key, 16, iv, pt, 15, true), -1);
}
END_TEST

START_TEST(t_3des_klips_capture)
{
	/* The first ESP packet of tcpdump's 02-sunrise-sunset-esp.pcap with its published 3DES key:
	 * decrypted, the payload must end in RFC 4303 self-describing padding and next header 4
	 * (IPv4 in tunnel mode), and start with an IPv4 header. */
	char path[512];
	char err[PCAP_ERRBUF_SIZE];
	snprintf(path, sizeof path, "%s/ike-tcpdump-02-sunrise-sunset-esp.pcap", RP_DATA);
	pcap_t *p = pcap_open_offline(path, err);
	ck_assert_ptr_nonnull(p);
	struct pcap_pkthdr *h;
	const u_char *d;
	ck_assert_int_eq(pcap_next_ex(p, &h, &d), 1);
	const uint8_t *esp = d + 14 + 20;
	size_t len = h->caplen - 14 - 20 - 12; /* minus the 96-bit ICV */
	uint8_t key[24], iv[8], buf[256];
	unhex("4043434545464649494a4a4c4c4f4f515152525454575758", key, 24);
	memcpy(iv, esp + 8, 8);
	size_t n = len - 16;
	memcpy(buf, esp + 16, n);
	ck_assert_int_eq(ike_cbc(IKE_ENC_3DES, key, 24, iv, buf, n, false), 0);
	ck_assert_int_eq(buf[0], 0x45);
	ck_assert_int_eq(buf[n - 1], 4);
	uint8_t pad = buf[n - 2];
	for (uint8_t i = 1; i <= pad; i++)
		ck_assert_int_eq(buf[n - 2 - pad + i - 1], i);
	pcap_close(p);
}
END_TEST

/* ---- charon vectors ------------------------------------------------------------------------------ */

struct kat {
	uint8_t v[24][1024];
	size_t n[24];
};
static const char *const names[] = {"psk",      "ni",       "nr",    "gxy",   "skeyid",      "skeyid_d",
                                    "skeyid_a", "skeyid_e", "ka",    "iv",    "hash_i_data", "hash_i",
                                    "seed_i",   "seed_r",   "enc_i", "enc_r", "int_i",       "int_r",
                                    "hash",     "enc",      "keylen"};
enum {
	PSK,
	NI,
	NR,
	GXY,
	SKEYID,
	SKD,
	SKA,
	SKE,
	KA,
	IV,
	HID,
	HI,
	SEEDI,
	SEEDR,
	ENCI,
	ENCR,
	INTI,
	INTR,
	HASH,
	ENC,
	KEYLEN
};

static void load(const char *file, struct kat *k)
{
	char path[512], line[4096], name[32], hex[4000];
	snprintf(path, sizeof path, "%s/%s", RP_DATA, file);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	memset(k, 0, sizeof *k);
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || sscanf(line, "%31s %3999s", name, hex) != 2)
			continue;
		for (size_t i = 0; i < RP_ARRAY_LEN(names); i++)
			if (strcmp(names[i], name) == 0)
				k->n[i] = unhex(hex, k->v[i], sizeof k->v[i]);
	}
	fclose(f);
	for (size_t i = 0; i < RP_ARRAY_LEN(names); i++)
		ck_assert_msg(k->n[i], "%s: missing %s", file, names[i]);
}

static void check_kat(const char *file)
{
	struct kat *k = malloc(sizeof *k);
	load(file, k);
	struct ike_keys keys;
	memset(&keys, 0, sizeof keys);
	keys.hash = rp_get_u16(k->v[HASH]);
	keys.enc = rp_get_u16(k->v[ENC]);
	keys.klen = ike_enc_keylen(keys.enc, rp_get_u16(k->v[KEYLEN]));
	ck_assert_uint_eq(keys.klen, k->n[KA]);
	/* SKEYID = prf(PSK, Ni_b | Nr_b) */
	ck_assert_int_eq(ike_skeyid_psk(&keys, k->v[PSK], k->n[PSK], k->v[NI], k->n[NI], k->v[NR], k->n[NR]),
	                 0);
	ck_assert_mem_eq(keys.skeyid, k->v[SKEYID], k->n[SKEYID]);
	/* HASH_I's input starts g^xi | g^xr | CKY-I | CKY-R */
	size_t gl = k->n[GXY];
	const uint8_t *gxi = k->v[HID], *gxr = k->v[HID] + gl, *ci = k->v[HID] + 2 * gl, *cr = ci + 8;
	if (keys.enc == IKE_ENC_AES || keys.enc == IKE_ENC_3DES) {
		/* ECP would make g^x twice the secret's length; both vectors are MODP */
		ck_assert_int_eq(ike_keys_derive(&keys, k->v[GXY], gl, ci, cr), 0);
	}
	ck_assert_mem_eq(keys.d, k->v[SKD], k->n[SKD]);
	ck_assert_mem_eq(keys.a, k->v[SKA], k->n[SKA]);
	ck_assert_mem_eq(keys.e, k->v[SKE], k->n[SKE]);
	ck_assert_mem_eq(keys.key, k->v[KA], k->n[KA]);
	uint8_t iv[16], h[64];
	ck_assert_int_eq(ike_iv_p1(keys.hash, keys.blk, gxi, gl, gxr, gl, iv), 0);
	ck_assert_uint_eq(keys.blk, k->n[IV]);
	ck_assert_mem_eq(iv, k->v[IV], k->n[IV]);
	struct ike_iov hv = {k->v[HID], k->n[HID]};
	ck_assert_int_eq(ike_prf(keys.hash, keys.skeyid, keys.hlen, &hv, 1, h), 0);
	ck_assert_mem_eq(h, k->v[HI], k->n[HI]);
	/* KEYMAT (RFC 2409 §5.5) from charon's seeds: [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b,
	 * with its 32-byte Quick Mode nonces; initiator keys then responder keys */
	for (int dir = 0; dir < 2; dir++) {
		const uint8_t *s = k->v[dir ? SEEDR : SEEDI];
		size_t sl = k->n[dir ? SEEDR : SEEDI], pre = sl - 69;
		size_t el = k->n[dir ? ENCR : ENCI], al = k->n[dir ? INTR : INTI];
		uint8_t km[128];
		ck_assert_int_eq(ike_keymat(keys.hash, keys.d, keys.hlen, s, pre, s[pre],
		                            rp_get_u32(s + pre + 1), s + pre + 5, 32, s + pre + 37, 32, km,
		                            el + al),
		                 0);
		ck_assert_mem_eq(km, k->v[dir ? ENCR : ENCI], el);
		ck_assert_mem_eq(km + el, k->v[dir ? INTR : INTI], al);
	}
	free(k);
}

START_TEST(t_charon_3des_sha1_modp1024)
{
	check_kat("ike-kat-charon-1.txt"); /* 3DES key from SHA1: appendix B expansion */
}
END_TEST

START_TEST(t_charon_aes256_sha256_modp2048_pfs)
{
	check_kat("ike-kat-charon-2.txt"); /* PFS: g(qm)^xy in the KEYMAT seed */
}
END_TEST

/* ---- DH ------------------------------------------------------------------------------------------ */

static const uint16_t groups[] = {2, 5, 14, 15, 16, 19, 20, 21};

START_TEST(t_dh_agree_and_refuse)
{
	struct rp_rng r1, r2;
	struct ike_dh a, b;
	uint8_t s1[IKE_MAXPUB], s2[IKE_MAXPUB], bad[IKE_MAXPUB];
	size_t l1, l2;
	uint16_t g = groups[_i];
	rp_rng_seeded(&r1, 10 + g);
	rp_rng_seeded(&r2, 20 + g);
	ck_assert_int_eq(ike_dh_init(&a, g, &r1), 0);
	ck_assert_int_eq(ike_dh_init(&b, g, &r2), 0);
	ck_assert_uint_eq(a.publen, ike_dh_publen(g));
	ck_assert_int_eq(ike_dh_shared(&a, b.pub, b.publen, s1, &l1), 0);
	ck_assert_int_eq(ike_dh_shared(&b, a.pub, a.publen, s2, &l2), 0);
	ck_assert_uint_eq(l1, l2);
	ck_assert_mem_eq(s1, s2, l1);
	ck_assert(memcmp(a.pub, b.pub, a.publen) != 0);
	size_t pl = a.publen;
	ck_assert_int_eq(ike_dh_shared(&a, b.pub, pl - 1, s1, &l1), -1); /* wrong length */
	if (!ike_dh_is_ecp(g)) {
		/* RFC 2631-style checks: 0, 1, p-1 and p are refused */
		memset(bad, 0, pl);
		ck_assert_int_eq(ike_dh_shared(&a, bad, pl, s1, &l1), -1);
		bad[pl - 1] = 1;
		ck_assert_int_eq(ike_dh_shared(&a, bad, pl, s1, &l1), -1);
		memset(bad, 0xff, pl); /* all primes here are 2^n - ... - 1 + ...: p-1 ends ...fe */
		bad[pl - 1] = 0xfe;
		ck_assert_int_eq(ike_dh_shared(&a, bad, pl, s1, &l1), -1);
		bad[pl - 1] = 0xff;
		ck_assert_int_eq(ike_dh_shared(&a, bad, pl, s1, &l1), -1); /* > p */
		bad[pl - 1] = 2;
		memset(bad, 0, pl - 1);
		ck_assert_int_eq(ike_dh_shared(&a, bad, pl, s1, &l1), 0); /* 2 is fine */
	} else {
		/* a point off the curve: y + 1 */
		memcpy(bad, b.pub, pl);
		bad[pl - 1] ^= 1;
		ck_assert_int_eq(ike_dh_shared(&a, bad, pl, s1, &l1), -1);
		memset(bad, 0, pl); /* (0, 0) */
		ck_assert_int_eq(ike_dh_shared(&a, bad, pl, s1, &l1), -1);
	}
	ike_dh_clear(&a);
	ike_dh_clear(&b);
	ck_assert(!ike_dh_supported(1));
	ck_assert(!ike_dh_supported(22));
	ck_assert_int_eq(ike_dh_init(&a, 1, &r1), -1);
}
END_TEST

START_TEST(t_modp_primes)
{
	/* the public values have the primes' sizes (RFC 2409 §6.2, RFC 3526 §2-5) */
	for (size_t i = 0; i < 5; i++) {
		uint16_t g = groups[i];
		struct rp_rng r;
		struct ike_dh a;
		rp_rng_seeded(&r, 1);
		ck_assert_int_eq(ike_dh_init(&a, g, &r), 0);
		ck_assert_uint_eq(a.publen * 8, g == 2    ? 1024
		                                : g == 5  ? 1536
		                                : g == 14 ? 2048
		                                : g == 15 ? 3072
		                                          : 4096);
		ike_dh_clear(&a);
	}
}
END_TEST

START_TEST(t_natd_rfc3947)
{
	/* NAT-D = HASH(CKY-I | CKY-R | IP | Port): recomputed with GnuTLS directly */
	uint8_t ci[8] = {1, 2, 3, 4, 5, 6, 7, 8}, cr[8] = {8, 7, 6, 5, 4, 3, 2, 1}, h[64], want[20], in[22];
	struct rp_addr a;
	rp_addr_v4(&a, 0xc0000201, 4500);
	ck_assert_int_eq(ike_natd_hash(IKE_HASH_SHA1, ci, cr, &a, h), 0);
	memcpy(in, ci, 8);
	memcpy(in + 8, cr, 8);
	memcpy(in + 16, "\xc0\x00\x02\x01\x11\x94", 6);
	struct ike_iov v = {in, 22};
	ike_hashv(IKE_HASH_SHA1, &v, 1, want);
	ck_assert_mem_eq(h, want, 20);
}
END_TEST

START_TEST(t_skeyid_sig)
{
	/* RFC 2409 §5: for signatures SKEYID = prf(Ni_b | Nr_b, g^xy) (key = the nonces) */
	struct ike_keys k = {.hash = IKE_HASH_SHA256};
	uint8_t ni[16], nr[24], gxy[128], key[40], want[32];
	for (size_t i = 0; i < sizeof gxy; i++)
		gxy[i] = (uint8_t)(i * 7);
	memset(ni, 0x11, sizeof ni);
	memset(nr, 0x22, sizeof nr);
	memcpy(key, ni, 16);
	memcpy(key + 16, nr, 24);
	ck_assert_int_eq(gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, 40, gxy, sizeof gxy, want), 0);
	ck_assert_int_eq(ike_skeyid_sig(&k, ni, 16, nr, 24, gxy, sizeof gxy), 0);
	ck_assert_mem_eq(k.skeyid, want, 32);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ike-kat");
	TCase *tc = tcase_create("kat");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_hmac_vectors);
	tcase_add_test(tc, t_aes_cbc_rfc3602);
	tcase_add_test(tc, t_3des_klips_capture);
	tcase_add_test(tc, t_charon_3des_sha1_modp1024);
	tcase_add_test(tc, t_charon_aes256_sha256_modp2048_pfs);
	tcase_add_loop_test(tc, t_dh_agree_and_refuse, 0, RP_ARRAY_LEN(groups));
	tcase_add_test(tc, t_modp_primes);
	tcase_add_test(tc, t_natd_rfc3947);
	tcase_add_test(tc, t_skeyid_sig);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(suite)
