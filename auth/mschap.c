/* MS-CHAPv2 (RFC 2759 §8) and CHAP-MD5 (RFC 1994 §4.1) computations, via nettle. */
#include "auth_local.h"

#include <nettle/des.h>
#include <nettle/md4.h>
#include <nettle/md5.h>
#include <nettle/sha1.h>
#include <string.h>

/* UTF-8 to UTF-16LE (surrogate pairs for supplementary planes); -1 on invalid UTF-8. */
static int utf16le(const char *s, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		uint32_t c;
		size_t k;
		if (p[i] < 0x80) {
			c = p[i];
			k = 1;
		} else if ((p[i] & 0xe0) == 0xc0) {
			c = p[i] & 0x1f;
			k = 2;
		} else if ((p[i] & 0xf0) == 0xe0) {
			c = p[i] & 0x0f;
			k = 3;
		} else if ((p[i] & 0xf8) == 0xf0) {
			c = p[i] & 0x07;
			k = 4;
		} else
			return -1;
		if (i + k > n)
			return -1;
		for (size_t j = 1; j < k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return -1;
			c = c << 6 | (p[i + j] & 0x3f);
		}
		i += k;
		if (c >= 0x10000) {
			if (o + 4 > cap || c > 0x10ffff)
				return -1;
			c -= 0x10000;
			uint16_t hi = (uint16_t)(0xd800 | (c >> 10)), lo = (uint16_t)(0xdc00 | (c & 0x3ff));
			out[o++] = (uint8_t)hi;
			out[o++] = (uint8_t)(hi >> 8);
			out[o++] = (uint8_t)lo;
			out[o++] = (uint8_t)(lo >> 8);
		} else {
			if (o + 2 > cap)
				return -1;
			out[o++] = (uint8_t)c;
			out[o++] = (uint8_t)(c >> 8);
		}
	}
	*outlen = o;
	return 0;
}

int auth_nt_hash(const char *password, size_t len, uint8_t out[16])
{
	uint8_t u[2 * 256 * 2];
	size_t ul;
	struct md4_ctx c;
	/* RFC 2759: passwords are at most 256 Unicode characters */
	if (len > 256 * 4 || utf16le(password, len, u, sizeof u, &ul) || ul > 512)
		return -1;
	md4_init(&c);
	md4_update(&c, ul, u);
	md4_digest(&c, MD4_DIGEST_SIZE, out);
	rp_wipe(u, sizeof u);
	rp_wipe(&c, sizeof c);
	return 0;
}

/* RFC 2759 §8.2: only the user name after any "DOMAIN\" goes into the hash. */
const char *auth_strip_domain(const char *user, size_t *ulen)
{
	for (size_t i = *ulen; i > 0; i--) {
		if (user[i - 1] == '\\') {
			*ulen -= i;
			return user + i;
		}
	}
	return user;
}

int auth_mschapv2_challenge_hash(const uint8_t peer[16], const uint8_t auth[16], const char *user,
                                 size_t ulen, uint8_t out[8])
{
	struct sha1_ctx c;
	uint8_t d[SHA1_DIGEST_SIZE];
	user = auth_strip_domain(user, &ulen);
	sha1_init(&c);
	sha1_update(&c, 16, peer);
	sha1_update(&c, 16, auth);
	sha1_update(&c, ulen, (const uint8_t *)user);
	sha1_digest(&c, sizeof d, d);
	memcpy(out, d, 8);
	return 0;
}

/* §8.6 DesEncrypt: a 7-byte key spread over 8 bytes with parity (nettle wants 8). */
static void des7(const uint8_t key7[7], const uint8_t in[8], uint8_t out[8])
{
	uint8_t k[8];
	struct des_ctx c;
	k[0] = key7[0];
	k[1] = (uint8_t)(key7[0] << 7 | key7[1] >> 1);
	k[2] = (uint8_t)(key7[1] << 6 | key7[2] >> 2);
	k[3] = (uint8_t)(key7[2] << 5 | key7[3] >> 3);
	k[4] = (uint8_t)(key7[3] << 4 | key7[4] >> 4);
	k[5] = (uint8_t)(key7[4] << 3 | key7[5] >> 5);
	k[6] = (uint8_t)(key7[5] << 2 | key7[6] >> 6);
	k[7] = (uint8_t)(key7[6] << 1);
	des_fix_parity(8, k, k);
	/* a weak key is possible for some passwords; MS-CHAP uses it regardless, and nettle's
	 * des_encrypt works with it (the return value only reports weakness) */
	(void)des_set_key(&c, k);
	des_encrypt(&c, 8, out, in);
	rp_wipe(k, sizeof k);
	rp_wipe(&c, sizeof c);
}

/* §8.5 ChallengeResponse */
static void challenge_response(const uint8_t chal[8], const uint8_t nt_hash[16], uint8_t out[24])
{
	uint8_t z[21];
	memset(z, 0, sizeof z);
	memcpy(z, nt_hash, 16);
	des7(z, chal, out);
	des7(z + 7, chal, out + 8);
	des7(z + 14, chal, out + 16);
	rp_wipe(z, sizeof z);
}

int auth_mschapv2_nt_response(const uint8_t nt_hash[16], const uint8_t auth[16], const uint8_t peer[16],
                              const char *user, size_t ulen, uint8_t out[24])
{
	uint8_t ch[8];
	auth_mschapv2_challenge_hash(peer, auth, user, ulen, ch);
	challenge_response(ch, nt_hash, out);
	return 0;
}

int auth_mschapv2_auth_response(const uint8_t nt_hash[16], const uint8_t nt_resp[24], const uint8_t peer[16],
                                const uint8_t auth[16], const char *user, size_t ulen, char out[43])
{
	/* §8.7 magic constants */
	static const uint8_t magic1[39] = "Magic server to client signing constant";
	static const uint8_t magic2[41] = "Pad to make it do more than one iteration";
	uint8_t hh[MD4_DIGEST_SIZE], d[SHA1_DIGEST_SIZE], ch[8];
	struct md4_ctx m;
	struct sha1_ctx c;
	static const char hex[] = "0123456789ABCDEF";

	md4_init(&m);
	md4_update(&m, 16, nt_hash);
	md4_digest(&m, sizeof hh, hh); /* PasswordHashHash */
	sha1_init(&c);
	sha1_update(&c, 16, hh);
	sha1_update(&c, 24, nt_resp);
	sha1_update(&c, sizeof magic1, magic1);
	sha1_digest(&c, sizeof d, d);
	auth_mschapv2_challenge_hash(peer, auth, user, ulen, ch);
	sha1_init(&c);
	sha1_update(&c, sizeof d, d);
	sha1_update(&c, 8, ch);
	sha1_update(&c, sizeof magic2, magic2);
	sha1_digest(&c, sizeof d, d);
	out[0] = 'S';
	out[1] = '=';
	for (int i = 0; i < 20; i++) {
		out[2 + 2 * i] = hex[d[i] >> 4];
		out[3 + 2 * i] = hex[d[i] & 15];
	}
	out[42] = 0;
	rp_wipe(hh, sizeof hh);
	rp_wipe(&m, sizeof m);
	return 0;
}

int auth_chap_md5(uint8_t id, const void *secret, size_t slen, const uint8_t *chal, size_t clen,
                  uint8_t out[16])
{
	struct md5_ctx c;
	md5_init(&c);
	md5_update(&c, 1, &id);
	md5_update(&c, slen, secret);
	md5_update(&c, clen, chal);
	md5_digest(&c, MD5_DIGEST_SIZE, out);
	rp_wipe(&c, sizeof c);
	return 0;
}
