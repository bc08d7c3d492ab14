/* Security methods in netsh's words (issue 13): Main Mode "AES256-SHA1-14" (cipher, hash, DH
 * group: a method is the whole combination) and Quick Mode "ESP[AES256,SHA1]"; parsing, printing,
 * and the default lists. No crypto here: etc/ links this file alone to validate its keys. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ike_policy.h"

/* IKE attribute values (RFC 2409 App. A) and ESP ids (RFC 2407 §4.4.4, §4.5): kept numeric here
 * so this file needs nothing of ike.h. */
enum { P1_DES = 1, P1_3DES = 5, P1_AES = 7 };
enum { ESP_DES = 2, ESP_3DES = 3, ESP_AES = 12, ESP_AES_GCM_16 = 20 };

struct word {
	const char *w;
	uint16_t id, keylen;
};

/* The cipher words; id filled per phase. */
static const struct word encs[] = {
    {"DES", 0, 0}, {"3DES", 0, 0}, {"AES128", 0, 128}, {"AES192", 0, 192}, {"AES256", 0, 256}};
static const uint16_t enc_p1[] = {P1_DES, P1_3DES, P1_AES, P1_AES, P1_AES};
static const uint16_t enc_p2[] = {ESP_DES, ESP_3DES, ESP_AES, ESP_AES, ESP_AES};
/* Quick Mode only: AES-GCM with a 16-octet ICV (RFC 4106), a combined mode, so its method has no
 * integrity word: "ESP[AESGCM128]" (auth 0). netsh's own spelling repeats the cipher as the
 * integrity ("AESGCM128-AESGCM128"); one word says the same. */
static const struct word gcms[] = {{"AESGCM128", ESP_AES_GCM_16, 128},
                                   {"AESGCM192", ESP_AES_GCM_16, 192},
                                   {"AESGCM256", ESP_AES_GCM_16, 256}};
/* hash words: IKE hash attribute (phase 1), ESP auth algorithm (phase 2) */
static const struct {
	const char *w;
	uint16_t p1, p2;
} hashes[] = {{"MD5", 1, 1}, {"SHA1", 2, 2}, {"SHA256", 4, 5}, {"SHA384", 5, 6}, {"SHA512", 6, 7}};
/* DH groups with a name in RFC 2409/3526/5903: MODP 768, 1024, 1536, 2048, 3072, 4096, ECP 256,
 * 384, 521. */
static const uint16_t groups[] = {1, 2, 5, 14, 15, 16, 19, 20, 21};

static int enc_find(const char *s, size_t n)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(encs); i++)
		if (strlen(encs[i].w) == n && strncasecmp(s, encs[i].w, n) == 0)
			return (int)i;
	return -1;
}

static int hash_find(const char *s, size_t n)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(hashes); i++)
		if (strlen(hashes[i].w) == n && strncasecmp(s, hashes[i].w, n) == 0)
			return (int)i;
	return -1;
}

int ike_mm_method_parse(const char *s, struct ike_mm_method *m)
{
	if (!s || !m)
		return -EINVAL;
	const char *d1 = strchr(s, '-');
	const char *d2 = d1 ? strchr(d1 + 1, '-') : NULL;
	if (!d1 || !d2)
		return -EINVAL;
	int e = enc_find(s, (size_t)(d1 - s)), h = hash_find(d1 + 1, (size_t)(d2 - d1 - 1));
	const char *g = d2 + 1;
	/* the group: 1-3 decimal digits, nothing after them (no sign, no space, no leading zero) */
	size_t gl = strspn(g, "0123456789");
	if (e < 0 || h < 0 || gl == 0 || gl > 3 || g[gl] || (g[0] == '0'))
		return -EINVAL;
	unsigned gv = 0;
	for (size_t i = 0; i < gl; i++)
		gv = gv * 10 + (unsigned)(g[i] - '0');
	bool known = false;
	for (size_t i = 0; i < RP_ARRAY_LEN(groups); i++)
		known |= groups[i] == gv;
	if (!known)
		return -EINVAL;
	*m = (struct ike_mm_method){enc_p1[e], encs[e].keylen, hashes[h].p1, (uint16_t)gv};
	return 0;
}

int ike_qm_method_parse(const char *s, struct ike_qm_method *m)
{
	if (!s || !m || strncasecmp(s, "ESP[", 4) != 0)
		return -EINVAL;
	const char *a = s + 4, *comma = strchr(a, ','), *close = comma ? strchr(comma + 1, ']') : NULL;
	if (!comma) { /* "ESP[AESGCM128]": a combined mode names no integrity algorithm */
		close = strchr(a, ']');
		if (!close || close[1])
			return -EINVAL;
		for (size_t i = 0; i < RP_ARRAY_LEN(gcms); i++)
			if (strlen(gcms[i].w) == (size_t)(close - a) &&
			    strncasecmp(a, gcms[i].w, (size_t)(close - a)) == 0) {
				*m = (struct ike_qm_method){gcms[i].id, gcms[i].keylen, 0};
				return 0;
			}
		return -EINVAL;
	}
	if (!comma || !close || close[1])
		return -EINVAL;
	int e = enc_find(a, (size_t)(comma - a)), h = hash_find(comma + 1, (size_t)(close - comma - 1));
	if (e < 0 || h < 0)
		return -EINVAL;
	*m = (struct ike_qm_method){enc_p2[e], encs[e].keylen, hashes[h].p2};
	return 0;
}

static const char *enc_word(bool p1, uint16_t id, uint16_t keylen)
{
	for (size_t i = 0; !p1 && i < RP_ARRAY_LEN(gcms); i++)
		if (gcms[i].id == id && gcms[i].keylen == keylen)
			return gcms[i].w;
	for (size_t i = 0; i < RP_ARRAY_LEN(encs); i++)
		if ((p1 ? enc_p1[i] : enc_p2[i]) == id &&
		    encs[i].keylen == (id == (p1 ? P1_AES : ESP_AES) ? (keylen ? keylen : 128) : 0))
			return encs[i].w;
	return NULL;
}

static const char *hash_word(bool p1, uint16_t id)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(hashes); i++)
		if ((p1 ? hashes[i].p1 : hashes[i].p2) == id)
			return hashes[i].w;
	return NULL;
}

const char *ike_mm_method_str(const struct ike_mm_method *m, char *buf, size_t n)
{
	const char *e = enc_word(true, m->enc, m->keylen), *h = hash_word(true, m->hash);
	char eb[16], hb[16];
	if (!e) { /* a transform a peer offered that has no netsh word: numbers, still readable */
		snprintf(eb, sizeof eb, "ENC%u", m->enc);
		e = eb;
	}
	if (!h) {
		snprintf(hb, sizeof hb, "HASH%u", m->hash);
		h = hb;
	}
	snprintf(buf, n, "%s-%s-%u", e, h, m->group);
	return buf;
}

const char *ike_qm_method_str(const struct ike_qm_method *m, char *buf, size_t n)
{
	const char *e = enc_word(false, m->esp_transform, m->keylen), *h = hash_word(false, m->auth);
	char eb[16], hb[16];
	if (!e) {
		snprintf(eb, sizeof eb, "ENC%u", m->esp_transform);
		e = eb;
	}
	if (m->esp_transform == ESP_AES_GCM_16 && m->auth == 0) {
		snprintf(buf, n, "ESP[%s]", e);
		return buf;
	}
	if (!h) {
		snprintf(hb, sizeof hb, "AUTH%u", m->auth);
		h = hb;
	}
	snprintf(buf, n, "ESP[%s,%s]", e, h);
	return buf;
}

bool ike_mm_method_weak(const struct ike_mm_method *m)
{
	return m->enc == P1_DES || m->hash == 1 || m->group == 1 || m->group == 2;
}

bool ike_qm_method_weak(const struct ike_qm_method *m)
{
	return m->esp_transform == ESP_DES || m->auth == 1;
}

bool ike_mm_method_implemented(const struct ike_mm_method *m)
{
	return m->enc != P1_DES && m->group != 1; /* single DES and MODP-768 are not in rampart */
}

bool ike_qm_method_implemented(const struct ike_qm_method *m)
{
	return m->esp_transform != ESP_DES;
}

/* ---- defaults ------------------------------------------------------------------------------- */

/* Main Mode: every combination of AES-256/192/128 and 3DES with SHA2-512/384/256 and SHA1 over the
 * groups 20 21 19 16 15 14 5, group first (the order the core has always ranked by: with the
 * default list, the configuration's dh_groups order still decides the group). MODP-1024 (group 2)
 * comes last and only as AES256-SHA1-2, AES128-SHA1-2 and 3DES-SHA1-2: Windows' legacy default
 * (3DES/SHA1/MODP-1024, MS KB 325158) and Android 5 (every proposal is MODP-1024) offer nothing
 * else, and every client profile must connect with the defaults (docs/clients.md, Security
 * methods). DES, MD5 and group 1 are not in it. */
#define MM4(g, e, k)                                                                                         \
	{e, k, 6, g}, {e, k, 5, g}, {e, k, 4, g},                                                            \
	{                                                                                                    \
		e, k, 2, g                                                                                   \
	}
#define MMG(g) MM4(g, P1_AES, 256), MM4(g, P1_AES, 192), MM4(g, P1_AES, 128), MM4(g, P1_3DES, 0)
static const struct ike_mm_method def_mm[] = {
    MMG(20),
    MMG(21),
    MMG(19),
    MMG(16),
    MMG(15),
    MMG(14),
    MMG(5),
    {P1_AES, 256, 2, 2},
    {P1_AES, 128, 2, 2},
    {P1_3DES, 0, 2, 2},
};
/* Quick Mode: AES-GCM-256/128 first (an AEAD, and the fastest here: rampart-bench path; no stock
 * L2TP/IPsec client offers it, strongSwan-based ones can, and a client that does not offer it is
 * not affected by its place), then AES-256/192/128 and 3DES with HMAC-SHA2-512/384, SHA1, then
 * SHA2-256 (Android 6/7 truncate it to 96 bits, so SHA1 is taken when both are offered:
 * docs/clients.md, Android). No DES, no MD5. */
#define QM4(e, k)                                                                                            \
	{e, k, 7}, {e, k, 6}, {e, k, 2},                                                                     \
	{                                                                                                    \
		e, k, 5                                                                                      \
	}
static const struct ike_qm_method def_qm[] = {{ESP_AES_GCM_16, 256, 0}, {ESP_AES_GCM_16, 128, 0},
                                              QM4(ESP_AES, 256),        QM4(ESP_AES, 192),
                                              QM4(ESP_AES, 128),        QM4(ESP_3DES, 0)};

size_t ike_mm_methods_default(const struct ike_mm_method **out)
{
	*out = def_mm;
	return RP_ARRAY_LEN(def_mm);
}

size_t ike_qm_methods_default(const struct ike_qm_method **out)
{
	*out = def_qm;
	return RP_ARRAY_LEN(def_qm);
}
