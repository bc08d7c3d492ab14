/* Quick Mode responder (RFC 2409 §5.5): ESP transport mode for UDP/1701, optional PFS, NAT-OA
 * (RFC 3947 §5.2), lifetimes with RESPONDER-LIFETIME (RFC 2407 §4.6.3.1), SA_INSTALL after QM3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_local.h"

#define QM_NONCE_LEN 32

static void qm_drop(struct ike *ike, const struct rp_pkt *pkt, const char *why)
{
	rp_log_drop(ike->log, ike->now, "ike", &pkt->src, why, NULL);
}

/* The span of payloads after the first (HASH) one, as the hashes of §5.5 cover them. */
static void after_hash(const struct isakmp_msg *m, const uint8_t **p, size_t *n)
{
	const struct isakmp_pl *h = &m->pl[0], *last = &m->pl[m->npl - 1];
	*p = h->raw + h->rawlen;
	*n = (size_t)(last->raw + last->rawlen - *p);
}

/* Single-host IDs only: an address, or a subnet with a full mask (racoon sends /32 subnets). */
static int id_addr(const struct isakmp_id_pl *id, struct rp_addr *a)
{
	memset(a, 0, sizeof *a);
	switch (id->type) {
	case ISAKMP_ID_IPV4:
		a->family = 4;
		memcpy(a->ip, id->data, 4);
		return 0;
	case ISAKMP_ID_IPV6:
		a->family = 6;
		memcpy(a->ip, id->data, 16);
		return 0;
	case ISAKMP_ID_IPV4_SUBNET:
	case ISAKMP_ID_IPV6_SUBNET: {
		size_t h = id->len / 2;
		for (size_t i = 0; i < h; i++)
			if (id->data[h + i] != 0xff)
				return -1;
		a->family = id->type == ISAKMP_ID_IPV4_SUBNET ? 4 : 6;
		memcpy(a->ip, id->data, h);
		return 0;
	}
	default:
		return -1;
	}
}

static void wr_lifetime_notify(struct isakmp_wr *w, uint32_t spi, const struct ike_p2_choice *ch)
{
	uint8_t d[24], sp[4];
	size_t n = 0;
	/* SA Life Type (TV, 1 = seconds) then SA Life Duration (TLV, 4 bytes), RFC 2407 §4.5 */
	rp_put_u16(d + n, 0x8001);
	rp_put_u16(d + n + 2, 1);
	n += 4;
	rp_put_u16(d + n, 2);
	rp_put_u16(d + n + 2, 4);
	rp_put_u32(d + n + 4, ch->life_s);
	n += 8;
	if (ch->life_kb) {
		rp_put_u16(d + n, 0x8001);
		rp_put_u16(d + n + 2, 2);
		n += 4;
		rp_put_u16(d + n, 2);
		rp_put_u16(d + n + 2, 4);
		rp_put_u32(d + n + 4, ch->life_kb);
		n += 8;
	}
	rp_put_u32(sp, spi);
	isakmp_wr_notify(w, ISAKMP_PROTO_ESP, sp, 4, ISAKMP_N_RESPONDER_LIFETIME, d, n);
}

static void natoa_body(const struct rp_addr *a, uint8_t *b, size_t *n)
{
	b[0] = a->family == 6 ? ISAKMP_ID_IPV6 : ISAKMP_ID_IPV4;
	b[1] = b[2] = b[3] = 0;
	size_t al = a->family == 6 ? 16 : 4;
	memcpy(b + 4, a->ip, al);
	*n = 4 + al;
}

/* The pair is handed to the SAD when QM2 goes out, as pluto does: the initiator may send ESP
 * right after QM3, and a lost QM3 must not drop it. Without QM3 (or on an error notify) within
 * halfopen_ms the pair is withdrawn again (SA_DELETE). */
static int install(struct ike *ike, struct ike_sa *sa, struct ike_qm *q)
{
	struct ike_child *c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	c->owner = sa;
	c->id_auth = sa->id_auth;
	c->ev = q->sa;
	c->expire_ms = ike->now + (uint64_t)q->sa.life_s * 1000;
	if (ike_child_link(ike, c)) {
		free(c);
		return -1;
	}
	struct rp_ev *ev = rp_ev_new(IKE_EV_SA_INSTALL, sizeof q->sa);
	if (!ev) {
		ike_child_unlink(ike, c);
		free(c);
		return -1;
	}
	memcpy(ev->data, &q->sa, sizeof q->sa);
	ev->src = sa->local;
	ev->dst = sa->peer;
	rp_evq_push(&ike->evq, ev);
	ike_count(ike, NULL, IKE_R_QM_OK);
	rp_wipe(&c->ev.in, sizeof c->ev.in); /* the SAD holds the keys now */
	rp_wipe(&c->ev.out, sizeof c->ev.out);
	rp_wipe(&q->sa.in, sizeof q->sa.in);
	rp_wipe(&q->sa.out, sizeof q->sa.out);
	char who[RP_ADDR_STRLEN], inner[RP_ADDR_STRLEN];
	rp_logf(ike->log, RP_LOG_INFO, "ike",
	        "IPsec SA up %s SPIs in %08x out %08x id %s inner %s %s-%u/%s%s",
	        rp_addr_str(&sa->peer, who, sizeof who), c->ev.spi_in, c->ev.spi_out, c->ev.peer_id,
	        rp_addr_str(&c->ev.peer_inner, inner, sizeof inner), ike_esp_name(c->ev.esp_transform),
	        c->ev.enc_key_bits, ike_esp_auth_name(c->ev.auth_alg), c->ev.udp_encap ? " UDP-encap" : "");
	return 0;
}

static int qm1(struct ike *ike, struct ike_sa *sa, const struct rp_pkt *pkt, const struct isakmp_msg *m)
{
	struct ike_keys *k = &sa->k;
	uint8_t iv[IKE_MAXBLK], *plain = NULL;
	struct isakmp_msg dm;
	char who[RP_ADDR_STRLEN], why[640];
	rp_addr_str(&pkt->src, who, sizeof who);

	if (ike_iv_p2(k->hash, k->blk, sa->iv, m->h.msgid, iv) ||
	    ike_decrypt(k, iv, pkt->data, m->h.len, &plain, &dm)) {
		qm_drop(ike, pkt, "Quick Mode message does not decrypt");
		return -1;
	}
	int rc = -1;
	const struct isakmp_pl *hp = &dm.pl[0];
	const struct isakmp_pl *sap = isakmp_find(&dm, ISAKMP_PL_SA, 0),
	                       *nop = isakmp_find(&dm, ISAKMP_PL_NONCE, 0);
	const struct isakmp_pl *kep = isakmp_find(&dm, ISAKMP_PL_KE, 0);
	size_t nid = isakmp_count(&dm, ISAKMP_PL_ID);
	/* HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ]): HASH comes first. */
	if (dm.npl < 3 || hp->type != ISAKMP_PL_HASH || hp->len != k->hlen) {
		qm_drop(ike, pkt, "Quick Mode without leading HASH(1)");
		goto out;
	}
	uint8_t mid[4], h[IKE_MAXHASH];
	const uint8_t *rest;
	size_t restn;
	rp_put_u32(mid, m->h.msgid);
	after_hash(&dm, &rest, &restn);
	struct ike_iov hv[] = {{mid, 4}, {rest, restn}};
	if (ike_prf(k->hash, k->a, k->hlen, hv, 2, h) || !rp_ct_memeq(h, hp->body, k->hlen)) {
		rp_logf(ike->log, RP_LOG_WARN, "ike", "Quick Mode from %s: HASH(1) invalid, dropped", who);
		goto out;
	}
	/* Authenticated: follow a NAT rebinding of the peer (RFC 3947 §4 keeps IKE on the new
	 * mapping; the ESP SAs move with their own authenticated packets). */
	if (!rp_addr_eq(&pkt->src, &sa->peer) && pkt->dst.port == sa->local.port) {
		char old[RP_ADDR_STRLEN];
		rp_logf(ike->log, RP_LOG_INFO, "ike", "peer %s moved to %s",
		        rp_addr_str(&sa->peer, old, sizeof old), who);
		ike_sa_set_peer(ike, sa, &pkt->src);
	}
	if (!sap || !nop || isakmp_count(&dm, ISAKMP_PL_SA) != 1 || (nid != 0 && nid != 2) || nop->len < 8 ||
	    nop->len > 256 || isakmp_count(&dm, ISAKMP_PL_KE) > 1) {
		qm_drop(ike, pkt, "malformed Quick Mode message");
		goto out;
	}
	struct isakmp_sa sap2;
	if (isakmp_sa_parse(sap->body, sap->len, &sap2)) {
		qm_drop(ike, pkt, "malformed Quick Mode SA payload");
		goto out;
	}
	struct isakmp_id_pl idci = {0}, idcr = {0};
	struct rp_addr ci = sa->peer, cr = sa->local;
	const struct isakmp_pl *idcip = NULL, *idcrp = NULL;
	if (nid == 2) {
		idcip = isakmp_find(&dm, ISAKMP_PL_ID, 0);
		idcrp = isakmp_find(&dm, ISAKMP_PL_ID, 1);
		if (isakmp_id_parse(idcip->body, idcip->len, &idci) ||
		    isakmp_id_parse(idcrp->body, idcrp->len, &idcr) || id_addr(&idci, &ci) ||
		    id_addr(&idcr, &cr)) {
			rp_logf(ike->log, RP_LOG_WARN, "ike",
			        "Quick Mode from %s: client IDs are not single hosts", who);
			ike_info_send_notify(ike, sa, ISAKMP_PROTO_ESP, NULL, 0,
			                     ISAKMP_N_INVALID_ID_INFORMATION, NULL, 0);
			goto out;
		}
		/* L2TP/IPsec: UDP to our port 1701 (RFC 3193 §4). The client's port may be 1701, 0
		 * (macOS/iOS propose "any" and use a random port) or ephemeral (NetworkManager). */
		if ((idci.proto != 17 && idci.proto != 0) || idcr.proto != idci.proto ||
		    (idcr.port != 1701 && idcr.port != 0)) {
			rp_logf(ike->log, RP_LOG_WARN, "ike",
			        "Quick Mode from %s: traffic selector proto %u port %u -> %u is not L2TP "
			        "(UDP/1701)",
			        who, idci.proto, idci.port, idcr.port);
			ike_info_send_notify(ike, sa, ISAKMP_PROTO_ESP, NULL, 0,
			                     ISAKMP_N_INVALID_ID_INFORMATION, NULL, 0);
			goto out;
		}
	}
	bool udp = sa->natt && (sa->nat_local || sa->nat_peer);
	struct ike_p2_choice ch;
	struct ike_peer_policy pol; /* asked at each Quick Mode: a changed rule applies from the next */
	ike_pol_ask(ike, &sa->peer, &pol);
	int refused = ike_pol_refusal(&pol, why, sizeof why);
	int sel = refused
	              ? -1
	              : ike_p2_select(&ike->conf, &pol, &sap2, udp, kep ? kep->len : 0, &ch, why, sizeof why);
	rp_wipe(&pol, sizeof pol);
	if (sel) {
		if (refused || strncmp(why, "refused by rule", 15) == 0)
			rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "NO-PROPOSAL-CHOSEN",
			            "(Quick Mode): peer %s %s", who, why);
		else
			rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "NO-PROPOSAL-CHOSEN",
			            "(Quick Mode): %s", why);
		ike_info_send_notify(ike, sa, ISAKMP_PROTO_ESP, NULL, 0, ISAKMP_N_NO_PROPOSAL_CHOSEN, NULL,
		                     0);
		ike_count(ike, NULL, IKE_R_QM_NO_PROPOSAL);
		goto out;
	}
	/* Child SAs per IKE SA (issue 12): one authenticated peer installed 5,000 SA pairs. A client
	 * holds one, two while it re-keys; the pairs of pending Quick Modes are children already. */
	unsigned nkids = 0;
	for (const struct ike_child *c = sa->kids; c && nkids < ike->conf.max_child; c = c->snext)
		nkids++;
	if (nkids >= ike->conf.max_child) {
		ike_adm_note(ike, IKE_A_CHILD_LIMIT, &pkt->src);
		goto out;
	}
	struct ike_dh dh;
	uint8_t gqm[IKE_MAXPUB];
	size_t gqmlen = 0;
	memset(&dh, 0, sizeof dh);
	if (kep && (kep->len != ike_dh_publen(ch.group) || ike_dh_init(&dh, ch.group, ike->rng) ||
	            ike_dh_shared(&dh, kep->body, kep->len, gqm, &gqmlen))) {
		ike_dh_clear(&dh);
		qm_drop(ike, pkt, "Quick Mode PFS KE invalid");
		goto out;
	}
	struct ike_qm *q = calloc(1, sizeof *q);
	if (!q || ike_spi_alloc(ike, &q->spi_in)) {
		free(q);
		ike_dh_clear(&dh);
		rp_wipe(gqm, sizeof gqm);
		goto out;
	}
	q->msgid = m->h.msgid;
	q->ni = malloc(nop->len);
	q->nr = malloc(QM_NONCE_LEN);
	if (q->ni)
		memcpy(q->ni, nop->body, nop->len);
	q->nilen = nop->len;
	q->nrlen = QM_NONCE_LEN;
	if (!q->ni || !q->nr || rp_rng_fill(ike->rng, q->nr, QM_NONCE_LEN)) {
		ike_spi_release(ike, q->spi_in);
		ike_qm_free(q);
		ike_dh_clear(&dh);
		goto out;
	}
	uint32_t spi_out = rp_get_u32(ch.prop->spi);

	/* NAT-OA: the original addresses, so transport-mode checksums can be fixed (RFC 3947 §5.2).
	 * The client's own inner address comes from its NAT-OAi, else its ID, else its outer one. */
	struct rp_addr natoa_i = ci;
	uint8_t natoa_t = sa->natt == IKE_NATT_RFC ? ISAKMP_PL_NATOA : ISAKMP_PL_NATOA_DRAFT;
	const struct isakmp_pl *oa = isakmp_find(&dm, natoa_t, 0);
	if (oa)
		isakmp_natoa_parse(oa->body, oa->len, &natoa_i);

	/* QM2: HDR*, HASH(2), SA, Nr [, KE ] [, IDci, IDcr ] [, NAT-OA ] [, N(RESPONDER-LIFETIME)] */
	uint8_t buf[IKE_MAXBUF], spib[4];
	struct isakmp_wr w;
	rp_put_u32(spib, q->spi_in);
	isakmp_wr_init(&w, buf, sizeof buf);
	isakmp_wr_hdr(&w, sa->icky, sa->rcky, ISAKMP_EX_QUICK, 0, m->h.msgid);
	size_t hs = isakmp_wr_begin(&w, ISAKMP_PL_HASH);
	rp_wr_zero(&w.w, k->hlen);
	isakmp_wr_end(&w, hs);
	size_t after = w.w.len;
	isakmp_wr_sa_reply(&w, sap2.doi, sap2.sit, ch.prop->num, ISAKMP_PROTO_ESP, spib, 4, ch.xf);
	isakmp_wr_pl(&w, ISAKMP_PL_NONCE, q->nr, q->nrlen);
	if (kep)
		isakmp_wr_pl(&w, ISAKMP_PL_KE, dh.pub, dh.publen);
	if (nid == 2) { /* echoed as received (RFC 2409 §5.5) */
		isakmp_wr_pl(&w, ISAKMP_PL_ID, idcip->body, idcip->len);
		isakmp_wr_pl(&w, ISAKMP_PL_ID, idcrp->body, idcrp->len);
	}
	if (udp) {
		uint8_t b[20];
		size_t bn;
		if (sa->natt == IKE_NATT_RFC) { /* NAT-OAi then NAT-OAr, as the responder sees them */
			natoa_body(&sa->peer, b, &bn);
			isakmp_wr_pl(&w, natoa_t, b, bn);
		}
		natoa_body(&sa->local, b, &bn);
		isakmp_wr_pl(&w, natoa_t, b, bn);
	}
	if (ch.shortened)
		wr_lifetime_notify(&w, q->spi_in, &ch);
	size_t n = isakmp_wr_finish(&w);
	if (n) {
		struct ike_iov v2[] = {{mid, 4}, {q->ni, q->nilen}, {buf + after, n - after}};
		ike_prf(k->hash, k->a, k->hlen, v2, 3, buf + hs + ISAKMP_GEN_LEN);
		memcpy(q->iv, iv, k->blk);
		n = ike_encrypt(k, q->iv, buf, n, sizeof buf);
	}
	/* KEYMAT per direction (§5.5): each SA's own SPI; encryption key first, then integrity. */
	struct ike_ev_sa *e = &q->sa;
	size_t ekl = ike_esp_keylen(ch.tf, ch.keylen), akl = ike_esp_authlen(ch.auth);
	uint8_t km[96];
	int krc = n ? 0 : -1;
	krc |= ike_keymat(k->hash, k->d, k->hlen, gqm, gqmlen, ISAKMP_PROTO_ESP, q->spi_in, q->ni, q->nilen,
	                  q->nr, q->nrlen, km, ekl + akl);
	memcpy(e->in.enc, km, ekl);
	memcpy(e->in.auth, km + ekl, akl);
	krc |= ike_keymat(k->hash, k->d, k->hlen, gqm, gqmlen, ISAKMP_PROTO_ESP, spi_out, q->ni, q->nilen,
	                  q->nr, q->nrlen, km, ekl + akl);
	memcpy(e->out.enc, km, ekl);
	memcpy(e->out.auth, km + ekl, akl);
	e->in.enc_len = e->out.enc_len = (uint8_t)ekl;
	e->in.auth_len = e->out.auth_len = (uint8_t)akl;
	rp_wipe(km, sizeof km);
	rp_wipe(gqm, sizeof gqm);
	ike_dh_clear(&dh);
	if (krc) {
		ike_spi_release(ike, q->spi_in);
		ike_qm_free(q);
		goto out;
	}
	memcpy(e->icky, sa->icky, 8);
	memcpy(e->rcky, sa->rcky, 8);
	e->spi_in = q->spi_in;
	e->spi_out = spi_out;
	e->esp_transform = ch.tf;
	e->auth_alg = ch.auth;
	e->enc_key_bits = ch.keylen;
	e->encap = ch.encap;
	e->udp_encap = udp;
	e->local_natd = sa->nat_local;
	e->local = sa->local;
	e->peer = sa->peer;
	e->peer_inner = natoa_i;
	e->peer_inner.port = nid == 2 ? idci.port : 0;
	e->local_inner = cr;
	e->local_inner.port = 1701;
	e->proto = 17;
	e->life_s = ch.life_s;
	e->life_kb = ch.life_kb;
	snprintf(e->peer_id, sizeof e->peer_id, "%s", sa->peer_id);
	snprintf(e->account, sizeof e->account, "%s", sa->account);
	q->resp = malloc(n);
	if (!q->resp) {
		ike_spi_release(ike, q->spi_in);
		ike_qm_free(q);
		goto out;
	}
	memcpy(q->resp, buf, n);
	q->resplen = n;
	memcpy(q->req_digest, ike->cur_digest, 20);
	q->expire_ms = ike->now + ike->conf.halfopen_ms;
	q->next = sa->qms;
	sa->qms = q;
	sa->last_rx_ms = ike->now;
	if (install(ike, sa, q)) {
		sa->qms = q->next;
		ike_spi_release(ike, q->spi_in);
		ike_qm_free(q);
		goto out;
	}
	rp_log_ike(ike->log, "Quick Mode %08x with %s: chose %s-%u/%s%s%s, encap %u, life %u s%s", q->msgid,
	           who, ike_esp_name(ch.tf), ch.keylen, ike_esp_auth_name(ch.auth), ch.group ? "/PFS-" : "",
	           ch.group ? ike_dh_name(ch.group) : "", ch.encap, ch.life_s,
	           ch.shortened ? " (shortened)" : "");
	ike_emit_send(ike, &sa->local, &sa->peer, buf, n);
	rc = 0;
out:
	free(plain);
	return rc;
}

static int qm3(struct ike *ike, struct ike_sa *sa, struct ike_qm *q, const struct rp_pkt *pkt,
               const struct isakmp_msg *m)
{
	struct ike_keys *k = &sa->k;
	uint8_t iv[IKE_MAXBLK], *plain = NULL, h[IKE_MAXHASH], mid[4];
	struct isakmp_msg dm;
	memcpy(iv, q->iv, k->blk);
	if (ike_decrypt(k, iv, pkt->data, m->h.len, &plain, &dm)) {
		qm_drop(ike, pkt, "QM3 does not decrypt");
		return -1;
	}
	/* HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) */
	static const uint8_t zero = 0;
	rp_put_u32(mid, q->msgid);
	struct ike_iov v[] = {{&zero, 1}, {mid, 4}, {q->ni, q->nilen}, {q->nr, q->nrlen}};
	const struct isakmp_pl *hp = dm.npl ? &dm.pl[0] : NULL;
	bool ok = hp && hp->type == ISAKMP_PL_HASH && hp->len == k->hlen &&
	          ike_prf(k->hash, k->a, k->hlen, v, 4, h) == 0 && rp_ct_memeq(h, hp->body, k->hlen);
	free(plain);
	if (!ok) {
		char who[RP_ADDR_STRLEN];
		rp_logf(ike->log, RP_LOG_WARN, "ike", "Quick Mode %08x from %s: HASH(3) invalid, dropped",
		        q->msgid, rp_addr_str(&pkt->src, who, sizeof who));
		return -1;
	}
	sa->last_rx_ms = ike->now;
	rp_log_ike(ike->log, "Quick Mode %08x completed (HASH(3) valid), SPI in %08x", q->msgid, q->spi_in);
	/* Its SA is a child now: keep only the message ID (a late message for it is dropped), not
	 * the exchange (nonces, QM2, ~1.5 KiB) for halfopen_ms (issue 17, memory per client). */
	sa->qm_done[sa->qm_done_next++ % RP_ARRAY_LEN(sa->qm_done)] = q->msgid;
	for (struct ike_qm **pp = &sa->qms; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	ike_qm_free(q);
	ike_sa_touch(ike, sa);
	return 0;
}

int ike_qm_input(struct ike *ike, struct ike_sa *sa, const struct rp_pkt *pkt, const struct isakmp_msg *m)
{
	if (!(m->h.flags & ISAKMP_FLAG_ENC) || m->h.msgid == 0) {
		qm_drop(ike, pkt, "Quick Mode not encrypted or without message ID");
		return -1;
	}
	for (struct ike_qm *q = sa->qms; q; q = q->next) {
		if (q->msgid != m->h.msgid)
			continue;
		if (memcmp(q->req_digest, ike->cur_digest, 20) == 0) {
			/* QM1 again: our QM2 was lost */
			ike_emit_send(ike, &sa->local, &sa->peer, q->resp, q->resplen);
			return 0;
		}
		if (q->done) {
			qm_drop(ike, pkt, "Quick Mode message for a finished exchange");
			return -1;
		}
		return qm3(ike, sa, q, pkt, m);
	}
	for (size_t i = 0; i < RP_ARRAY_LEN(sa->qm_done); i++)
		if (sa->qm_done[i] == m->h.msgid) {
			qm_drop(ike, pkt, "Quick Mode message for a finished exchange");
			return -1;
		}
	return qm1(ike, sa, pkt, m);
}
