/* IKEv1 initiator: rampart-load's client role and the other half of the in-memory tests
 * (DESIGN.md "two cores wired back-to-back"). It checks what the responder sends (HASH_R, HASH(2), SA reply)
 * rather than trusting it, so a responder bug shows up as a failed handshake. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_cli.h"

static void tv(struct rp_wr *w, uint16_t t, uint16_t v)
{
	rp_wr_u16(w, (uint16_t)(0x8000 | t));
	rp_wr_u16(w, v);
}

static void tlv32(struct rp_wr *w, uint16_t t, uint32_t v)
{
	rp_wr_u16(w, t);
	rp_wr_u16(w, 4);
	rp_wr_u32(w, v);
}

struct ike_cli *ike_cli_new(const struct ike_cli_conf *c, struct rp_rng *rng)
{
	struct ike_cli *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->c = *c;
	t->rng = rng;
	if (!t->c.p1_auth)
		t->c.p1_auth = IKE_AUTH_PSK;
	return t;
}

void ike_cli_free(struct ike_cli *t)
{
	if (!t)
		return;
	free(t->sai_b);
	free(t->nr);
	free(t->qnr);
	ike_dh_clear(&t->dh);
	ike_dh_clear(&t->qdh);
	rp_wipe(t, sizeof *t);
	free(t);
}

/* Our phase-1 key pair: the shared fixed one (load generation) or this exchange's own. */
static struct ike_dh *mydh(struct ike_cli *t)
{
	return t->fdh ? t->fdh : &t->dh;
}

static int fail(struct ike_cli *t, const char *why)
{
	snprintf(t->err, sizeof t->err, "%s", why);
	return -1;
}

/* An SA payload's DOI (IPsec) and situation (identity only), then proposal #1's header (RFC 2408
 * §3.4-3.5) with its length left to fill: returns where the proposal starts. */
static size_t sa_prop_begin(struct rp_wr *w, uint8_t proto, uint8_t spi_size, size_t ntf)
{
	rp_wr_u32(w, 1);
	rp_wr_u32(w, 1);
	size_t ps = w->len;
	rp_wr_u8(w, 0);
	rp_wr_u8(w, 0);
	rp_wr_u16(w, 0);
	rp_wr_u8(w, 1);
	rp_wr_u8(w, proto);
	rp_wr_u8(w, spi_size);
	rp_wr_u8(w, (uint8_t)ntf);
	return ps;
}

/* Transform number i + 1's header (RFC 2408 §3.6), its length left to fill: returns its start. */
static size_t transform_begin(struct rp_wr *w, bool last, size_t i, uint8_t id)
{
	size_t ts = w->len;
	rp_wr_u8(w, last ? 0 : ISAKMP_PL_T);
	rp_wr_u8(w, 0);
	rp_wr_u16(w, 0);
	rp_wr_u8(w, (uint8_t)(i + 1));
	rp_wr_u8(w, id);
	rp_wr_u16(w, 0);
	return ts;
}

size_t ike_cli_start(struct ike_cli *t, uint8_t *out, size_t cap)
{
	static const uint8_t zero[8];
	struct isakmp_wr w;
	rp_rng_fill(t->rng, t->icky, 8);
	t->icky[0] |= 1;
	isakmp_wr_init(&w, out, cap);
	isakmp_wr_hdr(&w, t->icky, zero, ISAKMP_EX_IDPROT, 0, 0);
	size_t s = isakmp_wr_begin(&w, ISAKMP_PL_SA);
	size_t body = w.w.len;
	size_t ps = sa_prop_begin(&w.w, ISAKMP_PROTO_ISAKMP, 0, t->c.np1);
	for (size_t i = 0; i < t->c.np1; i++) {
		const struct ike_p1_alg *a = &t->c.p1[i];
		size_t ts = transform_begin(&w.w, i + 1 == t->c.np1, i, 1 /* KEY_IKE */);
		tv(&w.w, 1, a->enc);
		if (a->keylen)
			tv(&w.w, 14, a->keylen);
		tv(&w.w, 2, a->hash);
		tv(&w.w, 4, a->group);
		tv(&w.w, 3, t->c.p1_auth);
		tv(&w.w, 11, 1);
		tlv32(&w.w, 12, t->c.p1_life_s ? t->c.p1_life_s : 28800);
		rp_wr_put_u16_at(&w.w, ts + 2, (uint16_t)(w.w.len - ts));
	}
	rp_wr_put_u16_at(&w.w, ps + 2, (uint16_t)(w.w.len - ps));
	isakmp_wr_end(&w, s);
	if (rp_wr_ok(&w.w)) {
		t->sai_len = w.w.len - body;
		t->sai_b = malloc(t->sai_len);
		memcpy(t->sai_b, out + body, t->sai_len);
	}
	size_t vl;
	const uint8_t *v = ike_natt_vid(t->c.natt, &vl);
	if (t->c.natt == IKE_NATT_RFC) { /* as Windows/strongSwan: RFC and a draft */
		const uint8_t *d = ike_natt_vid(IKE_NATT_DRAFT02N, &vl);
		isakmp_wr_pl(&w, ISAKMP_PL_VID, v, 16);
		isakmp_wr_pl(&w, ISAKMP_PL_VID, d, 16);
	} else if (v) {
		isakmp_wr_pl(&w, ISAKMP_PL_VID, v, vl);
	}
	if (t->c.dpd)
		isakmp_wr_pl(&w, ISAKMP_PL_VID, ike_vid_dpd, 16);
	if (t->c.windows) {
		static const uint8_t nt5[20] = {0x1e, 0x2b, 0x51, 0x69, 0x05, 0x99, 0x1c, 0x7d, 0x7c, 0x96,
		                                0xfc, 0xbf, 0xb5, 0x87, 0xe4, 0x61, 0,    0,    0,    9};
		static const uint8_t frag[20] = {0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85, 0x25, 0xe7,
		                                 0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3, 0x80, 0,    0,    0};
		isakmp_wr_pl(&w, ISAKMP_PL_VID, nt5, 20);
		isakmp_wr_pl(&w, ISAKMP_PL_VID, frag, 20);
	}
	t->step = 1;
	return isakmp_wr_finish(&w);
}

static int read_sa_reply(const struct isakmp_pl *pl, struct isakmp_sa *sa)
{
	return isakmp_sa_parse(pl->body, pl->len, sa) || sa->nprop != 1 || sa->p[0].nxf != 1 ? -1 : 0;
}

static long mm2(struct ike_cli *t, const struct isakmp_msg *m, uint8_t *out, size_t cap)
{
	const struct isakmp_pl *sp = isakmp_find(m, ISAKMP_PL_SA, 0);
	struct isakmp_sa sa;
	if (!sp || read_sa_reply(sp, &sa) || sa.p[0].proto != ISAKMP_PROTO_ISAKMP)
		return fail(t, "MM2: bad SA reply");
	const struct isakmp_attrs *a = &sa.xf[0].a;
	bool offered = false;
	for (size_t i = 0; i < t->c.np1; i++)
		if (t->c.p1[i].enc == a->enc && t->c.p1[i].keylen == a->keylen &&
		    t->c.p1[i].hash == a->hash && t->c.p1[i].group == a->group)
			offered = true;
	if (!offered)
		return fail(t, "MM2: responder chose a transform we did not offer");
	t->chosen = (struct ike_p1_alg){a->enc, a->keylen, a->hash, a->group};
	memcpy(t->rcky, m->h.rcky, 8);
	struct ike_vids v;
	ike_vid_scan(m, &v);
	t->natt = ike_natt_best(v.natt_mask);
	if (t->natt && !(t->c.natt == t->natt || (t->c.natt == IKE_NATT_RFC && t->natt == IKE_NATT_DRAFT02N)))
		return fail(t, "MM2: NAT-T VID we did not send");
	for (size_t i = 0; i < t->c.nfixed_dh; i++)
		if (t->c.fixed_dh[i]->group == a->group)
			t->fdh = t->c.fixed_dh[i];
	if (t->c.fixed_dh && !t->fdh)
		return fail(t, "MM2: no fixed DH key pair of the chosen group");
	if (!t->c.fixed_dh && ike_dh_init(&t->dh, a->group, t->rng))
		return fail(t, "MM2: DH");
	struct ike_dh *dh = mydh(t);
	rp_rng_fill(t->rng, t->ni, sizeof t->ni);
	struct isakmp_wr w;
	isakmp_wr_init(&w, out, cap);
	isakmp_wr_hdr(&w, t->icky, t->rcky, ISAKMP_EX_IDPROT, 0, 0);
	isakmp_wr_pl(&w, ISAKMP_PL_KE, dh->pub, dh->publen);
	isakmp_wr_pl(&w, ISAKMP_PL_NONCE, t->ni, sizeof t->ni);
	if (t->natt) {
		uint8_t h[IKE_MAXHASH];
		uint8_t type = t->natt == IKE_NATT_RFC ? ISAKMP_PL_NATD : ISAKMP_PL_NATD_DRAFT;
		size_t hl = ike_hash_len(a->hash);
		ike_natd_hash(a->hash, t->icky, t->rcky, &t->c.remote, h);
		isakmp_wr_pl(&w, type, h, hl);
		ike_natd_hash(a->hash, t->icky, t->rcky, &t->c.local, h);
		isakmp_wr_pl(&w, type, h, hl);
	}
	if (t->c.p1_auth == IKE_AUTH_RSA_SIG && t->c.send_cr) {
		static const uint8_t cr = ISAKMP_CERT_X509_SIG;
		isakmp_wr_pl(&w, ISAKMP_PL_CR, &cr, 1);
	}
	t->step = 3;
	return (long)isakmp_wr_finish(&w);
}

static void my_id(struct ike_cli *t, uint8_t *b, size_t *n)
{
	bool v6 = t->c.local.family == 6;
	b[0] = t->c.id_type ? t->c.id_type : v6 ? ISAKMP_ID_IPV6 : ISAKMP_ID_IPV4;
	b[1] = 17;
	rp_put_u16(b + 2, 500);
	if (b[0] == ISAKMP_ID_DER_ASN1_DN && t->c.id_der) {
		memcpy(b + 4, t->c.id_der, t->c.id_der_len);
		*n = 4 + t->c.id_der_len;
	} else if (b[0] == ISAKMP_ID_DER_ASN1_DN) {
		*n = 4 + ike_cert_subject(t->c.certs[0], t->c.cert_lens[0], b + 4, 1024);
	} else if (b[0] == ISAKMP_ID_IPV4 || b[0] == ISAKMP_ID_IPV6) {
		memcpy(b + 4, t->c.local.ip, v6 ? 16 : 4);
		*n = v6 ? 20 : 8;
	} else {
		size_t l = strlen(t->c.id);
		memcpy(b + 4, t->c.id, l);
		*n = 4 + l;
	}
}

static long mm4(struct ike_cli *t, const struct isakmp_msg *m, uint8_t *out, size_t cap)
{
	const struct isakmp_pl *ke = isakmp_find(m, ISAKMP_PL_KE, 0),
	                       *no = isakmp_find(m, ISAKMP_PL_NONCE, 0);
	uint8_t gxy[IKE_MAXPUB];
	size_t gxylen;
	if (!ke || !no || ke->len > sizeof t->gxr)
		return fail(t, "MM4: missing KE/NONCE");
	struct ike_dh *dh = mydh(t);
	if (ike_dh_shared(dh, ke->body, ke->len, gxy, &gxylen))
		return fail(t, "MM4: bad KE");
	memcpy(t->gxr, ke->body, ke->len);
	t->gxrlen = ke->len;
	t->nr = malloc(no->len);
	memcpy(t->nr, no->body, no->len);
	t->nrlen = no->len;
	if (t->natt) {
		uint8_t type = t->natt == IKE_NATT_RFC ? ISAKMP_PL_NATD : ISAKMP_PL_NATD_DRAFT,
		        h[IKE_MAXHASH];
		size_t hl = ike_hash_len(t->chosen.hash);
		const struct isakmp_pl *d0 = isakmp_find(m, type, 0), *d1 = isakmp_find(m, type, 1);
		if (!d0 || !d1)
			return fail(t, "MM4: NAT-D missing");
		ike_natd_hash(t->chosen.hash, t->icky, t->rcky, &t->c.local, h);
		bool me_natted = !(d0->len == hl && memcmp(d0->body, h, hl) == 0);
		ike_natd_hash(t->chosen.hash, t->icky, t->rcky, &t->c.remote, h);
		bool peer_natted = !(d1->len == hl && memcmp(d1->body, h, hl) == 0);
		t->nat_detected = me_natted || peer_natted;
		t->use4500 = t->nat_detected; /* RFC 3947 §4: float when a NAT is detected */
	}
	t->k.hash = t->chosen.hash;
	t->k.enc = t->chosen.enc;
	t->k.klen = ike_enc_keylen(t->chosen.enc, t->chosen.keylen);
	t->got_cr = isakmp_find(m, ISAKMP_PL_CR, 0) != NULL;
	bool rsa = t->c.p1_auth == IKE_AUTH_RSA_SIG;
	if ((rsa ? ike_skeyid_sig(&t->k, t->ni, sizeof t->ni, t->nr, t->nrlen, gxy, gxylen)
	         : ike_skeyid_psk(&t->k, t->c.psk, t->c.psklen, t->ni, sizeof t->ni, t->nr, t->nrlen)) ||
	    ike_keys_derive(&t->k, gxy, gxylen, t->icky, t->rcky) ||
	    ike_iv_p1(t->k.hash, t->k.blk, dh->pub, dh->publen, t->gxr, t->gxrlen, t->iv))
		return fail(t, "MM4: key derivation");
	rp_wipe(gxy, sizeof gxy);
	uint8_t id[4 + 1024], h[IKE_MAXHASH];
	size_t idn;
	my_id(t, id, &idn);
	struct ike_iov v[] = {{dh->pub, dh->publen}, {t->gxr, t->gxrlen},    {t->icky, 8},
	                      {t->rcky, 8},          {t->sai_b, t->sai_len}, {id, idn}};
	ike_prf(t->k.hash, t->k.skeyid, t->k.hlen, v, 6, h);
	if (t->c.corrupt_hash_i && !rsa)
		h[0] ^= 1;
	struct isakmp_wr w;
	isakmp_wr_init(&w, out, cap);
	isakmp_wr_hdr(&w, t->icky, t->rcky, ISAKMP_EX_IDPROT, 0, 0);
	isakmp_wr_pl(&w, ISAKMP_PL_ID, id, idn);
	if (rsa) {
		uint8_t sig[1024];
		size_t sl = 0;
		for (size_t i = 0; i < t->c.ncerts; i++) {
			size_t s = isakmp_wr_begin(&w, ISAKMP_PL_CERT);
			rp_wr_u8(&w.w, ISAKMP_CERT_X509_SIG);
			rp_wr_bytes(&w.w, t->c.certs[i], t->c.cert_lens[i]);
			isakmp_wr_end(&w, s);
		}
		if (t->c.corrupt_hash_i)
			h[0] ^= 1;
		if (t->c.sign ? t->c.sign(t->c.sign_ctx, h, t->k.hlen, sig, &sl)
		              : ike_sig_sign(t->c.key, h, t->k.hlen, sig, &sl, sizeof sig))
			return fail(t, "MM5: signing failed");
		if (t->c.corrupt_sig)
			sig[sl / 2] ^= 1;
		isakmp_wr_pl(&w, ISAKMP_PL_SIG, sig, sl);
	} else {
		isakmp_wr_pl(&w, ISAKMP_PL_HASH, h, t->k.hlen);
	}
	if (t->c.initial_contact) {
		uint8_t spi[16];
		memcpy(spi, t->icky, 8);
		memcpy(spi + 8, t->rcky, 8);
		isakmp_wr_notify(&w, ISAKMP_PROTO_ISAKMP, spi, 16, ISAKMP_N_INITIAL_CONTACT, NULL, 0);
	}
	size_t n = isakmp_wr_finish(&w);
	n = n ? ike_encrypt(&t->k, t->iv, out, n, cap) : 0;
	t->step = 5;
	return (long)n;
}

static long mm6(struct ike_cli *t, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	uint8_t *plain;
	struct isakmp_msg dm;
	if (ike_decrypt(&t->k, t->iv, in, len, &plain, &dm))
		return fail(t, "MM6: does not decrypt");
	const struct isakmp_pl *idp = isakmp_find(&dm, ISAKMP_PL_ID, 0),
	                       *hp = isakmp_find(&dm, ISAKMP_PL_HASH, 0);
	uint8_t h[IKE_MAXHASH];
	bool ok = false;
	if (t->c.p1_auth == IKE_AUTH_RSA_SIG) {
		const struct isakmp_pl *sg = isakmp_find(&dm, ISAKMP_PL_SIG, 0),
		                       *cp = isakmp_find(&dm, ISAKMP_PL_CERT, 0);
		t->resp_ncert = isakmp_count(&dm, ISAKMP_PL_CERT);
		gnutls_pubkey_t pk = NULL;
		if (cp && cp->len > 1) {
			gnutls_datum_t d = {(unsigned char *)cp->body + 1, (unsigned)cp->len - 1};
			if (gnutls_pubkey_init(&pk) < 0 ||
			    gnutls_pubkey_import_x509_raw(pk, &d, GNUTLS_X509_FMT_DER, 0) < 0) {
				gnutls_pubkey_deinit(pk);
				pk = NULL;
			}
		}
		char why[128];
		if (idp && sg) {
			struct ike_iov v[] = {{t->gxr, t->gxrlen},    {mydh(t)->pub, mydh(t)->publen},
			                      {t->rcky, 8},           {t->icky, 8},
			                      {t->sai_b, t->sai_len}, {idp->body, idp->len}};
			ike_prf(t->k.hash, t->k.skeyid, t->k.hlen, v, 6, h);
			ok = ike_sig_verify(pk ? pk : t->c.resp_pub, h, t->k.hlen, sg->body, sg->len, why,
			                    sizeof why) == 0;
		}
		if (pk)
			gnutls_pubkey_deinit(pk);
		free(plain);
		if (!ok)
			return fail(t, "MM6: SIG_R invalid");
		memcpy(t->p1iv, t->iv, t->k.blk);
		return (long)ike_cli_quick(t, out, cap);
	}
	if (idp && hp && hp->len == t->k.hlen) {
		struct ike_iov v[] = {{t->gxr, t->gxrlen},    {mydh(t)->pub, mydh(t)->publen},
		                      {t->rcky, 8},           {t->icky, 8},
		                      {t->sai_b, t->sai_len}, {idp->body, idp->len}};
		ike_prf(t->k.hash, t->k.skeyid, t->k.hlen, v, 6, h);
		ok = memcmp(h, hp->body, t->k.hlen) == 0;
	}
	free(plain);
	if (!ok)
		return fail(t, "MM6: HASH_R invalid");
	memcpy(t->p1iv, t->iv, t->k.blk); /* last phase-1 CBC block */
	return (long)ike_cli_quick(t, out, cap);
}

size_t ike_cli_quick(struct ike_cli *t, uint8_t *out, size_t cap)
{
	struct isakmp_wr w;
	uint8_t mid[4];
	do
		t->msgid = rp_rng_u32(t->rng);
	while (!t->msgid);
	t->spi_i = t->c.spi_in ? t->c.spi_in : rp_rng_u32(t->rng) | 0x1000;
	rp_rng_fill(t->rng, t->qni, sizeof t->qni);
	ike_dh_clear(&t->qdh);
	if (t->c.pfs_group && ike_dh_init(&t->qdh, t->c.pfs_group, t->rng))
		return 0;
	uint16_t encap = IKE_ENCAP_TRANSPORT;
	if (t->nat_detected)
		encap = t->natt == IKE_NATT_RFC && !t->c.draft_encap ? IKE_ENCAP_UDP_TRANSPORT
		                                                     : IKE_ENCAP_UDP_TRANSPORT_DRAFT;
	if (t->c.force_encap)
		encap = t->c.force_encap;
	isakmp_wr_init(&w, out, cap);
	isakmp_wr_hdr(&w, t->icky, t->rcky, ISAKMP_EX_QUICK, 0, t->msgid);
	size_t hs = isakmp_wr_begin(&w, ISAKMP_PL_HASH);
	rp_wr_zero(&w.w, t->k.hlen);
	isakmp_wr_end(&w, hs);
	size_t after = w.w.len;
	size_t s = isakmp_wr_begin(&w, ISAKMP_PL_SA);
	size_t ps = sa_prop_begin(&w.w, ISAKMP_PROTO_ESP, 4, t->c.np2);
	rp_wr_u32(&w.w, t->spi_i);
	for (size_t i = 0; i < t->c.np2; i++) {
		const struct ike_cli_p2 *p = &t->c.p2[i];
		size_t ts = transform_begin(&w.w, i + 1 == t->c.np2, i, (uint8_t)p->tf);
		tv(&w.w, 1, 1);
		tlv32(&w.w, 2, t->c.p2_life_s ? t->c.p2_life_s : 3600);
		if (t->c.p2_life_kb) {
			tv(&w.w, 1, 2);
			tlv32(&w.w, 2, t->c.p2_life_kb);
		}
		if (t->c.pfs_group)
			tv(&w.w, 3, t->c.pfs_group);
		tv(&w.w, 4, encap);
		if (p->auth) /* none with AES-GCM (RFC 4106 §8, as strongSwan and Libreswan send it) */
			tv(&w.w, 5, p->auth);
		if (p->keylen)
			tv(&w.w, 6, p->keylen);
		rp_wr_put_u16_at(&w.w, ts + 2, (uint16_t)(w.w.len - ts));
	}
	rp_wr_put_u16_at(&w.w, ps + 2, (uint16_t)(w.w.len - ps));
	isakmp_wr_end(&w, s);
	isakmp_wr_pl(&w, ISAKMP_PL_NONCE, t->qni, sizeof t->qni);
	if (t->c.pfs_group)
		isakmp_wr_pl(&w, ISAKMP_PL_KE, t->qdh.pub, t->qdh.publen);
	if (!t->c.no_ids) {
		bool v6 = t->c.local.family == 6;
		uint8_t idt = v6 ? ISAKMP_ID_IPV6 : ISAKMP_ID_IPV4;
		size_t al = v6 ? 16 : 4;
		uint8_t pr = t->c.ts_proto ? t->c.ts_proto : 17;
		isakmp_wr_id(&w, idt, pr, t->c.client_port, t->c.local.ip, al);
		isakmp_wr_id(&w, idt, pr, t->c.server_port ? t->c.server_port : 1701, t->c.remote.ip, al);
	}
	if (t->nat_detected) {
		bool v6 = t->c.local.family == 6;
		size_t al = v6 ? 16 : 4;
		uint8_t type = t->natt == IKE_NATT_RFC ? ISAKMP_PL_NATOA : ISAKMP_PL_NATOA_DRAFT,
		        b[20] = {v6 ? ISAKMP_ID_IPV6 : ISAKMP_ID_IPV4, 0, 0, 0};
		memcpy(b + 4, t->c.local.ip, al);
		isakmp_wr_pl(&w, type, b, 4 + al);
		if (t->natt == IKE_NATT_RFC) {
			memcpy(b + 4, t->c.remote.ip, al);
			isakmp_wr_pl(&w, type, b, 4 + al);
		}
	}
	size_t n = isakmp_wr_finish(&w);
	if (!n)
		return 0;
	rp_put_u32(mid, t->msgid);
	struct ike_iov v[] = {{mid, 4}, {out + after, n - after}};
	ike_prf(t->k.hash, t->k.a, t->k.hlen, v, 2, out + hs + 4);
	ike_iv_p2(t->k.hash, t->k.blk, t->p1iv, t->msgid, t->qiv);
	t->encap = encap;
	t->step = 7;
	return ike_encrypt(&t->k, t->qiv, out, n, cap);
}

static long qm2(struct ike_cli *t, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	uint8_t *plain, mid[4], h[IKE_MAXHASH];
	struct isakmp_msg dm;
	if (ike_decrypt(&t->k, t->qiv, in, len, &plain, &dm))
		return fail(t, "QM2: does not decrypt");
	long rc = -1;
	rp_put_u32(mid, t->msgid);
	if (dm.npl < 2 || dm.pl[0].type != ISAKMP_PL_HASH) {
		fail(t, "QM2: no HASH(2)");
		goto out;
	}
	const struct isakmp_pl *hp = &dm.pl[0], *last = &dm.pl[dm.npl - 1];
	const uint8_t *rest = hp->raw + hp->rawlen;
	struct ike_iov v[] = {
	    {mid, 4}, {t->qni, sizeof t->qni}, {rest, (size_t)(last->raw + last->rawlen - rest)}};
	ike_prf(t->k.hash, t->k.a, t->k.hlen, v, 3, h);
	if (hp->len != t->k.hlen || memcmp(h, hp->body, t->k.hlen)) {
		fail(t, "QM2: HASH(2) invalid");
		goto out;
	}
	const struct isakmp_pl *sp = isakmp_find(&dm, ISAKMP_PL_SA, 0),
	                       *no = isakmp_find(&dm, ISAKMP_PL_NONCE, 0);
	const struct isakmp_pl *ke = isakmp_find(&dm, ISAKMP_PL_KE, 0);
	struct isakmp_sa sa;
	if (!sp || !no || read_sa_reply(sp, &sa) || sa.p[0].proto != ISAKMP_PROTO_ESP ||
	    sa.p[0].spi_size != 4) {
		fail(t, "QM2: bad SA reply");
		goto out;
	}
	const struct isakmp_xf *x = &sa.xf[0];
	if (x->a.encap != t->encap) {
		fail(t, "QM2: encapsulation changed");
		goto out;
	}
	bool offered = false;
	for (size_t i = 0; i < t->c.np2; i++)
		offered |= t->c.p2[i].tf == x->id && t->c.p2[i].keylen == x->a.keylen &&
		           t->c.p2[i].auth == x->a.authalg;
	if (!offered) {
		fail(t, "QM2: responder chose a transform we did not offer");
		goto out;
	}
	t->spi_r = rp_get_u32(sa.p[0].spi);
	t->p2chosen = (struct ike_cli_p2){x->id, x->a.keylen, x->a.authalg};
	for (size_t i = 1; i < dm.npl; i++) {
		struct isakmp_notify_pl n;
		if (dm.pl[i].type == ISAKMP_PL_N && !isakmp_notify_parse(dm.pl[i].body, dm.pl[i].len, &n) &&
		    n.type == ISAKMP_N_RESPONDER_LIFETIME) {
			struct isakmp_attrs a;
			if (isakmp_attrs_parse(ISAKMP_PROTO_ESP, n.data, n.len, &a) == 0) {
				t->responder_lifetime = true;
				t->resp_life_s = a.life_s;
				t->resp_life_kb = a.life_kb;
			}
		}
	}
	uint8_t gqm[IKE_MAXPUB];
	size_t gqmlen = 0;
	if ((t->c.pfs_group != 0) != (ke != NULL) ||
	    (ke && ike_dh_shared(&t->qdh, ke->body, ke->len, gqm, &gqmlen))) {
		fail(t, "QM2: PFS KE");
		goto out;
	}
	free(t->qnr);
	t->qnr = malloc(no->len);
	memcpy(t->qnr, no->body, no->len);
	t->qnrlen = no->len;
	size_t ekl = ike_esp_keylen(x->id, x->a.keylen), akl = ike_esp_authlen(x->a.authalg);
	uint8_t km[96];
	/* initiator → responder uses the responder's SPI, responder → initiator ours */
	ike_keymat(t->k.hash, t->k.d, t->k.hlen, gqm, gqmlen, 3, t->spi_r, t->qni, sizeof t->qni, t->qnr,
	           t->qnrlen, km, ekl + akl);
	memcpy(t->k_i2r.enc, km, ekl);
	memcpy(t->k_i2r.auth, km + ekl, akl);
	ike_keymat(t->k.hash, t->k.d, t->k.hlen, gqm, gqmlen, 3, t->spi_i, t->qni, sizeof t->qni, t->qnr,
	           t->qnrlen, km, ekl + akl);
	memcpy(t->k_r2i.enc, km, ekl);
	memcpy(t->k_r2i.auth, km + ekl, akl);
	t->k_i2r.enc_len = t->k_r2i.enc_len = (uint8_t)ekl;
	t->k_i2r.auth_len = t->k_r2i.auth_len = (uint8_t)akl;
	static const uint8_t zero = 0;
	struct isakmp_wr w;
	isakmp_wr_init(&w, out, cap);
	isakmp_wr_hdr(&w, t->icky, t->rcky, ISAKMP_EX_QUICK, 0, t->msgid);
	struct ike_iov v3[] = {{&zero, 1}, {mid, 4}, {t->qni, sizeof t->qni}, {t->qnr, t->qnrlen}};
	ike_prf(t->k.hash, t->k.a, t->k.hlen, v3, 4, h);
	isakmp_wr_pl(&w, ISAKMP_PL_HASH, h, t->k.hlen);
	size_t n = isakmp_wr_finish(&w);
	rc = n ? (long)ike_encrypt(&t->k, t->qiv, out, n, cap) : -1;
	t->step = 9;
out:
	free(plain);
	return rc;
}

long ike_cli_input(struct ike_cli *t, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	struct isakmp_msg m;
	if (isakmp_msg_parse(in, len, &m))
		return fail(t, "reply does not parse");
	if (memcmp(m.h.icky, t->icky, 8))
		return fail(t, "reply for other cookies");
	if (m.h.exch == ISAKMP_EX_INFO && (m.h.flags & ISAKMP_FLAG_ENC) && t->step == 5) {
		/* a refusal of MM5 under phase-1 keys: IV from the last phase-1 block (MM5's) */
		struct isakmp_notify_pl n;
		uint8_t *scratch = malloc(len);
		memcpy(t->p1iv, t->iv, t->k.blk);
		int r = scratch ? ike_cli_read_info(t, in, len, &n, NULL, scratch, len) : -1;
		free(scratch);
		if (r == 0)
			snprintf(t->err, sizeof t->err, "notify %u", n.type);
		else
			snprintf(t->err, sizeof t->err, "informational (does not authenticate)");
		return -1;
	}
	if (m.h.exch == ISAKMP_EX_INFO) {
		const struct isakmp_pl *np = isakmp_find(&m, ISAKMP_PL_N, 0);
		struct isakmp_notify_pl n;
		if (np && !isakmp_notify_parse(np->body, np->len, &n))
			snprintf(t->err, sizeof t->err, "notify %u", n.type);
		else
			snprintf(t->err, sizeof t->err, "informational");
		return -1;
	}
	switch (t->step) {
	case 1:
		return mm2(t, &m, out, cap);
	case 3:
		return mm4(t, &m, out, cap);
	case 5:
		return mm6(t, in, len, out, cap);
	case 7:
		return qm2(t, in, len, out, cap);
	default:
		return fail(t, "unexpected message");
	}
}

size_t ike_cli_info(struct ike_cli *t, bool is_delete, uint8_t proto, const uint8_t *spi, size_t spi_size,
                    uint16_t type, const void *data, size_t len, uint8_t *out, size_t cap)
{
	struct isakmp_wr w;
	uint8_t iv[IKE_MAXBLK], mid[4];
	uint32_t msgid = rp_rng_u32(t->rng) | 1;
	isakmp_wr_init(&w, out, cap);
	isakmp_wr_hdr(&w, t->icky, t->rcky, ISAKMP_EX_INFO, 0, msgid);
	size_t hs = isakmp_wr_begin(&w, ISAKMP_PL_HASH);
	rp_wr_zero(&w.w, t->k.hlen);
	isakmp_wr_end(&w, hs);
	size_t after = w.w.len;
	if (is_delete)
		isakmp_wr_delete(&w, proto, spi, spi_size);
	else
		isakmp_wr_notify(&w, proto, spi, spi_size, type, data, len);
	size_t n = isakmp_wr_finish(&w);
	if (!n)
		return 0;
	rp_put_u32(mid, msgid);
	struct ike_iov v[] = {{mid, 4}, {out + after, n - after}};
	ike_prf(t->k.hash, t->k.a, t->k.hlen, v, 2, out + hs + 4);
	ike_iv_p2(t->k.hash, t->k.blk, t->p1iv, msgid, iv);
	return ike_encrypt(&t->k, iv, out, n, cap);
}

int ike_cli_read_info(struct ike_cli *t, const uint8_t *in, size_t len, struct isakmp_notify_pl *n,
                      struct isakmp_delete_pl *d, uint8_t *scratch, size_t cap)
{
	struct isakmp_hdr h;
	uint8_t iv[IKE_MAXBLK], *plain, hh[IKE_MAXHASH], mid[4];
	struct isakmp_msg dm;
	if (isakmp_hdr_parse(in, len, &h) || h.exch != ISAKMP_EX_INFO || !(h.flags & ISAKMP_FLAG_ENC))
		return -1;
	ike_iv_p2(t->k.hash, t->k.blk, t->p1iv, h.msgid, iv);
	if (ike_decrypt(&t->k, iv, in, len, &plain, &dm))
		return -1;
	int rc = -1;
	if (dm.npl >= 2 && dm.pl[0].type == ISAKMP_PL_HASH && h.len <= cap) {
		const uint8_t *rest = dm.pl[0].raw + dm.pl[0].rawlen;
		const struct isakmp_pl *last = &dm.pl[dm.npl - 1];
		rp_put_u32(mid, h.msgid);
		struct ike_iov v[] = {{mid, 4}, {rest, (size_t)(last->raw + last->rawlen - rest)}};
		ike_prf(t->k.hash, t->k.a, t->k.hlen, v, 2, hh);
		if (memcmp(hh, dm.pl[0].body, t->k.hlen) == 0) {
			/* copy out so the parsed views survive the free below */
			memcpy(scratch, plain, h.len);
			const struct isakmp_pl *p = &dm.pl[1];
			const uint8_t *body = scratch + (p->body - plain);
			if (p->type == ISAKMP_PL_N && n)
				rc = isakmp_notify_parse(body, p->len, n);
			else if (p->type == ISAKMP_PL_D && d)
				rc = isakmp_delete_parse(body, p->len, d);
		}
	}
	free(plain);
	return rc;
}

size_t ike_cli_raw(struct ike_cli *t, uint8_t exch, uint8_t np, const uint8_t *payloads, size_t len,
                   uint8_t *out, size_t cap)
{
	struct isakmp_wr w;
	uint8_t iv[IKE_MAXBLK], mid[4];
	uint32_t msgid = rp_rng_u32(t->rng) | 1;
	if (!t->k.hlen)
		return 0;
	isakmp_wr_init(&w, out, cap);
	isakmp_wr_hdr(&w, t->icky, t->rcky, exch, 0, msgid);
	size_t hs = isakmp_wr_begin(&w, ISAKMP_PL_HASH);
	rp_wr_zero(&w.w, t->k.hlen);
	isakmp_wr_end(&w, hs);
	size_t after = w.w.len;
	if (len && w.w.len > hs && !w.w.err)
		out[hs] = np; /* the HASH payload's next-payload names the first raw one */
	rp_wr_bytes(&w.w, payloads, len);
	size_t n = isakmp_wr_finish(&w);
	if (!n)
		return 0;
	rp_put_u32(mid, msgid);
	struct ike_iov v[] = {{mid, 4}, {out + after, n - after}};
	ike_prf(t->k.hash, t->k.a, t->k.hlen, v, 2, out + hs + 4);
	ike_iv_p2(t->k.hash, t->k.blk, t->p1iv, msgid, iv);
	return ike_encrypt(&t->k, iv, out, n, cap);
}

int ike_cli_info_input(struct ike_cli *t, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                       size_t *out_len)
{
	struct isakmp_notify_pl n;
	struct isakmp_delete_pl d;
	*out_len = 0;
	if (!t->k.hlen || t->step < 7)
		return -1;
	uint8_t *scratch = malloc(len);
	memset(&n, 0, sizeof n);
	memset(&d, 0, sizeof d);
	int r = scratch ? ike_cli_read_info(t, in, len, &n, &d, scratch, len) : -1;
	int kind = -1;
	if (r == 0 && d.proto == ISAKMP_PROTO_ISAKMP)
		kind = IKE_CLI_INFO_DELETE_IKE;
	else if (r == 0 && d.proto == ISAKMP_PROTO_ESP)
		kind = IKE_CLI_INFO_DELETE_ESP;
	else if (r == 0 && n.type == ISAKMP_N_DPD_R_U_THERE && n.len == 4) {
		/* RFC 3706 §5.2: the ACK carries the cookies as SPI and the same sequence number */
		uint8_t spi[16];
		memcpy(spi, t->icky, 8);
		memcpy(spi + 8, t->rcky, 8);
		*out_len = ike_cli_info(t, false, ISAKMP_PROTO_ISAKMP, spi, 16, ISAKMP_N_DPD_R_U_THERE_ACK,
		                        n.data, 4, out, cap);
		kind = *out_len ? IKE_CLI_INFO_DPD : -1;
	} else if (r == 0)
		kind = IKE_CLI_INFO_OTHER;
	free(scratch);
	return kind;
}

struct ike_dh *ike_cli_dh_new(uint16_t group, struct rp_rng *rng)
{
	struct ike_dh *dh = calloc(1, sizeof *dh);
	if (dh && ike_dh_init(dh, group, rng)) {
		free(dh);
		return NULL;
	}
	return dh;
}

void ike_cli_dh_free(struct ike_dh *dh)
{
	if (!dh)
		return;
	ike_dh_clear(dh);
	free(dh);
}
