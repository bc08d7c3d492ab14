/* Proposal selection. The responder picks exactly one transform of the client's offer (RFC 2409
 * §5): one that a security method allows as a whole (ike.h, ike_method.c), the best by the
 * methods' order (with the default methods, the group's rank first). A NEGOTIATE rule of the
 * per-peer policy brings its own methods, authentication, PFS group and lifetimes. When nothing
 * fits, the reason is spelled out for the log (docs/clients.md, Errors), naming the rule if one
 * decided. ike_model_mm/qm run the same selection for `rampartctl ipsec model`. */
#include <stdio.h>
#include <string.h>

#include "ike_local.h"

/* Defaults: the methods are ike_method.c's; the groups filter and rank them (see ike.h). */
static const uint16_t def_p1_groups[] = {20, 21, 19, 16, 15, 14, 5, 2};
static const uint16_t def_p2_groups[] = {20, 21, 19, 16, 15, 14, 5, 2};

void ike_conf_defaults(struct ike_conf *c)
{
	memset(c, 0, sizeof *c);
	c->p1_groups = def_p1_groups;
	c->np1_groups = RP_ARRAY_LEN(def_p1_groups);
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

void ike_pol_ask(const struct ike *ike, const struct rp_addr *peer, struct ike_peer_policy *out)
{
	memset(out, 0, sizeof *out);
	if (!ike->conf.policy)
		return;
	ike->conf.policy(ike->conf.policy_ctx, peer, out);
	/* the answer comes from another module: bounded before anything reads it */
	out->rule[sizeof out->rule - 1] = 0;
	out->store[sizeof out->store - 1] = 0;
	if (out->nmm > IKE_POL_MAX_METHODS)
		out->nmm = IKE_POL_MAX_METHODS;
	if (out->nqm > IKE_POL_MAX_METHODS)
		out->nqm = IKE_POL_MAX_METHODS;
	if (out->psk_len > IKE_POL_PSK_MAX)
		out->psk_len = IKE_POL_PSK_MAX;
}

/* ---- what one negotiation may use ------------------------------------------------------------ */

int ike_pol_refusal(const struct ike_peer_policy *pol, char *why, size_t n)
{
	if (!pol || (pol->action != IKE_POL_BLOCK && pol->action != IKE_POL_PERMIT))
		return 0;
	if (pol->action == IKE_POL_BLOCK)
		snprintf(why, n, "blocked by rule %.64s (store %.16s)", pol->rule, pol->store);
	else
		snprintf(why, n, "refused by rule %.64s (store %.16s): it permits plain traffic, no IKE",
		         pol->rule, pol->store);
	return 1;
}

/* Main Mode: the configuration's methods, filtered (and with the defaults ranked) by its groups,
 * or a NEGOTIATE rule's methods as they are; and the authentication methods allowed. */
struct allow1 {
	const struct ike_mm_method *mm;
	size_t nmm;
	const uint16_t *groups; /* filter; NULL for a rule's methods */
	size_t ngroups;
	bool group_first; /* the default methods: the groups' order decides first */
	bool psk, sig;
	const struct ike_peer_policy *rule; /* NEGOTIATE: named in the refusal */
};

static void allow1_init(const struct ike_conf *c, const struct ike_peer_policy *pol, struct allow1 *al)
{
	bool sig = c->cert_verify && c->ncert_chain && c->key_der;
	memset(al, 0, sizeof *al);
	al->psk = true;
	al->sig = sig;
	al->groups = c->np1_groups ? c->p1_groups : def_p1_groups;
	al->ngroups = c->np1_groups ? c->np1_groups : RP_ARRAY_LEN(def_p1_groups);
	if (c->nmm_methods) {
		al->mm = c->mm_methods;
		al->nmm = c->nmm_methods;
	} else {
		al->nmm = ike_mm_methods_default(&al->mm);
		al->group_first = true;
	}
	if (pol && pol->action == IKE_POL_NEGOTIATE) {
		al->rule = pol;
		if (pol->nmm) {
			al->mm = pol->mm;
			al->nmm = pol->nmm < IKE_POL_MAX_METHODS ? pol->nmm : IKE_POL_MAX_METHODS;
			al->groups = NULL;
			al->ngroups = 0;
			al->group_first = false;
		}
		if (pol->auth_psk || pol->auth_cert) {
			al->psk = pol->auth_psk;
			al->sig = sig && pol->auth_cert;
		}
	}
}

static uint16_t norm_keylen(uint16_t enc, uint16_t keylen, bool esp)
{
	/* AES without a key-length attribute is AES-128 (RFC 3602 §5 requires the attribute;
	 * racoon-era peers omit it); 3DES has one key size, sent as 192 by some peers or not at all */
	if (enc == (esp ? IKE_ESP_AES : IKE_ENC_AES))
		return keylen ? keylen : 128;
	if (enc == (esp ? IKE_ESP_3DES : IKE_ENC_3DES))
		return keylen == 192 ? 0 : keylen;
	return keylen;
}

static bool group_ok(const struct allow1 *al, uint16_t g, int *rank)
{
	*rank = 0;
	if (!al->groups)
		return true;
	return (*rank = rank16(al->groups, al->ngroups, g)) >= 0;
}

/* The best (lowest) rank of a method matching a as a whole, or -1. */
static long mm_rank(const struct allow1 *al, const struct isakmp_attrs *a)
{
	int rg;
	if (!group_ok(al, a->group, &rg))
		return -1;
	uint16_t k = norm_keylen(a->enc, a->keylen, false);
	for (size_t i = 0; i < al->nmm; i++) {
		const struct ike_mm_method *m = &al->mm[i];
		/* the group first: the most selective in the default list */
		if (m->group == a->group && m->hash == a->hash && m->enc == a->enc &&
		    norm_keylen(m->enc, m->keylen, false) == k)
			return al->group_first ? (long)rg * 1000 + (long)i : (long)i;
	}
	return -1;
}

static bool group_in_methods(const struct allow1 *al, uint16_t g)
{
	int rg;
	for (size_t i = 0; i < al->nmm; i++)
		if (al->mm[i].group == g && group_ok(al, g, &rg))
			return true;
	return false;
}

/* For the refusal's wording: the cipher and hash are allowed together with some group, so it is
 * the group that was refused. */
static bool only_group_refused(const struct allow1 *al, const struct isakmp_attrs *a)
{
	uint16_t k = norm_keylen(a->enc, a->keylen, false);
	for (size_t i = 0; i < al->nmm; i++)
		if (al->mm[i].enc == a->enc && norm_keylen(a->enc, al->mm[i].keylen, false) == k &&
		    al->mm[i].hash == a->hash)
			return true;
	return false;
}

/* "AES256-SHA1-14,3DES-SHA1-2", ",..." when it does not fit */
static void mm_list_str(const struct allow1 *al, char *out, size_t n)
{
	int rg;
	size_t used = 0;
	out[0] = 0;
	for (size_t i = 0; i < al->nmm; i++) {
		if (!group_ok(al, al->mm[i].group, &rg))
			continue;
		char one[40];
		ike_mm_method_str(&al->mm[i], one, sizeof one);
		size_t l = strlen(one) + (used ? 1 : 0);
		if (used + l + 5 > n) {
			cat(out, n, ",...");
			return;
		}
		snprintf(out + used, n - used, "%s%s", used ? "," : "", one);
		used += l;
	}
}

static void mm_offer_words(const struct isakmp_sa *sa, char *out, size_t n)
{
	out[0] = 0;
	for (size_t i = 0; i < sa->nxf; i++) {
		const struct isakmp_attrs *a = &sa->xf[i].a;
		struct ike_mm_method m = {a->enc, norm_keylen(a->enc, a->keylen, false), a->hash, a->group};
		char one[40];
		ike_mm_method_str(&m, one, sizeof one);
		if (i)
			cat(out, n, ",");
		cat(out, n, one);
	}
}

static const char *auth_allowed(const struct allow1 *al)
{
	return al->psk && al->sig ? "pre-shared keys or RSA signatures"
	       : al->sig          ? "RSA signatures"
	       : al->psk          ? "pre-shared keys"
	                          : "no authentication method configured here";
}

enum { WHY_AUTH = 1, WHY_ENC = 2, WHY_GROUP = 8, WHY_OTHER = 16 };

int ike_p1_select(const struct ike_conf *c, const struct ike_peer_policy *pol, const struct isakmp_sa *sa,
                  struct ike_p1_choice *ch, char *why, size_t n)
{
	struct allow1 al;
	long best = -1;
	unsigned reasons = 0, nauth_other = 0;
	uint16_t other_auth = 0;
	bool all_ecp = true;

	allow1_init(c, pol, &al);
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
			if (!((a->auth == IKE_AUTH_PSK && al.psk) ||
			      (a->auth == IKE_AUTH_RSA_SIG && al.sig))) {
				reasons |= WHY_AUTH;
				nauth_other++;
				other_auth = a->auth;
				continue;
			}
			if (!ike_dh_is_ecp(a->group))
				all_ecp = false;
			long r = mm_rank(&al, a);
			if (r < 0 || !ike_enc_keylen(a->enc, a->keylen) || !ike_hash_len(a->hash) ||
			    !ike_dh_supported(a->group)) {
				/* "the group" only when cipher and hash are allowed together in some
				 * method and the group in none: otherwise the combination is refused */
				reasons |= only_group_refused(&al, a) && !group_in_methods(&al, a->group)
				               ? WHY_GROUP
				               : WHY_ENC;
				continue;
			}
			if (best < 0 || r < best) {
				best = r;
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
				/* a rule's mmlifetime: its Main Mode SAs no longer than the policy says */
				if (al.rule && al.rule->mm_life_s && ch->life_s > al.rule->mm_life_s)
					ch->life_s = al.rule->mm_life_s;
			}
		}
	}
	if (best >= 0)
		return 0;

	char offer[384], ours[240]; /* the defaults are 115 methods: the start of the list */
	mm_list_str(&al, ours, sizeof ours);
	if (al.rule) {
		/* the rule decides here: one line naming it, the offer and what it allows */
		mm_offer_words(sa, offer, sizeof offer);
		if (reasons & WHY_AUTH) /* before the methods: the long part comes last */
			snprintf(
			    why, n,
			    "refused by rule %.64s (store %.16s): offered %s with %s; allowed %s with %s",
			    al.rule->rule, al.rule->store, offer, auth_name(other_auth), auth_allowed(&al),
			    ours);
		else
			snprintf(why, n, "refused by rule %.64s (store %.16s): offered %s; allowed %s",
			         al.rule->rule, al.rule->store, offer, ours);
		return -1;
	}
	ike_p1_offer_str(sa, offer, sizeof offer);
	if (reasons == WHY_AUTH && !al.sig)
		snprintf(why, n,
		         "client offered only %s authentication (%u transforms), we use pre-shared keys",
		         auth_name(other_auth), nauth_other);
	else if (reasons == WHY_AUTH)
		snprintf(why, n, "client offered only %s authentication (%u transforms), we use %s",
		         auth_name(other_auth), nauth_other, auth_allowed(&al));
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
	else if (x->id == IKE_ESP_AES_GCM_16)
		snprintf(kl, sizeof kl, "-%u", x->a.keylen);
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

/* "ESP[AES128,SHA1],ESP[3DES,SHA1]+PFS14" */
static void out_qm_words(const struct isakmp_sa *sa, char *out, size_t n)
{
	out[0] = 0;
	for (size_t i = 0; i < sa->nxf; i++) {
		const struct isakmp_xf *x = &sa->xf[i];
		struct ike_qm_method m = {x->id, norm_keylen(x->id, x->a.keylen, true), x->a.authalg};
		char one[48];
		ike_qm_method_str(&m, one, sizeof one);
		if (x->a.group)
			snprintf(one + strlen(one), sizeof one - strlen(one), "+PFS%u", x->a.group);
		if (i)
			cat(out, n, ",");
		cat(out, n, one);
	}
}

/* Quick Mode: the configuration's ESP methods or a rule's, its PFS group and lifetimes. */
struct allow2 {
	const struct ike_qm_method *qm;
	size_t nqm;
	uint16_t pfs; /* required PFS group, 0 = as the client offers (within p2_groups) */
	uint32_t life_s, life_kb;
	const struct ike_peer_policy *rule;
};

static void allow2_init(const struct ike_conf *c, const struct ike_peer_policy *pol, struct allow2 *al)
{
	memset(al, 0, sizeof *al);
	if (c->nqm_methods) {
		al->qm = c->qm_methods;
		al->nqm = c->nqm_methods;
	} else {
		al->nqm = ike_qm_methods_default(&al->qm);
	}
	al->life_s = c->p2_life_max_s;
	al->life_kb = c->p2_life_max_kb;
	if (pol && pol->action == IKE_POL_NEGOTIATE) {
		al->rule = pol;
		if (pol->nqm) {
			al->qm = pol->qm;
			al->nqm = pol->nqm < IKE_POL_MAX_METHODS ? pol->nqm : IKE_POL_MAX_METHODS;
		}
		al->pfs = pol->pfs_group;
		if (pol->qm_life_s)
			al->life_s = pol->qm_life_s;
		if (pol->qm_life_kb)
			al->life_kb = pol->qm_life_kb;
	}
}

/* The integrity algorithm that goes with the cipher: an HMAC for the CBC ciphers, none with AES-GCM,
 * a combined mode whose tag is its integrity (RFC 4303 §3.2; RFC 4106 §8: strongSwan and Libreswan
 * send no authentication-algorithm attribute with it). A GCM transform that names an HMAC asks for
 * something that does not exist and is not taken. */
static bool esp_auth_ok(uint16_t tf, uint16_t authalg)
{
	if (tf == IKE_ESP_AES_GCM_16)
		return authalg == 0;
	return ike_esp_authlen(authalg) != 0;
}

static long qm_rank(const struct allow2 *al, uint16_t tf, const struct isakmp_attrs *a)
{
	uint16_t k = norm_keylen(tf, a->keylen, true);
	for (size_t i = 0; i < al->nqm; i++) {
		const struct ike_qm_method *m = &al->qm[i];
		if (m->esp_transform == tf && norm_keylen(tf, m->keylen, true) == k && m->auth == a->authalg)
			return (long)i;
	}
	return -1;
}

static void qm_list_str(const struct ike_qm_method *l, size_t nl, char *out, size_t n)
{
	out[0] = 0;
	for (size_t i = 0; i < nl; i++) {
		char one[40];
		ike_qm_method_str(&l[i], one, sizeof one);
		if (strlen(out) + strlen(one) + 6 > n) {
			cat(out, n, ",...");
			return;
		}
		if (i)
			cat(out, n, ",");
		cat(out, n, one);
	}
}

int ike_p2_select(const struct ike_conf *c, const struct ike_peer_policy *pol, const struct isakmp_sa *sa,
                  bool natt, size_t ke_len, struct ike_p2_choice *ch, char *why, size_t n)
{
	struct allow2 al;
	long best = -1;
	bool tunnel = false, pfs_mismatch = false, pfs_required = false;

	allow2_init(c, pol, &al);
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
			if (al.pfs && a->group != al.pfs) { /* the rule requires PFS with its group */
				pfs_required = true;
				continue;
			}
			if (a->group && !ike_dh_supported(a->group))
				continue;
			if (a->group && !al.pfs &&
			    rank16(c->np2_groups ? c->p2_groups : def_p2_groups,
			           c->np2_groups ? c->np2_groups : RP_ARRAY_LEN(def_p2_groups), a->group) < 0)
				continue;
			long r = qm_rank(&al, x->id, a);
			if (r < 0 || !ike_esp_keylen(x->id, a->keylen) || !esp_auth_ok(x->id, a->authalg))
				continue;
			if (best < 0 || r < best) {
				best = r;
				ch->prop = p;
				ch->xf = x;
				ch->tf = x->id;
				ch->keylen = x->id == IKE_ESP_AES_GCM_16
				                 ? a->keylen /* without the salt */
				                 : (uint16_t)(ike_esp_keylen(x->id, a->keylen) * 8);
				ch->auth = a->authalg;
				ch->group = a->group;
				ch->encap = encap;
				ch->life_s = a->life_s ? a->life_s : 28800; /* RFC 2407 §4.5 default */
				ch->life_kb = a->life_kb;
				ch->shortened = false;
				if (al.life_s && ch->life_s > al.life_s) {
					ch->life_s = al.life_s;
					ch->shortened = true;
				}
				if (al.life_kb && (!ch->life_kb || ch->life_kb > al.life_kb)) {
					ch->life_kb = al.life_kb;
					ch->shortened = true;
				}
			}
		}
	}
	if (best >= 0)
		return 0;
	char offer[384], ours[240];
	if (al.rule && !tunnel && !pfs_mismatch) {
		out_qm_words(sa, offer, sizeof offer);
		qm_list_str(al.qm, al.nqm, ours, sizeof ours);
		char pfs[48] = "";
		if (al.pfs)
			snprintf(pfs, sizeof pfs, " with PFS group %u", al.pfs);
		snprintf(why, n, "refused by rule %.64s (store %.16s): offered %s; allowed %s%s",
		         al.rule->rule, al.rule->store, offer, ours, pfs);
		return -1;
	}
	ike_p2_offer_str(sa, offer, sizeof offer);
	if (tunnel)
		snprintf(why, n, "client asked for tunnel mode; L2TP/IPsec uses transport mode: client %s",
		         offer);
	else if (pfs_mismatch)
		snprintf(why, n, "PFS group attribute and KE payload disagree: client %s", offer);
	else if (pfs_required)
		snprintf(why, n, "PFS with group %u required: client %s", al.pfs, offer);
	else {
		qm_list_str(al.qm, al.nqm, ours, sizeof ours);
		snprintf(why, n, "no ESP proposal matches (%s): client %s; ours %s",
		         natt ? "UDP-encapsulated" : "plain", offer, ours);
	}
	return -1;
}

/* ---- modelling: the same selection for an offer given as methods ------------------------------ */

int ike_model_mm(const struct ike_conf *c, const struct ike_peer_policy *pol,
                 const struct ike_mm_method *offer, size_t n, uint16_t auth, struct ike_mm_method *chosen,
                 char *why, size_t whylen)
{
	if (ike_pol_refusal(pol, why, whylen))
		return -1;
	static const struct isakmp_sa zero;
	struct isakmp_sa sa = zero;
	struct ike_p1_choice ch;
	if (n > ISAKMP_MAX_XF)
		n = ISAKMP_MAX_XF;
	sa.nprop = 1;
	sa.p[0] = (struct isakmp_prop){.num = 1, .proto = ISAKMP_PROTO_ISAKMP, .nxf = n};
	sa.nxf = n;
	for (size_t i = 0; i < n; i++) {
		sa.xf[i].num = (uint8_t)(i + 1);
		sa.xf[i].id = 1; /* KEY_IKE */
		sa.xf[i].a = (struct isakmp_attrs){.enc = offer[i].enc,
		                                   .keylen = offer[i].keylen,
		                                   .hash = offer[i].hash,
		                                   .group = offer[i].group,
		                                   .auth = auth ? auth : IKE_AUTH_PSK};
	}
	if (ike_p1_select(c, pol, &sa, &ch, why, whylen))
		return -1;
	*chosen = (struct ike_mm_method){ch.enc, ch.keylen, ch.hash, ch.group};
	return 0;
}

int ike_model_qm(const struct ike_conf *c, const struct ike_peer_policy *pol,
                 const struct ike_qm_method *offer, size_t n, uint16_t pfs_group,
                 struct ike_qm_method *chosen, char *why, size_t whylen)
{
	if (ike_pol_refusal(pol, why, whylen))
		return -1;
	static const struct isakmp_sa zero;
	struct isakmp_sa sa = zero;
	struct ike_p2_choice ch;
	if (n > ISAKMP_MAX_XF)
		n = ISAKMP_MAX_XF;
	sa.nprop = 1;
	sa.p[0] = (struct isakmp_prop){.num = 1, .proto = ISAKMP_PROTO_ESP, .spi_size = 4, .nxf = n};
	rp_put_u32(sa.p[0].spi, 0x1000); /* any valid SPI */
	sa.nxf = n;
	for (size_t i = 0; i < n; i++) {
		sa.xf[i].num = (uint8_t)(i + 1);
		sa.xf[i].id = (uint8_t)offer[i].esp_transform;
		sa.xf[i].a = (struct isakmp_attrs){.keylen = offer[i].keylen,
		                                   .authalg = offer[i].auth,
		                                   .group = pfs_group,
		                                   .encap = IKE_ENCAP_TRANSPORT};
	}
	if (ike_p2_select(c, pol, &sa, false, pfs_group ? ike_dh_publen(pfs_group) : 0, &ch, why, whylen))
		return -1;
	*chosen = (struct ike_qm_method){ch.tf, ch.keylen, ch.auth};
	return 0;
}
