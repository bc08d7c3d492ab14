/* Proposal selection. The responder picks exactly one transform of the client's offer (RFC 2409
 * §5); among the acceptable ones, the best by our preference lists (group, then cipher, then
 * hash). When nothing fits, the reason is spelled out for the log (docs/clients.md, Errors). */
#include <stdio.h>
#include <string.h>

#include "ike_local.h"

/* Defaults: strongest first, and wide enough for every set in docs/clients.md (Windows 7-11 incl.
 * ECP 19/20 and 3DES/SHA1/MODP1024, macOS/iOS 14 transforms, Android 5+ incl. MD5 and DH20,
 * NetworkManager-l2tp's merged list). */
static const uint16_t def_p1_groups[] = {20, 21, 19, 16, 15, 14, 5, 2};
static const uint32_t def_p1_encs[] = {IKE_ENC_AES << 16 | 256, IKE_ENC_AES << 16 | 192,
                                       IKE_ENC_AES << 16 | 128, IKE_ENC_3DES << 16};
static const uint16_t def_p1_hashes[] = {IKE_HASH_SHA512, IKE_HASH_SHA384, IKE_HASH_SHA256, IKE_HASH_SHA1,
                                         IKE_HASH_MD5};
static const uint32_t def_p2_encs[] = {IKE_ESP_AES << 16 | 256, IKE_ESP_AES << 16 | 192,
                                       IKE_ESP_AES << 16 | 128, IKE_ESP_3DES << 16};
/* HMAC-SHA2-256 after SHA1: Android 6/7 truncate it to 96 bits (pre-RFC 4868), so the SA comes up
 * but no traffic passes; when the client offers both we take SHA1 (docs/clients.md, Android). */
static const uint16_t def_p2_auths[] = {IKE_AUTH_HMAC_SHA512, IKE_AUTH_HMAC_SHA384, IKE_AUTH_HMAC_SHA1,
                                        IKE_AUTH_HMAC_SHA256, IKE_AUTH_HMAC_MD5};
static const uint16_t def_p2_groups[] = {20, 21, 19, 16, 15, 14, 5, 2};

void ike_conf_defaults(struct ike_conf *c)
{
	memset(c, 0, sizeof *c);
	c->p1_groups = def_p1_groups;
	c->np1_groups = RP_ARRAY_LEN(def_p1_groups);
	c->p1_encs = def_p1_encs;
	c->np1_encs = RP_ARRAY_LEN(def_p1_encs);
	c->p1_hashes = def_p1_hashes;
	c->np1_hashes = RP_ARRAY_LEN(def_p1_hashes);
	c->p2_encs = def_p2_encs;
	c->np2_encs = RP_ARRAY_LEN(def_p2_encs);
	c->p2_auths = def_p2_auths;
	c->np2_auths = RP_ARRAY_LEN(def_p2_auths);
	c->p2_groups = def_p2_groups;
	c->np2_groups = RP_ARRAY_LEN(def_p2_groups);
	c->p1_life_max_s = 28800;
	c->p2_life_max_s = 3600;
	c->halfopen_ms = 30000;
	c->dpd_idle_s = 30;
	c->dpd_timeout_s = 120;
	c->max_sa = 262144; /* 250,000 clients (issue 17) */
	c->natt_port = 4500;
	c->frag_mtu = 576;
	c->frag_timeout_ms = 5000;
}

static int rank16(const uint16_t *l, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == v)
			return (int)i;
	return -1;
}

static int rank_enc(const uint32_t *l, size_t n, uint16_t id, uint16_t keylen)
{
	for (size_t i = 0; i < n; i++) {
		uint16_t lid = (uint16_t)(l[i] >> 16), lk = (uint16_t)l[i];
		/* AES without a key-length attribute is AES-128 (RFC 3602 §5 requires the attribute;
		 * racoon-era peers omit it); 3DES has no key length. */
		uint16_t k = keylen;
		if (id == IKE_ENC_AES && k == 0)
			k = 128;
		if (lid == id && (lk == k || (lk == 0 && (k == 0 || k == 192))))
			return (int)i;
	}
	return -1;
}

static const char *auth_name(uint16_t a)
{
	switch (a) {
	case 1:
		return "pre-shared key";
	case 2:
		return "DSS signatures";
	case 3:
		return "RSA signatures";
	case 4:
		return "RSA encryption";
	case 5:
		return "revised RSA encryption";
	case 8:
		return "ECDSA signatures";
	case 9:
	case 10:
	case 11:
		return "ECDSA signatures";
	case 64221:
	case 65001:
	case 65002:
	case 65003:
	case 65004:
	case 65005:
	case 65006:
	case 65007:
	case 65008:
	case 65009:
	case 65010:
		return "XAUTH/hybrid";
	default:
		return "unknown";
	}
}

static void xf1_str(const struct isakmp_xf *x, char *out, size_t n)
{
	char kl[8] = "";
	if (x->a.enc == IKE_ENC_AES)
		snprintf(kl, sizeof kl, "-%u", x->a.keylen ? x->a.keylen : 128);
	snprintf(out, n, "%s%s/%s/%s%s", ike_enc_name(x->a.enc), kl, ike_hash_name(x->a.hash),
	         ike_dh_name(x->a.group),
	         x->a.auth == IKE_AUTH_PSK       ? ""
	         : x->a.auth == IKE_AUTH_RSA_SIG ? "/RSA"
	                                         : "/other-auth");
}

static void cat(char *out, size_t n, const char *s)
{
	size_t l = strlen(out);
	if (l + 1 < n)
		snprintf(out + l, n - l, "%s", s);
}

void ike_p1_offer_str(const struct isakmp_sa *sa, char *out, size_t n)
{
	out[0] = 0;
	for (size_t i = 0; i < sa->nxf; i++) {
		char one[64];
		xf1_str(&sa->xf[i], one, sizeof one);
		if (i)
			cat(out, n, ", ");
		cat(out, n, one);
	}
}

static void ours_p1_str(const struct ike_conf *c, char *out, size_t n)
{
	char one[32];
	out[0] = 0;
	for (size_t i = 0; i < c->np1_encs; i++) {
		uint16_t id = (uint16_t)(c->p1_encs[i] >> 16), k = (uint16_t)c->p1_encs[i];
		snprintf(one, sizeof one, "%s%s%.0u", i ? "," : "", ike_enc_name(id), k);
		cat(out, n, one);
	}
	cat(out, n, " / ");
	for (size_t i = 0; i < c->np1_hashes; i++) {
		snprintf(one, sizeof one, "%s%s", i ? "," : "", ike_hash_name(c->p1_hashes[i]));
		cat(out, n, one);
	}
	cat(out, n, " / ");
	for (size_t i = 0; i < c->np1_groups; i++) {
		snprintf(one, sizeof one, "%s%s", i ? "," : "", ike_dh_name(c->p1_groups[i]));
		cat(out, n, one);
	}
}

enum { WHY_AUTH = 1, WHY_ENC = 2, WHY_HASH = 4, WHY_GROUP = 8, WHY_OTHER = 16 };

int ike_p1_select(const struct ike_conf *c, const struct isakmp_sa *sa, struct ike_p1_choice *ch, char *why,
                  size_t n)
{
	long best = -1;
	unsigned reasons = 0, nauth_other = 0;
	uint16_t other_auth = 0;
	bool all_ecp = true;

	for (size_t pi = 0; pi < sa->nprop; pi++) {
		const struct isakmp_prop *p = &sa->p[pi];
		/* Phase 1: protocol ISAKMP, KEY_IKE transforms (RFC 2407 §4.4.2); the SPI is unused. */
		if (p->proto != ISAKMP_PROTO_ISAKMP) {
			reasons |= WHY_OTHER;
			continue;
		}
		for (size_t j = 0; j < p->nxf; j++) {
			const struct isakmp_xf *x = &sa->xf[p->xf0 + j];
			const struct isakmp_attrs *a = &x->a;
			if (x->id != 1 || a->custom_group || a->prf || a->unknown) {
				reasons |= WHY_OTHER;
				continue;
			}
			if (a->auth != IKE_AUTH_PSK && !(a->auth == IKE_AUTH_RSA_SIG && c->cert_verify &&
			                                 c->ncert_chain && c->key_der)) {
				reasons |= WHY_AUTH;
				nauth_other++;
				other_auth = a->auth;
				continue;
			}
			int re = rank_enc(c->p1_encs, c->np1_encs, a->enc, a->keylen);
			int rh = rank16(c->p1_hashes, c->np1_hashes, a->hash);
			int rg = rank16(c->p1_groups, c->np1_groups, a->group);
			if (!ike_dh_is_ecp(a->group))
				all_ecp = false;
			if (re < 0 || !ike_enc_keylen(a->enc, a->keylen)) {
				reasons |= WHY_ENC;
				continue;
			}
			if (rh < 0 || !ike_hash_len(a->hash)) {
				reasons |= WHY_HASH;
				continue;
			}
			if (rg < 0 || !ike_dh_supported(a->group)) {
				reasons |= WHY_GROUP;
				continue;
			}
			long score = (long)rg * 10000 + re * 100 + rh;
			if (best < 0 || score < best) {
				best = score;
				ch->xf = x;
				ch->pnum = p->num;
				ch->enc = a->enc;
				ch->keylen = a->enc == IKE_ENC_AES && !a->keylen ? 128 : a->keylen;
				ch->hash = a->hash;
				ch->group = a->group;
				ch->auth = a->auth;
				/* RFC 2407 §4.5 / RFC 2409 appendix A: 28800 s when not given. We do
				 * not shorten phase 1 silently below the client's ask beyond our max. */
				ch->life_s = a->life_s ? a->life_s : 28800;
				if (c->p1_life_max_s && ch->life_s > c->p1_life_max_s)
					ch->life_s = c->p1_life_max_s;
			}
		}
	}
	if (best >= 0)
		return 0;

	char offer[384], ours[256];
	ike_p1_offer_str(sa, offer, sizeof offer);
	ours_p1_str(c, ours, sizeof ours);
	if (reasons == WHY_AUTH)
		snprintf(why, n,
		         "client offered only %s authentication (%u transforms), we use pre-shared keys",
		         auth_name(other_auth), nauth_other);
	else if (reasons == WHY_GROUP && all_ecp)
		snprintf(why, n, "client offered only ECP groups, none allowed here: client %s; ours %s",
		         offer, ours);
	else if (reasons == WHY_GROUP)
		snprintf(why, n, "client offered only DH groups we do not allow: client %s; ours %s", offer,
		         ours);
	else
		snprintf(why, n, "no proposal matches: client %s; ours %s", offer, ours);
	return -1;
}

static void xf2_str(const struct isakmp_xf *x, char *out, size_t n)
{
	char kl[8] = "", grp[24] = "";
	if (x->id == IKE_ESP_AES)
		snprintf(kl, sizeof kl, "-%u", x->a.keylen ? x->a.keylen : 128);
	if (x->a.group)
		snprintf(grp, sizeof grp, "/PFS-%s", ike_dh_name(x->a.group));
	snprintf(out, n, "%s%s/%s%s/encap%u", ike_esp_name(x->id), kl, ike_esp_auth_name(x->a.authalg), grp,
	         x->a.encap);
}

void ike_p2_offer_str(const struct isakmp_sa *sa, char *out, size_t n)
{
	out[0] = 0;
	for (size_t i = 0; i < sa->nxf; i++) {
		char one[80];
		xf2_str(&sa->xf[i], one, sizeof one);
		if (i)
			cat(out, n, ", ");
		cat(out, n, one);
	}
}

static bool encap_ok(uint16_t e, bool natt)
{
	if (natt)
		return e == IKE_ENCAP_UDP_TRANSPORT || e == IKE_ENCAP_UDP_TRANSPORT_DRAFT;
	return e == IKE_ENCAP_TRANSPORT;
}

int ike_p2_select(const struct ike_conf *c, const struct isakmp_sa *sa, bool natt, size_t ke_len,
                  struct ike_p2_choice *ch, char *why, size_t n)
{
	long best = -1;
	bool tunnel = false, pfs_mismatch = false;

	for (size_t pi = 0; pi < sa->nprop; pi++) {
		const struct isakmp_prop *p = &sa->p[pi];
		bool bundle = false;
		for (size_t q = 0; q < sa->nprop; q++)
			if (q != pi && sa->p[q].num == p->num)
				bundle = true; /* same number = AND (e.g. AH+ESP, RFC 2408 §4.2): not ours */
		if (bundle || p->proto != ISAKMP_PROTO_ESP || p->spi_size != 4)
			continue;
		uint32_t spi = rp_get_u32(p->spi);
		if (spi <= 255) /* RFC 4303 §2.1 reserved */
			continue;
		for (size_t j = 0; j < p->nxf; j++) {
			const struct isakmp_xf *x = &sa->xf[p->xf0 + j];
			const struct isakmp_attrs *a = &x->a;
			uint16_t encap = a->encap ? a->encap
			                 : natt   ? IKE_ENCAP_UDP_TRANSPORT
			                          : IKE_ENCAP_TRANSPORT;
			if (a->unknown)
				continue;
			if (!encap_ok(encap, natt)) {
				tunnel |= encap == IKE_ENCAP_TUNNEL || encap == IKE_ENCAP_UDP_TUNNEL ||
				          encap == IKE_ENCAP_UDP_TUNNEL_DRAFT;
				continue;
			}
			/* PFS: one KE for the whole offer, so only transforms of its group qualify */
			if ((a->group != 0) != (ke_len != 0) ||
			    (a->group && ike_dh_publen(a->group) != ke_len)) {
				pfs_mismatch = true;
				continue;
			}
			if (a->group && (rank16(c->p2_groups, c->np2_groups, a->group) < 0 ||
			                 !ike_dh_supported(a->group)))
				continue;
			int re = rank_enc(c->p2_encs, c->np2_encs, x->id, a->keylen);
			int ra = rank16(c->p2_auths, c->np2_auths, a->authalg);
			if (re < 0 || ra < 0 || !ike_esp_keylen(x->id, a->keylen) ||
			    !ike_esp_authlen(a->authalg))
				continue;
			long score = (long)re * 100 + ra;
			if (best < 0 || score < best) {
				best = score;
				ch->prop = p;
				ch->xf = x;
				ch->tf = x->id;
				ch->keylen = (uint16_t)(ike_esp_keylen(x->id, a->keylen) * 8);
				ch->auth = a->authalg;
				ch->group = a->group;
				ch->encap = encap;
				ch->life_s = a->life_s ? a->life_s : 28800; /* RFC 2407 §4.5 default */
				ch->life_kb = a->life_kb;
				ch->shortened = false;
				if (c->p2_life_max_s && ch->life_s > c->p2_life_max_s) {
					ch->life_s = c->p2_life_max_s;
					ch->shortened = true;
				}
				if (c->p2_life_max_kb && (!ch->life_kb || ch->life_kb > c->p2_life_max_kb)) {
					ch->life_kb = c->p2_life_max_kb;
					ch->shortened = true;
				}
			}
		}
	}
	if (best >= 0)
		return 0;
	char offer[384];
	ike_p2_offer_str(sa, offer, sizeof offer);
	if (tunnel)
		snprintf(why, n, "client asked for tunnel mode; L2TP/IPsec uses transport mode: client %s",
		         offer);
	else if (pfs_mismatch)
		snprintf(why, n, "PFS group attribute and KE payload disagree: client %s", offer);
	else
		snprintf(why, n, "no ESP proposal matches (%s): client %s",
		         natt ? "UDP-encapsulated" : "plain", offer);
	return -1;
}
